"""An app's own cost, for bench/profile.py: call it N times in-process.

usage: /usr/bin/python3 bench/profile_direct.py MODULE[:APP] N

MODULE "null" is a do-nothing app: the loop's own frame (the environ copy,
the BytesIO, the call), to subtract.

Builds the environ prefork-wsgi gives `GET / HTTP/1.1` from 127.0.0.1 with
the same keys and value types (wsgi.input a file-like object,
gunicorn.socket a socket.socket, wsgi.file_wrapper a type), copies it for
each call as the server copies its base dict, calls app(environ,
start_response), iterates the result and closes it.  profile.py runs this
under callgrind twice, with N and 0 calls after the same warm-up, and
divides the difference in instructions by N: start-up and import cancel.
"""
import importlib
import io
import socket
import sys

WARMUP = 200


class FileWrapper:
    """Stands in for wsgi.file_wrapper (a type in the environ)."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize


def null_app(environ, start_response):
    """The loop's own frame: what every call costs with no app at all."""
    start_response("200 OK", [])
    return ()


def environ_template(sock):
    return {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        "wsgi.input_terminated": True,
        "SERVER_SOFTWARE": "prefork-wsgi",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
        "RAW_URI": "/",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000",
        "PATH_INFO": "/",
        "gunicorn.socket": sock,
    }


def main():
    spec, n = sys.argv[1], int(sys.argv[2])
    mod, _, name = spec.partition(":")
    sys.path.insert(0, ".")
    if mod == "null":
        app = null_app
    else:
        app = getattr(importlib.import_module(mod), name or "app")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    base = environ_template(sock)
    status = []

    def start_response(st, headers, exc_info=None):
        status.append(st)
        return None

    def call():
        env = base.copy()
        env["wsgi.input"] = io.BytesIO(b"")
        res = app(env, start_response)
        try:
            for _chunk in res:
                pass
        finally:
            close = getattr(res, "close", None)
            if close is not None:
                close()
        status.clear()

    for _ in range(WARMUP):
        call()
    for _ in range(n):
        call()
    sock.close()


if __name__ == "__main__":
    main()
