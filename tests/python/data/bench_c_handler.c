/*
 * Per-step cost of a C handler, for comparison with a Python one
 * (tests/python/bench_handlers.py): one run of a workflow of N independent
 * automated steps, no journal, the handler does nothing but return DONE.
 * Usage: bench_c_handler N   (prints nanoseconds per step)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ofb.h"

static int noop(ofb_call *call, void *payload)
{
    (void)call;
    (void)payload;
    return OFB_DONE;
}

int main(int argc, char **argv)
{
    size_t i, n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    size_t cap = 32 + n * 40, len = 0;
    char *text = malloc(cap);
    ofb_workflow *wf = NULL;
    ofb_run *run = NULL;
    ofb_error err = {0};
    struct timespec t0, t1;

    if (!text)
        return 1;
    len += (size_t)snprintf(text, cap, "workflow wide 1\n");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "step s%zu \"S\"\n action work\n", i);
    if (ofb_workflow_parse(&wf, text, len, NULL, NULL, &err) < 0 ||
        ofb_run_new(&run, wf, "bench", NULL, &err) < 0 ||
        ofb_run_bind(run, OFB_BIND_ACTION, "work", noop, NULL, NULL, &err) < 0 ||
        ofb_run_start(run, NULL, &err) < 0) {
        fprintf(stderr, "bench_c_handler: %s\n", err.message);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ofb_run_advance(run, 1000, NULL, &err) < 0) {
        fprintf(stderr, "bench_c_handler: %s\n", err.message);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.0f\n", ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
                      (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    free(text);
    return 0;
}
