"""Integration tests: Python configuration files and server hooks.

Run by `make check-wsgi-integration` with Debian's /usr/bin/python3 (the
interpreter the server embeds), PREFORK_WSGI naming the binary.  Each test
writes gunicorn-style configuration files into a temporary directory and
runs the real binary on a loopback port:

  * a config file defining every hook gunicorn calls (as a gunicorn user
    would write it): each hook appends a JSON line to a file and then logs
    "HOOK <name>"; the test waits for that log line (with a deadline) and
    checks where (which process), when (in which order) and with which
    attributes each hook ran: start-up, requests, TTIN/TTOU, HUP, a worker
    stopped by SIGQUIT, a timed-out worker (worker_abort), USR2 (pre_exec),
    the stop;
  * a hook that raises is logged and the server keeps serving;
  * precedence command line > GUNICORN_CMD_ARGS > file, -c file:PATH,
    -c python:MODULE, the default ./gunicorn.conf.py, wsgi_app;
  * bad files: exec errors, invalid values (gunicorn's texts), exit codes;
    --check-config and --print-config with a file;
  * HUP re-reads the file (workers count);
  * without a config file the master never starts Python (its debug line
    "Python interpreter live in the master" is printed by the one function
    that runs there whenever the interpreter exists).

Synchronisation is on the server's log lines and process exits, all with
deadlines; nothing sleeps to wait for the server.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(os.path.dirname(HERE), "apps")
BINARY = os.environ.get("PREFORK_WSGI", os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "build", "prefork-wsgi"))
DEADLINE = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    env.update(extra or {})
    return env


def run(args, cwd, env=None):
    """Run the binary to its exit: (status, stdout, stderr)."""
    p = subprocess.run([BINARY] + list(args), cwd=cwd, env=clean_env(env),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=DEADLINE)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


class Server:
    """The binary in a subprocess; its stderr (the log) is collected."""

    def __init__(self, args, cwd, env=None, bind=True):
        self.port = free_port()
        cmd = [BINARY]
        if bind:
            cmd += ["-b", "127.0.0.1:%d" % self.port]
        cmd += list(args)
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=clean_env(env),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
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
            self.lines.append(None)
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "".join(x for x in self.lines if x is not None)

    def wait_log(self, pattern, count=1, timeout=DEADLINE):
        """Wait until pattern matched count times; the last match."""
        end = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self.cond:
            while True:
                found = list(rx.finditer("".join(x for x in self.lines if x)))
                if len(found) >= count:
                    return found[count - 1]
                if None in self.lines:
                    break
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
        raise AssertionError("no %d x %r in the log:\n%s"
                             % (count, pattern, self.log()))

    def get(self, path):
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=DEADLINE) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Probe: yes\r\n"
                       "Connection: close\r\n\r\n" % path).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return int(data.split(b" ", 2)[1]), data

    def kill(self, sig):
        os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(DEADLINE)
        finally:
            self.reader.join(DEADLINE)
        log = self.log()
        if "AddressSanitizer" in log or "runtime error:" in log:
            raise AssertionError("sanitizer report:\n" + log)
        return rc


# Every hook gunicorn calls, written as in a gunicorn.conf.py.  Each one
# appends what it saw to $HOOK_EVENTS, then logs "HOOK <name>".
HOOKS_CONF = r'''
import json
import os

workers = 2
timeout = 3
graceful_timeout = 5


def _record(name, log, **seen):
    seen["hook"] = name
    seen["pid"] = os.getpid()
    with open(os.environ["HOOK_EVENTS"], "a") as f:
        f.write(json.dumps(seen) + "\n")
    log.info("HOOK %s", name)


def _w(worker):
    return {"wpid": worker.pid, "ppid": worker.ppid, "age": worker.age,
            "alive": worker.alive, "booted": worker.booted,
            "aborted": worker.aborted, "nr": worker.nr,
            "max_requests": worker.max_requests,
            "cfg_timeout": worker.cfg.timeout,
            "nsockets": len(worker.sockets),
            "has_tmp": hasattr(worker.tmp, "notify"),
            "wsgi": worker.wsgi is not None}


def on_starting(server):
    _record("on_starting", server.log, spid=server.pid,
            num_workers=server.num_workers, workers=server.cfg.workers,
            listeners=len(server.LISTENERS),
            proc_name=server.proc_name, master_pid=server.master_pid,
            reexec_pid=server.reexec_pid, nworkers=len(server.WORKERS))


def on_reload(server):
    _record("on_reload", server.log, spid=server.pid,
            workers=server.cfg.workers)


def when_ready(server):
    _record("when_ready", server.log, spid=server.pid,
            num_workers=server.num_workers)


def pre_fork(server, worker):
    _record("pre_fork", server.log, spid=server.pid, **_w(worker))


def post_fork(server, worker):
    _record("post_fork", worker.log, spid=server.pid, **_w(worker))


def post_worker_init(worker):
    _record("post_worker_init", worker.log, **_w(worker))


def worker_int(worker):
    _record("worker_int", worker.log, **_w(worker))


def worker_abort(worker):
    _record("worker_abort", worker.log, **_w(worker))


def pre_exec(server):
    _record("pre_exec", server.log, spid=server.pid)


def pre_request(worker, req):
    _record("pre_request", worker.log, method=req.method, uri=req.uri,
            path=req.path, query=req.query, fragment=req.fragment,
            version=list(req.version), headers=req.headers,
            peer=list(req.peer_addr), remote=list(req.remote_addr),
            scheme=req.scheme, close=req.should_close(),
            body=req.body.read().decode(), proxy=req.proxy_protocol_info,
            **_w(worker))


def post_request(worker, req, environ, resp):
    _record("post_request", worker.log, path=req.path,
            env_path=environ["PATH_INFO"], status=resp.status,
            status_code=resp.status_code, headers=resp.headers,
            sent=resp.sent, length=resp.response_length,
            chunked=resp.chunked, headers_sent=resp.headers_sent,
            **_w(worker))


def child_exit(server, worker):
    _record("child_exit", server.log, spid=server.pid, **_w(worker))


def worker_exit(server, worker):
    _record("worker_exit", server.log, spid=server.pid, **_w(worker))


def nworkers_changed(server, new_value, old_value):
    _record("nworkers_changed", server.log, new=new_value, old=old_value,
            num_workers=server.num_workers)


def on_exit(server):
    _record("on_exit", server.log, spid=server.pid)
'''


class ConfigCase(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pfw-cfg-")
        self.events = os.path.join(self.dir, "events.jsonl")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait(DEADLINE)
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def start(self, *args, env=None, bind=True):
        e = {"HOOK_EVENTS": self.events}
        e.update(env or {})
        s = Server(["--pythonpath", APPS] + list(args), self.dir, e, bind)
        self.servers.append(s)
        return s

    def read_events(self, name=None):
        try:
            with open(self.events) as f:
                ev = [json.loads(line) for line in f]
        except FileNotFoundError:
            ev = []
        return [e for e in ev if name is None or e["hook"] == name]


class HookTests(ConfigCase):
    """Every hook, at gunicorn's point, with gunicorn's attributes."""

    def test_every_hook_in_order_with_its_attributes(self):
        for kind in ("sync", "ev", "gthread"):
            with self.subTest(kind=kind):
                if os.path.exists(self.events):
                    os.unlink(self.events)
                self.one_kind(kind)

    def one_kind(self, kind):
        conf = self.write("hooks.py", HOOKS_CONF)
        s = self.start("-c", conf, "-k", kind, "probe:app")
        master = s.pid
        s.wait_log(r"HOOK post_worker_init", count=2)

        ev = self.read_events()
        order = [e["hook"] for e in ev]
        # master start-up: gunicorn's setup() then start()
        self.assertEqual(order[:3],
                         ["nworkers_changed", "on_starting", "when_ready"])
        first = ev[0]
        self.assertEqual((first["new"], first["old"]), (2, None))
        starting = ev[1]
        self.assertEqual(starting["pid"], master)
        self.assertEqual(starting["spid"], master)
        self.assertEqual(starting["workers"], 2)
        self.assertEqual(starting["num_workers"], 2)
        self.assertEqual(starting["listeners"], 1)
        self.assertEqual(starting["proc_name"], "probe:app")
        self.assertEqual((starting["master_pid"], starting["reexec_pid"]),
                         (0, 0))
        self.assertEqual(starting["nworkers"], 0)
        # each worker: pre_fork in the master, then post_fork and
        # post_worker_init in the worker
        pre = self.read_events("pre_fork")
        post = self.read_events("post_fork")
        init = self.read_events("post_worker_init")
        self.assertEqual(len(pre), 2)
        for p in pre:
            self.assertEqual(p["pid"], master)
            self.assertEqual(p["wpid"], "[booting]")
            self.assertEqual(p["ppid"], master)
            self.assertFalse(p["booted"])
        self.assertEqual(sorted(p["age"] for p in pre), [1, 2])
        workers = sorted(p["pid"] for p in post)
        for p in post:
            self.assertNotEqual(p["pid"], master)
            self.assertEqual(p["wpid"], p["pid"])
            self.assertEqual(p["ppid"], master)
            self.assertEqual(p["spid"], master)
            self.assertEqual(p["nsockets"], 1)
        for p in init:
            self.assertIn(p["pid"], workers)
            self.assertTrue(p["wsgi"])
            self.assertFalse(p["booted"])
            self.assertTrue(p["alive"])
            self.assertEqual(p["cfg_timeout"], 3)
            self.assertTrue(p["has_tmp"])

        # a request: pre_request before the app, post_request after it
        status, raw = s.get("/env?a=1")
        self.assertEqual(status, 200)
        s.wait_log(r"HOOK post_request")
        req = self.read_events("pre_request")[0]
        self.assertIn(req["pid"], workers)
        self.assertEqual(req["method"], "GET")
        self.assertEqual(req["uri"], "/env?a=1")
        self.assertEqual(req["path"], "/env")
        self.assertEqual(req["query"], "a=1")
        self.assertEqual(req["version"], [1, 1])
        self.assertIn(["X-PROBE", "yes"], req["headers"])
        self.assertIn(["HOST", "t"], req["headers"])
        self.assertEqual(req["peer"][0], "127.0.0.1")
        self.assertEqual(req["peer"], req["remote"])
        self.assertEqual(req["scheme"], "http")
        self.assertTrue(req["close"])
        self.assertEqual(req["body"], "")
        self.assertIsNone(req["proxy"])
        self.assertEqual(req["nr"], 0)
        resp = self.read_events("post_request")[0]
        self.assertEqual(resp["pid"], req["pid"])
        self.assertEqual(resp["env_path"], "/env")
        self.assertEqual(resp["status"], "200 OK")
        self.assertEqual(resp["status_code"], 200)
        self.assertTrue(resp["headers_sent"])
        body = raw.split(b"\r\n\r\n", 1)[1]
        if resp["chunked"]:
            self.assertGreater(resp["sent"], 0)
        else:
            self.assertEqual(resp["sent"], len(body))
        self.assertIn("Content-Type", [h[0] for h in resp["headers"]])
        self.assertEqual(resp["nr"], 1)

        # TTIN / TTOU: nworkers_changed with the new and the old count
        s.kill(signal.SIGTTIN)
        s.wait_log(r"HOOK post_worker_init", count=3)
        s.kill(signal.SIGTTOU)
        s.wait_log(r"HOOK child_exit")
        changes = [(e["new"], e["old"], e["num_workers"])
                   for e in self.read_events("nworkers_changed")]
        self.assertEqual(changes, [(2, None, 2), (3, 2, 3), (2, 3, 2)])
        gone = self.read_events("child_exit")[0]
        self.assertEqual(gone["pid"], master)
        self.assertEqual(gone["age"], 1)          # TTOU stops the oldest
        self.assertIn(gone["wpid"], workers)
        self.assertTrue(gone["booted"])
        self.assertFalse(gone["alive"])
        exited = self.read_events("worker_exit")[0]
        self.assertEqual(exited["pid"], gone["wpid"])
        self.assertEqual(exited["wpid"], gone["wpid"])
        self.assertEqual(exited["spid"], master)

        # SIGQUIT to one worker: worker_int, then worker_exit, in it
        victim = [e["pid"] for e in self.read_events("post_fork")
                  if e["age"] == 2][0]
        os.kill(victim, signal.SIGQUIT)
        s.wait_log(r"HOOK child_exit", count=2)
        wint = self.read_events("worker_int")
        self.assertEqual([e["pid"] for e in wint], [victim])
        self.assertFalse(wint[0]["alive"])
        names = [e["hook"] for e in self.read_events()
                 if e["pid"] == victim]
        self.assertEqual(names[-2:], ["worker_int", "worker_exit"])

        # stop: every worker exits, then on_exit in the master, last
        s.wait_log(r"HOOK post_worker_init", count=4)
        self.assertEqual(s.stop(), 0)
        ev = self.read_events()
        self.assertEqual(ev[-1]["hook"], "on_exit")
        self.assertEqual(ev[-1]["pid"], master)
        self.assertEqual(len(self.read_events("child_exit")), 4)
        self.assertEqual(len(self.read_events("worker_exit")), 4)
        self.assertEqual(self.read_events("worker_abort"), [])

    def test_worker_abort_on_timeout(self):
        conf = self.write("hooks.py", HOOKS_CONF)
        s = self.start("-c", conf, "-w", "1", "--timeout", "1", "probe:app")
        s.wait_log(r"HOOK post_worker_init")
        status, _ = s.get("/sleep?s=20")
        self.assertEqual(status, 500)           # SystemExit in the app
        s.wait_log(r"HOOK child_exit")
        ab = self.read_events("worker_abort")
        self.assertEqual(len(ab), 1)
        self.assertFalse(ab[0]["alive"])
        self.assertIn("WORKER TIMEOUT", s.log())
        names = [e["hook"] for e in self.read_events()
                 if e["pid"] == ab[0]["pid"]]
        self.assertEqual(names[-2:], ["worker_abort", "worker_exit"])
        self.assertTrue(self.read_events("child_exit")[0]["aborted"])
        s.wait_log(r"HOOK post_worker_init", count=2)
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)

    def test_hup_reloads_the_file_and_calls_on_reload(self):
        conf = self.write("hooks.py", HOOKS_CONF)
        s = self.start("-c", conf, "probe:app")
        s.wait_log(r"HOOK post_worker_init", count=2)
        with open(conf, "a") as f:
            f.write("\nworkers = 3\n")
        s.kill(signal.SIGHUP)
        s.wait_log(r"HOOK on_reload")
        s.wait_log(r"HOOK post_worker_init", count=5)
        reload = self.read_events("on_reload")[0]
        self.assertEqual(reload["workers"], 3)
        self.assertEqual(reload["pid"], s.pid)
        changes = [(e["new"], e["old"])
                   for e in self.read_events("nworkers_changed")]
        self.assertEqual(changes, [(2, None), (3, 2)])
        # the reload comes before the new workers' pre_fork
        order = [e["hook"] for e in self.read_events()]
        i = order.index("on_reload")
        self.assertEqual(order[i + 1:].count("pre_fork"), 3)
        # the old generation goes
        s.wait_log(r"HOOK child_exit", count=2)
        self.assertEqual(s.stop(), 0)

    def test_usr2_runs_pre_exec_in_the_new_master(self):
        conf = self.write("hooks.py", HOOKS_CONF)
        s = self.start("-c", conf, "-w", "1", "probe:app")
        s.wait_log(r"HOOK post_worker_init")
        s.kill(signal.SIGUSR2)
        s.wait_log(r"HOOK pre_exec")
        pe = self.read_events("pre_exec")[0]
        child = pe["pid"]
        self.assertNotEqual(child, s.pid)
        self.assertEqual(pe["spid"], s.pid)
        # the re-executed master boots with the same file, then stops
        s.wait_log(r"HOOK when_ready", count=2)
        os.kill(child, signal.SIGTERM)
        s.wait_log(r"HOOK on_exit")
        self.assertEqual(self.read_events("on_exit")[0]["pid"], child)
        self.assertEqual(s.get("/env")[0], 200)     # the old one still serves
        self.assertEqual(s.stop(), 0)

    def test_a_raising_hook_is_logged_and_the_server_serves(self):
        conf = self.write("raising.py", """
            def when_ready(server):
                raise RuntimeError("when_ready broke")

            def post_fork(server, worker):
                raise RuntimeError("post_fork broke")

            def post_request(worker, req):
                raise ValueError("post_request broke")

            def worker_exit(server, worker):
                raise KeyError("worker_exit broke")
        """)
        s = self.start("-c", conf, "-w", "1", "probe:app")
        s.wait_log(r"Exception in when_ready hook")
        s.wait_log(r"Exception in post_fork hook")
        for _ in range(2):
            self.assertEqual(s.get("/env")[0], 200)
        s.wait_log(r"Exception in post_request hook", count=2)
        s.wait_log(r"ValueError: post_request broke", count=2)
        s.wait_log(r"RuntimeError: when_ready broke")
        self.assertEqual(s.stop(), 0)
        self.assertIn("Exception during worker exit:", s.log())
        self.assertIn("KeyError: 'worker_exit broke'", s.log())

    def test_pre_request_raising_answers_500(self):
        conf = self.write("raising.py", """
            def pre_request(worker, req):
                if req.path == "/bad":
                    raise RuntimeError("no")
        """)
        s = self.start("-c", conf, "-w", "1", "probe:app")
        s.wait_log(r"Booting worker")
        self.assertEqual(s.get("/bad")[0], 500)
        s.wait_log(r"Error handling request")
        s.wait_log(r"RuntimeError: no")
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)

    def test_post_request_arities(self):
        for n, args in ((2, "worker, req"), (3, "worker, req, environ"),
                        (4, "worker, req, environ, resp")):
            with self.subTest(arity=n):
                conf = self.write("pr%d.py" % n, """
                    def post_request(%s):
                        worker.log.info("POSTREQ %d %%s", req.path)
                """ % (args, n))
                s = self.start("-c", conf, "-w", "1", "probe:app")
                s.wait_log(r"Booting worker")
                self.assertEqual(s.get("/x")[0], 404)
                s.wait_log(r"POSTREQ %d /x" % n)
                self.assertEqual(s.stop(), 0)

    def test_log_methods_route_to_the_error_log(self):
        conf = self.write("logs.py", """
            def when_ready(server):
                server.log.debug("L-debug %s", 1)
                server.log.info("L-info %(a)s", {"a": 2})
                server.log.warning("L-warning")
                server.log.error("L-error")
                server.log.critical("L-critical")
                try:
                    1 / 0
                except ZeroDivisionError:
                    server.log.exception("L-exception")
        """)
        s = self.start("-c", conf, "-w", "1", "--log-level", "info",
                       "probe:app")
        s.wait_log(r"ZeroDivisionError")
        log = s.log()
        self.assertNotIn("L-debug", log)
        self.assertRegex(log, r"\[INFO\] L-info 2")
        self.assertRegex(log, r"\[WARNING\] L-warning")
        self.assertRegex(log, r"\[ERROR\] L-error")
        self.assertRegex(log, r"\[CRITICAL\] L-critical")
        self.assertRegex(log, r"\[ERROR\] L-exception\nTraceback")
        self.assertIn("ZeroDivisionError", log)
        self.assertEqual(s.stop(), 0)


class LoadingTests(ConfigCase):
    """Where the file comes from, what it sets, and what overrides it."""

    def print_config(self, *args, env=None, cwd=None):
        rc, out, err = run(["--print-config", "--pythonpath", APPS]
                           + list(args), cwd or self.dir, env)
        self.assertEqual(rc, 0, err)
        return dict(re.findall(r"^(\w+)\s*= (.*)$", out, re.M)), err

    def test_precedence_cli_over_env_over_file(self):
        conf = self.write("p.py", """
            workers = 3
            threads = 5
            keepalive = 7
            backlog = 99
        """)
        env = {"GUNICORN_CMD_ARGS": "--workers 4 --threads 6"}
        cfg, _ = self.print_config("-c", conf, "--threads", "8",
                                   "probe:app", env=env)
        self.assertEqual(cfg["workers"], "4")     # env over file
        self.assertEqual(cfg["threads"], "8")     # cli over env
        self.assertEqual(cfg["keepalive"], "7")   # file over default
        self.assertEqual(cfg["backlog"], "99")
        self.assertEqual(cfg["config"], conf)

    def test_env_default_under_the_file(self):
        conf = self.write("p.py", "workers = 3\n")
        cfg, _ = self.print_config("-c", conf, "probe:app",
                                   env={"WEB_CONCURRENCY": "9"})
        self.assertEqual(cfg["workers"], "3")

    def test_types_and_hooks_in_print_config(self):
        conf = self.write("t.py", """
            import os
            bind = ("127.0.0.1:1", "127.0.0.1:2")
            raw_env = ["A=1"]
            secure_scheme_headers = {"X-S": "on"}
            preload_app = True
            proc_name = None
            unrelated = object()
            def post_fork(server, worker):
                pass
            def post_request(worker, req):
                pass
        """)
        cfg, _ = self.print_config("-c", conf, "probe:app")
        self.assertEqual(cfg["bind"], "['127.0.0.1:1', '127.0.0.1:2']")
        self.assertEqual(cfg["raw_env"], "['A=1']")
        self.assertEqual(cfg["secure_scheme_headers"], "{'X-S': 'on'}")
        self.assertEqual(cfg["preload_app"], "True")
        self.assertEqual(cfg["proc_name"], "None")
        self.assertEqual(cfg["post_fork"], "<post_fork()>")
        self.assertEqual(cfg["post_request"],
                         "<validate_post_request.<locals>.<lambda>()>")
        self.assertEqual(cfg["pre_fork"], "<Prefork.pre_fork()>")

    def test_file_prefix_python_module_and_default_file(self):
        conf = self.write("f.py", "workers = 5\n")
        cfg, _ = self.print_config("-c", "file:" + conf, "probe:app")
        self.assertEqual(cfg["workers"], "5")
        self.write("mycfg.py", "workers = 6\n")
        cfg, _ = self.print_config("-c", "python:mycfg", "probe:app")
        self.assertEqual(cfg["workers"], "6")
        self.write("gunicorn.conf.py", "workers = 7\n")
        cfg, _ = self.print_config("probe:app")
        self.assertEqual(cfg["workers"], "7")
        # -c wins over the default file; so does -c in GUNICORN_CMD_ARGS
        cfg, _ = self.print_config("-c", conf, "probe:app")
        self.assertEqual(cfg["workers"], "5")
        cfg, _ = self.print_config("probe:app", env={
            "GUNICORN_CMD_ARGS": "-c python:mycfg"})
        self.assertEqual(cfg["workers"], "6")

    def test_config_module_is_registered(self):
        conf = self.write("m.py", """
            import sys
            workers = 2 if __name__ == "__config__" else 9
            keepalive = 3 if sys.modules["__config__"].workers == 2 else 9
        """)
        cfg, _ = self.print_config("-c", conf, "probe:app")
        self.assertEqual((cfg["workers"], cfg["keepalive"]), ("2", "3"))

    def test_non_py_extension_warns_and_still_runs(self):
        conf = self.write("settings.conf", "workers = 4\n")
        cfg, err = self.print_config("-c", conf, "probe:app")
        self.assertEqual(cfg["workers"], "4")
        self.assertIn("!!!\n!!! WARNING: configuration file should have a "
                      "valid Python extension.\n!!!\n", err)

    def test_wsgi_app_from_the_file(self):
        conf = self.write("w.py", 'wsgi_app = "probe:app"\nworkers = 1\n')
        s = self.start("-c", conf)
        s.wait_log(r"Booting worker")
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)
        # the positional argument wins over wsgi_app
        conf = self.write("w2.py", 'wsgi_app = "nosuchmodule:app"\n')
        rc, _, err = run(["--check-config", "--pythonpath", APPS, "-c", conf,
                          "probe:app"], self.dir)
        self.assertEqual(rc, 0, err)

    def test_check_config_with_a_file(self):
        good = self.write("good.py", 'wsgi_app = "probe:app"\n')
        rc, _, err = run(["--check-config", "--pythonpath", APPS, "-c",
                          good], self.dir)
        self.assertEqual(rc, 0, err)
        bad = self.write("bad.py", 'wsgi_app = "probe:nosuchname"\n')
        rc, _, err = run(["--check-config", "--pythonpath", APPS, "-c",
                          bad], self.dir)
        self.assertEqual(rc, 1, err)
        rc, out, err = run(["--print-config", "--pythonpath", APPS, "-c",
                            bad], self.dir)
        self.assertEqual(rc, 1, err)
        self.assertIn("wsgi_app", out)


class BadFileTests(ConfigCase):
    """gunicorn's messages and exit status 1."""

    def fails(self, text, *args, name="bad.py"):
        conf = self.write(name, text)
        rc, out, err = run(["-c", conf] + list(args) + ["probe:app"],
                           self.dir)
        self.assertEqual(rc, 1, err)
        return conf, err

    def test_exec_error(self):
        conf, err = self.fails("workers = 2\nraise ValueError('boom')\n")
        self.assertTrue(err.startswith("Failed to read config file: %s\n"
                                       "Traceback (most recent call last):"
                                       % conf), err)
        self.assertIn("ValueError: boom", err)

    def test_syntax_error(self):
        conf, err = self.fails("workers = = 2\n")
        self.assertIn("Failed to read config file: %s" % conf, err)
        self.assertIn("SyntaxError", err)

    def test_missing_file_and_module(self):
        missing = os.path.join(self.dir, "nope.py")
        rc, _, err = run(["-c", missing, "probe:app"], self.dir)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "\nError: %r doesn't exist\n" % missing)
        rc, _, err = run(["-c", "python:no_such_cfg_mod", "probe:app"],
                         self.dir)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "\nError: No module named 'no_such_cfg_mod'\n")

    def test_invalid_values(self):
        cases = [
            ("workers = 'abc'", "Invalid value for workers: abc\n\n\n"
             "Error: invalid literal for int() with base 0: 'abc'\n"),
            ("timeout = 1.5", "Invalid value for timeout: 1.5\n\n\n"
             "Error: int() can't convert non-string with explicit base\n"),
            ("workers = -1", "Invalid value for workers: -1\n\n\n"
             "Error: Value must be positive: -1\n"),
            ("daemon = 'maybe'", "Invalid value for daemon: maybe\n\n\n"
             "Error: Invalid boolean: maybe\n"),
            ("daemon = 2.5", "Invalid value for daemon: 2.5\n\n\n"
             "Error: Invalid type for casting: 2.5\n"),
            ("pidfile = 3.0", "Invalid value for pidfile: 3.0\n\n\n"
             "Error: Not a string: 3.0\n"),
            ("raw_env = 1.5", "Invalid value for raw_env: 1.5\n\n\n"
             "Error: 'float' object is not iterable\n"),
            ("secure_scheme_headers = ['x']",
             "Invalid value for secure_scheme_headers: ['x']\n\n\n"
             "Error: Value is not a dictionary: ['x'] \n"),
            ("def post_fork(server):\n    pass",
             None),
            ("post_fork = 3", "Invalid value for post_fork: 3\n\n\n"
             "Error: Value is not callable: 3\n"),
            ("def post_request(worker):\n    pass", None),
            ("pre_fork = 'nodots'", "Invalid value for pre_fork: nodots\n"
             "\n\nError: Value 'nodots' is not import string. Format: "
             "module[.submodules...].object\n"),
        ]
        for text, expect in cases:
            with self.subTest(text=text):
                _, err = self.fails(text + "\n")
                if expect is not None:
                    self.assertEqual(err, expect)
                else:
                    self.assertRegex(err, r"^Invalid value for \w+: "
                                     r"<function \w+ at 0x[0-9a-f]+>\n\n\n"
                                     r"Error: Value must have an arity of: "
                                     r"[24]\n$")

    def test_hook_by_import_string(self):
        self.write("hookmod.py", """
            def when_ready(server):
                server.log.info("IMPORTED HOOK")
        """)
        conf = self.write("imp.py", 'when_ready = "hookmod.when_ready"\n')
        s = self.start("-c", conf, "-w", "1", "probe:app")
        s.wait_log(r"IMPORTED HOOK")
        self.assertEqual(s.stop(), 0)


class ReloadTests(ConfigCase):

    def test_hup_rereads_workers(self):
        conf = self.write("gunicorn.conf.py", "workers = 1\n")
        s = self.start("probe:app")                  # the default file
        s.wait_log(r"Booting worker", count=1)
        self.write("gunicorn.conf.py", "workers = 3\n")
        s.kill(signal.SIGHUP)
        s.wait_log(r"Booting worker", count=4)
        s.wait_log(r"Worker exiting", count=1)       # the old one
        self.assertEqual(s.get("/env")[0], 200)
        # a broken file on HUP changes nothing
        self.write("gunicorn.conf.py", "workers = 'x'\n")
        s.kill(signal.SIGHUP)
        s.wait_log(r"Reload failed")
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)
        # one old worker and three new ones, no more: the file said 3
        log = s.log()
        self.assertEqual(log.count("Booting worker"), 4)
        self.assertEqual(log.count("Worker exiting"), 4)
        self.assertIn("Invalid value for workers: x", log)
        del conf

    def test_hup_rebinds(self):
        port, other = free_port(), free_port()
        conf = self.write("b.py", "bind = '127.0.0.1:%d'\n" % port)
        s = self.start("-c", conf, "probe:app", bind=False)
        s.port = port
        s.wait_log(r"Booting worker")
        self.write("b.py", "bind = '127.0.0.1:%d'\n" % other)
        s.kill(signal.SIGHUP)
        # gunicorn re-binds (tests/integration/test_lifecycle.py goes on)
        s.wait_log(r"Listening at: http://127\.0\.0\.1:%d " % other)
        s.wait_log(r"Booting worker", count=2)
        s.port = other
        self.assertEqual(s.get("/env")[0], 200)
        self.assertNotIn("needs a restart", s.log())
        self.assertEqual(s.stop(), 0)


# What a worker sees: raw_env's variables, its kind, ids and title.
ENV_APP = r'''
import json
import os


def app(environ, start_response):
    with open("/proc/self/cmdline", "rb") as f:
        title = f.read().split(b"\0")[0].decode()
    body = json.dumps({
        "A": os.environ.get("A"), "B": os.environ.get("B"),
        "PFW_PRE": os.environ.get("PFW_PRE"),
        "multithread": environ["wsgi.multithread"],
        "pid": os.getpid(), "uid": os.getuid(), "title": title,
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''


def master_title(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")[0].decode()


class HupSettingsTests(ConfigCase):
    """gunicorn's reload() re-applies raw_env, worker_class, proc_name,
    pidfile and user for the new workers (gunicorn-reference 2.9)."""

    def get_json(self, s):
        code, data = s.get("/")
        self.assertEqual(code, 200)
        return json.loads(data.split(b"\r\n\r\n", 1)[1])

    def hup(self, s, booted):
        """HUP, then wait for the new worker and the old one's exit."""
        s.kill(signal.SIGHUP)
        s.wait_log(r"Booting worker", count=booted + 1)
        s.wait_log(r"Worker exiting", count=booted)

    def test_raw_env_restored_and_dropped(self):
        self.write("envapp.py", ENV_APP)
        conf = self.write("e.py", '''
            raw_env = ["A=1", "B=2", "PFW_PRE=override"]
            ''')
        s = self.start("-c", conf, "envapp:app", env={"PFW_PRE": "orig"})
        s.wait_log(r"Booting worker")
        seen = self.get_json(s)
        self.assertEqual((seen["A"], seen["B"], seen["PFW_PRE"]),
                         ("1", "2", "override"))
        self.write("e.py", 'raw_env = ["A=3"]\n')
        self.hup(s, 1)
        seen = self.get_json(s)
        # B was not there before: gone; PFW_PRE back to its own value
        self.assertEqual((seen["A"], seen["B"], seen["PFW_PRE"]),
                         ("3", None, "orig"))
        # and a variable set again by the next file is set
        self.write("e.py", 'raw_env = ["B=4", "PFW_PRE=again"]\n')
        self.hup(s, 2)
        seen = self.get_json(s)
        self.assertEqual((seen["A"], seen["B"], seen["PFW_PRE"]),
                         (None, "4", "again"))
        self.assertEqual(s.stop(), 0)

    def test_dash_e_kept_across_hup_without_python_in_master(self):
        """No configuration file: the master has no interpreter, and -e
        is put back then set again by the HUP."""
        self.write("envapp.py", ENV_APP)
        s = self.start("-e", "A=cli", "-e", "PFW_PRE=cli", "envapp:app",
                       env={"PFW_PRE": "orig"})
        s.wait_log(r"Booting worker")
        self.hup(s, 1)
        seen = self.get_json(s)
        self.assertEqual((seen["A"], seen["B"], seen["PFW_PRE"]),
                         ("cli", None, "cli"))
        self.assertEqual(s.stop(), 0)

    def test_worker_class_proc_name_pidfile_user(self):
        self.write("envapp.py", ENV_APP)
        a_pid = os.path.join(self.dir, "a.pid")
        b_pid = os.path.join(self.dir, "b.pid")
        conf = self.write("k.py", '''
            worker_class = "sync"
            proc_name = "first"
            pidfile = %r
            ''' % a_pid)
        s = self.start("-c", conf, "envapp:app")
        s.wait_log(r"Booting worker")
        seen = self.get_json(s)
        self.assertFalse(seen["multithread"])
        self.assertEqual(seen["title"], "prefork-wsgi: worker [first]")
        self.assertEqual(master_title(s.pid), "prefork-wsgi: master [first]")
        with open(a_pid) as f:
            self.assertEqual(int(f.read()), s.pid)
        root = os.geteuid() == 0
        if root:
            os.chmod(self.dir, 0o755)       # nobody imports envapp from it
        self.write("k.py", '''
            worker_class = "gthread"
            proc_name = "second"
            pidfile = %r
            %s
            ''' % (b_pid, "user = 'nobody'" if root else ""))
        self.hup(s, 1)
        seen = self.get_json(s)
        self.assertTrue(seen["multithread"])        # a gthread worker
        self.assertEqual(seen["title"], "prefork-wsgi: worker [second]")
        self.assertEqual(master_title(s.pid), "prefork-wsgi: master [second]")
        self.assertFalse(os.path.exists(a_pid))
        with open(b_pid) as f:
            self.assertEqual(int(f.read()), s.pid)
        if root:
            import pwd
            self.assertEqual(seen["uid"], pwd.getpwnam("nobody").pw_uid)
        self.assertNotIn("needs a restart", s.log())
        self.assertEqual(s.stop(), 0)
        self.assertFalse(os.path.exists(b_pid))

    def test_preload_turned_on_and_daemon_warned(self):
        conf = self.write("p.py", "workers = 1\n")
        s = self.start("-c", conf, "probe:app")
        s.wait_log(r"Booting worker")
        self.write("p.py", "workers = 1\npreload_app = True\n"
                   "daemon = True\n")
        self.hup(s, 1)
        s.wait_log(r"WARNING\] preload_app turned on by a reload")
        s.wait_log(r"WARNING\] daemon changed on reload: it only applies at "
                   r"start-up")
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)


class MasterPythonTests(ConfigCase):
    """No config file, no --preload: no interpreter in the master."""

    def test_no_config_no_python_in_master(self):
        s = self.start("-w", "2", "--log-level", "debug", "probe:app")
        s.wait_log(r"Python interpreter started in the worker", count=2)
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)
        log = s.log()
        self.assertNotIn("Python interpreter live in the master", log)
        self.assertNotIn("inherited from the master", log)

    def test_config_file_python_in_master(self):
        conf = self.write("c.py", "workers = 2\n")
        s = self.start("-c", conf, "--log-level", "debug", "probe:app")
        m = s.wait_log(r"\[(\d+)\] \[DEBUG\] Python interpreter live in the "
                       r"master")
        self.assertEqual(int(m.group(1)), s.pid)
        s.wait_log(r"Python interpreter inherited from the master", count=2)
        self.assertNotIn("started in the worker", s.log())
        self.assertEqual(s.get("/env")[0], 200)
        self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    unittest.main()
