"""WSGI app that imports logging only inside its view
(tests/integration/test_pylogger.py): the server must not have imported
it, and gunicorn.error must be set up as soon as the app imports it.
The body: "<logging was loaded before> <gunicorn.error's level>
<its handler count>"; the view logs "late import" at INFO."""
import sys


def app(environ, start_response):
    loaded = "logging" in sys.modules
    import logging
    err = logging.getLogger("gunicorn.error")
    err.info("late import")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("%s %d %d" % (loaded, err.level, len(err.handlers))).encode()]
