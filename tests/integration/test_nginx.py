"""Integration tests: Debian's nginx in front of the real binary.

Run by `make check-lifecycle`.  One nginx (nginx-light, with the stream
module of libnginx-mod-stream), run as a plain foreground process with a
config in a temporary directory, proxies to one prefork-wsgi bound to two
unix sockets and a loopback port:

  * http, location /app/ -> unix socket, with proxy_set_header
    X-Forwarded-Proto https, SCRIPT_NAME /app and two underscore headers:
    the app sees wsgi.url_scheme https (a unix peer is trusted), SCRIPT_NAME
    /app and PATH_INFO without it (gunicorn's section 4.7);
  * http, location /tcp/ -> 127.0.0.1:PORT/ (the prefix cut): trusted by
    the default --forwarded-allow-ips, not by a CIDR that excludes it,
    again by 127.0.0.0/8;
  * stream with proxy_protocol on -> the other unix socket, --proxy-protocol
    v1: REMOTE_ADDR/REMOTE_PORT are the client's (its own port, as the test
    socket sees it), PROXY_ADDR/PROXY_PORT nginx's listener;
  * --forwarder-headers SCRIPT_NAME,REMOTE_USER passes REMOTE_USER from the
    trusted proxy; --header-map dangerous passes X_Custom, refuse answers
    400, the default (drop) drops both.
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfw_proc import (APPS, BINARY, Proc, clean_env, connect,  # noqa: E402
                      free_port, get, read_response, wait_until)

NGINX = "/usr/sbin/nginx"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
APP = "lifecycle_app:app"


@unittest.skipUnless(os.access(NGINX, os.X_OK)
                     and os.path.exists(STREAM_MODULE),
                     "needs Debian's nginx-light and libnginx-mod-stream")
class BehindNginx(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pfw-nginx-")
        cls.http_port, cls.stream_port = free_port(), free_port()
        cls.app_port = free_port()
        cls.app_sock = os.path.join(cls.tmp, "app.sock")
        cls.pp_sock = os.path.join(cls.tmp, "pp.sock")
        conf = os.path.join(cls.tmp, "nginx.conf")
        t = cls.tmp
        with open(conf, "w") as f:
            f.write(textwrap.dedent("""\
                load_module %(mod)s;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path %(t)s/body;
                    proxy_temp_path %(t)s/proxy;
                    fastcgi_temp_path %(t)s/fastcgi;
                    uwsgi_temp_path %(t)s/uwsgi;
                    scgi_temp_path %(t)s/scgi;
                    server {
                        listen 127.0.0.1:%(http)d;
                        location /app/ {
                            proxy_pass http://unix:%(sock)s;
                            proxy_set_header X-Forwarded-Proto https;
                            proxy_set_header SCRIPT_NAME /app;
                            proxy_set_header REMOTE_USER alice;
                            proxy_set_header X_Custom 1;
                        }
                        location /tcp/ {
                            proxy_pass http://127.0.0.1:%(app)d/;
                            proxy_set_header X-Forwarded-Proto https;
                        }
                    }
                }
                stream {
                    server {
                        listen 127.0.0.1:%(stream)d;
                        proxy_pass unix:%(pp)s;
                        proxy_protocol on;
                    }
                }
                """ % {"mod": STREAM_MODULE, "t": t, "http": cls.http_port,
                       "sock": cls.app_sock, "app": cls.app_port,
                       "stream": cls.stream_port, "pp": cls.pp_sock}))
        cls.nginx = Proc([NGINX, "-p", t, "-c", conf, "-e", "stderr",
                          "-g", "daemon off; master_process off; "
                                "pid %s/nginx.pid;" % t], cwd=t)
        try:
            wait_until(lambda: cls.listening(cls.http_port)
                       and cls.listening(cls.stream_port), 10,
                       "nginx listening")
        except AssertionError:
            cls.nginx.kill()
            raise AssertionError("nginx did not start:\n" + cls.nginx.log())

    @staticmethod
    def listening(port):
        try:
            connect(port, timeout=1).close()
            return True
        except OSError:
            return False

    @classmethod
    def tearDownClass(cls):
        cls.nginx.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.app = None

    def tearDown(self):
        if self.app is not None:
            self.app.finish()

    def serve(self, *flags):
        self.app = Proc([BINARY, "-w", "1", "--proxy-protocol", "v1",
                         "-b", "unix:" + self.app_sock,
                         "-b", "unix:" + self.pp_sock,
                         "-b", "127.0.0.1:%d" % self.app_port] + list(flags)
                        + [APP], cwd=APPS, env=clean_env())
        self.app.wait_log(r"Listening at: ")

    def environ(self, path):
        st, _, body = get(self.http_port, path)
        self.assertEqual(st, 200, body)
        return json.loads(body)

    def stop(self):
        self.assertEqual(self.app.stop(), 0)
        self.app = None

    def test_defaults(self):
        self.serve()
        env = self.environ("/app/env")
        self.assertEqual(env["wsgi.url_scheme"], "https")   # unix: trusted
        self.assertEqual(env["SCRIPT_NAME"], "/app")
        self.assertEqual(env["PATH_INFO"], "/env")
        self.assertEqual(env["HTTP_X_FORWARDED_PROTO"], "https")
        self.assertNotIn("HTTP_REMOTE_USER", env)     # not a forwarder header
        self.assertNotIn("HTTP_X_CUSTOM", env)        # header_map drop
        self.assertEqual(env["REMOTE_ADDR"], "")      # a unix peer
        # 127.0.0.1 is in the default --forwarded-allow-ips
        self.assertEqual(self.environ("/tcp/env")["wsgi.url_scheme"], "https")

        # PROXY protocol v1 from nginx's stream module
        s = connect(self.stream_port)
        client_port = s.getsockname()[1]
        s.sendall(b"GET /env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        st, _, body = read_response(s)
        s.close()
        self.assertEqual(st, 200)
        env = json.loads(body)
        self.assertEqual(env["REMOTE_ADDR"], "127.0.0.1")
        self.assertEqual(env["REMOTE_PORT"], str(client_port))
        self.assertEqual(env["PROXY_PROTOCOL"], "TCP4")
        self.assertEqual(env["PROXY_PORT"], str(self.stream_port))
        self.assertEqual(env["wsgi.url_scheme"], "http")
        self.stop()

    def test_cidr_forwarder_headers_dangerous_map(self):
        self.serve("--forwarded-allow-ips", "10.0.0.0/8",
                   "--forwarder-headers", "SCRIPT_NAME,REMOTE_USER",
                   "--header-map", "dangerous")
        env = self.environ("/tcp/env")
        self.assertEqual(env["wsgi.url_scheme"], "http")    # not trusted
        self.assertEqual(env["HTTP_X_FORWARDED_PROTO"], "https")
        env = self.environ("/app/env")
        self.assertEqual(env["wsgi.url_scheme"], "https")
        self.assertEqual(env["SCRIPT_NAME"], "/app")
        self.assertEqual(env["HTTP_REMOTE_USER"], "alice")
        self.assertEqual(env["HTTP_X_CUSTOM"], "1")
        self.stop()

    def test_loopback_cidr_and_refused_underscores(self):
        self.serve("--forwarded-allow-ips", "127.0.0.0/8",
                   "--header-map", "refuse")
        self.assertEqual(self.environ("/tcp/env")["wsgi.url_scheme"], "https")
        st, _, _ = get(self.http_port, "/app/env")
        self.assertEqual(st, 400)                 # X_Custom refused
        self.stop()


if __name__ == "__main__":
    unittest.main()
