/*
 * --access-logformat as Python's %-formatting: conversions, flags, widths
 * and precisions (expected strings from CPython), and the start-up errors.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "tl.h"

#define HDR(n, v)  { n, sizeof(n) - 1, v, sizeof(v) - 1 }

static const pfw_hdr  req_hdrs[] = {
    HDR("User-Agent", "curl/8.0 \"quoted\""),
    HDR("Authorization", "Basic dXNlcjpwYXNz"),
};


static void
rec(pfw_access_rec *r)
{
    tl_rec(r);
    r->query = "x=1&y=\"2\"";
    r->query_len = strlen(r->query);
    r->status = 404;
    r->sent = 1234;
    r->duration_us = 3045678;
    r->req_headers = req_hdrs;
    r->n_req_headers = 2;
}


static void
check(const char *fmt, const char *want)
{
    pfw_access_rec  r;
    char            out[1024];

    rec(&r);
    tl_render(fmt, &r, out, sizeof(out));
    ck_assert_msg(strcmp(out, want) == 0, "%s: got [%s] want [%s]", fmt, out,
                  want);
}


START_TEST(conversions_as_cpython)
{
    check("%(h)r %(B)r %(T)05d [%(h)-12s] [%(a).3s] %(u)a %(s)r %(B)+d "
          "%(M) 8d %(D).9d %(q)r",
          "'127.0.0.1' 1234 00003 [127.0.0.1   ] [cur] 'user' '404' +1234 "
          "    3045 003045678 'x=1&y=\\\\\"2\\\\\"'");
    check("%(T)08.3d|%(T)-6d|%(a)20.5r|",
          "00000003|3     |               'curl|");
    check("%(B)i %(B)u %(B)ld %(B)hd %(B)Ld %(B)#d", "1234 1234 1234 1234 "
          "1234 1234");
    check("[%(B).0d] [%(B)-05d] [%(B)+.6d] [%(B) 07d]",
          "[1234] [1234 ] [+001234] [ 001234]");
    check("[%(h)05s] [%(h).0s] [%(h).s] [%(h)5.2s] [%(h)#s]",
          "[127.0.0.1] [] [] [   12] [127.0.0.1]");
}
END_TEST


START_TEST(repr_quotes_like_python)
{
    pfw_access_rec  r;
    char            out[256];

    tl_rec(&r);
    r.remote_addr = "it's";
    r.remote_addr_len = 4;
    tl_render("%(h)r", &r, out, sizeof(out));
    ck_assert_str_eq(out, "\"it's\"");
    r.remote_addr = "it's \"x\"";
    r.remote_addr_len = 8;
    /* escaped first (\"), then repr: the backslash doubles */
    tl_render("%(h)r", &r, out, sizeof(out));
    ck_assert_str_eq(out, "'it\\'s \\\\\"x\\\\\"'");
    r.remote_addr = "\t\n\r\x01\x7f\\";
    r.remote_addr_len = 6;
    tl_render("%(h)r", &r, out, sizeof(out));
    ck_assert_str_eq(out, "'\\t\\n\\r\\x01\\x7f\\\\'");
    /* precision cuts the repr, quotes included */
    tl_render("[%(h).3r]", &r, out, sizeof(out));
    ck_assert_str_eq(out, "['\\t]");
    tl_render("%(T)r %(T)a %(l)a", &r, out, sizeof(out));
    ck_assert_str_eq(out, "0 0 '-'");
}
END_TEST


static void
compile_error(const char *fmt, const char *want)
{
    char             err[512] = "";
    pfw_access_fmt  *f;

    f = pfw_access_fmt_compile(fmt, err, sizeof(err));
    ck_assert_msg(f == NULL, "%s compiled", fmt);
    ck_assert_msg(strcmp(err, want) == 0, "%s: [%s]", fmt, err);
}


/* Python's own messages where Python raises. */
START_TEST(invalid_python_formats)
{
    compile_error("%", "access_log_format: incomplete format");
    compile_error("abc %", "access_log_format: incomplete format");
    compile_error("%(h", "access_log_format: incomplete format key");
    compile_error("%(a(b)", "access_log_format: incomplete format key");
    compile_error("%(h)", "access_log_format: incomplete format");
    compile_error("%(h)-5", "access_log_format: incomplete format");
    compile_error("%(h)l", "access_log_format: incomplete format");
    compile_error("%(h)z", "access_log_format: unsupported format character "
                           "'z' (0x7a) at index 4");
    compile_error("%(h)%", "access_log_format: unsupported format character "
                           "'%' (0x25) at index 4");
    compile_error("%5%", "access_log_format: unsupported format character "
                         "'%' (0x25) at index 2");
    compile_error("%(h)lld", "access_log_format: unsupported format "
                             "character 'l' (0x6c) at index 5");
    compile_error("\xc3\xa9 %(h)\xc3\xa9", "access_log_format: unsupported "
                  "format character '?' (0xe9) at index 6");
    compile_error("%(h)5*s", "access_log_format: unsupported format "
                             "character '*' (0x2a) at index 5");
}
END_TEST


/* What gunicorn accepts at start-up but fails on at every request, and
 * what prefork-wsgi does not implement. */
START_TEST(refused_at_startup)
{
    compile_error("%s", "access_log_format: %s at index 1 has no (key): "
                  "gunicorn formats with a mapping of atoms (write %(h)s)");
    compile_error("%(h)s %d", "access_log_format: %d at index 7 has no "
                  "(key): gunicorn formats with a mapping of atoms (write "
                  "%(h)d)");
    compile_error("%(s)d", "access_log_format: %(s)d at index 4: that atom "
                  "is a string, and gunicorn fails every request with \"%d "
                  "format: a real number is required, not str\"; use "
                  "%(s)s");
    compile_error("%({x}i)i", "access_log_format: %({x}i)i at index 7: that "
                  "atom is a string, and gunicorn fails every request with "
                  "\"%i format: a real number is required, not str\"; use "
                  "%({x}i)s");
    compile_error("%(nope)u", "access_log_format: %(nope)u at index 7: that "
                  "atom is a string, and gunicorn fails every request with "
                  "\"%u format: a real number is required, not str\"; use "
                  "%(nope)s");
    compile_error("%(B)x", "access_log_format: %x at index 4 is valid Python "
                  "but not supported by prefork-wsgi; use %s or %d");
    compile_error("%(D)f", "access_log_format: %f at index 4 is valid Python "
                  "but not supported by prefork-wsgi; use %s or %d");
    compile_error("%(h)*s", "access_log_format: '*' width or precision needs "
                  "a positional argument; gunicorn passes a mapping");
    compile_error("%(h).*s", "access_log_format: '*' width or precision "
                  "needs a positional argument; gunicorn passes a mapping");
    compile_error("%(h)5000s", "access_log_format: width too big "
                  "(prefork-wsgi allows at most 4096)");
    compile_error("%(h).99999999999999999999s", "access_log_format: "
                  "precision too big (prefork-wsgi allows at most 4096)");
}
END_TEST


START_TEST(error_buffer_optional)
{
    ck_assert_ptr_null(pfw_access_fmt_compile("%", NULL, 0));
    ck_assert_ptr_null(pfw_access_fmt_compile("%", (char[4]) { 0 }, 4));
}
END_TEST


START_TEST(widths_at_the_limit)
{
    pfw_access_rec  r;
    char            out[8192];

    tl_rec(&r);
    tl_render("%(h)4096s|", &r, out, sizeof(out));
    ck_assert_uint_eq(strlen(out), 4097);
    ck_assert_str_eq(out + 4096 - 9, "127.0.0.1|");
    tl_render("%(B)04096d", &r, out, sizeof(out));
    ck_assert_uint_eq(strlen(out), 4096);
    ck_assert_str_eq(out + 4095, "3");
}
END_TEST


/* A JSON-ish format, as users write them (gunicorn #2457). */
START_TEST(json_style_format)
{
    check("{\"remote\": \"%(h)s\", \"ua\": \"%(a)s\", \"status\": %(s)s, "
          "\"us\": %(D)d}",
          "{\"remote\": \"127.0.0.1\", \"ua\": \"curl/8.0 \\\"quoted\\\"\", "
          "\"status\": 404, \"us\": 3045678}");
}
END_TEST


Suite *
accessfmt_suite(void)
{
    Suite  *s = suite_create("accessfmt");
    TCase  *tc = tcase_create("format");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, conversions_as_cpython);
    tcase_add_test(tc, repr_quotes_like_python);
    tcase_add_test(tc, invalid_python_formats);
    tcase_add_test(tc, refused_at_startup);
    tcase_add_test(tc, error_buffer_optional);
    tcase_add_test(tc, widths_at_the_limit);
    tcase_add_test(tc, json_style_format);
    suite_add_tcase(s, tc);
    return s;
}
