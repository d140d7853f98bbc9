#!/usr/bin/env python3
"""Regenerate the --help references with Python's own argparse.

Reads the rows of the settings table from `gen-man --tsv` and builds the
argparse parser gunicorn would build from them (same option strings,
metavars, nargs, "<desc> [<default>]" help), then writes its help at the
given widths.  The C --help must match these files byte for byte.

    cd / && HOME=/nonexistent-home env -u XDG_RUNTIME_DIR -u PORT \
        -u WEB_CONCURRENCY -u FORWARDED_ALLOW_IPS \
        python3 /path/tests/cli/data/gen-help.py /path/build/cli/gen-man \
        /path/tests/cli/data

The user/group defaults (euid/egid) are written as {euid}/{egid}.
"""
import argparse
import os
import subprocess
import sys

gen, outdir = sys.argv[1], sys.argv[2]
rows = subprocess.run([gen, "--tsv"], capture_output=True, text=True,
                      check=True).stdout.splitlines()
for cols in (80, 132):
    os.environ["COLUMNS"] = str(cols)
    p = argparse.ArgumentParser(prog="prefork-wsgi",
                                usage="%(prog)s [OPTIONS] [APP_MODULE]")
    p.add_argument("-v", "--version", action="version", version="x",
                   help="show program's version number and exit")
    p.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    for row in rows:
        opts, meta, nargs, desc, default = row.split("\t")
        if opts.split()[0] in ("-u", "--user"):
            default = "{euid}"
        if opts.split()[0] in ("-g", "--group"):
            default = "{egid}"
        kw = {"help": ("%s [%s]" % (desc, default)).replace("%", "%%")}
        if nargs == "0":
            kw["action"] = "store_true"
        else:
            kw["metavar"] = meta
            if nargs == "?":
                kw["nargs"] = "?"
        p.add_argument(*opts.split(), **kw)
    with open(os.path.join(outdir, "help-%d.txt" % cols), "w") as f:
        f.write(p.format_help())
