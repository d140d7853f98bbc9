"""Integration tests: the server's life under a service manager.

Run by `make check-lifecycle` (Debian's /usr/bin/python3, PREFORK_WSGI
naming the binary).  The real binary, driven the way gunicorn's documented
command lines and signals drive gunicorn:

  * sd_notify: NOTIFY_SOCKET as an abstract name and as a path, received by
    a unix datagram socket with SO_PASSCRED (so each message's sender pid
    is known, as systemd knows it): READY=1 once serving, RELOADING=1 then
    READY=1 around SIGHUP (also when the new configuration is refused),
    STOPPING=1;
  * socket activation with Debian's systemd-socket-activate: served on the
    inherited fd, nothing bound (a default or explicit --bind is not
    bound), a unix socket file left in place at exit;
  * the USR2 upgrade: new master beside the old one, the .2 pid file,
    rollback (HUP old + TERM new), commit (TERM old), promotion (pid file
    renamed), MAINPID= from the old master then from the promoted one,
    nothing from an unpromoted master, while a client keeps making
    requests on fresh connections: not one may fail;
  * the same with -D: the launcher returns once serving, WINCH stops the
    old workers, server.reexec_pid/master_pid seen by hooks;
  * SIGHUP with a changed bind, timeout and graceful_timeout in the config
    file: re-bound at once, the new timeouts applied.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfw_proc import (APPS, BINARY, Hammer, Notify, Proc,  # noqa: E402
                      Subreaper, alive, children_of, clean_env, connect,
                      free_port, get, ppid_of, read_pid, wait_until)

APP = "lifecycle_app:app"
SSA = shutil.which("systemd-socket-activate") or \
    "/usr/bin/systemd-socket-activate"


def pid_of(body):
    return int(body.strip())


class Base(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pfw-life-")
        self.procs = []
        self.notify = None

    def tearDown(self):
        for p in self.procs:
            p.finish()
        if self.notify is not None:
            self.notify.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, args, env=None, cwd=APPS):
        p = Proc(args, cwd=cwd, env=clean_env(env))
        self.procs.append(p)
        return p

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(textwrap.dedent(text))
        return self.path(name)

    def expect(self, pid, key, value=None, timeout=20):
        """The next sd_notify message: from pid, with key (= value)."""
        sender, f = self.notify.recv(timeout)
        self.assertEqual(sender, pid, "message %r from pid %d, not %d"
                         % (f, sender, pid))
        self.assertIn(key, f)
        if value is not None:
            self.assertEqual(f[key], value)
        return f


class SdNotify(Base):

    def test_ready_reload_stop_on_an_abstract_socket(self):
        self.notify = Notify("@pfw-notify-%d" % os.getpid())
        port = free_port()
        p = self.start([BINARY, "-w", "2", "-b", "127.0.0.1:%d" % port, APP],
                       env={"NOTIFY_SOCKET": self.notify.address})
        f = self.expect(p.pid, "READY", "1")
        self.assertIn("2 sync workers", f["STATUS"])
        # ready means served: both workers had booted
        self.assertEqual(p.count(r"Booting worker with pid"), 2)
        self.assertEqual(get(port, "/")[0], 200)

        p.proc.send_signal(signal.SIGHUP)
        f = self.expect(p.pid, "RELOADING", "1")
        self.assertGreater(int(f["MONOTONIC_USEC"]), 0)
        f = self.expect(p.pid, "READY", "1")
        self.assertTrue(f["STATUS"].startswith("Reloaded"))
        # the new generation was up before READY came
        self.assertEqual(p.count(r"Booting worker with pid"), 4)

        p.proc.send_signal(signal.SIGTERM)
        self.expect(p.pid, "STOPPING", "1")
        self.assertEqual(p.wait(), 0)
        self.assertEqual(self.notify.pending(), [])

    def test_refused_reload_is_over_at_once_on_a_path_socket(self):
        self.notify = Notify(self.path("notify"))
        port = free_port()
        conf = self.write("conf.py", "workers = 1\n")
        p = self.start([BINARY, "-c", conf, "-b", "127.0.0.1:%d" % port,
                        APP], env={"NOTIFY_SOCKET": self.notify.address})
        self.expect(p.pid, "READY", "1")
        self.write("conf.py", "workers = 'x'\n")
        p.proc.send_signal(signal.SIGHUP)
        self.expect(p.pid, "RELOADING", "1")
        f = self.expect(p.pid, "READY", "1")
        self.assertIn("Reload failed", f["STATUS"])
        p.wait_log(r"Reload failed \(status 1\)")
        self.assertEqual(get(port, "/")[0], 200)
        self.assertEqual(p.stop(), 0)
        self.expect(p.pid, "STOPPING", "1")


# A module whose first import blocks on a FIFO, then fails (exit 3, a
# boot error); every later import serves lifecycle_app.
BOOT_ONCE = r'''
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    os.close(os.open(os.path.join(HERE, "claim"),
                     os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    first = True
except FileExistsError:
    first = False
if first:
    with open(os.path.join(HERE, "gate")) as f:
        f.read(1)
    raise RuntimeError("the first boot fails")
sys.stderr.write("imported %d\n" % os.getpid())
sys.stderr.flush()
from lifecycle_app import app  # noqa: E402,F401
'''


class SdNotifyRetriedBoot(Base):

    def test_ready_once_when_a_first_boot_is_retried(self):
        """Two workers; one's boot fails once while the other serves: it is
        retried, READY=1 comes once (when the server serves while the boot
        is retried), not again when the retried worker boots."""
        self.notify = Notify(self.path("notify"))
        self.write("bootonce.py", BOOT_ONCE)
        os.mkfifo(self.path("gate"))
        port = free_port()
        addr = ("127.0.0.1", port)
        p = self.start([BINARY, "-w", "2", "-b", "127.0.0.1:%d" % port,
                        "--pythonpath", self.tmp, "bootonce:app"],
                       env={"NOTIFY_SOCKET": self.notify.address})
        good = int(p.wait_log(r"imported (\d+)").group(1))
        self.assertEqual(pid_of(get(addr, "/pid")[2]), good)
        # one worker serves, the other is still booting: not ready
        self.assertEqual(self.notify.pending(), [])
        with open(self.path("gate"), "w") as f:
            f.write("x")
        p.wait_log(r"Worker failed to boot\. 1 worker\(s\) still serving; "
                   r"retrying\.")
        f = self.expect(p.pid, "READY", "1")
        self.assertIn("2 sync workers", f["STATUS"])
        # the retry boots; both workers then serve at once (one in /sleep)
        p.wait_log(r"imported (\d+)", count=2)
        slow = threading.Thread(target=get, args=(addr, "/sleep?s=2"),
                                daemon=True)
        slow.start()
        busy = int(p.wait_log(r"sleeping (\d+)").group(1))
        other = pid_of(get(addr, "/pid")[2])
        self.assertNotEqual(busy, other)
        slow.join(30)
        # a whole master pass after both were flagged booted, then the stop:
        # a second READY=1 would come before STOPPING=1
        p.proc.send_signal(signal.SIGUSR1)
        p.wait_log(r"Handling signal: usr1")
        p.proc.send_signal(signal.SIGTERM)
        self.expect(p.pid, "STOPPING", "1")
        self.assertEqual(p.wait(), 0)
        self.assertEqual(self.notify.pending(), [])


class SocketActivation(Base):

    def activate(self, listen, args, env=None):
        env = dict(env or {})
        cmd = [SSA, "-l", listen]
        for k in ("PYTHONDONTWRITEBYTECODE", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            v = env.get(k, os.environ.get(k, "1" if k[0] == "P" else None))
            if v is not None:
                cmd += ["-E", "%s=%s" % (k, v)]
        for k, v in env.items():
            if k not in ("PYTHONDONTWRITEBYTECODE",):
                cmd += ["-E", "%s=%s" % (k, v)]
        return self.start(cmd + [BINARY] + args)

    def test_tcp_served_on_the_inherited_socket_only(self):
        port, other = free_port(), free_port()
        p = self.activate("127.0.0.1:%d" % port,
                          ["-w", "1", "-b", "127.0.0.1:%d" % other, APP])
        p.wait_log(r"Listening on 127\.0\.0\.1:%d" % port)
        # the first connection makes systemd-socket-activate exec the server
        st, _, body = get(port, "/pid")
        self.assertEqual(st, 200)
        self.assertEqual(ppid_of(pid_of(body)), p.pid)     # our worker
        p.wait_log(r"Listening at: http://127\.0\.0\.1:%d \(%d\)"
                   % (port, p.pid))
        p.wait_log(r"Not binding 127\.0\.0\.1:%d: serving the sockets systemd"
                   % other)
        with self.assertRaises(ConnectionRefusedError):
            connect(other).close()
        self.assertNotIn("8000", p.log())      # nor the default address
        self.assertEqual(p.stop(), 0)

    def test_unix_socket_claimed_and_left_in_place(self):
        sock = self.path("app.sock")
        p = self.activate(sock, ["-w", "1", "-b", "unix:" + sock, APP])
        p.wait_log(r"Listening on %s" % sock)
        self.assertEqual(get(sock, "/")[0], 200)
        p.wait_log(r"Listening at: unix:%s \(%d\)" % (sock, p.pid))
        self.assertNotIn("Not binding", p.log())
        self.assertEqual(p.stop(), 0)
        self.assertTrue(os.path.exists(sock))    # systemd's, not ours


class Usr2(Base):

    def served_by(self, hammer, master):
        """Wait until a worker of master answered the client."""
        wait_until(lambda: {int(x) for x in hammer.pids}
                   & set(children_of(master)), what="a worker of %d" % master)

    def test_upgrade_rollback_commit_promotion(self):
        self.notify = Notify(self.path("notify"))
        port = free_port()
        pidf = self.path("app.pid")
        p = self.start([BINARY, "-w", "2", "-b", "127.0.0.1:%d" % port,
                        "-p", pidf, "--graceful-timeout", "5", APP],
                       env={"NOTIFY_SOCKET": self.notify.address})
        old = p.pid
        self.expect(old, "READY", "1")
        self.assertEqual(read_pid(pidf), old)
        hammer = Hammer(port)
        hammer.wait_for(5)
        with Subreaper() as sr:
            # USR2: a new master and its workers beside the old ones
            os.kill(old, signal.SIGUSR2)
            new = wait_until(lambda: read_pid(pidf + ".2"), what="pid.2")
            self.assertNotEqual(new, old)
            self.assertEqual(ppid_of(new), old)
            self.served_by(hammer, new)
            self.served_by(hammer, old)
            self.assertEqual(read_pid(pidf), old)
            self.assertEqual(self.notify.pending(), [])   # new one is quiet

            # rollback: HUP the old master, TERM the new one
            os.kill(old, signal.SIGHUP)
            os.kill(new, signal.SIGTERM)
            p.wait_log(r"Re-executed master \(pid:%d\) exited with code 0"
                       % new)
            self.assertFalse(os.path.exists(pidf + ".2"))
            self.expect(old, "RELOADING", "1")
            self.expect(old, "READY", "1")          # nothing from new
            self.assertEqual(read_pid(pidf), old)
            hammer.wait_for(5)

            # upgrade again, then commit: TERM the old master
            os.kill(old, signal.SIGUSR2)
            new = wait_until(lambda: read_pid(pidf + ".2"), what="pid.2")
            self.served_by(hammer, new)
            os.kill(old, signal.SIGTERM)
            self.expect(old, "MAINPID", str(new))   # handed over, no STOPPING
            self.assertEqual(p.wait(), 0)
            p.wait_log(r"\[%d\] \[INFO\] Master has been promoted\." % new)
            wait_until(lambda: read_pid(pidf) == new, what="pid renamed")
            self.assertFalse(os.path.exists(pidf + ".2"))
            f = self.expect(new, "MAINPID", str(new))
            if "READY" not in f:
                # promoted before its second worker booted: READY follows
                self.expect(new, "READY", "1")
            hammer.wait_for(5)
            self.assertEqual(hammer.stop(), [])
            self.assertGreater(hammer.ok, 20)

            os.kill(new, signal.SIGTERM)
            self.expect(new, "STOPPING", "1")
            st = sr.reap(new)
            self.assertTrue(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
            self.assertFalse(os.path.exists(pidf))
        p.check_sanitizer()

    def test_new_master_starts_from_the_environment_before_raw_env(self):
        """gunicorn re-executes with cfg.env_orig, the environment from
        before raw_env.  The new master's raw_env then knows each
        variable's own value, and a HUP that drops raw_env puts PFW_PRE
        back and removes PFW_NEW, as the old master's HUP would."""
        port = free_port()
        pidf = self.path("app.pid")
        conf = self.write("conf.py", """\
            raw_env = ["PFW_PRE=override", "PFW_NEW=set"]
            """)
        p = self.start([BINARY, "-c", conf, "-w", "1",
                        "-b", "127.0.0.1:%d" % port, "-p", pidf, APP],
                       env={"PFW_PRE": "orig"})
        old = wait_until(lambda: read_pid(pidf), what="pid file")
        p.wait_log(r"Booting worker")
        with Subreaper() as sr:
            os.kill(old, signal.SIGUSR2)
            new = wait_until(lambda: read_pid(pidf + ".2"), what="pid.2")
            first = wait_until(lambda: children_of(new), what="its worker")
            os.kill(old, signal.SIGTERM)
            self.assertEqual(p.wait(), 0)
            p.wait_log(r"\[%d\] \[INFO\] Master has been promoted\." % new)
            seen = json.loads(get(port, "/osenv")[2])
            self.assertEqual((seen.get("PFW_PRE"), seen.get("PFW_NEW")),
                             ("override", "set"))
            self.write("conf.py", "raw_env = []\n")
            os.kill(new, signal.SIGHUP)
            wait_until(lambda: children_of(new)
                       and not set(children_of(new)) & set(first),
                       what="the worker of the reload alone")
            seen = json.loads(get(port, "/osenv")[2])
            self.assertEqual((seen.get("PFW_PRE"), seen.get("PFW_NEW")),
                             ("orig", None))
            os.kill(new, signal.SIGTERM)
            st = sr.reap(new)
            self.assertTrue(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
        p.check_sanitizer()

    def test_relative_program_and_chdir(self):
        """gunicorn re-executes from the start-up directory: a program
        started as ./prefork-wsgi with a relative --chdir still finds itself
        and its app on USR2 (execvp from the --chdir directory failed with
        ENOENT)."""
        port = free_port()
        pidf = self.path("app.pid")
        here = os.path.dirname(BINARY)
        p = self.start(["./" + os.path.basename(BINARY),
                        "--chdir", os.path.relpath(APPS, here),
                        "-w", "1", "-b", "127.0.0.1:%d" % port, "-p", pidf,
                        APP], cwd=here)
        old = wait_until(lambda: read_pid(pidf), what="pid file")
        p.wait_log(r"Booting worker")
        with Subreaper() as sr:
            os.kill(old, signal.SIGUSR2)
            new = wait_until(lambda: read_pid(pidf + ".2"), what="pid.2")
            wait_until(lambda: children_of(new), what="its worker")
            os.kill(old, signal.SIGTERM)
            self.assertEqual(p.wait(), 0)
            p.wait_log(r"\[%d\] \[INFO\] Master has been promoted\." % new)
            self.assertEqual(get(port, "/")[0], 200)
            os.kill(new, signal.SIGTERM)
            st = sr.reap(new)
            self.assertTrue(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
        p.check_sanitizer()

    def test_daemon_winch_then_commit(self):
        port = free_port()
        pidf = self.path("app.pid")
        hooklog = self.path("hooks.jsonl")
        conf = self.write("conf.py", """\
            import json, os

            def nworkers_changed(server, new, old):
                with open(os.environ["HOOKLOG"], "a") as f:
                    f.write(json.dumps({
                        "pid": os.getpid(), "new": new,
                        "master_pid": server.master_pid,
                        "reexec_pid": server.reexec_pid}) + "\\n")
            """)
        with Subreaper() as sr:
            p = self.start([BINARY, "-D", "-R", "-c", conf, "-w", "1",
                            "-b", "127.0.0.1:%d" % port, "-p", pidf, APP],
                           env={"HOOKLOG": hooklog})
            self.assertEqual(p.wait(), 0)      # the launcher, once serving
            old = read_pid(pidf)
            self.assertNotEqual(old, p.pid)
            self.assertTrue(alive(old))
            self.assertEqual(get(port, "/")[0], 200)
            hammer = Hammer(port)
            hammer.wait_for(3)

            os.kill(old, signal.SIGUSR2)
            new = wait_until(lambda: read_pid(pidf + ".2"), what="pid.2")
            self.served_by(hammer, new)
            os.kill(old, signal.SIGWINCH)      # daemonized: workers stop
            p.wait_log(r"\[%d\] \[INFO\] graceful stop of workers" % old)
            wait_until(lambda: children_of(old) == [new],
                       what="old workers gone")
            hammer.wait_for(5)                 # the new worker serves alone

            os.kill(old, signal.SIGTERM)       # commit
            st = sr.reap(old)
            self.assertTrue(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
            wait_until(lambda: read_pid(pidf) == new, what="pid renamed")
            hammer.wait_for(3)
            self.assertEqual(hammer.stop(), [])

            os.kill(new, signal.SIGTERM)
            st = sr.reap(new)
            self.assertTrue(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
        with open(hooklog) as f:
            calls = [json.loads(line) for line in f]
        # the new master at start-up knows its old master; the old one, at
        # WINCH, its USR2 child
        self.assertIn({"pid": new, "new": 1, "master_pid": old,
                       "reexec_pid": 0}, calls)
        self.assertIn({"pid": old, "new": 0, "master_pid": 0,
                       "reexec_pid": new}, calls)
        p.eof()
        p.check_sanitizer()


class WorkerFds(Base):

    def test_worker_keeps_no_directory_open(self):
        """The master keeps its start-up directory open for reloads; a
        worker has no use for it and must not hold it (or any directory)."""
        port = free_port()
        p = self.start([BINARY, "-w", "1", "-b", "127.0.0.1:%d" % port, APP])
        p.wait_log(r"Booting worker")
        self.assertEqual(get(port, "/")[0], 200)
        master_dirs = self.dirs(p.pid)
        self.assertIn(APPS, master_dirs)       # the test can see one
        for w in children_of(p.pid):
            self.assertEqual(self.dirs(w), [])

    @staticmethod
    def dirs(pid):
        found = []
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("/") and os.path.isdir(target):
                found.append(target)
        return found


class HupRebind(Base):

    def test_new_bind_and_timeouts_take_effect(self):
        p1, p2 = free_port(), free_port()
        conf = self.write("conf.py", """\
            bind = ["127.0.0.1:%d"]
            timeout = 30
            graceful_timeout = 30
            """ % p1)
        p = self.start([BINARY, "-c", conf, "-w", "1", APP])
        p.wait_log(r"Listening at: http://127\.0\.0\.1:%d " % p1)
        st, _, body = get(p1, "/pid")
        self.assertEqual(st, 200)
        first = pid_of(body)
        self.write("conf.py", """\
            bind = ["127.0.0.1:%d"]
            timeout = 1
            graceful_timeout = 1
            """ % p2)
        p.proc.send_signal(signal.SIGHUP)
        p.wait_log(r"Listening at: http://127\.0\.0\.1:%d " % p2)
        self.assertNotIn("needs a restart", p.log())
        p.wait_log(r"Booting worker with pid", count=2)
        self.assertEqual(get(p2, "/")[0], 200)
        # the old worker had the old socket too: closed once it is gone
        wait_until(lambda: not alive(first), what="the old worker's exit")
        with self.assertRaises(ConnectionRefusedError):
            connect(p1).close()

        # timeout 1: a 5 s request in a sync worker is a dead worker
        t = threading.Thread(target=self.swallow, args=(p2, "/sleep?s=5"))
        t.start()
        p.wait_log(r"WORKER TIMEOUT", timeout=10)
        t.join(20)
        p.wait_log(r"Booting worker with pid", count=3)

        # graceful_timeout 1: a request in flight at TERM is cut after 1 s
        t = threading.Thread(target=self.swallow, args=(p2, "/sleep?s=20"))
        t.start()
        p.wait_log(r"^sleeping ", count=2)
        p.proc.send_signal(signal.SIGTERM)
        p.wait_log(r"did not stop within the graceful timeout", timeout=10)
        self.assertEqual(p.wait(10), 0)
        t.join(20)

    @staticmethod
    def swallow(port, path):
        try:
            get(port, path)
        except (OSError, AssertionError):
            pass                        # the worker was killed: no answer


if __name__ == "__main__":
    unittest.main()
