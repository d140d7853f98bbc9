/*
 * Configuration files (pyconfig.c) and server hooks (hooks.c) in process:
 * what each module-level value becomes for the settings engine, hook
 * validation as gunicorn's validate_callable, gunicorn's messages for a
 * file that fails, and hooks called through the proxies (log routing, a
 * raising hook logged).  The whole server is exercised by
 * tests/integration/test_config.py.
 */
#include "tw.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define MAXREC  32

/* What the sink was handed. */
typedef struct {
    char       name[64];
    int        type;
    long long  i;
    char       s[256];
    char       str[256];
    char       tname[64];
    char       items[512];          /* items joined with '|' */
    size_t     n;
} rec;

static rec    recs[MAXREC];
static int    nrecs;
static int    stop_at = -1;         /* set() returns 1 for this record */
static char  *dir;


static int
known(const char *name, int *arity, void *ud)
{
    (void) ud;
    if (strcmp(name, "post_fork") == 0 || strcmp(name, "when_ready") == 0) {
        *arity = strcmp(name, "post_fork") == 0 ? 2 : 1;
        return 2;
    }
    if (strcmp(name, "post_request") == 0) {
        *arity = -1;
        return 2;
    }
    return strncmp(name, "s_", 2) == 0 ? 1 : 0;
}


static int
set(const char *name, const pfw_cfgval *v, void *ud)
{
    rec     *r = &recs[nrecs];
    size_t   i, k = v->type == PFW_CV_DICT ? 2 * v->n : v->n;

    (void) ud;
    ck_assert_int_lt(nrecs, MAXREC);
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->type = v->type;
    r->i = v->i;
    snprintf(r->s, sizeof(r->s), "%s", v->s ? v->s : "");
    snprintf(r->str, sizeof(r->str), "%s", v->str ? v->str : "");
    snprintf(r->tname, sizeof(r->tname), "%s", v->tname ? v->tname : "");
    r->n = v->n;
    for (i = 0; i < k; i++) {
        strncat(r->items, v->items[i], sizeof(r->items) - 2
                                       - strlen(r->items));
        strcat(r->items, "|");
    }
    if (v->type == PFW_CV_OBJECT) {
        snprintf(r->items, sizeof(r->items), "%s", v->items[0]);
    }
    return nrecs++ == stop_at ? 1 : 0;
}


static const rec *
find(const char *name)
{
    int  i;

    for (i = 0; i < nrecs; i++) {
        if (strcmp(recs[i].name, name) == 0) {
            return &recs[i];
        }
    }
    ck_abort_msg("%s was not handed to the sink", name);
    return NULL;
}


static char *
write_file(const char *name, const char *text)
{
    static char  path[PATH_MAX];
    FILE        *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}


/* Run the loader with fd 2 going to a file; its text in *err. */
static int
exec_config(const char *location, char *err, size_t errlen)
{
    static char *const  argv[] = { "check_wsgi", NULL };
    pfw_cfg_sink        sink = { known, set, NULL };
    char                path[PATH_MAX];
    int                 fd, saved, st;
    ssize_t             n;

    snprintf(path, sizeof(path), "%s/stderr", dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    saved = dup(2);
    dup2(fd, 2);
    nrecs = 0;
    st = pfw_config_exec(location, argv, &sink);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, err, errlen - 1, 0);
    err[n > 0 ? n : 0] = '\0';
    close(fd);
    return st;
}


static void
setup(void)
{
    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_eq(chdir(dir), 0);
    tw_log_capture();
}


static void
teardown(void)
{
    th_rmrf(dir);
    free(dir);
}


START_TEST(values_become_typed)
{
    char  err[4096];
    char *path;

    path = write_file("c.py",
        "import os\n"
        "s_none = None\n"
        "s_bool = True\n"
        "s_int = 42\n"
        "s_big = 10 ** 30\n"
        "s_str = 'text'\n"
        "s_tuple = ('a', 'b')\n"
        "s_set = {'only'}\n"
        "s_mixed = ['a', 1]\n"
        "s_float = 1.5\n"
        "s_zero = 0.0\n"
        "s_dict = {'K': 'v', 'N': 1}\n"
        "ignored = 3\n");
    ck_assert_int_eq(exec_config(path, err, sizeof(err)), 0);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(nrecs, 11);                 /* os, ignored: not */
    ck_assert_str_eq(recs[0].name, "s_none");    /* the module's order */
    ck_assert_int_eq(find("s_none")->type, PFW_CV_NONE);
    ck_assert_int_eq(find("s_bool")->type, PFW_CV_BOOL);
    ck_assert_int_eq(find("s_bool")->i, 1);
    ck_assert_int_eq(find("s_int")->type, PFW_CV_INT);
    ck_assert_int_eq(find("s_int")->i, 42);
    ck_assert(find("s_big")->i == LLONG_MIN);
    ck_assert_str_eq(find("s_big")->str, "1000000000000000000000000000000");
    ck_assert_int_eq(find("s_str")->type, PFW_CV_STR);
    ck_assert_str_eq(find("s_str")->s, "text");
    ck_assert_int_eq(find("s_tuple")->type, PFW_CV_LIST);
    ck_assert_str_eq(find("s_tuple")->items, "a|b|");
    ck_assert_str_eq(find("s_set")->items, "only|");
    ck_assert_int_eq(find("s_mixed")->type, PFW_CV_OBJECT);
    ck_assert_str_eq(find("s_mixed")->str, "['a', 1]");
    ck_assert_str_eq(find("s_mixed")->items, "list");
    ck_assert_int_eq(find("s_float")->type, PFW_CV_OBJECT);
    ck_assert_str_eq(find("s_float")->str, "1.5");
    ck_assert_str_eq(find("s_float")->tname, "float");
    ck_assert_int_eq(find("s_float")->i, 1);
    ck_assert_int_eq(find("s_zero")->i, 0);
    ck_assert_int_eq(find("s_dict")->type, PFW_CV_DICT);
    ck_assert_uint_eq(find("s_dict")->n, 2);
    ck_assert_str_eq(find("s_dict")->items, "K|v|N|1|");
    ck_assert_str_eq(find("s_dict")->str, "{'K': 'v', 'N': 1}");
}
END_TEST


START_TEST(module_is_config_in_sys_modules)
{
    char  err[4096], *v;

    ck_assert_int_eq(exec_config(write_file("m.py", "s_x = __name__\n"),
                                 err, sizeof(err)), 0);
    ck_assert_str_eq(find("s_x")->s, "__config__");
    pfw_interp_enter();
    v = tw_py_str("__import__('sys').modules['__config__'].s_x");
    ck_assert_str_eq(v, "__config__");
    free(v);
}
END_TEST


START_TEST(file_prefix_and_python_module)
{
    char  err[4096], loc[PATH_MAX + 8];

    snprintf(loc, sizeof(loc), "file:%s", write_file("f.py", "s_a = 1\n"));
    ck_assert_int_eq(exec_config(loc, err, sizeof(err)), 0);
    ck_assert_int_eq(find("s_a")->i, 1);
    write_file("cfgmod.py", "s_b = 2\n");
    ck_assert_int_eq(exec_config("python:cfgmod", err, sizeof(err)), 0);
    ck_assert_int_eq(find("s_b")->i, 2);
    ck_assert_int_eq(exec_config("python:no_such_mod_x", err, sizeof(err)),
                     1);
    ck_assert_str_eq(err, "\nError: No module named 'no_such_mod_x'\n");
}
END_TEST


START_TEST(failures_say_what_gunicorn_says)
{
    char  err[4096], expect[PATH_MAX + 64], *path;

    path = write_file("bad.py", "s_a = 1\nraise RuntimeError('boom')\n");
    ck_assert_int_eq(exec_config(path, err, sizeof(err)), 1);
    snprintf(expect, sizeof(expect), "Failed to read config file: %s\n"
             "Traceback (most recent call last):\n", path);
    ck_assert_int_eq(strncmp(err, expect, strlen(expect)), 0);
    ck_assert_ptr_nonnull(strstr(err, "RuntimeError: boom\n"));
    ck_assert_int_eq(nrecs, 0);

    snprintf(expect, sizeof(expect), "%s/none.py", dir);
    ck_assert_int_eq(exec_config(expect, err, sizeof(err)), 1);
    ck_assert_ptr_nonnull(strstr(err, "doesn't exist"));

    path = write_file("conf.txt", "s_a = 5\n");
    ck_assert_int_eq(exec_config(path, err, sizeof(err)), 0);
    ck_assert_str_eq(err, "!!!\n!!! WARNING: configuration file should "
                     "have a valid Python extension.\n!!!\n\n");
    ck_assert_int_eq(find("s_a")->i, 5);

    path = write_file("exit0.py", "import sys\nsys.exit()\n");
    ck_assert_int_eq(exec_config(path, err, sizeof(err)), PFW_CONFIG_EXIT_OK);
    path = write_file("exit3.py", "import sys\nsys.exit(3)\n");
    ck_assert_int_eq(exec_config(path, err, sizeof(err)), 3);
}
END_TEST


START_TEST(sink_status_stops_the_run)
{
    char  err[1024];

    stop_at = 1;
    ck_assert_int_eq(exec_config(write_file("s.py",
                                            "s_a = 1\ns_b = 2\ns_c = 3\n"),
                                 err, sizeof(err)), 1);
    ck_assert_int_eq(nrecs, 2);
    stop_at = -1;
}
END_TEST


START_TEST(hooks_are_checked_as_gunicorn_checks_them)
{
    char  err[4096];

    ck_assert_int_eq(exec_config(write_file("h.py",
        "def post_fork(server, worker):\n    pass\n"
        "def post_request(worker, req, environ):\n    pass\n"
        "when_ready = 3\n"), err, sizeof(err)), 0);
    ck_assert_int_eq(find("post_fork")->type, PFW_CV_HOOK);
    ck_assert_str_eq(find("post_fork")->s, "post_fork");
    ck_assert_int_eq(find("post_request")->type, PFW_CV_HOOK);
    ck_assert_str_eq(find("post_request")->s,
                     "validate_post_request.<locals>.<lambda>");
    ck_assert_int_eq(find("when_ready")->type, PFW_CV_INVALID);
    ck_assert_str_eq(find("when_ready")->s, "Value is not callable: 3");
    ck_assert_str_eq(find("when_ready")->str, "3");

    ck_assert_int_eq(exec_config(write_file("a.py",
        "def post_fork(server):\n    pass\n"
        "def post_request(worker):\n    pass\n"
        "when_ready = 'os.nosuchthing'\n"), err, sizeof(err)), 0);
    ck_assert_str_eq(find("post_fork")->s, "Value must have an arity of: 2");
    ck_assert_str_eq(find("post_request")->s,
                     "Value must have an arity of: 4");
    ck_assert_str_eq(find("when_ready")->s,
                     "Can not load 'nosuchthing' from 'os'");
}
END_TEST


START_TEST(hooks_run_with_the_proxies)
{
    char  err[4096], *v;

    ck_assert_int_eq(exec_config(write_file("r.py",
        "seen = []\n"
        "def when_ready(server):\n"
        "    seen.append((server.pid, server.cfg.s_w, server.WORKERS,\n"
        "                 server.cfg.workers_x))\n"
        "    server.log.warning('hook says %s', 'hi')\n"
        "def post_fork(server, worker):\n"
        "    raise ValueError('post_fork broke')\n"), err, sizeof(err)), 0);
    ck_assert_int_eq(pfw_hooks_cfg_add("s_w", PFW_CFG_LITERAL, "[1, 2]"), 0);
    ck_assert_int_eq(pfw_hooks_cfg_add("workers_x", PFW_CFG_NONE, ""), 0);
    ck_assert_int_eq(pfw_hooks_cfg_add("max_requests", PFW_CFG_LITERAL,
                                       "0"), 0);
    ck_assert_int_eq(pfw_hooks_cfg_add("timeout", PFW_CFG_LITERAL, "30"), 0);
    ck_assert_int_eq(pfw_hooks_commit(), 0);
    ck_assert(pfw_hooks_any());
    pfw_interp_enter();
    ck_assert(pfw_hook_set(PFW_H_WHEN_READY));
    ck_assert(!pfw_hook_set(PFW_H_ON_EXIT));
    pfw_hooks_master_start(NULL);
    pfw_hooks_server(PFW_H_WHEN_READY);
    v = tw_py_str("__import__('sys').modules['__config__'].seen");
    ck_assert_int_eq(strncmp(v, "[(", 2), 0);
    ck_assert_ptr_nonnull(strstr(v, ", [1, 2], {}, None)]"));
    free(v);
    ck_assert_ptr_nonnull(strstr(tw_log(), "[WARNING] hook says hi\n"));
    pfw_hooks_pre_fork(7);
    pfw_hooks_forked(4242);
    v = tw_py_str("list(__import__('sys').modules['__config__']"
                  ".seen[0][2].keys())");
    ck_assert_str_eq(v, "[4242]");
    free(v);
    v = tw_py_str("__import__('sys').modules['__config__'].seen[0][2][4242]"
                  ".age");
    ck_assert_str_eq(v, "7");
    free(v);
    pfw_hooks_worker_start(NULL);
    ck_assert_ptr_nonnull(strstr(tw_log(), "[ERROR] Exception in post_fork "
                                 "hook\nTraceback"));
    ck_assert_ptr_nonnull(strstr(tw_log(), "ValueError: post_fork broke"));
}
END_TEST


Suite *
hooks_suite(void)
{
    Suite  *s = suite_create("hooks");
    TCase  *tc = tcase_create("config");
    TCase  *th = tcase_create("hooks");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, values_become_typed);
    tcase_add_test(tc, module_is_config_in_sys_modules);
    tcase_add_test(tc, file_prefix_and_python_module);
    tcase_add_test(tc, failures_say_what_gunicorn_says);
    tcase_add_test(tc, sink_status_stops_the_run);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(th, setup, teardown);
    tcase_set_timeout(th, 30);
    tcase_add_test(th, hooks_are_checked_as_gunicorn_checks_them);
    tcase_add_test(th, hooks_run_with_the_proxies);
    suite_add_tcase(s, th);
    return s;
}
