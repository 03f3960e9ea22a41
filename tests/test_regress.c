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

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

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

/* A copy of a memory store's bytes in a new memory store, as a host that
 * keeps journals elsewhere would hand them back. */
static ofb_store *copy_store(ofb_store *s)
{
    const char *data;
    size_t len;
    ofb_store *c;
    assert_int_equal(ofb_store_memory_data(s, &data, &len), 0);
    assert_int_equal(ofb_store_memory(&c), 0);
    assert_int_equal(c->append(c, data, len), 0);
    return c;
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

/* Headings whose ids differ only by '_' ("stag_e" from "Stag\x7fe 1",
 * "stage" from "Stage 1") were kept apart as guard values but merged in
 * the choice input, so the imported text did not parse: "input 'tier' has
 * no value 'stage'". */
static void test_tiers_that_differ_only_by_an_underscore_stay_apart(
    void **state)
{
    (void)state;
    static const char md[] = "### t 1\n- [ ] c\n"
                             "### Stag\x7f" "e 1\n- [ ] Technician >\x7fs\n"
                             "### Stage 1\n- [ ] k\n- [ ] Technician >\x7fs";
    text out = {{0}, 0};
    ofb_error err;
    assert_int_equal(ofb_import_checklist(md, sizeof md - 1, "m.md", collect,
                                          &out, NULL, NULL, &err), 0);
    ofb_workflow *wf;
    int rc = ofb_workflow_parse(&wf, out.buf, out.len, "m.ofb", NULL, &err);
    if (rc)
        fail_msg("%s\n%s", err.message, out.buf);
    size_t ix;
    ofb_input_info in;
    assert_int_equal(ofb_workflow_find_input(wf, "tier", &ix), 0);
    assert_int_equal(ofb_workflow_input(wf, ix, &in), 0);
    assert_int_equal(in.nchoices, 3);
    ofb_workflow_unref(wf);
}

/* Sections labelled "tier: e#m" and "tier: em" further on are one input
 * with one value; the second one's guard still named its own spelling,
 * "e_m", which the input did not have. */
static void test_a_labelled_tier_spelled_two_ways_is_one_value(void **state)
{
    (void)state;
    static const char md[] = "### tier: m\n- [ ] b\n"
                             "### tier: e#m\n- [ ] n\n"
                             "## tier: em\n- [ ] n\n"
                             "## tier: e\n- [ ] n";
    text out = {{0}, 0};
    ofb_error err;
    assert_int_equal(ofb_import_checklist(md, sizeof md - 1, "t.md", collect,
                                          &out, NULL, NULL, &err), 0);
    ofb_workflow *wf;
    int rc = ofb_workflow_parse(&wf, out.buf, out.len, "t.ofb", NULL, &err);
    if (rc)
        fail_msg("%s\n%s", err.message, out.buf);
    ofb_workflow_unref(wf);
}

/* A DEL byte in a title or guard was accepted by the definition API, but
 * the parser refuses it raw and .ofb strings cannot escape it: the
 * canonical text did not parse back, and a journal written for such a
 * workflow could not be reopened ("the definition in the header does not
 * parse"). */
static void test_a_del_byte_is_refused_where_the_text_could_not_be_read_back(
    void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_error err;
    assert_int_equal(ofb_workflow_new(&wf, "w", 1, NULL, &err), 0);
    assert_int_equal(ofb_workflow_set_title(wf, "Offboard \x7f" "Acme", &err),
                     OFB_EINVAL);
    assert_non_null(strstr(err.message, "control character"));
    tu_input(wf, "who", OFB_TYPE_STRING, 0, NULL);
    ofb_step_def d;
    memset(&d, 0, sizeof d);
    d.id = "a";
    d.title = "A";
    d.when = "who == \"x\x7f" "y\"";
    assert_int_equal(ofb_workflow_add_step(wf, &d, &err), OFB_EINVAL);
    d.when = NULL;
    d.title = "A\x7f";
    assert_int_equal(ofb_workflow_add_step(wf, &d, &err), OFB_EINVAL);
    assert_int_equal(ofb_workflow_step_count(wf), 0);
    ofb_workflow_unref(wf);
}

/* A guard string cut short right after a backslash, `who == "Acme\`, was
 * taken as the string "Acme" instead of being refused as unterminated. */
static void test_a_guard_string_ending_in_a_backslash_is_unterminated(
    void **state)
{
    (void)state;
    static const char src[] = "workflow w 1\n"
                              "input who string\n"
                              "step a \"A\"\n"
                              "  when who == \"Acme\\\n";
    ofb_workflow *wf = NULL;
    ofb_error err;
    assert_int_equal(ofb_workflow_parse(&wf, src, sizeof src - 1, "w.ofb",
                                        NULL, &err), OFB_ESYNTAX);
    assert_non_null(strstr(err.message, "unterminated string"));
    assert_null(wf);
}

static int handler_crashes(ofb_call *call, void *payload)
{
    (void)call;
    (void)payload;
    return OFB_EUSER; /* as if the process had died in the handler */
}

static int it_did_happen(ofb_run *run, size_t step, const char *key,
                         void *payload)
{
    (void)run;
    (void)step;
    (void)key;
    (void)payload;
    return OFB_VERIFY_DONE;
}

/* A step with a `wait`, left in doubt and verified done after reopening,
 * must go waiting. The run had no timer arrays yet, and the verify event
 * did not ask for them: a write through a NULL pointer. */
static void test_verified_in_doubt_step_with_a_wait_goes_waiting(void **state)
{
    (void)state;
    static const char src[] =
        "workflow xpm-sync 1\n"
        "step full_sync \"Run a full client sync in Nimbus\"\n"
        "  role admin\n"
        "  wait nimbus_sync_done timeout 2d\n"
        "step entity_checked \"Check the client entity\"\n"
        "  after full_sync\n"
        "  manual\n";
    ofb_workflow *wf;
    ofb_error err;
    assert_int_equal(ofb_workflow_parse(&wf, src, sizeof src - 1, NULL, NULL,
                                        &err), 0);
    ofb_store *s;
    assert_int_equal(ofb_store_memory(&s), 0);
    ofb_run_opts o = {s, OFB_SYNC_EVERY, 0, NULL, NULL};
    ofb_run *run;
    assert_int_equal(ofb_run_new(&run, wf, "client-7", &o, &err), 0);
    assert_int_equal(ofb_run_start(run, NULL, &err), 0);
    assert_int_equal(ofb_run_bind(run, OFB_BIND_ROLE, "admin",
                                  handler_crashes, NULL, NULL, &err), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, &err), OFB_EUSER);
    ofb_store *copy = copy_store(s);
    ofb_run_free(run);

    ofb_run_opts o2 = {copy, OFB_SYNC_EVERY, 0, it_did_happen, NULL};
    ofb_recovery rec;
    assert_int_equal(ofb_run_open(&run, wf, &o2, &rec, &err), 0);
    assert_int_equal(rec.in_doubt, 1);
    assert_int_equal(ofb_run_bind(run, OFB_BIND_ROLE, "admin",
                                  handler_crashes, NULL, NULL, &err), 0);
    ofb_time next;
    assert_int_equal(ofb_run_advance(run, T0 + 60, &next, &err), 0);
    assert_int_equal(tu_state(run, "full_sync"), OFB_STEP_WAITING);
    assert_int_equal(next, T0 + 60 + 2 * 86400);
    assert_int_equal(ofb_run_signal(run, "nimbus_sync_done", NULL, &err), 0);
    assert_int_equal(tu_state(run, "full_sync"), OFB_STEP_DONE);
    assert_int_equal(tu_state(run, "entity_checked"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checklist_of_one_item_imports_cleanly),
        cmocka_unit_test(test_verified_in_doubt_step_with_a_wait_goes_waiting),
        cmocka_unit_test(
            test_tiers_that_differ_only_by_an_underscore_stay_apart),
        cmocka_unit_test(test_a_labelled_tier_spelled_two_ways_is_one_value),
        cmocka_unit_test(
            test_a_del_byte_is_refused_where_the_text_could_not_be_read_back),
        cmocka_unit_test(
            test_a_guard_string_ending_in_a_backslash_is_unterminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
