#!/bin/sh
# Installs what the tests need, only when it is missing: cmocka, SWIG, the
# Python headers, pkg-config. Debian packages; needs root (or sudo).
set -eu

missing=""
have_header() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1; }

have_header stdarg.h || missing="$missing build-essential"
# cmocka.h needs the standard headers it uses to be included first.
printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <cmocka.h>\n' |
    ${CC:-cc} -E -x c - >/dev/null 2>&1 || missing="$missing libcmocka-dev"
command -v swig >/dev/null 2>&1 || missing="$missing swig"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
python3 -c 'import sysconfig, os, sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
    2>/dev/null || missing="$missing python3-dev"

if [ -z "$missing" ]; then
    echo "test dependencies: all present"
    exit 0
fi
echo "test dependencies: installing$missing"
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $missing
