# lib/wsgi: internal static archive (embedded CPython + libev) and its tests.
# Owned by the WSGI layer; see lib/wsgi/wsgi.h.
#
# PY_EXE is the interpreter libpython belongs to: the embedded interpreter
# takes its prefix from it (or from $VIRTUAL_ENV), never from the python3
# first on PATH.  Override it together with PY_CFLAGS/PY_LIBS.

PY_PREFIX  ?= $(shell pkg-config --variable=prefix python3-embed 2>/dev/null)
PY_VERSION ?= $(shell pkg-config --modversion python3-embed 2>/dev/null)
PY_EXE     ?= $(PY_PREFIX)/bin/python$(PY_VERSION)

WSGI_CPPFLAGS := -Iinclude -Ilib/http -Ilib/wsgi -Ilib/log \
                 -DPFW_PYTHON_EXE='"$(PY_EXE)"'
WSGI_SRC      := $(sort $(wildcard lib/wsgi/*.c))
WSGI_OBJ      := $(WSGI_SRC:%.c=$(B)/%.o)
WSGI_A        := $(B)/libpfwsgi.a

WSGI_TEST_SRC := $(sort $(wildcard tests/wsgi/*.c))
WSGI_TEST_OBJ := $(WSGI_TEST_SRC:%.c=$(B)/%.o) $(B)/tests/helpers.o
WSGI_TEST_BIN := $(B)/tests/check_wsgi

all: $(WSGI_A)

$(B)/lib/wsgi/%.o: lib/wsgi/%.c
	@mkdir -p $(@D)
	$(CC) $(WSGI_CPPFLAGS) $(PY_CFLAGS) $(EV_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(WSGI_A): $(WSGI_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/tests/wsgi/%.o: tests/wsgi/%.c
	@mkdir -p $(@D)
	$(CC) $(WSGI_CPPFLAGS) -Itests -DPFW_TEST_APPS='"$(abspath tests/apps)"' \
	    -DPFW_TEST_PYTHON='"$(PY_EXE)"' \
	    $(PY_CFLAGS) $(EV_CFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# lib/log (access log, metrics) is linked by name: mk/log.mk comes later.
$(WSGI_TEST_BIN): $(WSGI_TEST_OBJ) $(WSGI_A) $(B)/libpflog.a $(HTTP_A) \
    $(CORE_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(WSGI_TEST_OBJ) $(WSGI_A) $(B)/libpflog.a \
	    $(HTTP_A) $(CORE_A) $(PY_LIBS) $(EV_LIBS) $(CHECK_LIBS) -lpthread

# ASan cannot follow CPython's allocator, which never frees some objects at
# _exit(): leak detection stays off; UBSan and the rest of ASan stay on.
.PHONY: check-wsgi
check-wsgi: $(WSGI_TEST_BIN)
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} $(WSGI_TEST_BIN)

check-suites: check-wsgi

# The real binary, driven by Debian's interpreter (the one it embeds):
# probe, Flask and Django apps on every worker kind, boot errors, signals;
# config files and server hooks (test_config.py); gunicorn.error and
# gunicorn.access without a logconfig (test_pylogger.py, Flask).
.PHONY: check-wsgi-integration
check-wsgi-integration: $(B)/prefork-wsgi
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} PYTHONDONTWRITEBYTECODE=1 \
	    PREFORK_WSGI=$(abspath $(B)/prefork-wsgi) \
	    $(PY_EXE) -m unittest -v tests/integration/test_wsgi.py \
	    tests/integration/test_config.py tests/integration/test_logging.py \
	    tests/integration/test_logconfig.py tests/integration/test_pylogger.py

check-suites: check-wsgi-integration

# The module prefork-wsgi loads when it needs Python (lib/wsgi/module.h,
# mk/cli.mk): every lib/wsgi object, its own copy of lib/http, libpython
# and libev.  libprefork and lib/log are left undefined on purpose: they
# resolve to the executable's at dlopen(3) time.  Built with the same
# flags as the executable (build-san/ with SANITIZE=1).
WSGI_MODULE := $(B)/prefork-wsgi-python.so

# The build identity both sides of the module table carry (module.h): a
# digest of the headers the executable and the module share, so that a
# module whose pfw_app, libprefork or lib/log structures differ from the
# executable's is refused even when the table's size is the same.
PFW_MODULE_ID_SRC := lib/wsgi/module.h lib/wsgi/wsgi.h lib/wsgi/access.h \
                     lib/http/http.h lib/log/log.h \
                     $(sort $(wildcard include/prefork/*.h))
$(B)/lib/wsgi/module-id.h: $(PFW_MODULE_ID_SRC)
	@mkdir -p $(@D)
	@printf '#define PFW_MODULE_ID "prefork-wsgi-module:%s"\n' \
	    "$$(cat $(PFW_MODULE_ID_SRC) | sha256sum | cut -c1-16)" > $@.tmp
	@mv $@.tmp $@

$(B)/lib/wsgi/module.o: lib/wsgi/module.c $(B)/lib/wsgi/module-id.h
	@mkdir -p $(@D)
	$(CC) $(WSGI_CPPFLAGS) -I$(B)/lib/wsgi $(PY_CFLAGS) $(EV_CFLAGS) \
	    $(ALL_CFLAGS) -c -o $@ $<

all: $(WSGI_MODULE)

$(WSGI_MODULE): $(WSGI_OBJ) $(HTTP_A)
	@mkdir -p $(@D)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $(WSGI_OBJ) $(HTTP_A) \
	    $(PY_LIBS) $(EV_LIBS) -lpthread
