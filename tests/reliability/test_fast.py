"""The fault suite's fast cases (`make check-reliability`, part of
`make check`).  Each case starts the real binary on 127.0.0.1 with a free
port, drives it, and asserts figures; every wait has a deadline.  The
figures of each case are printed (FIGURE lines) and appended to
$REL_FIGURES.  See tests/reliability/README.md for the list.
"""
import os
import select
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signal
import socket
import time
import unittest

from rel import (APPS, DEADLINE, Load, Server, alive, children, cpu_secs,
                 fd_count, figure, recv_all, summary, wait_gone, wait_until)

LIFECYCLE_KINDS = ("ev", "sync")


def booted(srv):
    return srv.count(r"Booting worker with pid")


class Lifecycle(unittest.TestCase):
    """Reloads, resizes, upgrades and kills under a steady 1,000 req/s:
    nothing may fail (retries on reused keep-alive connections are
    counted apart, as a real client would make them)."""

    def under_load(self, name, kind, event, workers=2, conns=8):
        srv = Server("hello:app", kind=kind, workers=workers).ready(workers)
        try:
            load = Load(srv, conns=conns, rate=1000, secs=60)
            load.steady(0.5)
            load.window_open()
            t = time.monotonic()
            info = event(srv) or {}
            took = time.monotonic() - t
            load.window_close()
            load.steady(0.5)
            res = load.stop()
        finally:
            rc = srv.stop()
        verdict = "pass" if res["failed"] == 0 and rc == 0 else "FAIL"
        figure("%s[%s]" % (name, kind), res, verdict,
               event_s="%.2f" % took, **info)
        self.assertEqual(rc, 0, srv.log())
        self.assertGreater(res["win_sent"], 0)
        self.assertEqual(res["failed"], 0, summary(res) + srv.log()[-3000:])
        return res

    def hup_x5(self, kind):
        def event(srv):
            n = booted(srv)
            for i in range(1, 6):
                srv.send(signal.SIGHUP)
                self.assertIsNotNone(
                    srv.wait_count(r"Booting worker with pid", n + 2 * i),
                    srv.log())
                # the old generation is gone before the next HUP
                self.assertTrue(wait_until(
                    lambda: len(srv.workers()) == 2), srv.log())
        self.under_load("hup_x5", kind, event)

    def test_hup_x5_ev(self):
        self.hup_x5("ev")

    def test_hup_x5_sync(self):
        self.hup_x5("sync")

    def ttin_ttou(self, kind):
        def event(srv):
            n = booted(srv)
            for i in range(1, 4):
                srv.send(signal.SIGTTIN)
                self.assertIsNotNone(
                    srv.wait_count(r"Booting worker with pid", n + i))
                self.assertTrue(wait_until(
                    lambda: len(srv.workers()) == 2 + i), srv.log())
            for i in range(1, 4):
                srv.send(signal.SIGTTOU)
                self.assertTrue(wait_until(
                    lambda: len(srv.workers()) == 5 - i), srv.log())
        self.under_load("ttin3_ttou3", kind, event)

    def test_ttin_x3_ttou_x3_ev(self):
        self.ttin_ttou("ev")

    def test_ttin_x3_ttou_x3_sync(self):
        self.ttin_ttou("sync")

    def worker_sigkill(self, kind):
        def event(srv):
            victim = srv.workers()[0]
            n = booted(srv)
            os.kill(victim, signal.SIGKILL)
            self.assertIsNotNone(srv.wait_count(
                r"Worker \(pid:%d\) was sent SIGKILL" % victim, 1))
            self.assertIsNotNone(
                srv.wait_count(r"Booting worker with pid", n + 1))
            self.assertTrue(wait_until(lambda: len(srv.workers()) == 2))
            return {"victim": victim}
        self.under_load("worker_sigkill", kind, event)

    def test_worker_sigkill_ev(self):
        self.worker_sigkill("ev")

    def test_worker_sigkill_sync(self):
        self.worker_sigkill("sync")


class DaemonLog:
    """The error log file of a daemonized server (-D), read as it grows."""

    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            with open(self.path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def count(self, pattern):
        import re
        return len(re.findall(pattern, self.text()))

    def wait_count(self, pattern, n, timeout=DEADLINE):
        return wait_until(lambda: self.count(pattern) >= n, timeout)


def read_pid(path, timeout=DEADLINE):
    def get():
        try:
            with open(path) as f:
                return int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0
    return wait_until(get, timeout)


class Upgrade(unittest.TestCase):
    """USR2 -> WINCH -> TERM of the old master, gunicorn's binary upgrade
    dance, under 1,000 req/s: the listeners pass to the new master and not
    one request fails."""

    def upgrade(self, kind):
        import tempfile
        import shutil
        from rel import BINARY, free_port
        tmp = tempfile.mkdtemp(prefix="pfw-rel-up-")
        port = free_port()
        pidfile = os.path.join(tmp, "pid")
        log = DaemonLog(os.path.join(tmp, "error.log"))
        cmd = [BINARY, "-D", "-p", pidfile, "--error-logfile", log.path,
               "-b", "127.0.0.1:%d" % port, "-k", kind, "-w", "2",
               "--chdir", APPS, "hello:app"]
        env = dict(os.environ)
        env.pop("GUNICORN_CMD_ARGS", None)
        import subprocess
        rc = subprocess.run(cmd, cwd=tmp, env=env, timeout=DEADLINE,
                            stdin=subprocess.DEVNULL).returncode
        self.assertEqual(rc, 0, log.text())
        old = read_pid(pidfile)
        self.assertTrue(old, log.text())
        new = 0

        class Addr:
            pass
        target = Addr()
        target.port = port
        try:
            load = Load(target, conns=8, rate=1000, secs=60)
            load.steady(0.5)
            load.window_open()
            t = time.monotonic()
            booted = log.count(r"Booting worker with pid")
            os.kill(old, signal.SIGUSR2)
            new = read_pid(pidfile + ".2")
            self.assertTrue(new, log.text())
            self.assertTrue(log.wait_count(r"Booting worker with pid",
                                           booted + 2), log.text())
            self.assertTrue(wait_until(lambda: len(children(new)) == 2),
                            log.text())
            os.kill(old, signal.SIGWINCH)
            self.assertTrue(wait_until(
                lambda: [k for k in children(old) if k != new] == []),
                log.text())
            os.kill(old, signal.SIGTERM)
            self.assertTrue(wait_gone(old), log.text())
            self.assertTrue(log.wait_count(r"Master has been promoted", 1),
                            log.text())
            took = time.monotonic() - t
            load.window_close()
            load.steady(0.5)
            res = load.stop()
        finally:
            for pid in (old, new):
                if pid and alive(pid):
                    os.kill(pid, signal.SIGTERM)
            for pid in (old, new):
                if pid:
                    wait_gone(pid)
            text = log.text()
            shutil.rmtree(tmp, ignore_errors=True)
        verdict = "pass" if res["failed"] == 0 else "FAIL"
        figure("usr2_winch_term[%s]" % kind, res, verdict,
               event_s="%.2f" % took)
        self.assertEqual(res["failed"], 0, summary(res) + text[-3000:])

    def test_usr2_winch_term_ev(self):
        self.upgrade("ev")

    def test_usr2_winch_term_sync(self):
        self.upgrade("sync")


def pid_of(body):
    return int(body.split()[-1])


class Stop(unittest.TestCase):

    def test_sigterm_answers_inflight_and_queued(self):
        """SIGTERM while a request sleeps 2 s in the only worker and three
        more wait in the listen queue (gthread: in its pool's queue): all
        four are answered, then the server exits."""
        for kind in LIFECYCLE_KINDS + ("gthread",):
            with self.subTest(kind=kind):
                self.inflight_and_queued(kind)

    def inflight_and_queued(self, kind):
        srv = Server("sleepy:app", kind=kind, workers=1,
                     graceful=10).ready()
        socks = []
        try:
            a = srv.connect()
            a.sendall(b"GET /?s=2 HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIsNotNone(srv.wait_count(r"SLEEP-START", 1))
            for _ in range(3):
                s = srv.connect()
                s.sendall(b"GET /?s=0 HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                socks.append(s)
            t = time.monotonic()
            srv.send(signal.SIGTERM)
            answers = []
            for s in [a] + socks:
                try:
                    data = recv_all(s)
                except OSError as e:
                    data = repr(e).encode()
                answers.append(data[:15])
            rc = srv.stop()
            took = time.monotonic() - t
        finally:
            if srv.proc.poll() is None:
                srv.kill()
            for s in socks:
                s.close()
        ok = sum(1 for x in answers if x.startswith(b"HTTP/1.1 200"))
        verdict = "pass" if ok == 4 and rc == 0 else "FAIL"
        figure("sigterm_inflight_queued[%s]" % kind,
               {"sent": 4, "failed": 4 - ok, "retried": 0},
               verdict, exit_s="%.2f" % took)
        self.assertEqual(rc, 0)
        self.assertEqual(answers, [b"HTTP/1.1 200 OK"] * 4, srv.log())

    def test_graceful_timeout_bounds_the_stop(self):
        """A request that would sleep 5 s, --graceful-timeout 1: the worker
        is killed after about 1 s, the client sees the connection close,
        the master exits 0."""
        for kind in LIFECYCLE_KINDS:
            with self.subTest(kind=kind):
                srv = Server("sleepy:app", kind=kind, workers=1,
                             graceful=1).ready()
                a = srv.connect()
                a.sendall(b"GET /?s=5 HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertIsNotNone(srv.wait_count(r"SLEEP-START", 1))
                t = time.monotonic()
                srv.send(signal.SIGTERM)
                try:
                    data = recv_all(a)
                except ConnectionResetError:
                    data = b""
                cut = time.monotonic() - t
                rc = srv.stop()
                took = time.monotonic() - t
                a.close()
                figure("graceful_timeout_1s[%s]" % kind,
                       {"sent": 1, "failed": 1, "retried": 0},
                       "pass" if data == b"" and took < 5 else "FAIL",
                       cut_s="%.2f" % cut, exit_s="%.2f" % took)
                self.assertEqual(data, b"")
                self.assertEqual(rc, 0)
                self.assertLess(took, 4.5, srv.log())
                self.assertGreater(cut, 0.9)


class Kill(unittest.TestCase):

    def test_worker_sigkill_mid_request(self):
        """The only worker is SIGKILLed while a request sleeps: that client
        sees the connection close, the master logs the signal by name, a
        replacement answers; the time from the kill to the first answer
        is recorded (the issue's target: 100 ms)."""
        for kind in LIFECYCLE_KINDS:
            with self.subTest(kind=kind):
                srv = Server("sleepy:app", kind=kind, workers=1).ready()
                try:
                    a = srv.connect()
                    a.sendall(b"GET /?s=10 HTTP/1.1\r\nHost: x\r\n\r\n")
                    self.assertIsNotNone(srv.wait_count(r"SLEEP-START", 1))
                    victim = srv.workers()[0]
                    # a worker younger than 1 s that dies is a crash the
                    # master backs off from (100 ms): kill a settled one
                    born = srv.wait_count(r"Booting worker with pid", 1)
                    wait_until(lambda: time.monotonic() - born > 1.1, 5)
                    t = time.monotonic()
                    os.kill(victim, signal.SIGKILL)
                    try:
                        data = recv_all(a)
                    except ConnectionResetError:
                        data = b""
                    a.close()
                    # a new connection waits in the backlog until the
                    # replacement accepts it
                    st, body = srv.get("/pid")
                    served = time.monotonic() - t
                    logged = srv.wait_count(
                        r"Worker \(pid:%d\) was sent SIGKILL" % victim, 1)
                    rc = srv.stop()
                finally:
                    if srv.proc.poll() is None:
                        srv.kill()
                figure("worker_sigkill_mid_request[%s]" % kind,
                       {"sent": 2, "failed": 1, "retried": 0},
                       "pass" if served < 0.1 else "slow",
                       replacement_ms="%.0f" % (served * 1000))
                self.assertEqual(data, b"")
                self.assertEqual(st, 200)
                self.assertNotEqual(pid_of(body), victim)
                self.assertIsNotNone(logged, srv.log())
                self.assertEqual(rc, 0)

    def test_master_sigkill(self):
        """SIGKILL to the master: every worker exits well within
        timeout/2 s and nothing holds the port afterwards."""
        for kind in LIFECYCLE_KINDS + ("gthread",):
            with self.subTest(kind=kind):
                srv = Server("hello:app", "--timeout", "10", kind=kind,
                             workers=3).ready(3)
                pids = srv.workers()
                self.assertEqual(len(pids), 3)
                t = time.monotonic()
                srv.proc.kill()
                srv.proc.wait(DEADLINE)
                gone = all(wait_gone(p, 5) for p in pids)
                took = time.monotonic() - t
                srv.stop()
                with socket.socket() as s:
                    refused = s.connect_ex(("127.0.0.1", srv.port))
                with socket.socket() as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("127.0.0.1", srv.port))
                    s.listen()
                figure("master_sigkill[%s]" % kind, None,
                       "pass" if gone else "FAIL",
                       workers_gone_ms="%.0f" % (took * 1000))
                self.assertTrue(gone, "a worker outlived its master")
                self.assertNotEqual(refused, 0)


def linger_rst(s):
    """Close with an RST instead of a FIN."""
    import struct
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def drain_sock(s, timeout=10):
    """Reads until EOF, RST or timeout: what came back (b"" if nothing)."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


class Hostile(unittest.TestCase):
    """Broken and hostile clients: the server answers or closes, never
    crashes, and the worker's fd count returns to its baseline."""

    def settle(self, srv, worker, base):
        return wait_until(lambda: fd_count(worker) <= base, 10)

    def check_kind(self, kind):
        srv = Server("upload_sink:app", "--timeout", "3", kind=kind,
                     workers=1).ready()
        big = Server("bigstream:app", "--timeout", "3", kind=kind,
                     workers=1).ready()
        try:
            worker = pid_of(srv.get("/pid")[1])
            bworker = pid_of(big.get("/pid")[1])
            base = fd_count(worker)
            bbase = fd_count(bworker)
            answers = {}

            # random bytes
            rnd = []
            for i in range(20):
                s = srv.connect()
                try:
                    s.sendall(os.urandom(4096))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                rnd.append(drain_sock(s)[:12])
                s.close()
            answers["random"] = sorted(set(rnd))
            # truncated head, then EOF
            s = srv.connect()
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: ")
            s.shutdown(socket.SHUT_WR)
            answers["trunc_head"] = drain_sock(s)[:12]
            s.close()
            # truncated body, then EOF
            s = srv.connect()
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100"
                      b"\r\n\r\n0123456789")
            s.shutdown(socket.SHUT_WR)
            answers["trunc_body"] = drain_sock(s)[:12]
            s.close()
            # a whole request, then half-close: still answered
            s = srv.connect()
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
                      b"\r\n\r\nhello")
            s.shutdown(socket.SHUT_WR)
            half = drain_sock(s)
            s.close()
            answers["half_close"] = half[:12]
            # RST in the middle of a chunked upload
            for _ in range(5):
                s = srv.connect()
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n"
                          b"1000\r\n" + b"z" * 4096 + b"\r\n800\r\nzz")
                linger_rst(s)
            # idle connect, then RST
            for _ in range(5):
                linger_rst(srv.connect())
            # a client that never reads a 64 MiB response, then leaves
            nr = [big.connect() for _ in range(3 if kind == "ev" else 1)]
            for s in nr:
                s.sendall(b"GET /?mib=64 HTTP/1.1\r\nHost: x\r\n\r\n")
            t = time.monotonic()
            # the worker still serves others meanwhile (ev), or after
            # the write deadline (sync)
            st, _ = big.get("/pid", timeout=15)
            other_ms = (time.monotonic() - t) * 1000
            for s in nr:
                s.close()

            ok_after = srv.get("/")[0] == 200 and big.get("/pid")[0] == 200
            settled = self.settle(srv, worker, base)
            bsettled = self.settle(big, bworker, bbase)
            fds = (fd_count(worker), base, fd_count(bworker), bbase)
            same = (srv.workers() == [worker] and big.workers() == [bworker])
        finally:
            rc1 = srv.stop()
            rc2 = big.stop()
        crashes = [x for x in (srv.log() + big.log()).splitlines()
                   if "was sent SIG" in x or "exited with code" in x
                   or "Segmentation" in x]
        good = (settled and bsettled and same and ok_after and not crashes
                and half.startswith(b"HTTP/1.1 200") and rc1 == rc2 == 0)
        figure("hostile_clients[%s]" % kind, None,
               "pass" if good else "FAIL",
               fds="%d/%d,%d/%d" % fds, other_client_ms="%.0f" % other_ms,
               answers=repr(answers).replace(" ", ""))
        self.assertEqual(crashes, [])
        self.assertTrue(same, "a worker was replaced")
        self.assertTrue(ok_after)
        self.assertEqual(st, 200)
        self.assertTrue(half.startswith(b"HTTP/1.1 200"), half)
        self.assertTrue(half.endswith(b"5\n"), half)
        self.assertTrue(settled and bsettled, "fds: %d/%d %d/%d" % fds)
        for k in ("trunc_head", "trunc_body"):
            self.assertIn(answers[k][:12], (b"", b"HTTP/1.1 400"), k)
        for a in answers["random"]:
            self.assertIn(a[:12], (b"", b"HTTP/1.1 400"))
        self.assertEqual(rc1, 0)
        self.assertEqual(rc2, 0)

    def test_hostile_clients(self):
        for kind in LIFECYCLE_KINDS:
            with self.subTest(kind=kind):
                self.check_kind(kind)

    def test_keepalive_expiry(self):
        """An idle keep-alive connection is closed after --keep-alive 1."""
        for kind in ("ev", "gthread"):
            with self.subTest(kind=kind):
                srv = Server("hello:app", "--keep-alive", "1", kind=kind,
                             workers=1).ready()
                try:
                    k = srv.connect()
                    k.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    first = k.recv(65536)
                    t = time.monotonic()
                    rest = drain_sock(k, 5)
                    ka = time.monotonic() - t
                    k.close()
                finally:
                    rc = srv.stop()
                figure("keepalive_expiry_1s[%s]" % kind, None,
                       "pass" if 0.8 < ka < 3 else "FAIL",
                       closed_after_s="%.2f" % ka)
                self.assertTrue(first.startswith(b"HTTP/1.1 200"))
                self.assertEqual(rest, b"")
                self.assertGreater(ka, 0.8)
                self.assertLess(ka, 3)
                self.assertEqual(rc, 0)

    def test_slow_headers(self):
        """100 connections trickle their headers a byte every 0.5 s on a
        single ev (gthread) worker with --timeout 3 while a normal client
        keeps 500 req/s: the normal client loses nothing and every slow
        connection is answered 408 (or closed) about 3 s after it opened:
        the head has one deadline, a byte does not re-arm it."""
        for kind in ("ev", "gthread"):
            with self.subTest(kind=kind):
                self.slow_headers(kind)

    def slow_headers(self, kind):
        srv = Server("hello:app", "--timeout", "3", "--keep-alive", "1",
                     kind=kind, workers=1).ready()
        slow = []
        try:
            load = Load(srv, conns=4, rate=500, secs=60)
            load.window_open()
            t0 = time.monotonic()
            for _ in range(100):
                s = srv.connect()
                s.setblocking(False)
                slow.append([s, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "
                             + b"a" * 100, None, b""])
            deadline = t0 + 8
            while time.monotonic() < deadline:
                live = [x for x in slow if x[2] is None]
                if not live:
                    break
                r, _, _ = select.select([x[0] for x in live], [], [], 0.5)
                now = time.monotonic()
                for x in live:
                    if x[0] in r:
                        try:
                            data = x[0].recv(4096)
                        except ConnectionResetError:
                            data = b""
                        x[3] += data
                        if not data:
                            x[2] = now - t0
                            continue
                    if x[2] is None and x[1]:
                        try:
                            x[0].send(x[1][:1])
                            x[1] = x[1][1:]
                        except OSError:
                            x[2] = now - t0
            load.window_close()
            res = load.stop()
        finally:
            for x in slow:
                x[0].close()
            rc = srv.stop()
        closed = [x[2] for x in slow if x[2] is not None]
        heads = set(x[3][:12] for x in slow)
        figure("slow_headers_100[%s]" % kind, res,
               "pass" if res["failed"] == 0 and len(closed) == 100 else
               "FAIL", closed="%d/100" % len(closed),
               closed_at_s="%.2f-%.2f" % (min(closed or [0]),
                                          max(closed or [0])))
        self.assertEqual(res["failed"], 0, summary(res))
        self.assertEqual(len(closed), 100)
        self.assertGreater(min(closed), 2.5)
        self.assertLess(max(closed), 6)
        self.assertTrue(heads <= {b"", b"HTTP/1.1 408"}, heads)
        self.assertIn(b"HTTP/1.1 408", heads)
        self.assertEqual(rc, 0)


class Misbehave(unittest.TestCase):
    """Apps that break the WSGI contract: the right answer or a closed
    connection, an error log line, and the worker keeps serving."""

    CASES = [
        # path, acceptable status prefixes, log pattern
        ("/raise", (b"HTTP/1.1 500",), r"misbehave: raised on purpose"),
        ("/noniter", (b"HTTP/1.1 500", b""), r"TypeError"),
        ("/str", (b"HTTP/1.1 500", b""), r"TypeError|bytes"),
        ("/twice", (b"HTTP/1.1 500",), r"AssertionError|already"),
    ]

    def each_kind(self, fn, kinds=("sync", "ev", "gthread")):
        for kind in kinds:
            with self.subTest(kind=kind):
                srv = Server("misbehave:app", "--timeout", "2", kind=kind,
                             workers=1).ready()
                try:
                    fn(srv, kind)
                finally:
                    self.assertEqual(srv.stop(), 0, srv.log())

    def test_contract_breaches(self):
        def check(srv, kind):
            worker = pid_of(srv.get("/pid")[1])
            got = {}
            for path, want, pattern in self.CASES:
                s = srv.connect()
                s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\n"
                          b"Host: x\r\n\r\n")
                data = drain_sock(s, 10)
                s.close()
                got[path] = data[:12]
                self.assertIn(data[:12], want, (path, data, srv.log()))
                self.assertTrue(srv.wait_log(pattern, 10), (path, srv.log()))
                self.assertEqual(srv.get("/ok"), (200, b"ok\n"))
            # more bytes than Content-Length: never more than declared
            s = srv.connect()
            s.sendall(b"GET /overlong HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            data = drain_sock(s, 10)
            s.close()
            got["/overlong"] = data[-12:]
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
            self.assertTrue(data.endswith(b"\r\n\r\n01234"), data)
            # an endless iterable the client walks away from: closed
            s = srv.connect()
            s.sendall(b"GET /leak HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(65536)
            linger_rst(s)
            n = wait_until(lambda: srv.get("/closed")[1] == b"1", 10)
            self.assertTrue(n, srv.log())
            self.assertEqual(pid_of(srv.get("/pid")[1]), worker)
            self.assertNotIn("was sent SIG", srv.log())
            figure("misbehaving_apps[%s]" % kind, None, "pass",
                   answers=repr(got).replace(" ", ""))
        self.each_kind(check)

    def test_overlong_body_logged(self):
        """More bytes than Content-Length: truncated, and one WARNING per
        response says so."""
        def check(srv, kind):
            for _ in range(2):
                s = srv.connect()
                s.sendall(b"GET /overlong HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                data = drain_sock(s, 10)
                s.close()
                self.assertTrue(data.endswith(b"\r\n\r\n01234"), data)
            self.assertTrue(srv.wait_count(
                r"WARNING\] Response body for GET /overlong exceeded its "
                r"Content-Length \(5 bytes\); extra bytes dropped", 2, 5),
                srv.log())
            self.assertEqual(srv.count(r"exceeded its Content-Length"), 2)
        self.each_kind(check)

    def test_blocking_app_gthread(self):
        """gthread, 2 threads: a request blocked forever in one pool thread
        is timed out although the other thread keeps serving (the loop
        withholds the heartbeat once a request overruns --timeout); a new
        worker serves."""
        srv = Server("misbehave:app", "--timeout", "2", "--threads", "2",
                     kind="gthread", workers=1).ready()
        try:
            worker = pid_of(srv.get("/pid")[1])
            s = srv.connect()
            t = time.monotonic()
            s.sendall(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            served = 0
            while (time.monotonic() - t < 10
                   and srv.wait_log(r"WORKER TIMEOUT", 0.2) is None):
                try:
                    st, _ = srv.get("/ok", timeout=5)
                    served += st == 200
                except OSError:
                    pass
            data = drain_sock(s, 8)
            cut = time.monotonic() - t
            s.close()
            self.assertEqual(data, b"")
            self.assertTrue(srv.wait_log(r"WORKER TIMEOUT \(pid:%d\)"
                                         % worker, 10), srv.log())
            self.assertGreater(served, 0)
            st, body = srv.get("/pid", timeout=15)
            self.assertEqual(st, 200)
            self.assertNotEqual(pid_of(body), worker)
            figure("blocking_app[gthread]", None, "pass",
                   cut_s="%.2f" % cut, served_meanwhile=served)
        finally:
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_blocking_app_is_killed(self):
        def check(srv, kind):
            worker = pid_of(srv.get("/pid")[1])
            s = srv.connect()
            t = time.monotonic()
            s.sendall(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            data = drain_sock(s, 15)
            cut = time.monotonic() - t
            s.close()
            self.assertEqual(data, b"")
            self.assertTrue(srv.wait_log(r"WORKER TIMEOUT \(pid:%d\)"
                                         % worker, 10), srv.log())
            st, body = srv.get("/pid", timeout=15)
            self.assertEqual(st, 200)
            self.assertNotEqual(pid_of(body), worker)
            figure("blocking_app[%s]" % kind, None, "pass",
                   cut_s="%.2f" % cut)
        self.each_kind(check, ("sync", "ev"))
