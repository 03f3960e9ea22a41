/*
 * w1.c - W1, the pzzle-customer chain through libofb: ten steps, trivial
 * handlers, the last step waits for `support_confirmed`.
 *
 *   W1a  runs one after another: new, start, advance, signal, free
 *   W1b  many runs alive at once, advanced round-robin one step at a time
 *   W1c  each run first tries a step out of order (refused), then runs
 *
 * Usage: w1 [RUNS_A [RUNS_B [REPS]]]   (defaults 1000000 100000 5)
 */
#include "bench.h"

#include "ofb.h"

#define NSTEPS 10
#define T0 1700000000

/* Each handler adds its step index: the sum is printed, so nothing can be
 * optimised away. */
static int add_step(ofb_call *c, void *payload)
{
    *(uint64_t *)payload += ofb_call_step(c);
    return OFB_DONE;
}

static void check(int rc, const char *what, const ofb_error *err)
{
    if (rc)
        bench_fail("%s: %s (%s)", what, ofb_strerror(rc),
                   err ? err->message : "");
}

/* One whole run. refuse: try a step out of order first. */
static void one_run(ofb_workflow *wf, ofb_handlers *h, int refuse)
{
    ofb_run *run;
    ofb_error err;
    check(ofb_run_new(&run, wf, "w1", NULL, &err), "new", &err);
    check(ofb_run_set_handlers(run, h), "set_handlers", NULL);
    check(ofb_run_start(run, NULL, &err), "start", &err);
    if (refuse) {
        int rc = ofb_run_complete(run, "tags_removed", NULL, &err);
        if (rc != OFB_EPREREQ || strcmp(err.detail, "relationships_removed"))
            bench_fail("out-of-order complete gave %d (%s), not EPREREQ", rc,
                       err.message);
    }
    check(ofb_run_advance(run, T0, NULL, &err), "advance", &err);
    check(ofb_run_signal(run, "support_confirmed", NULL, &err), "signal",
          &err);
    if (ofb_run_status_get(run) != OFB_RUN_COMPLETED)
        bench_fail("run did not complete");
    ofb_run_free(run);
}

static double w1a(ofb_workflow *wf, ofb_handlers *h, long runs, int refuse)
{
    double t = bench_now();
    for (long i = 0; i < runs; i++)
        one_run(wf, h, refuse);
    return bench_now() - t;
}

/* W1b: returns the seconds to drive every run to completion; *bytes gets
 * the resident memory per live (created and started) run. */
static double w1b(ofb_workflow *wf, ofb_handlers *h, long runs,
                  double *bytes)
{
    ofb_run **r = malloc((size_t)runs * sizeof *r);
    ofb_error err;
    if (!r)
        bench_fail("out of memory");
    memset(r, 0, (size_t)runs * sizeof *r); /* resident before measuring */
    size_t before = bench_rss();
    for (long i = 0; i < runs; i++) {
        char id[32];
        snprintf(id, sizeof id, "w1b-%ld", i);
        check(ofb_run_new(&r[i], wf, id, NULL, &err), "new", &err);
        check(ofb_run_set_handlers(r[i], h), "set_handlers", NULL);
        check(ofb_run_start(r[i], NULL, &err), "start", &err);
    }
    *bytes = (double)(bench_rss() - before) / (double)runs;

    double t = bench_now();
    for (int k = 0; k < NSTEPS; k++)
        for (long i = 0; i < runs; i++)
            check(ofb_run_step(r[i], T0, NULL, &err), "step", &err);
    for (long i = 0; i < runs; i++) {
        check(ofb_run_signal(r[i], "support_confirmed", NULL, &err), "signal",
              &err);
        if (ofb_run_status_get(r[i]) != OFB_RUN_COMPLETED)
            bench_fail("run %ld did not complete", i);
    }
    t = bench_now() - t;
    for (long i = 0; i < runs; i++)
        ofb_run_free(r[i]);
    free(r);
    return t;
}

/* The cost of one refusal alone: a started run asked again and again to
 * complete a step whose prerequisite is not done, with an error record to
 * fill, as a host that shows the reason would. */
static double refusals(ofb_workflow *wf, long n)
{
    ofb_run *run;
    ofb_error err;
    check(ofb_run_new(&run, wf, "w1c", NULL, &err), "new", &err);
    check(ofb_run_start(run, NULL, &err), "start", &err);
    double t = bench_now();
    for (long i = 0; i < n; i++)
        if (ofb_run_complete(run, "tags_removed", NULL, &err) != OFB_EPREREQ)
            bench_fail("out-of-order complete was not refused");
    t = bench_now() - t;
    ofb_run_free(run);
    return t / (double)n;
}

int main(int argc, char **argv)
{
    long runs_a = argc > 1 ? atol(argv[1]) : 1000000;
    long runs_b = argc > 2 ? atol(argv[2]) : 100000;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (runs_a < 1 || runs_b < 1 || reps < 1 || reps > 64)
        bench_fail("usage: w1 [RUNS_A [RUNS_B [REPS]]]");

    ofb_workflow *wf;
    ofb_handlers *h;
    ofb_error err;
    uint64_t sum = 0;
    check(ofb_builtin_load(&wf, "pzzle-customer", NULL, &err), "load", &err);
    if (ofb_workflow_step_count(wf) != NSTEPS)
        bench_fail("pzzle-customer has %zu steps, expected %d",
                   ofb_workflow_step_count(wf), NSTEPS);
    check(ofb_handlers_new(&h, wf, &err), "handlers", &err);
    check(ofb_handlers_bind(h, OFB_BIND_DEFAULT, NULL, add_step, &sum, NULL,
                            &err), "bind", &err);

    double a[64], b[64], c[64], r[64], mem[64];
    char p[160];
    /* W1b first: its memory figure is only honest in a fresh heap, before
     * freed runs leave malloc memory to reuse. */
    b[0] = w1b(wf, h, runs_b, &mem[0]);
    w1a(wf, h, runs_a / 10 + 1, 0); /* warm up */
    for (int i = 0; i < reps; i++) {
        a[i] = w1a(wf, h, runs_a, 0);
        c[i] = w1a(wf, h, runs_b, 1);
        if (i)
            b[i] = w1b(wf, h, runs_b, &mem[i]);
        r[i] = refusals(wf, runs_b);
    }
    double ta = bench_median(a, (size_t)reps) / (double)runs_a;
    double tc = bench_median(c, (size_t)reps) / (double)runs_b;
    double tb = bench_median(b, (size_t)reps) / (double)runs_b;

    snprintf(p, sizeof p, "\"runs\":%ld,\"steps\":%d,\"reps\":%d", runs_a,
             NSTEPS, reps);
    bench_emit("w1a.step", p, ta / NSTEPS * 1e9, "ns/step");
    bench_emit("w1a.runs_per_s", p, 1.0 / ta, "runs/s");
    snprintf(p, sizeof p, "\"runs\":%ld,\"steps\":%d,\"reps\":%d", runs_b,
             NSTEPS, reps);
    bench_emit("w1b.step", p, tb / NSTEPS * 1e9, "ns/step");
    bench_emit("w1b.bytes_per_run", p, mem[0], "bytes/run");
    bench_emit("w1c.step", p, tc / NSTEPS * 1e9, "ns/step");
    bench_emit("w1c.refusal", p, bench_median(r, (size_t)reps) * 1e9,
               "ns/refusal");

    fprintf(stderr, "w1: handler sum %llu\n", (unsigned long long)sum);
    ofb_handlers_unref(h);
    ofb_workflow_unref(wf);
    return 0;
}
