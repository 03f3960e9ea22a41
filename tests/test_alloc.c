/*
 * test_alloc.c - allocation failure, everywhere. Each scenario is run
 * again and again with the 1st, 2nd, ... Nth allocation failing, until a
 * pass meets no failure. Every failure must come back as OFB_ENOMEM (or,
 * inside a handler's outcome, as a visibly failed step), leave what it
 * touched as it was, and leak nothing: once everything is freed, no block
 * of the counting allocator is live.
 *
 * Runs and journals use the allocator of their workflow, so a workflow
 * parsed with the counting allocator carries it into everything below it.
 * ofb_run_open with no workflow parses the journal's header with malloc;
 * the replay scenario passes the workflow to reach every allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

/* ------------------------------------------------------------ snapshots */

#define SMAX 64

/* What a refused call must leave alone. */
typedef struct snap {
    int status;
    size_t nsteps;
    ofb_step_status st[SMAX];
    char inputs[16][64];
} snap;

static void take(snap *s, const ofb_run *run)
{
    const ofb_workflow *wf = ofb_run_workflow(run);
    memset(s, 0, sizeof *s);
    s->status = (int)ofb_run_status_get(run);
    s->nsteps = ofb_workflow_step_count(wf);
    assert_true(s->nsteps <= SMAX);
    for (size_t i = 0; i < s->nsteps; i++) {
        assert_int_equal(ofb_run_step_status(run, i, &s->st[i]), 0);
        s->st[i].event = NULL; /* compared by state */
    }
    for (size_t i = 0; i < ofb_workflow_input_count(wf) && i < 16; i++) {
        ofb_input_info in;
        assert_int_equal(ofb_workflow_input(wf, i, &in), 0);
        const char *v = ofb_run_input(run, in.id);
        snprintf(s->inputs[i], sizeof s->inputs[i], "%s", v ? v : "\x01");
    }
}

static void same(const snap *a, const snap *b)
{
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->nsteps, b->nsteps);
    for (size_t i = 0; i < a->nsteps; i++) {
        assert_int_equal(a->st[i].state, b->st[i].state);
        assert_int_equal(a->st[i].attempt, b->st[i].attempt);
        assert_int_equal(a->st[i].confirmed, b->st[i].confirmed);
        assert_int_equal(a->st[i].in_doubt, b->st[i].in_doubt);
        assert_int_equal(a->st[i].due, b->st[i].due);
    }
    for (size_t i = 0; i < 16; i++)
        assert_string_equal(a->inputs[i], b->inputs[i]);
}

/* Makes one run call under the failing allocator. On OFB_ENOMEM the run
 * must be as it was; then allocation is allowed again and the call is
 * made once more, which must succeed (or give `expect`). */
#define ON_RUN(ta, run, expect, call)                                        \
    do {                                                                     \
        snap before_, after_;                                                \
        take(&before_, (run));                                               \
        size_t jlen_ = journal_len(run_store);                               \
        int rc_ = (call);                                                    \
        if (rc_ == OFB_ENOMEM) {                                             \
            take(&after_, (run));                                            \
            same(&before_, &after_);                                         \
            assert_int_equal(journal_len(run_store), jlen_);                 \
            (ta)->fail_at = 0;                                               \
            rc_ = (call);                                                    \
        }                                                                    \
        assert_int_equal(rc_, (expect));                                     \
    } while (0)

static ofb_store *run_store; /* the journal of the run being driven */

static size_t journal_len(ofb_store *s)
{
    const char *d;
    size_t n = 0;
    if (s)
        ofb_store_memory_data(s, &d, &n);
    return n;
}

static void report(const char *scenario, long sites)
{
    print_message("   %s: %ld allocation sites\n", scenario, sites);
}

/* ---------------------------------------------------- parse the built-ins */

static void test_parsing_each_builtin_survives_every_failure(void **state)
{
    (void)state;
    for (size_t b = 0; b < ofb_builtin_count(); b++) {
        const char *name = ofb_builtin_name(b);
        const char *src = ofb_builtin_source(name);
        ofb_workflow *ref;
        assert_int_equal(ofb_builtin_load(&ref, name, NULL, NULL), 0);
        long n;
        for (n = 1;; n++) {
            tu_alloc ta;
            tu_alloc_init(&ta, n);
            ofb_parse_opts opts = {&ta.a, NULL, NULL, 0};
            ofb_workflow *wf = (ofb_workflow *)1;
            ofb_error err;
            int rc = ofb_workflow_parse(&wf, src, strlen(src), name, &opts,
                                        &err);
            if (!ta.failed) {
                assert_int_equal(rc, 0);
                assert_string_equal(ofb_workflow_hash(wf),
                                    ofb_workflow_hash(ref));
                ofb_workflow_unref(wf);
                assert_int_equal(ta.live, 0);
                break;
            }
            assert_int_equal(rc, OFB_ENOMEM);
            assert_int_equal(err.code, OFB_ENOMEM);
            assert_null(wf);
            assert_int_equal(ta.live, 0);
        }
        char what[128];
        snprintf(what, sizeof what, "parse %s", name);
        report(what, n - 1);
        ofb_workflow_unref(ref);
    }
}

/* ------------------------------------- define and seal with the C API */

/* Rebuilds ref through the definition API under ta; each call that fails
 * must leave the workflow as it was and work when tried again. */
static long define_and_seal(const ofb_workflow *ref, long fail_at)
{
    tu_alloc ta;
    tu_alloc_init(&ta, fail_at);
    ofb_workflow *wf = NULL;
    ofb_error err;
    int rc = ofb_workflow_new(&wf, ofb_workflow_id(ref),
                              ofb_workflow_version(ref), &ta.a, &err);
    if (rc == OFB_ENOMEM) {
        assert_null(wf);
        assert_int_equal(ta.live, 0);
        return ta.failed;
    }
    assert_int_equal(rc, 0);

#define AGAIN(call, undone)                                                  \
    do {                                                                     \
        int rc_ = (call);                                                    \
        if (rc_ == OFB_ENOMEM) {                                             \
            assert_true(undone);                                             \
            ta.fail_at = 0;                                                  \
            rc_ = (call);                                                    \
        }                                                                    \
        assert_int_equal(rc_, 0);                                            \
    } while (0)

    AGAIN(ofb_workflow_set_title(wf, ofb_workflow_title(ref), &err), 1);
    AGAIN(ofb_workflow_set_doc(wf, ofb_workflow_doc(ref), &err), 1);
    for (size_t i = 0; i < ofb_workflow_input_count(ref); i++) {
        ofb_input_info in;
        assert_int_equal(ofb_workflow_input(ref, i, &in), 0);
        ofb_input_def d = {in.id, in.type, in.choices, in.nchoices,
                           in.required, in.default_value, in.description};
        AGAIN(ofb_workflow_add_input(wf, &d, &err),
              ofb_workflow_input_count(wf) == i);
    }
    for (size_t i = 0; i < ofb_workflow_step_count(ref); i++) {
        ofb_step_info s;
        assert_int_equal(ofb_workflow_step(ref, i, &s), 0);
        ofb_step_def d = {s.id, s.title, s.role, s.action, s.after, s.nafter,
                          s.when, s.wait_event, s.wait_timeout, s.retry_count,
                          s.retry_backoff, s.flags, s.doc};
        AGAIN(ofb_workflow_add_step(wf, &d, &err),
              ofb_workflow_step_count(wf) == i);
    }
    AGAIN(ofb_workflow_seal(wf, &err),
          !ofb_workflow_is_sealed(wf) && !ofb_workflow_hash(wf));
#undef AGAIN
    assert_string_equal(ofb_workflow_hash(wf), ofb_workflow_hash(ref));
    long failed = ta.failed, calls = ta.calls;
    ofb_workflow_unref(wf);
    assert_int_equal(ta.live, 0);
    return failed ? failed : -calls;
}

static void test_defining_and_sealing_survive_every_failure(void **state)
{
    (void)state;
    static const char *const names[] = {"intercept-customer",
                                        "xpm-nimbus-client"};
    for (size_t k = 0; k < 2; k++) {
        ofb_workflow *ref;
        assert_int_equal(ofb_builtin_load(&ref, names[k], NULL, NULL), 0);
        long n, r;
        for (n = 1; (r = define_and_seal(ref, n)) > 0; n++)
            ;
        char what[128];
        snprintf(what, sizeof what, "define and seal %s", names[k]);
        report(what, -r);
        ofb_workflow_unref(ref);
    }
}

/* ------------------------------------------------- a run to completion */

/* The XPM offboarding, with handlers doing the checks: they attach
 * evidence and record what they found in inputs, which allocates. */
static int check_handler(ofb_call *call, void *payload)
{
    (void)payload;
    const char *id = ofb_call_step_id(call);
    ofb_call_evidence(call, "ticket", "T-2026-118");
    if (strcmp(id, "entity_checked") == 0)
        ofb_call_set_input(call, "entity_deleted", "false");
    else if (strcmp(id, "contacts_checked") == 0)
        ofb_call_set_input(call, "contacts_with_logins", "true");
    else if (strcmp(id, "documents_decision") == 0)
        ofb_call_set_input(call, "delete_documents", "true");
    return OFB_DONE;
}

typedef struct todo {
    char step[OFB_ID_MAX + 1];
    char event[OFB_ID_MAX + 1];
    char input[OFB_ID_MAX + 1];
    ofb_next_kind kind;
    int found;
} todo;

static int first_actionable(const ofb_next_item *it, void *payload)
{
    todo *t = payload;
    if (it->kind == OFB_NEXT_BLOCKED || it->kind == OFB_NEXT_AUTO ||
        it->kind == OFB_NEXT_RUNNING)
        return 0;
    snprintf(t->step, sizeof t->step, "%s", it->step_id);
    snprintf(t->event, sizeof t->event, "%s", it->event);
    snprintf(t->input, sizeof t->input, "%s", it->detail);
    t->kind = it->kind;
    t->found = 1;
    return 1;
}

/* Drives the run to completion; every call goes through ON_RUN. */
static void drive(tu_alloc *ta, ofb_run *run)
{
    ofb_act alice = {"alice", "done by hand", NULL, 0, 0, NULL, 0};
    ofb_time now = T0;
    for (int guard = 0; guard < 200; guard++) {
        if (ofb_run_status_get(run) == OFB_RUN_COMPLETED)
            return;
        /* advance may fail half-way: a handler's outcome that cannot be
         * recorded leaves its step in doubt, to be run again with the same
         * key. That is its documented failure, so no "unchanged" check. */
        int rc = ofb_run_advance(run, now, NULL, NULL);
        if (rc == OFB_ENOMEM) {
            ta->fail_at = 0;
            rc = ofb_run_advance(run, now, NULL, NULL);
        }
        assert_int_equal(rc, 0);
        todo t;
        memset(&t, 0, sizeof t);
        ofb_run_next(run, NULL, first_actionable, &t);
        if (!t.found)
            continue;
        alice.time = ++now;
        switch (t.kind) {
        case OFB_NEXT_CONFIRM:
            ON_RUN(ta, run, 0, ofb_run_confirm(run, t.step, &alice, NULL));
            break;
        case OFB_NEXT_DO:
            ON_RUN(ta, run, 0, ofb_run_complete(run, t.step, &alice, NULL));
            break;
        case OFB_NEXT_EVENT:
            ON_RUN(ta, run, 0, ofb_run_signal(run, t.event, &alice, NULL));
            break;
        case OFB_NEXT_INPUT:
            /* A person's decision (delete_documents): every input a guard
             * of this workflow waits for is a bool. */
            ON_RUN(ta, run, 0,
                   ofb_run_set_input(run, t.input, "true", &alice, NULL));
            break;
        case OFB_NEXT_FAILED:
            /* An outcome that could not be recorded fails its step, with
             * the reason: the visible failure of a handler's allocation. */
            ON_RUN(ta, run, 0, ofb_run_retry(run, t.step, &alice, NULL));
            break;
        default:
            fail_msg("unexpected next kind %d", (int)t.kind);
        }
    }
    fail_msg("the run did not complete");
}

/* Returns how many allocations failed (0: a clean pass) or, on a clean
 * pass, minus the number of allocations made. */
static long run_story(long fail_at)
{
    tu_alloc ta;
    tu_alloc_init(&ta, 0);
    ofb_parse_opts opts = {&ta.a, NULL, NULL, 0};
    const char *src = ofb_builtin_source("xpm-nimbus-client");
    ofb_workflow *wf;
    ofb_error err;
    assert_int_equal(ofb_workflow_parse(&wf, src, strlen(src), NULL, &opts,
                                        &err), 0);
    long base = ta.calls;
    if (fail_at)
        ta.fail_at = base + fail_at;

    ofb_store *s;
    assert_int_equal(ofb_store_memory(&s), 0);
    ofb_run_opts ro = {s, OFB_SYNC_EVERY, 0, NULL, NULL};
    ofb_run *run = NULL;
    int rc = ofb_run_new(&run, wf, "client-118", &ro, &err);
    if (rc == OFB_ENOMEM) {
        assert_null(run);
        assert_int_equal(journal_len(s), 0); /* the caller keeps the store */
        ta.fail_at = 0;
        rc = ofb_run_new(&run, wf, "client-118", &ro, &err);
    }
    assert_int_equal(rc, 0);
    run_store = s;
    ofb_act a = {"alice", NULL, NULL, 0, T0, NULL, 0};
    ON_RUN(&ta, run, 0,
           ofb_run_set_input(run, "client", "Pzzle B.V.", &a, NULL));
    ON_RUN(&ta, run, 0,
           ofb_run_set_input(run, "practice_manager", "xpm", &a, NULL));
    ON_RUN(&ta, run, 0, ofb_run_set_input(run, "cdm", "false", &a, NULL));
    ON_RUN(&ta, run, 0, ofb_run_start(run, &a, NULL));
    ON_RUN(&ta, run, 0,
           ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, check_handler, NULL,
                        NULL, NULL));
    drive(&ta, run);

    /* The journal is whole and replays to the same run. */
    ofb_verify_report rep;
    assert_int_equal(ofb_journal_verify(s, &rep, &err), 0);
    assert_int_equal(rep.torn_bytes, 0);
    long failed = ta.failed, calls = ta.calls - base;
    ofb_run_free(run);
    run_store = NULL;
    ofb_workflow_unref(wf);
    assert_int_equal(ta.live, 0);
    return failed ? failed : -calls;
}

static void test_a_run_to_completion_survives_every_failure(void **state)
{
    (void)state;
    long n, r;
    for (n = 1; (r = run_story(n)) > 0; n++)
        ;
    report("run xpm-nimbus-client to completion", -r);
}

/* --------------------------------------------------- open and replay */

static int crashes(ofb_call *call, void *payload)
{
    (void)call;
    (void)payload;
    return OFB_EUSER;
}

/* A journal written with malloc: XPM up to the sync, which waits, with
 * the entity check left in doubt. */
static char *written_journal(size_t *len, snap *expect)
{
    ofb_workflow *wf;
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_builtin_load(&wf, "xpm-nimbus-client", NULL, &err),
                     0);
    assert_int_equal(ofb_store_memory(&s), 0);
    ofb_run_opts ro = {s, OFB_SYNC_NEVER, 0, NULL, NULL};
    assert_int_equal(ofb_run_new(&run, wf, "client-118", &ro, &err), 0);
    ofb_act a = {"alice", "by hand", NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_run_set_input(run, "practice_manager", "xpm", &a,
                                       NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "cdm", "false", &a, NULL), 0);
    assert_int_equal(ofb_run_start(run, &a, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "history_exported", &a, NULL), 0);
    assert_int_equal(ofb_run_confirm(run, "archived_in_xpm", &a, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "archived_in_xpm", &a, NULL), 0);
    assert_int_equal(ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, check_handler,
                                  NULL, NULL, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0 + 10, NULL, NULL), 0);
    assert_int_equal(ofb_run_signal(run, "nimbus_sync_done", &a, NULL), 0);
    assert_int_equal(ofb_run_bind(run, OFB_BIND_STEP, "entity_checked",
                                  crashes, NULL, NULL, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0 + 20, NULL, NULL), OFB_EUSER);
    const char *d;
    assert_int_equal(ofb_store_memory_data(s, &d, len), 0);
    char *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, d, *len);
    take(expect, run);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return copy;
}

static void test_opening_a_journal_survives_every_failure(void **state)
{
    (void)state;
    size_t len;
    snap expect;
    char *bytes = written_journal(&len, &expect);
    long n;
    for (n = 1;; n++) {
        tu_alloc ta;
        tu_alloc_init(&ta, 0);
        ofb_parse_opts opts = {&ta.a, NULL, NULL, 0};
        const char *src = ofb_builtin_source("xpm-nimbus-client");
        ofb_workflow *wf;
        ofb_error err;
        assert_int_equal(ofb_workflow_parse(&wf, src, strlen(src), NULL,
                                            &opts, &err), 0);
        long base = ta.calls;
        ta.fail_at = base + n;
        ofb_store *s;
        assert_int_equal(ofb_store_memory(&s), 0);
        assert_int_equal(s->append(s, bytes, len), 0);
        ofb_run_opts ro = {s, OFB_SYNC_EVERY, 0, NULL, NULL};
        ofb_recovery rec;
        ofb_run *run = (ofb_run *)1;
        int rc = ofb_run_open(&run, wf, &ro, &rec, &err);
        if (!ta.failed) {
            assert_int_equal(rc, 0);
            assert_int_equal(rec.in_doubt, 1);
            snap got;
            take(&got, run);
            same(&expect, &got);
            ofb_run_free(run);
            ofb_workflow_unref(wf);
            assert_int_equal(ta.live, 0);
            break;
        }
        assert_int_equal(rc, OFB_ENOMEM);
        assert_int_equal(err.code, OFB_ENOMEM);
        assert_null(run);
        assert_int_equal(rec.records, 0);
        assert_int_equal(journal_len(s), len); /* nothing cut or added */
        ofb_store_close(s);                    /* still the caller's */
        ofb_workflow_unref(wf);
        assert_int_equal(ta.live, 0);
    }
    report("open and replay an xpm-nimbus-client journal", n - 1);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsing_each_builtin_survives_every_failure),
        cmocka_unit_test(test_defining_and_sealing_survive_every_failure),
        cmocka_unit_test(test_a_run_to_completion_survives_every_failure),
        cmocka_unit_test(test_opening_a_journal_survives_every_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
