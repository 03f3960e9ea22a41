/*
 * pzzle.c - offboard a customer from Pzzle, on a simulated tenant.
 *
 * The procedure is the built-in `pzzle-customer` workflow (ten steps in a
 * strict order). Each step has a handler that really changes the simulated
 * tenant. The tenant's user-sync job puts the customer's tags back whenever
 * it runs while still active: that is why the workflow insists that the
 * sync job is switched off before the tags are removed.
 *
 * The demo:
 *   1. tries a step out of order and shows the refusal;
 *   2. runs the first half in a child process that then dies abruptly, as a
 *      crashed integration would;
 *   3. reopens the journal, resumes, and finishes: the last step waits for
 *      the Pzzle support team, whose confirmation arrives as a signal;
 *   4. prints the audit trail and the tenant's final state.
 *
 * Usage: pzzle [JOURNAL]   (default: pzzle-demo.journal, replaced)
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <ofb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------ the simulated tenant */

#define MAX_TAGS 8

/* The tenant lives in memory shared with the child process, like a real
 * remote system that outlives the integration talking to it. */
struct tenant {
    int sync_job_active;
    int schema_tags_on;      /* HUBSPOT, N-CENTRAL, SCREENCONNECT */
    int relationships;
    char tags[MAX_TAGS][32];
    int ntags;
    int agreements_active;
    int subspace_slotted;
    int customer_enabled;
    int subspace_archived;
    int support_requests;
    int syncs_that_readded_tags;
};

static void tenant_init(struct tenant *t)
{
    memset(t, 0, sizeof *t);
    t->sync_job_active = 1;
    t->schema_tags_on = 3;
    t->relationships = 2;
    const char *tags[] = {"BE-AH-Onsite", "Offboarding", "MS"};
    for (int i = 0; i < 3; i++)
        snprintf(t->tags[t->ntags++], sizeof t->tags[0], "%s", tags[i]);
    t->agreements_active = 2;
    t->subspace_slotted = 1;
    t->customer_enabled = 1;
}

/* The PSA's user import runs after every change: while the job is active it
 * restores the customer's synced tags. */
static void tenant_sync(struct tenant *t)
{
    if (!t->sync_job_active || t->ntags > 0)
        return;
    snprintf(t->tags[t->ntags++], sizeof t->tags[0], "MS");
    t->syncs_that_readded_tags++;
}

static void tenant_print(const struct tenant *t)
{
    printf("  sync job active: %s, schema tags on: %d, relationships: %d\n",
           t->sync_job_active ? "yes" : "no", t->schema_tags_on,
           t->relationships);
    printf("  tags:");
    for (int i = 0; i < t->ntags; i++)
        printf(" [%s]", t->tags[i]);
    printf("%s\n", t->ntags ? "" : " (none)");
    printf("  active agreements: %d, subspace in slot: %s, customer enabled: "
           "%s, subspace archived: %s\n",
           t->agreements_active, t->subspace_slotted ? "yes" : "no",
           t->customer_enabled ? "yes" : "no",
           t->subspace_archived ? "yes" : "no");
    printf("  support requests: %d, syncs that re-added tags: %d\n",
           t->support_requests, t->syncs_that_readded_tags);
}

/* ------------------------------------------------------------- handlers */

/* Each handler does one step's work on the tenant and attaches evidence. */
static int do_step(ofb_call *call, void *payload)
{
    struct tenant *t = payload;
    const char *step = ofb_call_step_id(call);
    if (strcmp(step, "sync_job_off") == 0) {
        t->sync_job_active = 0;
    } else if (strcmp(step, "schema_tags_off") == 0) {
        t->schema_tags_on = 0;
    } else if (strcmp(step, "relationships_removed") == 0) {
        t->relationships = 0;
    } else if (strcmp(step, "tags_removed") == 0) {
        t->ntags = 0;
    } else if (strcmp(step, "offboarding_complete_tag") == 0) {
        if (t->ntags != 0) {
            ofb_call_reason(call, "other tags are still on the account");
            return OFB_FAIL;
        }
        snprintf(t->tags[t->ntags++], sizeof t->tags[0],
                 "offboarding complete");
    } else if (strcmp(step, "agreements_expired") == 0) {
        t->agreements_active = 0;
    } else if (strcmp(step, "subspace_removed") == 0) {
        t->subspace_slotted = 0;
    } else if (strcmp(step, "customer_schema_off") == 0) {
        if (t->agreements_active) {
            ofb_call_reason(call, "agreements are still active");
            return OFB_FAIL;
        }
        t->customer_enabled = 0;
    } else if (strcmp(step, "subspace_archived") == 0) {
        t->subspace_archived = 1;
        ofb_call_evidence(call, "snapshot", "7f3c9e21b04d");
    } else if (strcmp(step, "support_request") == 0) {
        t->support_requests++;
        ofb_call_evidence(call, "request", "SR-10442");
    }
    tenant_sync(t);
    printf("  done  %-26s key %s\n", step, ofb_call_key(call));
    return OFB_DONE;
}

/* ----------------------------------------------------------------- runs */

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

static int fail(const char *what, int rc, const ofb_error *err)
{
    fprintf(stderr, "pzzle: %s: %s\n", what,
            err && err->message[0] ? err->message : ofb_strerror(rc));
    return 1;
}

/* The first half, in a process that dies after five steps. */
static void first_half(ofb_workflow *wf, const char *path, struct tenant *t)
{
    ofb_error err;
    ofb_store *store;
    ofb_run *run;
    if (ofb_store_file(&store, path, OFB_STORE_CREATE, &err))
        exit(fail("journal", err.code, &err));
    ofb_run_opts opts = {store, OFB_SYNC_EVERY, 0, NULL, NULL};
    if (ofb_run_new(&run, wf, "acme-2026-11", &opts, &err)) {
        ofb_store_close(store);
        exit(fail("new run", err.code, &err));
    }
    ofb_act tech = {"alice", NULL, NULL, 0, T0, NULL, 0};
    ofb_run_set_input(run, "customer", "Acme Dental", &tech, &err);
    if (ofb_run_start(run, &tech, &err))
        exit(fail("start", err.code, &err));

    printf("1. Out of order: the technician tries to remove the tags first.\n");
    int rc = ofb_run_complete(run, "tags_removed", &tech, &err);
    printf("  refused (%s): %s\n", ofb_strerror(rc), err.message);
    /* What the refusal prevented, shown on a scratch copy of the tenant. */
    struct tenant scratch = *t;
    scratch.ntags = 0;
    tenant_sync(&scratch);
    printf("  had it run, the still-active sync job would have put back: "
           "[%s]\n\n", scratch.tags[0]);

    printf("2. The integration runs the steps; its process dies after five.\n");
    ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, do_step, t, NULL, &err);
    for (int i = 0; i < 5; i++) {
        if (ofb_run_step(run, T0 + 60 * (i + 1), NULL, &err))
            exit(fail("advance", err.code, &err));
    }
    printf("  *** the process is killed here ***\n\n");
    fflush(stdout);
    _exit(0); /* no cleanup at all: the journal is all that is left */
}

struct history_ctx {
    int n;
};

static int print_event(const ofb_event *ev, void *payload)
{
    struct history_ctx *h = payload;
    time_t tt = (time_t)ev->time;
    struct tm tm;
    char when[32];
    gmtime_r(&tt, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    if (ev->kind == OFB_EV_BEGIN)
        return 0; /* every outcome follows its begin: keep the trail short */
    static const char *const outcome[] = {"done", "wait", "retry", "fail",
                                          "skip"};
    const char *what = ofb_event_kind_name(ev->kind);
    if (ev->kind == OFB_EV_OUTCOME && ev->outcome >= 0 && ev->outcome <= 4)
        what = outcome[ev->outcome];
    if (ev->time == 0)
        snprintf(when, sizeof when, "%-16s", "");
    printf("  %3llu %s  %-8s %-26s %s%s%s", (unsigned long long)ev->seq, when,
           what, *ev->step ? ev->step : ev->name,
           *ev->actor ? "by " : "", ev->actor, *ev->note ? "  " : "");
    printf("%s", ev->note);
    for (size_t i = 0; i < ev->nevidence; i++)
        printf("  %s=%s", ev->evidence[i].key, ev->evidence[i].value);
    printf("\n");
    h->n++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "pzzle-demo.journal";
    ofb_error err;
    ofb_workflow *wf;
    int rc;

    if ((rc = ofb_builtin_load(&wf, "pzzle-customer", NULL, &err)))
        return fail("workflow", rc, &err);
    printf("libofb %s: %s (%zu steps, built in)\n\n", ofb_version(),
           ofb_workflow_title(wf), ofb_workflow_step_count(wf));

    struct tenant *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED) {
        perror("pzzle: mmap");
        return 1;
    }
    tenant_init(t);
    printf("Tenant before:\n");
    tenant_print(t);
    printf("\n");
    unlink(path);

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("pzzle: fork");
        return 1;
    }
    if (pid == 0)
        first_half(wf, path, t);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail("first half", OFB_EIO, NULL);

    printf("3. A new process resumes from the journal.\n");
    ofb_store *store;
    ofb_run *run;
    ofb_recovery rec;
    if ((rc = ofb_store_file(&store, path, 0, &err)))
        return fail("journal", rc, &err);
    ofb_run_opts opts = {store, OFB_SYNC_EVERY, 0, NULL, NULL};
    if ((rc = ofb_run_open(&run, wf, &opts, &rec, &err))) {
        ofb_store_close(store);
        return fail("resume", rc, &err);
    }
    size_t counts[8];
    ofb_run_counts(run, counts);
    printf("  replayed %zu records: %zu of %zu steps done, customer %s\n",
           rec.records, counts[OFB_STEP_DONE], ofb_workflow_step_count(wf),
           ofb_run_input(run, "customer"));
    ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, do_step, t, NULL, &err);
    ofb_time next;
    if ((rc = ofb_run_advance(run, T0 + 3600, &next, &err)))
        return fail("advance", rc, &err);
    ofb_step_status st;
    size_t last;
    ofb_workflow_find_step(wf, "support_request", &last);
    ofb_run_step_status(run, last, &st);
    printf("  support_request is %s for event '%s'; run is %s\n\n",
           ofb_step_state_name(st.state), st.event,
           ofb_run_status_name(ofb_run_status_get(run)));

    printf("4. Two days later Pzzle support confirms the offboarding action.\n");
    ofb_act support = {"pzzle-support", "offboarding action ran", NULL, 0,
                       T0 + 2 * 86400, NULL, 0};
    if ((rc = ofb_run_signal(run, "support_confirmed", &support, &err)))
        return fail("signal", rc, &err);
    printf("  run is %s\n\n", ofb_run_status_name(ofb_run_status_get(run)));

    printf("Audit trail (%s):\n", path);
    struct history_ctx h = {0};
    if ((rc = ofb_run_history(run, print_event, &h, &err)))
        return fail("history", rc, &err);

    printf("\nTenant after:\n");
    tenant_print(t);
    int ok = ofb_run_status_get(run) == OFB_RUN_COMPLETED && t->ntags == 1 &&
             strcmp(t->tags[0], "offboarding complete") == 0 &&
             !t->customer_enabled && t->subspace_archived &&
             t->syncs_that_readded_tags == 0;
    printf("\n%s\n", ok ? "Offboarding complete: every step in order, no tag "
                          "restored by the sync."
                        : "Offboarding did NOT complete as expected.");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    munmap(t, sizeof *t);
    return ok ? 0 : 1;
}
