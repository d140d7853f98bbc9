# lib/http: internal static archive (no Python, no libev) and its tests.
# Owned by the HTTP layer; see lib/http/http.h.

HTTP_CPPFLAGS := -Ilib/http
HTTP_SRC      := $(sort $(wildcard lib/http/*.c))
HTTP_OBJ      := $(HTTP_SRC:%.c=$(B)/%.o)
HTTP_A        := $(B)/libpfhttp.a

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
