/*
 * test_seed_autotask.c - the built-in autotask-msp-customer workflow (seed
 * 001, "Workflow: Offboarding a Customer"): the ticket is set up before
 * anything goes to the customer; the remote appointment only when wanted.
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
    return tu_builtin("autotask-msp-customer");
}

static ofb_run *start(ofb_workflow *wf, const char *remote)
{
    ofb_run *run = NULL;
    ofb_act act = {"tech", NULL, NULL, 0, T0, NULL, 0};
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "acme-offboarding", NULL, &err),
                     0);
    if (remote)
        assert_int_equal(ofb_run_set_input(run, "remote_appointment", remote,
                                           &act, &err),
                         0);
    assert_int_equal(ofb_run_start(run, &act, &err), 0);
    return run;
}

static void done(ofb_run *run, const char *step)
{
    tu_done(run, step, NULL);
}

static void set_up_ticket(ofb_run *run)
{
    done(run, "ticket_created");
    done(run, "category_set");
    done(run, "checklist_added");
    done(run, "required_info");
}

static void test_nothing_is_sent_before_the_ticket_is_complete(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, NULL);
    ofb_error err;

    (void)state;
    assert_int_equal(ofb_run_complete(run, "category_set", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.message,
                        "cannot complete 'category_set': prerequisite "
                        "'ticket_created' is not done (role: technician)");
    done(run, "ticket_created");
    done(run, "category_set");
    assert_int_equal(
        ofb_run_complete(run, "offboarding_letter_sent", NULL, &err),
        OFB_EPREREQ);
    assert_string_equal(err.detail, "required_info");
    assert_int_equal(ofb_run_complete(run, "runbook_sent", NULL, &err),
                     OFB_EPREREQ);
    done(run, "checklist_added");
    done(run, "required_info");
    assert_int_equal(tu_state(run, "offboarding_letter_sent"),
                     OFB_STEP_READY);
    assert_int_equal(tu_state(run, "runbook_sent"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_without_remote_appointment_no_scheduling_link(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, NULL); /* default: false */
    ofb_error err;

    (void)state;
    set_up_ticket(run);
    assert_int_equal(tu_state(run, "scheduling_link_sent"),
                     OFB_STEP_SKIPPED);
    assert_int_equal(
        ofb_run_complete(run, "scheduling_link_sent", NULL, &err),
        OFB_EGUARD);
    done(run, "offboarding_letter_sent");
    done(run, "runbook_sent");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_remote_appointment_sends_the_scheduling_link(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "true");

    (void)state;
    set_up_ticket(run);
    assert_int_equal(tu_state(run, "scheduling_link_sent"), OFB_STEP_READY);
    done(run, "scheduling_link_sent");
    done(run, "runbook_sent");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_ACTIVE);
    done(run, "offboarding_letter_sent");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_scheduling_link_may_be_skipped_with_a_reason(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "true");
    ofb_act why = {"tech", "customer declined by phone", NULL, 0, 0, NULL, 0};
    ofb_error err;

    (void)state;
    set_up_ticket(run);
    assert_int_equal(ofb_run_skip(run, "offboarding_letter_sent", &why, &err),
                     OFB_ENOTOPTIONAL);
    assert_int_equal(ofb_run_skip(run, "scheduling_link_sent", &why, &err),
                     0);
    assert_int_equal(tu_state(run, "scheduling_link_sent"),
                     OFB_STEP_SKIPPED);
    done(run, "offboarding_letter_sent");
    done(run, "runbook_sent");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_is_sent_before_the_ticket_is_complete),
        cmocka_unit_test(test_without_remote_appointment_no_scheduling_link),
        cmocka_unit_test(test_remote_appointment_sends_the_scheduling_link),
        cmocka_unit_test(test_scheduling_link_may_be_skipped_with_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
