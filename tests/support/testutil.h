/*
 * testutil.h - helpers shared by the C tests: a counting allocator that can
 * fail on demand, and a compact way to define small workflows.
 */
#ifndef OFB_TESTUTIL_H
#define OFB_TESTUTIL_H

#include <ofb.h>

#include <stddef.h>

/* An allocator that counts live blocks and fails the Nth allocation
 * (fail_at = 0: never). Not thread-safe: one per test. */
typedef struct tu_alloc {
    ofb_allocator a;
    long live;       /* blocks allocated and not freed */
    long calls;      /* allocations attempted */
    long fail_at;    /* 1-based allocation that fails, 0 = none */
    long failed;     /* allocations refused */
} tu_alloc;

void tu_alloc_init(tu_alloc *t, long fail_at);

/* A step in one line: tu_step(wf, "b", "a c", "when text", flags). The
 * after list is space-separated; "" or NULL for none. Asserts success. */
void tu_step(ofb_workflow *wf, const char *id, const char *after,
             const char *when, unsigned flags);
/* The same with every attribute. */
void tu_step_full(ofb_workflow *wf, const char *id, const char *after,
                  const char *when, unsigned flags, const char *role,
                  const char *action, const char *wait, int64_t timeout,
                  unsigned retry, int64_t backoff);
/* A choice input: tu_choice(wf, "tier", "fullstack premium csp", req). */
void tu_choice(ofb_workflow *wf, const char *id, const char *choices,
               int required);
void tu_input(ofb_workflow *wf, const char *id, ofb_type type, int required,
              const char *dflt);

/* The state of a step by id. */
ofb_step_state tu_state(const ofb_run *run, const char *step);

/* A built-in workflow by name; fails the test when it does not load. */
ofb_workflow *tu_builtin(const char *name);

/* Completes a step as actor (NULL: none); fails the test when refused. */
void tu_done(ofb_run *run, const char *step, const char *actor);

#endif
