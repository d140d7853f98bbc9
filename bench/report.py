#!/usr/bin/python3
"""bench/report.py - the table of a bench/run.py run, with ratios and targets.

usage: /usr/bin/python3 bench/report.py build/bench/latest.tsv

Prints, from the raw rows only (so an old run can be re-rendered):
  1. one table, a row per (app, mode, server): req/s (median of the repeats
     and their spread), p50/p99, server CPU per request, wrk's and everything
     else's CPU, RSS of the master and of each worker, start-up to first 200;
  2. connection balance per server (hello, keep-alive);
  3. each prefork-wsgi kind's figures divided by each peer's;
  4. the targets of issue 7 with the measured figure and PASS/FAIL, or
     "n/a" and the threshold the peers set when prefork-wsgi is absent.
"""
import statistics
import sys
from collections import OrderedDict, defaultdict

APPS = ["hello", "big16k", "echo", "flask_hello", "falcon_hello"]
MODES = ["get-ka", "get-close", "post-ka"]
MODE_TEXT = {"get-ka": "GET keep-alive", "get-close": "GET close",
             "post-ka": "POST 64K ka"}
ORDER = ["nginx", "pfw-sync", "pfw-ev", "pfw-gthread", "gunicorn-sync",
         "gunicorn-gthread", "uwsgi", "uwsgi-http11"]
PFW = ["pfw-sync", "pfw-ev", "pfw-gthread"]
NAN = float("nan")


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return NAN


def ok(x):
    return x == x and x is not None


def med(xs):
    xs = [x for x in xs if ok(x)]
    return statistics.median(xs) if xs else NAN


def fmt(x, spec="%.1f", dash="-"):
    return spec % x if ok(x) else dash


# The interpreters an app's own cost is measured on (bench/run.py
# app_costs): row name, label.
INTERPS = [
    ("direct", "/usr/bin/python3"),
    ("embedded", "libpython3.11.so"),
]


class Data:
    def __init__(self, path):
        self.runs = defaultdict(list)      # (server, app, mode) -> [row]
        self.starts = defaultdict(list)    # (server, app) -> [ms]
        self.start_kv = defaultdict(list)  # (server, app) -> [row]
        self.copy64k = NAN
        self.mem = defaultdict(dict)       # (server, app) -> {idle|after: row}
        self.balance = defaultdict(list)   # server -> [row]
        self.appcost = defaultdict(dict)   # interpreter -> module -> row
        self.pystart = []
        self.info = OrderedDict()
        self.fails = []
        self.ka = {}                       # (server, app) -> keeps alive
        self.servers = []
        with open(path) as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                self.add(line.rstrip("\n").split("\t"))

    def add(self, f):
        typ, server, app, mode, rep = (f + ["-"] * 5)[:5]
        kv = dict(x.split("=", 1) for x in f[5:] if "=" in x)
        if server not in ("-", "python3", "direct", "embedded",
                          "appcost") \
                and server not in self.servers:
            self.servers.append(server)
        if typ == "run":
            self.runs[(server, app, mode)].append(kv)
        elif typ == "start":
            self.starts[(server, app)].append(num(kv.get("ms")))
            self.start_kv[(server, app)].append(kv)
        elif typ == "mem":
            self.mem[(server, app)][mode] = kv
        elif typ == "balance":
            self.balance[server].append(kv)
        elif typ == "appcost":
            self.appcost[server][app] = kv
        elif typ == "copy64k":
            self.copy64k = num(kv.get("us"))
        elif typ == "pystart":
            self.pystart.append(num(kv.get("ms")))
        elif typ == "info":
            self.info.update(kv)
        elif typ == "keepalive":
            self.ka[(server, app)] = kv.get("value") == "1"
        elif typ == "fail":
            self.fails.append((server, app, kv.get("reason", "?")))

    def ordered_servers(self):
        known = [s for s in ORDER if s in self.servers]
        return known + [s for s in self.servers if s not in ORDER]

    # figures of one (server, app, mode), medians over the repeats
    def fig(self, server, app, mode):
        rs = [r for r in self.runs.get((server, app, mode), [])
              if "error" not in r]
        if not rs:
            return None
        rps = [num(r["rps"]) for r in rs]
        m = med(rps)
        return {
            "rps": m, "n": len(rs), "rps_all": rps,
            "spread": (max(rps) - min(rps)) / m * 100 if m else NAN,
            "p50": med([num(r["p50_ms"]) for r in rs]),
            "p99": med([num(r["p99_ms"]) for r in rs]),
            "cpu": med([num(r["server_us_per_req"]) for r in rs]),
            "wrk": med([num(r["wrk_cpu_pct"]) for r in rs]),
            "other": med([num(r["other_cpu_pct"]) for r in rs]),
            "conn": ("ka" if mode.endswith("-ka")
                     and self.ka.get((server, app), True) else "close"),
            "flags": sorted(set(x for r in rs for x in r["flags"].split(",")
                                if x and x != "-")),
            "errors": errors(rs),
        }

    def memfig(self, server, app, which="after"):
        d = self.mem.get((server, app), {})
        kv = d.get(which) or d.get("idle")
        if not kv:
            return None
        pre = which if which in d else "idle"
        workers = [num(x) for x in kv.get(pre + "_workers_kb", "").split("/")
                   if x not in ("", "-")]
        return {"master": num(kv.get(pre + "_master_kb")) / 1024,
                "workers": [w / 1024 for w in workers],
                "total": num(kv.get(pre + "_total_kb")) / 1024,
                "pss": num(kv.get(pre + "_pss_total_kb")) / 1024}

    def start(self, server, app):
        return med(self.starts.get((server, app), []))

    def pfw_present(self):
        return [s for s in PFW if any(k[0] == s for k in self.runs)]


def errors(rs):
    tot = defaultdict(int)
    for r in rs:
        e = r.get("errors", "-")
        if e in ("-", ""):
            continue
        for part in e.split(","):
            k, _, v = part.partition(":")
            tot[k] += int(v or 0)
    return ", ".join("%s %d" % kv for kv in sorted(tot.items()))


def table(d):
    hdr = ("app", "mode", "server", "req/s", "±%", "p50 ms", "p99 ms",
           "µs/req", "wrk%", "oth%", "conn", "RSS MiB master+workers",
           "start ms", "notes")
    rows = []
    for app in APPS:
        for mode in MODES:
            group = []
            for s in d.ordered_servers():
                f = d.fig(s, app, mode)
                if not f:
                    continue
                m = d.memfig(s, app)
                mem = "-"
                if m:
                    mem = "%.1f+%s" % (m["master"], "/".join(
                        "%.1f" % w for w in m["workers"]) or "0")
                notes = []
                if "CLIENT-BOUND" in f["flags"]:
                    notes.append("client-bound")
                if "UNFAIR" in f["flags"]:
                    notes.append("UNFAIR")
                if f["errors"]:
                    notes.append("errors: " + f["errors"])
                group.append((app, MODE_TEXT[mode], s, fmt(f["rps"], "%.0f"),
                               fmt(f["spread"], "%.0f") if f["n"] > 1
                               else "-",
                               fmt(f["p50"], "%.3f"), fmt(f["p99"], "%.2f"),
                               fmt(f["cpu"]), fmt(f["wrk"], "%.0f"),
                               fmt(f["other"], "%.0f"), f["conn"],
                               mem, fmt(d.start(s, app), "%.0f"),
                               "; ".join(notes)))
            if group:
                rows.append(None)
                rows.extend(group)
    return render(hdr, rows, right={3, 4, 5, 6, 7, 8, 9, 12})


def render(hdr, rows, right=()):
    w = [len(h) for h in hdr]
    for r in rows:
        if r:
            w = [max(a, len(str(b))) for a, b in zip(w, r)]
    w[-1] = min(w[-1], 40) if len(hdr) > 8 else w[-1]

    def line(r):
        cells = []
        for i, (c, width) in enumerate(zip(r, w)):
            c = str(c)
            cells.append(c.rjust(width) if i in right else c.ljust(width))
        return "  ".join(cells).rstrip()

    out = [line(hdr)]
    sep = "  ".join("-" * x for x in w)
    for r in rows:
        out.append(sep if r is None else line(r))
    return "\n".join(out)


def memory(d):
    hdr = ("server", "app", "RSS idle MiB master+workers", "RSS after",
           "PSS after", "start-up ms: median (runs)", "CPU ms", "runq")
    rows = []
    for s in d.ordered_servers():
        for app in APPS:
            if (s, app) not in d.mem and (s, app) not in d.starts:
                continue
            mi, ma = d.memfig(s, app, "idle"), d.memfig(s, app)
            one = lambda m: "%.1f+%s" % (m["master"], "/".join(
                "%.1f" % w for w in m["workers"]) or "0") if m else "-"
            st = d.starts.get((s, app), [])
            kv = d.start_kv.get((s, app), [])
            rows.append((s, app, one(mi), one(ma),
                         fmt(ma["pss"]) if ma else "-",
                         "%s (%s)" % (fmt(med(st), "%.1f"),
                                      ", ".join("%.0f" % x for x in st)),
                         fmt(med([num(k.get("cpu_ms")) for k in kv])),
                         fmt(med([num(k.get("runq")) for k in kv]))))
    return render(hdr, rows, right={4, 6, 7})


def ratio(a, b):
    return a / b if ok(a) and ok(b) and b else NAN


def ratios(d):
    pfws = d.pfw_present()
    if not pfws:
        return "n/a: prefork-wsgi not built (peers only)"
    peers = [s for s in d.ordered_servers() if s not in PFW]
    hdr = ("app", "mode", "prefork-wsgi", "vs peer", "req/s ×", "µs/req ×",
           "p99 ×", "RSS total ×", "start ×")
    rows = []
    for app in APPS:
        for mode in MODES:
            group = []
            for k in pfws:
                fk = d.fig(k, app, mode)
                if not fk:
                    continue
                mk = d.memfig(k, app)
                for p in peers:
                    fp = d.fig(p, app, mode)
                    if not fp:
                        continue
                    mp = d.memfig(p, app)
                    group.append((
                        app, MODE_TEXT[mode], k, p,
                        fmt(ratio(fk["rps"], fp["rps"]), "%.2f"),
                        fmt(ratio(fk["cpu"], fp["cpu"]), "%.2f"),
                        fmt(ratio(fk["p99"], fp["p99"]), "%.2f"),
                        fmt(ratio(mk["total"], mp["total"]), "%.2f")
                        if mk and mp else "-",
                        fmt(ratio(d.start(k, app), d.start(p, app)),
                            "%.2f")))
            if group:
                rows.append(None)
                rows.extend(group)
    return render(hdr, rows, right={4, 5, 6, 7, 8})


def balance(d):
    lines = []
    for s in d.ordered_servers():
        bs = d.balance.get(s)
        if not bs:
            continue
        if any("error" in b for b in bs):
            lines.append("  %-16s error: %s" % (s, bs[0].get("error")))
            continue
        if bs[-1].get("closes") == "1":
            lines.append("  %-16s n/a: closes every connection" % s)
            continue
        shares = [num(b["min_share"]) for b in bs]
        lines.append("  %-16s splits %s   min share %s (worst of %d runs)"
                     % (s, "  ".join(split(b) for b in bs),
                        fmt(100 * min(shares), "%.0f%%"), len(bs)))
    return "\n".join(lines) if lines else "  (not measured)"


def split(b):
    q = b.get("queued", "0")
    return b["split"] + ("" if q in ("0", "") else "+%sq" % q)


class Targets:
    def __init__(self, d):
        self.d = d
        self.out = []
        self.have = bool(d.pfw_present())

    def add(self, status, text, figure):
        self.out.append("  [%-4s] %s\n         %s" % (status, text, figure))

    def na(self, text, figure):
        self.add("n/a", text, figure)

    def check(self, text, value, limit, figure, le=True):
        if not ok(value):
            self.na(text, figure)
            return
        good = value <= limit if le else value >= limit
        self.add("PASS" if good else "FAIL", text, figure)


def targets(d):
    t = Targets(d)
    nopfw = "prefork-wsgi not built"
    cpu = lambda s, a, m: (d.fig(s, a, m) or {}).get("cpu", NAN)
    rps = lambda s, a, m: (d.fig(s, a, m) or {}).get("rps", NAN)

    def two(name, k, peer, app, mode, factor, what="cpu", le=True):
        get = cpu if what == "cpu" else rps
        unit = "µs/req" if what == "cpu" else "req/s"
        a, b = get(k, app, mode), get(peer, app, mode)
        if not ok(b):
            t.na(name, "%s not measured" % peer)
        elif not ok(a):
            t.na(name, "%s; %s %s %s → needs %s %s %s"
                 % (nopfw if not t.have else k + " not measured", peer,
                    fmt(b, "%.1f"), unit, "≤" if le else "≥",
                    fmt(b * factor, "%.1f"), unit))
        else:
            t.check(name, a / b, factor,
                    "%s %.1f / %s %.1f %s = %.2f× (limit %s%.2f×)"
                    % (k, a, peer, b, unit, a / b, "≤" if le else "≥",
                       factor), le=le)

    two("hello keep-alive, pfw-ev: server CPU/req ≤ 1.1× nginx's",
        "pfw-ev", "nginx", "hello", "get-ka", 1.1)
    two("hello keep-alive, pfw-ev: server CPU/req ≤ 0.15× gunicorn "
        "gthread's", "pfw-ev", "gunicorn-gthread", "hello", "get-ka", 0.15)
    two("hello keep-alive, pfw-ev: req/s ≥ 5× gunicorn gthread's",
        "pfw-ev", "gunicorn-gthread", "hello", "get-ka", 5.0, what="rps",
        le=False)
    two("hello Connection: close, pfw-sync: server CPU/req ≤ 0.35× "
        "gunicorn sync's", "pfw-sync", "gunicorn-sync", "hello",
        "get-close", 0.35)

    # Flask: server CPU per request minus the app's own cost, against the
    # app on each interpreter: Debian's /usr/bin/python3 (a separate,
    # non-PIC build) and libpython3.11.so, the build the server embeds
    name = ("Flask keep-alive: server CPU/req within 2 µs of the app's "
            "own cost")
    for interp, label in INTERPS:
        ac = num(d.appcost.get(interp, {}).get("flask_hello", {})
                 .get("cpu_us_per_call"))
        for k in ["pfw-ev", "pfw-gthread"]:
            c = cpu(k, "flask_hello", "get-ka")
            what = "%s (%s), app on %s" % (name, k, label)
            if not ok(ac):
                t.na(what, "app cost on %s not measured" % label)
            elif not ok(c):
                t.na(what, "%s; app alone %.1f µs/call → needs "
                     "≤ %.1f µs/req" % (nopfw if not t.have else k +
                                        " not measured", ac, ac + 2))
            else:
                t.check(what, c - ac, 2.0,
                        "%s %.1f µs/req − app on %s %.1f µs/call = %.1f µs "
                        "(limit 2.0)" % (k, c, label, ac, c - ac))

    # echo: a timing cannot count copies; show what the CPU figures say
    name = "64 KiB POST echo: no copy of the body beyond the one into bytes"
    ce, cn = cpu("pfw-ev", "echo", "post-ka"), cpu("nginx", "echo", "post-ka")
    ch, cnh = cpu("pfw-ev", "hello", "get-ka"), cpu("nginx", "hello",
                                                    "get-ka")
    if ok(ce) and ok(cn) and ok(ch) and ok(cnh):
        t.add("INFO", name, "per-request cost of the body (echo − hello): "
              "pfw-ev %.1f µs, nginx (reads and discards it) %.1f µs; one "
              "64 KiB copy into bytes costs %s µs here.  A timing cannot "
              "count copies: check the code path or a profile"
              % (ce - ch, cn - cnh, fmt(d.copy64k, "%.2f")))
    else:
        t.na(name, "%s; needs echo and hello rows of pfw-ev and nginx; "
             "copies are checked in code/profile, not by this timing"
             % (nopfw if not t.have else "rows missing"))

    # memory
    gun = [d.memfig(g, "hello") for g in ("gunicorn-sync",
                                          "gunicorn-gthread")]
    gun = [g["total"] for g in gun if g]
    gmin = min(gun) if gun else NAN
    for k in PFW:
        m = d.memfig(k, "hello")
        mi = d.memfig(k, "hello", "idle")
        name = "memory, %s: master RSS ≤ 2 MiB (no --preload)" % k
        if not m:
            t.na(name, nopfw if not t.have else k + " not measured")
        else:
            master = max(m["master"], mi["master"] if mi else 0)
            t.check(name, master, 2.0, "master %.2f MiB (max of idle and "
                    "after load)" % master)
        name = ("memory, %s: master + workers serving hello ≤ 0.4× "
                "gunicorn's" % k)
        if not ok(gmin):
            t.na(name, "gunicorn not measured")
        elif not m:
            t.na(name, "%s; gunicorn %.1f MiB → needs ≤ %.1f MiB"
                 % (nopfw if not t.have else k + " not measured", gmin,
                    0.4 * gmin))
        else:
            t.check(name, m["total"] / gmin, 0.4,
                    "%.1f MiB / gunicorn %.1f MiB (the smaller of sync and "
                    "gthread) = %.2f× (limit 0.40×)"
                    % (m["total"], gmin, m["total"] / gmin))

    # start-up
    py = med(d.pystart)
    for k in PFW:
        s = d.start(k, "hello")
        name = "start-up to first 200, %s hello: ≤ 2× python3 -c pass" % k
        if not ok(py):
            t.na(name, "python3 -c pass not measured")
        elif not ok(s):
            t.na(name, "%s; python3 -c pass %.1f ms → needs ≤ %.1f ms"
                 % (nopfw if not t.have else k + " not measured", py,
                    2 * py))
        else:
            t.check(name, s / py, 2.0, "%.1f ms / python3 -c pass %.1f ms "
                    "= %.2f× (limit 2.00×)" % (s, py, s / py))

    # balance
    for k in PFW:
        bs = d.balance.get(k)
        name = ("balance, %s: 50 keep-alive connections over the workers, "
                "none under 35 %% in 5 of 5 runs" % k)
        if not bs:
            t.na(name, nopfw if not t.have else "not measured")
        elif bs[-1].get("closes") == "1":
            t.na(name, "closes every connection (no keep-alive to balance)")
        elif any("error" in b for b in bs):
            t.na(name, "wrk failed: %s" % bs[0].get("error"))
        else:
            shares = [num(b["min_share"]) for b in bs]
            bad = sum(1 for s in shares if s < 0.35)
            if len(bs) < 5:
                t.na(name, "only %d runs" % len(bs))
            else:
                t.check(name, bad, 0, "splits %s; worst %.0f%%, %d of %d "
                        "runs under 35%%" % (" ".join(split(b) for b in bs),
                                            100 * min(shares), bad,
                                            len(bs)))
    return "\n".join(t.out)


def header(d):
    i = d.info
    other = [num(r.get("other_cpu_pct")) for rs in d.runs.values()
             for r in rs]
    other = [x for x in other if ok(x)]
    lines = [
        "prefork-wsgi benchmark — %s, %s" % (
            i.get("date", "?"), "QUICK" if i.get("quick") == "1" else "full"),
        "machine: %s cores, %s, %s GiB, Linux %s; load avg at start %s"
        % (i.get("cores"), i.get("cpu"), i.get("mem_gib"), i.get("kernel"),
           i.get("loadavg")),
        "peers: %s; %s; uwsgi %s; %s; %s" % (
            i.get("python"), i.get("gunicorn"), i.get("uwsgi"),
            i.get("nginx"), i.get("wrk")),
        "prefork-wsgi: %s%s" % (i.get("pfw"), "" if "pfw_sha256" not in i
                                 else " (sha256 %s…, built %s, git %s; a "
                                 "copy of it ran)" % (
                                     i["pfw_sha256"], i.get("pfw_mtime"),
                                     i.get("git_head"))),
        "method: wrk -t1 -c%s -d%ss --latency, %s repeat(s) per load after a "
        "warm-up; %s workers per server" % (
            i.get("conns"), i.get("duration_s"), i.get("repeats"),
            i.get("workers")),
        "wall time %s s; 'everything else' CPU during the runs: median %s%%, "
        "max %s%% of one core" % (
            i.get("wall_s", "?"), fmt(med(other), "%.0f"),
            fmt(max(other) if other else NAN, "%.0f")),
    ]
    if other and med(other) > 15:
        lines.append("NOTE: other load on the machine was high; treat the "
                     "figures as noisy")
    return "\n".join(lines)


def legend():
    return (
        "req/s median of the repeats (±% = (max−min)/median); p50/p99 from "
        "wrk; µs/req = CPU\n"
        "(utime+stime) of the server's whole process tree per completed "
        "request — compare\n"
        "this, not req/s, when wrk is at ≥90% of a core ('client-bound'); "
        "wrk%/oth% = CPU of\n"
        "wrk / of everything else, in % of one core; conn = ka if the server "
        "kept the\n"
        "connections alive (probed: 2 requests on 1 connection), else close; "
        "RSS after the\n"
        "loads; start = exec to first 200 (wall), median of the start-ups.\n"
        "UNFAIR = mean latency under half of conns/rate: some connections "
        "were starved.")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    d = Data(argv[1])
    print(header(d))
    print()
    print(table(d))
    print()
    print(legend())
    print()
    print("Memory and start-up (VmRSS of each process; idle = before any "
          "load; start-up: wall ms\nfrom exec to the first 200; CPU ms the "
          "server's live threads had used by then;\nrunq = mean runnable "
          "tasks on the machine meanwhile, the server's included: above the "
          "2 cores,\nthe start-up waited for CPU)")
    print(memory(d))
    print()
    print("Connection balance (hello, %s keep-alive connections; "
          "established connections per worker, ss -tnp;\n+Nq = N more "
          "connected but still in the listen queue, counted in the shares)"
          % d.info.get("conns", "50"))
    print(balance(d))
    print()
    extra = []
    if ok(d.copy64k):
        extra.append("one 64 KiB copy into bytes: %.2f µs" % d.copy64k)
    if d.pystart:
        extra.append("python3 -c pass: %.1f ms (median of %d)"
                     % (med(d.pystart), len(d.pystart)))
    for interp, label in INTERPS:
        for mod, kv in d.appcost.get(interp, {}).items():
            extra.append("%s called directly on %s: %s µs CPU per call "
                         "(wall %s, loop frame %s µs not included)"
                         % (mod, label, kv.get("cpu_us_per_call"),
                            kv.get("us_per_call"),
                            kv.get("frame_us_per_call")))
    if extra:
        print("Yardsticks")
        print("\n".join("  " + x for x in extra))
        print()
    print("Ratios: prefork-wsgi ÷ peer (µs/req, p99, RSS, start: lower is "
          "better; req/s: higher)")
    print(ratios(d))
    print()
    print("Targets (issue 7)")
    print(targets(d))
    if d.fails:
        print()
        print("Failures")
        for s, a, r in d.fails:
            print("  %s/%s: %s" % (s, a, r))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
