"""Per-request instruction counts and syscalls of the hot path (issue 7).

usage: /usr/bin/python3 bench/profile.py [-n N] [--cases LIST] [--pfw BIN]
                                         [--out DIR] [--top K] [--no-strace]

Wall-clock figures mean little on a shared machine; instruction counts do
not move with the load.  For each case this runs the server (one worker,
`-k ev -w 1`) or the app loop under `valgrind --tool=callgrind` twice,
with a warm-up of W keep-alive requests on one connection and then 0 or N
more, and divides the difference in instructions by N: start-up, import,
the warm-up (CPython's specialisation, first-use allocations, the accept)
and the exit cancel.  Callgrind sees no kernel work, so a second run of the
plain server under `strace -f` counts the syscalls per request, with their
sizes.

Cases (default: all):
  hello       prefork-wsgi -k ev, bench/apps/hello.py, GET keep-alive
  flask       the same with bench/apps/flask_hello.py
  echo        bench/apps/echo.py, 64 KiB POST keep-alive; also a DHAT
              copy profile (every memcpy/memmove with its bytes and caller)
  nginx       nginx `return 200` (master_process off, one process)
  nginx-echo  nginx /echo: reads and discards the 64 KiB body
  hello-app   hello's own cost: a direct app(environ, start_response) loop
  flask-app   Flask's own cost, the same loop
  null-app    that loop with a do-nothing app (its own frame)
  *-app-so    the same loops run by a python3 linked against
              libpython3.11.so (bench/pyembed.c), the library prefork-wsgi
              embeds; Debian's /usr/bin/python3 is a faster build

Callgrind files stay in --out (default build/profile/STAMP/) for
callgrind_annotate; the summary goes to stdout and profile.json there.
Not part of `make check`.  Needs valgrind and strace (Debian packages).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPDIR = os.path.join(TOP, "bench", "apps")
NGINX_CONF = os.path.join(TOP, "bench", "nginx", "nginx.conf.in")
DIRECT = os.path.join(TOP, "bench", "profile_direct.py")
PY = "/usr/bin/python3"
HOST = "127.0.0.1"
POST_BYTES = 65536

CASES = {
    "hello": ("pfw", "hello", "GET", "/"),
    "flask": ("pfw", "flask_hello", "GET", "/"),
    "echo": ("pfw", "echo", "POST", "/"),
    "nginx": ("nginx", None, "GET", "/"),
    "nginx-echo": ("nginx", None, "POST", "/echo"),
    "hello-app": ("direct", "hello", None, None),
    "flask-app": ("direct", "flask_hello", None, None),
    "null-app": ("direct", "null", None, None),
    "flask-app-so": ("direct-so", "flask_hello", None, None),
    "hello-app-so": ("direct-so", "hello", None, None),
    "null-app-so": ("direct-so", "null", None, None),
}
ORDER = ["hello", "nginx", "flask", "flask-app", "flask-app-so", "null-app",
         "null-app-so", "hello-app", "hello-app-so", "echo", "nginx-echo"]
EMBED_SRC = os.path.join(TOP, "bench", "pyembed.c")

COPY_FN = re.compile(r"mem(cpy|move)|mempcpy|memcpy")


# ---- load --------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request_bytes(method, path, port):
    host = "Host: %s:%d\r\n" % (HOST, port)
    if method == "GET":
        return ("GET %s HTTP/1.1\r\n%s\r\n" % (path, host)).encode()
    head = ("POST %s HTTP/1.1\r\n%sContent-Type: application/octet-stream"
            "\r\nContent-Length: %d\r\n\r\n" % (path, host, POST_BYTES))
    return head.encode() + b"a" * POST_BYTES


class Client:
    """One keep-alive connection sending requests one after the other."""

    def __init__(self, port, req):
        self.sock = socket.create_connection((HOST, port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.req = req
        self.buf = b""

    def one(self):
        self.sock.sendall(self.req)
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError("bad response: %r" % head[:200])
        m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if m is None:
            raise RuntimeError("no Content-Length: %r" % head[:200])
        n = int(m.group(1))
        while len(rest) < n:
            self.buf = rest
            self.fill()
            rest = self.buf
        self.buf = rest[n:]

    def fill(self):
        b = self.sock.recv(262144)
        if not b:
            raise RuntimeError("connection closed by the server")
        self.buf += b

    def run(self, n):
        for _ in range(n):
            self.one()

    def close(self):
        self.sock.close()


# ---- servers -----------------------------------------------------------

def server_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = APPDIR
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def nginx_cmd(out, port):
    prefix = os.path.join(out, "nginx-%d" % port)
    os.makedirs(os.path.join(prefix, "html"), exist_ok=True)
    os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
    with open(NGINX_CONF) as fh:
        conf = fh.read()
    conf = conf.replace("@PORT@", str(port)).replace("@WORKERS@", "1")
    # nginx closes a keep-alive connection after 1000 requests by default;
    # one connection for the whole run, as prefork-wsgi has
    conf = conf.replace("http {", "http {\n    keepalive_requests 1000000;",
                        1)
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as fh:
        fh.write(conf)
    return ["/usr/sbin/nginx", "-p", prefix + "/", "-c", path,
            "-e", os.path.join(prefix, "error.log"),
            "-g", "master_process off;"]


def server_cmd(cfg, case, port):
    kind, app, _, _ = CASES[case]
    if kind == "nginx":
        return nginx_cmd(cfg.out, port)
    cmd = [cfg.pfw, "-w", "1", "-k", "ev", "-b", "%s:%d" % (HOST, port)]
    if cfg.access_log:
        cmd += ["--access-logfile", "-"]
    return cmd + [app + ":app"]


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as fh:
                st = fh.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == pid:
            kids.append(int(d))
    return kids


def wait_port(port, proc, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited (%d)" % proc.returncode)
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer on %d" % port)


def start_server(cfg, case, wrapper, tag):
    port = free_port()
    cmd = wrapper + server_cmd(cfg, case, port)
    log = open(os.path.join(cfg.out, "%s-%s.log" % (case, tag)), "ab")
    proc = subprocess.Popen(cmd, cwd=APPDIR, env=server_env(),
                            stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log, start_new_session=True)
    log.close()
    wait_port(port, proc, 300)
    return proc, port


def stop_server(proc):
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def worker_pid(case, proc):
    if CASES[case][0] == "nginx":
        return proc.pid
    end = time.monotonic() + 60
    while time.monotonic() < end:
        kids = children(proc.pid)
        if kids:
            return kids[0]
        time.sleep(0.1)
    raise RuntimeError("no worker under %d" % proc.pid)


# ---- callgrind ---------------------------------------------------------

def callgrind_run(cfg, case, n, tag, tool="callgrind"):
    """Run the case with n measured requests; the worker's output file."""
    kind, app, method, path = CASES[case]
    pat = os.path.join(cfg.out, "%s-%s-%s.%%p" % (tool, case, tag))
    if tool == "callgrind":
        vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + pat]
        if kind == "pfw":
            # only the loop: boot and exit stay out of the counts
            vg += ["--collect-atstart=no", "--toggle-collect=ev_run"]
    else:
        vg = ["valgrind", "--tool=dhat", "--mode=copy",
              "--dhat-out-file=" + pat]
    if kind in ("direct", "direct-so"):
        py = PY if kind == "direct" else embed_python(cfg)
        log = os.path.join(cfg.out, "%s-%s.log" % (case, tag))
        with open(log, "ab") as fh:
            p = subprocess.run(vg + [py, DIRECT, app, str(n)], cwd=APPDIR,
                               env=server_env(), stdout=fh, stderr=fh)
        if p.returncode != 0:
            raise RuntimeError("%s failed: see %s" % (case, log))
        return pat.replace("%p", str(p_pid_of(pat)))
    proc, port = start_server(cfg, case, vg, tag)
    try:
        wpid = worker_pid(case, proc)
        cl = Client(port, request_bytes(method, path, port))
        cl.run(cfg.warmup + n)
        cl.close()
        time.sleep(0.5)              # let the close reach the worker
    finally:
        stop_server(proc)
    f = pat.replace("%p", str(wpid))
    end = time.monotonic() + 30
    while not os.path.exists(f) and time.monotonic() < end:
        time.sleep(0.2)
    return f


def embed_python(cfg):
    """bench/pyembed.c built against libpython (python3-embed), once."""
    exe = os.path.join(cfg.out, "pyembed")
    if not os.path.exists(exe):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs",
                                "python3-embed"], check=True, text=True,
                               stdout=subprocess.PIPE).stdout.split()
        subprocess.run(["cc", "-O2", "-o", exe, EMBED_SRC] + flags,
                       check=True)
    return exe


def p_pid_of(pat):
    """The one file a direct run left (its pid is not known up front)."""
    head = os.path.basename(pat).replace("%p", "")
    hits = [f for f in os.listdir(os.path.dirname(pat))
            if f.startswith(head) and f[len(head):].isdigit()]
    if len(hits) != 1:
        raise RuntimeError("expected one %s* file, found %r" % (head, hits))
    return hits[0][len(head):]


def parse_callgrind(path):
    """Self cost per (object, function), and per call edge (caller,
    callee): [calls, inclusive cost]; the total."""
    names = {"ob": {}, "fn": {}}
    selfc, edges = {}, {}
    ob = cob = fn = cfn = None
    total = 0
    pending = None

    def name(kind, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?$", rest)
        if m is None:
            return rest
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), rest)

    with open(path, errors="replace") as fh:
        for line in fh:
            c0 = line[:1]
            if c0.isdigit() or c0 in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending is not None:
                    e = edges.setdefault((fn, pending), [0, 0])
                    e[0] += calls
                    e[1] += cost
                    pending = None
                else:
                    selfc[fn] = selfc.get(fn, 0) + cost
                continue
            if line.startswith("fn="):
                fn = (ob, name("fn", line[3:].rstrip("\n")))
                cob = None
            elif line.startswith("ob="):
                ob = name("ob", line[3:].rstrip("\n"))
            elif line.startswith("cob="):
                cob = name("ob", line[4:].rstrip("\n"))
            elif line.startswith("cfn="):
                cfn = name("fn", line[4:].rstrip("\n"))
            elif line.startswith("calls="):
                calls = int(line[6:].split()[0])
                pending = (cob if cob is not None else ob, cfn)
                cob = None
            elif line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return {"self": selfc, "edges": edges, "total": total}


def category(ob):
    b = os.path.basename(ob or "")
    if "prefork" in b or "pfw" in b:
        return "prefork-wsgi"        # the binary and its Python module
    if "python" in b:
        return "python"
    if b.startswith("libev"):
        return "libev"
    if b.startswith(("libc.", "libc-", "ld-linux", "libm.", "libpthread")):
        return "libc"
    if "nginx" in b:
        return "nginx"
    if "vgpreload" in b or "valgrind" in b:
        return "valgrind"
    return b or "?"


def diff(a, b, n):
    """Per-request difference of two parsed profiles (b has n more)."""
    out = {"total": (b["total"] - a["total"]) / n}
    for k in ("self", "edges"):
        d = {}
        for key in set(a[k]) | set(b[k]):
            va, vb = a[k].get(key), b[k].get(key)
            if k == "self":
                d[key] = ((vb or 0) - (va or 0)) / n
            else:
                va, vb = va or [0, 0], vb or [0, 0]
                d[key] = [(vb[0] - va[0]) / n, (vb[1] - va[1]) / n]
        out[k] = d
    return out


def inclusive(p):
    inc = dict(p["self"])
    for (caller, _), (_, cost) in p["edges"].items():
        inc[caller] = inc.get(caller, 0) + cost
    return inc


def summarise_cg(per, top):
    cats = {}
    for (ob, _), v in per["self"].items():
        c = category(ob)
        cats[c] = cats.get(c, 0) + v
    inc = inclusive(per)
    ours = sorted(((v, fn) for (ob, fn), v in inc.items()
                   if category(ob) == "prefork-wsgi" and v >= 50),
                  reverse=True)[:top]
    selfs = sorted(((v, category(ob), fn) for (ob, fn), v
                    in per["self"].items() if v >= 20), reverse=True)[:top]
    # what our code pays in the libraries it calls, by callee
    boundary = {}
    for ((ob, fn), (cob, cfn)), (calls, cost) in per["edges"].items():
        if (category(ob) == "prefork-wsgi"
                and category(cob) != "prefork-wsgi" and cost >= 20):
            k = "%s -> %s" % (fn, cfn)
            boundary[k] = [calls, cost]
    copies = {}
    for ((ob, fn), (cob, cfn)), (calls, cost) in per["edges"].items():
        if COPY_FN.search(cfn or "") and not COPY_FN.search(fn or "") \
                and calls > 0.001:
            k = "%s -> %s" % (fn, cfn)
            copies[k] = [calls, cost]
    return {
        "total": per["total"],
        "by_object": dict(sorted(cats.items(), key=lambda x: -x[1])),
        "ours_inclusive": [[fn, v] for v, fn in ours],
        "top_self": [[fn, c, v] for v, c, fn in selfs],
        "boundary": dict(sorted(boundary.items(), key=lambda x: -x[1][1])
                         [:top]),
        "copies": dict(sorted(copies.items(), key=lambda x: -x[1][1])),
    }


# ---- dhat copy profile ---------------------------------------------------

def parse_dhat(path):
    with open(path) as fh:
        d = json.load(fh)
    ftbl = d["ftbl"]
    out = {}
    for pp in d["pps"]:
        frames = [ftbl[i] for i in pp["fs"]]
        # the first frame past the copy routine itself names the caller
        caller = next((f for f in frames[1:]
                       if not COPY_FN.search(f.split(":", 1)[-1])),
                      frames[-1] if frames else "?")
        caller = re.sub(r"^0x[0-9A-F]+: ", "", caller)
        e = out.setdefault(caller, [0, 0])
        e[0] += pp["tbk"]
        e[1] += pp["tb"]
    return out


def dhat_diff(a, b, n):
    res = {}
    for k in set(a) | set(b):
        va, vb = a.get(k, [0, 0]), b.get(k, [0, 0])
        calls, nbytes = (vb[0] - va[0]) / n, (vb[1] - va[1]) / n
        if nbytes >= 64 or calls >= 0.5:
            res[k] = [calls, nbytes]
    return dict(sorted(res.items(), key=lambda x: -x[1][1]))


# ---- strace ----------------------------------------------------------------

SYSCALL = re.compile(r"^(?:\[pid\s+\d+\] |\d+ +)?(\w+)\((.*)\) += (-?\d+)")


def strace_run(cfg, case, n):
    kind, app, method, path = CASES[case]
    proc, port = start_server(cfg, case, [], "strace")
    log = os.path.join(cfg.out, "strace-%s.log" % case)
    try:
        wpid = worker_pid(case, proc)
        cl = Client(port, request_bytes(method, path, port))
        cl.run(cfg.warmup)
        st = subprocess.Popen(["strace", "-f", "-s", "0", "-o", log,
                               "-p", str(wpid)], stderr=subprocess.PIPE,
                              text=True)
        while True:
            line = st.stderr.readline()
            if not line or "attached" in line:
                break
        cl.run(n)
        time.sleep(0.3)
        st.send_signal(signal.SIGINT)
        st.wait(30)
        cl.close()
    finally:
        stop_server(proc)
    counts, sizes = {}, {}
    lines = []
    with open(log) as fh:
        for line in fh:
            m = SYSCALL.match(line)
            if m is None:
                continue
            name, ret = m.group(1), int(m.group(3))
            counts[name] = counts.get(name, 0) + 1
            if name in ("read", "recvfrom", "recvmsg", "readv", "write",
                        "writev", "sendto", "sendmsg", "sendfile"):
                sizes.setdefault(name, {})
                sizes[name][ret] = sizes[name].get(ret, 0) + 1
            lines.append(line.rstrip("\n"))
    return {
        "per_request": {k: v / n for k, v in sorted(counts.items())},
        "total_per_request": sum(counts.values()) / n,
        "sizes": {k: {str(s): c / n for s, c in sorted(v.items())}
                  for k, v in sizes.items()},
        "sample": lines[len(lines) // 2:len(lines) // 2 + 12],
    }


# ---- report ----------------------------------------------------------------

def fmt(v):
    return "{:,.0f}".format(v)


def show_case(case, r):
    print("\n== %s: %s instructions/request" % (case, fmt(r["total"])))
    print("   by object (self):", ", ".join(
        "%s %s" % (k, fmt(v)) for k, v in r["by_object"].items()
        if abs(v) >= 1))
    if r["ours_inclusive"]:
        print("   prefork-wsgi functions, inclusive:")
        for fn, v in r["ours_inclusive"]:
            print("     %10s  %s" % (fmt(v), fn))
    print("   top self cost:")
    for fn, c, v in r["top_self"]:
        print("     %10s  %-12s %s" % (fmt(v), c, fn))
    if r["boundary"]:
        print("   prefork-wsgi -> libraries (calls/req, inclusive Ir/req):")
        for k, (calls, cost) in r["boundary"].items():
            print("     %10s  %5.2f  %s" % (fmt(cost), calls, k))
    if r["copies"]:
        print("   memcpy/memmove call sites (calls/req, Ir/req):")
        for k, (calls, cost) in r["copies"].items():
            if cost >= 100:
                print("     %10s  %5.2f  %s" % (fmt(cost), calls, k))
    if "dhat" in r:
        print("   DHAT copy profile (copies/req, bytes/req, caller):")
        for k, (calls, nbytes) in r["dhat"].items():
            print("     %10s  %5.2f  %s" % (fmt(nbytes), calls, k))
    if "strace" in r:
        s = r["strace"]
        print("   syscalls/request: %.2f  (%s)" % (
            s["total_per_request"], ", ".join(
                "%s %.2f" % kv for kv in s["per_request"].items()
                if kv[1] >= 0.01)))
        for name, h in s["sizes"].items():
            print("     %s sizes/request: %s" % (name, ", ".join(
                "%s B x%.2f" % kv for kv in h.items() if kv[1] >= 0.01)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000,
                    help="measured requests or calls (default 1000)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--cases", default=" ".join(ORDER))
    ap.add_argument("--pfw", default=os.path.join(TOP, "build",
                                                  "prefork-wsgi"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--access-log", action="store_true",
                    help="run prefork-wsgi with --access-logfile -")
    cfg = ap.parse_args()
    cases = cfg.cases.replace(",", " ").split()
    for c in cases:
        if c not in CASES:
            ap.error("unknown case %s" % c)
    for tool in ("valgrind", "strace"):
        if shutil.which(tool) is None:
            sys.exit("profile: %s not found (apt-get install %s)"
                     % (tool, tool))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    cfg.out = os.path.abspath(cfg.out or os.path.join(TOP, "build",
                                                      "profile", stamp))
    os.makedirs(cfg.out, exist_ok=True)
    if any(CASES[c][0] == "pfw" for c in cases):
        # a copy, with the Python module the binary loads from its own
        # directory when there is one: a rebuild mid-run changes nothing
        pin = os.path.join(cfg.out, "pin")
        os.makedirs(pin, exist_ok=True)
        src = os.path.dirname(os.path.abspath(cfg.pfw))
        for f in os.listdir(src):
            if f.startswith("prefork-wsgi") and f.endswith(".so"):
                shutil.copy2(os.path.join(src, f), pin)
        shutil.copy2(cfg.pfw, os.path.join(pin, "prefork-wsgi"))
        cfg.pfw = os.path.join(pin, "prefork-wsgi")
    results = {}
    for case in cases:
        print("profile: %s ..." % case, file=sys.stderr, flush=True)
        a = parse_callgrind(callgrind_run(cfg, case, 0, "short"))
        b = parse_callgrind(callgrind_run(cfg, case, cfg.n, "long"))
        r = summarise_cg(diff(a, b, cfg.n), cfg.top)
        if case == "echo":
            da = parse_dhat(callgrind_run(cfg, case, 0, "short", "dhat"))
            db = parse_dhat(callgrind_run(cfg, case, cfg.n, "long", "dhat"))
            r["dhat"] = dhat_diff(da, db, cfg.n)
        if CASES[case][0] in ("pfw", "nginx") and not cfg.no_strace:
            r["strace"] = strace_run(cfg, case, cfg.n)
        results[case] = r
        show_case(case, r)
        sys.stdout.flush()
    print("\n== summary (instructions/request, callgrind; %d requests "
          "after %d of warm-up)" % (cfg.n, cfg.warmup))
    for case in cases:
        r = results[case]
        sc = r.get("strace", {}).get("total_per_request")
        print("   %-11s %10s%s" % (case, fmt(r["total"]),
                                   "   syscalls %.2f" % sc if sc else ""))
    tot = {c: results[c]["total"] for c in cases}
    if "hello" in tot and "nginx" in tot:
        print("   hello / nginx: %.2fx (target <= 1.1x in CPU)"
              % (tot["hello"] / tot["nginx"]))
    if "flask" in tot and "flask-app" in tot:
        print("   flask - flask-app: %s instructions over the app's own "
              "loop" % fmt(tot["flask"] - tot["flask-app"]))
    if "flask" in tot and "flask-app-so" in tot:
        print("   flask - flask-app-so: %s instructions over the same loop "
              "on libpython3.11.so" % fmt(tot["flask"] - tot["flask-app-so"]))
    for suf in ("", "-so"):
        if "flask-app" + suf in tot and "null-app" + suf in tot:
            print("   flask-app%s - null-app%s: %s (Flask alone, the loop's "
                  "frame out)" % (suf, suf, fmt(tot["flask-app" + suf]
                                                - tot["null-app" + suf])))
    with open(os.path.join(cfg.out, "profile.json"), "w") as fh:
        json.dump({"n": cfg.n, "warmup": cfg.warmup, "results": results},
                  fh, indent=1, default=str)
    print("\nfiles: %s" % os.path.relpath(cfg.out, os.getcwd()))


if __name__ == "__main__":
    main()
