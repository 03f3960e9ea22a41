/*
 * test_workflow.c - defining, sealing and querying workflows: every
 * definition error with its message, cycles with their whole path, the
 * topological order, the compiled tables, reference counting, allocation
 * failures, and workflows of 200,000 steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "ofb.h"
#include "testutil.h"

/* ------------------------------------------------------------- helpers */

static ofb_workflow *new_wf(const char *id)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    assert_int_equal(ofb_workflow_new(&wf, id, 1, NULL, &err), OFB_OK);
    return wf;
}

/* The Pzzle offboarding as the knowledge base gives it: a strict chain. */
static const char *const pzzle[] = {
    "sync_job_off",         "schema_tags_off",  "relationships_removed",
    "tags_removed",         "offboarding_complete_tag",
    "agreements_expired",   "subspace_removed", "customer_schema_off",
    "subspace_archived",    "support_request"};
#define NPZZLE (sizeof pzzle / sizeof pzzle[0])

static ofb_workflow *pzzle_wf(void)
{
    ofb_workflow *wf = new_wf("pzzle-customer");
    for (size_t i = 0; i < NPZZLE; i++)
        tu_step(wf, pzzle[i], i ? pzzle[i - 1] : NULL, NULL, 0);
    return wf;
}

static int add(ofb_workflow *wf, const char *id, const char *after0,
               const char *after1, ofb_error *err)
{
    const char *after[2] = {after0, after1};
    ofb_step_def d;
    memset(&d, 0, sizeof d);
    d.id = id;
    d.title = id;
    d.after = after;
    d.nafter = after1 ? 2 : after0 ? 1 : 0;
    return ofb_workflow_add_step(wf, &d, err);
}

static size_t order_at(const ofb_workflow *wf, size_t i)
{
    size_t s = 99999;
    assert_int_equal(ofb_workflow_order(wf, i, &s), OFB_OK);
    return s;
}

static const char *order_id(const ofb_workflow *wf, size_t i)
{
    ofb_step_info info;
    assert_int_equal(ofb_workflow_step(wf, order_at(wf, i), &info), OFB_OK);
    return info.id;
}

typedef struct diags {
    int n;
    ofb_error e[32];
} diags;

static void collect(const ofb_error *e, void *payload)
{
    diags *d = payload;
    if (d->n < 32)
        d->e[d->n] = *e;
    d->n++;
}

/* -------------------------------------------------------------- basics */

static void test_new_workflow_is_empty_and_unsealed(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("pzzle-customer");
    assert_string_equal(ofb_workflow_id(wf), "pzzle-customer");
    assert_int_equal(ofb_workflow_version(wf), 1);
    assert_string_equal(ofb_workflow_title(wf), "");
    assert_string_equal(ofb_workflow_doc(wf), "");
    assert_false(ofb_workflow_is_sealed(wf));
    assert_int_equal(ofb_workflow_step_count(wf), 0);
    assert_int_equal(ofb_workflow_input_count(wf), 0);
    assert_null(ofb_workflow_hash(wf));
    size_t s;
    assert_int_equal(ofb_workflow_order(wf, 0, &s), OFB_ESEALED);
    ofb_workflow_unref(wf);
}

static void test_workflow_id_and_version_are_checked(void **state)
{
    (void)state;
    ofb_workflow *wf = NULL;
    ofb_error err;
    assert_int_equal(ofb_workflow_new(&wf, "Pzzle", 1, NULL, &err),
                     OFB_EINVAL);
    assert_null(wf);
    assert_string_equal(err.message, "workflow id 'Pzzle' is not valid "
                                     "([a-z][a-z0-9_-]*, at most 64 bytes)");
    assert_int_equal(ofb_workflow_new(&wf, NULL, 1, NULL, &err), OFB_EINVAL);
    assert_int_equal(ofb_workflow_new(&wf, "pzzle", 0, NULL, &err),
                     OFB_EINVAL);
    assert_string_equal(err.message,
                        "workflow 'pzzle': version must be a positive integer");
}

static void test_empty_workflow_seals(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("nothing");
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    assert_true(ofb_workflow_is_sealed(wf));
    assert_int_equal(strlen(ofb_workflow_hash(wf)), 64);
    ofb_workflow_unref(wf);
}

static void test_pzzle_chain_runs_in_the_written_order(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_wf();
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    for (size_t i = 0; i < NPZZLE; i++) {
        assert_int_equal(order_at(wf, i), i);
        assert_int_equal(wf->steps[i].pos, i);
    }
    size_t s;
    assert_int_equal(ofb_workflow_order(wf, NPZZLE, &s), OFB_ENOTFOUND);
    ofb_workflow_unref(wf);
}

static void test_tags_removed_written_before_sync_job_still_comes_after_it(
    void **state)
{
    (void)state;
    /* Forward reference: tags_removed names sync_job_off before it is
     * defined. notify_customer has no prerequisite and was written first,
     * so among the ready steps it goes first. */
    ofb_workflow *wf = new_wf("pzzle-customer");
    tu_step(wf, "notify_customer", NULL, NULL, 0);
    tu_step(wf, "tags_removed", "sync_job_off", NULL, 0);
    tu_step(wf, "sync_job_off", NULL, NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    assert_string_equal(order_id(wf, 0), "notify_customer");
    assert_string_equal(order_id(wf, 1), "sync_job_off");
    assert_string_equal(order_id(wf, 2), "tags_removed");
    ofb_workflow_unref(wf);
}

static void test_ties_go_to_the_earliest_defined_ready_step(void **state)
{
    (void)state;
    /*   a     d
     *   |\    |
     *   b c   e        ready after a: b, c, and d all the time;
     *   \ /            definition order decides: a b c d e f
     *    f                                                      */
    ofb_workflow *wf = new_wf("ties");
    tu_step(wf, "a", NULL, NULL, 0);
    tu_step(wf, "b", "a", NULL, 0);
    tu_step(wf, "c", "a", NULL, 0);
    tu_step(wf, "d", NULL, NULL, 0);
    tu_step(wf, "e", "d", NULL, 0);
    tu_step(wf, "f", "b c", NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    const char *want[] = {"a", "b", "c", "d", "e", "f"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(order_id(wf, i), want[i]);
    ofb_workflow_unref(wf);

    /* Defined backwards: the smallest ready index still wins each time. */
    wf = new_wf("ties");
    tu_step(wf, "z", "y", NULL, 0);
    tu_step(wf, "y", "x", NULL, 0);
    tu_step(wf, "w", NULL, NULL, 0);
    tu_step(wf, "x", NULL, NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    const char *want2[] = {"w", "x", "y", "z"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(order_id(wf, i), want2[i]);
    ofb_workflow_unref(wf);
}

static void test_seal_builds_prerequisite_and_successor_lists(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("csr");
    tu_step(wf, "backup", NULL, NULL, 0);
    tu_step(wf, "mailbox_exported", "backup", NULL, 0);
    tu_step(wf, "licences_removed", "backup", NULL, 0);
    tu_step(wf, "account_deleted", "licences_removed mailbox_exported", NULL,
            0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);

    const ofb__step *s = wf->steps;
    assert_int_equal(s[0].nprereq, 0);
    assert_int_equal(s[0].nsucc, 2);
    assert_int_equal(wf->succ[s[0].succ_off], 1);
    assert_int_equal(wf->succ[s[0].succ_off + 1], 2);
    assert_int_equal(s[3].nprereq, 2);
    assert_int_equal(wf->prereq[s[3].prereq_off], 2);
    assert_int_equal(wf->prereq[s[3].prereq_off + 1], 1);
    assert_int_equal(s[1].nsucc, 1);
    assert_int_equal(wf->succ[s[1].succ_off], 3);
    assert_int_equal(s[3].nsucc, 0);
    ofb_workflow_unref(wf);
}

static void test_seal_collects_events_roles_and_actions(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("rmm");
    tu_step_full(wf, "ticket", NULL, NULL, 0, "csm", "psa_ticket", NULL, 0, 0,
                 0);
    tu_step_full(wf, "agent_removed", "ticket", NULL, 0, "engineer",
                 "rmm_call", "agent_gone", 3600, 2, 60);
    tu_step_full(wf, "site_removed", "agent_removed", NULL, 0, "engineer",
                 "rmm_call", "agent_gone", 0, 0, 0);
    tu_step(wf, "closed", "site_removed", NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);

    assert_int_equal(wf->nevents, 1);
    assert_string_equal(wf->events[0], "agent_gone");
    assert_int_equal(wf->nroles, 2);
    assert_string_equal(wf->roles[0], "csm");
    assert_string_equal(wf->roles[1], "engineer");
    assert_int_equal(wf->nactions, 2);
    assert_string_equal(wf->actions[1], "rmm_call");
    assert_int_equal(wf->steps[0].event, OFB__NONE);
    assert_int_equal(wf->steps[1].event, 0);
    assert_int_equal(wf->steps[2].event, 0);
    assert_int_equal(wf->steps[2].role_ix, 1);
    assert_int_equal(wf->steps[2].action_ix, 1);
    assert_int_equal(wf->steps[3].role_ix, OFB__NONE);
    assert_int_equal(wf->steps[3].action_ix, OFB__NONE);
    assert_int_equal(wf->steps[3].guard, OFB__NONE);
    assert_int_equal(ofb__map_get(&wf->event_ix, "agent_gone"), 0);
    assert_int_equal(ofb__map_get(&wf->role_ix, "engineer"), 1);
    ofb_workflow_unref(wf);
}

/* -------------------------------------------------------------- queries */

static void test_step_info_gives_the_definition_back(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("rmm-remove-contact");
    const char *after[] = {"ticket_opened"};
    ofb_step_def d = {
        .id = "contact_removed",
        .title = "Remove the contact in the RMM",
        .role = "engineer",
        .action = "rmm",
        .after = after,
        .nafter = 1,
        .when = "  has_rmm  ",
        .wait_event = "rmm_confirmed",
        .wait_timeout = 86400,
        .retry_count = 3,
        .retry_backoff = 300,
        .flags = OFB_STEP_IRREVERSIBLE,
        .doc = "Delete the contact.\nKeep the ticket."};
    ofb_error err;
    tu_step(wf, "ticket_opened", NULL, NULL, 0);
    tu_input(wf, "has_rmm", OFB_TYPE_BOOL, 1, NULL);
    assert_int_equal(ofb_workflow_add_step(wf, &d, &err), OFB_OK);

    size_t i;
    assert_int_equal(ofb_workflow_find_step(wf, "contact_removed", &i),
                     OFB_OK);
    assert_int_equal(i, 1);
    assert_int_equal(ofb_workflow_find_step(wf, "nope", &i), OFB_ENOTFOUND);
    ofb_step_info info;
    assert_int_equal(ofb_workflow_step(wf, 1, &info), OFB_OK);
    assert_string_equal(info.id, "contact_removed");
    assert_string_equal(info.title, "Remove the contact in the RMM");
    assert_string_equal(info.role, "engineer");
    assert_string_equal(info.action, "rmm");
    assert_int_equal(info.nafter, 1);
    assert_string_equal(info.after[0], "ticket_opened");
    assert_string_equal(info.when, "has_rmm"); /* blanks around dropped */
    assert_string_equal(info.wait_event, "rmm_confirmed");
    assert_int_equal(info.wait_timeout, 86400);
    assert_int_equal(info.retry_count, 3);
    assert_int_equal(info.retry_backoff, 300);
    assert_int_equal(info.flags, OFB_STEP_IRREVERSIBLE);
    assert_string_equal(info.doc, "Delete the contact.\nKeep the ticket.");

    /* Absent strings are "", never NULL. */
    assert_int_equal(ofb_workflow_step(wf, 0, &info), OFB_OK);
    assert_string_equal(info.role, "");
    assert_string_equal(info.action, "");
    assert_string_equal(info.when, "");
    assert_string_equal(info.wait_event, "");
    assert_string_equal(info.doc, "");
    assert_int_equal(info.nafter, 0);
    assert_int_equal(ofb_workflow_step(wf, 2, &info), OFB_ENOTFOUND);
    ofb_workflow_unref(wf);
}

static void test_input_info_gives_the_definition_back(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("autotask");
    const char *tiers[] = {"fullstack", "premium", "csp"};
    ofb_input_def d = {"tier", OFB_TYPE_CHOICE, tiers, 3, 1, "premium",
                       "The customer's service tier"};
    ofb_error err;
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_OK);
    tu_input(wf, "end_date", OFB_TYPE_DATE, 0, NULL);

    size_t i;
    assert_int_equal(ofb_workflow_find_input(wf, "end_date", &i), OFB_OK);
    assert_int_equal(i, 1);
    assert_int_equal(ofb_workflow_find_input(wf, "tier", &i), OFB_OK);
    assert_int_equal(i, 0);
    assert_int_equal(ofb_workflow_find_input(wf, "x", &i), OFB_ENOTFOUND);
    ofb_input_info info;
    assert_int_equal(ofb_workflow_input(wf, 0, &info), OFB_OK);
    assert_string_equal(info.id, "tier");
    assert_int_equal(info.type, OFB_TYPE_CHOICE);
    assert_int_equal(info.nchoices, 3);
    assert_string_equal(info.choices[2], "csp");
    assert_true(info.required);
    assert_string_equal(info.default_value, "premium");
    assert_string_equal(info.description, "The customer's service tier");
    assert_int_equal(wf->inputs[0].default_i, 1);
    assert_int_equal(ofb_workflow_input(wf, 1, &info), OFB_OK);
    assert_null(info.default_value);
    assert_string_equal(info.description, "");
    assert_int_equal(ofb_workflow_input(wf, 2, &info), OFB_ENOTFOUND);
    ofb_workflow_unref(wf);
}

static void test_title_and_doc_are_copied(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("pzzle-customer");
    char title[] = "Offboard a customer in Pzzle";
    ofb_error err;
    assert_int_equal(ofb_workflow_set_title(wf, title, &err), OFB_OK);
    title[0] = 'X';
    assert_string_equal(ofb_workflow_title(wf), "Offboard a customer in Pzzle");
    assert_int_equal(ofb_workflow_set_doc(wf, "In this order.", &err), OFB_OK);
    assert_string_equal(ofb_workflow_doc(wf), "In this order.");
    assert_int_equal(ofb_workflow_set_title(wf, "bell\a", &err), OFB_EINVAL);
    assert_string_equal(err.message, "workflow 'pzzle-customer': the title "
                                     "contains a control character");
    assert_string_equal(ofb_workflow_title(wf), "Offboard a customer in Pzzle");
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------ step definitions */

static void test_duplicate_step_is_refused_when_added(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_wf();
    ofb_error err;
    assert_int_equal(add(wf, "tags_removed", NULL, NULL, &err),
                     OFB_EDEFINITION);
    assert_string_equal(err.message, "duplicate step 'tags_removed' (step 4 "
                                     "has the same id)");
    assert_string_equal(err.step, "tags_removed");
    assert_int_equal(ofb_workflow_step_count(wf), NPZZLE);
    ofb_workflow_unref(wf);
}

static void test_duplicate_step_in_a_file_names_both_lines(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("pzzle-customer");
    ofb_step_def d = {.id = "tags_removed", .title = "Remove all tags"};
    ofb__stepsrc src = {.at = {12, 1}};
    ofb_error err;
    assert_int_equal(ofb__workflow_set_file(wf, "pzzle.ofb"), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &d, &src, &err), OFB_OK);
    src.at.line = 30;
    assert_int_equal(ofb__workflow_add_step_src(wf, &d, &src, &err),
                     OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "pzzle.ofb:30:1: error: duplicate step 'tags_removed' "
                        "(first defined at line 12, column 1)");
    assert_string_equal(err.file, "pzzle.ofb");
    assert_int_equal(err.line, 30);
    assert_int_equal(err.column, 1);
    ofb_workflow_unref(wf);
}

static void test_step_definition_errors_are_named(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("defs");
    ofb_error err;
    const char *bad_after[] = {"Sync Job"};
    static const struct {
        ofb_step_def d;
        int code;
        const char *msg;
    } cases[] = {
        {{.id = "Tags", .title = "t"}, OFB_EINVAL,
         "step id 'Tags' is not valid ([a-z][a-z0-9_-]*, at most 64 bytes)"},
        {{.id = "tags"}, OFB_EINVAL, "step 'tags' has no title"},
        {{.id = "tags", .title = "t", .role = "Admin"}, OFB_EINVAL,
         "step 'tags': role 'Admin' is not a valid id ([a-z][a-z0-9_-]*, at "
         "most 64 bytes)"},
        {{.id = "tags", .title = "t", .action = "x y"}, OFB_EINVAL,
         "step 'tags': action 'x y' is not a valid id ([a-z][a-z0-9_-]*, at "
         "most 64 bytes)"},
        {{.id = "tags", .title = "t", .wait_event = "9lives"}, OFB_EINVAL,
         "step 'tags': wait event '9lives' is not a valid id "
         "([a-z][a-z0-9_-]*, at most 64 bytes)"},
        {{.id = "tags", .title = "t", .wait_timeout = -1, .wait_event = "e"},
         OFB_EINVAL, "step 'tags': durations cannot be negative"},
        {{.id = "tags", .title = "t", .retry_count = 1, .retry_backoff = -5},
         OFB_EINVAL, "step 'tags': durations cannot be negative"},
        {{.id = "tags", .title = "t", .wait_timeout = 60}, OFB_EINVAL,
         "step 'tags': a wait timeout needs a wait event"},
        {{.id = "tags", .title = "t", .retry_count = 101}, OFB_ELIMIT,
         "step 'tags': retry 101 is more than 100 attempts"},
        {{.id = "tags", .title = "t", .retry_backoff = 60}, OFB_EINVAL,
         "step 'tags': a retry backoff needs a retry count"},
        {{.id = "tags", .title = "t", .flags = 8}, OFB_EINVAL,
         "step 'tags': unknown flags 0x8"},
        {{.id = "tags", .title = "line\rbreak"}, OFB_EINVAL,
         "step 'tags': the title contains a control character"},
        {{.id = "tags", .title = "t", .doc = "\xff"}, OFB_EINVAL,
         "step 'tags': the doc is not valid UTF-8"},
        {{.id = "tags", .title = "t", .when = "a\nb"}, OFB_EINVAL,
         "step 'tags': the guard must be one line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(ofb_workflow_add_step(wf, &cases[i].d, &err),
                         cases[i].code);
        assert_string_equal(err.message, cases[i].msg);
    }
    ofb_step_def d = {.id = "tags", .title = "t", .after = bad_after,
                      .nafter = 1};
    assert_int_equal(ofb_workflow_add_step(wf, &d, &err), OFB_EINVAL);
    assert_string_equal(err.message,
                        "step 'tags': prerequisite 'Sync Job' is not a valid "
                        "id ([a-z][a-z0-9_-]*, at most 64 bytes)");
    d.retry_count = 100; /* the most there is */
    d.nafter = 0;
    assert_int_equal(ofb_workflow_add_step(wf, &d, &err), OFB_OK);
    assert_int_equal(ofb_workflow_step_count(wf), 1);

    char long_title[OFB_STRING_MAX + 2];
    memset(long_title, 'x', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    ofb_step_def big = {.id = "big", .title = long_title};
    assert_int_equal(ofb_workflow_add_step(wf, &big, &err), OFB_ELIMIT);
    assert_string_equal(err.message,
                        "step 'big': the title is longer than 4096 bytes");
    long_title[OFB_STRING_MAX] = '\0';
    assert_int_equal(ofb_workflow_add_step(wf, &big, &err), OFB_OK);
    ofb_workflow_unref(wf);
}

static void test_sealed_workflow_refuses_changes(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_wf();
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_OK);
    assert_int_equal(add(wf, "late_step", NULL, NULL, &err), OFB_ESEALED);
    assert_string_equal(err.message, "workflow 'pzzle-customer' is sealed: "
                                     "steps cannot be added");
    ofb_input_def in = {"tier", OFB_TYPE_BOOL, NULL, 0, 0, NULL, NULL};
    assert_int_equal(ofb_workflow_add_input(wf, &in, &err), OFB_ESEALED);
    assert_int_equal(ofb_workflow_set_title(wf, "New", &err), OFB_ESEALED);
    assert_int_equal(ofb_workflow_set_doc(wf, "New", &err), OFB_ESEALED);
    assert_int_equal(ofb__workflow_set_file(wf, "x.ofb"), OFB_ESEALED);
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_ESEALED);
    assert_string_equal(err.message,
                        "workflow 'pzzle-customer' is already sealed");
    assert_int_equal(ofb_workflow_step_count(wf), NPZZLE);
    ofb_workflow_unref(wf);
}

/* ----------------------------------------------------- input definitions */

static void test_input_definition_errors_are_named(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("autotask");
    ofb_error err;
    const char *tiers[] = {"fullstack", "premium", "csp"};
    const char *twice[] = {"premium", "csp", "premium"};
    const char *bad[] = {"fullstack", "Premium"};

    tu_choice(wf, "tier", "fullstack premium csp", 1);
    ofb_input_def d = {"tier", OFB_TYPE_BOOL, NULL, 0, 0, NULL, NULL};
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EDEFINITION);
    assert_string_equal(err.message, "duplicate input 'tier'");
    assert_string_equal(err.detail, "tier");

    d.id = "End";
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EINVAL);
    assert_string_equal(err.message, "input id 'End' is not valid "
                                     "([a-z][a-z0-9_-]*, at most 64 bytes)");
    d.id = "plan";
    d.type = OFB_TYPE_CHOICE;
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "input 'plan': a choice needs at least one value");
    d.choices = twice;
    d.nchoices = 3;
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "input 'plan': choice 'premium' is listed twice");
    d.choices = bad;
    d.nchoices = 2;
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EINVAL);
    assert_string_equal(err.message,
                        "input 'plan': choice 'Premium' is not a valid id "
                        "([a-z][a-z0-9_-]*, at most 64 bytes)");
    d.choices = tiers;
    d.nchoices = 3;
    d.default_value = "gold";
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_ETYPE);
    assert_string_equal(err.message, "input 'plan': 'gold' is not one of "
                                     "fullstack, premium, csp (the default)");
    d.type = OFB_TYPE_BOOL;
    d.default_value = NULL;
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EINVAL);
    assert_string_equal(err.message,
                        "input 'plan': only a choice has a list of values");
    d.choices = NULL;
    d.nchoices = 0;
    d.type = (ofb_type)7;
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_EINVAL);
    assert_string_equal(err.message, "input 'plan': unknown type 7");
    d.type = OFB_TYPE_DATE;
    d.default_value = "2026-02-30";
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_ETYPE);
    assert_string_equal(err.message, "input 'plan': '2026-02-30' is not a "
                                     "date (YYYY-MM-DD) (the default)");
    d.type = OFB_TYPE_STRING;
    d.default_value = "tab\there\x01";
    assert_int_equal(ofb_workflow_add_input(wf, &d, &err), OFB_ETYPE);
    assert_string_equal(err.message,
                        "input 'plan': the default contains a control "
                        "character");
    assert_int_equal(ofb_workflow_input_count(wf), 1);
    ofb_workflow_unref(wf);
}

static void test_duplicate_input_in_a_file_names_both_lines(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("xpm");
    ofb_input_def d = {"cdm", OFB_TYPE_BOOL, NULL, 0, 1, NULL, NULL};
    ofb_error err;
    ofb__src at = {4, 1};
    assert_int_equal(ofb__workflow_set_file(wf, "xpm.ofb"), OFB_OK);
    assert_int_equal(ofb__workflow_add_input_src(wf, &d, at, &err), OFB_OK);
    at.line = 9;
    assert_int_equal(ofb__workflow_add_input_src(wf, &d, at, &err),
                     OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "xpm.ofb:9:1: error: duplicate input 'cdm' (first "
                        "declared at line 4, column 1)");
    ofb_workflow_unref(wf);
}

static void test_input_values_are_parsed_by_type(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("autotask");
    tu_choice(wf, "tier", "fullstack premium csp", 1);
    tu_input(wf, "cdm", OFB_TYPE_BOOL, 0, NULL);
    tu_input(wf, "end_date", OFB_TYPE_DATE, 0, NULL);
    tu_input(wf, "customer", OFB_TYPE_STRING, 0, NULL);
    const ofb__input *tier = &wf->inputs[0], *cdm = &wf->inputs[1],
                     *date = &wf->inputs[2], *cust = &wf->inputs[3];
    int64_t v = -1;
    ofb_error err;

    assert_int_equal(ofb__input_parse(tier, "csp", &v, &err), OFB_OK);
    assert_int_equal(v, 2);
    assert_int_equal(ofb__input_parse(tier, "gold", &v, &err), OFB_ETYPE);
    assert_string_equal(err.message,
                        "input 'tier': 'gold' is not one of fullstack, "
                        "premium, csp");
    assert_string_equal(err.detail, "tier");
    assert_int_equal(ofb__input_parse(cdm, "true", &v, &err), OFB_OK);
    assert_int_equal(v, 1);
    assert_int_equal(ofb__input_parse(cdm, "false", &v, &err), OFB_OK);
    assert_int_equal(v, 0);
    assert_int_equal(ofb__input_parse(cdm, "yes", &v, &err), OFB_ETYPE);
    assert_string_equal(err.message,
                        "input 'cdm': 'yes' is not a bool (true or false)");
    assert_int_equal(ofb__input_parse(date, "1970-01-02", &v, &err), OFB_OK);
    assert_int_equal(v, 1);
    assert_int_equal(ofb__input_parse(date, "2026-11-30", &v, &err), OFB_OK);
    assert_int_equal(ofb__input_parse(date, "30/11/2026", &v, &err),
                     OFB_ETYPE);
    assert_string_equal(err.message, "input 'end_date': '30/11/2026' is not "
                                     "a date (YYYY-MM-DD)");
    assert_int_equal(ofb__input_parse(cust, "Acme Dental \"West\"", &v, &err),
                     OFB_OK);
    assert_int_equal(ofb__input_parse(cust, "\xc3\x28", &v, &err), OFB_ETYPE);
    assert_string_equal(err.message,
                        "input 'customer': the value is not valid UTF-8");
    char *big = malloc(OFB_STRING_MAX + 2);
    memset(big, 'a', OFB_STRING_MAX + 1);
    big[OFB_STRING_MAX + 1] = '\0';
    assert_int_equal(ofb__input_parse(cust, big, &v, &err), OFB_ETYPE);
    assert_string_equal(err.message,
                        "input 'customer': the value is longer than 4096 "
                        "bytes");
    free(big);
    /* Values quoted in messages stay short and on one line. */
    assert_int_equal(ofb__input_parse(tier, "a\nvery long value that goes on "
                                            "and on and on and on",
                                      &v, &err),
                     OFB_ETYPE);
    assert_string_equal(err.message,
                        "input 'tier': 'a?very long value that goes on and "
                        "on an...' is not one of fullstack, premium, csp");
    ofb_workflow_unref(wf);
}

/* ---------------------------------------------------------- seal errors */

static void test_unknown_prerequisite_names_step_and_id(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("pzzle-customer");
    tu_step(wf, "sync_job_off", NULL, NULL, 0);
    tu_step(wf, "tags_removed", "sync_job", NULL, 0);
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "step 'tags_removed': unknown prerequisite 'sync_job'");
    assert_string_equal(err.step, "tags_removed");
    assert_string_equal(err.detail, "sync_job");
    assert_int_equal(err.count, 1);
    assert_false(ofb_workflow_is_sealed(wf));
    assert_null(ofb_workflow_hash(wf));
    ofb_workflow_unref(wf);
}

static void test_unknown_prerequisite_in_a_file_points_at_the_id(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("pzzle-customer");
    ofb_error err;
    const char *after[] = {"sync_job_off", "schema_tags"};
    ofb__src after_at[] = {{14, 9}, {14, 22}};
    ofb_step_def a = {.id = "sync_job_off", .title = "Remove the sync job"};
    ofb_step_def b = {.id = "tags_removed", .title = "Remove all tags",
                      .after = after, .nafter = 2};
    ofb__stepsrc sa = {.at = {3, 1}}, sb = {.at = {12, 1}, .after = after_at};
    assert_int_equal(ofb__workflow_set_file(wf, "pzzle.ofb"), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &a, &sa, &err), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &b, &sb, &err), OFB_OK);
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "pzzle.ofb:14:22: error: step 'tags_removed': unknown "
                        "prerequisite 'schema_tags'");
    assert_int_equal(err.line, 14);
    assert_int_equal(err.column, 22);
    ofb_workflow_unref(wf);
}

static void test_step_after_itself_is_refused(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("w");
    tu_step(wf, "tags_removed", "tags_removed", NULL, 0);
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "step 'tags_removed' cannot come after itself");
    assert_int_equal(err.count, 1);
    ofb_workflow_unref(wf);
}

static void test_prerequisite_listed_twice_is_refused(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("w");
    tu_step(wf, "sync_job_off", NULL, NULL, 0);
    tu_step(wf, "tags_removed", "sync_job_off sync_job_off", NULL, 0);
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "step 'tags_removed': prerequisite 'sync_job_off' is "
                        "listed twice");
    ofb_workflow_unref(wf);
}

static void test_two_steps_waiting_for_each_other_are_a_cycle(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("w");
    tu_step(wf, "tags_removed", "offboarding_complete_tag", NULL, 0);
    tu_step(wf, "offboarding_complete_tag", "tags_removed", NULL, 0);
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "cycle: tags_removed -> offboarding_complete_tag -> "
                        "tags_removed");
    assert_string_equal(err.step, "tags_removed");
    ofb_workflow_unref(wf);
}

static void test_three_step_cycle_gives_the_whole_path(void **state)
{
    (void)state;
    /* A cycle hidden behind a good prefix and followed by a good step. */
    ofb_workflow *wf = new_wf("w");
    tu_step(wf, "ticket", NULL, NULL, 0);
    tu_step(wf, "a", "ticket c", NULL, 0);
    tu_step(wf, "b", "a", NULL, 0);
    tu_step(wf, "c", "b", NULL, 0);
    tu_step(wf, "report", "c", NULL, 0);
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message, "cycle: a -> b -> c -> a");
    assert_string_equal(err.step, "a");
    assert_string_equal(err.detail, "c");
    assert_int_equal(err.count, 1);
    ofb_workflow_unref(wf);
}

static void test_cycle_in_a_file_points_at_the_closing_after(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("w");
    ofb_error err;
    const char *a_after[] = {"c"}, *b_after[] = {"a"}, *c_after[] = {"b"};
    ofb__src a_at[] = {{4, 9}}, b_at[] = {{7, 9}}, c_at[] = {{10, 9}};
    ofb_step_def a = {.id = "a", .title = "A", .after = a_after, .nafter = 1};
    ofb_step_def b = {.id = "b", .title = "B", .after = b_after, .nafter = 1};
    ofb_step_def c = {.id = "c", .title = "C", .after = c_after, .nafter = 1};
    ofb__stepsrc sa = {.at = {3, 1}, .after = a_at};
    ofb__stepsrc sb = {.at = {6, 1}, .after = b_at};
    ofb__stepsrc sc = {.at = {9, 1}, .after = c_at};
    assert_int_equal(ofb__workflow_set_file(wf, "loop.ofb"), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &c, &sc, &err), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &b, &sb, &err), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &a, &sa, &err), OFB_OK);
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    /* c is defined first, so the path starts there; its `after b` closes
     * the loop. */
    assert_string_equal(err.message,
                        "loop.ofb:10:9: error: cycle: c -> a -> b -> c");
    ofb_workflow_unref(wf);
}

static void test_long_chain_closing_on_itself_is_one_cycle(void **state)
{
    (void)state;
    /* s0 <- s1 <- ... <- s199, and s0 after s199: the message gives the
     * path from s0 on, shortened in the middle to fit one line. */
    ofb_workflow *wf = new_wf("w");
    char id[16], prev[16];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof id, "s%d", i);
        snprintf(prev, sizeof prev, "s%d", i ? i - 1 : 199);
        tu_step(wf, id, prev, NULL, 0);
    }
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_int_equal(strncmp(err.message, "cycle: s0 -> s1 -> s2 -> s3 -> ",
                             31), 0);
    const char *tail = " -> ... -> s0";
    size_t n = strlen(err.message);
    assert_true(n < sizeof err.message);
    assert_string_equal(err.message + n - strlen(tail), tail);
    assert_int_equal(err.count, 1);
    ofb_workflow_unref(wf);

    /* A short one fits whole. */
    wf = new_wf("w");
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, "s%d", i);
        snprintf(prev, sizeof prev, "s%d", i ? i - 1 : 7);
        tu_step(wf, id, prev, NULL, 0);
    }
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message, "cycle: s0 -> s1 -> s2 -> s3 -> s4 -> "
                                     "s5 -> s6 -> s7 -> s0");
    ofb_workflow_unref(wf);
}

static void test_every_error_goes_to_diag(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("w");
    tu_input(wf, "cdm", OFB_TYPE_BOOL, 0, NULL);
    tu_step(wf, "a", "nowhere", NULL, 0);
    tu_step(wf, "b", "c", NULL, 0);
    tu_step(wf, "c", "b", NULL, 0);
    tu_step(wf, "d", "e", NULL, 0);
    tu_step(wf, "e", "d", NULL, 0);
    tu_step(wf, "f", NULL, "cdm == yes", 0);
    diags d = {0};
    ofb_error err;
    assert_int_equal(ofb_workflow_seal_ex(wf, collect, &d, &err),
                     OFB_EDEFINITION);
    assert_int_equal(d.n, 4);
    assert_int_equal(err.count, 4);
    assert_string_equal(d.e[0].message,
                        "step 'a': unknown prerequisite 'nowhere'");
    assert_string_equal(d.e[1].message, "cycle: b -> c -> b");
    assert_string_equal(d.e[2].message, "cycle: d -> e -> d");
    assert_string_equal(d.e[3].message,
                        "step 'f': when: input 'cdm' is a bool: it cannot be "
                        "compared with 'yes' (column 8)");
    assert_string_equal(d.e[3].step, "f");
    assert_string_equal(err.message, d.e[0].message);
    assert_false(ofb_workflow_is_sealed(wf));
    ofb_workflow_unref(wf);
}

static void test_seal_stops_after_max_errors(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("w");
    char id[16];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "s%d", i);
        tu_step(wf, id, "missing", NULL, 0);
    }
    diags d = {0};
    ofb_error err;
    assert_int_equal(ofb_workflow_seal_ex(wf, collect, &d, &err),
                     OFB_EDEFINITION);
    assert_int_equal(d.n, 20); /* the default */
    assert_int_equal(err.count, 20);
    d.n = 0;
    assert_int_equal(ofb__workflow_seal(wf, collect, &d, 3, &err),
                     OFB_EDEFINITION);
    assert_int_equal(d.n, 3);
    assert_int_equal(err.count, 3);
    assert_string_equal(d.e[2].message, "step 's2': unknown prerequisite "
                                        "'missing'");
    ofb_workflow_unref(wf);
}

static void test_guard_errors_are_found_by_seal(void **state)
{
    (void)state;
    ofb_workflow *wf = new_wf("autotask");
    ofb_error err;
    tu_choice(wf, "tier", "fullstack premium csp", 1);
    ofb_step_def d = {.id = "csp_licences_removed",
                      .title = "Remove the CSP licences",
                      .when = "tier == gold"};
    ofb__stepsrc src = {.at = {20, 1}, .when = {22, 8}};
    assert_int_equal(ofb__workflow_set_file(wf, "autotask.ofb"), OFB_OK);
    assert_int_equal(ofb__workflow_add_step_src(wf, &d, &src, &err), OFB_OK);
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "autotask.ofb:22:16: error: input 'tier' has no value "
                        "'gold' (it is one of fullstack, premium, csp)");
    assert_string_equal(err.step, "csp_licences_removed");
    assert_int_equal(err.line, 22);
    assert_int_equal(err.column, 16);
    ofb_workflow_unref(wf);
}

static void test_failed_seal_can_be_retried_after_out_of_memory(void **state)
{
    (void)state;
    /* Every allocation of building and sealing fails in turn: each failure
     * is OFB_ENOMEM, nothing leaks, and the same workflow seals once memory
     * is back. */
    long total;
    {
        tu_alloc t;
        tu_alloc_init(&t, 0);
        ofb_workflow *wf;
        assert_int_equal(ofb_workflow_new(&wf, "xpm", 1, &t.a, NULL), 0);
        tu_choice(wf, "practice_manager", "xpm myob_ae", 1);
        tu_step_full(wf, "history_exported", NULL, NULL, 0, "admin", "export",
                     NULL, 0, 0, 0);
        tu_step_full(wf, "archived", "history_exported",
                     "practice_manager in (xpm)", 0, "admin", NULL,
                     "archive_done", 60, 2, 30);
        assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
        total = t.calls;
        ofb_workflow_unref(wf);
        assert_int_equal(t.live, 0);
    }
    for (long k = 1; k <= total; k++) {
        tu_alloc t;
        tu_alloc_init(&t, k);
        ofb_workflow *wf = NULL;
        ofb_error err;
        int rc = ofb_workflow_new(&wf, "xpm", 1, &t.a, &err);
        const char *pm[] = {"xpm", "myob_ae"};
        ofb_input_def in = {"practice_manager", OFB_TYPE_CHOICE, pm, 2, 1,
                            NULL, NULL};
        const char *after[] = {"history_exported"};
        ofb_step_def s1 = {.id = "history_exported", .title = "Export",
                           .role = "admin", .action = "export"};
        ofb_step_def s2 = {.id = "archived", .title = "Archive",
                           .role = "admin", .after = after, .nafter = 1,
                           .when = "practice_manager in (xpm)",
                           .wait_event = "archive_done", .wait_timeout = 60,
                           .retry_count = 2, .retry_backoff = 30};
        if (rc == OFB_OK)
            rc = ofb_workflow_add_input(wf, &in, &err);
        if (rc == OFB_OK)
            rc = ofb_workflow_add_step(wf, &s1, &err);
        if (rc == OFB_OK)
            rc = ofb_workflow_add_step(wf, &s2, &err);
        if (rc == OFB_OK) {
            rc = ofb_workflow_seal(wf, &err);
            if (rc == OFB_ENOMEM) {
                assert_false(ofb_workflow_is_sealed(wf));
                t.fail_at = 0;
                assert_int_equal(ofb_workflow_seal(wf, &err), OFB_OK);
                rc = OFB_ENOMEM;
            }
        }
        assert_int_equal(t.failed, 1);
        assert_int_equal(rc, OFB_ENOMEM);
        assert_string_equal(err.message, "out of memory");
        ofb_workflow_unref(wf);
        assert_int_equal(t.live, 0);
    }
}

/* ------------------------------------------------------ reference counts */

static void test_references_keep_the_workflow_alive(void **state)
{
    (void)state;
    tu_alloc t;
    tu_alloc_init(&t, 0);
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "pzzle", 1, &t.a, NULL), OFB_OK);
    tu_step(wf, "sync_job_off", NULL, NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    assert_ptr_equal(ofb_workflow_ref(wf), wf);
    assert_ptr_equal(ofb_workflow_ref(wf), wf);
    ofb_workflow_unref(wf);
    ofb_workflow_unref(wf);
    assert_true(t.live > 0);
    assert_string_equal(ofb_workflow_id(wf), "pzzle");
    ofb_workflow_unref(wf);
    assert_int_equal(t.live, 0);
    ofb_workflow_unref(NULL);
    assert_null(ofb_workflow_ref(NULL));

    /* An unsealed workflow, and one whose seal failed, free the same. */
    assert_int_equal(ofb_workflow_new(&wf, "pzzle", 1, &t.a, NULL), OFB_OK);
    tu_step(wf, "tags_removed", "sync_job_off", NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_EDEFINITION);
    ofb_workflow_unref(wf);
    assert_int_equal(t.live, 0);
}

/* ------------------------------------------------------------ big ones */

#define BIG 200000

static ofb_workflow *big_chain(int close_loop)
{
    ofb_workflow *wf = new_wf("big");
    char id[16], prev[16];
    const char *after[1] = {prev};
    ofb_step_def d = {.id = id, .title = "step", .after = after};
    for (int i = 0; i < BIG; i++) {
        snprintf(id, sizeof id, "s%d", i);
        snprintf(prev, sizeof prev, "s%d", i ? i - 1 : BIG - 1);
        d.nafter = i || close_loop ? 1 : 0;
        assert_int_equal(ofb_workflow_add_step(wf, &d, NULL), OFB_OK);
    }
    return wf;
}

static void test_200k_step_chain_seals_without_recursion(void **state)
{
    (void)state;
    ofb_workflow *wf = big_chain(0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    assert_int_equal(order_at(wf, 0), 0);
    assert_int_equal(order_at(wf, BIG - 1), BIG - 1);
    ofb_workflow_unref(wf);
}

static void test_200k_step_chain_closing_on_itself_is_a_cycle(void **state)
{
    (void)state;
    ofb_workflow *wf = big_chain(1);
    ofb_error err;
    assert_int_equal(ofb_workflow_seal(wf, &err), OFB_EDEFINITION);
    assert_int_equal(strncmp(err.message, "cycle: s0 -> s1 -> ", 19), 0);
    assert_int_equal(err.count, 1);
    ofb_workflow_unref(wf);
}

static void test_200k_step_dag_seals_in_a_valid_order(void **state)
{
    (void)state;
    /* Each step waits for up to three earlier ones, written in reverse so
     * that every prerequisite is a forward reference. */
    ofb_workflow *wf = new_wf("big");
    char id[16], a[3][16];
    const char *after[3] = {a[0], a[1], a[2]};
    ofb_step_def d = {.id = id, .title = "step", .after = after};
    for (int k = BIG - 1; k >= 0; k--) {
        snprintf(id, sizeof id, "s%d", k);
        d.nafter = 0;
        for (int j = 1; j <= 3; j++)
            if (k - j * j * 7 >= 0)
                snprintf(a[d.nafter++], 16, "s%d", k - j * j * 7);
        assert_int_equal(ofb_workflow_add_step(wf, &d, NULL), OFB_OK);
    }
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    for (uint32_t i = 0; i < BIG; i++) {
        const ofb__step *s = &wf->steps[i];
        assert_int_equal(wf->order[s->pos], i);
        for (uint32_t k = 0; k < s->nprereq; k++)
            if (wf->steps[wf->prereq[s->prereq_off + k]].pos >= s->pos)
                fail_msg("step %u runs before its prerequisite", i);
    }
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_workflow_is_empty_and_unsealed),
        cmocka_unit_test(test_workflow_id_and_version_are_checked),
        cmocka_unit_test(test_empty_workflow_seals),
        cmocka_unit_test(test_pzzle_chain_runs_in_the_written_order),
        cmocka_unit_test(
            test_tags_removed_written_before_sync_job_still_comes_after_it),
        cmocka_unit_test(test_ties_go_to_the_earliest_defined_ready_step),
        cmocka_unit_test(test_seal_builds_prerequisite_and_successor_lists),
        cmocka_unit_test(test_seal_collects_events_roles_and_actions),
        cmocka_unit_test(test_step_info_gives_the_definition_back),
        cmocka_unit_test(test_input_info_gives_the_definition_back),
        cmocka_unit_test(test_title_and_doc_are_copied),
        cmocka_unit_test(test_duplicate_step_is_refused_when_added),
        cmocka_unit_test(test_duplicate_step_in_a_file_names_both_lines),
        cmocka_unit_test(test_step_definition_errors_are_named),
        cmocka_unit_test(test_sealed_workflow_refuses_changes),
        cmocka_unit_test(test_input_definition_errors_are_named),
        cmocka_unit_test(test_duplicate_input_in_a_file_names_both_lines),
        cmocka_unit_test(test_input_values_are_parsed_by_type),
        cmocka_unit_test(test_unknown_prerequisite_names_step_and_id),
        cmocka_unit_test(test_unknown_prerequisite_in_a_file_points_at_the_id),
        cmocka_unit_test(test_step_after_itself_is_refused),
        cmocka_unit_test(test_prerequisite_listed_twice_is_refused),
        cmocka_unit_test(test_two_steps_waiting_for_each_other_are_a_cycle),
        cmocka_unit_test(test_three_step_cycle_gives_the_whole_path),
        cmocka_unit_test(test_cycle_in_a_file_points_at_the_closing_after),
        cmocka_unit_test(test_long_chain_closing_on_itself_is_one_cycle),
        cmocka_unit_test(test_every_error_goes_to_diag),
        cmocka_unit_test(test_seal_stops_after_max_errors),
        cmocka_unit_test(test_guard_errors_are_found_by_seal),
        cmocka_unit_test(test_failed_seal_can_be_retried_after_out_of_memory),
        cmocka_unit_test(test_references_keep_the_workflow_alive),
        cmocka_unit_test(test_200k_step_chain_seals_without_recursion),
        cmocka_unit_test(test_200k_step_chain_closing_on_itself_is_a_cycle),
        cmocka_unit_test(test_200k_step_dag_seals_in_a_valid_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
