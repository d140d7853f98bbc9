"""C extension modules from lib-dynload, imported in the worker: they take
the Py* symbols from the process's global scope, so libpython must be
there even though prefork-wsgi loads it with dlopen(3) after the fork.
GET / answers the files they came from, one per line."""
import _decimal
import _json


def app(environ, start_response):
    body = "\n".join([_decimal.__file__, _json.__file__]).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
