"""What a WSGI app costs by itself: call it in-process N times, no server.

usage: /usr/bin/python3 bench/appcost.py [-n N] [-t SECONDS] MODULE[:APP]...

For each app: build a minimal GET environ (what a server would pass for
"GET / HTTP/1.1" from 127.0.0.1), call app(environ, start_response) with a
start_response that only keeps its arguments, iterate the result, close it,
and repeat.  Prints one line per app:

    APPCOST module=flask_hello calls=N us_per_call=X cpu_us_per_call=Y
            frame_us_per_call=Z

us_per_call is wall time and cpu_us_per_call process CPU time, both with the
loop's own frame (copying the environ template, a new BytesIO) subtracted;
frame_us_per_call is that frame, measured with the same loop and a do-nothing
app.  The best of 3 rounds is kept (the least disturbed by other load).
The current directory is put first on sys.path, as gunicorn does.

--copy adds a yardstick line, "COPY64K us_per_copy=X": what one copy of a
64 KiB body into a new bytes object costs here (the unit to read the echo
rows with).
"""
import argparse
import importlib
import io
import os
import sys
import time

ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "RAW_URI": "/",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "40000",
    "HTTP_HOST": "127.0.0.1:8000",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


def null_app(environ, start_response):
    return ()


def loop(app, n):
    """Run n calls; return (wall seconds, cpu seconds)."""
    template = ENVIRON
    status = []

    def start_response(st, headers, exc_info=None):
        status.append(st)
        return None

    w0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(n):
        env = dict(template)
        env["wsgi.input"] = io.BytesIO(b"")
        res = app(env, start_response)
        try:
            for _chunk in res:
                pass
        finally:
            close = getattr(res, "close", None)
            if close is not None:
                close()
    c1 = time.process_time()
    w1 = time.perf_counter()
    if app is not null_app and not status:
        raise RuntimeError("app never called start_response")
    if status and not status[-1].startswith("200"):
        raise RuntimeError("app answered %r" % status[-1])
    return w1 - w0, c1 - c0


def calibrate(app, seconds):
    """Calls that take about `seconds`, at least 1000."""
    n = 100
    while True:
        wall, _ = loop(app, n)
        if wall >= seconds / 10 or n >= 10_000_000:
            break
        n *= 4
    return max(1000, int(n * seconds / max(wall, 1e-6) / 3))


def best(app, n, rounds=3):
    walls, cpus = [], []
    for _ in range(rounds):
        w, c = loop(app, n)
        walls.append(w)
        cpus.append(c)
    return min(walls) / n, min(cpus) / n


def copy_cost(n=20000, rounds=3):
    """Seconds per bytes(bytearray(65536)), the best of some rounds."""
    src = bytearray(65536)
    small = bytearray(1)
    best_ = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            bytes(src)
        t1 = time.perf_counter()
        for _ in range(n):
            bytes(small)
        t2 = time.perf_counter()
        best_ = min(best_, ((t1 - t0) - (t2 - t1)) / n)
    return best_


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=0, help="calls per round")
    ap.add_argument("-t", type=float, default=1.0,
                    help="seconds per app when -n is not given")
    ap.add_argument("--copy", action="store_true",
                    help="also time one 64 KiB copy into bytes")
    ap.add_argument("apps", nargs="*")
    a = ap.parse_args(argv[1:])
    sys.path.insert(0, os.getcwd())
    if a.copy:
        print("COPY64K us_per_copy=%.2f" % (copy_cost() * 1e6))
    for spec in a.apps:
        mod, _, attr = spec.partition(":")
        app = getattr(importlib.import_module(mod), attr or "app")
        n = a.n or calibrate(app, a.t)
        loop(app, min(n, 1000))                 # warm caches, lazy imports
        fw, fc = best(null_app, n)
        aw, ac = best(app, n)
        print("APPCOST module=%s calls=%d us_per_call=%.2f"
              " cpu_us_per_call=%.2f frame_us_per_call=%.2f"
              % (mod, n, (aw - fw) * 1e6, (ac - fc) * 1e6, fw * 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
