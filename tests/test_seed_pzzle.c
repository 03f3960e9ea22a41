/*
 * test_seed_pzzle.c - the built-in pzzle-customer workflow (seed 000,
 * centrexIT "Offboard/Remove a Customer in Pzzle"): the knowledge base says
 * the ten steps must be done in order, and the last one waits for the Pzzle
 * support team.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "ofb.h"

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

static const char *const chain[] = {
    "sync_job_off",          "schema_tags_off",  "relationships_removed",
    "tags_removed",          "offboarding_complete_tag",
    "agreements_expired",    "subspace_removed", "customer_schema_off",
    "subspace_archived",     "support_request",
};
#define NCHAIN (sizeof chain / sizeof chain[0])

static ofb_workflow *load(void)
{
    return tu_builtin("pzzle-customer");
}

static ofb_run *start(ofb_workflow *wf)
{
    ofb_run *run = NULL;
    ofb_act act = {"katie", NULL, NULL, 0, T0, NULL, 0};
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "acme-pzzle", NULL, &err), OFB_OK);
    assert_int_equal(ofb_run_set_input(run, "customer", "Acme Dental", &act,
                                       &err),
                     OFB_OK);
    assert_int_equal(ofb_run_start(run, &act, &err), OFB_OK);
    return run;
}

static void done(ofb_run *run, const char *step)
{
    tu_done(run, step, "katie");
}

/* Completes the chain up to (not including) step `upto`. */
static void done_until(ofb_run *run, const char *upto)
{
    size_t i;
    for (i = 0; i < NCHAIN && strcmp(chain[i], upto) != 0; i++)
        done(run, chain[i]);
}

static void refused(ofb_run *run, const char *step, const char *prereq)
{
    ofb_error err;
    char msg[300];

    assert_int_equal(ofb_run_complete(run, step, NULL, &err), OFB_EPREREQ);
    snprintf(msg, sizeof msg,
             "cannot complete '%s': prerequisite '%s' is not done (role: "
             "admin)",
             step, prereq);
    assert_string_equal(err.message, msg);
    assert_string_equal(err.step, step);
    assert_string_equal(err.detail, prereq);
    assert_int_equal(tu_state(run, step), OFB_STEP_BLOCKED);
}

static void test_definition_is_a_strict_chain_of_ten_steps(void **state)
{
    ofb_workflow *wf = load();
    ofb_input_info in;
    size_t i;

    (void)state;
    assert_int_equal(ofb_workflow_step_count(wf), NCHAIN);
    for (i = 0; i < NCHAIN; i++) {
        ofb_step_info si;
        size_t ix, pos;
        assert_int_equal(ofb_workflow_find_step(wf, chain[i], &ix), OFB_OK);
        assert_int_equal(ofb_workflow_step(wf, ix, &si), OFB_OK);
        assert_string_equal(si.role, "admin");
        assert_true(strlen(si.doc) > 0);
        if (i == 0) {
            assert_int_equal(si.nafter, 0);
        } else {
            assert_int_equal(si.nafter, 1);
            assert_string_equal(si.after[0], chain[i - 1]);
        }
        assert_int_equal(ofb_workflow_order(wf, i, &pos), OFB_OK);
        assert_int_equal(pos, ix);
    }
    /* No required input: a technician can start at once. */
    for (i = 0; i < ofb_workflow_input_count(wf); i++) {
        assert_int_equal(ofb_workflow_input(wf, i, &in), OFB_OK);
        assert_false(in.required);
    }
    ofb_workflow_unref(wf);
}

static void test_tags_cannot_be_removed_while_sync_job_is_on(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf);

    (void)state;
    /* Nothing after the sync job can happen while it is on; in a strict
     * chain the refusal names the step just before. */
    refused(run, "schema_tags_off", "sync_job_off");
    refused(run, "tags_removed", "relationships_removed");
    done(run, "sync_job_off");
    done(run, "schema_tags_off");
    refused(run, "tags_removed", "relationships_removed");
    done(run, "relationships_removed");
    done(run, "tags_removed");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_offboarding_complete_tag_needs_tags_removed(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf);

    (void)state;
    done_until(run, "tags_removed");
    refused(run, "offboarding_complete_tag", "tags_removed");
    done(run, "tags_removed");
    assert_int_equal(tu_state(run, "offboarding_complete_tag"),
                     OFB_STEP_READY);
    done(run, "offboarding_complete_tag");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_customer_schema_stays_on_until_agreements_expired(
    void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf);
    ofb_error err;

    (void)state;
    done_until(run, "agreements_expired");
    assert_int_equal(ofb_run_complete(run, "customer_schema_off", NULL, &err),
                     OFB_EPREREQ);
    assert_non_null(strstr(err.message, "cannot complete "
                                        "'customer_schema_off'"));
    done(run, "agreements_expired");
    /* Still the subspace first. */
    refused(run, "customer_schema_off", "subspace_removed");
    done(run, "subspace_removed");
    done(run, "customer_schema_off");
    refused(run, "support_request", "subspace_archived");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_every_step_refused_before_its_predecessor(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf);
    size_t i;

    (void)state;
    for (i = 1; i < NCHAIN; i++) {
        refused(run, chain[i], chain[i - 1]);
        done(run, chain[i - 1]);
    }
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_support_request_waits_for_pzzle_support(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf);
    ofb_error err;
    ofb_time next = 0;
    ofb_act act = {"katie", "simple request SR-1042", NULL, 0, T0 + 3600, NULL, 0};
    size_t i;
    ofb_step_status st;

    (void)state;
    done_until(run, "support_request");
    assert_int_equal(ofb_run_complete(run, "support_request", &act, &err),
                     OFB_OK);
    assert_int_equal(tu_state(run, "support_request"), OFB_STEP_WAITING);
    assert_int_equal(ofb_workflow_find_step(wf, "support_request", &i), 0);
    assert_int_equal(ofb_run_step_status(run, i, &st), OFB_OK);
    assert_string_equal(st.event, "support_confirmed");
    assert_int_equal(st.due, OFB_NEVER); /* no timeout: support decides */

    /* Time alone does not finish it. */
    assert_int_equal(ofb_run_advance(run, T0 + 30 * 86400, &next, &err),
                     OFB_OK);
    assert_int_equal(next, OFB_NEVER);
    assert_int_equal(tu_state(run, "support_request"), OFB_STEP_WAITING);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_ACTIVE);

    assert_int_equal(ofb_run_signal(run, "support_confirmed", NULL, &err),
                     OFB_OK);
    assert_int_equal(tu_state(run, "support_request"), OFB_STEP_DONE);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_early_confirmation_is_latched(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf);
    ofb_error err;

    (void)state;
    /* Support answered before the request was recorded as sent. */
    assert_int_equal(ofb_run_signal(run, "support_confirmed", NULL, &err),
                     OFB_OK);
    assert_true(ofb_run_signalled(run, "support_confirmed"));
    done_until(run, "support_request");
    assert_int_equal(tu_state(run, "support_request"), OFB_STEP_READY);
    done(run, "support_request");
    assert_int_equal(tu_state(run, "support_request"), OFB_STEP_DONE);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static int count_plan(const ofb_plan_item *item, void *payload)
{
    size_t *n = payload;
    assert_int_equal(item->kind, OFB_PLAN_RUN);
    assert_int_equal(item->position, *n + 1);
    (*n)++;
    return 0;
}

static void test_plan_runs_all_ten_steps_in_order(void **state)
{
    ofb_workflow *wf = load();
    size_t n = 0;
    ofb_error err;

    (void)state;
    assert_int_equal(ofb_workflow_plan(wf, NULL, 0, count_plan, &n, &err),
                     OFB_OK);
    assert_int_equal(n, NCHAIN);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definition_is_a_strict_chain_of_ten_steps),
        cmocka_unit_test(test_tags_cannot_be_removed_while_sync_job_is_on),
        cmocka_unit_test(test_offboarding_complete_tag_needs_tags_removed),
        cmocka_unit_test(
            test_customer_schema_stays_on_until_agreements_expired),
        cmocka_unit_test(test_every_step_refused_before_its_predecessor),
        cmocka_unit_test(test_support_request_waits_for_pzzle_support),
        cmocka_unit_test(test_early_confirmation_is_latched),
        cmocka_unit_test(test_plan_runs_all_ten_steps_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
