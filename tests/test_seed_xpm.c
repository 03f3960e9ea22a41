/*
 * test_seed_xpm.c - the built-in xpm-nimbus-client workflow (seed 003,
 * "Clients Off-boarding Process - XPM"): history exported before the client
 * is archived (XPM) or closed (MYOB AE), a full sync and its wait, checks
 * that record what the sync removed, and documents archived (CDM) or
 * deleted on purpose.
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
    return tu_builtin("xpm-nimbus-client");
}

static ofb_run *start(ofb_workflow *wf, const char *pm, const char *cdm)
{
    ofb_run *run = NULL;
    ofb_act act = {"debby", NULL, NULL, 0, T0, NULL, 0};
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "client-4711", NULL, &err), 0);
    assert_int_equal(
        ofb_run_set_input(run, "practice_manager", pm, &act, &err), 0);
    assert_int_equal(ofb_run_set_input(run, "cdm", cdm, &act, &err), 0);
    assert_int_equal(ofb_run_start(run, &act, &err), 0);
    return run;
}

static void done(ofb_run *run, const char *step)
{
    tu_done(run, step, NULL);
}

static void confirm_and_do(ofb_run *run, const char *step)
{
    ofb_error err;
    assert_int_equal(ofb_run_complete(run, step, NULL, &err), OFB_ECONFIRM);
    if (ofb_run_confirm(run, step, NULL, &err))
        fail_msg("%s: %s", step, err.message);
    done(run, step);
}

/* A check step's handler: records what it found into an input. */
typedef struct finding {
    const char *input, *value;
    int calls;
} finding;

static int record_finding(ofb_call *call, void *payload)
{
    finding *f = payload;
    f->calls++;
    assert_int_equal(ofb_call_set_input(call, f->input, f->value), 0);
    ofb_call_evidence(call, "checked", "client grid");
    return OFB_DONE;
}

static void bind_check(ofb_run *run, const char *step, finding *f)
{
    ofb_error err;
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, step, record_finding, f,
                                  NULL, &err),
                     0);
}

/* Up to the end of the sync, for either practice manager. */
static void export_archive_sync(ofb_run *run, const char *archive_step)
{
    ofb_error err;
    ofb_time next;

    done(run, "history_exported");
    confirm_and_do(run, archive_step);
    done(run, "full_sync");
    assert_int_equal(tu_state(run, "full_sync"), OFB_STEP_WAITING);
    /* Nothing is checked before the sync cycle has run. */
    assert_int_equal(ofb_run_complete(run, "entity_checked", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "full_sync");
    assert_int_equal(ofb_run_advance(run, T0 + 3600, &next, &err), 0);
    assert_int_equal(tu_state(run, "entity_checked"), OFB_STEP_BLOCKED);
    assert_int_equal(ofb_run_signal(run, "nimbus_sync_done", NULL, &err), 0);
    assert_int_equal(tu_state(run, "full_sync"), OFB_STEP_DONE);
}

static void test_history_is_exported_before_the_client_is_archived(
    void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "xpm", "true");
    ofb_error err;

    (void)state;
    assert_int_equal(ofb_run_confirm(run, "archived_in_xpm", NULL, &err),
                     OFB_EPREREQ);
    assert_int_equal(ofb_run_complete(run, "archived_in_xpm", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.message,
                        "cannot complete 'archived_in_xpm': prerequisite "
                        "'history_exported' is not done (role: admin)");
    done(run, "history_exported");
    assert_int_equal(tu_state(run, "closed_in_myob"), OFB_STEP_SKIPPED);
    assert_int_equal(ofb_run_complete(run, "closed_in_myob", NULL, &err),
                     OFB_EGUARD);
    confirm_and_do(run, "archived_in_xpm");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_xpm_cdm_client_removed_by_sync(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "xpm", "true");
    finding entity = {"entity_deleted", "true", 0};
    finding contacts = {"contacts_with_logins", "false", 0};
    ofb_error err;
    ofb_time next;

    (void)state;
    bind_check(run, "entity_checked", &entity);
    bind_check(run, "contacts_checked", &contacts);
    export_archive_sync(run, "archived_in_xpm");
    assert_int_equal(ofb_run_advance(run, T0 + 7200, &next, &err), 0);
    assert_int_equal(entity.calls, 1);
    assert_int_equal(contacts.calls, 1);
    assert_string_equal(ofb_run_input(run, "entity_deleted"), "true");
    /* The sync did the work: nothing to delete by hand. */
    assert_int_equal(tu_state(run, "entity_deleted_manually"),
                     OFB_STEP_SKIPPED);
    assert_int_equal(tu_state(run, "contacts_deleted"), OFB_STEP_SKIPPED);
    /* CDM: documents go to the archive, never deleted. */
    assert_int_equal(tu_state(run, "documents_decision"), OFB_STEP_SKIPPED);
    assert_int_equal(tu_state(run, "documents_deleted"), OFB_STEP_SKIPPED);
    done(run, "documents_archived");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_myob_client_left_behind_is_deleted_by_hand(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "myob_ae", "false");
    ofb_error err;

    (void)state;
    export_archive_sync(run, "closed_in_myob");
    assert_int_equal(tu_state(run, "archived_in_xpm"), OFB_STEP_SKIPPED);
    /* A person checks: the entity is still in the grid (documents for
     * signature), and two contacts with a login remain. */
    assert_int_equal(
        ofb_run_complete(run, "entity_deleted_manually", NULL, &err),
        OFB_EPREREQ);
    assert_int_equal(ofb_run_set_input(run, "entity_deleted", "false", NULL,
                                       &err),
                     0);
    done(run, "entity_checked");
    confirm_and_do(run, "entity_deleted_manually");
    assert_int_equal(ofb_run_set_input(run, "contacts_with_logins", "true",
                                       NULL, &err),
                     0);
    done(run, "contacts_checked");
    confirm_and_do(run, "contacts_deleted");
    /* Not CDM: someone decides to delete the documents for good. */
    assert_int_equal(tu_state(run, "documents_archived"), OFB_STEP_SKIPPED);
    assert_int_equal(ofb_run_set_input(run, "delete_documents", "true", NULL,
                                       &err),
                     0);
    done(run, "documents_decision");
    confirm_and_do(run, "documents_deleted");
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_guards_wait_for_the_findings(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "xpm", "false");
    ofb_error err;

    (void)state;
    export_archive_sync(run, "archived_in_xpm");
    done(run, "entity_checked"); /* but the finding was not recorded */
    /* Never a silent skip: the step waits for the input. */
    assert_int_equal(tu_state(run, "entity_deleted_manually"),
                     OFB_STEP_BLOCKED);
    assert_int_equal(
        ofb_run_complete(run, "entity_deleted_manually", NULL, &err),
        OFB_ENEEDINPUT);
    assert_string_equal(err.detail, "entity_deleted");
    assert_int_equal(ofb_run_set_input(run, "entity_deleted", "true", NULL,
                                       &err),
                     0);
    assert_int_equal(tu_state(run, "entity_deleted_manually"),
                     OFB_STEP_SKIPPED);
    assert_int_equal(ofb_run_set_input(run, "contacts_with_logins", "false",
                                       NULL, &err),
                     0);
    done(run, "contacts_checked");
    assert_int_equal(tu_state(run, "contacts_deleted"), OFB_STEP_SKIPPED);
    /* Keep the documents: the irreversible deletion never comes up. */
    assert_int_equal(ofb_run_set_input(run, "delete_documents", "false",
                                       NULL, &err),
                     0);
    done(run, "documents_decision");
    assert_int_equal(tu_state(run, "documents_deleted"), OFB_STEP_SKIPPED);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_sync_that_never_completes_fails_after_two_days(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "xpm", "true");
    ofb_act act = {"debby", NULL, NULL, 0, T0 + 600, NULL, 0};
    ofb_error err;
    ofb_time next;

    (void)state;
    done(run, "history_exported");
    confirm_and_do(run, "archived_in_xpm");
    assert_int_equal(ofb_run_complete(run, "full_sync", &act, &err), 0);
    assert_int_equal(ofb_run_advance(run, T0 + 700, &next, &err), 0);
    assert_int_equal(next, T0 + 600 + 2 * 86400);
    assert_int_equal(ofb_run_advance(run, T0 + 600 + 2 * 86400, &next, &err),
                     0);
    assert_int_equal(tu_state(run, "full_sync"), OFB_STEP_FAILED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

typedef struct plan {
    const ofb_workflow *wf;
    char line[16][80];
    int n;
} plan;

static int on_plan(const ofb_plan_item *item, void *payload)
{
    plan *p = payload;
    ofb_step_info si;
    static const char *const kind[] = {"run", "skip", "depends"};
    assert_int_equal(ofb_workflow_step(p->wf, item->step, &si), 0);
    assert_true(p->n < 16);
    snprintf(p->line[p->n++], 80, "%s %s", kind[item->kind], si.id);
    return 0;
}

static void test_plan_for_an_xpm_cdm_client(void **state)
{
    ofb_workflow *wf = load();
    ofb_kv in[] = {{"practice_manager", "xpm"}, {"cdm", "true"}};
    plan p;
    static const char *const want[] = {
        "run history_exported",        "run archived_in_xpm",
        "skip closed_in_myob",         "run full_sync",
        "run entity_checked",          "depends entity_deleted_manually",
        "run contacts_checked",        "depends contacts_deleted",
        "run documents_archived",      "skip documents_decision",
        "skip documents_deleted",
    };
    int i;

    (void)state;
    memset(&p, 0, sizeof p);
    p.wf = wf;
    assert_int_equal(ofb_workflow_plan(wf, in, 2, on_plan, &p, NULL), 0);
    assert_int_equal(p.n, 11);
    for (i = 0; i < 11; i++) {
        int k, found = 0;
        for (k = 0; k < p.n; k++)
            found |= strcmp(p.line[k], want[i]) == 0;
        if (!found)
            fail_msg("plan lacks '%s'", want[i]);
    }
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_history_is_exported_before_the_client_is_archived),
        cmocka_unit_test(test_xpm_cdm_client_removed_by_sync),
        cmocka_unit_test(test_myob_client_left_behind_is_deleted_by_hand),
        cmocka_unit_test(test_guards_wait_for_the_findings),
        cmocka_unit_test(test_sync_that_never_completes_fails_after_two_days),
        cmocka_unit_test(test_plan_for_an_xpm_cdm_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
