"""Flask app that borrows gunicorn's error logger, as Flask's documentation
and countless deployments do (tests/integration/test_pylogger.py):

    gunicorn_logger = logging.getLogger('gunicorn.error')
    app.logger.handlers = gunicorn_logger.handlers
    app.logger.setLevel(gunicorn_logger.level)

at import time, so the loggers must exist before the app is imported.

Routes:
  /          app.logger.info("hello from flask"), then "ok"
  /debug     app.logger.debug("debug from flask"), then "ok"
  /fail      app.logger.exception() on a caught ZeroDivisionError
  /direct    logging.getLogger("gunicorn.error").warning(...) and
             logging.getLogger("gunicorn.access").info(...)
  /formatted app.logger.warning() while the app's own formatter is on the
             borrowed handler (restored afterwards)
  /level25   app.logger.log(25, ...): a level between two standard ones
  /state     gunicorn.error's and gunicorn.access's level, propagate and
             handler count, and app.logger's level, as JSON
"""
import logging

from flask import Flask, jsonify

app = Flask(__name__)

gunicorn_logger = logging.getLogger("gunicorn.error")
app.logger.handlers = gunicorn_logger.handlers
app.logger.setLevel(gunicorn_logger.level)


@app.route("/")
def index():
    app.logger.info("hello from flask")
    return "ok"


@app.route("/debug")
def debug():
    app.logger.debug("debug from flask")
    return "ok"


@app.route("/fail")
def fail():
    try:
        1 / 0
    except ZeroDivisionError:
        app.logger.exception("view failed: %s", "division")
    return "logged"


@app.route("/direct")
def direct():
    logging.getLogger("gunicorn.error").warning("direct warning %d", 42)
    logging.getLogger("gunicorn.access").info("direct access line")
    return "ok"


@app.route("/formatted")
def formatted():
    handler = app.logger.handlers[0]
    old = handler.formatter
    handler.setFormatter(logging.Formatter("custom|%(levelname)s|%(name)s|"
                                           "%(message)s"))
    try:
        app.logger.warning("formatted by the app")
    finally:
        handler.setFormatter(old)
    return "ok"


@app.route("/level25")
def level25():
    app.logger.log(25, "level 25 from flask")
    return "ok"


@app.route("/state")
def state():
    err = logging.getLogger("gunicorn.error")
    acc = logging.getLogger("gunicorn.access")
    return jsonify(error_level=err.level, access_level=acc.level,
                   error_propagate=err.propagate,
                   access_propagate=acc.propagate,
                   error_handlers=len(err.handlers),
                   access_handlers=len(acc.handlers),
                   app_level=app.logger.level)
