"""Reads the whole request body into bytes and answers its length.

The 64 KiB POST rows use it; nginx's /echo reads and discards the body and
answers the same 6 bytes, so the two are comparable.
"""


def app(environ, start_response):
    try:
        n = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        n = 0
    body = environ["wsgi.input"].read(n) if n > 0 else b""
    out = b"%d\n" % len(body)
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(out)))])
    return [out]
