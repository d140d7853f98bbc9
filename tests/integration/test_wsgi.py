"""Integration tests for the prefork-wsgi binary.

Run by `make check-wsgi-integration` with Debian's /usr/bin/python3 (the
interpreter the server embeds), PREFORK_WSGI naming the binary.  Every test
starts the real binary on a loopback port or a unix socket in a temporary
directory and talks to it with raw sockets, http.client or curl:

  * the PEP 3333 probe (tests/apps/probe.py), Debian's Flask (sessions) and
    a minimal Django project (a view, a CSRF-protected form, a FileResponse)
    on each worker kind: sync, ev, gthread;
  * keep-alive and pipelining on ev and gthread;
  * boot errors (exit 3 with the traceback, exit 4 with gunicorn's
    message), an unsupported -k (exit 1), graceful stop with a request in
    flight, --max-requests recycling, --preload, unix sockets;
  * worker behaviour: connections balanced over two ev/gthread workers,
    uploads and slow downloads that never stall the ev worker,
    --proxy-protocol and --proxy-allow-from, SIGUSR1 reaching each
    worker, the no-body WARNING.

Synchronisation is on sockets, pipes and process exits with deadlines;
nothing sleeps to wait for the server.
"""
import http.client
import json
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
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(os.path.dirname(HERE), "apps")
BINARY = os.environ.get("PREFORK_WSGI", os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "build", "prefork-wsgi"))
KINDS = ("sync", "ev", "gthread")
DEADLINE = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The binary in a subprocess; its stderr (the log) is collected."""

    def __init__(self, *args, kind="sync", bind=None, cwd=APPS, env=None):
        self.tmp = tempfile.mkdtemp(prefix="pfw-it-")
        if bind is None:
            self.port = free_port()
            bind = "127.0.0.1:%d" % self.port
        elif bind.startswith("unix:"):
            self.port = None
        self.bind = bind
        cmd = [BINARY, "-b", bind, "-k", kind, "--graceful-timeout", "10"]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.pop("GUNICORN_CMD_ARGS", None)
        full_env.update(env or {})
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=full_env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace"))
                self.cond.notify_all()
        self.proc.stderr.close()
        with self.cond:
            self.lines.append(None)          # EOF marker
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "".join(x for x in self.lines if x is not None)

    def wait_log(self, pattern, timeout=DEADLINE):
        end = time.monotonic() + timeout
        rx = re.compile(pattern)
        with self.cond:
            while True:
                if rx.search("".join(x for x in self.lines if x)):
                    return True
                if None in self.lines:
                    return False
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)

    def ready(self):
        if not self.wait_log(r"Booting worker with pid"):
            raise AssertionError("server did not boot:\n" + self.log())
        return self

    def connect(self):
        if self.port is None:
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.bind[5:])
        else:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.settimeout(DEADLINE)
        return s

    def http(self):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=DEADLINE)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.exit_status()

    def exit_status(self):
        try:
            rc = self.proc.wait(DEADLINE)
        finally:
            self.reader.join(DEADLINE)
            shutil.rmtree(self.tmp, ignore_errors=True)
        log = self.log()
        # sanitizer builds (make SANITIZE=1) report into the log
        if "AddressSanitizer" in log or "runtime error:" in log:
            raise AssertionError("sanitizer report:\n" + log)
        return rc


def read_response(sock, buf=b"", head=False):
    """One HTTP response from a raw socket: (status, headers, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("EOF before a response head")
        buf += chunk
    raw, buf = buf.split(b"\r\n\r\n", 1)
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = b""
    if head or status in (204, 304) or status < 200:
        return status, headers, body, buf
    if headers.get("transfer-encoding") == "chunked":
        while True:
            while b"\r\n" not in buf:
                buf += sock.recv(65536)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise AssertionError("EOF inside a chunk")
                buf += chunk
            if size == 0:
                buf = buf[2:]
                break
            body += buf[:size]
            buf = buf[size + 2:]
    elif "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError("EOF inside the body")
            buf += chunk
        body, buf = buf[:n], buf[n:]
    else:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
        body, buf = buf, b""
    return status, headers, body, buf


def request(server, method, path, body=None, headers=None):
    c = server.http()
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class ProbeTests(unittest.TestCase):
    """The PEP 3333 probe through the binary, on every kind."""

    def each_kind(self, fn, *args):
        for kind in KINDS:
            with self.subTest(kind=kind):
                extra = ["--threads", "4"] if kind == "gthread" else []
                srv = Server("probe:app", *extra, *args, kind=kind).ready()
                try:
                    fn(srv, kind)
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_environ(self):
        def check(srv, kind):
            st, h, body = request(srv, "GET", "/env?x=%20y",
                                  headers={"X-A": "1", "Cookie": "c=1"})
            env = json.loads(body)
            self.assertEqual(st, 200)
            self.assertEqual(env["QUERY_STRING"], "x=%20y")
            self.assertEqual(env["RAW_URI"], "/env?x=%20y")
            self.assertEqual(env["PATH_INFO"], "/env")
            self.assertEqual(env["SERVER_NAME"], "127.0.0.1")
            self.assertEqual(env["SERVER_PORT"], str(srv.port))
            self.assertEqual(env["REMOTE_ADDR"], "127.0.0.1")
            self.assertEqual(env["HTTP_X_A"], "1")
            self.assertEqual(env["HTTP_COOKIE"], "c=1")
            self.assertEqual(env["wsgi.url_scheme"], "http")
            t = env["__types__"]
            self.assertEqual(t["wsgi.version"], "(1, 0)")
            self.assertEqual(t["wsgi.multithread"], kind == "gthread")
            self.assertIs(t["wsgi.multiprocess"], False)
            self.assertIs(t["wsgi.run_once"], False)
            self.assertIs(t["wsgi.input_terminated"], True)
            self.assertEqual(t["gunicorn.socket"], "socket")
            self.assertTrue(t["str_keys"] and t["str_values"])
        self.each_kind(check)

    def test_input_methods(self):
        body = b"alpha\nbeta\n\ngamma"
        want = {
            "read": body, "readn": body, "none": body,
            "readline": b"alpha\n|beta\n|\n|gamma",
            "readlines": b"alpha\n|beta\n|\n|gamma",
            "iter": b"alpha\n|beta\n|\n|gamma",
        }

        def check(srv, kind):
            for m, expect in want.items():
                st, h, got = request(srv, "POST", "/echo?m=" + m, body=body)
                self.assertEqual((m, got), (m, expect))
                # the same body chunked, on a raw socket
                s = srv.connect()
                s.sendall(b"POST /echo?m=" + m.encode() + b" HTTP/1.1\r\n"
                          b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"3\r\nalp\r\n9\r\nha\nbeta\n\n\r\n5\r\ngamma\r\n"
                          b"0\r\n\r\n")
                st, h, got, _ = read_response(s)
                s.close()
                self.assertEqual((m, got), (m, expect))
        self.each_kind(check)

    def test_write_exc_info_errors(self):
        def check(srv, kind):
            st, h, body = request(srv, "GET", "/write")
            self.assertEqual(body, b"written-1;written-2;iter-1;iter-2")
            st, h, body = request(srv, "GET", "/excinfo_replace")
            self.assertEqual((st, body), (503, b"replaced"))
            self.assertNotIn("x-old", h)
            st, h, body = request(srv, "GET", "/raise")
            self.assertEqual(st, 500)
            self.assertTrue(srv.wait_log(
                r"Error handling request GET /raise\nTraceback"))
            self.assertIn("RuntimeError: probe raised on purpose", srv.log())
            s = srv.connect()
            s.sendall(b"GET /excinfo_late HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            self.assertIn(b"partial", data)
            self.assertFalse(data.endswith(b"0\r\n\r\n"))
        self.each_kind(check)

    def test_file_wrapper(self):
        def check(srv, kind):
            path = os.path.join(srv.tmp, "f.bin")
            data = os.urandom(300000)
            with open(path, "wb") as f:
                f.write(data)
            q = urllib.parse.quote(path)
            st, h, body = request(srv, "GET", "/file?path=" + q)
            self.assertEqual(body, data)
            st, h, body = request(srv, "GET", "/file?skip=1000&path=" + q)
            self.assertEqual(body, data[1000:])
            st, h, body = request(srv, "GET", "/filelike")
            self.assertEqual(body, b"from a BytesIO " * 3)
        self.each_kind(check)

    def test_close_called(self):
        def check(srv, kind):
            request(srv, "GET", "/closing")
            s = srv.connect()
            s.sendall(b"GET /closing_raise HTTP/1.1\r\nHost: x\r\n\r\n")
            while s.recv(65536):
                pass
            s.close()
            # one worker: the count is this process's
            st, h, body = request(srv, "GET", "/closed")
            self.assertEqual(json.loads(body), {"n": 2})
        self.each_kind(check)


class FrameworkTests(unittest.TestCase):
    """Debian's Flask and Django on every kind."""

    def test_flask_session(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("flask_app:app", "--threads", "2",
                             kind=kind).ready()
                try:
                    st, h, body = request(srv, "GET", "/set/blue")
                    self.assertEqual(st, 200)
                    cookie = h["set-cookie"].split(";")[0]
                    self.assertTrue(cookie.startswith("session="))
                    st, h, body = request(srv, "GET", "/get",
                                          headers={"Cookie": cookie})
                    self.assertEqual(json.loads(body), {"value": "blue"})
                    st, h, body = request(srv, "GET", "/get")
                    self.assertEqual(json.loads(body), {"value": None})
                    st, h, body = request(
                        srv, "POST", "/form", body="a=1&b=two",
                        headers={"Content-Type":
                                 "application/x-www-form-urlencoded"})
                    self.assertEqual(json.loads(body)["form"],
                                     {"a": "1", "b": "two"})
                    st, h, body = request(
                        srv, "POST", "/json", body=b'{"k": [1, 2]}',
                        headers={"Content-Type": "application/json"})
                    self.assertEqual(json.loads(body), {"got": {"k": [1, 2]}})
                    st, h, body = request(srv, "GET", "/stream")
                    self.assertEqual(body, b"".join(
                        b"part %d\n" % i for i in range(5)))
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_django_view_csrf_form_static(self):
        static = os.path.join(APPS, "django_site", "static.txt")
        with open(static, "rb") as f:
            static_bytes = f.read()
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("django_site.wsgi", "--threads", "2",
                             kind=kind).ready()
                try:
                    st, h, body = request(srv, "GET", "/")
                    self.assertEqual((st, body), (200, b"hello from django"))
                    st, h, body = request(srv, "GET", "/form/")
                    self.assertEqual(st, 200)
                    cookie = re.search(r"csrftoken=([^;]+)",
                                       h["set-cookie"]).group(1)
                    token = re.search(rb'name="csrfmiddlewaretoken" '
                                      rb'value="([^"]+)"', body).group(1)
                    form = urllib.parse.urlencode({
                        "csrfmiddlewaretoken": token.decode(),
                        "name": "ada"})
                    hdrs = {"Cookie": "csrftoken=" + cookie,
                            "Content-Type":
                            "application/x-www-form-urlencoded"}
                    st, h, body = request(srv, "POST", "/form/", body=form,
                                          headers=hdrs)
                    self.assertEqual((st, body), (200, b"posted: ada"))
                    # without the token: Django's CSRF check refuses it
                    st, h, body = request(srv, "POST", "/form/",
                                          body="name=eve", headers={
                                              "Content-Type": hdrs[
                                                  "Content-Type"]})
                    self.assertEqual(st, 403)
                    st, h, body = request(srv, "GET", "/static/")
                    self.assertEqual(st, 200)
                    self.assertEqual(body, static_bytes)
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())


class ConnectionTests(unittest.TestCase):

    def test_keepalive_and_pipelining(self):
        for kind in ("ev", "gthread"):
            with self.subTest(kind=kind):
                srv = Server("probe:app", "--threads", "4",
                             kind=kind).ready()
                try:
                    s = srv.connect()
                    s.sendall(b"GET /status?s=201 HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"POST /echo HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 3\r\n\r\nabc"
                              b"GET /gen HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"GET /status?s=202 HTTP/1.1\r\nHost: x\r\n\r\n")
                    rest = b""
                    got = []
                    for _ in range(4):
                        st, h, body, rest = read_response(s, rest)
                        got.append((st, h.get("connection"), body))
                    self.assertEqual(got, [
                        (201, "keep-alive", b""),
                        (200, "keep-alive", b"abc"),
                        (200, "keep-alive", b"alpha;beta;gamma"),
                        (202, "keep-alive", b"")])
                    # still open: one more request on the same socket
                    s.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
                    st, h, body, rest = read_response(s, rest)
                    self.assertEqual(body, b"just one item")
                    s.close()
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_sync_closes_every_connection(self):
        srv = Server("probe:app", kind="sync").ready()
        try:
            s = srv.connect()
            s.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
            st, h, body, rest = read_response(s)
            self.assertEqual(h["connection"], "close")
            self.assertEqual(s.recv(10), b"")
            s.close()
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_unix_socket_with_curl(self):
        tmp = tempfile.mkdtemp(prefix="pfw-sock-")
        path = os.path.join(tmp, "s.sock")
        srv = Server("probe:app", kind="ev", bind="unix:" + path).ready()
        try:
            out = subprocess.run(
                ["curl", "-s", "--unix-socket", path, "http://svc/env"],
                capture_output=True, timeout=DEADLINE, check=True).stdout
            env = json.loads(out)
            self.assertEqual(env["REMOTE_ADDR"], "")
            self.assertNotIn("REMOTE_PORT", env)
            self.assertEqual(env["SERVER_NAME"], "svc")
            self.assertEqual(env["SERVER_PORT"], "80")
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())
            shutil.rmtree(tmp, ignore_errors=True)

    def test_graceful_stop_finishes_inflight(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("probe:app", kind=kind).ready()
                s = srv.connect()
                s.sendall(b"GET /slowstream?s=1 HTTP/1.1\r\nHost: x\r\n\r\n")
                first = s.recv(65536)     # the head and the first chunk
                self.assertTrue(first.startswith(b"HTTP/1.1 200"))
                srv.proc.send_signal(signal.SIGTERM)
                st, h, body, _ = read_response(s, first)
                self.assertEqual(body, b"first;second")
                s.close()
                self.assertEqual(srv.stop(), 0, srv.log())

    def test_max_requests_recycles(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("probe:app", "--max-requests", "2",
                             kind=kind).ready()
                try:
                    pids = [json.loads(request(srv, "GET", "/pid")[2])["pid"]
                            for _ in range(3)]
                    self.assertEqual(pids[0], pids[1])
                    self.assertNotEqual(pids[1], pids[2])
                    self.assertIn("Autorestarting worker after current "
                                  "request.", srv.log())
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_preload_imports_in_master(self):
        srv = Server("preload_probe", "--preload", "-w", "2",
                     kind="ev").ready()
        try:
            got = json.loads(request(srv, "GET", "/")[2])
            self.assertEqual(got["import_pid"], srv.proc.pid)
            self.assertNotEqual(got["pid"], srv.proc.pid)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(") ", 1)[1][0] != "Z"


def wait_gone(pid, timeout=DEADLINE):
    """A process that is not our child: poll /proc with a deadline."""
    end = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > end:
            return False
        select.select([], [], [], 0.05)
    return True


class LifecycleTests(unittest.TestCase):

    def test_quick_stop(self):
        for sig in (signal.SIGQUIT, signal.SIGINT):
            for kind in KINDS:
                with self.subTest(kind=kind, sig=sig):
                    srv = Server("probe:app", kind=kind).ready()
                    wpid = json.loads(request(srv, "GET", "/pid")[2])["pid"]
                    self.assertEqual(srv.stop(sig), 0, srv.log())
                    self.assertTrue(wait_gone(wpid))

    def test_master_death_noticed(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("probe:app", kind=kind).ready()
                wpid = json.loads(request(srv, "GET", "/pid")[2])["pid"]
                srv.proc.kill()
                srv.exit_status()
                self.assertTrue(wait_gone(wpid), "worker outlived master")

    def test_timeout_kills_a_stuck_worker(self):
        for kind in ("sync", "ev"):
            with self.subTest(kind=kind):
                srv = Server("probe:app", "--timeout", "2",
                             kind=kind).ready()
                try:
                    s = srv.connect()
                    s.sendall(b"GET /sleep?s=60 HTTP/1.1\r\nHost: x\r\n\r\n")
                    self.assertEqual(s.recv(100), b"")   # cut by the kill
                    s.close()
                    self.assertTrue(srv.wait_log(r"WORKER TIMEOUT"))
                    st, h, body = request(srv, "GET", "/one")
                    self.assertEqual(body, b"just one item")
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_idle_worker_keeps_beating(self):
        srv = Server("probe:app", "--timeout", "1", kind="ev").ready()
        try:
            p1 = json.loads(request(srv, "GET", "/pid")[2])["pid"]
            # three timeouts of doing nothing: the heartbeat timer beats
            select.select([], [], [], 3)
            p2 = json.loads(request(srv, "GET", "/pid")[2])["pid"]
            self.assertEqual(p1, p2)
            self.assertNotIn("WORKER TIMEOUT", srv.log())
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())


class BootTests(unittest.TestCase):

    def test_import_error_exits_3(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("prefork_wsgi_absent_mod:app", kind=kind)
                self.assertEqual(srv.exit_status(), 3)
                log = srv.log()
                self.assertIn("Exception in worker process", log)
                self.assertIn("Traceback (most recent call last)", log)
                self.assertIn("ModuleNotFoundError: No module named "
                              "'prefork_wsgi_absent_mod'", log)
                self.assertIn("Reason: Worker failed to boot.", log)

    def test_app_error_exits_4(self):
        for args in (["loadme:nope"], ["loadme:nope", "--preload"],
                     ["loadme:factory_args()"]):
            with self.subTest(args=args):
                srv = Server(*args, kind="ev")
                self.assertEqual(srv.exit_status(), 4)
                log = srv.log()
                if args[0] == "loadme:nope":
                    self.assertIn("Failed to find attribute 'nope' in "
                                  "'loadme'.", log)
                else:
                    self.assertIn("TypeError: factory_args() missing 1 "
                                  "required positional argument: 'a'", log)

    def test_unsupported_worker_class(self):
        for kind in ("gevent", "eventlet", "tornado",
                     "uvicorn.workers.UvicornWorker"):
            with self.subTest(kind=kind):
                p = subprocess.run([BINARY, "-k", kind, "probe:app"],
                                   cwd=APPS, capture_output=True,
                                   timeout=DEADLINE)
                self.assertEqual(p.returncode, 1)
                err = p.stderr.decode()
                self.assertIn(kind, err)
                for k in ("sync", "gthread", "ev"):
                    self.assertIn(k, err)

    def test_check_config(self):
        ok = subprocess.run([BINARY, "--check-config", "probe:app"],
                            cwd=APPS, capture_output=True, timeout=DEADLINE)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = subprocess.run([BINARY, "--check-config", "loadme:nope"],
                             cwd=APPS, capture_output=True, timeout=DEADLINE)
        self.assertEqual(bad.returncode, 1)
        self.assertIn(b"Failed to find attribute 'nope'", bad.stderr)


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(x) for x in f.read().split()]


def mapped(pid):
    """The files pid maps (/proc/PID/maps), by base name."""
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(line.split(None, 5)[5].strip())
                for line in f if len(line.split(None, 5)) == 6}


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"^%s:\s+(\d+) kB" % key, f.read(), re.M)
    return int(m.group(1))


def has(names, prefix):
    return any(n.startswith(prefix) for n in names)


class PythonOnDemandTests(unittest.TestCase):
    """The master loads prefork-wsgi-python.so (libpython, libev) only when
    it runs Python itself: a configuration file, --preload, --check-config.
    Otherwise each worker loads it after the fork."""

    def serve(self, *args, env=None):
        srv = Server(*args, "-w", "2", kind="ev", env=env).ready()
        try:
            status, _, body = request(srv, "GET", "/")
            self.assertEqual(status, 200, srv.log())
            # both workers booted: the module is in each of them
            self.assertTrue(srv.wait_log(r"(?s)Booting worker.*"
                                         r"Booting worker"), srv.log())
            end = time.monotonic() + DEADLINE
            while len(children(srv.proc.pid)) < 2:
                self.assertLess(time.monotonic(), end, srv.log())
                select.select([], [], [], 0.02)
            return srv, body
        except BaseException:
            srv.stop()
            raise

    def check_workers(self, srv):
        for pid in children(srv.proc.pid):
            names = mapped(pid)
            self.assertTrue(has(names, "libpython3"), names)
            self.assertIn("prefork-wsgi-python.so", names)

    def test_master_without_python(self):
        srv, _ = self.serve("preload_probe")
        try:
            names = mapped(srv.proc.pid)
            for lib in ("libpython3", "libev.so", "prefork-wsgi-python.so"):
                self.assertFalse(has(names, lib), (lib, sorted(names)))
            self.check_workers(srv)
            if not has(names, "libasan"):      # make SANITIZE=1: shadow
                # the master's own pages: 1.4 MiB, mostly libpython's
                # relocations, when the executable linked it.  VmRSS was
                # 5 MiB; now about 2 MiB, 1.7 of them libc and ld.so, whose
                # share moves by +-100 kB with where ASLR puts libc: the
                # bound leaves room for that (bench/ reports the figure)
                self.assertLessEqual(status_kb(srv.proc.pid, "RssAnon"), 512)
                self.assertLessEqual(status_kb(srv.proc.pid, "VmRSS"), 2560)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_preload_loads_python_in_master(self):
        srv, _ = self.serve("preload_probe", "--preload")
        try:
            names = mapped(srv.proc.pid)
            self.assertTrue(has(names, "libpython3"), sorted(names))
            self.assertIn("prefork-wsgi-python.so", names)
            self.check_workers(srv)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_config_file_loads_python_in_master(self):
        tmp = tempfile.mkdtemp(prefix="pfw-it-")
        try:
            conf = os.path.join(tmp, "conf.py")
            with open(conf, "w") as f:
                f.write("keepalive = 3\n")
            srv, _ = self.serve("-c", conf, "preload_probe")
            try:
                self.assertTrue(has(mapped(srv.proc.pid), "libpython3"))
                self.check_workers(srv)
            finally:
                self.assertEqual(srv.stop(), 0, srv.log())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_extension_modules_in_worker(self):
        srv, body = self.serve("extmods:app")
        try:
            files = body.decode().split("\n")
            self.assertEqual(len(files), 2, body)
            for f in files:
                self.assertIn("lib-dynload", f)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_module_replaced_after_start(self):
        """A package upgrade replaces the module under a running master:
        the workers it forks next still load the file it started with."""
        tmp = tempfile.mkdtemp(prefix="pfw-it-")
        try:
            mod = os.path.join(tmp, "prefork-wsgi-python.so")
            shutil.copy(os.path.join(os.path.dirname(BINARY),
                                     "prefork-wsgi-python.so"), mod)
            srv, _ = self.serve("preload_probe",
                                env={"PREFORK_WSGI_MODULE": mod})
            try:
                with open(mod + ".new", "wb") as f:
                    f.write(b"not a shared object\n")
                os.rename(mod + ".new", mod)
                old = set(children(srv.proc.pid))
                os.kill(sorted(old)[0], signal.SIGKILL)
                end = time.monotonic() + DEADLINE
                while True:
                    new = set(children(srv.proc.pid)) - old
                    if new and all(has(mapped(pid), "prefork-wsgi-python")
                                   for pid in new):
                        break
                    self.assertNotIn("dlopen(", srv.log())
                    self.assertLess(time.monotonic(), end, srv.log())
                    select.select([], [], [], 0.02)
                self.assertEqual(request(srv, "GET", "/")[0], 200)
            finally:
                self.assertEqual(srv.stop(), 0, srv.log())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_missing_module(self):
        env = {"PREFORK_WSGI_MODULE": "/nonexistent/prefork-wsgi-python.so"}
        srv = Server("probe:app", kind="ev", env=env)
        self.assertEqual(srv.exit_status(), 3)
        self.assertIn("open(/nonexistent/prefork-wsgi-python.so) failed",
                      srv.log())
        self.assertIn("No such file or directory", srv.log())
        p = subprocess.run([BINARY, "--check-config", "probe:app"],
                           cwd=APPS, capture_output=True, timeout=DEADLINE,
                           env=dict(os.environ, **env))
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"dlopen(/nonexistent/prefork-wsgi-python.so) failed",
                      p.stderr)

    def refused(self, data):
        """A module file holding data, as from another build: a worker
        refuses it with one clear message and the master stops as for a
        boot error (3), before any request is served."""
        tmp = tempfile.mkdtemp(prefix="pfw-it-")
        try:
            mod = os.path.join(tmp, "prefork-wsgi-python.so")
            with open(mod, "wb") as f:
                f.write(data(tmp))
            srv = Server("probe:app", kind="ev",
                         env={"PREFORK_WSGI_MODULE": mod})
            self.assertEqual(srv.exit_status(), 3, srv.log())
            self.assertIn(mod + " is not the module of this prefork-wsgi",
                          srv.log())
            self.assertIn("install both from the same build", srv.log())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_module_of_another_table_version(self):
        """A module of table version 1 (each version names its symbol
        after itself): a small shared object that exports pfw_module_v1."""
        def data(tmp):
            src = os.path.join(tmp, "v1.c")
            with open(src, "w") as f:
                f.write("const struct { unsigned version; } "
                        "pfw_module_v1 = { 1 };\n")
            out = os.path.join(tmp, "v1.so")
            subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC",
                            "-o", out, src], check=True, timeout=DEADLINE)
            with open(out, "rb") as f:
                return f.read()
        self.refused(data)

    def test_module_of_another_build(self):
        """The same table version, built from other headers (a field of
        pfw_app or of libprefork's structures changed but not the size of
        the table): its build identity differs."""
        def data(tmp):
            with open(os.path.join(os.path.dirname(BINARY),
                                   "prefork-wsgi-python.so"), "rb") as f:
                good = f.read()
            m = re.search(rb"prefork-wsgi-module:([0-9a-f])", good)
            self.assertIsNotNone(m, "the module carries no build identity")
            other = b"1" if m.group(1) == b"0" else b"0"
            return good.replace(m.group(0),
                                b"prefork-wsgi-module:" + other, 1)
        self.refused(data)


FORCED = "Balance: a connection waited"


class WorkerTests(unittest.TestCase):
    """What the worker kinds do beyond one request: balance, uploads,
    PROXY headers, signals, log lines."""

    def test_keepalive_connections_balanced(self):
        """50 keep-alive connections opened at once over 2 workers: each
        worker holds >= 35 % of them, in each of 5 runs.

        A worker not scheduled for 20 ms on a loaded machine looks like
        one stuck in a long app call: its sibling rightly takes what
        waits, and logs it.  Such a run is tried once more; a second one
        fails, and with balancing off that line never appears."""
        for kind in ("ev", "gthread"):
            for run in range(5):
                with self.subTest(kind=kind, run=run):
                    shares, log = self._balanced_run(kind)
                    if min(shares) < 18 and FORCED in log:
                        shares, log = self._balanced_run(kind)
                    self.assertGreaterEqual(min(shares), 18,
                                            "%r\n%s" % (shares, log))

    def _balanced_run(self, kind):
        srv = Server("-w", "2", "--threads", "4", "--keep-alive", "60",
                     "--log-level", "debug", "probe:app", kind=kind)
        try:
            # both workers count in the balance before the clients come
            rx = r"(?s)(\[DEBUG\] Accepting connections, load published.*){2}"
            self.assertTrue(srv.wait_log(rx), srv.log())
            socks = [srv.connect() for _ in range(50)]
            for s in socks:
                s.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
            count = {}
            for s in socks:
                st, h, body, _ = read_response(s)
                pid = json.loads(body)["pid"]
                count[pid] = count.get(pid, 0) + 1
            for s in socks:
                s.close()
            self.assertLessEqual(len(count), 2)
            return sorted(count.values()) + [0] * (2 - len(count)), srv.log()
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_ev_upload_does_not_stall_the_worker(self):
        """A client uploading 8 MiB piece by piece, another one answered
        between every two pieces by the same single ev worker."""
        srv = Server("-w", "1", "probe:app", kind="ev").ready()
        try:
            up, other = srv.connect(), srv.connect()
            n, piece = 8 << 20, 1 << 16
            up.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: %d\r\n\r\n" % n)
            crc = 0
            for i in range(n // piece):
                data = bytes([(i * 7 + k) & 0xff for k in range(256)]) * 256
                crc = zlib.crc32(data, crc)
                up.sendall(data)
                if i % 8 == 0:
                    other.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
                    st, h, body, _ = read_response(other)
                    self.assertEqual(body, b"just one item")
            st, h, body, _ = read_response(up)
            got = json.loads(body)
            self.assertEqual((got["len"], got["crc32"]), (n, crc))
            up.close()
            other.close()
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_ev_slow_download_does_not_stall_the_worker(self):
        """A client that does not read its 64 MiB response yet, another
        one answered meanwhile by the same single ev worker; then the
        first gets every byte, and the iterable is closed once."""
        srv = Server("-w", "1", "bigresp:app", kind="ev").ready()
        try:
            slow, other = srv.connect(), srv.connect()
            n = 1024
            slow.sendall(b"GET /gen?id=a&n=%d&cl=1 HTTP/1.1\r\n"
                         b"Host: x\r\n\r\n" % n)
            self.assertTrue(srv.wait_log(r"BIGSTART a"), srv.log())
            other.settimeout(10)
            other.sendall(b"GET /small?id=b HTTP/1.1\r\nHost: x\r\n\r\n")
            st, h, body, _ = read_response(other)
            self.assertEqual(body, b"hello b")
            self.assertNotIn("BIGCLOSE a", srv.log())
            head = b""
            while b"\r\n\r\n" not in head:
                head += slow.recv(1)
            self.assertIn(b"Content-Length: %d" % (n << 16), head)
            body = bytearray(n << 16)
            view, got = memoryview(body), 0
            while got < len(body):
                k = slow.recv_into(view[got:got + (1 << 16)])
                self.assertGreater(k, 0, "EOF after %d bytes" % got)
                got += k
            r = bytes(range(256))
            for i in range(n):
                j = i % 251             # bigresp.py's pattern, block i
                self.assertEqual(body[i << 16:(i + 1) << 16],
                                 (r[j:] + r[:j]) * 256, "block %d" % i)
            self.assertTrue(srv.wait_log(r"BIGCLOSE a after %d" % n),
                            srv.log())
            self.assertEqual(srv.log().count("BIGCLOSE a"), 1)
            slow.close()
            other.close()
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_proxy_protocol_options(self):
        line = b"PROXY TCP4 192.0.2.9 198.51.100.1 40000 8443\r\n"
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("--proxy-protocol", "v1", "--threads", "2",
                             "probe:app", kind=kind).ready()
                try:
                    s = srv.connect()
                    s.sendall(line + b"GET /env HTTP/1.1\r\nHost: x\r\n\r\n")
                    st, h, body, rest = read_response(s)
                    env = json.loads(body)
                    self.assertEqual(
                        (env["REMOTE_ADDR"], env["REMOTE_PORT"],
                         env["PROXY_PROTOCOL"], env["PROXY_ADDR"],
                         env["PROXY_PORT"]),
                        ("192.0.2.9", "40000", "TCP4", "198.51.100.1",
                         "8443"))
                    if kind != "sync":
                        s.sendall(b"GET /env HTTP/1.1\r\nHost: x\r\n\r\n")
                        st, h, body, rest = read_response(s, rest)
                        self.assertEqual(json.loads(body)["REMOTE_ADDR"],
                                         "192.0.2.9")
                    s.close()
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())
                srv = Server("--proxy-protocol", "auto", "--proxy-allow-from",
                             "10.1.2.3", "--threads", "2", "probe:app",
                             kind=kind).ready()
                try:
                    s = srv.connect()
                    s.sendall(line + b"GET /env HTTP/1.1\r\nHost: x\r\n\r\n")
                    st, h, body, rest = read_response(s)
                    self.assertEqual(st, 403)
                    self.assertIn(b"Request forbidden", body)
                    self.assertEqual(s.recv(10), b"")
                    s.close()
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_usr1_reaches_each_worker(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                srv = Server("--log-level", "debug", "--threads", "2",
                             "probe:app", kind=kind).ready()
                try:
                    pid = json.loads(request(srv, "GET", "/pid")[2])["pid"]
                    os.kill(pid, signal.SIGUSR1)
                    self.assertTrue(srv.wait_log(
                        r"\[%d\] \[DEBUG\] reopening log files" % pid),
                        srv.log())
                    again = json.loads(request(srv, "GET", "/pid")[2])
                    self.assertEqual(again["pid"], pid)
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_no_body_warning(self):
        srv = Server("probe:app", kind="ev").ready()
        try:
            c = srv.http()
            c.request("HEAD", "/nobody")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            c.close()
            self.assertTrue(srv.wait_log(
                r"\[WARNING\] WSGI app sent body bytes on a no-body "
                r"response \(method=HEAD status=200\); dropping per "
                r"RFC 9110\."), srv.log())
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())


if __name__ == "__main__":
    unittest.main()
