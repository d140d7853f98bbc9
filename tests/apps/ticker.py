"""A background thread started at import ticks every 5 ms.  If a worker
kept the GIL while it waits for events, the ticks would stop whenever the
server is idle."""
import json
import threading
import time

TICKS = [0]


def _tick():
    while True:
        TICKS[0] += 1
        time.sleep(0.005)


threading.Thread(target=_tick, daemon=True).start()


def application(environ, start_response):
    body = json.dumps({"ticks": TICKS[0]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
