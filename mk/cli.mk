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
# Reserved for the lead / WSGI engineer: cli/main.c and the rule that links
# it with $(CLI_A), the WSGI archive, libprefork and libpython go here.
# cli/main.c is deliberately not part of CLI_LIB_SRC; give it an explicit
# "$(B)/cli/main.o: cli/main.c" rule (it needs $(PY_CFLAGS) and the wsgi
# headers), which takes precedence over the pattern rule above.
PFW_BIN := $(B)/prefork-wsgi

all: $(PFW_BIN)

$(B)/cli/main.o: cli/main.c
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) -Ilib/wsgi -Ilib/http -Ilib/log $(ALL_CFLAGS) \
	    -c -o $@ $<

# The master's logging (lib/log glue), linked into the binary only.
$(B)/cli/logsetup.o: cli/logsetup.c
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) -Ilib/log -Ilib/wsgi $(ALL_CFLAGS) -c -o $@ $<

# lib/log's archive by name: mk/log.mk is read after this file.
$(PFW_BIN): $(B)/cli/main.o $(B)/cli/logsetup.o $(CLI_A) $(WSGI_A) \
    $(B)/libpflog.a $(HTTP_A) $(CORE_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(B)/cli/main.o $(B)/cli/logsetup.o \
	    $(CLI_A) $(WSGI_A) $(B)/libpflog.a $(HTTP_A) $(CORE_A) \
	    $(PY_LIBS) $(EV_LIBS) -lpthread

# `make run`: the bundled example on 127.0.0.1:8000 with the ev worker.
RUN_CMD := $(PFW_BIN) -k ev -w 2 -b 127.0.0.1:8000 --chdir examples hello:app

install: install-cli
uninstall: uninstall-cli
.PHONY: install-cli uninstall-cli
install-cli: $(PFW_BIN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 755 $(PFW_BIN) $(DESTDIR)$(BINDIR)/prefork-wsgi
	$(INSTALL) -m 644 $(CLI_MAN) $(DESTDIR)$(MANDIR)/man1/
uninstall-cli:
	rm -f $(DESTDIR)$(BINDIR)/prefork-wsgi $(DESTDIR)$(MANDIR)/man1/prefork-wsgi.1
