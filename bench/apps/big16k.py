"""Plain WSGI: one 16 KiB chunk (the big16k rows)."""

BODY = b"x" * 16384
HEADERS = (("Content-Type", "application/octet-stream"),
           ("Content-Length", str(len(BODY))))


def app(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return [BODY]
