"""Sleeps, then answers with the worker's pid: a request that stays in
flight.  /?s=SECS (default 2).  "SLEEP-START <pid>" goes to stderr (the
server's log) as the sleep begins, so a driver knows the request is in
flight without guessing.  /pid answers at once."""
import os
import sys
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    secs = float(qs.get("s", ["2"])[0])
    if environ.get("PATH_INFO") == "/pid":
        secs = 0
    if secs > 0:
        sys.stderr.write("SLEEP-START %d\n" % os.getpid())
        sys.stderr.flush()
        time.sleep(secs)
    body = ("slept %s in %d\n" % (secs, os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
