#!/bin/sh
# gen-builtins.sh FILE.ofb ... - prints the C source of the built-in
# workflows: each file's name (its basename without .ofb) and its text as a
# C string literal, sorted by name so lookups can use binary search.
#
# POSIX sh and sed only, so that every build can run it.
set -eu

tab=$(printf '\t')
cr=$(printf '\r')

cat <<'HEAD'
/* Generated from the workflows/ .ofb files by workflows/gen-builtins.sh;
 * do not edit. */
#include <string.h>

#include "ofb.h"

/* Whole .ofb files are longer than the 4095 bytes C11 promises for one
 * literal; gcc and clang take far more. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Woverlength-strings"
#endif

struct ofb__builtin_src {
    const char *name;
    const char *text;
};

/* Sorted by name; the last entry is a sentinel so that an empty list is
 * still valid C. */
static const struct ofb__builtin_src ofb__builtin_srcs[] = {
HEAD

# "name<TAB>path" pairs, sorted by name (LC_ALL=C: byte order, as strcmp).
for f in "$@"; do
    b=${f##*/}
    n=${b%.ofb}
    printf '%s\t%s\n' "$n" "$f"
done | LC_ALL=C sort -t "$tab" -k 1,1 | while IFS=$tab read -r n f; do
    # Names are ids in practice; escaped all the same, like the text.
    printf '    {"%s",\n' "$(printf '%s' "$n" | sed -e 's/[\\"?]/\\&/g')"
    # Backslash and quote escaped; "?" escaped so that no trigraph forms;
    # TAB and CR written as escapes; other bytes (UTF-8) kept as they are.
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' \
        -e "s/$tab/\\\\t/g" -e "s/$cr/\\\\r/g" \
        -e 's/^/     "/' -e 's/$/\\n"/' "$f"
    printf '    },\n'
done

cat <<'TAIL'
    {NULL, NULL}
};

#define OFB__NBUILTINS \
    (sizeof ofb__builtin_srcs / sizeof ofb__builtin_srcs[0] - 1)

size_t ofb_builtin_count(void)
{
    return OFB__NBUILTINS;
}

const char *ofb_builtin_name(size_t i)
{
    return i < OFB__NBUILTINS ? ofb__builtin_srcs[i].name : NULL;
}

const char *ofb_builtin_source(const char *name)
{
    size_t lo = 0, hi = OFB__NBUILTINS;

    if (name == NULL)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, ofb__builtin_srcs[mid].name);
        if (c == 0)
            return ofb__builtin_srcs[mid].text;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
TAIL
