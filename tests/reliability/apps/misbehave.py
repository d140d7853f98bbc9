"""Apps that break the WSGI contract, one per path, for the fault suite.

  /raise      raises before start_response
  /noniter    returns an int (not iterable)
  /str        yields str instead of bytes
  /twice      calls start_response twice without exc_info
  /overlong   declares Content-Length: 5 and returns 12 bytes
  /leak?n=K   an endless generator; the client reads a little and leaves:
              the server must close() it (counted)
  /closed     how many /leak generators were closed in this worker
  /block      blocks forever (the heartbeat timeout must end it)
  /pid        the worker's pid
  /ok         a normal answer, to prove the worker still serves
"""
import os
import threading

CLOSED = {"n": 0}


def _plain(start_response, body, status="200 OK"):
    start_response(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/raise":
        raise RuntimeError("misbehave: raised on purpose")
    if path == "/noniter":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return 42
    if path == "/str":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["a str, not bytes"]
    if path == "/twice":
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"twice"]
    if path == "/overlong":
        start_response("200 OK", [("Content-Length", "5")])
        return [b"0123456789AB"]
    if path == "/leak":
        def gen():
            try:
                while True:
                    yield b"y" * 65536
            finally:
                CLOSED["n"] += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/closed":
        return _plain(start_response, b"%d" % CLOSED["n"])
    if path == "/block":
        threading.Event().wait()
    if path == "/pid":
        return _plain(start_response, str(os.getpid()).encode())
    return _plain(start_response, b"ok\n")
