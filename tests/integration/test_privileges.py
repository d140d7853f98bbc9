"""Integration tests: privileges and process settings of the real binary.

Run by `make check-lifecycle` as root (the privilege tests skip otherwise),
with gunicorn's documented command lines:

  * -u nobody -g nogroup: the workers run as nobody:nogroup with no other
    group (/proc/PID/status), the master stays root, the unix socket file
    belongs to nobody:nogroup; -m 007 makes it srwxrwx---, the default
    umask (0, gunicorn's) srwxrwxrwx;
  * --initgroups: the workers get the user's supplementary groups (a user
    of this system that has some), without it only the group;
  * -e K=V in the workers' and the master's os.environ;
  * -p: the pid file holds the master's pid, refuses a second server,
    goes away at exit;
  * -D: the launcher exits 0 once serving (4 when the app cannot load),
    the daemon's stdin/stdout/stderr are /dev/null, -R keeps a pipe
    (the log arrives), the pid file names the daemon;
  * --worker-tmp-dir: must be a directory, as gunicorn checks;
  * --no-sendfile: file_wrapper responses go through read()/write(): the
    worker's read system calls (/proc/PID/io syscr) for an 8 MiB file
    number a few with sendfile, at least one per 8 KiB block without.
"""
import grp
import json
import os
import pwd
import shutil
import signal
import stat
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfw_proc import (APPS, BINARY, Proc, Subreaper, alive,  # noqa: E402
                      clean_env, free_port, get, read_pid, status_of,
                      wait_until)

APP = "lifecycle_app:app"
ROOT = os.geteuid() == 0


class Base(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pfw-priv-")
        os.chmod(self.tmp, 0o755)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.finish()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, args, env=None, cwd=APPS, serving=True):
        """The server; with serving, once it listens (connections then
        wait in the backlog for the worker)."""
        p = Proc([BINARY] + args, cwd=cwd, env=clean_env(env))
        self.procs.append(p)
        if serving:
            p.wait_log(r"Listening at: ")
        return p

    def path(self, name):
        return os.path.join(self.tmp, name)

    def worker_pids(self, addr, n):
        """Ask until n distinct workers answered /pid."""
        pids = set()

        def more():
            st, _, body = get(addr, "/pid")
            self.assertEqual(st, 200)
            pids.add(int(body))
            return len(pids) >= n
        wait_until(more, what="%d workers" % n)
        return pids


@unittest.skipUnless(ROOT, "needs root to switch users")
class Users(Base):

    def test_user_group_umask_and_socket_owner(self):
        sock = self.path("app.sock")
        p = self.start(["-u", "nobody", "-g", "nogroup", "-m", "007",
                        "-w", "2", "-b", "unix:" + sock, APP])
        p.wait_log(r"Booting worker with pid", count=2)
        nobody = pwd.getpwnam("nobody").pw_uid
        nogroup = grp.getgrnam("nogroup").gr_gid
        for pid in self.worker_pids(sock, 2):
            s = status_of(pid)
            self.assertEqual(s["Uid"].split(), [str(nobody)] * 4)
            self.assertEqual(s["Gid"].split(), [str(nogroup)] * 4)
            self.assertEqual(s["Groups"].split(), [str(nogroup)])
        m = status_of(p.pid)
        self.assertEqual(m["Uid"].split()[1], "0")     # the master stays
        st = os.stat(sock)
        self.assertEqual((st.st_uid, st.st_gid), (nobody, nogroup))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o770)
        self.assertEqual(p.stop(), 0)
        self.assertFalse(os.path.exists(sock))

    def test_initgroups(self):
        user = None
        for g in grp.getgrall():
            for name in g.gr_mem:
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                if pw.pw_uid != 0 and pw.pw_gid != g.gr_gid:
                    user, extra = pw, g.gr_gid
        if user is None:
            self.skipTest("no user with supplementary groups here")
        primary = user.pw_gid
        for flag, want in (([], {primary}), (["--initgroups"],
                                            {primary, extra})):
            sock = self.path("s%d.sock" % len(flag))
            p = self.start(["-u", user.pw_name, "-g", str(primary)] + flag
                           + ["-b", "unix:" + sock, APP])
            (pid,) = self.worker_pids(sock, 1)
            groups = {int(x) for x in status_of(pid)["Groups"].split()}
            self.assertEqual(groups, want, "flags %r" % flag)
            self.assertEqual(status_of(pid)["Uid"].split()[0],
                             str(user.pw_uid))
            # no -m: gunicorn's umask 0 leaves the socket open to all
            self.assertEqual(stat.S_IMODE(os.stat(sock).st_mode), 0o777)
            self.assertEqual(p.stop(), 0)


class Environment(Base):

    def test_raw_env_in_workers_and_master(self):
        out = self.path("master-env.json")
        conf = self.path("conf.py")
        with open(conf, "w") as f:
            f.write(textwrap.dedent("""\
                import json, os

                def when_ready(server):
                    with open(%r, "w") as f:
                        json.dump(dict(os.environ), f)
                """ % out))
        port = free_port()
        p = self.start(["-c", conf, "-e", "PFW_A=1", "-e", "PFW_B=x=y",
                        "-b", "127.0.0.1:%d" % port, APP])
        st, _, body = get(port, "/osenv")
        self.assertEqual(st, 200)
        env = json.loads(body)
        self.assertEqual((env["PFW_A"], env["PFW_B"]), ("1", "x=y"))
        with open(out) as f:
            master = json.load(f)
        self.assertEqual((master["PFW_A"], master["PFW_B"]), ("1", "x=y"))
        self.assertEqual(p.stop(), 0)

    def test_pidfile(self):
        pidf = self.path("app.pid")
        port = free_port()
        p = self.start(["-p", pidf, "-b", "127.0.0.1:%d" % port, APP])
        p.wait_log(r"Booting worker with pid")
        with open(pidf) as f:
            self.assertEqual(f.read(), "%d\n" % p.pid)
        self.assertEqual(stat.S_IMODE(os.stat(pidf).st_mode), 0o644)
        # a second server with the same pid file goes no further
        q = self.start(["-p", pidf, "-b", "127.0.0.1:%d" % free_port(),
                        APP], serving=False)
        self.assertEqual(q.wait(), 1)
        self.assertTrue(q.eof())
        self.assertIn("Already running on PID %d" % p.pid, q.log())
        self.assertEqual(p.stop(), 0)
        self.assertFalse(os.path.exists(pidf))

    def test_worker_tmp_dir(self):
        missing = self.path("nope")
        p = self.start(["--worker-tmp-dir", missing, APP], serving=False)
        self.assertEqual(p.wait(), 1)
        self.assertTrue(p.eof())
        self.assertIn("Error: %s doesn't exist. Can't create workertmp."
                      % missing, p.log())
        port = free_port()
        p = self.start(["--worker-tmp-dir", self.tmp,
                        "-b", "127.0.0.1:%d" % port, APP])
        self.assertEqual(get(port, "/")[0], 200)
        self.assertEqual(p.stop(), 0)


class Daemon(Base):

    def fds(self, pid):
        return {n: os.readlink("/proc/%d/fd/%d" % (pid, n)) for n in (0, 1, 2)}

    def test_daemon_detaches_to_dev_null(self):
        pidf = self.path("app.pid")
        port = free_port()
        with Subreaper() as sr:
            p = self.start(["-D", "-p", pidf, "-b", "127.0.0.1:%d" % port,
                            APP], serving=False)
            self.assertEqual(p.wait(), 0)        # returns once serving
            d = read_pid(pidf)
            self.assertNotEqual(d, p.pid)
            self.assertEqual(get(port, "/")[0], 200)
            self.assertEqual(set(self.fds(d).values()), {"/dev/null"})
            self.assertTrue(p.eof())             # nobody writes to us
            os.kill(d, signal.SIGTERM)
            st = sr.reap(d)
            self.assertTrue(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0)
        self.assertFalse(os.path.exists(pidf))

    def test_daemon_keeps_a_pipe_with_R(self):
        pidf = self.path("app.pid")
        port = free_port()
        with Subreaper() as sr:
            p = self.start(["-D", "-R", "-p", pidf,
                            "-b", "127.0.0.1:%d" % port, APP],
                           env={"NOTIFY_SOCKET": "@pfw-nobody-listens"},
                           serving=False)
            self.assertEqual(p.wait(), 0)
            d = read_pid(pidf)
            fds = self.fds(d)
            self.assertEqual(fds[0], "/dev/null")
            self.assertTrue(fds[2].startswith("pipe:"), fds)
            p.wait_log(r"Booting worker with pid")     # the log came
            self.assertIn("you shouldn't specify `daemon = True` when "
                          "launching by systemd", p.log())
            self.assertEqual(get(port, "/")[0], 200)
            os.kill(d, signal.SIGTERM)
            sr.reap(d)
            p.wait_log(r"\[%d\] \[INFO\] Shutting down: Master" % d)

    def test_launcher_reports_an_app_that_cannot_load(self):
        with Subreaper() as sr:
            p = self.start(["-D", "-R", "-b", "127.0.0.1:%d" % free_port(),
                            "lifecycle_app:nothing"], serving=False)
            self.assertEqual(p.wait(), 4)        # gunicorn -D says 0
            pid = int(p.wait_log(r"\[(\d+)\] \[ERROR\] Reason: App failed "
                                 r"to load\.").group(1))
            sr.reap(pid)
            self.assertFalse(alive(pid))


class Sendfile(Base):

    def syscr(self, pid):
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                if line.startswith("syscr:"):
                    return int(line.split()[1])
        raise AssertionError("no syscr")

    def reads_for_file(self, flags):
        big = self.path("big.bin")
        if not os.path.exists(big):
            with open(big, "wb") as f:
                f.write(os.urandom(1 << 20) * 8)
        port = free_port()
        p = self.start(flags + ["-w", "1", "-b", "127.0.0.1:%d" % port, APP])
        st, _, body = get(port, "/pid")
        pid = int(body)
        before = self.syscr(pid)
        st, _, body = get(port, "/file?path=" + big)
        after = self.syscr(pid)
        self.assertEqual(st, 200)
        self.assertEqual(len(body), 8 << 20)
        self.assertEqual(p.stop(), 0)
        return after - before

    def test_no_sendfile_reads_the_file(self):
        with_sendfile = self.reads_for_file([])
        without = self.reads_for_file(["--no-sendfile"])
        self.assertLess(with_sendfile, 256, "sendfile path")
        self.assertGreaterEqual(without, 1024, "read()/write() path")


if __name__ == "__main__":
    unittest.main()
