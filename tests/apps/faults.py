"""Apps for the lib/wsgi fault tests (tests/wsgi/check_faults.c).

  /sleep?s=SECS   logs "SLEEP-START <pid>" to stderr, sleeps, answers
  /pid            the worker's pid
  /overlong       declares Content-Length: 5 and produces 12 bytes;
                  &via=write through write(), &via=file through
                  wsgi.file_wrapper over this file
  /block          blocks forever (only the heartbeat timeout ends it)
"""
import os
import sys
import threading
import time
from urllib.parse import parse_qs


def _plain(start_response, body):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/sleep":
        sys.stderr.write("SLEEP-START %d\n" % os.getpid())
        sys.stderr.flush()
        time.sleep(float(qs.get("s", ["1"])[0]))
        return _plain(start_response, b"slept %d\n" % os.getpid())
    if path == "/overlong":
        via = qs.get("via", ["iter"])[0]
        write = start_response("200 OK", [("Content-Length", "5")])
        if via == "write":
            write(b"0123456789AB")
            return []
        if via == "file":
            return environ["wsgi.file_wrapper"](open(__file__, "rb"))
        return [b"01234", b"56789AB"]
    if path == "/block":
        threading.Event().wait()
    return _plain(start_response, str(os.getpid()).encode())
