# cli/: the gunicorn-compatible settings engine and command line
# (libpfcli.a, no Python), its Check runner, and the man page generator
# whose output must match man/man1/prefork-wsgi.1.  Owned by the CLI layer.

CLI_CPPFLAGS := -Iinclude -Icli
CLI_LIB_SRC  := cli/table.c cli/settings.c cli/validate.c cli/addr.c \
                cli/print.c cli/pyfmt.c cli/pyparse.c cli/options.c \
                cli/shlex.c cli/help.c cli/load.c
CLI_LIB_OBJ  := $(CLI_LIB_SRC:%.c=$(B)/%.o)
CLI_A        := $(B)/libpfcli.a
CLI_GEN_MAN  := $(B)/cli/gen-man
CLI_MAN      := man/man1/prefork-wsgi.1

CLI_TEST_SRC := $(sort $(wildcard tests/cli/*.c))
CLI_TEST_OBJ := $(CLI_TEST_SRC:%.c=$(B)/%.o)
CLI_TEST_BIN := $(B)/tests/check_cli

all: $(CLI_A)

$(B)/cli/%.o: cli/%.c
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(CLI_A): $(CLI_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(CLI_GEN_MAN): $(B)/cli/gen-man.o $(CLI_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CLI_A)

$(B)/tests/cli/%.o: tests/cli/%.c
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) -Itests -DTC_DATA_DIR='"$(CURDIR)/tests/cli/data"' \
	    $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(CLI_TEST_BIN): $(CLI_TEST_OBJ) $(B)/tests/helpers.o $(CLI_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_TEST_OBJ) $(B)/tests/helpers.o \
	    $(CLI_A) $(CHECK_LIBS)

# The OPTIONS part of the man page is generated from the table: the
# committed page must hold exactly what the generator prints between the
# two marker comments ("make man-cli" rewrites it).
CLI_MAN_BEGIN := ^\.\\" BEGIN GENERATED OPTIONS
CLI_MAN_END   := ^\.\\" END GENERATED OPTIONS

.PHONY: check-cli check-cli-man man-cli
check-cli: $(CLI_TEST_BIN) check-cli-man
	$(CLI_TEST_BIN)

check-cli-man: $(CLI_GEN_MAN)
	@$(CLI_GEN_MAN) > $(B)/cli/options.man
	@sed -n '/$(CLI_MAN_BEGIN)/,/$(CLI_MAN_END)/p' $(CLI_MAN) \
	    | sed '1d;$$d' > $(B)/cli/options.committed
	@diff -u $(B)/cli/options.committed $(B)/cli/options.man \
	    || { echo "$(CLI_MAN): OPTIONS differ from the table; run make man-cli"; exit 1; }
	@out=$$(groff -man -ww -z $(CLI_MAN) 2>&1); \
	    if [ -n "$$out" ]; then echo "$(CLI_MAN): $$out"; exit 1; fi
	@echo "man: $(CLI_MAN) OPTIONS match the table ($$(grep -c '^\.TP' $(B)/cli/options.man) entries), lint clean"

man-cli: $(CLI_GEN_MAN)
	$(CLI_GEN_MAN) > $(B)/cli/options.man
	awk -v gen=$(B)/cli/options.man ' \
	    /^\.\\" BEGIN GENERATED OPTIONS/ { print; while ((getline l < gen) > 0) print l; skip = 1; next } \
	    /^\.\\" END GENERATED OPTIONS/ { skip = 0 } \
	    !skip { print }' $(CLI_MAN) > $(B)/cli/prefork-wsgi.1.new
	mv $(B)/cli/prefork-wsgi.1.new $(CLI_MAN)

check-suites: check-cli

# ---- the prefork-wsgi binary ---------------------------------------------
# The executable holds the master: cli/, lib/log, libprefork, lib/http and
# the two Python-free files of lib/wsgi it needs (config.c, systemd.c).
# Everything that needs Python is in $(WSGI_MODULE) (mk/wsgi.mk), which
# cli/pyshim.c loads with dlopen(3) only when Python is needed, so that a
# master without a configuration file or --preload maps neither libpython
# nor libev (lib/wsgi/module.h).  The module takes libprefork and lib/log
# from the executable, which links all of libprefork and of lib/log (the
# latter compiled once more with default visibility: the archive's objects
# are hidden) and exports what the module uses (prefork-wsgi.dynlist): one
# log hook, one signal queue, one logger state for both.
PFW_BIN      := $(B)/prefork-wsgi
PFW_EXE_WSGI := $(B)/lib/wsgi/config.o $(B)/lib/wsgi/systemd.o
PFW_EXE_LOG  := $(patsubst lib/log/%.c,$(B)/exe/lib/log/%.o,\
                  $(sort $(wildcard lib/log/*.c)))
PFW_EXE_OBJ  := $(B)/cli/main.o $(B)/cli/logsetup.o $(B)/cli/pyshim.o \
                $(PFW_EXE_WSGI) $(PFW_EXE_LOG)

all: $(PFW_BIN)

$(B)/cli/main.o: cli/main.c
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) -Ilib/wsgi -Ilib/http -Ilib/log $(ALL_CFLAGS) \
	    -c -o $@ $<

# The master's logging (lib/log glue), linked into the binary only.
$(B)/cli/logsetup.o: cli/logsetup.c
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) -Ilib/log -Ilib/wsgi $(ALL_CFLAGS) -c -o $@ $<

# Where the installed binary finds the module: $(PKGLIBDIR) relative to
# $(BINDIR), the same for any PREFIX (relocatable, and right in a DESTDIR
# stage).  The header changes only when that path does; pyshim.o follows.
PFW_MODULE_REL := $(shell realpath -m --relative-to=$(BINDIR) $(PKGLIBDIR))
$(B)/cli/module-path.h: FORCE
	@mkdir -p $(@D)
	@printf '#define PFW_MODULE_REL "%s"\n' '$(PFW_MODULE_REL)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(B)/cli/pyshim.o: cli/pyshim.c $(B)/cli/module-path.h \
    $(B)/lib/wsgi/module-id.h
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) -I$(B)/cli -I$(B)/lib/wsgi -Ilib/wsgi -Ilib/http \
	    -Ilib/log \
	    $(ALL_CFLAGS) -c -o $@ $<

$(B)/exe/lib/log/%.o: lib/log/%.c
	@mkdir -p $(@D)
	$(CC) -Iinclude -Ilib/log $(ALL_CFLAGS) -fvisibility=default -c -o $@ $<

# Packed relative relocations (DT_RELR, binutils 2.38, glibc 2.36) where
# the toolchain has them: the loader writes fewer pages of the master
# (probed only when the binary links).
PFW_RELR  = $(shell printf 'int main(void) { return 0; }\n' | $(CC) -x c - \
              -Wl,-z,pack-relative-relocs -Wl,--fatal-warnings \
              -o /dev/null 2>/dev/null && echo -Wl,-z,pack-relative-relocs)

# The executable exports exactly what the module leaves undefined (its
# libpython, libev and libc symbols match nothing here): no more symbols
# that a C extension could bind to by accident.
$(B)/prefork-wsgi.dynlist: $(WSGI_MODULE)
	{ echo '{'; nm -D --undefined-only $< \
	    | awk '$$2 !~ /@/ { print "    " $$2 ";" }'; echo '};'; } > $@

# No libpython, no libev: those are the module's.  Whatever the module
# leaves undefined that neither its libraries nor the executable define
# would only fail at dlopen(3) in a worker: the link fails now instead.
$(PFW_BIN): $(PFW_EXE_OBJ) $(CLI_A) $(HTTP_A) $(CORE_A) $(WSGI_MODULE) \
    $(B)/prefork-wsgi.dynlist
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $(PFW_RELR) \
	    -Wl,--dynamic-list=$(B)/prefork-wsgi.dynlist -o $@ \
	    $(PFW_EXE_OBJ) \
	    $(CLI_A) $(HTTP_A) -Wl,--whole-archive $(CORE_A) \
	    -Wl,--no-whole-archive
	@nm -D --defined-only $@ | awk '{ print $$3 }' | sort -u > $@.syms
	@ldd -r $(WSGI_MODULE) 2>&1 \
	    | sed -n 's/^undefined symbol: \([^ 	]*\).*/\1/p' | sort -u \
	    | comm -23 - $@.syms > $@.undef; \
	if [ -s $@.undef ]; then \
	    echo "$(WSGI_MODULE): undefined, not in $@:"; cat $@.undef; \
	    rm -f $@ $@.syms $@.undef; exit 1; \
	fi; rm -f $@.syms $@.undef

# `make run`: the bundled example on 127.0.0.1:8000 with the ev worker.
RUN_CMD := $(PFW_BIN) -k ev -w 2 -b 127.0.0.1:8000 --chdir examples hello:app

install: install-cli
uninstall: uninstall-cli
.PHONY: install-cli uninstall-cli
install-cli: $(PFW_BIN) $(WSGI_MODULE)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(PKGLIBDIR)
	$(INSTALL) -m 755 $(PFW_BIN) $(DESTDIR)$(BINDIR)/prefork-wsgi
	$(INSTALL) -m 644 $(WSGI_MODULE) $(DESTDIR)$(PKGLIBDIR)/
	$(INSTALL) -m 644 $(CLI_MAN) $(DESTDIR)$(MANDIR)/man1/
uninstall-cli:
	rm -f $(DESTDIR)$(BINDIR)/prefork-wsgi \
	    $(DESTDIR)$(MANDIR)/man1/prefork-wsgi.1 \
	    $(DESTDIR)$(PKGLIBDIR)/$(notdir $(WSGI_MODULE))
	-rmdir $(DESTDIR)$(PKGLIBDIR) 2>/dev/null
