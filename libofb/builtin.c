/*
 * builtin.c - loading the shipped workflows by name.
 *
 * The table itself (names and source texts, with ofb_builtin_count, _name
 * and _source) is generated from the workflows/ .ofb files at build time by
 * workflows/gen-builtins.sh; this file only parses an entry.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int ofb_builtin_load(ofb_workflow **out, const char *name,
                     const ofb_allocator *alloc, ofb_error *err)
{
    const char *src;
    char label[OFB_ID_MAX + 16];
    ofb_parse_opts opts;

    if (out == NULL || name == NULL)
        return ofb__err(err, OFB_EINVAL, "ofb_builtin_load: NULL argument");
    *out = NULL;
    src = ofb_builtin_source(name);
    if (src == NULL) {
        /* Name every built-in, so a typo is easy to correct. */
        char list[400];
        size_t used = 0, i, n = ofb_builtin_count();

        list[0] = '\0';
        for (i = 0; i < n && used < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s",
                             i ? ", " : "", ofb_builtin_name(i));
            if (w < 0)
                break;
            used += (size_t)w;
        }
        ofb__err(err, OFB_ENOTFOUND,
                 "no built-in workflow '%.*s' (built-ins: %s)", OFB_ID_MAX,
                 name, n ? list : "none");
        ofb__err_names(err, NULL, name);
        return OFB_ENOTFOUND;
    }
    snprintf(label, sizeof label, "builtin:%s", name);
    memset(&opts, 0, sizeof opts);
    opts.alloc = alloc;
    return ofb_workflow_parse(out, src, strlen(src), label, &opts, err);
}
