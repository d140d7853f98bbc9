"""Targets for the APP_MODULE forms (tests/wsgi/check_app.c)."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"loadme"]


app = application


def factory():
    return application


def factory_args(a, b=2):
    def made(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [("%r %r" % (a, b)).encode()]
    made.args = (a, b)
    return made


def factory_raises():
    raise TypeError("raised inside the factory")


none_obj = None
not_callable = 42
