"""Streams wsgi.input to nowhere in 64 KiB reads and answers the byte
count: the app holds 64 KiB at a time, so the worker's RSS shows what the
server buffers.  /pid: the worker's pid."""
import os


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/pid":
        body = str(os.getpid()).encode()
    else:
        n = 0
        inp = environ["wsgi.input"]
        while True:
            chunk = inp.read(65536)
            if not chunk:
                break
            n += len(chunk)
        body = b"%d\n" % n
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
