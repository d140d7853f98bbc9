#!/usr/bin/python3
"""bench/run.py - prefork-wsgi side by side with its peers (make bench).

usage: /usr/bin/python3 bench/run.py [--quick] [options]

Starts each server in turn on its own 127.0.0.1 port, times its start-up to
the first 200, reads its memory, loads it with wrk (-t1 -c50 --latency),
measures the CPU of the server's whole process tree per request, counts the
keep-alive connections each worker holds, stops it, and moves on.  Raw rows
go to build/bench/bench-STAMP.tsv (and latest.tsv); bench/report.py turns
them into the table, which is printed at the end and kept as latest.txt.

Servers: nginx (return 200, no Python: the ceiling), gunicorn-sync,
gunicorn-gthread, uwsgi, uwsgi-http11, and pfw-sync, pfw-ev, pfw-gthread
when build/prefork-wsgi exists.  Apps: bench/apps/*.py.

Every wait is bounded, only 127.0.0.1 is used, and every process started
here is stopped by PID (then by its own process group) before exit.
"""
import argparse
import atexit
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
APPDIR = os.path.join(HERE, "apps")
LUA = os.path.join(HERE, "wrk", "bench.lua")
NGINX_CONF = os.path.join(HERE, "nginx", "nginx.conf.in")
PY = "/usr/bin/python3"         # Debian's: the one gunicorn, uwsgi and
                                # prefork-wsgi's embedded interpreter use
HOST = "127.0.0.1"              # loopback only, on purpose
HZ = os.sysconf("SC_CLK_TCK")
POST_BYTES = 65536

ALL_APPS = ["hello", "big16k", "echo", "flask_hello", "falcon_hello"]
PEERS = ["nginx", "gunicorn-sync", "gunicorn-gthread", "uwsgi",
         "uwsgi-http11"]
PFW_KINDS = ["sync", "ev", "gthread"]

# Loads per app.  get-* are GETs (close adds "Connection: close"); post-ka
# sends a 64 KiB body on a kept-alive connection.
LOADS = {
    "hello": ["get-ka", "get-close"],
    "big16k": ["get-ka", "get-close"],
    "echo": ["post-ka"],
    "flask_hello": ["get-ka", "get-close"],
    "falcon_hello": ["get-ka", "get-close"],
}

LIVE = {}                       # pid -> Popen, everything still to reap
STOPPING = False
T0 = time.monotonic()


def log(msg):
    sys.stderr.write("bench %5.1fs: %s\n" % (time.monotonic() - T0, msg))
    sys.stderr.flush()


# ---- /proc readers ---------------------------------------------------------

def read(path):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return None


def proc_stats():
    """pid -> (ppid, pgrp, utime+stime, cutime+cstime) for every process."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        s = read("/proc/%s/stat" % name)
        if not s:
            continue
        f = s[s.rfind(")") + 2:].split()
        # f[0] is field 3 (state): ppid=4 pgrp=5 utime=14 stime=15
        # cutime=16 cstime=17
        out[int(name)] = (int(f[1]), int(f[2]), int(f[11]) + int(f[12]),
                          int(f[13]) + int(f[14]))
    return out


def tree(root, stats=None):
    """root and all its descendants, root first."""
    stats = stats if stats is not None else proc_stats()
    kids = {}
    for pid, st in stats.items():
        kids.setdefault(st[0], []).append(pid)
    if root not in stats:
        return []
    out, todo = [], [root]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(sorted(kids.get(p, [])))
    return out


def tree_cpu(root):
    """(pid -> own + reaped children's ticks, pid -> own ticks), root's tree.

    The server's CPU over a run is sum(after) - sum(before) of the first map.
    Counting reaped children (cutime) keeps a worker that exits during a run:
    its whole time moves into its parent's cutime when it is reaped, and its
    share from before the run is subtracted with the "before" sum; a process
    born during the run counts in full.
    """
    st = proc_stats()
    pids = tree(root, st)
    return {p: st[p][2] + st[p][3] for p in pids}, \
        {p: st[p][2] for p in pids}


def busy_ticks():
    """Busy ticks of the whole machine (user nice system irq softirq steal)."""
    f = read("/proc/stat").split("\n", 1)[0].split()
    v = [int(x) for x in f[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def active_opens():
    lines = [l.split() for l in read("/proc/net/snmp").splitlines()
             if l.startswith("Tcp:")]
    return int(lines[1][lines[0].index("ActiveOpens")])


def tree_sched_ns(root):
    """CPU ns of every live thread of root's tree (/proc/PID/task/*/schedstat).

    Nanosecond-exact, unlike the 10 ms ticks of /proc/PID/stat, so start-up
    CPU can be read; threads and children that already exited are not in it.
    """
    total = 0
    for pid in tree(root):
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            s = read("/proc/%d/task/%s/schedstat" % (pid, tid))
            if s:
                total += int(s.split()[0])
    return total


def status_kb(pid, key):
    s = read("/proc/%d/status" % pid) or ""
    m = re.search(r"^%s:\s+(\d+)" % key, s, re.M)
    return int(m.group(1)) if m else None


def pss_kb(pid):
    s = read("/proc/%d/smaps_rollup" % pid) or ""
    m = re.search(r"^Pss:\s+(\d+)", s, re.M)
    return int(m.group(1)) if m else None


# ---- output rows -----------------------------------------------------------

class Rows:
    """Raw rows: TYPE SERVER APP MODE REP, then key=value fields; TSV."""

    def __init__(self, path):
        self.path = path
        self.fh = open(path, "w")
        self.fh.write("# bench/run.py raw rows: type server app mode rep"
                      " key=value...\n")

    def add(self, typ, server="-", app="-", mode="-", rep="-", **kv):
        f = [typ, server, app, mode, str(rep)]
        for k, v in kv.items():
            v = str(v).replace("\t", " ").replace("\n", " ")
            f.append("%s=%s" % (k, v))
        self.fh.write("\t".join(f) + "\n")
        self.fh.flush()


# ---- processes --------------------------------------------------------------

def reap_all():
    """Stop whatever is still running (atexit and signal paths)."""
    for pid, p in list(LIVE.items()):
        stop(p, timeout=5)


def on_signal(signum, frame):
    global STOPPING
    if STOPPING:
        return
    STOPPING = True
    log("signal %d: stopping servers" % signum)
    reap_all()
    sys.exit(128 + signum)


def group_members(pgid):
    return [p for p, st in proc_stats().items() if st[1] == pgid]


def stop(p, timeout=10.0):
    """SIGTERM the server, wait for its whole tree, SIGKILL what is left.

    The server was started in a new session, so its process group id is its
    pid: members that escaped the tree (re-parented to init) are found by
    group and killed too.
    """
    pids = tree(p.pid)
    try:
        os.kill(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p.poll()
        if p.returncode is not None and not any(alive(x) for x in pids):
            break
        time.sleep(0.02)
    left = set(x for x in pids if alive(x)) | set(group_members(p.pid))
    for x in left:
        log("pid %d still alive %.0fs after SIGTERM: SIGKILL" % (x, timeout))
        try:
            os.kill(x, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log("pid %d did not die after SIGKILL" % p.pid)
    LIVE.pop(p.pid, None)


def alive(pid):
    s = read("/proc/%d/stat" % pid)
    if not s:
        return False
    return s[s.rfind(")") + 2] != "Z"


def port_open(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def probe(port, path):
    """One GET; True on an HTTP 200 status line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect((HOST, port))
        s.sendall(b"GET %s HTTP/1.0\r\nHost: %s:%d\r\n\r\n"
                  % (path.encode(), HOST.encode(), port))
        data = b""
        while len(data) < 12:
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        return data[:5] == b"HTTP/" and data[9:12] == b"200"
    except OSError:
        return False
    finally:
        s.close()


def read_response(s, buf):
    """Read one response with Content-Length from s; (ok, leftover bytes)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            return False, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    if head[9:12] != b"200":
        return False, b""
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if not m:
        return False, b""          # close-delimited or chunked: not probed
    n = int(m.group(1))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            return False, b""
        rest += chunk
    return True, rest[n:]


def keeps_alive(port, path):
    """Does a second HTTP/1.1 request on the same connection get a 200?

    Decides keep-alive from the protocol itself: counting connections in
    /proc/net/snmp is namespace-wide, so other programs' connections would
    count too on a shared machine.
    """
    req = b"GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (
        path.encode(), HOST.encode(), port)
    try:
        with socket.create_connection((HOST, port), timeout=2) as s:
            buf = b""
            for _ in range(2):
                s.sendall(req)
                good, buf = read_response(s, buf)
                if not good:
                    return False
            return True
    except OSError:
        return False


# ---- servers ----------------------------------------------------------------

class Server:
    def __init__(self, name, port, cmd_fn, apps=None, paths=None,
                 pfw_kind=None):
        self.name = name
        self.port = port
        self.cmd_fn = cmd_fn
        self.apps = apps              # None: every app
        self.paths = paths or {}      # app -> URL path
        self.pfw_kind = pfw_kind

    def path(self, app):
        return self.paths.get(app, "/")

    def serves(self, app):
        return self.apps is None or app in self.apps


def nginx_cmd(cfg, port):
    prefix = os.path.join(cfg.out, "nginx-%d" % port)
    os.makedirs(os.path.join(prefix, "html"), exist_ok=True)
    os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
    with open(os.path.join(prefix, "html", "big16k"), "wb") as fh:
        fh.write(b"x" * 16384)
    with open(NGINX_CONF) as fh:
        conf = fh.read()
    conf = conf.replace("@PORT@", str(port)).replace("@WORKERS@",
                                                     str(cfg.workers))
    with open(os.path.join(prefix, "nginx.conf"), "w") as fh:
        fh.write(conf)
    return ["/usr/sbin/nginx", "-p", prefix + "/",
            "-c", os.path.join(prefix, "nginx.conf"),
            "-e", os.path.join(prefix, "error.log")]


def make_servers(cfg):
    w = str(cfg.workers)
    base = cfg.port_base
    srv = [
        Server("nginx", base, lambda app, port: nginx_cmd(cfg, port),
               apps=["hello", "big16k", "echo"],
               paths={"big16k": "/big16k", "echo": "/echo"}),
        Server("gunicorn-sync", base + 1, lambda app, port: [
            "/usr/bin/gunicorn", "-w", w, "-b", "%s:%d" % (HOST, port),
            "--chdir", APPDIR, app + ":app"]),
        Server("gunicorn-gthread", base + 2, lambda app, port: [
            "/usr/bin/gunicorn", "-w", w, "-k", "gthread", "--threads", "4",
            "-b", "%s:%d" % (HOST, port), "--chdir", APPDIR, app + ":app"]),
        Server("uwsgi", base + 3, lambda app, port: uwsgi_cmd(
            w, "--http-socket", port, app)),
        Server("uwsgi-http11", base + 4, lambda app, port: uwsgi_cmd(
            w, "--http11-socket", port, app)),
    ]
    for i, kind in enumerate(PFW_KINDS):
        srv.append(Server("pfw-" + kind, base + 10 + i,
                          pfw_cmd_fn(cfg, kind), pfw_kind=kind))
    return srv


def uwsgi_cmd(w, sock, port, app):
    return ["/usr/bin/uwsgi", "--plugin", "python3", sock,
            "%s:%d" % (HOST, port), "--processes", w, "--master",
            "--disable-logging", "--die-on-term", "--need-app",
            "--chdir", APPDIR, "--wsgi-file", app + ".py",
            "--callable", "app"]


def pfw_cmd_fn(cfg, kind):
    def fn(app, port):
        cmd = [cfg.pfw, "-w", str(cfg.workers), "-k", kind,
               "-b", "%s:%d" % (HOST, port)]
        if kind == "gthread":
            cmd += ["--threads", "4"]
        return cmd + [app + ":app"]
    return fn


def server_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = APPDIR
    env["PYTHONDONTWRITEBYTECODE"] = "1"   # keep bench/apps/ clean
    return env


def start(cmd, logpath):
    """Start cmd in its own session; returns (Popen, t0)."""
    fh = open(logpath, "ab")
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=APPDIR, env=server_env(),
                         stdin=subprocess.DEVNULL, stdout=fh, stderr=fh,
                         start_new_session=True)
    fh.close()
    LIVE[p.pid] = p
    return p, t0


def procs_running():
    m = re.search(r"^procs_running (\d+)", read("/proc/stat") or "", re.M)
    return int(m.group(1)) if m else 0


def wait_first_200(p, t0, port, path, timeout, runq=None):
    """ms from exec to the first 200, or None if it exited or timed out.

    runq, a list, gets the machine's runnable tasks at each poll, less this
    one: how much the start-up had to share the cores.
    """
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if runq is not None:
            runq.append(max(0, procs_running() - 1))
        if probe(port, path):
            return (time.perf_counter() - t0) * 1000
        if p.poll() is not None:
            return None
        time.sleep(0.001)
    return None


def timed_start(cmd, logpath, port, path, timeout):
    """Start, wait for the first 200: (Popen, wall ms or None, figures).

    Besides the wall time, which other load on the shared machine stretches,
    it keeps the CPU the server's live threads had used by then (schedstat,
    ns), which that load hardly changes, and the mean number of runnable
    tasks on the machine meanwhile (besides this driver; the server's own
    count too).  The machine's busy ticks are too coarse, 10 ms, to say how
    loaded it was over a window this short.
    """
    runq = []
    p, t0 = start(cmd, logpath)
    ms = wait_first_200(p, t0, port, path, timeout, runq)
    if ms is None:
        return p, None, {}
    return p, ms, {"cpu_ms": "%.1f" % (tree_sched_ns(p.pid) / 1e6),
                   "runq": "%.1f" % (sum(runq) / len(runq) if runq else 0)}


def wait_port_free(port, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_open(port):
            return True
        time.sleep(0.05)
    return False


def wait_workers(p, n, timeout):
    """Wait (bounded) until the tree holds 1 + n processes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(tree(p.pid)) >= 1 + n:
            return True
        time.sleep(0.02)
    return False


def memory(root):
    """[(pid, rss_kb, pss_kb)] for the tree, root (the master) first."""
    out = []
    for pid in tree(root):
        rss = status_kb(pid, "VmRSS")
        if rss is not None:
            out.append((pid, rss, pss_kb(pid) or 0))
    return out


def mem_fields(mem, prefix):
    if not mem:
        return {}
    return {
        prefix + "_master_kb": mem[0][1],
        prefix + "_workers_kb": "/".join(str(m[1]) for m in mem[1:]) or "-",
        prefix + "_total_kb": sum(m[1] for m in mem),
        prefix + "_pss_total_kb": sum(m[2] for m in mem),
        prefix + "_procs": len(mem),
    }


# ---- wrk -------------------------------------------------------------------

def wrk_cmd(cfg, srv, app, mode, duration):
    cmd = ["/usr/bin/wrk", "-t1", "-c%d" % cfg.conns, "-d%ds" % duration,
           "--latency", "-s", LUA]
    if mode.endswith("-close"):
        cmd += ["-H", "Connection: close"]
    return cmd + ["http://%s:%d%s" % (HOST, srv.port, srv.path(app))]


def ss_counts(port):
    """pid -> established connections on the server side of port.

    Key 0 counts connections no process holds yet: the handshake is done but
    they still wait in the listen queue, not accepted by any worker.
    """
    try:
        out = subprocess.run(
            ["ss", "-tnpH", "state", "established", "( sport = :%d )" % port],
            capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    counts = {}
    for line in out.splitlines():
        pids = set(re.findall(r"pid=(\d+)", line)) or {"0"}
        for pid in pids:
            counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


def run_wrk(cfg, srv, p, app, mode, duration, ka, sample_at=None):
    """One wrk run; returns a dict of figures (and the ss sample if asked)."""
    env = dict(os.environ)
    env["BENCH_POST_BYTES"] = str(POST_BYTES if mode.startswith("post")
                                  else 0)
    cmd = wrk_cmd(cfg, srv, app, mode, duration)
    cpu0, own0 = tree_cpu(p.pid)
    b0, o0, t0 = busy_ticks(), active_opens(), time.monotonic()
    w = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env)
    LIVE[w.pid] = w
    killer = threading.Timer(duration + 30, w.kill)
    killer.daemon = True
    killer.start()
    # read wrk's output in a thread so a full pipe never blocks it
    buf = []
    reader = threading.Thread(target=lambda: buf.append(w.stdout.read()),
                              daemon=True)
    reader.start()
    sample = None
    if sample_at is not None:
        time.sleep(sample_at)
        sample = ss_counts(srv.port)
    _, status, ru = os.wait4(w.pid, 0)
    killer.cancel()
    reader.join(10)
    w.returncode = os.waitstatus_to_exitcode(status)
    LIVE.pop(w.pid, None)
    t1, b1, o1 = time.monotonic(), busy_ticks(), active_opens()
    cpu1, own1 = tree_cpu(p.pid)
    text = (buf[0] if buf else b"").decode("utf-8", "replace")
    m = re.search(r"^BENCH (.*)$", text, re.M)
    if not m:
        return {"error": "wrk: " + text.strip().replace("\n", " | ")[:300]}
    r = dict(kv.split("=", 1) for kv in m.group(1).split())
    r = {k: float(v) for k, v in r.items()}
    n = r["requests"]
    rps = n / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    srv_s = (sum(cpu1.values()) - sum(cpu0.values())) / HZ
    wrk_s = ru.ru_utime + ru.ru_stime
    wall = t1 - t0
    other_s = max(0.0, (b1 - b0) / HZ - srv_s - wrk_s)
    conn_per_req = (o1 - o0) / n if n else float("nan")
    little_ms = cfg.conns * 1000.0 / rps if rps else float("nan")
    flags = []
    if wrk_s / wall >= 0.90:
        flags.append("CLIENT-BOUND")
    if n and ka and r["lat_mean_us"] / 1000 < 0.5 * little_ms:
        flags.append("UNFAIR")
    errs = {k[4:]: int(v) for k, v in r.items()
            if k.startswith("err_") and v}
    # CPU of each worker (own time only) during the run
    workers = [x for x in own1 if x != p.pid]
    wcpu = [(own1[x] - own0.get(x, 0)) / HZ for x in workers]
    out = {
        "rps": "%.1f" % rps,
        "requests": int(n),
        "p50_ms": "%.4f" % (r["lat_p50_us"] / 1000),
        "p90_ms": "%.4f" % (r["lat_p90_us"] / 1000),
        "p99_ms": "%.4f" % (r["lat_p99_us"] / 1000),
        "mean_ms": "%.4f" % (r["lat_mean_us"] / 1000),
        "server_cpu_s": "%.2f" % srv_s,
        "server_us_per_req": "%.2f" % (srv_s * 1e6 / n if n else float("nan")),
        "wrk_cpu_pct": "%.1f" % (100 * wrk_s / wall),
        "other_cpu_pct": "%.1f" % (100 * other_s / wall),
        "wall_s": "%.2f" % wall,
        "conn_per_req": "%.3f" % conn_per_req,
        "little_ms": "%.3f" % little_ms,
        "errors": ",".join("%s:%d" % kv for kv in errs.items()) or "-",
        "worker_cpu_s": "/".join("%.2f" % x for x in wcpu) or "-",
        "flags": ",".join(flags) or "-",
    }
    if sample is not None:
        out["ss"] = sample
    return out


# ---- one server, one app ----------------------------------------------------

def bench_server_app(cfg, rows, srv, app, loads, logdir):
    cmd = srv.cmd_fn(app, srv.port)
    logpath = os.path.join(logdir, "%s.%s.log" % (srv.name, app))
    path = srv.path(app)
    if not wait_port_free(srv.port):
        rows.add("fail", srv.name, app, reason="port %d busy" % srv.port)
        log("%s/%s: port %d is busy, skipped" % (srv.name, app, srv.port))
        return
    rows.add("cmd", srv.name, app, cmd=" ".join(cmd))
    # the previous server's exit leaves work behind for a moment (the start
    # right after it measured up to 2x slower with the same CPU): let it pass
    time.sleep(cfg.settle)
    p = None
    for i in range(1, cfg.startup_runs + 1):
        p, ms, extra = timed_start(cmd, logpath, srv.port, path,
                                   cfg.startup_timeout)
        if ms is None:
            tail = (read(logpath) or "").strip().splitlines()[-3:]
            stop(p)
            rows.add("fail", srv.name, app,
                     reason="no 200 within %ds: %s"
                     % (cfg.startup_timeout, " | ".join(tail)[:300]))
            log("%s/%s: no 200 (log %s)" % (srv.name, app, logpath))
            return
        rows.add("start", srv.name, app, "-", i, ms="%.1f" % ms, **extra)
        if i < cfg.startup_runs:
            # let every worker finish booting first: a uwsgi or gunicorn
            # worker signalled in the middle of its boot can miss the
            # signal and hold the stop for its full 10 s
            wait_workers(p, cfg.workers, 10.0)
            time.sleep(0.1)
            stop(p)
            wait_port_free(srv.port)
    try:
        wait_workers(p, cfg.workers, 10.0)
        time.sleep(cfg.settle)
        rows.add("mem", srv.name, app, "idle", **mem_fields(memory(p.pid),
                                                             "idle"))
        ka = keeps_alive(srv.port, path)
        rows.add("keepalive", srv.name, app, value=int(ka))
        warmed = False
        if app == "hello" and cfg.balance_runs > 0 and "get-ka" in loads:
            if ka:
                balance(cfg, rows, srv, p, app)
                warmed = True
            else:
                rows.add("balance", srv.name, app, "get-ka", 0, closes=1)
        if not warmed and cfg.warmup > 0:
            run_wrk(cfg, srv, p, app, loads[0], cfg.warmup, ka)
            time.sleep(cfg.pause)
        for mode in loads:
            for rep in range(1, cfg.repeats + 1):
                r = run_wrk(cfg, srv, p, app, mode, cfg.duration,
                            ka and mode.endswith("-ka"))
                rows.add("run", srv.name, app, mode, rep, **r)
                log("%-16s %-12s %-9s #%d %s req/s, %s us/req, p99 %s ms %s"
                    % (srv.name, app, mode, rep, r.get("rps", "-"),
                       r.get("server_us_per_req", "-"), r.get("p99_ms", "-"),
                       r.get("error", r.get("flags", ""))))
                time.sleep(cfg.pause)
        rows.add("mem", srv.name, app, "after", **mem_fields(memory(p.pid),
                                                              "after"))
    finally:
        stop(p)


def balance(cfg, rows, srv, p, app):
    """Keep-alive connections held by each worker, BALANCE_RUNS times.

    Each run is a fresh wrk with cfg.conns connections, so each is a new
    draw of how the workers' accepts split them; ss is read once they are
    up (wrk opens them all at its start and keeps them).
    """
    for i in range(1, cfg.balance_runs + 1):
        r = run_wrk(cfg, srv, p, app, "get-ka", cfg.balance_duration, True,
                    sample_at=cfg.balance_duration * 0.4)
        if "error" in r:
            rows.add("balance", srv.name, app, "get-ka", i, error=r["error"])
            return
        sample = r.pop("ss", {})
        workers = tree(p.pid)[1:] or [p.pid]
        counts = [sample.get(x, 0) for x in workers]
        queued = sample.get(0, 0)
        extra = sum(v for k, v in sample.items() if k and k not in workers)
        # shares of every established connection, accepted or not: a worker
        # that leaves 48 of 50 in the queue does not hold 50 %
        total = sum(counts) + queued + extra
        share = min(counts) / total if total else 0.0
        rows.add("balance", srv.name, app, "get-ka", i,
                 split="/".join(str(c) for c in counts), queued=queued,
                 other=extra, min_share="%.3f" % share, closes=0,
                 worker_cpu_s=r["worker_cpu_s"], rps=r["rps"])
        log("%-16s balance #%d: %s%s (min share %.0f%%)"
            % (srv.name, i, "/".join(map(str, counts)),
               " +%d not accepted" % queued if queued else "", 100 * share))
        time.sleep(min(cfg.pause, 0.3))


# ---- standalone measurements ------------------------------------------------

def python_start(cfg, rows):
    """Wall ms of a bare `python3 -c pass`, the start-up target's yardstick."""
    env = server_env()
    for i in range(1, cfg.pystart_runs + 1):
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], env=env, cwd=APPDIR, timeout=30)
        rows.add("pystart", "python3", rep=i,
                 ms="%.1f" % ((time.perf_counter() - t0) * 1000))


def embed_python(cfg):
    """bench/pyembed.c linked to libpython3.11.so (pkg-config python3-embed),
    as prefork-wsgi's Python module is; None (and a fail row) when it cannot
    be built."""
    exe = os.path.join(cfg.out, "pyembed")
    src = os.path.join(HERE, "pyembed.c")
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs",
                                "python3-embed"], check=True, text=True,
                               capture_output=True).stdout.split()
        subprocess.run(["cc", "-O2", "-o", exe, src] + flags, check=True,
                       capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        return str(getattr(e, "stderr", "") or e).strip()[-300:] or "failed"
    return exe


def app_costs(cfg, rows, apps):
    """The apps' own cost on both interpreters: Debian's /usr/bin/python3
    (the row "direct") and libpython3.11.so, the build prefork-wsgi embeds
    (the row "embedded"; bench/pyembed.c).  Debian's python3 has the
    interpreter linked in, not PIC: it runs the same Python code in fewer
    instructions than the shared library every embedding server uses."""
    interps = [("direct", PY)]
    exe = embed_python(cfg)
    if os.path.isabs(exe):
        interps.append(("embedded", exe))
    else:
        rows.add("fail", "embedded", reason="bench/pyembed.c: " + exe)
    copy = ["--copy"]
    for name, interp in interps:
        try:
            out = subprocess.run(
                [interp, os.path.join(HERE, "appcost.py")] + copy
                + ["-t", str(cfg.appcost_s)] + apps, env=server_env(),
                cwd=APPDIR, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            rows.add("fail", name, "appcost", reason="timed out")
            continue
        copy = []                       # the copy yardstick once, on PY
        for line in out.stdout.splitlines():
            if line.startswith("COPY64K "):
                rows.add("copy64k", name, us=line.split("=", 1)[1])
            if line.startswith("APPCOST "):
                kv = dict(x.split("=", 1) for x in line.split()[1:])
                rows.add("appcost", name, kv.pop("module"), **kv)
        if out.returncode:
            rows.add("fail", name, "appcost",
                     reason=out.stderr.strip()[-300:])


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def machine_info(cfg, rows):
    cpu = re.search(r"^model name\s*:\s*(.*)$", read("/proc/cpuinfo") or "",
                    re.M)
    mem = meminfo_kb()
    rows.add("info", date=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
             kernel=os.uname().release, cores=os.cpu_count(),
             cpu=cpu.group(1) if cpu else "?", mem_gib="%.1f" % (mem / 2**20),
             loadavg=" ".join((read("/proc/loadavg") or "").split()[:3]),
             quick=int(cfg.quick), duration_s=cfg.duration,
             repeats=cfg.repeats, conns=cfg.conns, workers=cfg.workers,
             balance_runs=cfg.balance_runs,
             pfw=os.path.relpath(cfg.pfw_src, TOP) if cfg.have_pfw
             else "not built")
    rows.add("info", python=version([PY, "--version"]),
             gunicorn=version(["/usr/bin/gunicorn", "--version"]),
             uwsgi=version(["/usr/bin/uwsgi", "--version"]),
             nginx=version(["/usr/sbin/nginx", "-v"]),
             wrk=version(["/usr/bin/wrk", "-v"]).split(" Copyright")[0])


def pin_pfw(cfg, rows):
    """Run a copy of the binary, so a rebuild during the run changes nothing.

    Other work may rebuild build/prefork-wsgi while the bench runs (it
    takes minutes); every pfw row must come from the same build.
    """
    with open(cfg.pfw, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()[:16]
    pinned = os.path.join(cfg.out, "prefork-wsgi.under-test")
    shutil.copy2(cfg.pfw, pinned)
    # the Python module the binary loads from its own directory (mk/cli.mk)
    module = os.path.join(os.path.dirname(os.path.abspath(cfg.pfw)),
                          "prefork-wsgi-python.so")
    if os.path.exists(module):
        shutil.copy2(module, cfg.out)
    head = subprocess.run(["git", "-C", TOP, "log", "-1", "--format=%h %cI"],
                          capture_output=True, text=True, timeout=10)
    rows.add("info", pfw_sha256=digest,
             pfw_mtime=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(
                 os.stat(cfg.pfw).st_mtime)),
             git_head=head.stdout.strip() or "?")
    cfg.pfw = pinned


def meminfo_kb():
    m = re.search(r"^MemTotal:\s+(\d+)", read("/proc/meminfo") or "", re.M)
    return int(m.group(1)) if m else 0


# ---- plan -------------------------------------------------------------------

def plan(cfg, servers):
    """[(server, app, loads)] in run order: every app of a server together."""
    out = []
    for srv in servers:
        for app in cfg.apps:
            if not srv.serves(app):
                continue
            loads = [l for l in LOADS[app] if cfg.load_ok(srv, app, l)]
            if loads:
                out.append((srv, app, loads))
    return out


class Config:
    def __init__(self, a):
        self.quick = a.quick
        q = a.quick
        self.duration = a.duration or (2 if q else 5)
        self.repeats = a.repeats or (1 if q else 3)
        self.warmup = 1 if q else 2
        self.pause = 0.3 if q else 1.0
        self.settle = 0.5 if q else 1.5
        self.startup_runs = 3 if q else 5
        self.startup_timeout = 30
        self.balance_runs = 5 if a.balance_runs is None else a.balance_runs
        self.balance_duration = 1 if q else 2
        self.pystart_runs = 5 if q else 10
        self.appcost_s = 0.5 if q else 1.0
        self.conns = 50
        self.workers = a.workers
        self.port_base = a.port_base
        self.pfw = os.path.abspath(a.pfw)
        self.pfw_src = self.pfw
        self.have_pfw = os.access(self.pfw, os.X_OK)
        self.out = a.out
        self.max_s = a.max_seconds or (300 if q else 7200)
        if a.apps:
            self.apps = [x for x in a.apps.split() if x]
        else:
            self.apps = ["hello", "flask_hello"] if q else list(ALL_APPS)
        bad = [x for x in self.apps if x not in LOADS]
        if bad:
            raise SystemExit("bench: unknown app(s): %s (known: %s)"
                             % (" ".join(bad), " ".join(ALL_APPS)))
        default_peers = PEERS[:4] if q else PEERS
        self.servers = a.servers.split() if a.servers else None
        self.peers = default_peers

    def want(self, srv):
        if self.servers is not None:
            return srv.name in self.servers or (
                srv.pfw_kind and "pfw" in self.servers)
        return srv.pfw_kind is not None or srv.name in self.peers

    def load_ok(self, srv, app, load):
        """QUICK keeps only what a target needs."""
        if not self.quick:
            return True
        if app == "hello":
            # close mode: the sync target (pfw-sync vs gunicorn-sync)
            return load == "get-ka" or srv.name in ("gunicorn-sync",
                                                    "pfw-sync")
        if app == "flask_hello":
            return load == "get-ka" and (srv.pfw_kind
                                         or srv.name == "gunicorn-gthread")
        return load == LOADS[app][0]


def main(argv):
    ap = argparse.ArgumentParser(
        description="prefork-wsgi side by side with its peers")
    ap.add_argument("--quick", action="store_true",
                    help="short mode (< 2 minutes): hello + flask_hello")
    ap.add_argument("--duration", type=int, default=0,
                    help="seconds per wrk run (5; quick 2)")
    ap.add_argument("--repeats", type=int, default=0,
                    help="wrk runs per load (3; quick 1)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--balance-runs", type=int, default=None,
                    help="connection-balance samples per server (5)")
    ap.add_argument("--servers", default="",
                    help="subset, e.g. 'nginx pfw-ev gunicorn-gthread';"
                    " 'pfw' means every prefork-wsgi kind")
    ap.add_argument("--apps", default="", help="subset of: "
                    + " ".join(ALL_APPS))
    ap.add_argument("--pfw", default=os.path.join(TOP, "build",
                                                  "prefork-wsgi"))
    ap.add_argument("--port-base", type=int, default=18700)
    ap.add_argument("--out", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--max-seconds", type=int, default=0,
                    help="stop starting new servers after this (300/7200)")
    a = ap.parse_args(argv[1:])
    cfg = Config(a)

    for tool in ("/usr/bin/wrk", "/usr/bin/gunicorn", "/usr/bin/uwsgi",
                 "/usr/sbin/nginx", "ss"):
        if not shutil.which(tool):
            raise SystemExit("bench: %s not found; run make bench-deps" % tool)

    os.makedirs(cfg.out, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logdir = os.path.join(cfg.out, "logs-" + stamp)
    os.makedirs(logdir, exist_ok=True)
    tsv = os.path.join(cfg.out, "bench-%s.tsv" % stamp)
    rows = Rows(tsv)
    t_start = time.monotonic()

    atexit.register(reap_all)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    if cfg.have_pfw:
        pin_pfw(cfg, rows)
    servers = [s for s in make_servers(cfg) if cfg.want(s)]
    if not cfg.have_pfw:
        servers = [s for s in servers if not s.pfw_kind]
        print("prefork-wsgi not built yet: peers only (%s is missing)"
              % os.path.relpath(cfg.pfw, TOP), flush=True)
    machine_info(cfg, rows)
    python_start(cfg, rows)
    app_costs(cfg, rows, [x for x in cfg.apps if x != "big16k"] if not
              cfg.quick else ["flask_hello"])
    for srv, app, loads in plan(cfg, servers):
        if time.monotonic() - t_start > cfg.max_s:
            rows.add("fail", srv.name, app,
                     reason="skipped: over --max-seconds=%d" % cfg.max_s)
            continue
        log("%s/%s: %s" % (srv.name, app, " ".join(loads)))
        bench_server_app(cfg, rows, srv, app, loads, logdir)
    rows.add("info", wall_s="%.0f" % (time.monotonic() - t_start),
             loadavg_end=" ".join((read("/proc/loadavg") or "").split()[:3]))
    rows.fh.close()

    latest = os.path.join(cfg.out, "latest.tsv")
    shutil.copyfile(tsv, latest)
    rep = subprocess.run([PY, os.path.join(HERE, "report.py"), tsv],
                         capture_output=True, text=True, timeout=60)
    txt = os.path.join(cfg.out, "bench-%s.txt" % stamp)
    with open(txt, "w") as fh:
        fh.write(rep.stdout)
    shutil.copyfile(txt, os.path.join(cfg.out, "latest.txt"))
    sys.stdout.write(rep.stdout)
    if rep.returncode:
        sys.stderr.write(rep.stderr)
        return 1
    print("\nraw rows: %s\ntable:    %s\nlogs:     %s"
          % (os.path.relpath(tsv, TOP), os.path.relpath(txt, TOP),
             os.path.relpath(logdir, TOP)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
