# bench/: prefork-wsgi side by side with nginx, gunicorn and uWSGI
# (issue 7).  Not part of `make check`: speed is measured here, never
# asserted in a unit test.
#
#   make bench                 full: every app, every server, 3 repeats
#   make bench QUICK=1         hello + Flask, fewer loads, 1 repeat (< 2 min)
#   make bench DURATION=10 REPEATS=5 SERVERS='nginx pfw gunicorn-gthread' \
#              APPS='hello echo' WORKERS=1
#   make bench-deps            install wrk, gunicorn, uwsgi, nginx, flask,
#                              falcon when missing (scripts/deps.sh bench)
#
# Output: the table on stdout; raw rows, the table and server logs under
# build/bench/ (latest.tsv, latest.txt).  Re-render a run with
# /usr/bin/python3 bench/report.py build/bench/latest.tsv.

BENCH_PFW := $(or $(PFW_BIN),build/prefork-wsgi)
BENCH_ARGS := $(if $(filter 1 yes,$(QUICK)),--quick) \
              $(if $(DURATION),--duration $(DURATION)) \
              $(if $(REPEATS),--repeats $(REPEATS)) \
              $(if $(WORKERS),--workers $(WORKERS)) \
              $(if $(SERVERS),--servers '$(SERVERS)') \
              $(if $(APPS),--apps '$(APPS)') \
              --pfw $(BENCH_PFW)

.PHONY: bench bench-deps bench-pfw
bench-deps:
	@sh scripts/deps.sh bench

# Build prefork-wsgi only once some mk/*.mk has a rule for it (mk/cli.mk
# will); until then `make -n` fails and the bench runs the peers only.
bench-pfw:
	@if $(MAKE) --no-print-directory -n $(BENCH_PFW) >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory $(BENCH_PFW); \
	else \
	    echo "bench: no rule for $(BENCH_PFW) yet"; \
	fi

bench: bench-deps bench-pfw
	/usr/bin/python3 bench/run.py $(BENCH_ARGS)

# Per-request instruction counts (callgrind) and syscalls (strace) of the
# hot path, one `-k ev` worker, beside nginx and the apps' own cost
# (bench/profile.py; a few minutes; not part of `make check`).
#   make profile PROFILE_CASES='hello nginx' PROFILE_N=2000
PROFILE_ARGS := $(if $(PROFILE_N),-n $(PROFILE_N)) \
                $(if $(PROFILE_CASES),--cases '$(PROFILE_CASES)') \
                --pfw $(BENCH_PFW)

.PHONY: profile
profile: bench-pfw
	@sh scripts/deps.sh profile
	/usr/bin/python3 bench/profile.py $(PROFILE_ARGS)
