#!/bin/sh
# Installs libofb into a temporary DESTDIR, then compiles and runs a small
# program against it using only `pkg-config --cflags --libs libofb`, linked
# with the shared library. Then uninstalls and checks nothing is left.
set -eu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=/usr/local
make --no-print-directory install DESTDIR="$tmp/root" PREFIX="$prefix" >/dev/null

cat > "$tmp/hello.c" <<'C'
#include <ofb.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    if (strcmp(ofb_version(), OFB_VERSION_STRING) != 0)
        return 1;
    ofb_workflow *wf;
    ofb_error err;
    if (ofb_builtin_load(&wf, "pzzle-customer", NULL, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    ofb_run *run;
    if (ofb_run_new(&run, wf, "install-test", NULL, &err) ||
        ofb_run_start(run, NULL, &err))
        return 1;
    int rc = ofb_run_complete(run, "tags_removed", NULL, &err);
    printf("%s\n", err.message);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return rc == OFB_EPREREQ ? 0 : 1;
}
C

export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
export PKG_CONFIG_PATH="$tmp/root$prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs libofb)
${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/hello" "$tmp/hello.c" $flags
out=$(LD_LIBRARY_PATH="$tmp/root$prefix/lib" "$tmp/hello")
echo "$out" | grep -q "prerequisite 'relationships_removed' is not done"
# The program really uses the shared library, by its soname.
LD_LIBRARY_PATH="$tmp/root$prefix/lib" ldd "$tmp/hello" | grep -q "libofb.so.0"
test -x "$tmp/root$prefix/bin/ofb"
test -f "$tmp/root$prefix/include/ofb.h"

make --no-print-directory uninstall DESTDIR="$tmp/root" PREFIX="$prefix" >/dev/null
left=$(find "$tmp/root" -type f | wc -l)
test "$left" -eq 0
echo "install: 1 passed, 0 failed"
