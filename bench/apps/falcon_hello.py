"""One Falcon resource answering the same 14 bytes as hello.py."""

import falcon


class Hello:
    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.data = b"Hello, World!\n"


app = falcon.App()
app.add_route("/", Hello())
