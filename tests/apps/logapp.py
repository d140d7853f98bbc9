"""WSGI app for the logging integration tests (tests/integration/
test_logging.py).  Routes (PATH_INFO):

  /                 "hello", with the response header X-Resp: out"put
  /post             reads the body, answers its length
  /404              404 Not Found
  /raise            raises before start_response (500 page)
  /raise_late       start_response, then a generator that raises after
                    its first chunk
  /file?path=P      wsgi.file_wrapper over open(P, 'rb') (sendfile)
  /print?text=T     print(T) on stdout (flushed) and T on stderr, then
                    "printed"
  /proxyfix         rewrites REMOTE_ADDR as a ProxyFix middleware would,
                    adds environ['x.custom'] (a str with a quote) and
                    environ['x.number'] (an int)
  /pid              the worker's pid
  /slow?s=SECS      sleeps, then answers
"""
import os
import sys
import time
from urllib.parse import parse_qs


def _query(environ):
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _late():
    yield b"first"
    raise RuntimeError("late failure")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    q = _query(environ)
    text = [("Content-Type", "text/plain")]
    if path == "/post":
        body = environ["wsgi.input"].read()
        start_response("200 OK", text)
        return [str(len(body)).encode()]
    if path == "/404":
        start_response("404 Not Found", text)
        return [b"not here"]
    if path == "/raise":
        raise RuntimeError("app failure")
    if path == "/raise_late":
        start_response("200 OK", text)
        return _late()
    if path == "/file":
        f = open(q["path"], "rb")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f)
    if path == "/print":
        print(q.get("text", "x"), flush=True)
        sys.stderr.write(q.get("text", "x") + "-err\n")
        sys.stderr.flush()
        start_response("200 OK", text)
        return [b"printed"]
    if path == "/proxyfix":
        environ["REMOTE_ADDR"] = "203.0.113.7"
        environ["x.custom"] = 'v"q'
        environ["x.number"] = 42
        start_response("200 OK", text)
        return [b"fixed"]
    if path == "/pid":
        start_response("200 OK", text)
        return [str(os.getpid()).encode()]
    if path == "/slow":
        time.sleep(float(q.get("s", "0.1")))
        start_response("200 OK", text)
        return [b"slow"]
    start_response("200 OK", text + [("X-Resp", 'out"put'),
                                     ("Connection", "keep-alive")])
    return [b"hello"]
