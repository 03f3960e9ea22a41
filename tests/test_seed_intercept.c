/*
 * test_seed_intercept.c - the built-in intercept-customer workflow (seed
 * 004, Intercept's offboarding issue template): one workflow whose guards
 * give each support tier exactly the seed's checklist for that tier, after
 * stage 0, in a safe order.
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

/* The seed's lists, in the seed's words' order, as step ids. */
static const char *const stage0[] = {"notice_received",
                                     "termination_confirmed", NULL};
static const char *const fullstack[] = {
    "meeting_setup",         "migration_details",
    "resources_exported",    "secrets_exported",
    "prtg_customer_removed", "prtg_probe_removed",
    "admin_account_created", "accounts_removed",
    "secrets_handed_over",   "policies_removed",
    "resources_removed",     "lighthouse_removed",
    "csp_transfer_accepted", "reassure_disabled",
    "reassure_articles_removed", "contract_terminated", NULL};
static const char *const premium[] = {
    "meeting_setup",         "migration_details",
    "secrets_exported",      "prtg_customer_removed",
    "prtg_probe_removed",    "admin_account_created",
    "accounts_removed",      "secrets_handed_over",
    "policies_removed",      "resources_removed",
    "lighthouse_removed",    "csp_transfer_accepted",
    "reassure_disabled",     "reassure_articles_removed",
    "contract_terminated",   NULL};
static const char *const csp[] = {
    "migration_details",     "policies_removed",
    "resources_removed",     "lighthouse_removed",
    "csp_transfer_accepted", "reassure_disabled",
    "reassure_articles_removed", "contract_terminated", NULL};

/* Who the seed says does each line ("CSM >>", "Engineer >>", ...). */
static const struct {
    const char *step, *role;
} roles[] = {
    {"notice_received", "csm"},
    {"termination_confirmed", "csm"},
    {"meeting_setup", "csm"},
    {"migration_details", "engineer"},
    {"resources_exported", "engineer"},
    {"secrets_exported", "engineer"},
    {"prtg_customer_removed", "engineer"},
    {"prtg_probe_removed", "engineer"},
    {"admin_account_created", "engineer"},
    {"accounts_removed", "engineer"},
    {"secrets_handed_over", "engineer"},
    {"policies_removed", "engineer"},
    {"resources_removed", "engineer"},
    {"lighthouse_removed", "engineer"},
    {"csp_transfer_accepted", "practice-lead"},
    {"reassure_disabled", "csm"},
    {"reassure_articles_removed", "csm"},
    {"contract_terminated", "csm"},
};
#define NSTEPS (sizeof roles / sizeof roles[0])

static int in_list(const char *const *list, const char *id)
{
    for (; *list; list++)
        if (strcmp(*list, id) == 0)
            return 1;
    return 0;
}

static int applies(const char *const *tier, const char *id)
{
    return in_list(stage0, id) || in_list(tier, id);
}

static ofb_workflow *load(void)
{
    return tu_builtin("intercept-customer");
}

static ofb_run *start(ofb_workflow *wf, const char *tier)
{
    ofb_run *run = NULL;
    ofb_act act = {"csm:inge", NULL, NULL, 0, T0, NULL, 0};
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "contoso-2026", NULL, &err), 0);
    assert_int_equal(ofb_run_set_input(run, "tier", tier, &act, &err), 0);
    assert_int_equal(
        ofb_run_set_input(run, "contract_end", "2026-12-31", &act, &err), 0);
    assert_int_equal(
        ofb_run_set_input(run, "new_supplier", "Northwind MSP", &act, &err),
        0);
    assert_int_equal(ofb_run_start(run, &act, &err), 0);
    return run;
}

static void done(ofb_run *run, const char *step)
{
    tu_done(run, step, NULL);
}

/* ---------------------------------------------------------------- plans */

typedef struct plan {
    const ofb_workflow *wf;
    char run[32][64];
    int nrun, nskip;
} plan;

static int on_plan(const ofb_plan_item *item, void *payload)
{
    plan *p = payload;
    ofb_step_info si;
    assert_int_equal(ofb_workflow_step(p->wf, item->step, &si), 0);
    if (item->kind == OFB_PLAN_RUN) {
        assert_true(p->nrun < 32);
        snprintf(p->run[p->nrun++], 64, "%s", si.id);
    } else {
        assert_int_equal(item->kind, OFB_PLAN_SKIP);
        assert_non_null(strstr(item->reason, "tier"));
        p->nskip++;
    }
    return 0;
}

static void check_plan(const char *tier, const char *const *list)
{
    ofb_workflow *wf = load();
    ofb_kv in = {"tier", tier};
    plan p;
    size_t want = 0, i;
    ofb_error err;

    memset(&p, 0, sizeof p);
    p.wf = wf;
    assert_int_equal(ofb_workflow_plan(wf, &in, 1, on_plan, &p, &err), 0);
    for (i = 0; list[i]; i++)
        want++;
    /* Exactly stage 0 and the tier's list: nothing more, nothing less. */
    assert_int_equal(p.nrun, (int)(want + 2));
    assert_int_equal(p.nrun + p.nskip, (int)NSTEPS);
    for (i = 0; i < (size_t)p.nrun; i++)
        if (!applies(list, p.run[i]))
            fail_msg("%s plan runs '%s'", tier, p.run[i]);
    for (i = 0; list[i]; i++) {
        int k, found = 0;
        for (k = 0; k < p.nrun; k++)
            found |= strcmp(p.run[k], list[i]) == 0;
        if (!found)
            fail_msg("%s plan misses '%s'", tier, list[i]);
    }
    /* Stage 0 first, the contract last. */
    assert_string_equal(p.run[0], "notice_received");
    assert_string_equal(p.run[1], "termination_confirmed");
    assert_string_equal(p.run[p.nrun - 1], "contract_terminated");
    ofb_workflow_unref(wf);
}

static void test_fullstack_plan_is_the_seed_list(void **state)
{
    (void)state;
    check_plan("fullstack", fullstack);
}

static void test_premium_plan_is_the_seed_list(void **state)
{
    (void)state;
    check_plan("premium", premium);
}

static void test_csp_plan_is_the_seed_list(void **state)
{
    (void)state;
    check_plan("csp", csp);
}

static void test_roles_follow_the_seed(void **state)
{
    ofb_workflow *wf = load();
    size_t i;
    (void)state;
    assert_int_equal(ofb_workflow_step_count(wf), NSTEPS);
    for (i = 0; i < NSTEPS; i++) {
        size_t ix;
        ofb_step_info si;
        assert_int_equal(ofb_workflow_find_step(wf, roles[i].step, &ix), 0);
        assert_int_equal(ofb_workflow_step(wf, ix, &si), 0);
        assert_string_equal(si.role, roles[i].role);
    }
    ofb_workflow_unref(wf);
}

/* --------------------------------------------------------- whole runs */

typedef struct todo {
    char id[64];
    ofb_next_kind kind;
    int found;
} todo;

static int first_actionable(const ofb_next_item *item, void *payload)
{
    todo *t = payload;
    /* One at a time, the first in topological order. */
    if (!t->found &&
        (item->kind == OFB_NEXT_DO || item->kind == OFB_NEXT_CONFIRM)) {
        snprintf(t->id, sizeof t->id, "%s", item->step_id);
        t->kind = item->kind;
        t->found = 1;
    }
    return 0;
}

/* Does whatever is actionable, one step at a time, as people would; the
 * order actually taken goes into order[]. */
static int run_to_end(ofb_run *run, char order[][64])
{
    int n = 0;
    for (;;) {
        todo t;
        ofb_error err;
        memset(&t, 0, sizeof t);
        ofb_run_next(run, NULL, first_actionable, &t);
        if (!t.found)
            break;
        if (t.kind == OFB_NEXT_CONFIRM)
            assert_int_equal(ofb_run_confirm(run, t.id, NULL, &err), 0);
        done(run, t.id);
        assert_true(n < 32);
        snprintf(order[n++], 64, "%s", t.id);
    }
    return n;
}

static int pos(char order[][64], int n, const char *id)
{
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(order[i], id) == 0)
            return i;
    return -1;
}

static void before(char order[][64], int n, const char *a, const char *b)
{
    int pa = pos(order, n, a), pb = pos(order, n, b);
    if (pa < 0 || pb < 0)
        return; /* not in this tier */
    if (pa >= pb)
        fail_msg("'%s' ran after '%s'", a, b);
}

static void run_tier(const char *tier, const char *const *list)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, tier);
    char order[32][64];
    int n = run_to_end(run, order), i;
    size_t want = 2;

    for (i = 0; list[i]; i++)
        want++;
    assert_int_equal(n, (int)want);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    for (i = 0; i < (int)NSTEPS; i++)
        assert_int_equal(tu_state(run, roles[i].step),
                         applies(list, roles[i].step) ? OFB_STEP_DONE
                                                      : OFB_STEP_SKIPPED);

    /* The safe order explained in the workflow file. */
    before(order, n, "termination_confirmed", "migration_details");
    before(order, n, "meeting_setup", "migration_details");
    before(order, n, "resources_exported", "resources_removed");
    before(order, n, "secrets_exported", "secrets_handed_over");
    before(order, n, "secrets_handed_over", "accounts_removed");
    before(order, n, "admin_account_created", "accounts_removed");
    before(order, n, "prtg_customer_removed", "prtg_probe_removed");
    before(order, n, "policies_removed", "resources_removed");
    before(order, n, "reassure_disabled", "reassure_articles_removed");
    for (i = 0; i < (int)NSTEPS; i++)
        if (strcmp(roles[i].role, "engineer") == 0 &&
            strcmp(roles[i].step, "lighthouse_removed") != 0)
            before(order, n, roles[i].step, "lighthouse_removed");
    assert_string_equal(order[n - 1], "contract_terminated");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_fullstack_runs_to_completion(void **state)
{
    (void)state;
    run_tier("fullstack", fullstack);
}

static void test_premium_runs_to_completion_without_resource_export(
    void **state)
{
    (void)state;
    run_tier("premium", premium);
}

static void test_csp_runs_to_completion_with_eight_steps(void **state)
{
    (void)state;
    run_tier("csp", csp);
}

/* ------------------------------------------------------------ refusals */

static void test_tier_is_required(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = NULL;
    ofb_error err;
    (void)state;
    assert_int_equal(ofb_run_new(&run, wf, "r", NULL, &err), 0);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_ENEEDINPUT);
    assert_string_equal(err.detail, "tier");
    assert_int_equal(ofb_run_set_input(run, "tier", "gold", NULL, &err),
                     OFB_ETYPE);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_accounts_stay_until_new_admin_and_secrets_handed_over(
    void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "premium");
    ofb_error err;

    (void)state;
    done(run, "notice_received");
    done(run, "termination_confirmed");
    done(run, "meeting_setup");
    done(run, "migration_details");
    assert_int_equal(ofb_run_complete(run, "accounts_removed", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "admin_account_created");
    done(run, "admin_account_created");
    assert_int_equal(ofb_run_complete(run, "accounts_removed", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "secrets_handed_over");
    assert_int_equal(ofb_run_complete(run, "secrets_handed_over", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "secrets_exported");
    done(run, "secrets_exported");
    done(run, "secrets_handed_over");
    /* Removing every Intercept account cannot be undone: confirm first. */
    assert_int_equal(ofb_run_complete(run, "accounts_removed", NULL, &err),
                     OFB_ECONFIRM);
    assert_int_equal(ofb_run_confirm(run, "accounts_removed", NULL, &err), 0);
    done(run, "accounts_removed");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_lighthouse_goes_last_among_engineer_steps(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "csp");
    ofb_error err;

    (void)state;
    done(run, "notice_received");
    done(run, "termination_confirmed");
    done(run, "migration_details");
    assert_int_equal(ofb_run_complete(run, "lighthouse_removed", NULL, &err),
                     OFB_EPREREQ);
    assert_string_equal(err.detail, "resources_removed");
    done(run, "policies_removed");
    assert_int_equal(ofb_run_confirm(run, "resources_removed", NULL, &err), 0);
    done(run, "resources_removed");
    assert_int_equal(tu_state(run, "lighthouse_removed"), OFB_STEP_READY);
    /* The contract is terminated last of all. */
    assert_int_equal(ofb_run_complete(run, "contract_terminated", NULL, &err),
                     OFB_EPREREQ);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_csp_customer_has_no_resource_export(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "csp");
    ofb_error err;

    (void)state;
    done(run, "notice_received");
    done(run, "termination_confirmed");
    assert_int_equal(tu_state(run, "meeting_setup"), OFB_STEP_SKIPPED);
    done(run, "migration_details");
    assert_int_equal(ofb_run_complete(run, "resources_exported", NULL, &err),
                     OFB_EGUARD);
    assert_string_equal(err.message,
                        "cannot complete 'resources_exported': it does not "
                        "apply (when tier == fullstack is false)");
    assert_int_equal(tu_state(run, "secrets_exported"), OFB_STEP_SKIPPED);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

typedef struct roles_seen {
    int n;
    char ids[32][64];
} roles_seen;

static int collect_next(const ofb_next_item *item, void *payload)
{
    roles_seen *r = payload;
    if (item->kind == OFB_NEXT_DO && r->n < 32)
        snprintf(r->ids[r->n++], 64, "%s", item->step_id);
    return 0;
}

static void test_each_role_sees_its_own_work(void **state)
{
    ofb_workflow *wf = load();
    ofb_run *run = start(wf, "fullstack");
    roles_seen r;

    (void)state;
    memset(&r, 0, sizeof r);
    assert_int_equal(ofb_run_next(run, "engineer", collect_next, &r), 0);
    assert_int_equal(r.n, 0); /* nothing before stage 0 */
    memset(&r, 0, sizeof r);
    assert_int_equal(ofb_run_next(run, "csm", collect_next, &r), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.ids[0], "notice_received");
    done(run, "notice_received");
    done(run, "termination_confirmed");
    done(run, "meeting_setup");
    memset(&r, 0, sizeof r);
    assert_int_equal(ofb_run_next(run, "engineer", collect_next, &r), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.ids[0], "migration_details");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fullstack_plan_is_the_seed_list),
        cmocka_unit_test(test_premium_plan_is_the_seed_list),
        cmocka_unit_test(test_csp_plan_is_the_seed_list),
        cmocka_unit_test(test_roles_follow_the_seed),
        cmocka_unit_test(test_fullstack_runs_to_completion),
        cmocka_unit_test(
            test_premium_runs_to_completion_without_resource_export),
        cmocka_unit_test(test_csp_runs_to_completion_with_eight_steps),
        cmocka_unit_test(test_tier_is_required),
        cmocka_unit_test(
            test_accounts_stay_until_new_admin_and_secrets_handed_over),
        cmocka_unit_test(test_lighthouse_goes_last_among_engineer_steps),
        cmocka_unit_test(test_csp_customer_has_no_resource_export),
        cmocka_unit_test(test_each_role_sees_its_own_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
