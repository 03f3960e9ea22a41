/*
 * test_threads.c - sharing across threads and processes.
 *
 * A sealed workflow is immutable and shared: eight threads each drive
 * thousands of XPM/Nimbus offboardings of one workflow object, with a
 * handler set of their own (a set serves one thread at a time), some runs
 * journaled and reopened. The last reference may be dropped by any
 * thread. Run it under ThreadSanitizer with `make check TSAN=1`.
 *
 * A journal file has one writer: two processes open it at once, exactly
 * one gets it and the other is told it is in use (OFB_EBUSY); with a lock
 * timeout the second waits its turn instead. Either way the file stays
 * whole and verifies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

#define NTHREADS 8
#define NRUNS 2000

/* ------------------------------------------------------------- threads */

typedef struct worker {
    pthread_t tid;
    ofb_workflow *wf;     /* a reference of the worker's own */
    int index;
    int failures;         /* checks that did not hold */
    long handler_calls;
    char why[256];
} worker;

/* The checks of the XPM offboarding record what they found. */
static int check_step(ofb_call *call, void *payload)
{
    worker *w = payload;
    const char *id = ofb_call_step_id(call);
    w->handler_calls++;
    ofb_call_evidence(call, "ticket", "T-2026-118");
    if (strcmp(id, "entity_checked") == 0)
        ofb_call_set_input(call, "entity_deleted",
                           ofb_call_attempt(call) % 2 ? "false" : "true");
    else if (strcmp(id, "contacts_checked") == 0)
        ofb_call_set_input(call, "contacts_with_logins", "true");
    return OFB_DONE;
}

#define CHECK(w, cond)                                                       \
    do {                                                                     \
        if (!(cond) && !(w)->failures++)                                     \
            snprintf((w)->why, sizeof (w)->why, "line %d: %s", __LINE__,     \
                     #cond);                                                 \
    } while (0)

typedef struct pick {
    char step[OFB_ID_MAX + 1];
    char what[OFB_ID_MAX + 1]; /* the event or the input */
    ofb_next_kind kind;
} pick;

static int first_for_a_person(const ofb_next_item *it, void *payload)
{
    pick *p = payload;
    if (it->kind != OFB_NEXT_DO && it->kind != OFB_NEXT_CONFIRM &&
        it->kind != OFB_NEXT_EVENT && it->kind != OFB_NEXT_INPUT)
        return 0;
    snprintf(p->step, sizeof p->step, "%s", it->step_id);
    snprintf(p->what, sizeof p->what, "%s",
             it->kind == OFB_NEXT_EVENT ? it->event : it->detail);
    p->kind = it->kind;
    return 1;
}

/* One XPM offboarding, to completion: handlers do the checks, people the
 * rest, the sync signals when it is done. */
static void one_run(worker *w, ofb_handlers *h, int n)
{
    static const char *const pm[] = {"xpm", "myob_ae"};
    char id[64];
    snprintf(id, sizeof id, "t%d-run%d", w->index, n);
    ofb_store *s = NULL;
    ofb_run_opts o = {NULL, OFB_SYNC_NEVER, 0, NULL, NULL};
    if (n % 50 == 0) {
        CHECK(w, ofb_store_memory(&s) == 0);
        o.store = s;
    }
    ofb_run *run;
    ofb_error err;
    if (ofb_run_new(&run, w->wf, id, &o, &err) != 0) {
        CHECK(w, 0);
        return;
    }
    ofb_act a = {"alice", NULL, NULL, 0, T0, NULL, 0};
    CHECK(w, ofb_run_set_input(run, "practice_manager", pm[n % 2], &a,
                               &err) == 0);
    CHECK(w, ofb_run_set_input(run, "cdm", n % 3 ? "true" : "false", &a,
                               &err) == 0);
    CHECK(w, ofb_run_start(run, &a, &err) == 0);
    CHECK(w, ofb_run_set_handlers(run, h) == 0);
    ofb_time now = T0;
    for (int guard = 0; guard < 100; guard++) {
        CHECK(w, ofb_run_advance(run, now, NULL, &err) == 0);
        if (ofb_run_status_get(run) == OFB_RUN_COMPLETED)
            break;
        pick p;
        memset(&p, 0, sizeof p);
        ofb_run_next(run, NULL, first_for_a_person, &p);
        if (!p.step[0]) {
            CHECK(w, 0);
            break;
        }
        a.time = ++now;
        if (p.kind == OFB_NEXT_CONFIRM)
            CHECK(w, ofb_run_confirm(run, p.step, &a, &err) == 0);
        else if (p.kind == OFB_NEXT_EVENT)
            CHECK(w, ofb_run_signal(run, p.what, &a, &err) == 0);
        else if (p.kind == OFB_NEXT_INPUT)
            CHECK(w, ofb_run_set_input(run, p.what, "true", &a, &err) == 0);
        else
            CHECK(w, ofb_run_complete(run, p.step, &a, &err) == 0);
    }
    CHECK(w, ofb_run_status_get(run) == OFB_RUN_COMPLETED);
    if (s) {
        /* The journal replays to the same completed run. */
        const char *d;
        size_t len;
        ofb_store *copy;
        CHECK(w, ofb_store_memory_data(s, &d, &len) == 0);
        CHECK(w, ofb_store_memory(&copy) == 0);
        CHECK(w, copy->append(copy, d, len) == 0);
        ofb_run_opts o2 = {copy, OFB_SYNC_NEVER, 0, NULL, NULL};
        ofb_run *again;
        if (ofb_run_open(&again, w->wf, &o2, NULL, &err) == 0) {
            CHECK(w, ofb_run_status_get(again) == OFB_RUN_COMPLETED);
            ofb_run_free(again);
        } else {
            CHECK(w, 0);
            ofb_store_close(copy);
        }
    }
    ofb_run_free(run);
}

static void *work(void *arg)
{
    worker *w = arg;
    ofb_handlers *h;
    ofb_error err;
    if (ofb_handlers_new(&h, w->wf, &err) != 0) {
        CHECK(w, 0);
        return NULL;
    }
    CHECK(w, ofb_handlers_bind(h, OFB_BIND_DEFAULT, NULL, check_step, w,
                               NULL, &err) == 0);
    for (int n = 0; n < NRUNS; n++)
        one_run(w, h, n);
    CHECK(w, w->handler_calls >= NRUNS);
    ofb_handlers_unref(h);
    ofb_workflow_unref(w->wf); /* the last one frees it, in any thread */
    return NULL;
}

static void test_eight_threads_share_one_sealed_workflow(void **state)
{
    (void)state;
    ofb_workflow *wf;
    ofb_error err;
    assert_int_equal(ofb_builtin_load(&wf, "xpm-nimbus-client", NULL, &err),
                     0);
    worker ws[NTHREADS];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < NTHREADS; i++) {
        ws[i].wf = ofb_workflow_ref(wf);
        ws[i].index = i;
    }
    ofb_workflow_unref(wf); /* the workers hold it from here on */
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&ws[i].tid, NULL, work, &ws[i]), 0);
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(pthread_join(ws[i].tid, NULL), 0);
        print_message("   thread %d: %d runs, %ld handler calls\n", i, NRUNS,
                      ws[i].handler_calls);
        if (ws[i].failures)
            fail_msg("thread %d: %d failed checks, first at %s", i,
                     ws[i].failures, ws[i].why);
    }
}

/* ----------------------------------------------------------- processes */

static char journal_path[256];

static void make_journal(void)
{
    snprintf(journal_path, sizeof journal_path, "/tmp/ofb-threads-%ld.journal",
             (long)getpid());
    unlink(journal_path);
    ofb_workflow *wf;
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_builtin_load(&wf, "intercept-customer", NULL, &err),
                     0);
    assert_int_equal(ofb_store_file(&s, journal_path,
                                    OFB_STORE_CREATE | OFB_STORE_EXCL, &err),
                     0);
    ofb_run_opts o = {s, OFB_SYNC_EVERY, 0, NULL, NULL};
    assert_int_equal(ofb_run_new(&run, wf, "acme", &o, &err), 0);
    ofb_act a = {"alice", NULL, NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_run_set_input(run, "tier", "fullstack", &a, &err),
                     0);
    assert_int_equal(ofb_run_start(run, &a, &err), 0);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* A child: open the journal (waiting up to timeout_ms for the lock), say
 * how that went, wait for the word, then append `count` records. */
static int writer(int go_fd, int said_fd, int release_fd, int timeout_ms,
                  const char *actor)
{
    char c;
    if (read(go_fd, &c, 1) != 1)
        return 10;
    ofb_store *s;
    ofb_error err;
    if (ofb_store_file(&s, journal_path, 0, &err) != 0)
        return 11;
    ofb_run_opts o = {s, OFB_SYNC_EVERY, timeout_ms, NULL, NULL};
    ofb_run *run;
    int rc = ofb_run_open(&run, NULL, &o, NULL, &err);
    c = rc == 0 ? 'L' : rc == OFB_EBUSY ? 'B' : 'E';
    if (write(said_fd, &c, 1) != 1)
        return 12;
    if (rc) {
        ofb_store_close(s);
        if (rc == OFB_EBUSY && !strstr(err.message, "in use"))
            return 13;
        return rc == OFB_EBUSY ? 1 : 14;
    }
    if (release_fd >= 0 && read(release_fd, &c, 1) != 1)
        return 15;
    ofb_act a = {actor, NULL, NULL, 0, T0 + 60, NULL, 0};
    for (int i = 0; i < 20; i++)
        if (ofb_run_signal(run, "no_such_event", &a, NULL) != OFB_ENOTFOUND ||
            ofb_run_set_input(run, "new_supplier", actor, &a, &err) != 0)
            return 16;
    ofb_run_free(run);
    return 0;
}

typedef struct family {
    pid_t pid[2];
    int go[2], said[2], release[2];
} family;

static void spawn(family *f, int timeout_ms, int hold)
{
    assert_int_equal(pipe(f->go), 0);
    assert_int_equal(pipe(f->said), 0);
    assert_int_equal(pipe(f->release), 0);
    for (int i = 0; i < 2; i++) {
        f->pid[i] = fork();
        assert_true(f->pid[i] >= 0);
        if (f->pid[i] == 0) {
            close(f->go[1]);
            close(f->said[0]);
            close(f->release[1]);
            _exit(writer(f->go[0], f->said[1], hold ? f->release[0] : -1,
                         timeout_ms, i ? "bob" : "alice"));
        }
    }
    close(f->go[0]);
    close(f->said[1]);
    close(f->release[0]);
}

static int reap(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static size_t verify_file(void)
{
    ofb_store *s;
    ofb_error err;
    ofb_verify_report rep;
    assert_int_equal(ofb_store_file(&s, journal_path, OFB_STORE_READONLY,
                                    &err), 0);
    int rc = ofb_journal_verify(s, &rep, &err);
    if (rc)
        fail_msg("%s", err.message);
    assert_int_equal(rep.torn_bytes, 0);
    ofb_store_close(s);
    return rep.records;
}

static void test_two_processes_one_journal_exactly_one_writes(void **state)
{
    (void)state;
    make_journal();
    size_t before = verify_file();
    family f;
    spawn(&f, 0, 1);
    /* Both try at once; the one that got the lock holds it until both
     * have answered. */
    assert_int_equal(write(f.go[1], "gg", 2), 2);
    char said[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(read(f.said[0], &said[i], 1), 1);
    assert_true((said[0] == 'L' && said[1] == 'B') ||
                (said[0] == 'B' && said[1] == 'L'));
    assert_int_equal(write(f.release[1], "r", 1), 1);
    int st0 = reap(f.pid[0]), st1 = reap(f.pid[1]);
    assert_true((st0 == 0 && st1 == 1) || (st0 == 1 && st1 == 0));
    close(f.go[1]);
    close(f.said[0]);
    close(f.release[1]);
    assert_int_equal(verify_file(), before + 20);
    unlink(journal_path);
}

static void test_a_second_writer_waits_its_turn_with_a_timeout(void **state)
{
    (void)state;
    make_journal();
    size_t before = verify_file();
    family f;
    spawn(&f, 10000, 0);
    assert_int_equal(write(f.go[1], "gg", 2), 2);
    char said[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(read(f.said[0], &said[i], 1), 1);
    assert_int_equal(said[0], 'L');
    assert_int_equal(said[1], 'L');
    assert_int_equal(reap(f.pid[0]), 0);
    assert_int_equal(reap(f.pid[1]), 0);
    close(f.go[1]);
    close(f.said[0]);
    close(f.release[1]);
    assert_int_equal(verify_file(), before + 40);

    /* The run replays: the later writer's input is the one that stays. */
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, journal_path, OFB_STORE_READONLY,
                                    &err), 0);
    ofb_run_opts o = {s, OFB_SYNC_NEVER, 0, NULL, NULL};
    assert_int_equal(ofb_run_open(&run, NULL, &o, NULL, &err), 0);
    const char *v = ofb_run_input(run, "new_supplier");
    assert_non_null(v);
    assert_true(strcmp(v, "alice") == 0 || strcmp(v, "bob") == 0);
    ofb_run_free(run);
    unlink(journal_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_threads_share_one_sealed_workflow),
        cmocka_unit_test(test_two_processes_one_journal_exactly_one_writes),
        cmocka_unit_test(test_a_second_writer_waits_its_turn_with_a_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
