/*
 * seal.c - parse + seal of a generated DAG workflow of N steps, each with
 * up to three prerequisites among the steps before it, as .ofb text in
 * memory. One size per process, so that the resident-memory delta of the
 * first parse is not blurred by memory an earlier one left to malloc.
 *
 * Usage: seal N [REPS]   (default 3 repetitions)
 */
#include "bench.h"

#include "ofb.h"

/* A fixed xorshift: the same graph on every machine and every run. */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        if (!(*buf = realloc(*buf, *cap)))
            bench_fail("out of memory");
    }
    memcpy(*buf + *len, s, n);
    *len += n;
}

/* The text: step sN "Step N", after three distinct earlier steps drawn
 * mostly from the recent past (like real procedures) and sometimes from
 * anywhere before. */
static char *generate(long n, size_t *len, long *edges)
{
    char *buf = NULL, line[160];
    size_t cap = 0;
    int k;
    *len = 0;
    *edges = 0;
    k = snprintf(line, sizeof line, "workflow gen-%ld 1\ntitle \"Generated "
                 "DAG\"\n", n);
    add(&buf, len, &cap, line, (size_t)k);
    for (long i = 0; i < n; i++) {
        k = snprintf(line, sizeof line, "step s%ld \"Step %ld\"\n", i, i);
        add(&buf, len, &cap, line, (size_t)k);
        if (i == 0)
            continue;
        long p[3];
        int np = 0;
        for (int t = 0; t < 3 && np < (i < 3 ? i : 3); t++) {
            long span = t == 2 ? i : (i < 16 ? i : 16);
            long c = i - 1 - (long)(next_rand() % (uint64_t)span);
            int dup = 0;
            for (int u = 0; u < np; u++)
                dup |= p[u] == c;
            if (!dup)
                p[np++] = c;
        }
        k = snprintf(line, sizeof line, "  after");
        for (int u = 0; u < np; u++)
            k += snprintf(line + k, sizeof line - (size_t)k, " s%ld", p[u]);
        line[k++] = '\n';
        add(&buf, len, &cap, line, (size_t)k);
        *edges += np;
    }
    return buf;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1 || n > OFB_STEPS_MAX || reps < 1 || reps > 64)
        bench_fail("usage: seal N [REPS]");
    size_t len;
    long edges;
    char *text = generate(n, &len, &edges);

    double t[64], mem = 0;
    for (int i = 0; i < reps; i++) {
        ofb_workflow *wf;
        ofb_error err;
        size_t before = bench_rss();
        double t0 = bench_now();
        int rc = ofb_workflow_parse(&wf, text, len, "gen.ofb", NULL, &err);
        t[i] = bench_now() - t0;
        if (rc)
            bench_fail("parse: %s", err.message);
        if (i == 0)
            mem = (double)(bench_rss() - before);
        if (ofb_workflow_step_count(wf) != (size_t)n)
            bench_fail("parsed %zu steps, not %ld",
                       ofb_workflow_step_count(wf), n);
        ofb_workflow_unref(wf);
    }
    char p[160];
    snprintf(p, sizeof p, "\"steps\":%ld,\"edges\":%ld,\"text_bytes\":%zu,"
             "\"reps\":%d", n, edges, len, reps);
    bench_emit("seal.time", p, bench_median(t, (size_t)reps) * 1e3, "ms");
    bench_emit("seal.rss", p, mem / (1 << 20), "MiB");
    free(text);
    return 0;
}
