/*
 * The embedded interpreter: prefix and sys.executable never come from the
 * python3 on PATH, VIRTUAL_ENV selects a venv, Python installs no signal
 * handlers, sys.path gets cwd and --pythonpath, and the fork discipline
 * (PyOS_BeforeFork / AfterFork_*) keeps children usable even while other
 * Python threads run in the parent.
 */
#include "tw.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"


static void
start(const char *pythonpath)
{
    pfw_app  app;

    tw_app(&app, NULL);
    app.pythonpath = pythonpath;
    tw_log_capture();
    ck_assert_int_eq(pfw_interp_start(&app), 0);
    ck_assert(pfw_interp_live());
}


START_TEST(prefix_is_libpythons_own)
{
    char  *exe, *prefix, *base;

    unsetenv("VIRTUAL_ENV");
    start(NULL);
    exe = tw_py_str("__import__('sys').executable");
    prefix = tw_py_str("__import__('sys').prefix");
    base = tw_py_str("__import__('sys').base_prefix");
    ck_assert_str_eq(exe, PFW_TEST_PYTHON);
    /* PFW_TEST_PYTHON is PREFIX/bin/pythonX.Y */
    ck_assert_int_eq(strncmp(PFW_TEST_PYTHON, prefix, strlen(prefix)), 0);
    ck_assert_int_eq(strncmp(PFW_TEST_PYTHON + strlen(prefix),
                             "/bin/python", 11), 0);
    ck_assert_str_eq(prefix, base);
    ck_assert_ptr_null(strstr(prefix, ".pyenv"));
    free(exe);
    free(prefix);
    free(base);
}
END_TEST


START_TEST(stdlib_matches_the_headers)
{
    char  *v, *os_file, *want;

    unsetenv("VIRTUAL_ENV");
    start(NULL);
    v = tw_py_str("'%d.%d' % __import__('sys').version_info[:2]");
    ck_assert_int_eq(asprintf(&want, "%d.%d", PY_MAJOR_VERSION,
                              PY_MINOR_VERSION), (int) strlen(want));
    ck_assert_str_eq(v, want);
    /* the os module comes from the same prefix, not from a pyenv tree */
    os_file = tw_py_str("__import__('os').__file__");
    ck_assert_ptr_null(strstr(os_file, ".pyenv"));
    ck_assert_ptr_nonnull(strstr(os_file, want));
    free(v);
    free(os_file);
    free(want);
}
END_TEST


START_TEST(no_python_signal_handlers)
{
    struct sigaction  sa;

    /* Check's runner may leave handlers: start from the defaults. */
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    start(NULL);
    ck_assert_int_eq(sigaction(SIGINT, NULL, &sa), 0);
    ck_assert_ptr_eq((void *) sa.sa_handler, (void *) SIG_DFL);
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    ck_assert_ptr_eq((void *) sa.sa_handler, (void *) SIG_DFL);
}
END_TEST


START_TEST(sys_path_has_cwd_first_then_pythonpath)
{
    char  *dir, *p0, *p1, *p2, *cwd;
    char   rel[64], abs[512];

    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(mkdir("one", 0700), 0);
    ck_assert_int_eq(mkdir("two", 0700), 0);
    snprintf(rel, sizeof(rel), "one,%s", "two");
    start(rel);
    cwd = tw_py_str("__import__('os').getcwd()");
    p0 = tw_py_str("__import__('sys').path[0]");
    p1 = tw_py_str("__import__('sys').path[1]");
    p2 = tw_py_str("__import__('sys').path[2]");
    /* each entry is inserted at the front: the last listed comes first */
    snprintf(abs, sizeof(abs), "%s/two", cwd);
    ck_assert_str_eq(p0, abs);
    snprintf(abs, sizeof(abs), "%s/one", cwd);
    ck_assert_str_eq(p1, abs);
    ck_assert_str_eq(p2, cwd);
    free(p0);
    free(p1);
    free(p2);
    free(cwd);
    th_rmrf(dir);
    free(dir);
}
END_TEST


/* A venv made from the Debian interpreter, with a module only its
 * site-packages holds. */
START_TEST(virtual_env_decides_prefix_and_site)
{
    char   *dir, *venv, *cmd, *mod, *prefix, *val, *exe;
    FILE   *f;

    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_gt(asprintf(&venv, "%s/venv", dir), 0);
    ck_assert_int_gt(asprintf(&cmd, "%s -m venv --without-pip %s",
                              PFW_TEST_PYTHON, venv), 0);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_gt(asprintf(&mod,
                              "%s/lib/python%d.%d/site-packages/venvonly.py",
                              venv, PY_MAJOR_VERSION, PY_MINOR_VERSION), 0);
    f = fopen(mod, "w");
    ck_assert_ptr_nonnull(f);
    fputs("VALUE = 'from the venv'\n", f);
    ck_assert_int_eq(fclose(f), 0);

    ck_assert_int_eq(setenv("VIRTUAL_ENV", venv, 1), 0);
    start(NULL);
    prefix = tw_py_str("__import__('sys').prefix");
    ck_assert_str_eq(prefix, venv);
    val = tw_py_str("__import__('venvonly').VALUE");
    ck_assert_str_eq(val, "from the venv");
    exe = tw_py_str("__import__('sys').executable");
    ck_assert_int_eq(strncmp(exe, venv, strlen(venv)), 0);
    free(prefix);
    free(val);
    free(exe);
    free(mod);
    free(cmd);
    th_rmrf(dir);
    free(venv);
    free(dir);
}
END_TEST


/* Forks with Python threads busy in the parent (the master after
 * --preload).  In each child the at-fork hooks ran, threading knows only
 * the forking thread, and new threads work; the parent saw its own hooks
 * once per fork.  (Modules are imported before the threads start: a fork
 * while another thread imports can leave that module's lock held in the
 * child, a CPython limitation no embedder can fix.) */
START_TEST(fork_discipline_with_busy_threads)
{
    PyGILState_STATE  g;
    pid_t             pids[6];
    char             *counts;
    int               i, status;

    start(NULL);
    ck_assert_int_eq(tw_py_run(
        "import threading, time, json, os\n"
        "seen = {'before': 0, 'parent': 0, 'child': 0}\n"
        "def hook(k):\n"
        "    def f(): seen[k] += 1\n"
        "    return f\n"
        "os.register_at_fork(before=hook('before'),\n"
        "                    after_in_parent=hook('parent'),\n"
        "                    after_in_child=hook('child'))\n"
        "stop = False\n"
        "def spin():\n"
        "    n = 0\n"
        "    while not stop:\n"
        "        n += 1\n"
        "        if n % 1000 == 0:\n"
        "            json.dumps({'n': n})\n"
        "            time.sleep(0)\n"
        "ts = [threading.Thread(target=spin, daemon=True) for _ in range(3)]\n"
        "for t in ts: t.start()\n"), 0);
    pfw_interp_release();
    for (i = 0; i < 6; i++) {
        pfw_interp_before_fork();
        pids[i] = fork();
        if (pids[i] == 0) {
            pfw_interp_after_fork_child();
            _exit(tw_py_run(
                "assert seen['child'] == 1, seen\n"
                "assert threading.active_count() == 1, threading.enumerate()\n"
                "assert threading.current_thread() is threading.main_thread()\n"
                "out = []\n"
                "t = threading.Thread(target=lambda: out.append(os.getpid()))\n"
                "t.start(); t.join()\n"
                "assert out == [os.getpid()]\n"
                "json.loads(json.dumps([1, 2]))\n") == 0 ? 0 : 1);
        }
        pfw_interp_after_fork_parent();
        ck_assert_int_gt(pids[i], 0);
    }
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(th_wait(pids[i], &status, 10000), pids[i]);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    g = PyGILState_Ensure();
    counts = tw_py_str("(seen['before'], seen['parent'], seen['child'], "
                       "threading.active_count())");
    PyGILState_Release(g);
    ck_assert_str_eq(counts, "(6, 6, 0, 4)");
    free(counts);
}
END_TEST


START_TEST(exception_logged_with_traceback)
{
    start(NULL);
    ck_assert_int_ne(tw_py_run("def f():\n    raise ValueError('xyzzy')\n"),
                     -1);
    PyRun_SimpleString("");
    ck_assert_ptr_null(PyRun_String("f()", Py_eval_input,
                       PyModule_GetDict(PyImport_AddModule("__main__")),
                       PyModule_GetDict(PyImport_AddModule("__main__"))));
    pfw_log_exception(PF_LOG_ERROR, "Error handling request GET /");
    ck_assert(!PyErr_Occurred());
    ck_assert_ptr_nonnull(strstr(tw_log(),
                          "[ERROR] Error handling request GET /\n"
                          "Traceback (most recent call last):\n"));
    ck_assert_ptr_nonnull(strstr(tw_log(), "ValueError: xyzzy"));
}
END_TEST


/* A long traceback is split at line ends into several log calls, none
 * over lib/core's 4 KiB limit, and nothing is lost. */
START_TEST(long_text_split_at_newlines)
{
    char    text[20000];
    size_t  n = 0;
    int     i;
    char   *p;

    for (i = 0; i < 500; i++) {
        n += (size_t) snprintf(text + n, sizeof(text) - n,
                               "line %03d of the long traceback\n", i);
    }
    tw_log_capture();
    pfw_log_text(PF_LOG_ERROR, "head", text, n);
    ck_assert_ptr_nonnull(strstr(tw_log(), "[ERROR] head\n"));
    for (i = 0; i < 500; i += 37) {
        char want[64];

        snprintf(want, sizeof(want), "line %03d of the long traceback\n", i);
        ck_assert_ptr_nonnull(strstr(tw_log(), want));
    }
    /* no line was cut in the middle: every piece starts with "line " */
    for (p = strstr(tw_log(), "] line"); p != NULL;
         p = strstr(p + 1, "] line"))
    {
        ck_assert_int_eq(strncmp(p + 2, "line ", 5), 0);
    }
}
END_TEST


Suite *
interp_suite(void)
{
    Suite  *s = suite_create("interp");
    TCase  *tc = tcase_create("interp");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, prefix_is_libpythons_own);
    tcase_add_test(tc, stdlib_matches_the_headers);
    tcase_add_test(tc, no_python_signal_handlers);
    tcase_add_test(tc, sys_path_has_cwd_first_then_pythonpath);
    tcase_add_test(tc, virtual_env_decides_prefix_and_site);
    tcase_add_test(tc, fork_discipline_with_busy_threads);
    tcase_add_test(tc, exception_logged_with_traceback);
    tcase_add_test(tc, long_text_split_at_newlines);
    suite_add_tcase(s, tc);
    return s;
}
