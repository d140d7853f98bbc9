# lib/log: gunicorn's error log, access log, syslog handler and StatsD
# client for prefork-wsgi (no Python, no libev); see lib/log/log.h.
#
#   make check-logs              the Check suites (byte-exact output)

LOG_CPPFLAGS := -Iinclude -Ilib/log
LOG_SRC      := $(sort $(wildcard lib/log/*.c))
LOG_OBJ      := $(LOG_SRC:%.c=$(B)/%.o)
LOG_A        := $(B)/libpflog.a

LOG_TEST_SRC := $(sort $(wildcard tests/log/*.c))
LOG_TEST_OBJ := $(LOG_TEST_SRC:%.c=$(B)/%.o)
LOG_TEST_BIN := $(B)/tests/check_log_layer

all: $(LOG_A)

$(B)/lib/log/%.o: lib/log/%.c
	@mkdir -p $(@D)
	$(CC) $(LOG_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LOG_A): $(LOG_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/tests/log/%.o: tests/log/%.c
	@mkdir -p $(@D)
	$(CC) $(LOG_CPPFLAGS) -Itests $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The core supplies pf_log()/pf_log_set(), the hook the error log plugs in.
$(LOG_TEST_BIN): $(LOG_TEST_OBJ) $(B)/tests/helpers.o $(LOG_A) $(CORE_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(LOG_TEST_OBJ) $(B)/tests/helpers.o \
	    $(LOG_A) $(CORE_A) $(CHECK_LIBS) -lpthread -lm

.PHONY: check-logs
check-logs: $(LOG_TEST_BIN)
	$(LOG_TEST_BIN)

check-suites: check-logs
