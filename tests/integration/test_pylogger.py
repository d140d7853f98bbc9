"""Integration tests: without any logconfig, the Python loggers
gunicorn.error and gunicorn.access exist in every process that runs
Python, as gunicorn's glogging.Logger.setup() leaves them, so app code
that logs to them or borrows their handlers writes to the server's error
log in gunicorn's format.

Run by `make check-wsgi-integration` with Debian's /usr/bin/python3 (the
interpreter the server embeds), PREFORK_WSGI naming the binary.  The real
binary serves tests/apps/flask_logger.py (Debian's Flask), which at import
time does what Flask's documentation suggests:

    app.logger.handlers = logging.getLogger('gunicorn.error').handlers
    app.logger.setLevel(logging.getLogger('gunicorn.error').level)

  * app.logger.info() and app.logger.exception() land in --error-logfile
    as "[time] [pid] [LEVEL] message" (the worker's pid), the traceback
    after the ERROR line, on sync, ev and gthread;
  * the app's own formatter on a borrowed handler, or a level of its own,
    is written as gunicorn writes it (Python formats the whole line);
  * gunicorn.error's level is --log-level's (INFO, or DEBUG with --log-level
    debug), gunicorn.access's INFO, neither propagates; gunicorn.access has
    a handler only with an access log, which then takes its records;
  * the same with the app imported in the master (--preload) and with a
    configuration file (Python in the master before the logs open);
  * a worker whose app imports logging late (tests/apps/lazy_logging.py)
    finds it not imported, then set up as soon as it is;
  * USR1 (logrotate) and HUP (a configuration file's new loglevel) keep
    working for those handlers;
  * Debian's gunicorn (when installed) run on the same app with the same
    flags writes the same app lines, modulo times and pids.

Synchronisation is on log lines (a file written by the server, polled with
a deadline: there is nothing to block on) and process exits; nothing
sleeps to wait for the server.
"""
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_logconfig import (GUNICORN, KINDS, TIME, Server,  # noqa: E402
                            get, read_text)

APP = "flask_logger:app"
BOOT = r"\[INFO\] Booting worker with pid: (\d+)$"
TRACEBACK = (r"\[ERROR\] view failed: division\n"
             r"Traceback \(most recent call last\):\n"
             r"(?:  .*\n)+"
             r"ZeroDivisionError: division by zero\n")


def have_flask():
    try:
        import flask  # noqa: F401
    except ImportError:
        return False
    return True


@unittest.skipUnless(have_flask(), "Flask (python3-flask) is not installed")
class PyLoggerTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pfw-pylogger-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, args, kind="sync", app=APP, **kw):
        """A server whose error log is out.log (Server.text())."""
        log = os.path.join(self.tmp, "out.log")
        if os.path.exists(log):
            os.unlink(log)
        s = Server(self.tmp, ["--error-logfile", log] + list(args),
                   kind=kind, app=app, **kw)
        self.servers.append(s)
        return s

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def state(self, s):
        status, body = get(s.port, "/state")
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def booted(self, s, count=1):
        return int(s.wait_line(TIME + r" \[\d+\] " + BOOT,
                               count=count).group(1))

    def test_flask_pattern_every_kind(self):
        """app.logger with gunicorn.error's handlers: the INFO line in
        gunicorn's format with the worker's pid, the exception's traceback
        right after its ERROR line."""
        for kind in KINDS:
            with self.subTest(kind=kind):
                s = self.start([], kind=kind)
                worker = self.booted(s)
                self.assertEqual(get(s.port), (200, b"ok"))
                self.assertEqual(get(s.port, "/fail"), (200, b"logged"))
                s.wait_line(r"^ZeroDivisionError: division by zero$")
                self.assertEqual(s.stop(), 0)
                text = s.text()
                self.assertRegex(text, r"(?m)^%s \[%d\] \[INFO\] hello from "
                                 r"flask$" % (TIME, worker))
                self.assertRegex(text, r"(?m)^%s \[%d\] %s"
                                 % (TIME, worker, TRACEBACK))
                # nothing went to Python's last-resort handler on stderr
                self.assertNotIn("view failed", read_text(s.stderr))

    def test_app_formatter_and_level(self):
        """The app's own formatter on a borrowed handler makes the whole
        line, as in gunicorn; a level of its own keeps its name."""
        s = self.start([], kind="ev")
        worker = self.booted(s)
        self.assertEqual(get(s.port, "/formatted"), (200, b"ok"))
        self.assertEqual(get(s.port, "/level25"), (200, b"ok"))
        self.assertEqual(get(s.port), (200, b"ok"))
        s.wait_line(r"\[INFO\] hello from flask$")
        self.assertEqual(s.stop(), 0)
        text = s.text()
        self.assertRegex(text, r"(?m)^custom\|WARNING\|flask_logger\|"
                         r"formatted by the app$")
        self.assertRegex(text, r"(?m)^%s \[%d\] \[Level 25\] level 25 from "
                         r"flask$" % (TIME, worker))
        # the app's formatter was put back: gunicorn's again
        self.assertRegex(text, r"(?m)^%s \[%d\] \[INFO\] hello from flask$"
                         % (TIME, worker))

    def test_levels_default(self):
        s = self.start([], kind="gthread")
        self.booted(s)
        self.assertEqual(self.state(s), {
            "error_level": 20, "access_level": 20,
            "error_propagate": False, "access_propagate": False,
            "error_handlers": 1, "access_handlers": 0, "app_level": 20})
        # INFO: app.logger.debug() is dropped
        self.assertEqual(get(s.port, "/debug"), (200, b"ok"))
        self.assertEqual(get(s.port), (200, b"ok"))
        s.wait_line(r"\[INFO\] hello from flask$")
        self.assertEqual(s.stop(), 0)
        self.assertNotIn("debug from flask", s.text())

    def test_log_level_debug(self):
        s = self.start(["--log-level", "debug"], kind="ev")
        self.booted(s)
        st = self.state(s)
        self.assertEqual((st["error_level"], st["app_level"]), (10, 10))
        self.assertEqual(get(s.port, "/debug"), (200, b"ok"))
        s.wait_line(TIME + r" \[\d+\] \[DEBUG\] debug from flask$")
        self.assertEqual(s.stop(), 0)

    def test_access_logger_with_an_access_log(self):
        """gunicorn.access gets gunicorn's handler only with an access log;
        a record logged to it is written there as its bare message."""
        acc = os.path.join(self.tmp, "access.log")
        s = self.start(["--access-logfile", acc])
        self.booted(s)
        self.assertEqual(self.state(s)["access_handlers"], 1)
        self.assertEqual(get(s.port, "/direct"), (200, b"ok"))
        s.wait_line(r"^direct access line$", acc)
        s.wait_line(TIME + r" \[\d+\] \[WARNING\] direct warning 42$")
        self.assertEqual(s.stop(), 0)
        self.assertRegex(read_text(acc), r'"GET /direct HTTP/1\.1" 200 2 ')

    def test_preload(self):
        """The app imported in the master: the loggers exist there before
        the import, and the workers inherit them."""
        s = self.start(["--preload", "--log-level", "debug"], kind="ev")
        worker = self.booted(s)
        self.assertEqual(self.state(s)["app_level"], 10)
        self.assertEqual(get(s.port), (200, b"ok"))
        s.wait_line(r"^%s \[%d\] \[INFO\] hello from flask$"
                    % (TIME, worker))
        self.assertEqual(s.stop(), 0)

    def test_config_file_and_hup(self):
        """A configuration file runs Python in the master before the logs
        open; HUP with a new loglevel gives the new workers that level.
        With and without logging imported by the file (set up at once in
        the master, or when the app imports it in the worker)."""
        for head in ("", "import logging\n"):
            with self.subTest(imports=head):
                self.config_file_and_hup(head)

    def config_file_and_hup(self, head):
        conf = self.write("conf.py", head + "loglevel = 'info'\n")
        s = self.start(["-c", conf])
        old = self.booted(s)
        self.assertEqual(self.state(s)["error_level"], 20)
        self.write("conf.py", head + "loglevel = 'debug'\n")
        s.proc.send_signal(signal.SIGHUP)
        self.booted(s, count=2)
        # the old worker no longer accepts
        s.wait_line(r"\[INFO\] Worker exiting \(pid: %d\)$" % old)
        st = self.state(s)
        self.assertEqual((st["error_level"], st["app_level"]), (10, 10))
        self.assertEqual(get(s.port, "/debug"), (200, b"ok"))
        s.wait_line(TIME + r" \[\d+\] \[DEBUG\] debug from flask$")
        self.assertEqual(s.stop(), 0)

    def test_usr1_reopens(self):
        """logrotate: the file is moved, USR1; the app's next line goes to
        the new file (the C writer reopened it)."""
        for kind in KINDS:
            with self.subTest(kind=kind):
                s = self.start(["--log-level", "debug"], kind=kind)
                self.booted(s)
                self.assertEqual(get(s.port), (200, b"ok"))
                s.wait_line(r"\[INFO\] hello from flask$")
                old = s.log + ".1"
                os.rename(s.log, old)
                s.proc.send_signal(signal.SIGUSR1)
                # the worker logs this (to the moved file) as it reopens;
                # it accepts the next connection once it has
                s.wait_line(r"\[DEBUG\] reopening log files$", old)
                self.assertEqual(get(s.port), (200, b"ok"))
                s.wait_line(r"\[INFO\] hello from flask$")
                self.assertEqual(s.stop(), 0)
                self.assertEqual(read_text(old).count("hello from flask"), 1)

    def test_logging_imported_late(self):
        """An app that imports logging only in its view: the server did not
        import it (a worker whose app never logs does not pay for it), and
        gunicorn.error is gunicorn's as soon as the app imports it."""
        for kind in KINDS:
            with self.subTest(kind=kind):
                s = self.start([], kind=kind, app="lazy_logging:app")
                worker = self.booted(s)
                self.assertEqual(get(s.port), (200, b"False 20 1"))
                s.wait_line(r"^%s \[%d\] \[INFO\] late import$"
                            % (TIME, worker))
                self.assertEqual(get(s.port), (200, b"True 20 1"))
                self.assertEqual(s.stop(), 0)

    @unittest.skipUnless(os.access(GUNICORN, os.X_OK), "no " + GUNICORN)
    def test_same_lines_as_gunicorn(self):
        """Debian's gunicorn on the same app with the same flags: the app's
        lines are the same, modulo times and pids."""
        got = {}
        for name, binary in (("gunicorn", GUNICORN), ("ours", None)):
            kw = {"binary": binary} if binary else {}
            s = self.start(["--log-level", "debug"], **kw)
            self.booted(s)
            for path in ("/", "/debug", "/fail", "/formatted", "/level25",
                         "/direct"):
                self.assertEqual(get(s.port, path)[0], 200)
            s.wait_line(r"\[WARNING\] direct warning 42$")
            self.assertEqual(s.stop(), 0)
            text = re.sub(TIME + r" \[\d+\] ", "[T] [P] ", s.text())
            # gunicorn's sync worker logs each request line at DEBUG
            # (prefork-wsgi does not: not the app's lines)
            text = re.sub(r"(?m)^\[T\] \[P\] \[DEBUG\] GET /.*\n", "",
                          text)
            text = re.sub(r'File "[^"]*", line \d+', "File", text)
            start = text.index("[T] [P] [INFO] hello from flask")
            end = text.index("direct warning 42\n") + 18
            got[name] = text[start:end]
        self.assertIn("[T] [P] [DEBUG] debug from flask\n", got["ours"])
        self.assertIn("ZeroDivisionError", got["ours"])
        self.assertIn("\ncustom|WARNING|flask_logger|formatted by the app\n",
                      got["ours"])
        self.assertIn("\n[T] [P] [Level 25] level 25 from flask\n",
                      got["ours"])
        self.assertEqual(got["ours"], got["gunicorn"])


if __name__ == "__main__":
    unittest.main()
