/*
 * intercept.c - offboard an Intercept customer, for each support tier.
 *
 * The procedure is the built-in `intercept-customer` workflow. The seed
 * gives three checklists (Full Stack, Premium, CSP); the workflow is one
 * definition whose steps are guarded by the tier input, so:
 *   1. ofb_workflow_plan shows which steps each tier gets, nothing run;
 *   2. in a run, a step of another tier is refused with OFB_EGUARD and a
 *      message that says why;
 *   3. each tier runs to completion. The work is done by one handler per
 *      role (the CSM's, the engineer's and the practice lead's tooling),
 *      bound with OFB_BIND_ROLE; the two steps that need a person (record
 *      the customer's notice, hold the meeting) are done by the CSM, and
 *      every irreversible removal is confirmed by the practice lead first.
 *
 * The customer's environment is simulated and checks what the workflow's
 * order protects: Intercept's tooling needs Azure Lighthouse to reach the
 * tenant, and removing Intercept's accounts before the new MSP has an admin
 * account would lock the customer out.
 *
 * Usage: intercept
 */
#include <ofb.h>

#include <stdio.h>
#include <string.h>

/* ------------------------------------------ the customer's environment */

struct env {
    int notice, confirmation_sent, meeting, migration_doc;
    int resources, resources_exported;
    int secrets, secrets_exported, secrets_handed_over;
    int prtg_monitored, prtg_probe;
    int msp_admin, intercept_accounts;
    int policies, lighthouse;
    int csp_transferred;
    int reassure_access, reassure_articles;
    int contract_active;
    int violations;      /* operations the environment had to refuse */
    char why[128];       /* the last one */
};

/* What each tier leaves Intercept holding in the customer's tenant: CSP
 * customers only buy licences, with Intercept's policies on top. */
static void env_init(struct env *e, const char *tier)
{
    int managed = strcmp(tier, "csp") != 0;
    memset(e, 0, sizeof *e);
    e->resources = 40;
    e->secrets = managed ? 120 : 0;
    e->prtg_monitored = e->prtg_probe = managed;
    e->intercept_accounts = managed ? 6 : 0;
    e->policies = 12;
    e->lighthouse = 1;
    e->reassure_access = 1;
    e->reassure_articles = 9;
    e->contract_active = 1;
}

static int env_refuse(struct env *e, const char *why)
{
    e->violations++;
    snprintf(e->why, sizeof e->why, "%s", why);
    return -1;
}

/* Intercept works in the tenant through Lighthouse's delegated access. */
static int env_tenant_op(struct env *e, int *what)
{
    if (!e->lighthouse)
        return env_refuse(e, "no delegated access: Lighthouse is gone");
    *what = 0;
    return 0;
}

/* ------------------------------------------------------------- handlers */

static int outcome(ofb_call *call, struct env *e, int rc, const char *who)
{
    if (rc != 0) {
        ofb_call_reason(call, e->why);
        printf("  %-15s FAIL  %s: %s\n", who, ofb_call_step_id(call), e->why);
        return OFB_FAIL;
    }
    printf("  %-15s auto  %s\n", who, ofb_call_step_id(call));
    return OFB_DONE;
}

static int csm_tools(ofb_call *call, void *payload)
{
    struct env *e = payload;
    const char *s = ofb_call_step_id(call);
    int rc = 0;
    if (strcmp(s, "termination_confirmed") == 0) {
        e->confirmation_sent = 1;
    } else if (strcmp(s, "reassure_disabled") == 0) {
        e->reassure_access = 0;
    } else if (strcmp(s, "reassure_articles_removed") == 0) {
        e->reassure_articles = 0;
    } else if (strcmp(s, "contract_terminated") == 0) {
        /* TOPdesk: nothing of Intercept's may be left behind. */
        if (e->lighthouse || e->policies || e->intercept_accounts ||
            e->prtg_probe || e->reassure_access || !e->csp_transferred)
            rc = env_refuse(e, "Intercept still present in the tenant");
        else
            e->contract_active = 0;
    }
    return outcome(call, e, rc, "[csm]");
}

static int engineer_tools(ofb_call *call, void *payload)
{
    struct env *e = payload;
    const char *s = ofb_call_step_id(call);
    int rc = 0;
    if (strcmp(s, "migration_details") == 0) {
        e->migration_doc = 1;
    } else if (strcmp(s, "resources_exported") == 0) {
        e->resources_exported = e->resources;
    } else if (strcmp(s, "secrets_exported") == 0) {
        e->secrets_exported = e->secrets;
    } else if (strcmp(s, "prtg_customer_removed") == 0) {
        e->prtg_monitored = 0;
    } else if (strcmp(s, "prtg_probe_removed") == 0) {
        rc = e->prtg_monitored
                 ? env_refuse(e, "PRTG still monitors through this probe")
                 : env_tenant_op(e, &e->prtg_probe);
    } else if (strcmp(s, "admin_account_created") == 0) {
        e->msp_admin = 1;
    } else if (strcmp(s, "secrets_handed_over") == 0) {
        if (e->secrets_exported != e->secrets)
            rc = env_refuse(e, "the secrets were not exported");
        else
            e->secrets_handed_over = 1;
    } else if (strcmp(s, "accounts_removed") == 0) {
        rc = !e->msp_admin
                 ? env_refuse(e, "the customer would be locked out")
                 : env_tenant_op(e, &e->intercept_accounts);
    } else if (strcmp(s, "policies_removed") == 0) {
        rc = env_tenant_op(e, &e->policies);
    } else if (strcmp(s, "resources_removed") == 0) {
        rc = e->policies ? env_refuse(e, "policies still govern them")
                         : env_tenant_op(e, &e->resources);
    } else if (strcmp(s, "lighthouse_removed") == 0) {
        e->lighthouse = 0;
    }
    return outcome(call, e, rc, "[engineer]");
}

static int practice_lead_tools(ofb_call *call, void *payload)
{
    struct env *e = payload;
    int rc = 0;
    if (!e->migration_doc)
        rc = env_refuse(e, "no migration details for the new MSP");
    else
        e->csp_transferred = 1;
    return outcome(call, e, rc, "[practice-lead]");
}

/* ---------------------------------------------------------------- plans */

static const char *const tiers[] = {"fullstack", "premium", "csp"};

struct matrix {
    char mark[3][64];     /* per tier, per step index: 'x' runs, '-' not */
    size_t count[3];
    int tier;
};

static int mark_step(const ofb_plan_item *it, void *payload)
{
    struct matrix *m = payload;
    if (it->step < sizeof m->mark[0]) {
        m->mark[m->tier][it->step] = it->kind == OFB_PLAN_RUN ? 'x' : '-';
        m->count[m->tier] += it->kind == OFB_PLAN_RUN;
    }
    return 0;
}

static int print_plans(ofb_workflow *wf, struct matrix *m)
{
    ofb_error err;
    for (int t = 0; t < 3; t++) {
        ofb_kv in = {"tier", tiers[t]};
        m->tier = t;
        int rc = ofb_workflow_plan(wf, &in, 1, mark_step, m, &err);
        if (rc) {
            fprintf(stderr, "intercept: plan: %s\n", err.message);
            return rc;
        }
    }
    printf("Which steps each tier gets (ofb_workflow_plan, nothing run):\n");
    printf("  %-26s %-15s %-9s %-7s %s\n", "step", "role", tiers[0], tiers[1],
           tiers[2]);
    for (size_t k = 0; k < ofb_workflow_step_count(wf); k++) {
        size_t i;
        ofb_step_info si;
        ofb_workflow_order(wf, k, &i);
        ofb_workflow_step(wf, i, &si);
        printf("  %-26s %-15s %-9c %-7c %c\n", si.id, si.role, m->mark[0][i],
               m->mark[1][i], m->mark[2][i]);
    }
    printf("  %-26s %-15s %-9zu %-7zu %zu\n", "steps", "", m->count[0],
           m->count[1], m->count[2]);
    return 0;
}

/* ----------------------------------------------------------------- runs */

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

/* What is next for a person: the first step to do or to confirm. */
struct todo {
    ofb_next_kind kind;
    char step[OFB_ID_MAX + 1];
    char role[OFB_ID_MAX + 1];
};

static int first_todo(const ofb_next_item *it, void *payload)
{
    struct todo *t = payload;
    if (it->kind != OFB_NEXT_DO && it->kind != OFB_NEXT_CONFIRM)
        return 0;
    t->kind = it->kind;
    snprintf(t->step, sizeof t->step, "%s", it->step_id);
    snprintf(t->role, sizeof t->role, "%s", it->role);
    return 1;
}

/* Runs one tier to the end. foreign: a step of another tier, refused once
 * its guard has been decided (NULL for fullstack, which has every step). */
static int offboard(ofb_workflow *wf, const char *tier, const char *customer,
                    const char *foreign, size_t planned)
{
    ofb_error err = {0};
    ofb_run *run;
    struct env e;
    int rc, refused = 0;
    env_init(&e, tier);

    if ((rc = ofb_run_new(&run, wf, tier, NULL, &err)))
        goto fail;
    ofb_act csm = {"csm:claire", NULL, NULL, 0, T0, NULL, 0};
    if ((rc = ofb_run_set_input(run, "tier", tier, &csm, &err)) ||
        (rc = ofb_run_set_input(run, "contract_end", "2026-12-31", &csm,
                                &err)) ||
        (rc = ofb_run_set_input(run, "new_supplier", "Northwind MSP", &csm,
                                &err)) ||
        (rc = ofb_run_start(run, &csm, &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_ROLE, "csm", csm_tools, &e, NULL,
                           &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_ROLE, "engineer", engineer_tools, &e,
                           NULL, &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_ROLE, "practice-lead",
                           practice_lead_tools, &e, NULL, &err)))
        goto fail;

    size_t foreign_ix = 0;
    if (foreign && (rc = ofb_workflow_find_step(wf, foreign, &foreign_ix)))
        goto fail;
    ofb_time now = T0;
    for (int turns = 0; turns < 100; turns++) {
        now += 900;
        if ((rc = ofb_run_advance(run, now, NULL, &err)))
            goto fail;
        if (ofb_run_status_get(run) != OFB_RUN_ACTIVE)
            break;
        ofb_step_status st;
        if (foreign && !refused &&
            ofb_run_step_status(run, foreign_ix, &st) == OFB_OK &&
            st.state == OFB_STEP_SKIPPED) {
            ofb_act eng = {"engineer:erik", NULL, NULL, 0, now, NULL, 0};
            rc = ofb_run_complete(run, foreign, &eng, &err);
            printf("  %-15s refused (%s): %s\n", "[engineer]", ofb_strerror(rc),
                   err.message);
            refused = rc == OFB_EGUARD ? 1 : -1;
        }
        struct todo t = {.kind = OFB_NEXT_BLOCKED};
        ofb_run_next(run, NULL, first_todo, &t);
        if (t.kind == OFB_NEXT_BLOCKED)
            break; /* nothing a person can do: stuck */
        ofb_act person = {"csm:claire", NULL, NULL, 0, now, NULL, 0};
        if (t.kind == OFB_NEXT_CONFIRM) {
            /* Four eyes: the practice lead signs off every removal that
             * cannot be undone before the engineer's tooling may run it. */
            person.actor = "lead:pia";
            if ((rc = ofb_run_confirm(run, t.step, &person, &err)))
                goto fail;
            printf("  %-15s confirm %s\n", "[practice-lead]", t.step);
        } else {
            if ((rc = ofb_run_complete(run, t.step, &person, &err)))
                goto fail;
            printf("  %-15s done  %s (a person)\n", "[csm]", t.step);
        }
    }

    size_t counts[8];
    ofb_run_counts(run, counts);
    int clean = !e.resources && !e.policies && !e.lighthouse &&
                !e.intercept_accounts && !e.prtg_probe && !e.prtg_monitored &&
                !e.reassure_access && !e.reassure_articles &&
                !e.contract_active && e.csp_transferred && e.confirmation_sent;
    printf("  %s: run %s, %zu done, %zu skipped; tenant %s, %d refusals by "
           "the environment\n", customer,
           ofb_run_status_name(ofb_run_status_get(run)), counts[OFB_STEP_DONE],
           counts[OFB_STEP_SKIPPED], clean ? "clean" : "NOT clean",
           e.violations);
    int ok = ofb_run_status_get(run) == OFB_RUN_COMPLETED && clean &&
             e.violations == 0 && counts[OFB_STEP_DONE] == planned &&
             refused == (foreign ? 1 : 0) &&
             (e.secrets == 0 || e.secrets_handed_over);
    ofb_run_free(run);
    return ok ? 0 : -1;
fail:
    fprintf(stderr, "intercept: %s: %s\n", tier,
            err.message[0] ? err.message : ofb_strerror(rc));
    ofb_run_free(run);
    return -1;
}

int main(void)
{
    ofb_error err;
    ofb_workflow *wf;
    int rc;
    if ((rc = ofb_builtin_load(&wf, "intercept-customer", NULL, &err))) {
        fprintf(stderr, "intercept: %s\n", err.message);
        return 1;
    }
    printf("libofb %s: %s (%zu steps, built in)\n\n", ofb_version(),
           ofb_workflow_title(wf), ofb_workflow_step_count(wf));
    struct matrix m = {0};
    if (ofb_workflow_step_count(wf) > sizeof m.mark[0] || print_plans(wf, &m)) {
        ofb_workflow_unref(wf);
        return 1;
    }

    static const struct {
        const char *customer;
        const char *foreign;  /* a step of another tier */
    } cases[] = {
        {"Fabrikam (Full Stack)", NULL},
        {"Tailspin (Premium)", "resources_exported"},
        {"Litware (CSP)", "secrets_exported"},
    };
    int failed = 0;
    for (int t = 0; t < 3; t++) {
        printf("\n=== %s: tier %s\n", cases[t].customer, tiers[t]);
        if (!cases[t].foreign)
            printf("  (every step applies to %s: nothing to refuse)\n",
                   tiers[t]);
        failed += offboard(wf, tiers[t], cases[t].customer, cases[t].foreign,
                           m.count[t]) != 0;
    }
    ofb_workflow_unref(wf);
    if (failed) {
        printf("\nintercept: %d tier(s) did NOT complete as expected\n",
               failed);
        return 1;
    }
    printf("\nintercept: offboarding complete for every tier (fullstack %zu "
           "steps, premium %zu, csp %zu)\n", m.count[0], m.count[1],
           m.count[2]);
    return 0;
}
