"""Importing this module fails: a boot error (exit 3)."""
import prefork_wsgi_no_such_module_xyz  # noqa: F401
