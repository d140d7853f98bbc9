#!/usr/bin/python3
"""Convert gunicorn's request corpus into tests/http/corpus.c.

Run by hand (the output is committed, so the tests never need ../shared):

    /usr/bin/python3 tests/http/gen_corpus.py /work/shared/gunicorn-requests \
        > tests/http/corpus.c

Each .http file is decoded as gunicorn's tests/treq.py does (real newlines
dropped, then \\r\\n, \\0, \\n, \\t and \\xHH escapes).  Each .py file is run
with stand-ins for gunicorn's Config (recording cfg.set) and error classes,
and with uri() splitting the target the way gunicorn's split_request_uri
(urllib.parse.urlsplit) does.  Invalid files map their exception to the
status this server answers (lib/http's stricter choices included).
"""

import os
import sys
import types
import urllib.parse

# gunicorn exception -> our status (0: no response, the connection closes)
STATUS = {
    "NoMoreData": 0,
    "InvalidRequestLine": 400,
    "InvalidRequestMethod": 400,
    "InvalidHTTPVersion": 505,        # stricter: gunicorn says 400
    "InvalidHeader": 400,
    "InvalidHeaderName": 400,
    "ObsoleteFolding": 400,
    "LimitRequestLine": 414,          # the corpus's only case is a long target
    "LimitRequestHeaders": 431,
    "InvalidSchemeHeaders": 400,
    "InvalidProxyLine": 400,
    "InvalidChunkSize": 400,          # gunicorn: no response at all
    "ChunkMissingTerminator": 400,
    "InvalidChunkExtension": 400,
    "UnsupportedTransferCoding": 501,
    "ExpectationFailed": 417,
}


class Config:
    def __init__(self):
        self.sets = {}

    def set(self, key, value):
        self.sets[key] = value


def install_stubs():
    g = types.ModuleType("gunicorn")
    gc = types.ModuleType("gunicorn.config")
    gc.Config = Config
    gh = types.ModuleType("gunicorn.http")
    ge = types.ModuleType("gunicorn.http.errors")

    def getattr_(name):
        cls = type(name, (Exception,), {})
        setattr(ge, name, cls)
        return cls
    ge.__getattr__ = getattr_
    sys.modules.update({"gunicorn": g, "gunicorn.config": gc,
                        "gunicorn.http": gh, "gunicorn.http.errors": ge})


def split_request_uri(u):
    if u.startswith("//"):
        parts = urllib.parse.urlsplit("." + u)
        return parts._replace(path=parts.path[1:])
    return urllib.parse.urlsplit(u)


def uri(data):
    parts = split_request_uri(data)
    return {"raw": data, "path": parts.path or "",
            "query": parts.query or "", "fragment": parts.fragment or ""}


def decode_http(raw):
    data = raw.replace(b"\n", b"").replace(b"\\r\\n", b"\r\n")
    data = data.replace(b"\\0", b"\0").replace(b"\\n", b"\n")
    data = data.replace(b"\\t", b"\t")
    out = bytearray()
    i = 0
    while i < len(data):
        if i + 3 < len(data) and data[i:i + 2] == b"\\x":
            try:
                out.append(int(data[i + 2:i + 4], 16))
                i += 4
                continue
            except ValueError:
                pass
        out.append(data[i])
        i += 1
    assert b"\\" not in out
    return bytes(out)


def c_str(b):
    if isinstance(b, str):
        b = b.encode("latin-1")
    s = ['"']
    col = 0
    for ch in b:
        if ch == 0x22:
            t = '\\"'
        elif ch == 0x5c:
            t = '\\\\'
        elif ch == 0x3f:
            t = '\\?'
        elif ch == 0x0d:
            t = '\\r'
        elif ch == 0x0a:
            t = '\\n'
        elif 0x20 <= ch < 0x7f:
            t = chr(ch)
        else:
            t = '\\%03o' % ch
        s.append(t)
        col += len(t)
        if col > 60 and ch == 0x0a:
            s.append('"\n        "')
            col = 0
        elif col > 70:
            s.append('"\n        "')
            col = 0
    s.append('"')
    return "".join(s)


def lit(b):
    if isinstance(b, str):
        b = b.encode("latin-1")
    return "%s, %d" % (c_str(b), len(b))


def load_py(path):
    mod = {"uri": uri, "cfg": Config(), "__name__": "__config__"}
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    exec(code, mod)
    return mod


def config_fields(sets):
    flags = []
    if sets.get("permit_unconventional_http_method"):
        flags.append("PFH_PERMIT_UNCONVENTIONAL_METHOD")
    if sets.get("permit_unconventional_http_version"):
        flags.append("PFH_PERMIT_UNCONVENTIONAL_VERSION")
    if sets.get("casefold_http_method"):
        flags.append("PFH_CASEFOLD_METHOD")
    if sets.get("permit_obsolete_folding"):
        flags.append("PFH_PERMIT_OBSOLETE_FOLDING")
    if sets.get("strip_header_spaces"):
        flags.append("PFH_STRIP_HEADER_SPACES")
    hm = {"drop": "PFH_HEADER_MAP_DROP", "refuse": "PFH_HEADER_MAP_REFUSE",
          "dangerous": "PFH_HEADER_MAP_DANGEROUS"}[sets.get("header_map",
                                                             "drop")]
    pp = sets.get("proxy_protocol", False)
    pp = {False: "PFH_PROXY_NONE", True: "PFH_PROXY_AUTO",
          "v1": "PFH_PROXY_V1", "v2": "PFH_PROXY_V2",
          "auto": "PFH_PROXY_AUTO"}[pp]
    known = {"permit_unconventional_http_method",
             "permit_unconventional_http_version", "casefold_http_method",
             "permit_obsolete_folding", "strip_header_spaces", "header_map",
             "proxy_protocol", "limit_request_line", "limit_request_fields",
             "limit_request_field_size", "forwarded_allow_ips"}
    unknown = set(sets) - known
    assert not unknown, unknown
    return (".line = %d, .fields = %d, .field_size = %d, .flags = %s, "
            ".header_map = %s, .proxy = %s" % (
                sets.get("limit_request_line", -1),
                sets.get("limit_request_fields", -1),
                sets.get("limit_request_field_size", -1),
                " | ".join(flags) or "0", hm, pp))


def fields(name, lst, out):
    out.append("static const ch_field %s[] = {" % name)
    for k, v in lst:
        out.append("    { %s, %s }," % (lit(k), lit(v)))
    if not lst:
        out.append("    { NULL, 0, NULL, 0 },")
    out.append("};")


def main():
    root = sys.argv[1]
    install_stubs()
    out = ["/*",
           " * Generated by tests/http/gen_corpus.py from gunicorn 26.1's",
           " * tests/requests corpus (MIT: tests/http/LICENSE.gunicorn; the",
           " * fuzz seeds derive from it too).  Do not edit: re-run the",
           " * generator.",
           " */",
           "#include <stddef.h>", "",
           '#include "http.h"', '#include "corpus.h"', ""]
    cases = []
    for kind in ("valid", "invalid"):
        d = os.path.join(root, kind)
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".http"):
                continue
            base = fn[:-5]
            ident = "%s_%s" % (kind, base)
            with open(os.path.join(d, fn), "rb") as f:
                data = decode_http(f.read())
            mod = load_py(os.path.join(d, base + ".py"))
            cfg = config_fields(mod["cfg"].sets)
            exp = mod["request"]
            if kind == "valid":
                reqs = exp if isinstance(exp, list) else [exp]
                names = []
                for i, r in enumerate(reqs):
                    fields("%s_h%d" % (ident, i), r["headers"], out)
                    fields("%s_t%d" % (ident, i), r.get("trailers", []), out)
                    names.append(i)
                out.append("static const ch_expect %s_r[] = {" % ident)
                for i, r in zip(names, reqs):
                    body = r["body"]
                    if isinstance(body, str):
                        body = body.encode("latin-1")
                    u = r["uri"]
                    out.append("    { %s, %s, %s, %s, %s, %d, %d," % (
                        lit(r["method"]), lit(u["raw"]), lit(u["path"]),
                        lit(u["query"]), lit(u["fragment"]),
                        r["version"][0], r["version"][1]))
                    out.append("      %s_h%d, %d, %s, %s_t%d, %d }," % (
                        ident, i, len(r["headers"]), lit(body), ident, i,
                        len(r.get("trailers", []))))
                out.append("};")
                cases.append("    { \"%s/%s\", 1, %s,\n      { %s },\n"
                             "      0, %s_r, %d }," % (
                                 kind, base, lit(data).replace(
                                     "\n", "\n      "), cfg, ident,
                                 len(reqs)))
            else:
                status = STATUS[exp.__name__]
                cases.append("    { \"%s/%s\", 0, %s,\n      { %s },\n"
                             "      %d, NULL, 0 },  /* %s */" % (
                                 kind, base, lit(data).replace(
                                     "\n", "\n      "), cfg, status,
                                 exp.__name__))
    out.append("")
    out.append("const ch_case ch_cases[] = {")
    out.extend(cases)
    out.append("};")
    out.append("")
    out.append("const size_t ch_ncases = sizeof(ch_cases) / sizeof(ch_cases[0]);")
    print("\n".join(out))


if __name__ == "__main__":
    main()
