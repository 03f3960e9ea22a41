/*
 * test_regress.c - one test for each bug that fuzzing found, named after
 * what used to go wrong. Several of them fail only under the sanitizers
 * (make check SANITIZE=1), which is where they were found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct text {
    char buf[8192];
    size_t len;
} text;

static int collect(const char *d, size_t n, void *payload)
{
    text *t = payload;
    if (t->len + n >= sizeof t->buf)
        return OFB_ELIMIT;
    memcpy(t->buf + t->len, d, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return 0;
}

/* import.c passed a NULL array to qsort when a checklist gave no order at
 * all (one item): undefined behaviour, caught by UBSan. */
static void test_checklist_of_one_item_imports_cleanly(void **state)
{
    (void)state;
    static const char md[] = "- [ ] Admin >> Archive the client in XPM\n";
    text out = {{0}, 0};
    ofb_error err;
    assert_int_equal(ofb_import_checklist(md, sizeof md - 1, "one.md",
                                          collect, &out, NULL, NULL, &err),
                     0);
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_parse(&wf, out.buf, out.len, "one.ofb",
                                        NULL, &err), 0);
    assert_int_equal(ofb_workflow_step_count(wf), 1);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checklist_of_one_item_imports_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
