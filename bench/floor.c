/*
 * floor.c - the floor for W1: the same three workloads as plain C, with
 * nothing but an array of ten function pointers, a state byte per run and
 * a prerequisite check per step. No journal, no messages, no handler
 * lookup: what a hand-written loop costs, to set libofb's figures against.
 *
 * Usage: floor [RUNS_A [RUNS_B [REPS]]]   (defaults 1000000 100000 5)
 */
#include "bench.h"

#define NSTEPS 10

typedef int (*step_fn)(uint64_t *sum, unsigned step);

static int add_step(uint64_t *sum, unsigned step)
{
    *sum += step;
    return 0;
}

/* Not const and filled at run time, so calls stay indirect as in libofb. */
step_fn steps[NSTEPS];
uint64_t sum;

/* Runs step k of a run whose state byte is *st (the number of steps done):
 * refused unless its prerequisite, step k - 1, is done. */
__attribute__((noinline)) static int run_step(unsigned char *st, unsigned k)
{
    if (*st != k)
        return -1;
    if (steps[k](&sum, k) != 0)
        return -2;
    *st = (unsigned char)(k + 1);
    return 0;
}

static double w1a(long runs, int refuse)
{
    long refused = 0;
    double t = bench_now();
    for (long i = 0; i < runs; i++) {
        unsigned char st = 0;
        BENCH_KEEP(&st);
        if (refuse && run_step(&st, 3) == -1)
            refused++;
        for (unsigned k = 0; k < NSTEPS; k++)
            if (run_step(&st, k))
                bench_fail("floor: step %u refused", k);
        if (st != NSTEPS)
            bench_fail("floor: run did not complete");
    }
    t = bench_now() - t;
    if (refuse && refused != runs)
        bench_fail("floor: out-of-order step not refused");
    return t;
}

static double w1b(long runs, double *bytes)
{
    size_t before = bench_rss();
    unsigned char *st = calloc((size_t)runs, 1);
    if (!st)
        bench_fail("out of memory");
    memset(st, 0, (size_t)runs); /* resident, as a live run is */
    *bytes = (double)(bench_rss() - before) / (double)runs;
    double t = bench_now();
    for (unsigned k = 0; k < NSTEPS; k++)
        for (long i = 0; i < runs; i++)
            if (run_step(&st[i], k))
                bench_fail("floor: step %u refused", k);
    t = bench_now() - t;
    for (long i = 0; i < runs; i++)
        if (st[i] != NSTEPS)
            bench_fail("floor: run %ld did not complete", i);
    free(st);
    return t;
}

static double refusals(long n)
{
    unsigned char st = 0;
    BENCH_KEEP(&st);
    double t = bench_now();
    for (long i = 0; i < n; i++)
        if (run_step(&st, 3) != -1)
            bench_fail("floor: out-of-order step not refused");
    return (bench_now() - t) / (double)n;
}

int main(int argc, char **argv)
{
    long runs_a = argc > 1 ? atol(argv[1]) : 1000000;
    long runs_b = argc > 2 ? atol(argv[2]) : 100000;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (runs_a < 1 || runs_b < 1 || reps < 1 || reps > 64)
        bench_fail("usage: floor [RUNS_A [RUNS_B [REPS]]]");
    for (int k = 0; k < NSTEPS; k++)
        steps[k] = add_step;

    double a[64], b[64], c[64], r[64], mem[64];
    char p[160];
    b[0] = w1b(runs_b, &mem[0]); /* first: see w1.c */
    w1a(runs_a / 10 + 1, 0);
    for (int i = 0; i < reps; i++) {
        a[i] = w1a(runs_a, 0);
        c[i] = w1a(runs_b, 1);
        if (i)
            b[i] = w1b(runs_b, &mem[i]);
        r[i] = refusals(runs_b);
    }
    double ta = bench_median(a, (size_t)reps) / (double)runs_a;
    double tc = bench_median(c, (size_t)reps) / (double)runs_b;
    double tb = bench_median(b, (size_t)reps) / (double)runs_b;

    snprintf(p, sizeof p, "\"runs\":%ld,\"steps\":%d,\"reps\":%d", runs_a,
             NSTEPS, reps);
    bench_emit("floor.w1a.step", p, ta / NSTEPS * 1e9, "ns/step");
    bench_emit("floor.w1a.runs_per_s", p, 1.0 / ta, "runs/s");
    snprintf(p, sizeof p, "\"runs\":%ld,\"steps\":%d,\"reps\":%d", runs_b,
             NSTEPS, reps);
    bench_emit("floor.w1b.step", p, tb / NSTEPS * 1e9, "ns/step");
    bench_emit("floor.w1b.bytes_per_run", p, mem[0], "bytes/run");
    bench_emit("floor.w1c.step", p, tc / NSTEPS * 1e9, "ns/step");
    bench_emit("floor.w1c.refusal", p, bench_median(r, (size_t)reps) * 1e9,
               "ns/refusal");
    fprintf(stderr, "floor: sum %llu\n", (unsigned long long)sum);
    return 0;
}
