/*
 * test_seed_rmm.c - the built-in rmm-remove-contact workflow (seed 002,
 * "Remove Contact (User) for RMM Customer"): the ticket is prepared in
 * order, the checklist chosen, and removal waits for the customer's
 * offboarding form.
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

static ofb_workflow *load(void)
{
    return tu_builtin("rmm-remove-contact");
}

static ofb_run *start(ofb_workflow *wf, const char *checklist)
{
    ofb_run *run = NULL;
    ofb_act act = {"tech", NULL, NULL, 0, T0, NULL, 0};
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "ticket-T20261123", NULL, &err),
                     0);
    assert_int_equal(ofb_run_set_input(run, "user", "j.doe", &act, &err), 0);
    assert_int_equal(
        ofb_run_set_input(run, "checklist", checklist, &act, &err), 0);
    assert_int_equal(ofb_run_start(run, &act, &err), 0);
    return run;
}

static void done(ofb_run *run, const char *step)
{
    tu_done(run, step, NULL);
}

static void prepare_ticket(ofb_run *run, const char *checklist_step)
{
    done(run, "category_set");
    done(run, "contact_confirmed");
    done(run, "template_applied");
    done(run, checklist_step);
}

static void test_checklist_choice_is_required(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = NULL;
    ofb_error err;
    (void)state;
    assert_int_equal(ofb_run_new(&run, wf, "r", NULL, &err), 0);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_ENEEDINPUT);
    assert_string_equal(err.detail, "checklist");
    assert_int_equal(ofb_run_set_input(run, "checklist", "special", NULL,
                                       &err),
                     OFB_ETYPE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_form_is_not_sent_before_the_contact_is_confirmed(
    void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "generic");
    ofb_error err;

    (void)state;
    done(run, "category_set");
    assert_int_equal(ofb_run_complete(run, "template_applied", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "contact_confirmed");
    assert_int_equal(ofb_run_complete(run, "ticket_saved", NULL, &err),
                     OFB_EPREREQ);
    done(run, "contact_confirmed");
    done(run, "template_applied");
    /* Saving needs the checklist first. */
    assert_int_equal(ofb_run_complete(run, "ticket_saved", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "generic_checklist");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void run_branch(const char *checklist, const char *mine,
                       const char *other)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, checklist);
    ofb_error err;
    ofb_time next;

    prepare_ticket(run, mine);
    assert_int_equal(tu_state(run, other), OFB_STEP_SKIPPED);
    assert_int_equal(ofb_run_complete(run, other, NULL, &err), OFB_EGUARD);
    done(run, "ticket_saved");
    assert_int_equal(tu_state(run, "ticket_saved"), OFB_STEP_WAITING);
    /* The user stays until the customer has submitted the form. */
    assert_int_equal(ofb_run_complete(run, "contact_removed", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "ticket_saved");
    assert_int_equal(ofb_run_advance(run, T0 + 86400, &next, &err), 0);
    assert_int_equal(tu_state(run, "contact_removed"), OFB_STEP_BLOCKED);
    assert_int_equal(
        ofb_run_signal(run, "offboarding_form_submitted", NULL, &err), 0);
    assert_int_equal(tu_state(run, "ticket_saved"), OFB_STEP_DONE);
    done(run, "contact_removed");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_generic_checklist_branch_runs_to_completion(void **state)
{
    (void)state;
    run_branch("generic", "generic_checklist", "customer_checklist");
}

static void test_customer_checklist_branch_runs_to_completion(void **state)
{
    (void)state;
    run_branch("customer_specific", "customer_checklist",
               "generic_checklist");
}

static void test_no_form_after_fourteen_days_fails_for_follow_up(
    void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "generic");
    ofb_act act = {"tech", NULL, NULL, 0, T0 + 60, NULL, 0};
    ofb_error err;
    ofb_time next;

    (void)state;
    prepare_ticket(run, "generic_checklist");
    assert_int_equal(ofb_run_complete(run, "ticket_saved", &act, &err), 0);
    assert_int_equal(ofb_run_advance(run, T0 + 13 * 86400, &next, &err), 0);
    assert_int_equal(tu_state(run, "ticket_saved"), OFB_STEP_WAITING);
    assert_int_equal(next, T0 + 60 + 14 * 86400);
    assert_int_equal(ofb_run_advance(run, next, &next, &err), 0);
    assert_int_equal(tu_state(run, "ticket_saved"), OFB_STEP_FAILED);
    /* Someone chases the customer and sends the form again. */
    assert_int_equal(ofb_run_retry(run, "ticket_saved", NULL, &err), 0);
    done(run, "ticket_saved");
    assert_int_equal(
        ofb_run_signal(run, "offboarding_form_submitted", NULL, &err), 0);
    done(run, "contact_removed");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checklist_choice_is_required),
        cmocka_unit_test(
            test_form_is_not_sent_before_the_contact_is_confirmed),
        cmocka_unit_test(test_generic_checklist_branch_runs_to_completion),
        cmocka_unit_test(test_customer_checklist_branch_runs_to_completion),
        cmocka_unit_test(
            test_no_form_after_fourteen_days_fails_for_follow_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
