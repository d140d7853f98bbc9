"""Takes every free file descriptor of the worker for a while, so that the
server's own accept() meets EMFILE: /hog?s=SECS starts a thread that, for
SECS seconds, opens /dev/null until EMFILE and takes again every fd that
frees up (the one of the /hog connection itself included: 0.2 s after the
answer it logs FDHOG-FULL, and from then on even a sync worker, which
needs a single fd, cannot accept), then closes them all.  /pid: the
worker's pid."""
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


def _hog(secs, ready):
    end = time.monotonic() + secs
    full = time.monotonic() + 0.2
    _grab()
    ready.set()
    while time.monotonic() < end:
        time.sleep(0.005)
        _grab()
        if full and time.monotonic() > full:
            full = 0
            sys.stderr.write("FDHOG-FULL %d\n" % len(HELD))
            sys.stderr.flush()
    while HELD:
        os.close(HELD.pop())


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/hog":
        qs = parse_qs(environ.get("QUERY_STRING", ""))
        secs = float(qs.get("s", ["3"])[0])
        ready = threading.Event()
        threading.Thread(target=_hog, args=(secs, ready), daemon=True).start()
        ready.wait(5)
        body = b"%d\n" % len(HELD)
    else:
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
