#!/bin/sh
# Install the Debian packages a build needs, only when some are missing.
# Called by `make run`, `make check` and `make bench`; safe to run again.
#
#   scripts/deps.sh [build|check|bench|profile|fuzz]...
#
# apt-get update runs at most once, and only when something must be installed.
set -eu

pkgs_build="build-essential pkg-config libev-dev python3-dev"
pkgs_check="check groff-base curl python3-flask python3-django systemd valgrind iproute2 nginx-light libnginx-mod-stream python3-pastedeploy"
pkgs_bench="wrk gunicorn uwsgi uwsgi-plugin-python3 nginx-light python3-flask python3-falcon iproute2"
pkgs_profile="valgrind strace nginx-light python3-flask"
pkgs_fuzz="clang libclang-rt-14-dev libhttp-parser-dev"

want=""
[ $# -eq 0 ] && set -- build
for set_ in "$@"; do
    case "$set_" in
    build) want="$want $pkgs_build" ;;
    check) want="$want $pkgs_build $pkgs_check" ;;
    bench) want="$want $pkgs_build $pkgs_bench" ;;
    profile) want="$want $pkgs_build $pkgs_profile" ;;
    fuzz)  want="$want $pkgs_build $pkgs_fuzz" ;;
    *) echo "deps.sh: unknown package set '$set_' (build, check, bench, profile, fuzz)" >&2
       exit 2 ;;
    esac
done

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$s" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages:$missing" >&2
    echo "deps.sh: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
