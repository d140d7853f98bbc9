"""Apps for the lib/wsgi fault tests (tests/wsgi/check_faults.c).

  /sleep?s=SECS   logs "SLEEP-START <pid>" to stderr, sleeps, answers
  /pid            the worker's pid
  /overlong       declares Content-Length: 5 and produces 12 bytes;
                  &via=write through write(), &via=file through
                  wsgi.file_wrapper over this file
  /block          blocks forever (only the heartbeat timeout ends it)
  /fill?s=SECS    a thread takes every free fd for SECS seconds, the one of
                  this request's connection too: "FILLED" in the log once
                  that is done (0.2 s after the answer), "RELEASED" at the
                  end; meanwhile the worker cannot accept
"""
import os
import sys
import threading
import time
from urllib.parse import parse_qs


HELD = []


def _grab():
    try:
        while len(HELD) < 100000:
            HELD.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        pass


def _fill(secs, ready):
    end = time.monotonic() + secs
    full = time.monotonic() + 0.2
    _grab()
    ready.set()
    while time.monotonic() < end:
        time.sleep(0.005)
        _grab()
        if full and time.monotonic() > full:
            full = 0
            sys.stderr.write("FILLED %d\n" % len(HELD))
            sys.stderr.flush()
    while HELD:
        os.close(HELD.pop())
    sys.stderr.write("RELEASED\n")
    sys.stderr.flush()


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
    if path == "/fill":
        ready = threading.Event()
        threading.Thread(target=_fill, args=(float(qs.get("s", ["3"])[0]),
                                             ready), daemon=True).start()
        ready.wait(5)
        return _plain(start_response, b"%d\n" % len(HELD))
    return _plain(start_response, str(os.getpid()).encode())
