"""Where was this module imported?  /pid answers the importing process's
pid and the serving one's, to tell --preload (the master imports) from the
default (each worker imports)."""
import json
import os

IMPORT_PID = os.getpid()


def application(environ, start_response):
    body = json.dumps({"import_pid": IMPORT_PID,
                       "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
