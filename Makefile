# libprefork and prefork-wsgi -- non-recursive build.
#
#   make                 build the library, the CLI and the examples
#   make check           build and run every test (installs Debian deps first)
#   make check SANITIZE=1   the same under ASan + UBSan (objects in build-san/)
#   make run             build and serve the bundled example
#   make install         PREFIX, DESTDIR, LIBDIR, INCLUDEDIR, MANDIR, ...
#
# Each layer's rules live in mk/<layer>.mk; this file holds what they share.

VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
BINDIR       ?= $(EXEC_PREFIX)/bin
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATAROOTDIR  ?= $(PREFIX)/share
MANDIR       ?= $(DATAROOTDIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# prefork-wsgi's Python module (prefork-wsgi-python.so, see mk/cli.mk)
PKGLIBDIR    ?= $(LIBDIR)/prefork-wsgi

CC      ?= cc
AR      ?= ar
INSTALL ?= install

# User CFLAGS/LDFLAGS are appended to these, never replace them.
PF_CFLAGS  := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden \
              -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -O2 -g -MMD -MP
PF_LDFLAGS :=
CFLAGS  ?=
LDFLAGS ?=

ifeq ($(SANITIZE),1)
B := build-san
PF_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
PF_LDFLAGS += -fsanitize=address,undefined
else
B := build
endif

ALL_CFLAGS  = $(PF_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(PF_LDFLAGS) $(LDFLAGS)

# External libraries, overridable.  libev ships no .pc file: fall back.
CHECK_CFLAGS ?= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   ?= $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
EV_CFLAGS    ?= $(shell pkg-config --cflags libev 2>/dev/null)
EV_LIBS      ?= $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
PY_CFLAGS    ?= $(shell pkg-config --cflags python3-embed 2>/dev/null)
PY_LIBS      ?= $(shell pkg-config --libs python3-embed 2>/dev/null)

.PHONY: all check check-suites install uninstall clean run deps deps-check bench fuzz \
        bench-parser stress
all:

# Debian packages: installed only when missing (scripts/deps.sh).
deps:
	@sh scripts/deps.sh build
deps-check:
	@sh scripts/deps.sh check

include mk/core.mk
include mk/http.mk
-include mk/wsgi.mk
-include mk/cli.mk
-include mk/log.mk
-include mk/bench.mk
-include mk/reliability.mk
-include mk/lifecycle.mk

# Each layer's fragment adds its suites to check-suites; check runs them all,
# keeps their output in $(B)/check.log and closes with one summary line.
check: deps-check
	@mkdir -p $(B); \
	{ $(MAKE) --no-print-directory check-suites 2>&1; echo $$? > $(B)/check.status; } \
	    | tee $(B)/check.log
	@sh scripts/check-summary.sh $(B)/check.log
	@exit $$(cat $(B)/check.status)

check-suites:

# Files made from make variables (the .pc, cli's module-path.h) depend on
# FORCE and are rewritten only when their text changes.
FORCE:

# What `make run` serves: the echo example until mk/cli.mk provides
# prefork-wsgi and sets RUN_CMD to serve examples/hello.py.
RUN_CMD ?= $(ECHO_BIN) 127.0.0.1:8000 2
run: deps all
	$(RUN_CMD)

clean:
	rm -rf build build-san

-include $(shell find $(B) -name '*.d' 2>/dev/null)
