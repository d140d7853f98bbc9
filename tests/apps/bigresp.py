"""Big responses for the back-pressure tests (tests/wsgi/check_backpressure.c).

Every body is the same pattern: the byte at offset k is
(k // 65536 % 251 + k % 65536) % 256, so a dropped, repeated or reordered
64 KiB block shows.  Each block handed to the server is a fresh bytes
object: a server that queued the whole body would hold all of it.
Lines on stderr (the test's log) say when a response starts and when its
iterable is closed.
"""
import os
import socket
import sys
import tempfile

BLOCK = 65536
PATTERN = [bytes((j + x) % 256 for x in range(BLOCK)) for j in range(251)]


def _qs(environ):
    out = {}
    for part in environ.get("QUERY_STRING", "").split("&"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v
    return out


def _say(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def block(i):
    return bytes(memoryview(PATTERN[i % 251]))


class Blocks:
    """n blocks; close() says so in the log (once per call)."""

    def __init__(self, tag, n):
        self.tag = tag
        self.n = n
        self.i = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.i >= self.n:
            raise StopIteration
        self.i += 1
        return block(self.i - 1)

    def close(self):
        _say("BIGCLOSE %s after %d" % (self.tag, self.i))


def gen(environ, start_response):
    q = _qs(environ)
    tag, n = q.get("id", "-"), int(q.get("n", "512"))
    headers = [("Content-Type", "application/octet-stream")]
    if "cl" in q:
        headers.append(("Content-Length", str(n * BLOCK)))
    _say("BIGSTART %s" % tag)
    start_response("200 OK", headers)
    return Blocks(tag, n)


def write(environ, start_response):
    q = _qs(environ)
    tag, n = q.get("id", "-"), int(q.get("n", "512"))
    _say("BIGSTART %s" % tag)
    w = start_response("200 OK",
                       [("Content-Type", "application/octet-stream")])
    for i in range(n):
        w(block(i))
    _say("BIGWRITTEN %s" % tag)
    return []


def file_(environ, start_response):
    q = _qs(environ)
    tag, n = q.get("id", "-"), int(q.get("n", "512"))
    fd, path = tempfile.mkstemp()
    with os.fdopen(fd, "wb") as f:
        for i in range(n):
            f.write(PATTERN[i % 251])
    f = open(path, "rb")
    os.unlink(path)
    _say("BIGSTART %s" % tag)
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(n * BLOCK))])
    return environ["wsgi.file_wrapper"](f, BLOCK)


SERVED = {}


def fair(environ, start_response):
    """Blocks until /small?id=b has been served, at most n of them.

    After the first 16 blocks this app sends that request itself, on a
    connection of its own to its own server, so the request waits in the
    listen queue while the response streams to a reader that keeps up.
    The log line says after how many blocks it was served (-1: never).
    """
    q = _qs(environ)
    tag, n = q.get("id", "-"), int(q.get("n", "4096"))
    port = int(environ["SERVER_PORT"])
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    _say("BIGSTART %s" % tag)

    def body():
        sock, at = None, -1
        for i in range(n):
            if i == 16:
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"GET /small?id=b HTTP/1.1\r\nHost: x\r\n"
                             b"Connection: close\r\n\r\n")
                sent = i
            if i > 16 and SERVED.get("b"):
                at = i - sent
                break
            yield block(i)
        _say("FAIR %s served b %d blocks after asking" % (tag, at))
        if sock is not None:
            sock.close()
    return body()


def pid(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


def small(environ, start_response):
    tag = _qs(environ).get("id", "-")
    SERVED[tag] = True
    _say("SMALL %s" % tag)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello " + tag.encode()]


ROUTES = {"/gen": gen, "/fair": fair, "/write": write, "/file": file_, "/pid": pid,
          "/small": small}


def app(environ, start_response):
    route = ROUTES.get(environ["PATH_INFO"], small)
    return route(environ, start_response)
