/*
 * test_run.c - the run engine: every row of the transition table, handlers,
 * retries and timeouts on a fake clock, latched signals, confirmations,
 * inputs, "what is next", plans, allocation failure, and two property
 * tests over random workflows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

/* The first four Pzzle steps, a strict chain, done by an admin. */
static ofb_workflow *pzzle_head(void)
{
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "pzzle-head", 1, NULL, NULL), 0);
    tu_step_full(wf, "sync_job_off", NULL, NULL, 0, "admin", NULL, NULL, 0, 0, 0);
    tu_step_full(wf, "schema_tags_off", "sync_job_off", NULL, 0, "admin", NULL,
                 NULL, 0, 0, 0);
    tu_step_full(wf, "tags_removed", "schema_tags_off", NULL, 0, "admin", NULL,
                 NULL, 0, 0, 0);
    tu_step_full(wf, "offboarding_complete_tag", "tags_removed", NULL, 0,
                 "admin", NULL, NULL, 0, 0, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    return wf;
}

static ofb_run *started(ofb_workflow *wf)
{
    ofb_run *run;
    assert_int_equal(ofb_run_new(&run, wf, "acme", NULL, NULL), 0);
    ofb_act a = {"alice", NULL, NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_run_start(run, &a, NULL), 0);
    return run;
}

/* ------------------------------------------------------------- refusals */

static void test_tags_cannot_be_removed_while_sync_job_is_on(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run = started(wf);
    ofb_error err;
    assert_int_equal(ofb_run_complete(run, "tags_removed", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.message,
                        "cannot complete 'tags_removed': prerequisite "
                        "'schema_tags_off' is not done (role: admin)");
    assert_string_equal(err.step, "tags_removed");
    assert_string_equal(err.detail, "schema_tags_off");
    assert_int_equal(tu_state(run, "tags_removed"), OFB_STEP_BLOCKED);

    assert_int_equal(ofb_run_complete(run, "sync_job_off", NULL, &err), 0);
    assert_int_equal(ofb_run_complete(run, "schema_tags_off", NULL, &err), 0);
    assert_int_equal(ofb_run_complete(run, "tags_removed", NULL, &err), 0);
    assert_int_equal(ofb_run_complete(run, "tags_removed", NULL, &err),
                     OFB_ENOTREADY);
    assert_non_null(strstr(err.message, "already done"));
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_actions_before_start_and_after_completion_are_refused(
    void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "acme", NULL, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "sync_job_off", NULL, &err),
                     OFB_ESTATE);
    assert_non_null(strstr(err.message, "has not started"));
    assert_int_equal(ofb_run_advance(run, T0, NULL, &err), OFB_ESTATE);
    assert_int_equal(ofb_run_start(run, NULL, &err), 0);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_ESTATE);
    const char *order[] = {"sync_job_off", "schema_tags_off", "tags_removed",
                           "offboarding_complete_tag"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ofb_run_complete(run, order[i], NULL, &err), 0);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    assert_int_equal(ofb_run_complete(run, "tags_removed", NULL, &err),
                     OFB_ESTATE);
    assert_non_null(strstr(err.message, "completed"));
    assert_int_equal(ofb_run_advance(run, T0, NULL, &err), 0);
    assert_int_equal(ofb_run_complete(run, "no_such", NULL, &err),
                     OFB_ENOTFOUND);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_cancelled_run_refuses_everything(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run = started(wf);
    assert_int_equal(ofb_run_cancel(run, NULL, NULL), 0);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_CANCELLED);
    assert_int_equal(ofb_run_complete(run, "sync_job_off", NULL, NULL),
                     OFB_ESTATE);
    assert_int_equal(ofb_run_cancel(run, NULL, NULL), OFB_ESTATE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_bad_run_ids_are_refused(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run = (ofb_run *)1;
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "", NULL, &err), OFB_EINVAL);
    assert_null(run);
    assert_int_equal(ofb_run_new(&run, wf, "a/b", NULL, &err), OFB_EINVAL);
    assert_int_equal(ofb_run_new(&run, wf, NULL, NULL, &err), OFB_EINVAL);
    ofb_workflow *open;
    assert_int_equal(ofb_workflow_new(&open, "open", 1, NULL, NULL), 0);
    assert_int_equal(ofb_run_new(&run, open, "r", NULL, &err), OFB_ESEALED);
    ofb_workflow_unref(open);
    ofb_workflow_unref(wf);
}

/* ---------------------------------------------- the transition table */

/* blocked -> ready (guard true) and blocked -> skipped (guard false). */
static void test_guard_decides_ready_or_skipped(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "tiers", 1, NULL, NULL), 0);
    tu_choice(wf, "tier", "fullstack premium csp", 1);
    tu_step(wf, "notice", NULL, NULL, 0);
    tu_step(wf, "export_resources", "notice", "tier == fullstack", 0);
    tu_step(wf, "export_secrets", "notice", "tier in (fullstack, premium)", 0);
    tu_step(wf, "lighthouse", "export_resources export_secrets", NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);

    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "r1", NULL, NULL), 0);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_ENEEDINPUT);
    assert_string_equal(err.detail, "tier");
    assert_int_equal(ofb_run_set_input(run, "tier", "gold", NULL, &err),
                     OFB_ETYPE);
    assert_int_equal(ofb_run_set_input(run, "tier", "premium", NULL, &err), 0);
    assert_int_equal(ofb_run_start(run, NULL, &err), 0);
    assert_int_equal(tu_state(run, "export_resources"), OFB_STEP_BLOCKED);
    assert_int_equal(ofb_run_complete(run, "notice", NULL, &err), 0);
    assert_int_equal(tu_state(run, "export_resources"), OFB_STEP_SKIPPED);
    assert_int_equal(tu_state(run, "export_secrets"), OFB_STEP_READY);
    assert_int_equal(ofb_run_complete(run, "export_resources", NULL, &err),
                     OFB_EGUARD);
    assert_string_equal(err.message,
                        "cannot complete 'export_resources': it does not "
                        "apply (when tier == fullstack is false)");
    assert_int_equal(tu_state(run, "lighthouse"), OFB_STEP_BLOCKED);
    assert_int_equal(ofb_run_complete(run, "export_secrets", NULL, &err), 0);
    assert_int_equal(tu_state(run, "lighthouse"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* A guard reading an unset input keeps the step blocked, never skips it. */
static void test_guard_on_unset_input_blocks_with_reason(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "xpm", 1, NULL, NULL), 0);
    tu_input(wf, "entity_deleted", OFB_TYPE_BOOL, 0, NULL);
    tu_step(wf, "check_entity", NULL, NULL, 0);
    tu_step(wf, "delete_entity", "check_entity", "not entity_deleted", 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    ofb_error err;
    assert_int_equal(ofb_run_complete(run, "check_entity", NULL, &err), 0);
    assert_int_equal(tu_state(run, "delete_entity"), OFB_STEP_BLOCKED);
    assert_int_equal(ofb_run_complete(run, "delete_entity", NULL, &err),
                     OFB_ENEEDINPUT);
    assert_string_equal(err.detail, "entity_deleted");
    assert_non_null(strstr(err.message, "needs input 'entity_deleted'"));
    assert_int_equal(ofb_run_set_input(run, "entity_deleted", "false", NULL,
                                       &err), 0);
    assert_int_equal(tu_state(run, "delete_entity"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ready -> running (a person begins), running -> done (completes). */
static void test_person_begins_then_completes(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run = started(wf);
    ofb_error err;
    assert_int_equal(ofb_run_begin(run, "sync_job_off", NULL, &err), 0);
    assert_int_equal(tu_state(run, "sync_job_off"), OFB_STEP_RUNNING);
    assert_int_equal(ofb_run_begin(run, "sync_job_off", NULL, &err),
                     OFB_ENOTREADY);
    assert_int_equal(ofb_run_skip(run, "sync_job_off", NULL, &err),
                     OFB_ENOTREADY);
    assert_int_equal(ofb_run_complete(run, "sync_job_off", NULL, &err), 0);
    assert_int_equal(tu_state(run, "sync_job_off"), OFB_STEP_DONE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ready -> skipped: optional steps only, and a reason is required. */
static void test_only_optional_steps_can_be_skipped_with_a_reason(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "autotask", 1, NULL, NULL), 0);
    tu_step(wf, "ticket", NULL, NULL, 0);
    tu_step(wf, "scheduling_link", "ticket", NULL, OFB_STEP_OPTIONAL);
    tu_step(wf, "letter", "scheduling_link", NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    ofb_error err;
    ofb_act why = {"bob", "customer declined a remote appointment", NULL, 0, 0, NULL, 0};
    assert_int_equal(ofb_run_skip(run, "ticket", &why, &err), OFB_ENOTOPTIONAL);
    assert_string_equal(err.message, "cannot skip 'ticket': it is not optional");
    assert_int_equal(ofb_run_skip(run, "scheduling_link", &why, &err),
                     OFB_EPREREQ);
    assert_int_equal(ofb_run_complete(run, "ticket", NULL, &err), 0);
    assert_int_equal(ofb_run_skip(run, "scheduling_link", NULL, &err),
                     OFB_EINVAL);
    assert_int_equal(ofb_run_skip(run, "scheduling_link", &why, &err), 0);
    assert_int_equal(tu_state(run, "scheduling_link"), OFB_STEP_SKIPPED);
    assert_int_equal(tu_state(run, "letter"), OFB_STEP_READY);
    assert_int_equal(ofb_run_complete(run, "scheduling_link", NULL, &err),
                     OFB_ENOTREADY);
    assert_non_null(strstr(err.message, "skipped"));
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* A scripted handler: outcomes come from will_return. */
static int scripted(ofb_call *call, void *payload)
{
    (void)payload;
    check_expected(ofb_call_attempt(call));
    int outcome = mock_type(int);
    const char *text = mock_ptr_type(const char *);
    if (outcome == OFB_WAIT && text)
        ofb_call_wait(call, text);
    else if (text)
        ofb_call_reason(call, text);
    return outcome;
}

/* The next call of `scripted`: its expected attempt, the outcome it
 * returns, and the event (WAIT) or reason it gives. */
#define SCRIPT(attempt, outcome, text)                                        \
    do {                                                                      \
        expect_value(scripted, ofb_call_attempt(call), attempt);              \
        will_return(scripted, outcome);                                       \
        will_return(scripted, text);                                          \
    } while (0)

static ofb_run *one_step_run(ofb_workflow **wfp, unsigned flags,
                             const char *wait, int64_t timeout,
                             unsigned retry, int64_t backoff)
{
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "one", 1, NULL, NULL), 0);
    tu_step_full(wf, "notify", NULL, NULL, flags, "csm", "mail", wait,
                 timeout, retry, backoff);
    tu_step(wf, "after_notify", "notify", NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "notify", scripted, NULL,
                                  NULL, NULL), 0);
    *wfp = wf;
    return run;
}

/* running -> done when the handler says DONE and there is no wait. */
static void test_handler_done_completes_the_step(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, NULL, 0, 0, 0);
    SCRIPT(1, OFB_DONE, NULL);
    ofb_time next;
    assert_int_equal(ofb_run_advance(run, T0, &next, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_DONE);
    assert_int_equal(tu_state(run, "after_notify"), OFB_STEP_READY);
    assert_true(next == OFB_NEVER);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* running -> waiting (DONE with a wait), waiting -> done on the signal. */
static void test_wait_step_waits_for_its_event(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, "support_confirmed", 0, 0, 0);
    SCRIPT(1, OFB_DONE, NULL);
    ofb_error err;
    assert_int_equal(ofb_run_advance(run, T0, NULL, &err), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_WAITING);
    assert_int_equal(ofb_run_complete(run, "after_notify", NULL, &err),
                     OFB_EPREREQ);
    assert_int_equal(ofb_run_signal(run, "support_confirmd", NULL, &err),
                     OFB_ENOTFOUND);
    assert_int_equal(ofb_run_signal(run, "support_confirmed", NULL, &err), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_DONE);
    assert_int_equal(tu_state(run, "after_notify"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* Signals are latched: one that came before the wait counts. */
static void test_signal_before_wait_is_latched(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, "form_submitted", 0, 0, 0);
    assert_int_equal(ofb_run_signal(run, "form_submitted", NULL, NULL), 0);
    assert_true(ofb_run_signalled(run, "form_submitted"));
    SCRIPT(1, OFB_DONE, NULL);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_DONE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* WAIT(E) from a handler waits for E, named at run time. */
static void test_handler_wait_names_its_event(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, NULL, 0, 0, 0);
    SCRIPT(1, OFB_WAIT, "vault_export_ready");
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_WAITING);
    ofb_step_status st;
    ofb_run_step_status(run, 0, &st);
    assert_string_equal(st.event, "vault_export_ready");
    assert_int_equal(ofb_run_signal(run, "vault_export_ready", NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_DONE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* waiting -> failed when the timeout passes; failed -> ready on retry. */
static void test_wait_times_out_then_actor_retries(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, "form_submitted", 3 * 86400, 0, 0);
    SCRIPT(1, OFB_DONE, NULL);
    ofb_time next;
    assert_int_equal(ofb_run_advance(run, T0, &next, NULL), 0);
    assert_true(next == T0 + 3 * 86400);
    assert_int_equal(ofb_run_advance(run, T0 + 3 * 86400 - 1, &next, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_WAITING);
    assert_int_equal(ofb_run_advance(run, T0 + 3 * 86400, &next, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    assert_true(next == OFB_NEVER);
    /* The event arriving late does not revive a failed wait. */
    assert_int_equal(ofb_run_signal(run, "form_submitted", NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    ofb_error err;
    assert_int_equal(ofb_run_retry(run, "after_notify", NULL, &err),
                     OFB_ENOTREADY);
    assert_int_equal(ofb_run_retry(run, "notify", NULL, &err), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_READY);
    /* Attempt 2; the latched event now completes the wait at once. */
    SCRIPT(2, OFB_DONE, NULL);
    assert_int_equal(ofb_run_advance(run, T0 + 4 * 86400, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_DONE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* running -> retrying at now + backoff * 2^(attempt-1); retrying -> ready
 * when due; RETRY with no attempts left -> failed. */
static void test_retries_back_off_exponentially_then_fail(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, NULL, 0, 2, 60);
    ofb_time next;
    SCRIPT(1, OFB_RETRY, "PSA API returned 503");
    assert_int_equal(ofb_run_advance(run, T0, &next, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_RETRYING);
    assert_true(next == T0 + 60);
    assert_int_equal(ofb_run_advance(run, T0 + 59, &next, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_RETRYING);

    SCRIPT(2, OFB_RETRY, "PSA API returned 503");
    assert_int_equal(ofb_run_advance(run, T0 + 60, &next, NULL), 0);
    assert_true(next == T0 + 60 + 120);

    SCRIPT(3, OFB_RETRY, "PSA API returned 503");
    assert_int_equal(ofb_run_advance(run, T0 + 180, &next, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    assert_true(next == OFB_NEVER);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* running -> failed on FAIL. */
static void test_handler_failure_fails_the_step(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, NULL, 0, 3, 60);
    SCRIPT(1, OFB_FAIL, "mailbox not found");
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* running -> skipped on SKIP for optional steps; a non-optional step that a
 * handler tries to skip fails instead, visibly. */
static void test_handler_skip_only_for_optional_steps(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, OFB_STEP_OPTIONAL, NULL, 0, 0, 0);
    SCRIPT(1, OFB_SKIP, "no remote appointment wanted");
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_SKIPPED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);

    run = one_step_run(&wf, 0, NULL, 0, 0, 0);
    SCRIPT(1, OFB_SKIP, "not needed");
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* running -> failed by a person; an unknown outcome fails the step. */
static void test_person_reports_failure_and_bad_outcome_fails(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_run *run = one_step_run(&wf, 0, NULL, 0, 0, 0);
    ofb_error err;
    assert_int_equal(ofb_run_fail(run, "notify", NULL, &err), OFB_ENOTREADY);
    assert_int_equal(ofb_run_begin(run, "notify", NULL, &err), 0);
    ofb_act a = {"carol", "mail server rejected", NULL, 0, 0, NULL, 0};
    assert_int_equal(ofb_run_fail(run, "notify", &a, &err), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    assert_int_equal(ofb_run_retry(run, "notify", NULL, &err), 0);
    SCRIPT(2, 42, NULL);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "notify"), OFB_STEP_FAILED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* A handler's own error stops advance, unchanged, and the step is in
 * doubt: the next advance calls it again with the same key. */
static int erroring(ofb_call *call, void *payload)
{
    char *keys = payload;
    strcat(keys, ofb_call_key(call));
    strcat(keys, ";");
    return strlen(keys) < 25 ? -1234 : OFB_DONE; /* fails once */
}

static void test_handler_error_is_returned_and_retried_with_same_key(
    void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run = started(wf);
    char keys[256] = "";
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "sync_job_off", erroring,
                                  keys, NULL, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), -1234);
    assert_int_equal(tu_state(run, "sync_job_off"), OFB_STEP_RUNNING);
    ofb_step_status st;
    ofb_run_step_status(run, 0, &st);
    assert_true(st.in_doubt);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_string_equal(keys, "acme/sync_job_off/1;acme/sync_job_off/1;");
    assert_int_equal(tu_state(run, "sync_job_off"), OFB_STEP_DONE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- handlers */

static int tag_handler(ofb_call *call, void *payload)
{
    char *log = payload;
    strcat(log, ofb_call_step_id(call));
    strcat(log, "=");
    return OFB_DONE;
}

static int mark_a(ofb_call *c, void *p) { (void)c; strcat(p, "S"); return 0; }
static int mark_b(ofb_call *c, void *p) { (void)c; strcat(p, "A"); return 0; }
static int mark_c(ofb_call *c, void *p) { (void)c; strcat(p, "R"); return 0; }
static int mark_d(ofb_call *c, void *p) { (void)c; strcat(p, "D"); return 0; }

static int frees;
static void count_free(void *p) { (void)p; frees++; }

/* Most specific first: step, then action, then role, then default. */
static void test_handler_binding_most_specific_wins(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "bind", 1, NULL, NULL), 0);
    tu_step_full(wf, "s1", NULL, NULL, 0, "engineer", "export", NULL, 0, 0, 0);
    tu_step_full(wf, "s2", "s1", NULL, 0, "engineer", "export", NULL, 0, 0, 0);
    tu_step_full(wf, "s3", "s2", NULL, 0, "engineer", NULL, NULL, 0, 0, 0);
    tu_step_full(wf, "s4", "s3", NULL, 0, "csm", NULL, NULL, 0, 0, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_handlers *h;
    char log[64] = "";
    frees = 0;
    assert_int_equal(ofb_handlers_new(&h, wf, NULL), 0);
    assert_int_equal(ofb_handlers_bind(h, OFB_BIND_DEFAULT, NULL, mark_d, log,
                                       count_free, NULL), 0);
    assert_int_equal(ofb_handlers_bind(h, OFB_BIND_ROLE, "engineer", mark_c,
                                       log, count_free, NULL), 0);
    assert_int_equal(ofb_handlers_bind(h, OFB_BIND_ACTION, "export", mark_b,
                                       log, count_free, NULL), 0);
    assert_int_equal(ofb_handlers_bind(h, OFB_BIND_STEP, "s1", tag_handler,
                                       log, count_free, NULL), 0);
    /* Replacing a binding releases the old payload. */
    assert_int_equal(ofb_handlers_bind(h, OFB_BIND_STEP, "s1", mark_a, log,
                                       count_free, NULL), 0);
    assert_int_equal(frees, 1);
    ofb_error err;
    assert_int_equal(ofb_handlers_bind(h, OFB_BIND_ROLE, "janitor", mark_a,
                                       log, count_free, &err), OFB_ENOTFOUND);
    assert_int_equal(frees, 1); /* not bound: not ours to free */
    ofb_run *run = started(wf);
    assert_int_equal(ofb_run_set_handlers(run, h), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_string_equal(log, "SARD");
    assert_int_equal(ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, mark_a, NULL,
                                  NULL, &err), OFB_EINVAL);
    ofb_run_free(run);
    ofb_handlers_unref(h);
    assert_int_equal(frees, 5);
    ofb_workflow_unref(wf);
}

static int keyed(ofb_call *call, void *payload)
{
    strcpy(payload, ofb_call_key(call));
    ofb_call_evidence(call, "ticket", "T-2211");
    return OFB_DONE;
}

static void test_idempotency_key_is_run_step_attempt(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run;
    assert_int_equal(ofb_run_new(&run, wf, "acme-2026-11", NULL, NULL), 0);
    assert_int_equal(ofb_run_start(run, NULL, NULL), 0);
    char key[128] = "";
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "sync_job_off", keyed,
                                  key, NULL, NULL), 0);
    assert_int_equal(ofb_run_step(run, T0, NULL, NULL), 0);
    assert_string_equal(key, "acme-2026-11/sync_job_off/1");
    assert_string_equal(ofb_run_id(run), "acme-2026-11");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ofb_run_step runs one handler at a time. */
static void test_step_runs_one_handler_at_a_time(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle_head();
    ofb_run *run = started(wf);
    char log[128] = "";
    assert_int_equal(ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, tag_handler,
                                  log, NULL, NULL), 0);
    ofb_time next;
    assert_int_equal(ofb_run_step(run, T0, &next, NULL), 0);
    assert_string_equal(log, "sync_job_off=");
    assert_true(next == T0);
    size_t counts[8];
    ofb_run_counts(run, counts);
    assert_int_equal(counts[OFB_STEP_DONE], 1);
    assert_int_equal(counts[OFB_STEP_READY], 1);
    assert_int_equal(counts[OFB_STEP_BLOCKED], 2);
    assert_int_equal(ofb_run_advance(run, T0, &next, NULL), 0);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    assert_true(next == OFB_NEVER);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* --------------------------------------------------- irreversible steps */

static int count_calls(ofb_call *call, void *payload)
{
    (void)call;
    (*(int *)payload)++;
    return OFB_DONE;
}

static void test_irreversible_step_waits_for_confirmation(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "docs", 1, NULL, NULL), 0);
    tu_step(wf, "decide", NULL, NULL, 0);
    tu_step_full(wf, "delete_documents", "decide", NULL,
                 OFB_STEP_IRREVERSIBLE, "engineer", NULL, NULL, 0, 0, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    int calls = 0;
    ofb_error err;
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "delete_documents",
                                  count_calls, &calls, NULL, NULL), 0);
    assert_int_equal(ofb_run_confirm(run, "delete_documents", NULL, &err),
                     OFB_EPREREQ);
    assert_int_equal(ofb_run_confirm(run, "decide", NULL, &err), OFB_EINVAL);
    assert_int_equal(ofb_run_complete(run, "decide", NULL, &err), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(calls, 0);
    assert_int_equal(tu_state(run, "delete_documents"), OFB_STEP_READY);
    assert_int_equal(ofb_run_complete(run, "delete_documents", NULL, &err),
                     OFB_ECONFIRM);
    assert_non_null(strstr(err.message, "confirm it first"));
    ofb_act boss = {"practice-lead", "client asked in writing", NULL, 0, 0, NULL, 0};
    assert_int_equal(ofb_run_confirm(run, "delete_documents", &boss, &err), 0);
    assert_int_equal(ofb_run_confirm(run, "delete_documents", &boss, &err),
                     OFB_ENOTREADY);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* Manual steps never go to a handler, even a default one. */
static void test_manual_step_waits_for_a_person(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "manual", 1, NULL, NULL), 0);
    tu_step_full(wf, "meeting", NULL, NULL, OFB_STEP_MANUAL, "csm", NULL, NULL,
                 0, 0, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    int calls = 0;
    assert_int_equal(ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, count_calls,
                                  &calls, NULL, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(calls, 0);
    assert_int_equal(ofb_run_complete(run, "meeting", NULL, NULL), 0);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* --------------------------------------------------------------- inputs */

static int check_entity(ofb_call *call, void *payload)
{
    (void)payload;
    /* The sync left the entity in place: documents await signature. */
    assert_int_equal(ofb_call_set_input(call, "entity_deleted", "maybe"),
                     OFB_ETYPE);
    assert_int_equal(ofb_call_set_input(call, "nope", "true"), OFB_ENOTFOUND);
    assert_int_equal(ofb_call_set_input(call, "entity_deleted", "false"), 0);
    return OFB_DONE;
}

static void test_input_set_by_a_step_feeds_a_later_guard(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "nimbus", 1, NULL, NULL), 0);
    tu_input(wf, "entity_deleted", OFB_TYPE_BOOL, 0, NULL);
    tu_step(wf, "check_entity", NULL, NULL, 0);
    tu_step(wf, "delete_entity_manually", "check_entity",
            "not entity_deleted", 0);
    tu_step(wf, "done_note", "check_entity", "entity_deleted", 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    assert_null(ofb_run_input(run, "entity_deleted"));
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "check_entity",
                                  check_entity, NULL, NULL, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_string_equal(ofb_run_input(run, "entity_deleted"), "false");
    assert_int_equal(tu_state(run, "delete_entity_manually"), OFB_STEP_READY);
    assert_int_equal(tu_state(run, "done_note"), OFB_STEP_SKIPPED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static int failing_check(ofb_call *call, void *payload)
{
    (void)payload;
    assert_int_equal(ofb_call_set_input(call, "entity_deleted", "true"), 0);
    ofb_call_reason(call, "Nimbus API timed out");
    return OFB_FAIL;
}

/* A check that failed has found nothing: its findings are dropped. */
static void test_findings_of_a_failed_check_are_dropped(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "nimbus", 1, NULL, NULL), 0);
    tu_input(wf, "entity_deleted", OFB_TYPE_BOOL, 0, NULL);
    tu_step(wf, "check_entity", NULL, NULL, 0);
    tu_step(wf, "delete_entity_manually", "check_entity",
            "not entity_deleted", 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "check_entity",
                                  failing_check, NULL, NULL, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(tu_state(run, "check_entity"), OFB_STEP_FAILED);
    assert_null(ofb_run_input(run, "entity_deleted"));
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* A person who completes a check records what it found in the same act:
 * one journal record, and the later guard is decided at once. */
static void test_person_completes_a_check_with_its_findings(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "nimbus", 1, NULL, NULL), 0);
    tu_input(wf, "entity_deleted", OFB_TYPE_BOOL, 0, NULL);
    tu_step(wf, "check_entity", NULL, NULL, 0);
    tu_step(wf, "delete_entity_manually", "check_entity",
            "not entity_deleted", 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    ofb_error err;
    ofb_kv bad[] = {{"entity_deleted", "perhaps"}};
    ofb_act act = {"ruth", NULL, NULL, 0, T0, bad, 1};
    assert_int_equal(ofb_run_complete(run, "check_entity", &act, &err),
                     OFB_ETYPE);
    assert_int_equal(tu_state(run, "check_entity"), OFB_STEP_READY);
    ofb_kv found[] = {{"entity_deleted", "false"}};
    act.inputs = found;
    assert_int_equal(ofb_run_complete(run, "check_entity", &act, &err), 0);
    assert_string_equal(ofb_run_input(run, "entity_deleted"), "false");
    assert_int_equal(tu_state(run, "delete_entity_manually"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_defaults_apply_at_start_and_types_are_checked(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "defaults", 1, NULL, NULL), 0);
    tu_input(wf, "cdm", OFB_TYPE_BOOL, 1, "false");
    tu_input(wf, "end", OFB_TYPE_DATE, 0, NULL);
    tu_step(wf, "archive_documents", NULL, "cdm", 0);
    tu_step(wf, "decide_documents", NULL, "not cdm", 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "r", NULL, NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "end", "2026-02-30", NULL, &err),
                     OFB_ETYPE);
    assert_int_equal(ofb_run_set_input(run, "end", "2026-12-31", NULL, &err),
                     0);
    assert_int_equal(ofb_run_set_input(run, "cdm", "yes", NULL, &err),
                     OFB_ETYPE);
    assert_int_equal(ofb_run_set_input(run, "nope", "1", NULL, &err),
                     OFB_ENOTFOUND);
    assert_int_equal(ofb_run_start(run, NULL, &err), 0);
    assert_string_equal(ofb_run_input(run, "cdm"), "false");
    assert_int_equal(tu_state(run, "archive_documents"), OFB_STEP_SKIPPED);
    assert_int_equal(tu_state(run, "decide_documents"), OFB_STEP_READY);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------ next/plan */

struct collect {
    char text[1024];
};

static int collect_next(const ofb_next_item *it, void *payload)
{
    struct collect *c = payload;
    char line[256];
    snprintf(line, sizeof line, "%s:%d:%s:%s|", it->step_id, (int)it->kind,
             it->role, it->reason);
    strcat(c->text, line);
    return 0;
}

static void test_next_lists_who_must_act_and_why_others_wait(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "intercept", 1, NULL, NULL), 0);
    tu_input(wf, "new_admin_created", OFB_TYPE_BOOL, 0, NULL);
    tu_step_full(wf, "confirm_termination", NULL, NULL, 0, "csm", NULL, NULL,
                 0, 0, 0);
    tu_step_full(wf, "export_secrets", "confirm_termination", NULL, 0,
                 "engineer", NULL, NULL, 0, 0, 0);
    tu_step_full(wf, "remove_accounts", "export_secrets", NULL,
                 OFB_STEP_IRREVERSIBLE, "engineer", NULL, NULL, 0, 0, 0);
    tu_step_full(wf, "handover", "confirm_termination", "new_admin_created", 0,
                 "engineer", NULL, NULL, 0, 0, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    ofb_run *run = started(wf);
    struct collect c = {""};
    assert_int_equal(ofb_run_next(run, NULL, collect_next, &c), 0);
    assert_string_equal(c.text,
                        "confirm_termination:0:csm:ready for csm|"
                        "export_secrets:7:engineer:waits for "
                        "'confirm_termination' (role: csm)|"
                        "remove_accounts:7:engineer:waits for "
                        "'export_secrets' (role: engineer)|"
                        "handover:7:engineer:waits for 'confirm_termination' "
                        "(role: csm)|");
    assert_int_equal(ofb_run_complete(run, "confirm_termination", NULL, NULL),
                     0);
    assert_int_equal(ofb_run_complete(run, "export_secrets", NULL, NULL), 0);
    c.text[0] = '\0';
    assert_int_equal(ofb_run_next(run, "engineer", collect_next, &c), 0);
    assert_string_equal(c.text,
                        "remove_accounts:1:engineer:irreversible: engineer "
                        "must confirm it|"
                        "handover:8:engineer:needs input 'new_admin_created' "
                        "(when new_admin_created)|");
    c.text[0] = '\0';
    assert_int_equal(ofb_run_next(run, "csm", collect_next, &c), 0);
    assert_string_equal(c.text, "");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static int collect_plan(const ofb_plan_item *it, void *payload)
{
    struct collect *c = payload;
    char line[256];
    snprintf(line, sizeof line, "%zu:%zu:%d:%s|", it->position, it->step,
             (int)it->kind, it->reason);
    strcat(c->text, line);
    return 0;
}

static void test_plan_expands_the_workflow_without_running(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "plan", 1, NULL, NULL), 0);
    tu_choice(wf, "tier", "fullstack premium csp", 1);
    tu_input(wf, "entity_deleted", OFB_TYPE_BOOL, 0, NULL);
    tu_step(wf, "b", "a", "tier == csp", 0);
    tu_step(wf, "a", NULL, NULL, 0);
    tu_step(wf, "c", "a", "not entity_deleted", 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    struct collect c = {""};
    ofb_kv in[] = {{"tier", "premium"}};
    assert_int_equal(ofb_workflow_plan(wf, in, 1, collect_plan, &c, NULL), 0);
    assert_string_equal(c.text, "1:1:0:|2:0:1:when tier == csp is false|"
                                "3:2:2:decided during the run: needs input "
                                "'entity_deleted'|");
    ofb_kv bad[] = {{"tier", "gold"}};
    ofb_error err;
    assert_int_equal(ofb_workflow_plan(wf, bad, 1, collect_plan, &c, &err),
                     OFB_ETYPE);
    ofb_kv unknown[] = {{"tir", "csp"}};
    assert_int_equal(ofb_workflow_plan(wf, unknown, 1, collect_plan, &c, &err),
                     OFB_ENOTFOUND);
    ofb_workflow_unref(wf);
}

/* ---------------------------------------------------- allocation failure */

/* The whole story with a fallible allocator: each allocation in turn
 * fails; the call that hit it returns OFB_ENOMEM and nothing leaks. */
static int alloc_story(const ofb_allocator *a, int *stage)
{
    ofb_workflow *wf = NULL;
    ofb_run *run = NULL;
    int rc;
    *stage = 0;
    if ((rc = ofb_workflow_new(&wf, "story", 1, a, NULL)))
        goto out;
    *stage = 1;
    ofb_input_def in = {"cdm", OFB_TYPE_BOOL, NULL, 0, 0, "true", NULL};
    const char *after_a[] = {"a"};
    const char *after_b[] = {"b"};
    ofb_step_def sa = {"a", "A", "csm", NULL, NULL, 0, NULL, NULL, 0, 0, 0, 0,
                       NULL};
    ofb_step_def sb = {"b", "B", "csm", "mail", after_a, 1, "cdm", "ev", 0, 1,
                       10, 0, NULL};
    ofb_step_def sc = {"c", "C", NULL, NULL, after_b, 1, "not cdm", NULL, 0, 0,
                       0, 0, NULL};
    if ((rc = ofb_workflow_add_input(wf, &in, NULL)) ||
        (rc = ofb_workflow_add_step(wf, &sa, NULL)) ||
        (rc = ofb_workflow_add_step(wf, &sb, NULL)) ||
        (rc = ofb_workflow_add_step(wf, &sc, NULL)) ||
        (rc = ofb_workflow_seal(wf, NULL)))
        goto out;
    *stage = 2;
    if ((rc = ofb_run_new(&run, wf, "r", NULL, NULL)) ||
        (rc = ofb_run_start(run, NULL, NULL)))
        goto out;
    *stage = 3;
    int calls = 0;
    if ((rc = ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, count_calls, &calls,
                           NULL, NULL)) ||
        (rc = ofb_run_advance(run, T0, NULL, NULL)) ||
        (rc = ofb_run_signal(run, "ev", NULL, NULL)))
        goto out;
    *stage = 4;
    rc = ofb_run_status_get(run) == OFB_RUN_COMPLETED ? 0 : -999;
out:
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return rc;
}

static void test_every_allocation_failure_is_reported_and_leaks_nothing(
    void **state)
{
    (void)state;
    tu_alloc t;
    int stage, n;
    for (n = 1;; n++) {
        tu_alloc_init(&t, n);
        int rc = alloc_story(&t.a, &stage);
        assert_int_equal(t.live, 0);
        if (!t.failed) {
            assert_int_equal(rc, 0);
            break;
        }
        /* A failure inside advance may surface as a failed step instead of
         * an error when it hit the handler's outcome; both are honest. */
        if (rc != OFB_ENOMEM)
            assert_int_equal(rc, -999);
    }
    assert_true(n > 10);
}

/* ------------------------------------------------------ property tests */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

#define PMAX 6

static const char *const names[] = {"s0", "s1", "s2", "s3", "s4", "s5", "s6",
                                    "s7"};

/* A random DAG on n steps: edges only from lower to higher index, so it is
 * acyclic; steps are added in shuffled order to exercise forward refs. */
static ofb_workflow *random_dag(int n, int adj[PMAX][PMAX])
{
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "dag", 1, NULL, NULL), 0);
    int perm[PMAX];
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnd((uint32_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            adj[i][j] = j < i && rnd(3) == 0; /* i after j */
    for (int k = 0; k < n; k++) {
        int i = perm[k];
        char after[64] = "";
        for (int j = 0; j < n; j++) {
            if (adj[i][j]) {
                strcat(after, names[j]);
                strcat(after, " ");
            }
        }
        tu_step(wf, names[i], after, NULL, 0);
    }
    assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
    return wf;
}

static bool next_perm(int *a, int n)
{
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

/* (1) For small random DAGs, every order of completing the steps is tried:
 * exactly the topological orders are accepted. */
static void test_exactly_topological_orders_are_accepted(void **state)
{
    (void)state;
    long cases = 0, accepted = 0;
    for (int round = 0; round < 60; round++) {
        int n = 3 + (int)rnd(PMAX - 2), adj[PMAX][PMAX];
        ofb_workflow *wf = random_dag(n, adj);
        int order[PMAX];
        for (int i = 0; i < n; i++)
            order[i] = i;
        do {
            bool topo = true;
            for (int a = 0; a < n; a++)
                for (int b = a + 1; b < n; b++)
                    if (adj[order[a]][order[b]])
                        topo = false; /* order[a] needs order[b], later */
            ofb_run *run;
            assert_int_equal(ofb_run_new(&run, wf, "p", NULL, NULL), 0);
            assert_int_equal(ofb_run_start(run, NULL, NULL), 0);
            bool ok = true;
            for (int k = 0; k < n && ok; k++) {
                int rc = ofb_run_complete(run, names[order[k]], NULL, NULL);
                if (rc) {
                    assert_int_equal(rc, OFB_EPREREQ);
                    ok = false;
                }
            }
            assert_int_equal(ok, topo);
            assert_int_equal(ofb_run_status_get(run) == OFB_RUN_COMPLETED, ok);
            accepted += ok;
            cases++;
            ofb_run_free(run);
        } while (next_perm(order, n));
        ofb_workflow_unref(wf);
    }
    assert_true(cases > 5000);
    assert_true(accepted > 0 && accepted < cases);
}

static int rnd_handler(ofb_call *call, void *payload)
{
    (void)payload;
    (void)call;
    static const int outcomes[] = {OFB_DONE, OFB_DONE, OFB_RETRY, OFB_FAIL,
                                   OFB_SKIP, OFB_WAIT};
    int o = outcomes[rnd(6)];
    if (o == OFB_WAIT)
        ofb_call_wait(call, "ev");
    return o;
}

/* (2) Random sequences of API calls never break the invariants: a step is
 * ready only when its prerequisites are settled, and settled steps never
 * change. */
static void test_random_calls_keep_the_invariants(void **state)
{
    (void)state;
    long calls = 0;
    for (int round = 0; round < 300; round++) {
        int n = 3 + (int)rnd(PMAX - 2), adj[PMAX][PMAX];
        ofb_workflow *wf;
        assert_int_equal(ofb_workflow_new(&wf, "inv", 1, NULL, NULL), 0);
        tu_input(wf, "flag", OFB_TYPE_BOOL, 0, NULL);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                adj[i][j] = j < i && rnd(3) == 0;
        for (int i = 0; i < n; i++) {
            char after[64] = "";
            for (int j = 0; j < n; j++)
                if (adj[i][j]) {
                    strcat(after, names[j]);
                    strcat(after, " ");
                }
            const char *when = rnd(4) == 0 ? (rnd(2) ? "flag" : "not flag")
                                           : NULL;
            unsigned flags = (rnd(3) == 0 ? OFB_STEP_OPTIONAL : 0) |
                             (rnd(5) == 0 ? OFB_STEP_IRREVERSIBLE : 0);
            bool waits = rnd(4) == 0;
            unsigned retries = rnd(3);
            tu_step_full(wf, names[i], after, when, flags, NULL, NULL,
                         waits ? "ev" : NULL, waits && rnd(2) ? 100 : 0,
                         retries, retries ? 10 : 0);
        }
        assert_int_equal(ofb_workflow_seal(wf, NULL), 0);
        ofb_run *run;
        assert_int_equal(ofb_run_new(&run, wf, "inv", NULL, NULL), 0);
        assert_int_equal(ofb_run_start(run, NULL, NULL), 0);
        if (rnd(2))
            ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, rnd_handler, NULL, NULL,
                         NULL);
        ofb_step_state prev[PMAX];
        for (int i = 0; i < n; i++)
            prev[i] = OFB_STEP_BLOCKED;
        ofb_time now = T0;
        for (int k = 0; k < 60; k++) {
            const char *s = names[rnd((uint32_t)n)];
            ofb_act act = {"prop", "because", NULL, 0, now, NULL, 0};
            switch (rnd(10)) {
            case 0: ofb_run_complete(run, s, &act, NULL); break;
            case 1: ofb_run_skip(run, s, &act, NULL); break;
            case 2: ofb_run_confirm(run, s, &act, NULL); break;
            case 3: ofb_run_begin(run, s, &act, NULL); break;
            case 4: ofb_run_fail(run, s, &act, NULL); break;
            case 5: ofb_run_retry(run, s, &act, NULL); break;
            case 6: ofb_run_signal(run, "ev", &act, NULL); break;
            case 7: ofb_run_set_input(run, "flag", rnd(2) ? "true" : "false",
                                      &act, NULL); break;
            default:
                now += rnd(200);
                ofb_run_advance(run, now, NULL, NULL);
                break;
            }
            calls++;
            size_t settled = 0;
            for (int i = 0; i < n; i++) {
                ofb_step_state st = tu_state(run, names[i]);
                if (prev[i] >= OFB_STEP_DONE)
                    assert_int_equal(st, prev[i]);
                if (st != OFB_STEP_BLOCKED) {
                    for (int j = 0; j < n; j++)
                        if (adj[i][j])
                            assert_true(tu_state(run, names[j]) >=
                                        OFB_STEP_DONE);
                }
                settled += st >= OFB_STEP_DONE;
                prev[i] = st;
            }
            assert_int_equal(settled == (size_t)n,
                             ofb_run_status_get(run) == OFB_RUN_COMPLETED);
        }
        ofb_run_free(run);
        ofb_workflow_unref(wf);
    }
    assert_true(calls >= 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags_cannot_be_removed_while_sync_job_is_on),
        cmocka_unit_test(
            test_actions_before_start_and_after_completion_are_refused),
        cmocka_unit_test(test_cancelled_run_refuses_everything),
        cmocka_unit_test(test_bad_run_ids_are_refused),
        cmocka_unit_test(test_guard_decides_ready_or_skipped),
        cmocka_unit_test(test_guard_on_unset_input_blocks_with_reason),
        cmocka_unit_test(test_person_begins_then_completes),
        cmocka_unit_test(test_only_optional_steps_can_be_skipped_with_a_reason),
        cmocka_unit_test(test_handler_done_completes_the_step),
        cmocka_unit_test(test_wait_step_waits_for_its_event),
        cmocka_unit_test(test_signal_before_wait_is_latched),
        cmocka_unit_test(test_handler_wait_names_its_event),
        cmocka_unit_test(test_wait_times_out_then_actor_retries),
        cmocka_unit_test(test_retries_back_off_exponentially_then_fail),
        cmocka_unit_test(test_handler_failure_fails_the_step),
        cmocka_unit_test(test_handler_skip_only_for_optional_steps),
        cmocka_unit_test(test_person_reports_failure_and_bad_outcome_fails),
        cmocka_unit_test(
            test_handler_error_is_returned_and_retried_with_same_key),
        cmocka_unit_test(test_handler_binding_most_specific_wins),
        cmocka_unit_test(test_idempotency_key_is_run_step_attempt),
        cmocka_unit_test(test_step_runs_one_handler_at_a_time),
        cmocka_unit_test(test_irreversible_step_waits_for_confirmation),
        cmocka_unit_test(test_manual_step_waits_for_a_person),
        cmocka_unit_test(test_input_set_by_a_step_feeds_a_later_guard),
        cmocka_unit_test(test_findings_of_a_failed_check_are_dropped),
        cmocka_unit_test(test_person_completes_a_check_with_its_findings),
        cmocka_unit_test(test_defaults_apply_at_start_and_types_are_checked),
        cmocka_unit_test(test_next_lists_who_must_act_and_why_others_wait),
        cmocka_unit_test(test_plan_expands_the_workflow_without_running),
        cmocka_unit_test(
            test_every_allocation_failure_is_reported_and_leaks_nothing),
        cmocka_unit_test(test_exactly_topological_orders_are_accepted),
        cmocka_unit_test(test_random_calls_keep_the_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
