/*
 * python3 linked against libpython3.11.so, as prefork-wsgi embeds it, for
 * bench/profile.py's direct-call loops: Debian's /usr/bin/python3 is a
 * separate build (the interpreter linked in, not PIC), which runs the same
 * Python code in fewer instructions, so the app's own cost is measured
 * both ways.
 */
#include <Python.h>


int
main(int argc, char **argv)
{
    return Py_BytesMain(argc, argv);
}
