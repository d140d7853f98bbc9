# lib/core: libprefork.so.0 and libprefork.a (libc only), its tests, the
# echo example, the ABI and man-page checks.

CORE_CPPFLAGS := -Iinclude -Ilib/core
CORE_SRC      := $(sort $(wildcard lib/core/*.c))
CORE_OBJ      := $(CORE_SRC:%.c=$(B)/%.o)
CORE_SONAME   := libprefork.so.$(VERSION_MAJOR)
CORE_SO       := $(B)/libprefork.so.$(VERSION)
CORE_A        := $(B)/libprefork.a
CORE_PC       := $(B)/libprefork.pc

CORE_TEST_SRC := $(sort $(wildcard tests/core/*.c)) tests/helpers.c
CORE_TEST_OBJ := $(CORE_TEST_SRC:%.c=$(B)/%.o)
CORE_TEST_BIN := $(B)/tests/check_core
ECHO_BIN      := $(B)/examples/echo

all: $(CORE_A) $(CORE_SO) $(CORE_PC) $(ECHO_BIN)

$(B)/lib/core/%.o: lib/core/%.c
	@mkdir -p $(@D)
	$(CC) $(CORE_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(CORE_A): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(CORE_SO): $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(CORE_SONAME) -Wl,--no-undefined \
	    $(ALL_LDFLAGS) -o $@ $^
	ln -sf libprefork.so.$(VERSION) $(B)/$(CORE_SONAME)
	ln -sf $(CORE_SONAME) $(B)/libprefork.so

# Rewritten only when its text changes: `make` then `make install
# PREFIX=/usr` must not install the PREFIX of the first build.
$(CORE_PC): pkgconfig/libprefork.pc.in Makefile FORCE
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    $< > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(B)/tests/core/%.o: tests/core/%.c
	@mkdir -p $(@D)
	$(CC) $(CORE_CPPFLAGS) -Itests $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/helpers.o: tests/helpers.c tests/helpers.h
	@mkdir -p $(@D)
	$(CC) -Iinclude -Itests $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(CORE_TEST_BIN): $(CORE_TEST_OBJ) $(CORE_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CORE_TEST_OBJ) $(CORE_A) $(CHECK_LIBS)

# The README's example is built as a user would build it: no internal
# flags (no -D_GNU_SOURCE), only the headers and the library.
EXAMPLE_CFLAGS := -O2 -g -Wall -Wextra $(filter -fsanitize% -fno-%,$(PF_CFLAGS))
$(ECHO_BIN): examples/echo.c $(CORE_A) $(wildcard include/prefork/*.h)
	@mkdir -p $(@D)
	$(CC) -Iinclude $(EXAMPLE_CFLAGS) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CORE_A)

.PHONY: check-core check-abi check-man
# The echo suite runs the example binary exactly as a user builds it.
check-core: $(CORE_TEST_BIN) $(ECHO_BIN)
	PF_ECHO_BIN=$(ECHO_BIN) $(CORE_TEST_BIN)

# The exported symbols are the ABI: any change must be deliberate.
check-abi: $(CORE_SO)
	nm -D --defined-only $(CORE_SO) | awk '$$2 == "T" || $$2 == "D" || $$2 == "B" { print $$3 }' \
	    | sort > $(B)/libprefork.sym
	diff -u tests/abi/libprefork.sym $(B)/libprefork.sym
	@echo "abi: $$(wc -l < $(B)/libprefork.sym) exported symbols match tests/abi/libprefork.sym"

MAN_PAGES := $(wildcard man/man1/*.1 man/man3/*.3 man/man7/*.7)
check-man:
	@for m in $(MAN_PAGES); do \
	    if head -1 $$m | grep -q '^\.so '; then continue; fi; \
	    out=$$(groff -man -ww -z $$m 2>&1); \
	    if [ -n "$$out" ]; then echo "$$m: $$out"; exit 1; fi; \
	done; echo "man: $(words $(MAN_PAGES)) pages lint clean"

.PHONY: check-install
# Stage an install and build the example with pkg-config alone, as a user
# of the installed library would (the .pc must not bake in DESTDIR).
check-install:
	@rm -rf $(B)/stage
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(B)/stage PREFIX=/usr >/dev/null
	test -L $(B)/stage/usr/lib/$(CORE_SONAME) -a -f $(B)/stage/usr/lib/libprefork.so.$(VERSION)
	test -f $(B)/stage/usr/share/man/man7/libprefork.7 -a -f $(B)/stage/usr/share/man/man3/pf_arbiter.3
	PKG_CONFIG_SYSROOT_DIR=$(CURDIR)/$(B)/stage \
	PKG_CONFIG_LIBDIR=$(CURDIR)/$(B)/stage/usr/lib/pkgconfig \
	    sh -c '$(CC) -Wall -Wextra -Werror -o $(B)/stage/echo examples/echo.c \
	        $$(pkg-config --cflags --libs libprefork)'
	LD_LIBRARY_PATH=$(CURDIR)/$(B)/stage/usr/lib ldd $(B)/stage/echo | grep -q '$(CORE_SONAME) => $(CURDIR)/$(B)/stage'
	test -f $(B)/stage/usr/lib/prefork-wsgi/prefork-wsgi-python.so
	sh scripts/check-staged.sh $(CURDIR)/$(B)/stage
	$(MAKE) --no-print-directory uninstall DESTDIR=$(CURDIR)/$(B)/stage PREFIX=/usr >/dev/null
	test ! -e $(B)/stage/usr/lib/$(CORE_SONAME) -a ! -e $(B)/stage/usr/include/prefork
	test ! -e $(B)/stage/usr/lib/prefork-wsgi -a ! -e $(B)/stage/usr/bin/prefork-wsgi
	@echo "install: staged install builds examples/echo.c with pkg-config alone"

check-suites: check-core check-abi check-man check-install

install: $(CORE_A) $(CORE_SO) $(CORE_PC)
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/prefork \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	$(INSTALL) -m 644 $(CORE_A) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 755 $(CORE_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libprefork.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(CORE_SONAME)
	ln -sf $(CORE_SONAME) $(DESTDIR)$(LIBDIR)/libprefork.so
	$(INSTALL) -m 644 include/prefork/*.h $(DESTDIR)$(INCLUDEDIR)/prefork/
	$(INSTALL) -m 644 $(CORE_PC) $(DESTDIR)$(PKGCONFIGDIR)/
	$(INSTALL) -m 644 $(wildcard man/man3/*.3) $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 644 $(wildcard man/man7/*.7) $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libprefork.a $(DESTDIR)$(LIBDIR)/libprefork.so* \
	    $(DESTDIR)$(PKGCONFIGDIR)/libprefork.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/prefork
	for m in $(notdir $(wildcard man/man3/*.3)); do rm -f $(DESTDIR)$(MANDIR)/man3/$$m; done
	for m in $(notdir $(wildcard man/man7/*.7)); do rm -f $(DESTDIR)$(MANDIR)/man7/$$m; done
