"""The smallest useful app: a fixed 14-byte body with a Content-Length."""
import os

BODY = b"Hello, World!\n"


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/pid":
        body = str(os.getpid()).encode()
    else:
        body = BODY
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
