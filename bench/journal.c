/*
 * journal.c - the journal: records appended per second with each
 * durability, and the replay of a 1,000,000-record journal by ofb_run_open.
 *
 * Appends are the records of real work: a generated chain of steps with a
 * trivial handler, so each step writes a `begin` and an `outcome` record.
 * Replay opens two journals of 1,000,000 records written by long runs:
 * one of a 500,000-step chain (begin/outcome records; the definition is
 * passed, so its header is only hashed), one of a two-step workflow that
 * got 1,000,000 signals (the journal's own cost, no engine work to speak
 * of).
 *
 * Usage: journal DIR [EVERY_RECORDS [RECORDS [REPLAY_RECORDS [REPS]]]]
 *        (defaults 2000 200000 1000000 3)
 */
#include "bench.h"

#include "ofb.h"

#define T0 1700000000

static int done_fn(ofb_call *c, void *payload)
{
    (void)c;
    ++*(uint64_t *)payload;
    return OFB_DONE;
}

static void check(int rc, const char *what, const ofb_error *err)
{
    if (rc)
        bench_fail("%s: %s (%s)", what, ofb_strerror(rc),
                   err ? err->message : "");
}

/* A chain of n steps: s0 <- s1 <- ... */
static ofb_workflow *chain(long n)
{
    size_t cap = (size_t)n * 48 + 64, len = 0;
    char *t = malloc(cap);
    if (!t)
        bench_fail("out of memory");
    len += (size_t)snprintf(t, cap, "workflow chain 1\n");
    for (long i = 0; i < n; i++) {
        len += (size_t)snprintf(t + len, cap - len, "step s%ld \"S\"\n", i);
        if (i)
            len += (size_t)snprintf(t + len, cap - len, "  after s%ld\n",
                                    i - 1);
    }
    ofb_workflow *wf;
    ofb_error err;
    check(ofb_workflow_parse(&wf, t, len, "chain.ofb", NULL, &err), "parse",
          &err);
    free(t);
    return wf;
}

static ofb_run *new_run(ofb_workflow *wf, const char *path, ofb_durability d)
{
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    ofb_run_opts o;
    memset(&o, 0, sizeof o);
    unlink(path);
    check(ofb_store_file(&s, path, OFB_STORE_CREATE | OFB_STORE_EXCL, &err),
          "store", &err);
    o.store = s;
    o.durability = d;
    check(ofb_run_new(&run, wf, "bench", &o, &err), "run", &err);
    return run;
}

/* Appends 2 * steps records (begin, outcome) by advancing a chain; with
 * flush_every, the host flushes each time that many steps went by.
 * Returns records per second. */
static double appends(const char *path, long steps, ofb_durability d,
                      long flush_every, uint64_t *sum)
{
    ofb_workflow *wf = chain(steps);
    ofb_handlers *h;
    ofb_error err;
    check(ofb_handlers_new(&h, wf, &err), "handlers", &err);
    check(ofb_handlers_bind(h, OFB_BIND_DEFAULT, NULL, done_fn, sum, NULL,
                            &err), "bind", &err);
    ofb_run *run = new_run(wf, path, d);
    ofb_run_set_handlers(run, h);
    check(ofb_run_start(run, NULL, &err), "start", &err);
    double t = bench_now();
    if (flush_every) {
        for (long i = 0; i < steps; i++) {
            check(ofb_run_step(run, T0, NULL, &err), "step", &err);
            if ((i + 1) % flush_every == 0)
                check(ofb_run_flush(run, &err), "flush", &err);
        }
    } else {
        check(ofb_run_advance(run, T0, NULL, &err), "advance", &err);
    }
    t = bench_now() - t;
    if (ofb_run_status_get(run) != OFB_RUN_COMPLETED)
        bench_fail("the chain did not complete");
    ofb_run_free(run);
    ofb_handlers_unref(h);
    ofb_workflow_unref(wf);
    unlink(path);
    return (double)(2 * steps) / t;
}

/* Opens path and replays it; returns seconds. */
static double replay(ofb_workflow *wf, const char *path, size_t records)
{
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    ofb_recovery rec;
    ofb_run_opts o;
    memset(&o, 0, sizeof o);
    o.durability = OFB_SYNC_NEVER;
    check(ofb_store_file(&s, path, OFB_STORE_READONLY, &err), "store", &err);
    o.store = s;
    double t = bench_now();
    check(ofb_run_open(&run, wf, &o, &rec, &err), "open", &err);
    t = bench_now() - t;
    if (rec.records != records)
        bench_fail("replayed %zu records, expected %zu", rec.records,
                   records);
    ofb_run_free(run);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bench_fail("usage: journal DIR [EVERY [RECORDS [REPLAY [REPS]]]]");
    const char *dir = argv[1];
    long every = argc > 2 ? atol(argv[2]) : 2000;
    long records = argc > 3 ? atol(argv[3]) : 200000;
    long nreplay = argc > 4 ? atol(argv[4]) : 1000000;
    int reps = argc > 5 ? atoi(argv[5]) : 3;
    if (every < 2 || records < 2000 || nreplay < 2 || reps < 1 || reps > 64)
        bench_fail("bad counts");
    char path[4096], p[200];
    snprintf(path, sizeof path, "%s/bench-%ld.journal", dir, (long)getpid());
    uint64_t sum = 0;
    double v[64];

    for (int i = 0; i < reps; i++)
        v[i] = appends(path, every / 2, OFB_SYNC_EVERY, 0, &sum);
    snprintf(p, sizeof p, "\"records\":%ld,\"durability\":\"every\","
             "\"reps\":%d", every, reps);
    bench_emit("journal.append.every", p, bench_median(v, (size_t)reps),
               "records/s");

    for (int i = 0; i < reps; i++)
        v[i] = appends(path, records / 2, OFB_SYNC_FLUSH, 500, &sum);
    snprintf(p, sizeof p, "\"records\":%ld,\"durability\":\"flush\","
             "\"flush_every\":1000,\"reps\":%d", records, reps);
    bench_emit("journal.append.flush", p, bench_median(v, (size_t)reps),
               "records/s");

    for (int i = 0; i < reps; i++)
        v[i] = appends(path, records / 2, OFB_SYNC_NEVER, 0, &sum);
    snprintf(p, sizeof p, "\"records\":%ld,\"durability\":\"never\","
             "\"reps\":%d", records, reps);
    bench_emit("journal.append.never", p, bench_median(v, (size_t)reps),
               "records/s");

    /* Replay 1: a long chain run, begin + outcome per step. */
    {
        ofb_workflow *wf = chain(nreplay / 2);
        ofb_handlers *h;
        ofb_error err;
        check(ofb_handlers_new(&h, wf, &err), "handlers", &err);
        check(ofb_handlers_bind(h, OFB_BIND_DEFAULT, NULL, done_fn, &sum,
                                NULL, &err), "bind", &err);
        ofb_run *run = new_run(wf, path, OFB_SYNC_NEVER);
        ofb_run_set_handlers(run, h);
        check(ofb_run_start(run, NULL, &err), "start", &err);
        check(ofb_run_advance(run, T0, NULL, &err), "advance", &err);
        ofb_run_free(run);
        /* header + start + 2 per step */
        size_t n = (size_t)(nreplay / 2) * 2 + 2;
        for (int i = 0; i < reps; i++)
            v[i] = replay(wf, path, n);
        snprintf(p, sizeof p, "\"records\":%zu,\"kind\":\"begin+outcome\","
                 "\"steps\":%ld,\"reps\":%d", n, nreplay / 2, reps);
        bench_emit("journal.replay.steps", p,
                   bench_median(v, (size_t)reps) * 1e3, "ms");
        ofb_handlers_unref(h);
        ofb_workflow_unref(wf);
        unlink(path);
    }

    /* Replay 2: 1,000,000 signals on a small run. */
    {
        static const char def[] =
            "workflow signals 1\n"
            "step hold \"Held by a person\"\n  manual\n"
            "step wait \"Waits\"\n  after hold\n  wait tick\n";
        ofb_workflow *wf;
        ofb_error err;
        check(ofb_workflow_parse(&wf, def, sizeof def - 1, "signals.ofb",
                                 NULL, &err), "parse", &err);
        ofb_run *run = new_run(wf, path, OFB_SYNC_NEVER);
        check(ofb_run_start(run, NULL, &err), "start", &err);
        for (long i = 0; i < nreplay; i++)
            check(ofb_run_signal(run, "tick", NULL, &err), "signal", &err);
        ofb_run_free(run);
        size_t n = (size_t)nreplay + 2;
        for (int i = 0; i < reps; i++)
            v[i] = replay(NULL, path, n);
        snprintf(p, sizeof p, "\"records\":%zu,\"kind\":\"signal\","
                 "\"reps\":%d", n, reps);
        bench_emit("journal.replay.signals", p,
                   bench_median(v, (size_t)reps) * 1e3, "ms");
        ofb_workflow_unref(wf);
        unlink(path);
    }
    fprintf(stderr, "journal: handler calls %llu\n", (unsigned long long)sum);
    return 0;
}
