"""Helpers of the fault suite (tests/reliability).

Run with Debian's /usr/bin/python3 by mk/reliability.mk; PREFORK_WSGI names
the binary, REL_LOADGEN the load client (loadgen.c), REL_FIGURES the file
the measured figures are appended to.  Everything waits on log lines,
sockets, pipes or /proc with a deadline; nothing sleeps to synchronise.
"""
import os
import re
import resource
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
APPS = os.path.join(HERE, "apps")
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("PREFORK_WSGI",
                        os.path.join(ROOT, "build", "prefork-wsgi"))
LOADGEN = os.environ.get("REL_LOADGEN", os.path.join(
    ROOT, "build", "tests", "reliability", "loadgen"))
FIGURES = os.environ.get("REL_FIGURES")
DEADLINE = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- known failures ------------------------------------------------------

def _known():
    names = {}
    with open(os.path.join(HERE, "KNOWN_FAILURES")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, why = line.partition(" ")
                names[name] = why.strip()
    return names


KNOWN = _known()


def known_failure(fn):
    """Skips a case listed in KNOWN_FAILURES unless REL_KNOWN=1, so that
    `make check` stays green while the case keeps its real assertions."""
    why = KNOWN.get(fn.__name__)
    if why is None or os.environ.get("REL_KNOWN") == "1":
        return fn
    return unittest.skip("known failure: " + why)(fn)


# ---- figures -------------------------------------------------------------

def figure(case, result=None, verdict="pass", **extra):
    """One line of measured figures: case, requests sent, failed, retried,
    p99 (ms) during the event, then free key=value pairs."""
    r = result or {}
    cols = [case, str(r.get("sent", "-")), str(r.get("failed", "-")),
            str(r.get("retried", "-")),
            str(r["win_p99_ms"] if r.get("win_sent") else
                r.get("p99_ms", "-")), verdict,
            " ".join("%s=%s" % kv for kv in sorted(extra.items()))]
    line = "\t".join(cols)
    print("\nFIGURE\t" + line, flush=True)
    if FIGURES:
        with open(FIGURES, "a") as f:
            f.write(line + "\n")


# ---- /proc ---------------------------------------------------------------

def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False            # reaped between the two looks


def wait_until(pred, timeout=DEADLINE, step=0.01):
    """Polls pred() until true or timeout: for conditions no fd signals
    (a process that is not our child leaving, an fd count in /proc)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return v
        select.select([], [], [], step)


def wait_gone(pid, timeout=DEADLINE):
    return wait_until(lambda: not alive(pid), timeout)


def children(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return sorted(k for k in kids if alive(k))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cpu_secs(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the server ----------------------------------------------------------

class Server:
    """The binary in a subprocess; its log (stderr) is collected line by
    line with a timestamp, so cases can time events from the log."""

    def __init__(self, app, *args, kind="ev", workers=1, bind=None,
                 graceful=10, nofile=None, cmd_prefix=(), env=None):
        self.tmp = tempfile.mkdtemp(prefix="pfw-rel-")
        if bind is None:
            self.port = free_port()
            bind = "127.0.0.1:%d" % self.port
        else:
            self.port = None
        self.bind = bind
        self.addr = bind
        cmd = list(cmd_prefix) + [
            BINARY, "-b", bind, "-k", kind, "-w", str(workers),
            "--graceful-timeout", str(graceful), "--chdir", APPS]
        cmd += list(args) + [app]
        full_env = dict(os.environ)
        full_env.pop("GUNICORN_CMD_ARGS", None)
        full_env.update(env or {})
        self.lines = []                  # (monotonic time, text)
        self.eof = False
        self.cond = threading.Condition()

        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen(cmd, cwd=self.tmp, env=full_env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE,
                                     preexec_fn=limit)
        self.pid = self.proc.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.lines.append((time.monotonic(),
                                   raw.decode("utf-8", "replace")))
                self.cond.notify_all()
        self.proc.stderr.close()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "".join(t for _, t in self.lines)

    def count(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for _, t in self.lines if rx.search(t))

    def wait_count(self, pattern, n, timeout=DEADLINE):
        """Waits until pattern matched n log lines; returns the time of
        the n-th such line, or None."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [ts for ts, t in self.lines if rx.search(t)]
                if len(hits) >= n:
                    return hits[n - 1]
                if self.eof:
                    return None
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def wait_log(self, pattern, timeout=DEADLINE):
        return self.wait_count(pattern, 1, timeout)

    def ready(self, n=None):
        n = n or 1
        if self.wait_count(r"Booting worker with pid", n) is None:
            self.kill()
            raise AssertionError("server did not boot:\n" + self.log())
        return self

    def workers(self):
        return children(self.pid)

    def connect(self, timeout=DEADLINE):
        if self.port is None:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(timeout)
            s.connect(self.bind[5:])
        else:
            s = socket.create_connection(("127.0.0.1", self.port),
                                         timeout=timeout)
        s.settimeout(timeout)
        return s

    def get(self, path="/", timeout=DEADLINE):
        """One GET on a new connection: (status, body)."""
        s = self.connect(timeout)
        try:
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            data = recv_all(s)
        finally:
            s.close()
        return parse_response(data)

    def send(self, sig):
        os.kill(self.pid, sig)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(DEADLINE)

    def stop(self, sig=signal.SIGTERM, timeout=DEADLINE):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(DEADLINE)
            raise AssertionError("server did not stop:\n" + self.log())
        finally:
            self.reader.join(DEADLINE)
            shutil.rmtree(self.tmp, ignore_errors=True)
        log = self.log()
        if "AddressSanitizer" in log or "runtime error:" in log:
            raise AssertionError("sanitizer report:\n" + log)
        return rc


def recv_all(s, limit=1 << 24):
    data = b""
    while len(data) < limit:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def parse_response(data):
    if not data.startswith(b"HTTP/1."):
        return None, data
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# ---- the load client -----------------------------------------------------

class Load:
    """loadgen in a subprocess: started, waited for until its first
    response came back, an event window opened and closed around what the
    case does, then stopped (SIGINT) and its summary parsed."""

    def __init__(self, server, conns=8, rate=1000, secs=60, path="/",
                 close=False, count=None, timeout_ms=5000):
        cmd = [LOADGEN, "-c", str(conns), "-r", str(rate), "-d", str(secs),
               "-p", path, "-t", str(timeout_ms)]
        if server.port is None:
            cmd += ["-u", server.bind[5:]]
        else:
            cmd += ["-a", "127.0.0.1:%d" % server.port]
        if close:
            cmd.append("-C")
        if count is not None:
            cmd += ["-n", str(count)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.err = []
        self.errt = threading.Thread(target=self._read_err, daemon=True)
        self.errt.start()
        r, _, _ = select.select([self.proc.stdout], [], [], DEADLINE)
        line = self.proc.stdout.readline() if r else b""
        if line.strip() != b"ready":
            self.proc.kill()
            raise AssertionError("loadgen not ready: %r %s"
                                 % (line, "".join(self.err)))

    def _read_err(self):
        for raw in self.proc.stderr:
            self.err.append(raw.decode("utf-8", "replace"))

    def steady(self, secs):
        """Lets the load run secs seconds: a measured stretch of steady
        traffic around an event (every connection is in use and reused
        by then), not a synchronisation."""
        r, _, _ = select.select([self.proc.stdout], [], [], secs)
        if r:
            raise AssertionError("loadgen ended early")

    def window_open(self):
        self.proc.send_signal(signal.SIGUSR1)

    def window_close(self):
        self.proc.send_signal(signal.SIGUSR2)

    def finish(self, timeout=DEADLINE + 60):
        """Waits for the run to end by itself (-d/-n) and parses it."""
        out, _ = self.proc.communicate(timeout=timeout)
        self.errt.join(DEADLINE)
        return self._parse(out)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def _parse(self, out):
        for line in out.decode().splitlines():
            if line.startswith("RESULT "):
                res = {}
                for kv in line.split()[1:]:
                    k, v = kv.split("=")
                    res[k] = float(v) if "." in v else int(v)
                res["errors"] = "".join(self.err)
                return res
        raise AssertionError("no RESULT from loadgen: %r %s"
                             % (out, "".join(self.err)))


def summary(res):
    return ("sent=%(sent)s failed=%(failed)s retried=%(retried)s "
            "refused=%(refused)s reset=%(reset)s eof=%(eof)s "
            "http5xx=%(http5xx)s timeout=%(timeout)s p99=%(p99_ms)sms "
            "win_sent=%(win_sent)s win_p99=%(win_p99_ms)sms rps=%(rps)s\n"
            % res) + res.get("errors", "")
