"""Integration tests: --log-config, --log-config-json and logconfig_dict
hand the server's log lines to Python's logging, as gunicorn's
Logger.setup() does.

Run by `make check-wsgi-integration` with Debian's /usr/bin/python3 (the
interpreter the server embeds), PREFORK_WSGI naming the binary.  The real
binary serves tests/apps/logapp.py on a loopback port:

  * an INI file (fileConfig) with a FileHandler and the format
    "%(levelname)s|%(name)s|%(message)s": the master's and the worker's
    gunicorn.error lines and a gunicorn.access line per request, on sync,
    ev and gthread; an exception logged with its traceback (exc_info);
  * the same configuration as logconfig_dict in a configuration file and
    as a --log-config-json file; a dict merged over gunicorn's defaults
    (both access handlers: the line twice on stdout, as gunicorn);
  * a configuration that leaves gunicorn.error alone keeps gunicorn's own
    error log and --log-level, and its syslog handlers (checked against
    gunicorn 20.1 by hand: a dict without "loggers" gets gunicorn's
    defaults, which replace them);
  * the access record is gunicorn's: a formatter reads record.args; the
    line Python renders equals the one lib/log renders without a
    logconfig;
  * a missing INI file: gunicorn's message and status; a missing JSON file
    is ignored, as in gunicorn;
  * USR1 reopens the configuration's FileHandlers (logrotate); HUP
    applies the new configuration; --capture-output and the StatsD log
    counters work as without a logconfig;
  * Debian's gunicorn (when installed) run with the same INI file writes
    the same lines, modulo pids, times, ports and the version line.

Synchronisation is on log lines (a file written by the server, polled with
a deadline: there is nothing to block on) and process exits; nothing
sleeps to wait for the server.
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(os.path.dirname(HERE), "apps")
BINARY = os.environ.get("PREFORK_WSGI", os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "build", "prefork-wsgi"))
GUNICORN = "/usr/bin/gunicorn"
KINDS = ("sync", "ev", "gthread")
DEADLINE = 30
FMT = "%(levelname)s|%(name)s|%(message)s"
ATIME = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]"
TIME = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\]"

INI = """[loggers]
keys=root,error,access

[handlers]
keys=file

[formatters]
keys=plain

[logger_root]
level=INFO
handlers=

[logger_error]
level={level}
handlers=file
propagate=0
qualname=gunicorn.error

[logger_access]
level=INFO
handlers=file
propagate=0
qualname=gunicorn.access

[handler_file]
class=FileHandler
formatter=plain
args=('%(here)s/out.log', 'a')

[formatter_plain]
format={fmt}
"""


def file_dict(path, level="INFO"):
    """The INI's configuration as a dictConfig dictionary."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["file"],
                               "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["file"],
                                "propagate": False},
        },
        "handlers": {
            "file": {"class": "logging.FileHandler", "formatter": "plain",
                     "filename": path},
        },
        "formatters": {"plain": {"format": FMT}},
    }


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_for(check, what, timeout=DEADLINE):
    """Poll check() until it returns something true (the log file is
    written by another process: there is nothing to block on)."""
    end = time.monotonic() + timeout
    while True:
        r = check()
        if r:
            return r
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


def get(port, path="/"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Server:
    """A server (ours, or gunicorn) whose stdout and stderr go to files in
    its temporary directory, next to the configuration's out.log."""

    def __init__(self, tmp, args, kind="sync", binary=BINARY,
                 app="logapp:app"):
        self.tmp = tmp
        self.port = free_port()
        self.log = os.path.join(tmp, "out.log")
        self.stdout = os.path.join(tmp, "stdout")
        self.stderr = os.path.join(tmp, "stderr")
        cmd = [binary, "-b", "127.0.0.1:%d" % self.port, "-k", kind,
               "--graceful-timeout", "10"] + list(args) + [app]
        env = clean_env()
        env["PYTHONPATH"] = APPS
        with open(self.stdout, "wb") as o, open(self.stderr, "wb") as e:
            self.proc = subprocess.Popen(cmd, cwd=APPS, env=env,
                                         stdin=subprocess.DEVNULL,
                                         stdout=o, stderr=e)

    def text(self):
        return read_text(self.log)

    def wait_line(self, pattern, path=None, count=1):
        rx = re.compile(pattern, re.M)

        def found():
            if self.proc.poll() is not None:
                raise AssertionError("server exited (%s): %s\n%s"
                                     % (self.proc.returncode,
                                        read_text(self.stderr),
                                        read_text(path or self.log)))
            m = list(rx.finditer(read_text(path or self.log)))
            return m[count - 1] if len(m) >= count else None
        return wait_for(found, pattern)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(DEADLINE)
        finally:
            self.check_sanitizer()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(DEADLINE)

    def check_sanitizer(self):
        err = read_text(self.stderr)
        if "AddressSanitizer" in err or "runtime error:" in err:
            raise AssertionError("sanitizer report:\n" + err)


class LogConfigTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pfw-logconfig-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, args, kind="sync", **kw):
        s = Server(self.tmp, args, kind=kind, **kw)
        self.servers.append(s)
        return s

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ini(self, level="INFO"):
        # fileConfig reads formats raw: no %% escaping
        return self.write("log.ini", INI.format(level=level, fmt=FMT))

    def serve_one(self, s):
        """Boot, one request, stop: the lines of out.log."""
        m = s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker with pid: "
                        r"(\d+)$")
        worker = int(m.group(1))
        self.assertEqual(get(s.port), (200, b"hello"))
        s.wait_line(r"^INFO\|gunicorn\.access\|")
        self.assertEqual(s.stop(), 0)
        return worker, s.text().splitlines()

    def check_lines(self, s, worker, lines, kind="sync"):
        master = s.proc.pid
        self.assertNotEqual(worker, master)
        self.assertIn("INFO|gunicorn.error|Listening at: "
                      "http://127.0.0.1:%d (%d)" % (s.port, master), lines)
        self.assertIn("INFO|gunicorn.error|Using worker: %s" % kind, lines)
        self.assertIn("INFO|gunicorn.error|Worker exiting (pid: %d)" % worker,
                      lines)
        access = [x for x in lines if x.startswith("INFO|gunicorn.access|")]
        self.assertEqual(len(access), 1, lines)
        self.assertRegex(access[0], r"^INFO\|gunicorn\.access\|127\.0\.0\.1 "
                         r"- - " + ATIME + r' "GET / HTTP/1\.1" 200 5 "-" '
                         r'"-"$')
        # gunicorn's own stderr handler was replaced by the file's
        self.assertNotIn("Listening at", read_text(s.stderr))

    def test_ini_every_kind(self):
        ini = self.ini()
        for kind in KINDS:
            with self.subTest(kind=kind):
                if os.path.exists(os.path.join(self.tmp, "out.log")):
                    os.unlink(os.path.join(self.tmp, "out.log"))
                s = self.start(["--log-config", ini], kind=kind)
                worker, lines = self.serve_one(s)
                self.check_lines(s, worker, lines, kind)

    def test_exception_with_traceback(self):
        """log.exception(): the record carries exc_info, the formatter
        appends the traceback after the message."""
        for kind in KINDS:
            with self.subTest(kind=kind):
                self.exception_on(kind)

    def exception_on(self, kind):
        if os.path.exists(os.path.join(self.tmp, "out.log")):
            os.unlink(os.path.join(self.tmp, "out.log"))
        s = self.start(["--log-config", self.ini()], kind=kind)
        s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker")
        self.assertEqual(get(s.port, "/raise")[0], 500)
        s.wait_line(r"^RuntimeError: app failure$")
        self.assertEqual(s.stop(), 0)
        text = s.text()
        self.assertRegex(text, r"(?m)^ERROR\|gunicorn\.error\|Error handling "
                         r"request GET /raise\nTraceback \(most recent call "
                         r"last\):\n")
        self.assertRegex(text, r"(?m)^INFO\|gunicorn\.access\|.*"
                         r'"GET /raise HTTP/1\.1" 500 ')

    def test_logconfig_dict(self):
        path = os.path.join(self.tmp, "out.log")
        conf = self.write("conf.py", "logconfig_dict = %r\n"
                          % file_dict(path))
        s = self.start(["-c", conf])
        worker, lines = self.serve_one(s)
        self.check_lines(s, worker, lines)

    def test_logconfig_json(self):
        path = os.path.join(self.tmp, "out.log")
        js = self.write("log.json", json.dumps(file_dict(path)))
        s = self.start(["--log-config-json", js], kind="gthread")
        worker, lines = self.serve_one(s)
        self.check_lines(s, worker, lines, "gthread")

    def test_dict_wins_over_files(self):
        """gunicorn's order: logconfig_dict, then JSON, then INI."""
        path = os.path.join(self.tmp, "out.log")
        conf = self.write("conf.py", "logconfig_dict = %r\n"
                          % file_dict(path))
        s = self.start(["-c", conf, "--log-config",
                        os.path.join(self.tmp, "missing.ini")])
        worker, lines = self.serve_one(s)
        self.check_lines(s, worker, lines)

    def test_defaults_merged(self):
        """A dict without loggers gets gunicorn's: gunicorn.error on stderr
        and gunicorn.access on stdout in gunicorn's format, and the access
        line also propagates to the root's stdout handler (twice, as in
        gunicorn)."""
        conf = self.write("conf.py", "logconfig_dict = {'root': "
                          "{'level': 'INFO', 'handlers': ['console']}}\n")
        s = self.start(["-c", conf])
        s.wait_line(TIME + r" \[\d+\] \[INFO\] Booting worker", s.stderr)
        self.assertEqual(get(s.port), (200, b"hello"))
        s.wait_line(r'"GET / HTTP/1\.1" 200', s.stdout, count=2)
        self.assertEqual(s.stop(), 0)
        out = read_text(s.stdout).splitlines()
        access = [x for x in out if '"GET / HTTP/1.1"' in x]
        self.assertEqual(len(access), 2, out)
        for line in access:
            self.assertRegex(line, "^" + TIME + r" \[\d+\] \[INFO\] "
                             r"127\.0\.0\.1 - - " + ATIME)
        # gunicorn.error propagates too: its lines on stderr and stdout
        listening = TIME + r" \[%d\] \[INFO\] Listening at: " % s.proc.pid
        self.assertRegex(read_text(s.stderr), listening)
        self.assertRegex(read_text(s.stdout), listening)
        self.assertNotIn("127.0.0.1 - -", read_text(s.stderr))


    def test_error_log_left_alone(self):
        """A configuration that only configures gunicorn.access: the error
        log keeps gunicorn's handler, format and --log-level."""
        path = os.path.join(self.tmp, "out.log")
        d = file_dict(path)
        del d["loggers"]["gunicorn.error"]
        js = self.write("log.json", json.dumps(d))
        s = self.start(["--log-config-json", js, "--log-level", "warning"])
        self.assertEqual(get_when_up(s), (200, b"hello"))
        s.wait_line(r"^INFO\|gunicorn\.access\|")
        self.assertEqual(get(s.port, "/raise")[0], 500)
        s.wait_line(r"RuntimeError: app failure", s.stderr)
        self.assertEqual(s.stop(), 0)
        err = read_text(s.stderr)
        self.assertNotIn("Listening at", err)          # INFO < warning
        self.assertRegex(err, TIME + r" \[\d+\] \[ERROR\] Error handling "
                         r"request GET /raise\nTraceback")
        self.assertNotIn("gunicorn.error", s.text())

    def test_missing_ini(self):
        missing = os.path.join(self.tmp, "nope.ini")
        p = subprocess.run([BINARY, "--log-config", missing, "logapp:app"],
                           cwd=APPS, env=clean_env(), capture_output=True,
                           timeout=DEADLINE)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, ("\nError: Error: log config '%s' not "
                                    "found\n\n" % missing).encode())
        if os.access(GUNICORN, os.X_OK):
            g = subprocess.run([GUNICORN, "--log-config", missing,
                                "logapp:app"], cwd=APPS, env=clean_env(),
                               capture_output=True, timeout=DEADLINE)
            self.assertEqual((g.returncode, g.stderr),
                             (p.returncode, p.stderr))

    def test_bad_dict(self):
        """dictConfig's ValueError becomes gunicorn's RuntimeError."""
        conf = self.write("conf.py", "logconfig_dict = {'handlers': {'x': "
                          "{'class': 'nope.Nope'}}}\n")
        p = subprocess.run([BINARY, "-c", conf, "logapp:app"], cwd=APPS,
                           env=clean_env(), capture_output=True,
                           timeout=DEADLINE)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, b"\nError: Unable to configure handler "
                         b"'x'\n\n")

    def test_missing_json_ignored(self):
        s = self.start(["--log-config-json",
                        os.path.join(self.tmp, "nope.json")])
        s.wait_line(TIME + r" \[\d+\] \[INFO\] Booting worker", s.stderr)
        self.assertEqual(get(s.port), (200, b"hello"))
        self.assertEqual(s.stop(), 0)

    def test_usr1_reopens_file_handlers(self):
        """logrotate: the file is moved, USR1, new lines go to a new file
        (master and worker), on every kind."""
        for kind in KINDS:
            with self.subTest(kind=kind):
                self.usr1_on(kind)

    def usr1_on(self, kind):
        for name in ("out.log", "out.log.1"):
            if os.path.exists(os.path.join(self.tmp, name)):
                os.unlink(os.path.join(self.tmp, name))
        s = self.start(["--log-config", self.ini(level="DEBUG")], kind=kind)
        s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker")
        self.assertEqual(get(s.port), (200, b"hello"))
        s.wait_line(r"^INFO\|gunicorn\.access\|")
        old = s.log + ".1"
        os.rename(s.log, old)
        s.proc.send_signal(signal.SIGUSR1)
        # logged before the worker reopens: to the moved file
        s.wait_line(r"^DEBUG\|gunicorn\.error\|reopening log files$", old)
        self.assertEqual(get(s.port, "/404")[0], 404)
        s.wait_line(r'^INFO\|gunicorn\.access\|.*"GET /404 HTTP/1\.1" 404')
        self.assertEqual(s.stop(), 0)
        self.assertIn("Shutting down: Master", s.text())
        self.assertNotIn("/404", read_text(old))

    def test_access_record_args_are_the_atoms(self):
        """The access record is gunicorn's: msg the format, args the atoms
        (SafeAtoms: quotes escaped, '-' for a missing atom), so a formatter
        of the configuration file (a class object, not a repr) can read
        them."""
        path = os.path.join(self.tmp, "out.log")
        d = file_dict(path)
        conf = self.write("conf.py", (
            "import logging\n"
            "class Fmt(logging.Formatter):\n"
            "    def format(self, record):\n"
            "        if record.name != 'gunicorn.access':\n"
            "            return super().format(record)\n"
            "        a = record.args\n"
            "        return 'ARGS %%s|%%s|%%s|%%r|%%s|%%s|%%s' %% (\n"
            "            a['s'], a['U'], a['{User-Agent}i'], a['B'],\n"
            "            a['{x-resp}o'], a['{nope}i'], record.msg)\n"
            "d = %r\n"
            "d['formatters'] = {'plain': {'()': Fmt}}\n"
            "logconfig_dict = d\n") % d)
        s = self.start(["-c", conf, "--access-logformat", "%(m)s %(U)s"])
        s.wait_line(r"^Booting worker")
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=DEADLINE)
        c.request("GET", "/x?q=1", headers={"User-Agent": 't"ua'})
        self.assertEqual(c.getresponse().read(), b"hello")
        c.close()
        m = s.wait_line(r"^ARGS .*$")
        self.assertEqual(s.stop(), 0)
        self.assertEqual(m.group(0), 'ARGS 200|/x|t\\"ua|5|out\\"put|-|'
                         '%(m)s %(U)s')

    def test_same_line_as_without_logconfig(self):
        """Python renders the access line from the atoms (as gunicorn);
        without a logconfig lib/log renders it in C: the same bytes for
        every atom that does not depend on time or pid."""
        fmt = ('%(h)s %(l)s %(u)s "%(r)s" %(s)s %(m)s %(U)s %(q)s %(H)s '
               '%(b)s %(B)s "%(f)s" "%(a)s" %({x-resp}o)s %({user-agent}i)s '
               '%({remote_addr}e)s %({path_info}e)s %(nope)s %(B)05d|%(s)r')
        headers = {"User-Agent": "caf\u00e9 \"x\"",
                   "Referer": "http://r/?a=%20",
                   "Authorization": "Basic dXNlcjpwdw=="}
        lines = []
        for logconfig in (False, True):
            alog = os.path.join(self.tmp, "access-%d.log" % logconfig)
            args = ["--access-logformat", fmt, "--access-logfile", alog]
            if logconfig:
                # gunicorn.access left alone: gunicorn's own handler writes
                # the record Python formatted to the same kind of file
                d = file_dict(os.path.join(self.tmp, "out.log"))
                del d["loggers"]["gunicorn.access"]
                args += ["--log-config-json",
                         self.write("log.json", json.dumps(d))]
            s = self.start(args)
            c = get_when_up_conn(s)
            c.request("GET", "/p%C3%A9?x=%22y", headers=headers)
            self.assertEqual(c.getresponse().read(), b"hello")
            c.close()
            s.wait_line(r"^127", alog)
            self.assertEqual(s.stop(), 0)
            lines.append(read_text(alog))
        self.assertIn('"GET /p%C3%A9?x=%22y HTTP/1.1"', lines[0])
        self.assertEqual(lines[1], lines[0])

    def test_syslog_handlers_stay(self):
        """gunicorn's syslog handlers are its own handlers of gunicorn.error
        and gunicorn.access: a configuration that leaves those loggers
        alone keeps them (the lines Python passes back go to syslog)."""
        import socket
        path = os.path.join(self.tmp, "syslog.sock")
        rcv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(rcv.close)
        rcv.bind(path)
        rcv.settimeout(DEADLINE)
        # "loggers" replaces gunicorn's defaults, which configure both
        js = self.write("log.json", json.dumps(
            {"root": {"level": "INFO", "handlers": []}, "loggers": {}}))
        s = self.start(["--log-config-json", js, "--log-syslog",
                        "--log-syslog-to", "unix://%s#dgram" % path])
        got = []
        while not any(b"Booting worker" in d for d in got):
            got.append(rcv.recv(65536))
        self.assertEqual(get(s.port), (200, b"hello"))
        while not any(b'"GET / HTTP/1.1" 200' in d for d in got):
            got.append(rcv.recv(65536))
        self.assertEqual(s.stop(), 0)
        self.assertTrue(any(b".error: [%d] Listening at: " % s.proc.pid in d
                            for d in got), got)
        self.assertTrue(any(re.search(rb".access: \[\d+\] 127\.0\.0\.1 - - ",
                                      d) for d in got), got)

    def test_hup_applies_the_new_configuration(self):
        """gunicorn 26.1 runs its logging setup again on HUP: the new
        file takes the master's lines and the new worker's, without a
        second copy of gunicorn's own handlers."""
        target = self.write("target", "a.log")
        conf = self.write("conf.py", (
            "import os\n"
            "name = open(%r).read().strip()\n"
            "d = %r\n"
            "d['handlers']['file']['filename'] = os.path.join(%r, name)\n"
            "logconfig_dict = d\n") % (target, file_dict("x"), self.tmp))
        s = self.start(["-c", conf])
        a = os.path.join(self.tmp, "a.log")
        b = os.path.join(self.tmp, "b.log")
        old = s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker with "
                          r"pid: (\d+)$", a).group(1)
        self.write("target", "b.log")
        s.proc.send_signal(signal.SIGHUP)
        s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker", b)
        # the old worker logs its exit with the configuration it has
        s.wait_line(r"^INFO\|gunicorn\.error\|Worker exiting \(pid: %s\)$"
                    % old, a)
        self.assertEqual(get(s.port), (200, b"hello"))
        s.wait_line(r"^INFO\|gunicorn\.access\|", b)
        self.assertEqual(s.stop(), 0)
        self.assertNotIn("gunicorn.access", read_text(a))
        lines = read_text(b).splitlines()
        self.assertEqual(lines.count("INFO|gunicorn.error|Shutting down: "
                                     "Master"), 1, lines)
        self.assertEqual(len([x for x in lines if "gunicorn.access" in x]),
                         1, lines)
        self.assertEqual(read_text(s.stderr), "")

    def test_capture_output(self):
        """--capture-output still sends the app's stdout and stderr to the
        error log file; the error lines go where the configuration says."""
        elog = os.path.join(self.tmp, "error.log")
        s = self.start(["--log-config", self.ini(), "--capture-output",
                        "--error-logfile", elog])
        s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker")
        self.assertEqual(get(s.port, "/print?text=captured"),
                         (200, b"printed"))
        s.wait_line(r"^captured-err$", elog)
        self.assertEqual(s.stop(), 0)
        self.assertIn("captured\n", read_text(elog))
        self.assertNotIn("Booting worker", read_text(elog))

    def test_statsd_still_counts(self):
        """The StatsD logger counts log calls whatever the handlers: an
        exception logged through Python's logging is still
        gunicorn.log.exception."""
        import socket
        rcv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(rcv.close)
        rcv.bind(("127.0.0.1", 0))
        rcv.settimeout(DEADLINE)
        s = self.start(["--log-config", self.ini(), "--statsd-host",
                        "127.0.0.1:%d" % rcv.getsockname()[1]])
        s.wait_line(r"^INFO\|gunicorn\.error\|Booting worker")
        self.assertEqual(get(s.port, "/raise")[0], 500)
        got = []
        while b"gunicorn.log.exception:1|c|@1.0" not in got:
            got.append(rcv.recv(4096))
        s.wait_line(r"^RuntimeError: app failure$")
        self.assertEqual(s.stop(), 0)

    @unittest.skipUnless(os.access(GUNICORN, os.X_OK), "no " + GUNICORN)
    def test_same_lines_as_gunicorn(self):
        """Debian's gunicorn with the same INI file: the same lines, once
        pids, times, ports and the version line are masked."""
        ini = self.ini()

        def run(binary):
            if os.path.exists(os.path.join(self.tmp, "out.log")):
                os.unlink(os.path.join(self.tmp, "out.log"))
            s = self.start(["--log-config", ini], binary=binary)
            self.serve_one(s)
            text = s.text()
            text = text.replace(str(s.port), "PORT")
            text = re.sub(r"\d+(?=\)$)|(?<=pid: )\d+", "PID", text,
                          flags=re.M)
            text = re.sub(ATIME, "TIME", text)
            text = re.sub(r"Starting (gunicorn|prefork-wsgi) \S+",
                          "Starting", text)
            return text.splitlines()

        ours, theirs = run(BINARY), run(GUNICORN)
        self.assertEqual(ours, theirs)


def get_when_up_conn(s):
    """A connection once the master listens (refused until the bind:
    polled with a deadline)."""
    end = time.monotonic() + DEADLINE
    while True:
        c = http.client.HTTPConnection("127.0.0.1", s.port,
                                       timeout=DEADLINE)
        try:
            c.connect()
            return c
        except ConnectionRefusedError:
            c.close()
            if time.monotonic() > end or s.proc.poll() is not None:
                raise
            time.sleep(0.01)


def get_when_up(s):
    """A request once the master listens, for a server whose log says
    nothing at INFO: the connection is refused until the bind (polled),
    then waits in the listen queue until a worker takes it."""
    end = time.monotonic() + DEADLINE
    while True:
        try:
            return get(s.port)
        except ConnectionRefusedError:
            if time.monotonic() > end or s.proc.poll() is not None:
                raise
            time.sleep(0.01)


if __name__ == "__main__":
    unittest.main()
