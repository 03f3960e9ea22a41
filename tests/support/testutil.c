/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static void *tu_malloc(size_t n, void *ud)
{
    tu_alloc *t = ud;
    t->calls++;
    if (t->fail_at && t->calls == t->fail_at) {
        t->failed++;
        return NULL;
    }
    void *p = malloc(n);
    if (p)
        t->live++;
    return p;
}

static void *tu_realloc(void *p, size_t n, void *ud)
{
    tu_alloc *t = ud;
    t->calls++;
    if (t->fail_at && t->calls == t->fail_at) {
        t->failed++;
        return NULL;
    }
    void *q = realloc(p, n);
    if (q && !p)
        t->live++;
    return q;
}

static void tu_free(void *p, void *ud)
{
    tu_alloc *t = ud;
    if (p)
        t->live--;
    free(p);
}

void tu_alloc_init(tu_alloc *t, long fail_at)
{
    memset(t, 0, sizeof *t);
    t->a.malloc = tu_malloc;
    t->a.realloc = tu_realloc;
    t->a.free = tu_free;
    t->a.ud = t;
    t->fail_at = fail_at;
}

/* Splits a space-separated list into a static-sized array of strings that
 * point into buf. */
static size_t split(char *buf, const char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ", &save); tok && n < max;
         tok = strtok_r(NULL, " ", &save))
        out[n++] = tok;
    return n;
}

void tu_step_full(ofb_workflow *wf, const char *id, const char *after,
                  const char *when, unsigned flags, const char *role,
                  const char *action, const char *wait, int64_t timeout,
                  unsigned retry, int64_t backoff)
{
    char buf[1024] = "";
    const char *list[64];
    size_t n = 0;
    if (after) {
        strncpy(buf, after, sizeof buf - 1);
        n = split(buf, list, 64);
    }
    ofb_step_def d;
    memset(&d, 0, sizeof d);
    d.id = id;
    d.title = id;
    d.after = list;
    d.nafter = n;
    d.when = when;
    d.flags = flags;
    d.role = role;
    d.action = action;
    d.wait_event = wait;
    d.wait_timeout = timeout;
    d.retry_count = retry;
    d.retry_backoff = backoff;
    ofb_error err;
    int rc = ofb_workflow_add_step(wf, &d, &err);
    if (rc)
        fail_msg("add_step %s: %s", id, err.message);
}

void tu_step(ofb_workflow *wf, const char *id, const char *after,
             const char *when, unsigned flags)
{
    tu_step_full(wf, id, after, when, flags, NULL, NULL, NULL, 0, 0, 0);
}

void tu_choice(ofb_workflow *wf, const char *id, const char *choices,
               int required)
{
    char buf[512];
    const char *list[32];
    strncpy(buf, choices, sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    size_t n = split(buf, list, 32);
    ofb_input_def d = {id, OFB_TYPE_CHOICE, list, n, required, NULL, NULL};
    ofb_error err;
    if (ofb_workflow_add_input(wf, &d, &err))
        fail_msg("add_input %s: %s", id, err.message);
}

void tu_input(ofb_workflow *wf, const char *id, ofb_type type, int required,
              const char *dflt)
{
    ofb_input_def d = {id, type, NULL, 0, required, dflt, NULL};
    ofb_error err;
    if (ofb_workflow_add_input(wf, &d, &err))
        fail_msg("add_input %s: %s", id, err.message);
}

ofb_step_state tu_state(const ofb_run *run, const char *step)
{
    size_t i;
    ofb_step_status st;
    if (ofb_workflow_find_step(ofb_run_workflow(run), step, &i))
        fail_msg("no step %s", step);
    ofb_run_step_status(run, i, &st);
    return st.state;
}

ofb_workflow *tu_builtin(const char *name)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    if (ofb_builtin_load(&wf, name, NULL, &err))
        fail_msg("%s: %s", name, err.message);
    return wf;
}

void tu_done(ofb_run *run, const char *step, const char *actor)
{
    ofb_act act;
    ofb_error err;
    memset(&act, 0, sizeof act);
    act.actor = actor;
    if (ofb_run_complete(run, step, &act, &err))
        fail_msg("%s: %s", step, err.message);
}
