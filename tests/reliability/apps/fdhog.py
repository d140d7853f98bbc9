"""Takes every free file descriptor of the worker for a while, so that the
server's own accept() meets EMFILE: /hog?s=SECS opens /dev/null until
EMFILE, answers, and closes them all SECS seconds later (a timer thread).
/pid: the worker's pid."""
import os
import threading
from urllib.parse import parse_qs

HELD = []


def _release():
    while HELD:
        os.close(HELD.pop())


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/hog":
        qs = parse_qs(environ.get("QUERY_STRING", ""))
        secs = float(qs.get("s", ["3"])[0])
        spare = []
        for _ in range(2):          # room for the answer and the timer
            spare.append(os.open("/dev/null", os.O_RDONLY))
        try:
            while len(HELD) < 100000:
                HELD.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            pass
        for fd in spare:
            os.close(fd)
        threading.Timer(secs, _release).start()
        body = b"%d\n" % len(HELD)
    else:
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
