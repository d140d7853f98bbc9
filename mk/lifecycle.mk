# The real binary's life under a service manager and behind a proxy:
# sd_notify, socket activation, USR2 upgrades, HUP re-binding
# (test_lifecycle.py), users, umask, -e, -p, -D, --no-sendfile
# (test_privileges.py), Debian's nginx in front (test_nginx.py), --reload
# and --paste (test_devel.py).  Debian's interpreter (the one the binary
# embeds) runs them; root is needed for the privilege tests (they skip
# otherwise), nginx-light, libnginx-mod-stream, systemd
# (systemd-socket-activate) and python3-pastedeploy for the others
# (scripts/deps.sh check).
.PHONY: check-lifecycle
check-lifecycle: $(B)/prefork-wsgi
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} PYTHONDONTWRITEBYTECODE=1 \
	    PREFORK_WSGI=$(abspath $(B)/prefork-wsgi) \
	    $(PY_EXE) -m unittest -v tests/integration/test_lifecycle.py \
	    tests/integration/test_privileges.py tests/integration/test_nginx.py \
	    tests/integration/test_devel.py

check-suites: check-lifecycle
