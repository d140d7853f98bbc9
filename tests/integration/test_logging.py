"""Integration tests: prefork-wsgi logs and sends metrics as gunicorn does.

Run by `make check-wsgi-integration` with Debian's /usr/bin/python3 (the
interpreter the server embeds), PREFORK_WSGI naming the binary.  The real
binary serves tests/apps/logapp.py on a loopback port; the tests read its
error log and access log (files or stderr), and receive its syslog and
StatsD datagrams on real sockets bound here (unix datagram and UDP):

  * error log lines byte for byte (time and pids by pattern): start-up, a
    worker booting, a signal, the stop; --log-level debug (the
    configuration dump, "Arbiter booted", "N workers") and warning;
  * the access log in gunicorn's default format for GET, POST, HEAD, a
    404 and a 500 page, and a format with every atom, on sync, ev and
    gthread; the bytes of a sendfile response; a response cut by the app;
  * USR1 after both log files were moved away (logrotate): new lines go to
    new files and no access line is lost, on every kind;
  * --capture-output; log files chowned to --user/--group; HUP rebuilds the
    logging from the new configuration;
  * syslog datagrams (unix and UDP), StatsD datagrams (request metrics on
    every kind, the workers gauge after TTIN, log counters, the backlog
    histogram, dogstatsd tags); a collector that never reads does not hold
    requests up (each request must finish within a generous deadline);
  * (--log-config, --log-config-json and logconfig_dict: see
    test_logconfig.py).

Synchronisation is on log lines, datagrams and process exits, each with a
deadline; nothing sleeps to wait for the server.
"""
import base64
import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(os.path.dirname(HERE), "apps")
BINARY = os.environ.get("PREFORK_WSGI", os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "build", "prefork-wsgi"))
KINDS = ("sync", "ev", "gthread")
DEADLINE = 30

TIME = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\]"
ATIME = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    return env


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_for(check, what, timeout=DEADLINE):
    """Poll check() (a file or a list we are told about) until it returns
    something true; the files are written by another process, so there is
    nothing to block on but the deadline."""
    end = time.monotonic() + timeout
    while True:
        r = check()
        if r:
            return r
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


class Server:
    """The binary serving logapp; stderr is collected, stdout too."""

    def __init__(self, *args, kind="sync", cwd=APPS, app="logapp:app"):
        self.tmp = tempfile.mkdtemp(prefix="pfw-log-")
        self.port = free_port()
        cmd = [BINARY, "-b", "127.0.0.1:%d" % self.port, "-k", kind,
               "--graceful-timeout", "10"] + list(args) + [app]
        self.lines = []
        self.out = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=clean_env(),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.readers = [
            threading.Thread(target=self._read,
                             args=(self.proc.stderr, self.lines),
                             daemon=True),
            threading.Thread(target=self._read,
                             args=(self.proc.stdout, self.out),
                             daemon=True)]
        for t in self.readers:
            t.start()

    def _read(self, pipe, into):
        for raw in pipe:
            with self.cond:
                into.append(raw.decode("utf-8", "replace"))
                self.cond.notify_all()
        pipe.close()
        with self.cond:
            into.append(None)
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "".join(x for x in self.lines if x is not None)

    def stdout(self):
        with self.cond:
            return "".join(x for x in self.out if x is not None)

    def wait_log(self, pattern, timeout=DEADLINE, count=1):
        end = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self.cond:
            while True:
                text = "".join(x for x in self.lines if x)
                if len(rx.findall(text)) >= count:
                    return text
                if None in self.lines:
                    raise AssertionError("server exited before %r:\n%s"
                                         % (pattern, text))
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %r in:\n%s" % (pattern, text))
                self.cond.wait(left)

    def http(self):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=DEADLINE)

    def get(self, path, method="GET", body=None, headers=None):
        c = self.http()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def raw(self, data):
        """Send raw bytes, read to EOF."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.settimeout(DEADLINE)
        try:
            s.sendall(data)
            got = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                got += chunk
            return got
        finally:
            s.close()

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(DEADLINE)
        finally:
            for t in self.readers:
                t.join(DEADLINE)
            shutil.rmtree(self.tmp, ignore_errors=True)
        log = self.log()
        if "AddressSanitizer" in log or "runtime error:" in log:
            raise AssertionError("sanitizer report:\n" + log)
        return rc


class Receiver:
    """A datagram socket (UDP on loopback, or unix) collecting what comes."""

    def __init__(self, family=socket.AF_INET, path=None, read=True):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_UNIX:
            self.sock.bind(path)
            self.addr = path
        else:
            self.sock.bind(("127.0.0.1", 0))
            self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.grams = []
        self.cond = threading.Condition()
        self.stopping = False
        self.thread = None
        if read:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def _run(self):
        while not self.stopping:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if not r:
                continue
            data = self.sock.recv(65536)
            with self.cond:
                self.grams.append(data)
                self.cond.notify_all()

    def wait(self, pattern, timeout=DEADLINE, count=1):
        """Datagrams matching the bytes regex, once there are count."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [g for g in self.grams if rx.search(g)]
                if len(hits) >= count:
                    return hits
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("no datagram %r in %r"
                                         % (pattern, self.grams[-40:]))
                self.cond.wait(left)

    def all(self):
        with self.cond:
            return list(self.grams)

    def close(self):
        self.stopping = True
        if self.thread is not None:
            self.thread.join(DEADLINE)
        self.sock.close()


def worker_pids(text):
    return [int(x) for x in
            re.findall(r"\[INFO\] Booting worker with pid: (\d+)", text)]


# ---- the error log ---------------------------------------------------------

class ErrorLogTest(unittest.TestCase):

    def test_lines_byte_for_byte(self):
        """Start-up, a worker booting, TTIN, the stop: gunicorn's lines in
        the --error-logfile file, nothing on stderr."""
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        path = os.path.join(tmp, "error.log")
        srv = Server("--error-logfile", path)
        try:
            wait_for(lambda: "Booting worker" in read_text(path), "boot")
            srv.send(signal.SIGTTIN)
            wait_for(lambda: read_text(path).count("Booting worker") == 2,
                     "second worker")
            self.assertEqual(srv.stop(), 0)
            lines = read_text(path).splitlines()
            self.assertEqual(srv.log(), "")
            m = re.match(TIME + r" \[(\d+)\] \[INFO\] Starting prefork-wsgi "
                         r"0\.1\.0$", lines[0])
            self.assertTrue(m, lines)
            mpid = m.group(1)
            pre = TIME + r" \[%s\] \[INFO\] " % mpid
            self.assertRegex(lines[1], "^" + pre + re.escape(
                "Listening at: http://127.0.0.1:%d (%s)" % (srv.port, mpid))
                + "$")
            self.assertRegex(lines[2], "^" + pre + "Using worker: sync$")
            w1 = re.match(TIME + r" \[(\d+)\] \[INFO\] Booting worker with "
                          r"pid: (\d+)$", lines[3])
            self.assertTrue(w1, lines)
            self.assertEqual(w1.group(1), w1.group(2))
            self.assertRegex(lines[4], "^" + pre + "Handling signal: ttin$")
            w2 = re.match(TIME + r" \[(\d+)\] \[INFO\] Booting worker with "
                          r"pid: \1$", lines[5])
            self.assertTrue(w2, lines)
            rest = lines[6:]
            self.assertEqual(len(rest), 4, lines)
            self.assertRegex(rest[0], "^" + pre + "Handling signal: term$")
            self.assertRegex(rest[-1], "^" + pre + "Shutting down: Master$")
            exits = sorted(re.match(TIME + r" \[(\d+)\] \[INFO\] Worker "
                                    r"exiting \(pid: \1\)$", x).group(1)
                           for x in rest[1:3])
            self.assertEqual(exits, sorted([w1.group(1), w2.group(1)]))
        finally:
            srv.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_level_debug(self):
        """The configuration dump (one message, gunicorn's layout),
        "Arbiter booted" before "Listening at:", "1 workers"."""
        srv = Server("--log-level", "debug")
        try:
            text = srv.wait_log(r"\[DEBUG\] 1 workers$")
            mpid = re.search(r"\[(\d+)\] \[INFO\] Starting", text).group(1)
            lines = text.splitlines()
            i = next(n for n, x in enumerate(lines)
                     if x.endswith("[DEBUG] Current configuration:"))
            self.assertRegex(lines[i], "^%s \\[%s\\] " % (TIME, mpid))
            self.assertEqual(lines[i + 1], "  config: ./gunicorn.conf.py")
            dump = lines[i + 1:]
            self.assertIn("  bind: ['127.0.0.1:%d']" % srv.port, dump)
            self.assertIn("  loglevel: debug", dump)
            self.assertIn("  accesslog: None", dump)
            self.assertIn("  default_proc_name: logapp:app", dump)
            order = [x.split("] ", 3)[-1] for x in lines if x.startswith("[")]
            self.assertLess(order.index("Starting prefork-wsgi 0.1.0"),
                            order.index("Arbiter booted"))
            self.assertLess(order.index("Arbiter booted"),
                            order.index("Using worker: sync"))
            # gunicorn's setup() dumps it again on SIGHUP
            srv.send(signal.SIGHUP)
            srv.wait_log(r"\[DEBUG\] Current configuration:$", count=2)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_default_pre_request_line(self):
        """--log-level debug: gunicorn's default pre_request hook logs
        "METHOD PATH" (the path without its query) for every request, on
        every kind; a pre_request of the user's replaces it."""
        for kind in ("sync", "ev", "gthread"):
            srv = Server("--log-level", "debug", kind=kind)
            try:
                wait_for(lambda: self._answers(srv), "an answer")
                self.assertEqual(srv.get("/a/b%20c?q=1")[0], 200)
                srv.wait_log(TIME + r" \[\d+\] \[DEBUG\] GET /a/b%20c$")
            finally:
                self.assertEqual(srv.stop(), 0)
        conf = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
        self.addCleanup(os.unlink, conf.name)
        conf.write("def pre_request(worker, req):\n"
                   "    worker.log.info('hook saw %s', req.path)\n")
        conf.close()
        srv = Server("--log-level", "debug", "-c", conf.name)
        try:
            wait_for(lambda: self._answers(srv), "an answer")
            self.assertEqual(srv.get("/x/y")[0], 200)
            srv.wait_log(r"\[INFO\] hook saw /x/y$")
        finally:
            self.assertEqual(srv.stop(), 0)
        self.assertNotIn("[DEBUG] GET /x/y", srv.log())

    def test_level_warning(self):
        """--log-level warning: the warning of a bad request, no INFO."""
        srv = Server("--log-level", "warning")
        try:
            # no INFO line says the worker is up: it is once it answers
            wait_for(lambda: self._answers(srv), "an answer")
            srv.raw(b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n")
            srv.wait_log(TIME + r" \[\d+\] \[WARNING\] Invalid request from "
                         r"ip=127\.0\.0\.1: ")
        finally:
            self.assertEqual(srv.stop(), 0)
        log = srv.log()
        self.assertNotIn("[INFO]", log)
        self.assertNotIn("[DEBUG]", log)

    @staticmethod
    def _answers(srv):
        try:
            return srv.get("/")[0] == 200
        except OSError:
            return False

    def test_exception(self):
        """An app exception: ERROR with the traceback, in the file."""
        srv = Server()
        try:
            srv.wait_log(r"Booting worker")
            self.assertEqual(srv.get("/raise")[0], 500)
            text = srv.wait_log(r"RuntimeError: app failure")
            self.assertRegex(text, TIME + r" \[\d+\] \[ERROR\] Error handling "
                             r"request .*/raise\nTraceback \(most recent call "
                             r"last\):\n")
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_bad_error_logfile(self):
        """gunicorn's bytes and status for a log file it cannot open."""
        p = subprocess.run([BINARY, "--error-logfile",
                            "/nonexistent-pfw-dir/e.log", "logapp:app"],
                           cwd=APPS, env=clean_env(), capture_output=True,
                           timeout=DEADLINE)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, b"\nError: Error: '/nonexistent-pfw-dir/"
                         b"e.log' isn't writable [FileNotFoundError(2, 'No "
                         b"such file or directory')]\n\n")

    def test_hup_rebuilds_logging(self):
        """HUP with a configuration file naming another error log and
        level: the new generation and the master log there."""
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        e1, e2 = os.path.join(tmp, "e1.log"), os.path.join(tmp, "e2.log")
        cfg = os.path.join(tmp, "conf.py")
        with open(cfg, "w") as f:
            f.write("errorlog = %r\n" % e1)
        srv = Server("-c", cfg)
        try:
            wait_for(lambda: "Booting worker" in read_text(e1), "boot")
            with open(cfg, "w") as f:
                f.write("errorlog = %r\nloglevel = 'debug'\n" % e2)
            srv.send(signal.SIGHUP)
            wait_for(lambda: "Booting worker" in read_text(e2), "new log")
            self.assertEqual(srv.stop(), 0)
            self.assertIn("[INFO] Handling signal: hup", read_text(e1))
            self.assertRegex(read_text(e2), r"\[DEBUG\] ")
            self.assertIn("[INFO] Shutting down: Master", read_text(e2))
            self.assertNotIn("Shutting down", read_text(e1))
        finally:
            srv.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to change owners")
    def test_files_chowned_to_user_and_group(self):
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        os.chmod(tmp, 0o755)
        shutil.copy(os.path.join(APPS, "logapp.py"), tmp)
        os.chmod(os.path.join(tmp, "logapp.py"), 0o644)
        e, a = os.path.join(tmp, "e.log"), os.path.join(tmp, "a.log")
        srv = Server("--user", "65534", "--group", "65534",
                     "--error-logfile", e, "--access-logfile", a, cwd=tmp)
        try:
            wait_for(lambda: "Booting worker" in read_text(e), "boot")
            self.assertEqual(srv.get("/")[0], 200)
            for p in (e, a):
                st = os.stat(p)
                self.assertEqual((st.st_uid, st.st_gid), (65534, 65534), p)
        finally:
            self.assertEqual(srv.stop(), 0)
            shutil.rmtree(tmp, ignore_errors=True)


# ---- the access log -----------------------------------------------------------

def access_lines(path, n):
    def have():
        lines = read_text(path).splitlines()
        return lines if len(lines) >= n else None
    return wait_for(have, "%d access lines in %s" % (n, path))


class AccessLogTest(unittest.TestCase):

    def run_default(self, kind):
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        path = os.path.join(tmp, "access.log")
        srv = Server("--access-logfile", path, kind=kind)
        try:
            srv.wait_log(r"Booting worker")
            ua = {"User-Agent": "agent/1.0", "Referer": "http://ref/x"}
            self.assertEqual(srv.get("/?x=1", headers=ua), (200, b"hello"))
            self.assertEqual(srv.get("/post", "POST", b"12345"), (200, b"5"))
            self.assertEqual(srv.get("/", "HEAD")[0], 200)
            self.assertEqual(srv.get("/404"), (404, b"not here"))
            status, page = srv.get("/raise")
            self.assertEqual(status, 500)
            cut = srv.raw(b"GET /raise_late HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"first", cut)
            lines = access_lines(path, 6)
            pre = r"^127\.0\.0\.1 - - " + ATIME + " "
            expect = [
                r'"GET /\?x=1 HTTP/1\.1" 200 5 "http://ref/x" "agent/1\.0"$',
                r'"POST /post HTTP/1\.1" 200 1 "-" "-"$',
                r'"HEAD / HTTP/1\.1" 200 0 "-" "-"$',
                r'"GET /404 HTTP/1\.1" 404 8 "-" "-"$',
                r'"GET /raise HTTP/1\.1" 500 %d "-" "-"$' % len(page),
                r'"GET /raise_late HTTP/1\.1" 200 5 "-" "-"$',
            ]
            self.assertEqual(len(lines), 6, lines)
            for line, rx in zip(lines, expect):
                self.assertRegex(line, pre + rx)
        finally:
            self.assertEqual(srv.stop(), 0)
            shutil.rmtree(tmp, ignore_errors=True)

    def test_default_format_sync(self):
        self.run_default("sync")

    def test_default_format_ev(self):
        self.run_default("ev")

    def test_default_format_gthread(self):
        self.run_default("gthread")

    FORMAT = ("%(h)s|%(l)s|%(u)s|%(t)s|%(r)s|%(s)s|%(m)s|%(U)s|%(q)s|%(H)s|"
              "%(b)s|%(B)d|%(f)s|%(a)s|%(T)s|%(D)s|%(M)s|%(L)s|%(p)s|"
              "%({x-req}i)s|%({x-resp}o)s|%({connection}o)s|"
              "%({remote_addr}e)s|%({x.custom}e)s|%({x.number}e)s|"
              "%({missing}e)s|%(nope)s")

    def run_atoms(self, kind):
        srv = Server("--access-logfile", "-", "--access-logformat",
                     self.FORMAT, kind=kind)
        try:
            srv.wait_log(r"Booting worker")
            pid = int(srv.get("/pid")[1])
            auth = "Basic " + base64.b64encode(b"us\xc3\xa9r:pw").decode()
            hdrs = {"Authorization": auth, "X-Req": 'in"q',
                    "Referer": "r", "User-Agent": "a"}
            self.assertEqual(srv.get("/?a=b&c=%41", headers=hdrs)[0], 200)
            self.assertEqual(srv.get("/proxyfix")[0], 200)

            def three():
                n = srv.stdout().count("\n")
                return n >= 3
            wait_for(three, "three access lines")
        finally:
            self.assertEqual(srv.stop(), 0)
        lines = srv.stdout().splitlines()
        f = lines[1].split("|")
        self.assertEqual(f[0:3], ["127.0.0.1", "-", "us\u00e9r"])
        self.assertRegex(f[3], "^" + ATIME + "$")
        self.assertEqual(f[4:11], ["GET /?a=b&c=%41 HTTP/1.1", "200", "GET",
                                   "/", "a=b&c=%41", "HTTP/1.1", "5"])
        self.assertEqual(f[11:14], ["5", "r", "a"])
        t, d, m = int(f[14]), int(f[15]), int(f[16])
        self.assertEqual(t, d // 1000000)
        self.assertEqual(m, d // 1000)
        self.assertEqual(f[17], "%d.%06d" % (d // 1000000, d % 1000000))
        self.assertEqual(f[18], "<%d>" % pid)
        self.assertEqual(f[19:27], ['in\\"q', 'out\\"put', "-", "127.0.0.1",
                                    "-", "-", "-", "-"])
        g = lines[2].split("|")
        # ProxyFix: REMOTE_ADDR as the app left it; {x}e of a str is
        # escaped, of an int is not
        self.assertEqual(g[0], "203.0.113.7")
        self.assertEqual(g[4], "GET /proxyfix HTTP/1.1")
        self.assertEqual(g[22:26], ["203.0.113.7", 'v\\"q', "42", "-"])

    def test_every_atom_sync(self):
        self.run_atoms("sync")

    def test_every_atom_ev(self):
        self.run_atoms("ev")

    def test_every_atom_gthread(self):
        self.run_atoms("gthread")

    def test_sendfile_bytes(self):
        """b is the file's size (gunicorn logs 0 for sendfile)."""
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        data = os.path.join(tmp, "data.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(123457))
        try:
            for kind in KINDS:
                srv = Server("--access-logfile", "-", kind=kind)
                try:
                    srv.wait_log(r"Booting worker")
                    status, body = srv.get("/file?path=" + data)
                    self.assertEqual((status, len(body)), (200, 123457))
                    wait_for(lambda: "\n" in srv.stdout(), "access line")
                finally:
                    self.assertEqual(srv.stop(), 0)
                self.assertRegex(srv.stdout(), r'"GET /file\?path=\S+ '
                                 r'HTTP/1\.1" 200 123457 "-" "-"\n$', kind)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# ---- USR1 ---------------------------------------------------------------------

class ReopenTest(unittest.TestCase):

    def run_reopen(self, kind):
        """logrotate: both files moved, USR1; every access line is in one
        of the two files, those after the reopen in the new one."""
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        e, a = os.path.join(tmp, "e.log"), os.path.join(tmp, "a.log")
        srv = Server("-w", "2", "--log-level", "debug", "--error-logfile", e,
                     "--access-logfile", a, kind=kind)
        sent, post = [], []
        stop, reopened = threading.Event(), threading.Event()
        errors = []

        def load():
            n = 0
            while not stop.is_set():
                late = reopened.is_set()
                try:
                    st, _ = srv.get("/?n=%d" % n)
                    if st == 200:
                        sent.append(n)
                        if late:
                            post.append(n)
                except OSError as exc:
                    errors.append(exc)
                n += 1

        try:
            wait_for(lambda: len(worker_pids(read_text(e))) == 2, "2 workers")
            pids = worker_pids(read_text(e))
            t = threading.Thread(target=load, daemon=True)
            t.start()
            wait_for(lambda: len(sent) > 20, "some traffic")
            os.rename(e, e + ".1")
            os.rename(a, a + ".1")
            srv.send(signal.SIGUSR1)
            for pid in pids:
                wait_for(lambda: re.search(r"\[%d\] \[DEBUG\] reopening log "
                                           r"files" % pid,
                                           read_text(e + ".1")),
                         "worker %d reopening" % pid)
            wait_for(lambda: os.path.exists(e) and os.path.exists(a),
                     "new files")
            reopened.set()
            wait_for(lambda: len(post) > 20, "traffic after USR1")
            stop.set()
            t.join(DEADLINE)
            self.assertEqual(errors, [])
            total = len(sent)
            wait_for(lambda: len(read_text(a + ".1").splitlines())
                     + len(read_text(a).splitlines()) >= total,
                     "every access line")
        finally:
            stop.set()
            self.assertEqual(srv.stop(), 0)
        old = re.findall(r"GET /\?n=(\d+) ", read_text(a + ".1"))
        new = re.findall(r"GET /\?n=(\d+) ", read_text(a))
        got = sorted(int(x) for x in old + new)
        self.assertEqual(got, sorted(sent))
        # every request started once both workers had reopened is in the
        # new file
        self.assertTrue(set(post) <= set(int(x) for x in new))
        self.assertIn("[INFO] Handling signal: usr1", read_text(e + ".1"))
        self.assertIn("[INFO] Shutting down: Master", read_text(e))
        self.assertNotIn("Shutting down", read_text(e + ".1"))
        shutil.rmtree(tmp, ignore_errors=True)

    def test_reopen_sync(self):
        self.run_reopen("sync")

    def test_reopen_ev(self):
        self.run_reopen("ev")

    def test_reopen_gthread(self):
        self.run_reopen("gthread")


# ---- --capture-output ------------------------------------------------------------

class CaptureOutputTest(unittest.TestCase):

    def test_capture(self):
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        e = os.path.join(tmp, "e.log")
        srv = Server("--error-logfile", e, "--capture-output")
        try:
            wait_for(lambda: "Booting worker" in read_text(e), "boot")
            self.assertEqual(srv.get("/print?text=captured-1")[1], b"printed")
            wait_for(lambda: "captured-1-err\n" in read_text(e), "stderr")
            wait_for(lambda: "\ncaptured-1\n" in read_text(e), "stdout")
        finally:
            self.assertEqual(srv.stop(), 0)
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(srv.stdout(), "")

    def test_no_capture(self):
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        e = os.path.join(tmp, "e.log")
        srv = Server("--error-logfile", e)
        try:
            wait_for(lambda: "Booting worker" in read_text(e), "boot")
            self.assertEqual(srv.get("/print?text=free-1")[1], b"printed")
            srv.wait_log(r"free-1-err")
            wait_for(lambda: "free-1\n" in srv.stdout(), "stdout")
        finally:
            self.assertEqual(srv.stop(), 0)
        self.assertNotIn("free-1", read_text(e))
        shutil.rmtree(tmp, ignore_errors=True)


# ---- syslog -----------------------------------------------------------------------

class SyslogTest(unittest.TestCase):

    def check(self, rcv, args, ident):
        srv = Server("--log-syslog", *args)
        try:
            srv.wait_log(r"Booting worker")
            mpid = re.search(r"\[(\d+)\] \[INFO\] Starting", srv.log()).group(1)
            self.assertEqual(srv.get("/?s=1", headers={"User-Agent": "u"}),
                             (200, b"hello"))
            wpid = worker_pids(srv.log())[0]
            srv.raw(b"G@T / HTTP/1.1\r\n\r\n")
            hits = rcv.wait(rb"Listening at")
            self.assertEqual(hits[0], (
                "<14>%s.error: [%s] Listening at: http://127.0.0.1:%d (%s)\0"
                % (ident, mpid, srv.port, mpid)).encode())
            hits = rcv.wait(rb"GET /\?s=1")
            self.assertRegex(hits[0], (
                r'^<14>%s\.access: \[%d\] 127\.0\.0\.1 - - %s "GET /\?s=1 '
                r'HTTP/1\.1" 200 5 "-" "u"\x00$'
                % (re.escape(ident), wpid, ATIME)).encode())
            hits = rcv.wait(rb"Invalid request")
            self.assertRegex(hits[0], (r"^<12>%s\.error: \[%d\] Invalid "
                                       r"request from ip=127\.0\.0\.1: "
                                       % (re.escape(ident), wpid)).encode())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_unix_dgram(self):
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        path = os.path.join(tmp, "log.sock")
        rcv = Receiver(socket.AF_UNIX, path)
        try:
            self.check(rcv, ["--log-syslog-to", "unix://%s#dgram" % path],
                       "gunicorn.logapp.app")
        finally:
            rcv.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_udp_prefix_facility(self):
        rcv = Receiver()
        try:
            srv = Server("--log-syslog", "--log-syslog-to",
                         "udp://" + rcv.addr, "--log-syslog-prefix", "svc",
                         "--log-syslog-facility", "local0",
                         "--disable-redirect-access-to-syslog")
            try:
                srv.wait_log(r"Booting worker")
                self.assertEqual(srv.get("/")[0], 200)
                hits = rcv.wait(rb"Booting worker")
                self.assertRegex(hits[0], rb"^<134>gunicorn\.svc\.error: "
                                 rb"\[(\d+)\] Booting worker with pid: "
                                 rb"\1\x00$")
            finally:
                self.assertEqual(srv.stop(), 0)
            rcv.wait(rb"Shutting down: Master")
            self.assertFalse([g for g in rcv.all() if b".access:" in g])
        finally:
            rcv.close()


# ---- StatsD ------------------------------------------------------------------------

class StatsdTest(unittest.TestCase):

    def test_metrics(self):
        rcv = Receiver()
        try:
            srv = Server("--statsd-host", rcv.addr, "--statsd-prefix", "app",
                         "--enable-backlog-metric")
            try:
                srv.wait_log(r"Booting worker")
                rcv.wait(rb"^app\.gunicorn\.workers:1\|g$")
                self.assertEqual(srv.get("/")[0], 200)
                rcv.wait(rb"^app\.gunicorn\.request\.duration:\d+\.\d+"
                         rb"(e-\d+)?\|ms$")
                rcv.wait(rb"^app\.gunicorn\.requests:1\|c\|@1\.0$")
                rcv.wait(rb"^app\.gunicorn\.request\.status\.200:1\|c\|@1\.0$")
                srv.send(signal.SIGTTIN)
                rcv.wait(rb"^app\.gunicorn\.workers:2\|g$")
                rcv.wait(rb"^app\.gunicorn\.backlog:\d+\|h$")
                srv.raw(b"G@T / HTTP/1.1\r\n\r\n")
                rcv.wait(rb"^app\.gunicorn\.log\.warning:1\|c\|@1\.0$")
                self.assertEqual(srv.get("/raise")[0], 500)
                rcv.wait(rb"^app\.gunicorn\.log\.exception:1\|c\|@1\.0$")
                rcv.wait(rb"^app\.gunicorn\.request\.status\.500:1\|c\|@1\.0$")
                srv.send(signal.SIGTTOU)
                rcv.wait(rb"^app\.gunicorn\.workers:1\|g$", count=2)
            finally:
                self.assertEqual(srv.stop(), 0)
            # an exception is counted as such, not as an error too
            self.assertFalse([g for g in rcv.all() if b"log.error" in g])
        finally:
            rcv.close()

    def test_backlog_every_second_without_signals(self):
        """gunicorn sends gunicorn.backlog from every pass of its loop:
        connections queued behind a busy sync worker show up in it with
        no signal sent to the master."""
        rcv = Receiver()
        try:
            srv = Server("--statsd-host", rcv.addr, "--enable-backlog-metric",
                         "--timeout", "60")
            try:
                srv.wait_log(r"Booting worker")
                # connected first, so accepted first (the queue is FIFO)
                busy = socket.create_connection(("127.0.0.1", srv.port))
                busy.sendall(b"GET /slow?s=8 HTTP/1.0\r\n\r\n")
                queued = [socket.create_connection(("127.0.0.1", srv.port))
                          for _ in range(3)]
                # two samples of the 3 queued behind the busy worker (4
                # while it has not taken the first one yet)
                rcv.wait(rb"^gunicorn\.backlog:3\|h$", count=2)
                for c in queued:
                    c.close()
                busy.close()
            finally:
                self.assertEqual(srv.stop(), 0)
        finally:
            rcv.close()

    def test_hook_exception_counted_as_exception(self):
        """server.log.exception() from a hook counts as
        gunicorn.log.exception (gunicorn's Statsd.exception), not as
        gunicorn.log.error, once even when its traceback is long enough
        to be logged in several pieces."""
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        conf = os.path.join(tmp, "conf.py")
        with open(conf, "w") as f:
            f.write("def when_ready(server):\n"
                    "    try:\n"
                    "        raise ValueError('hook boom')\n"
                    "    except ValueError:\n"
                    "        server.log.exception('when_ready caught')\n"
                    "    server.log.error('plain error')\n"
                    "    try:\n"
                    "        raise ValueError('y' * 9000)\n"
                    "    except ValueError:\n"
                    "        server.log.exception('long traceback')\n")
        rcv = Receiver()
        try:
            srv = Server("--statsd-host", rcv.addr, "-c", conf)
            try:
                srv.wait_log(r"when_ready caught\nTraceback")
                srv.wait_log(r"plain error")
                # the 9000-byte traceback is logged in pieces: one count
                srv.wait_log(r"long traceback\n(.*\n)*.*yyyy")
                rcv.wait(rb"^gunicorn\.log\.exception:1\|c\|@1\.0$",
                         count=2)
                rcv.wait(rb"^gunicorn\.log\.error:1\|c\|@1\.0$")
            finally:
                self.assertEqual(srv.stop(), 0)
            grams = rcv.all()
            self.assertEqual(len([g for g in grams
                                  if g.startswith(b"gunicorn.log.exception")]),
                             2, grams)
            self.assertEqual(len([g for g in grams
                                  if g.startswith(b"gunicorn.log.error")]),
                             1, grams)
        finally:
            rcv.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_request_metrics_every_kind(self):
        for kind in KINDS:
            rcv = Receiver()
            try:
                srv = Server("--statsd-host", rcv.addr, "--dogstatsd-tags",
                             "env:test,k:%s" % kind, kind=kind)
                try:
                    srv.wait_log(r"Booting worker")
                    for path in ("/", "/404", "/post"):
                        srv.get(path)
                    rcv.wait(rb"^gunicorn\.requests:1\|c\|@1\.0\|#env:test,"
                             rb"k:" + kind.encode() + rb"$", count=3)
                    rcv.wait(rb"^gunicorn\.request\.status\.404:1\|c\|@1\.0"
                             rb"\|#env:test,k:" + kind.encode() + rb"$")
                    rcv.wait(rb"^gunicorn\.request\.duration:[0-9.e-]+\|ms"
                             rb"\|#env:test", count=3)
                finally:
                    self.assertEqual(srv.stop(), 0)
            finally:
                rcv.close()

    def test_collector_that_never_reads(self):
        """A unix collector whose queue is full (10 datagrams) drops
        metrics; no request waits for it.  Each of 200 requests (600
        datagrams) must finish within the client's deadline."""
        tmp = tempfile.mkdtemp(prefix="pfw-log-")
        path = os.path.join(tmp, "statsd.sock")
        rcv = Receiver(socket.AF_UNIX, path, read=False)
        try:
            for kind in KINDS:
                srv = Server("--statsd-host", "unix://" + path, kind=kind)
                try:
                    srv.wait_log(r"Booting worker")
                    for i in range(200):
                        c = http.client.HTTPConnection(
                            "127.0.0.1", srv.port, timeout=10)
                        c.request("GET", "/?i=%d" % i)
                        r = c.getresponse()
                        self.assertEqual((r.status, r.read()),
                                         (200, b"hello"))
                        c.close()
                finally:
                    self.assertEqual(srv.stop(), 0)
        finally:
            rcv.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
