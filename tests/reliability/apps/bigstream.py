"""A streamed response of /?mib=N MiB (default 1024) from a generator, in
1 MiB chunks of one preallocated buffer: the app itself holds 1 MiB, so
any growth of the worker's RSS is the server's.  /pid: the worker's pid."""
import os
from urllib.parse import parse_qs

CHUNK = b"x" * (1 << 20)


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/pid":
        body = str(os.getpid()).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    mib = int(qs.get("mib", ["1024"])[0])
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(mib << 20))])

    def gen():
        for _ in range(mib):
            yield CHUNK
    return gen()
