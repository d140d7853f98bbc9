/*
 * APP_MODULE forms and gunicorn's exit classes: 3 (the import raised; the
 * traceback is logged under "Exception in worker process") and 4 (the
 * module imported but names no usable callable; gunicorn's one-line
 * message).  Apps live in tests/apps.
 */
#include "tw.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"


static int
load(const char *spec)
{
    pfw_app  app;

    ck_assert_int_eq(chdir(PFW_TEST_APPS), 0);
    tw_app(&app, spec);
    tw_log_capture();
    ck_assert_int_eq(pfw_interp_start(&app), 0);
    return pfw_app_load(&app);
}


/* str(expr) evaluated with the loaded callable bound to "app". */
static char *
about_app(const char *expr)
{
    PyObject  *g = PyModule_GetDict(PyImport_AddModule("__main__"));

    ck_assert_ptr_nonnull(pfw_app_callable());
    ck_assert_int_eq(PyDict_SetItemString(g, "app", pfw_app_callable()), 0);
    return tw_py_str(expr);
}


static void
expect_log(const char *needle)
{
    if (strstr(tw_log(), needle) == NULL) {
        ck_abort_msg("log lacks \"%s\":\n%s", needle, tw_log());
    }
}


START_TEST(module_alone_means_application)
{
    char *s;

    ck_assert_int_eq(load("loadme"), 0);
    s = about_app("app.__name__ + ':' + app.__module__");
    ck_assert_str_eq(s, "application:loadme");
    free(s);
}
END_TEST


START_TEST(module_colon_name)
{
    char *s;

    ck_assert_int_eq(load("loadme:app"), 0);
    s = about_app("app is __import__('loadme').application");
    ck_assert_str_eq(s, "True");
    free(s);
}
END_TEST


START_TEST(factory_call_without_args)
{
    char *s;

    ck_assert_int_eq(load("loadme:factory()"), 0);
    s = about_app("app is __import__('loadme').application");
    ck_assert_str_eq(s, "True");
    free(s);
}
END_TEST


START_TEST(factory_call_with_literal_args)
{
    char *s;

    ck_assert_int_eq(load("loadme:factory_args('x', b=[1, {'k': None}])"), 0);
    s = about_app("app.args");
    ck_assert_str_eq(s, "('x', [1, {'k': None}])");
    free(s);
}
END_TEST


START_TEST(missing_attribute_is_4)
{
    ck_assert_int_eq(load("loadme:nope"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Failed to find attribute 'nope' in 'loadme'.\n");
    /* the traceback only at the debug level, as gunicorn */
    ck_assert_ptr_null(strstr(tw_log(), "[ERROR] Exception"));
    expect_log("[DEBUG] Exception while loading the application\n"
               "Traceback");
    ck_assert_ptr_null(pfw_app_callable());
}
END_TEST


START_TEST(factory_wrong_args_is_4)
{
    ck_assert_int_eq(load("loadme:factory_args()"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] TypeError: factory_args() missing 1 required "
               "positional argument: 'a'\n");
}
END_TEST


START_TEST(typeerror_inside_factory_is_3)
{
    ck_assert_int_eq(load("loadme:factory_raises()"), PF_EXIT_BOOT);
    expect_log("[ERROR] Exception in worker process\nTraceback");
    expect_log("TypeError: raised inside the factory");
}
END_TEST


START_TEST(none_object_is_4)
{
    ck_assert_int_eq(load("loadme:none_obj"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Failed to find application object: 'none_obj'\n");
}
END_TEST


START_TEST(not_callable_is_4)
{
    ck_assert_int_eq(load("loadme:not_callable"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Application object must be callable.\n");
}
END_TEST


START_TEST(dotted_attribute_is_4)
{
    ck_assert_int_eq(load("loadme:app.x"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Failed to parse 'app.x' as an attribute name or "
               "function call.\n");
}
END_TEST


START_TEST(dotted_function_is_4)
{
    ck_assert_int_eq(load("loadme:a.factory()"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Function reference must be a simple name: "
               "'a.factory()'\n");
}
END_TEST


START_TEST(non_literal_args_is_4)
{
    ck_assert_int_eq(load("loadme:factory_args(x)"), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Failed to parse arguments as literal values: "
               "'factory_args(x)'\n");
}
END_TEST


START_TEST(syntax_error_in_expr_is_4)
{
    ck_assert_int_eq(load("loadme:factory("), PF_EXIT_APPLOAD);
    expect_log("[ERROR] Failed to parse 'factory(' as an attribute name or "
               "function call.\n");
}
END_TEST


START_TEST(missing_module_is_3)
{
    ck_assert_int_eq(load("prefork_wsgi_absent_mod"), PF_EXIT_BOOT);
    expect_log("[ERROR] Exception in worker process\n"
               "Traceback (most recent call last):\n");
    expect_log("ModuleNotFoundError: No module named "
               "'prefork_wsgi_absent_mod'");
}
END_TEST


START_TEST(broken_import_is_3)
{
    ck_assert_int_eq(load("broken_import:app"), PF_EXIT_BOOT);
    expect_log("broken_import.py");
    expect_log("ModuleNotFoundError: No module named "
               "'prefork_wsgi_no_such_module_xyz'");
}
END_TEST


START_TEST(raise_at_import_is_3)
{
    ck_assert_int_eq(load("raise_at_import"), PF_EXIT_BOOT);
    expect_log("RuntimeError: boom at import time");
}
END_TEST


START_TEST(file_name_hint_is_3)
{
    ck_assert_int_eq(load("loadme.py"), PF_EXIT_BOOT);
    expect_log("ImportError: Failed to find application, did you mean "
               "'loadme:application'?");
}
END_TEST


START_TEST(no_spec_is_3)
{
    ck_assert_int_eq(load(NULL), PF_EXIT_BOOT);
    expect_log("No application module specified.");
}
END_TEST


/* A module beside cwd (gunicorn puts cwd on sys.path), one found only
 * through --pythonpath. */
START_TEST(cwd_and_pythonpath_modules)
{
    pfw_app  app;
    char    *dir, *s;
    FILE    *f;

    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(mkdir("lib", 0700), 0);
    f = fopen("lib/inlib.py", "w");
    ck_assert_ptr_nonnull(f);
    fputs("def application(e, s):\n    return []\n", f);
    ck_assert_int_eq(fclose(f), 0);

    tw_app(&app, "inlib");
    app.pythonpath = "lib";
    tw_log_capture();
    ck_assert_int_eq(pfw_interp_start(&app), 0);
    ck_assert_int_eq(pfw_app_load(&app), 0);
    s = about_app("app.__module__");
    ck_assert_str_eq(s, "inlib");
    free(s);
    th_rmrf(dir);
    free(dir);
}
END_TEST


Suite *
app_suite(void)
{
    Suite  *s = suite_create("app");
    TCase  *tc = tcase_create("forms");
    TCase  *te = tcase_create("errors");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, module_alone_means_application);
    tcase_add_test(tc, module_colon_name);
    tcase_add_test(tc, factory_call_without_args);
    tcase_add_test(tc, factory_call_with_literal_args);
    tcase_add_test(tc, cwd_and_pythonpath_modules);
    suite_add_tcase(s, tc);

    tcase_set_timeout(te, 30);
    tcase_add_test(te, missing_attribute_is_4);
    tcase_add_test(te, factory_wrong_args_is_4);
    tcase_add_test(te, typeerror_inside_factory_is_3);
    tcase_add_test(te, none_object_is_4);
    tcase_add_test(te, not_callable_is_4);
    tcase_add_test(te, dotted_attribute_is_4);
    tcase_add_test(te, dotted_function_is_4);
    tcase_add_test(te, non_literal_args_is_4);
    tcase_add_test(te, syntax_error_in_expr_is_4);
    tcase_add_test(te, missing_module_is_3);
    tcase_add_test(te, broken_import_is_3);
    tcase_add_test(te, raise_at_import_is_3);
    tcase_add_test(te, file_name_hint_is_3);
    tcase_add_test(te, no_spec_is_3);
    suite_add_tcase(s, te);
    return s;
}
