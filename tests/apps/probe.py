"""PEP 3333 probe app for prefork-wsgi's tests.

Every route exercises one corner of the WSGI contract and reports what it
saw as JSON or raw bytes, so the C tests and the integration scripts can
check the server from the outside.  Routes (PATH_INFO):

  /env             environ as JSON (values: str as is, others repr'd;
                   __keys__: the keys in the dict's order)
  /echo?m=METHOD   the body read back through wsgi.input, where METHOD is
                   read (read()), readn (read(7) loop), readline,
                   readline5 (readline(5) loop), readlines, readlines_hint,
                   iter, read0, none (read(None)), twice (read() twice)
  /write           body sent through write() then an iterable
  /write_only      body sent through write() alone, returns []
  /gen             a generator yielding several chunks (chunked)
  /empty           [] (Content-Length: 0)
  /one             a one-item list
  /excinfo_replace start_response, exception, start_response(exc_info)
                   before anything was sent: the new status wins, the old
                   headers are gone
  /excinfo_late    write() then start_response(exc_info): re-raised, the
                   connection is cut
  /twice           start_response called twice without exc_info
  /raise           the app raises before start_response
  /raise_late      a generator that raises after its first chunk
  /nostart         returns a body without calling start_response
  /badheader       a header value with a newline in it
  /nonlatin        a header value that is not latin-1
  /file?path=P     wsgi.file_wrapper over open(P, 'rb') (sendfile); with
                   &skip=N the file is read N bytes first; &cl=N sets
                   Content-Length
  /filelike        wsgi.file_wrapper over a BytesIO (no fileno: iterated)
  /closing         an iterable whose close() is counted
  /closing_raise   same, raising during iteration
  /closed          the close() count so far in this worker process
  /status?s=CODE   an empty response with that status
  /sleep?s=SECS    sleeps, then answers (slow app)
  /pid             the worker's pid
  /big?n=BYTES     n bytes of 'x', as one bytes object
  /stream?n=K&size=S  K chunks of S bytes from a generator
  /keep            a kept reference to wsgi.input, read in a later request
  /barrier?n=N     waits (10 s at most) until N requests are inside it at
                   once: 200 "met" only when the server runs them together
  /slowstream?s=S  one chunk now, another after S seconds (&pid=1: the
                   first chunk is "first:PID;")
  /upload          reads wsgi.input in 64 KiB pieces: {"len", "crc32",
                   "pid"} of the body (big uploads, flat memory)
  /nobody?s=CODE   status CODE with a body (dropped on HEAD/1xx/204/304);
                   &via=write sends it through write(), &via=file through
                   wsgi.file_wrapper
  /mutate          removes SERVER_SOFTWARE from the environ, adds a key;
                   &keep=1 also keeps a reference to the environ
"""
import io
import json
import os
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs

CLOSED = {"n": 0}
KEPT = {}


def _qs(environ):
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""),
                                          keep_blank_values=True).items()}


def _json(start_response, obj, status="200 OK"):
    body = json.dumps(obj, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def env(environ, start_response):
    out = {}
    for k, v in environ.items():
        out[k] = v if isinstance(v, str) else repr(type(v)) + ":" + repr(v)
    out["__keys__"] = list(environ)            # in the dict's order
    out["__types__"] = {
        "wsgi.version": repr(environ["wsgi.version"]),
        "wsgi.input": type(environ["wsgi.input"]).__name__,
        "wsgi.errors": hasattr(environ["wsgi.errors"], "write"),
        "wsgi.multithread": environ["wsgi.multithread"],
        "wsgi.multiprocess": environ["wsgi.multiprocess"],
        "wsgi.run_once": environ["wsgi.run_once"],
        "wsgi.input_terminated": environ.get("wsgi.input_terminated"),
        "wsgi.file_wrapper": callable(environ["wsgi.file_wrapper"]),
        "gunicorn.socket": type(environ.get("gunicorn.socket")).__name__,
        "socket_fileno_ok": environ["gunicorn.socket"].fileno() >= 0,
        "str_keys": all(type(k) is str for k in environ),
        "str_values": all(type(environ[k]) is str for k in environ
                          if k.isupper()),
    }
    environ["wsgi.errors"].write("probe: env served\n")
    environ["wsgi.errors"].flush()
    return _json(start_response, out)


def echo(environ, start_response):
    m = _qs(environ).get("m", "read")
    inp = environ["wsgi.input"]
    if m == "read":
        body = inp.read()
    elif m == "none":
        body = inp.read(None)
    elif m == "readn":
        parts = []
        while True:
            b = inp.read(7)
            if not b:
                break
            parts.append(b)
        body = b"".join(parts)
    elif m == "readline":
        parts = []
        while True:
            line = inp.readline()
            if not line:
                break
            parts.append(line)
        body = b"|".join(parts)
    elif m == "readline5":
        parts = []
        while True:
            line = inp.readline(5)
            if not line:
                break
            parts.append(line)
        body = b"|".join(parts)
    elif m == "readlines":
        body = b"|".join(inp.readlines())
    elif m == "readlines_hint":
        body = b"|".join(inp.readlines(1)) + b"#" + inp.read()
    elif m == "iter":
        body = b"|".join(line for line in inp)
    elif m == "read0":
        first = inp.read(0)
        body = repr(first).encode() + b":" + inp.read()
    elif m == "twice":
        body = inp.read() + b"#" + inp.read() + b"#" + inp.readline()
    else:
        body = b"?"
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("X-Len", str(len(body)))])
    return [body]


def write(environ, start_response):
    w = start_response("200 OK", [("Content-Type", "text/plain")])
    w(b"written-1;")
    w(bytearray(b"written-2;"))
    return [b"iter-1;", b"", b"iter-2"]


def write_only(environ, start_response):
    w = start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", "11")])
    w(b"hello ")
    w(b"world")
    return []


def gen(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body():
        yield b"alpha;"
        yield b""
        yield b"beta;"
        yield b"gamma"
    return body()


def empty(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return []


def one(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"just one item"]


def excinfo_replace(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("X-Old", "must-vanish")])
    try:
        raise ValueError("handled")
    except ValueError:
        start_response("503 Service Unavailable",
                       [("Content-Type", "text/plain"), ("X-New", "yes")],
                       sys.exc_info())
    return [b"replaced"]


def excinfo_late(environ, start_response):
    w = start_response("200 OK", [("Content-Type", "text/plain")])
    w(b"partial")
    try:
        raise KeyError("late failure")
    except KeyError:
        start_response("500 Internal Server Error", [], sys.exc_info())
    return [b"never"]


def twice(environ, start_response):
    start_response("200 OK", [])
    start_response("201 Created", [])
    return [b"never"]


def raise_(environ, start_response):
    raise RuntimeError("probe raised on purpose")


def raise_late(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body():
        yield b"first chunk"
        raise RuntimeError("probe raised mid-body")
    return body()


def nostart(environ, start_response):
    return [b"no start_response"]


def badheader(environ, start_response):
    start_response("200 OK", [("X-Bad", "a\r\nInjected: yes")])
    return [b"never"]


def nonlatin(environ, start_response):
    start_response("200 OK", [("X-Bad", "\u20ac")])
    return [b"never"]


def file_(environ, start_response):
    q = _qs(environ)
    f = open(q["path"], "rb")
    if "skip" in q:
        f.read(int(q["skip"]))
    headers = [("Content-Type", "application/octet-stream")]
    if "cl" in q:
        headers.append(("Content-Length", q["cl"]))
    start_response("200 OK", headers)
    return environ["wsgi.file_wrapper"](f, 4096)


def filelike(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return environ["wsgi.file_wrapper"](io.BytesIO(b"from a BytesIO " * 3), 7)


class Closing:
    def __init__(self, parts, fail=False):
        self.parts = parts
        self.fail = fail

    def __iter__(self):
        for p in self.parts:
            yield p
        if self.fail:
            raise RuntimeError("closing_raise")

    def close(self):
        CLOSED["n"] += 1


def closing(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing([b"a", b"b"])


def closing_raise(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing([b"a"], fail=True)


def closed(environ, start_response):
    return _json(start_response, CLOSED)


def status(environ, start_response):
    s = _qs(environ).get("s", "200")
    start_response(s + " Whatever", [("Content-Type", "text/plain")])
    return []


def sleep(environ, start_response):
    time.sleep(float(_qs(environ).get("s", "1")))
    return _json(start_response, {"slept": True, "pid": os.getpid()})


def pid(environ, start_response):
    return _json(start_response, {"pid": os.getpid()})


def big(environ, start_response):
    n = int(_qs(environ).get("n", "1000000"))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"x" * n]


def stream(environ, start_response):
    q = _qs(environ)
    n, size = int(q.get("n", "10")), int(q.get("size", "1000"))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])

    def body():
        for i in range(n):
            yield bytes([97 + i % 26]) * size
    return body()


def mutate(environ, start_response):
    """Changes the environ (a key removed, one added); with ?keep=1 also
    keeps a reference to it: the next request's environ must be fresh."""
    environ.pop("SERVER_SOFTWARE", None)
    environ["probe.mark"] = "1"
    if _qs(environ).get("keep"):
        KEPT["environ"] = environ
    return _json(start_response, {"mutated": True})


def keep(environ, start_response):
    if "input" in KEPT:
        data = KEPT.pop("input").read()
        return _json(start_response, {"kept_read": data.decode("latin-1")})
    KEPT["input"] = environ["wsgi.input"]
    return _json(start_response, {"kept": True})


BARRIERS = {}
BARRIER_LOCK = threading.Lock()


def barrier(environ, start_response):
    n = int(_qs(environ).get("n", "2"))
    with BARRIER_LOCK:
        b = BARRIERS.setdefault(n, threading.Barrier(n))
    try:
        b.wait(10)
        out = b"met"
    except threading.BrokenBarrierError:
        out = b"broken"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [out]


def slowstream(environ, start_response):
    q = _qs(environ)
    secs = float(q.get("s", "1"))
    first = b"first:%d;" % os.getpid() if "pid" in q else b"first;"
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body():
        yield first
        time.sleep(secs)
        yield b"second"
    return body()


def upload(environ, start_response):
    inp = environ["wsgi.input"]
    n, crc = 0, 0
    while True:
        b = inp.read(65536)
        if not b:
            break
        n += len(b)
        crc = zlib.crc32(b, crc)
    return _json(start_response, {"len": n, "crc32": crc,
                                  "pid": os.getpid()})


def nobody(environ, start_response):
    q = _qs(environ)
    via = q.get("via", "iter")
    w = start_response(q.get("s", "200") + " Whatever",
                       [("Content-Type", "text/plain")])
    if via == "write":
        w(b"written body")
        return [b"", b"more"]
    if via == "file":
        return environ["wsgi.file_wrapper"](open(__file__, "rb"), 4096)
    return [b"first", b"second"]


ROUTES = {
    "/env": env, "/echo": echo, "/write": write, "/write_only": write_only,
    "/gen": gen, "/empty": empty, "/one": one,
    "/excinfo_replace": excinfo_replace, "/excinfo_late": excinfo_late,
    "/twice": twice, "/raise": raise_, "/raise_late": raise_late,
    "/nostart": nostart, "/badheader": badheader, "/nonlatin": nonlatin,
    "/file": file_, "/filelike": filelike, "/closing": closing,
    "/closing_raise": closing_raise, "/closed": closed, "/status": status,
    "/sleep": sleep, "/pid": pid, "/big": big, "/stream": stream,
    "/keep": keep, "/barrier": barrier, "/slowstream": slowstream,
    "/upload": upload, "/nobody": nobody, "/mutate": mutate,
}


def application(environ, start_response):
    route = ROUTES.get(environ["PATH_INFO"])
    if route is None:
        return _json(start_response, {"path": environ["PATH_INFO"]},
                     "404 Not Found")
    return route(environ, start_response)


app = application
