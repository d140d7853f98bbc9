#!/bin/sh
# make check-install: the staged prefork-wsgi (STAGE/usr/bin) serves
# examples/hello.py once, finding its Python module where `make install`
# put it (STAGE/usr/lib/prefork-wsgi), with no override: --check-config
# (Python in the master), then one request to a worker, which loads the
# module after its fork.  Waits poll with a deadline; nothing sleeps blind.
set -eu
stage=$1
bin=$stage/usr/bin/prefork-wsgi
sock=$stage/hello.sock
unset PREFORK_WSGI_MODULE GUNICORN_CMD_ARGS 2>/dev/null || true
# SANITIZE=1: the embedded interpreter keeps its allocations until exit,
# as in every other target that runs the binary (mk/wsgi.mk)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export ASAN_OPTIONS
cd "$(dirname "$0")/../examples"
"$bin" --check-config hello:app
"$bin" -w 1 -k ev -b "unix:$sock" hello:app 2> "$stage/hello.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
i=0
until [ -S "$sock" ]; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 $pid 2>/dev/null; then
        echo "staged prefork-wsgi did not start:"; cat "$stage/hello.log"
        exit 1
    fi
    sleep 0.05
done
body=$(curl -sS --max-time 20 --unix-socket "$sock" http://localhost/)
if [ "$body" != "Hello, World!" ]; then
    echo "staged prefork-wsgi answered '$body':"; cat "$stage/hello.log"
    exit 1
fi
kill -TERM $pid
wait $pid
trap - EXIT
echo "install: the staged prefork-wsgi served examples/hello.py"
