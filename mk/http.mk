# lib/http: internal static archive (no Python, no libev) and its tests.
# Owned by the HTTP layer; see lib/http/http.h.
#
#   make check-http                 the Check suites (corpus + rules)
#   make fuzz [FUZZ_SECONDS=60]     libFuzzer targets (clang), not in check
#   make bench-parser               parse rate vs Debian's http-parser

HTTP_CPPFLAGS := -Ilib/http
HTTP_SRC      := $(sort $(wildcard lib/http/*.c))
HTTP_OBJ      := $(HTTP_SRC:%.c=$(B)/%.o)
HTTP_A        := $(B)/libpfhttp.a

HTTP_TEST_SRC := $(sort $(wildcard tests/http/*.c))
HTTP_TEST_OBJ := $(HTTP_TEST_SRC:%.c=$(B)/%.o)
HTTP_TEST_BIN := $(B)/tests/check_http

ifneq ($(HTTP_SRC),)
all: $(HTTP_A)
endif

$(B)/lib/http/%.o: lib/http/%.c
	@mkdir -p $(@D)
	$(CC) $(HTTP_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(HTTP_A): $(HTTP_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/tests/http/%.o: tests/http/%.c
	@mkdir -p $(@D)
	$(CC) $(HTTP_CPPFLAGS) -Itests $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(HTTP_TEST_BIN): $(HTTP_TEST_OBJ) $(B)/tests/helpers.o $(HTTP_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(HTTP_TEST_OBJ) $(B)/tests/helpers.o \
	    $(HTTP_A) $(CHECK_LIBS)

.PHONY: check-http
check-http: $(HTTP_TEST_BIN)
	$(HTTP_TEST_BIN)

check-suites: check-http

# ---- fuzzing (clang + libFuzzer; not part of make check) ----------------
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -Ilib/http \
                -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_TARGETS := parser chunked

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(HTTP_SRC) lib/http/http.h lib/http/chars.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(HTTP_SRC)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus-$$t; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS)s"; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=4096 -print_final_stats=1 -rss_limit_mb=4096 \
	        -artifact_prefix=$(FUZZ_DIR)/ \
	        $(FUZZ_DIR)/corpus-$$t fuzz/seeds-$$t \
	        > $(FUZZ_DIR)/fuzz_$$t.log 2>&1; \
	    rc=$$?; \
	    grep -E 'number_of_executed_units|peak_rss|ERROR|SUMMARY|^Done' \
	        $(FUZZ_DIR)/fuzz_$$t.log; \
	    if [ $$rc -ne 0 ]; then \
	        echo "fuzz_$$t failed (exit $$rc): see $(FUZZ_DIR)/fuzz_$$t.log"; \
	        exit 1; \
	    fi; \
	done

# ---- parser micro-benchmark (not part of make check) --------------------
BENCH_PARSER_SRC := bench/parser/bench_parser.c
BENCH_PARSER_BIN := build/bench/bench_parser
HTTP_PARSER_OK   := $(shell test -f /usr/include/http_parser.h \
                      && echo 'int main(void){return 0;}' \
                      | $(CC) -x c - -o /dev/null -lhttp_parser 2>/dev/null \
                      && echo 1)

ifeq ($(HTTP_PARSER_OK),1)
BENCH_PARSER_FLAGS := -DHAVE_HTTP_PARSER
BENCH_PARSER_LIBS  := -lhttp_parser
endif

.PHONY: bench-parser
bench-parser: $(BENCH_PARSER_BIN)
	$(BENCH_PARSER_BIN)

$(BENCH_PARSER_BIN): $(BENCH_PARSER_SRC) $(HTTP_SRC) lib/http/http.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Ilib/http \
	    $(BENCH_PARSER_FLAGS) -o $@ $(BENCH_PARSER_SRC) $(HTTP_SRC) \
	    $(BENCH_PARSER_LIBS)
