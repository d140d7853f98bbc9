"""Integration tests: --reload and --paste with the real binary.

Run by `make check-lifecycle`:

  * --reload (inotify, the "auto" engine): editing the app file makes the
    worker log "Worker reloading: FILE modified" and exit; its replacement
    serves the new code; a SyntaxError is served as a 500 page carrying
    the traceback until the file is fixed; a new file matching a
    --reload-extra-file glob reloads too;
  * --reload-engine poll: the same edit is seen by the once-a-second stat;
  * --paste/--paster INI[#NAME] through Debian's python3-pastedeploy, with
    --paste-global K=V (and a "\\=" in a value); the ini's [loggers]
    section does not get in the way.

The reloader logs at DEBUG when its first pass is done ("Reloader (ENGINE)
watching ..."): the tests wait for that line before touching a file, since
a change made before the watch exists cannot be seen (by gunicorn either).
"""
import json
import os
import shutil
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfw_proc import BINARY, Proc, clean_env, free_port, get  # noqa: E402


def have_pastedeploy():
    try:
        import paste.deploy  # noqa: F401
        return True
    except ImportError:
        return False


APP_SRC = """\
VERSION = %r


def app(environ, start_response):
    body = VERSION.encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""


class Base(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pfw-devel-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.finish()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def write(self, name, text):
        tmp = self.path(name + ".new")
        with open(tmp, "w") as f:
            f.write(textwrap.dedent(text))
        os.replace(tmp, self.path(name))       # as editors save

    def start(self, args):
        p = Proc([BINARY] + args, cwd=self.tmp, env=clean_env())
        self.procs.append(p)
        p.wait_log(r"Listening at: ")
        return p


class Reload(Base):

    def edit_and_wait(self, p, port, name, text, n, engine="inotify"):
        """Edit name once the n-th worker watches; wait for that worker to
        go; the next request is the (n+1)-th worker's."""
        p.wait_log(r"Reloader \(%s\) watching" % engine, count=n)
        self.write(name, text)
        m = p.wait_log(r"\[(\d+)\] \[INFO\] Worker reloading: (\S+) modified",
                       count=n, timeout=10)
        self.assertEqual(m.group(2), self.path(name))
        p.wait_log(r"Worker exiting \(pid: %s\)" % m.group(1))
        return get(port, "/")

    def test_edit_syntax_error_fix_and_extra_glob(self):
        os.mkdir(self.path("templates"))
        self.write("templates/base.html", "<p>")
        self.write("app.py", APP_SRC % "v1")
        port = free_port()
        glob = self.path("templates", "*.html")
        p = self.start(["--reload", "--log-level", "debug",
                        "--reload-extra-file", glob,
                        "-b", "127.0.0.1:%d" % port, "app:app"])
        p.wait_log(r"\[WARNING\] Reloader is on\. Use in development only!")
        self.assertEqual(get(port, "/")[2], b"v1")

        st, _, body = self.edit_and_wait(p, port, "app.py", APP_SRC % "v2",
                                         1)
        self.assertEqual((st, body), (200, b"v2"))

        st, hdrs, body = self.edit_and_wait(p, port, "app.py",
                                            "def app(:\n", 2)
        self.assertEqual(st, 500)
        self.assertEqual(hdrs["content-type"], "text/plain")
        self.assertIn(b"SyntaxError", body)
        self.assertIn(self.path("app.py").encode(), body)
        self.assertIn("Traceback", p.log())      # logged as gunicorn does
        self.assertEqual(get(port, "/")[0], 500)  # until fixed

        st, _, body = self.edit_and_wait(p, port, "app.py", APP_SRC % "v3",
                                         3)
        self.assertEqual((st, body), (200, b"v3"))

        # a file created after boot that matches the glob
        st, _, body = self.edit_and_wait(p, port, "templates/new.html", "x",
                                         4)
        self.assertEqual((st, body), (200, b"v3"))
        self.assertEqual(p.stop(), 0)

    def test_poll_engine(self):
        self.write("app.py", APP_SRC % "p1")
        port = free_port()
        p = self.start(["--reload", "--reload-engine", "poll",
                        "--log-level", "debug",
                        "-b", "127.0.0.1:%d" % port, "app:app"])
        self.assertEqual(get(port, "/")[2], b"p1")
        st, _, body = self.edit_and_wait(p, port, "app.py", APP_SRC % "p2",
                                         1, engine="poll")
        self.assertEqual((st, body), (200, b"p2"))
        self.assertEqual(p.stop(), 0)


@unittest.skipUnless(have_pastedeploy(), "python3-pastedeploy not installed")
class Paste(Base):

    def setUp(self):
        super().setUp()
        self.write("pasteapp.py", """\
            import json

            def make_app(global_conf, **local_conf):
                def app(environ, start_response):
                    body = json.dumps({
                        "greeting": local_conf.get("greeting"),
                        "extra": global_conf.get("extra"),
                        "here": global_conf.get("here")}).encode()
                    start_response("200 OK", [
                        ("Content-Length", str(len(body)))])
                    return [body]
                return app
            """)
        self.write("site.ini", """\
            [app:main]
            use = call:pasteapp:make_app
            greeting = hello

            [app:other]
            use = call:pasteapp:make_app
            greeting = other

            [loggers]
            keys = root

            [handlers]
            keys = console

            [formatters]
            keys = generic

            [logger_root]
            level = INFO
            handlers = console

            [handler_console]
            class = StreamHandler
            args = (sys.stderr,)
            formatter = generic

            [formatter_generic]
            format = %(message)s
            """)

    def served(self, args):
        port = free_port()
        p = self.start(args + ["-b", "127.0.0.1:%d" % port])
        st, _, body = get(port, "/")
        self.assertEqual(st, 200, p.log())
        self.assertEqual(p.stop(), 0)
        return json.loads(body)

    def test_paste_main_section(self):
        got = self.served(["--paste", "site.ini"])
        self.assertEqual(got, {"greeting": "hello", "extra": None,
                               "here": self.tmp})

    def test_paster_named_section_and_global_conf(self):
        got = self.served(["--paster", "site.ini#other",
                           "--paste-global", "extra=a\\=b"])
        self.assertEqual(got["greeting"], "other")
        self.assertEqual(got["extra"], "a=b")


if __name__ == "__main__":
    unittest.main()
