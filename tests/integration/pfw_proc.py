"""Shared helpers of the lifecycle, privileges, nginx and development
integration tests (test_lifecycle.py, test_privileges.py, test_nginx.py,
test_devel.py): the binary in a subprocess with its log collected, raw
HTTP over TCP or unix sockets, an sd_notify receiver that knows who sent
each message, pid files and /proc.

Every wait has a deadline.  A few waits poll the file system (a pid file
appearing, a process gone) every 20 ms up to their deadline: there is no
event to block on for those.  Nothing sleeps to let the server catch up.
"""
import ctypes
import os
import re
import socket
import struct
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(os.path.dirname(HERE), "apps")
BINARY = os.environ.get("PREFORK_WSGI", os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "build", "prefork-wsgi"))
DEADLINE = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    env = dict(os.environ)
    for k in ("GUNICORN_CMD_ARGS", "NOTIFY_SOCKET", "LISTEN_FDS",
              "LISTEN_PID", "GUNICORN_FD", "GUNICORN_PID"):
        env.pop(k, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def wait_until(pred, timeout=DEADLINE, what="condition"):
    """Poll pred() every 20 ms until it is true; its value, or an error."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class Proc:
    """A command whose stderr (the server's log) is collected line by
    line; wait_log() blocks on the next lines with a deadline."""

    def __init__(self, cmd, cwd=APPS, env=None, stdout=subprocess.DEVNULL):
        self.cmd = cmd
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env or clean_env(),
                                     stdin=subprocess.DEVNULL,
                                     stdout=stdout, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace"))
                self.cond.notify_all()
        self.proc.stderr.close()
        with self.cond:
            self.lines.append(None)              # EOF: every writer gone
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "".join(x for x in self.lines if x is not None)

    def wait_log(self, pattern, count=1, timeout=DEADLINE):
        """Wait until pattern matched count times in the log; the last
        match.  Fails with the log when the deadline passes or every
        writer of the log is gone first."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                found = list(rx.finditer(
                    "".join(x for x in self.lines if x is not None)))
                if len(found) >= count:
                    return found[count - 1]
                left = end - time.monotonic()
                if None in self.lines or left <= 0:
                    raise AssertionError(
                        "%r (x%d) not in the log of %s:\n%s"
                        % (pattern, count, self.cmd[:3], self.log()[-6000:]))
                self.cond.wait(left)

    def count(self, pattern):
        return len(re.findall(pattern, self.log(), re.M))

    def eof(self, timeout=DEADLINE):
        """Wait until every process writing the log closed it."""
        self.reader.join(timeout)
        return not self.reader.is_alive()

    def stop(self, sig=15, timeout=DEADLINE):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout=DEADLINE):
        rc = self.proc.wait(timeout)
        self.check_sanitizer()
        return rc

    def check_sanitizer(self):
        log = self.log()
        if "AddressSanitizer" in log or "runtime error:" in log:
            raise AssertionError("sanitizer report:\n" + log)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(DEADLINE)

    def finish(self):
        """At the end of a test: kill what still runs, then look for a
        sanitizer report in the whole log (once every writer is gone)."""
        self.kill()
        if self.eof(5):
            self.check_sanitizer()


def connect(addr, timeout=DEADLINE):
    """addr: a port on 127.0.0.1, ('127.0.0.1', port) or a unix path."""
    if isinstance(addr, int):
        addr = ("127.0.0.1", addr)
    if isinstance(addr, str):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(addr)
    else:
        s = socket.create_connection(addr, timeout=timeout)
    s.settimeout(timeout)
    return s


def read_response(s):
    """(status, {lower-case header: value}, body) of a response that ends
    with the connection (every request here says Connection: close)."""
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        raise AssertionError("not an HTTP response: %r" % buf[:200])
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return status, headers, body


def get(addr, path="/", headers=None, prefix=b"", sock=None):
    """One GET (Connection: close); prefix goes before the request line
    (a PROXY header, say)."""
    s = sock or connect(addr)
    try:
        req = "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" % path
        for k, v in (headers or {}).items():
            req += "%s: %s\r\n" % (k, v)
        s.sendall(prefix + req.encode("latin-1") + b"\r\n")
        return read_response(s)
    finally:
        s.close()


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def alive(pid):
    """Running and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ppid_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def status_of(pid):
    """/proc/PID/status as {key: value}."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


_PR_SET_CHILD_SUBREAPER = 36


class Subreaper:
    """Within the block this process adopts orphaned descendants (a
    promoted USR2 master, a daemon), so their exits can be waited for;
    reap(pid) collects one.  The flag is cleared on the way out."""

    def __enter__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        self.prctl = libc.prctl
        if self.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        self.adopted = set()
        return self

    def reap(self, pid, timeout=DEADLINE):
        """Wait for an adopted pid's exit: its raw status."""
        end = time.monotonic() + timeout
        while True:
            try:
                got, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return None                  # not (yet) ours: gone already
            if got == pid:
                return st
            if time.monotonic() > end:
                raise AssertionError("pid %d did not exit" % pid)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        return False


class Notify:
    """An sd_notify receiver: a unix datagram socket ('@name' abstract or
    a path) with SO_PASSCRED, so each message comes with its sender's pid
    (what systemd checks against NotifyAccess=)."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        bind = "\0" + address[1:] if address.startswith("@") else address
        self.sock.bind(bind)

    def recv(self, timeout=DEADLINE):
        """(sender pid, {key: value}) of the next message."""
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(
                4096, socket.CMSG_SPACE(struct.calcsize("3i")))
        except socket.timeout:
            raise AssertionError("no sd_notify message within %ss"
                                 % timeout) from None
        pid = 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload[:12])[0]
        fields = dict(line.split("=", 1)
                      for line in data.decode().split("\n") if "=" in line)
        return pid, fields

    def pending(self):
        """Every message already queued, without waiting."""
        out = []
        self.sock.setblocking(False)
        try:
            while True:
                out.append(self.recv(0))
        except (AssertionError, BlockingIOError, OSError):
            pass
        finally:
            self.sock.setblocking(True)
        return out

    def close(self):
        self.sock.close()
        if not self.address.startswith("@"):
            try:
                os.unlink(self.address)
            except OSError:
                pass


class Hammer:
    """A client that keeps making requests in a thread, a new connection
    each, until stopped: no request may fail while the server is being
    upgraded, reloaded or rolled back."""

    def __init__(self, addr, path="/pid"):
        self.addr, self.path = addr, path
        self.ok = 0
        self.failures = []
        self.pids = set()
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.halt.is_set():
            try:
                st, _, body = get(self.addr, self.path)
                if st == 200:
                    self.ok += 1
                    self.pids.add(body.strip())
                else:
                    self.failures.append("status %d" % st)
            except Exception as e:               # noqa: BLE001 (counted)
                self.failures.append(repr(e))

    def wait_for(self, n, timeout=DEADLINE):
        start = self.ok
        wait_until(lambda: self.ok >= start + n or self.failures, timeout,
                   "%d more requests" % n)

    def stop(self):
        self.halt.set()
        self.thread.join(DEADLINE)
        return self.failures
