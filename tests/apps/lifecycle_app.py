"""A small WSGI app for the lifecycle, privileges and nginx integration
tests.  Routes (PATH_INFO; under a SCRIPT_NAME, what follows it):

  /pid             the worker's pid, as text
  /osenv           os.environ as JSON (raw_env, -e K=V)
  /env             the WSGI environ's str values as JSON, plus
                   "wsgi.url_scheme"
  /sleep?s=SECS    says "sleeping PID" on stderr, sleeps, then answers its
                   pid (a request in flight the test can see)
  /file?path=P     wsgi.file_wrapper over open(P, 'rb'), 8 KiB blocks
  anything else    "hello"
"""
import json
import os
import sys
import time
from urllib.parse import parse_qs


def _send(start_response, body, ctype="text/plain"):
    if isinstance(body, str):
        body = body.encode()
    start_response("200 OK", [("Content-Type", ctype),
                              ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    q = {k: v[-1]
         for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/pid":
        return _send(start_response, str(os.getpid()))
    if path == "/osenv":
        return _send(start_response, json.dumps(dict(os.environ)),
                     "application/json")
    if path == "/env":
        env = {k: v for k, v in environ.items() if isinstance(v, str)}
        return _send(start_response, json.dumps(env), "application/json")
    if path == "/sleep":
        print("sleeping", os.getpid(), file=sys.stderr, flush=True)
        time.sleep(float(q.get("s", "1")))
        return _send(start_response, str(os.getpid()))
    if path == "/file":
        f = open(q["path"], "rb")
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length",
                                   str(os.fstat(f.fileno()).st_size))])
        return environ["wsgi.file_wrapper"](f, 8192)
    return _send(start_response, "hello")


application = app
