# tests/reliability: the fault suite (issue 8).  The real binary under
# reloads, kills, hostile clients, overload and misbehaving apps, driven by
# Debian's interpreter (the one the server embeds) with a C load client.
#
#   make check-reliability   fast cases (part of `make check`, ~1 min)
#   make stress              long cases (not in check, < 15 min): 1,000
#                            slowloris, 1 GiB up/down, EMFILE, 1,000,000
#                            requests, valgrind
#   make stress ONLY=NAME    one case (a unittest name filter, -k NAME)
#
# Loopback only; every loop is bounded in count and time.  Cases that fail
# because the server lacks a behaviour are listed in
# tests/reliability/KNOWN_FAILURES and skipped unless REL_KNOWN=1.
# Figures of the last run: $(B)/reliability/figures.tsv.

REL_LOADGEN := $(B)/tests/reliability/loadgen
REL_PY      := $(or $(PY_EXE),/usr/bin/python3)
REL_ENV      = ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} \
               PYTHONDONTWRITEBYTECODE=1 \
               PREFORK_WSGI=$(abspath $(B)/prefork-wsgi) \
               REL_LOADGEN=$(abspath $(REL_LOADGEN)) \
               REL_FIGURES=$(abspath $(B)/reliability/figures.tsv) \
               $(if $(REL_KNOWN),REL_KNOWN=$(REL_KNOWN))

$(REL_LOADGEN): tests/reliability/loadgen.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

.PHONY: check-reliability stress
check-reliability: $(B)/prefork-wsgi $(REL_LOADGEN)
	@mkdir -p $(B)/reliability
	$(REL_ENV) timeout 300 $(REL_PY) -m unittest -v \
	    tests/reliability/test_fast.py

stress: $(B)/prefork-wsgi $(REL_LOADGEN)
	@mkdir -p $(B)/reliability
	$(REL_ENV) timeout 900 $(REL_PY) -m unittest -v \
	    tests/reliability/test_stress.py $(if $(ONLY),-k $(ONLY))

check-suites: check-reliability
