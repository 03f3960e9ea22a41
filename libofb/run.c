/*
 * run.c - runs: the step state machine, its single event path, handlers,
 * advance, "what is next" and plans.
 *
 * Every change of a run's state is an ofb__ev that goes through
 * ofb__run_apply(): check against the transition table and the step's
 * rules (a refusal changes nothing), prepare every allocation the change
 * needs, journal it, then apply it. Replaying a journal is the same path
 * without the journal write, so a replayed run is the run that was written.
 *
 * The engine does no I/O of its own and reads no clock.
 */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------- transition table */

/* What happens to a step. */
enum tev {
    T_READY,   /* prerequisites settled, guard true */
    T_GUARD,   /* prerequisites settled, guard false */
    T_BEGIN,   /* handler invoked, or a person starts it */
    T_DONE,    /* outcome DONE with no wait, or completed by a person */
    T_WAIT,    /* outcome DONE with a wait, or WAIT(E) */
    T_SIGNAL,  /* the awaited event arrived (or had arrived) */
    T_TIMEOUT, /* the wait's timeout passed */
    T_RETRY,   /* outcome RETRY with attempts left */
    T_DUE,     /* retry time reached */
    T_FAIL,    /* outcome FAIL, RETRY with none left, failure by a person */
    T_SKIP,    /* skipped by an actor or a handler (optional steps) */
    T_REOPEN,  /* a failed step retried by an actor */
    T_COUNT
};

#define X 0xff /* no such transition */
#define B OFB_STEP_BLOCKED
#define R OFB_STEP_READY
#define U OFB_STEP_RUNNING
#define W OFB_STEP_WAITING
#define Y OFB_STEP_RETRYING
#define F OFB_STEP_FAILED
#define D OFB_STEP_DONE
#define S OFB_STEP_SKIPPED

/* The step state machine of SPEC section 1, in one place: next[from][event].
 * A person may complete a ready step directly (manual steps are never
 * begun by a handler), hence the DONE and WAIT entries of the ready row. */
static const uint8_t next_state[8][T_COUNT] = {
    /*            READY GUARD BEGIN DONE WAIT SIGNAL TIMEOUT RETRY DUE FAIL SKIP REOPEN */
    [B] = {       R,    S,    X,    X,   X,   X,     X,      X,    X,  X,   X,   X},
    [R] = {       X,    X,    U,    D,   W,   X,     X,      X,    X,  X,   S,   X},
    [U] = {       X,    X,    X,    D,   W,   X,     X,      Y,    X,  F,   S,   X},
    [W] = {       X,    X,    X,    X,   X,   D,     F,      X,    X,  X,   X,   X},
    [Y] = {       X,    X,    X,    X,   X,   X,     X,      X,    R,  X,   X,   X},
    [F] = {       X,    X,    X,    X,   X,   X,     X,      X,    X,  X,   X,   R},
    [D] = {       X,    X,    X,    X,   X,   X,     X,      X,    X,  X,   X,   X},
    [S] = {       X,    X,    X,    X,   X,   X,     X,      X,    X,  X,   X,   X},
};

#undef B
#undef R
#undef U
#undef W
#undef Y
#undef F
#undef D
#undef S

/* A step's byte: its state in the low bits, then flags. */
#define ST_MASK 0x07u
#define F_CONFIRMED 0x08u /* irreversible step confirmed */
#define F_AUTO 0x10u      /* begun by advance: a handler owns the outcome */
#define F_DOUBT 0x20u     /* begun by a handler, outcome unknown */
#define F_GUARD 0x40u     /* skipped because its guard was false */
#define F_LATCHED 0x80u   /* the event this step declares was signalled:
                             declared events are latched on every step that
                             declares them, so a signal allocates nothing */

static bool settled_state(unsigned s) { return s >= OFB_STEP_DONE; }

/* Rarely needed parts of a run, allocated on first need so that a plain
 * run stays a few dozen bytes. */
typedef struct runx {
    ofb__journal *j;
    ofb__ival *inputs;     /* wf->ninputs values; text owned unless it is
                              the input's default_text */
    char **signals;        /* latched events (owned) */
    uint32_t nsignals, cap_signals;
    ofb_time *due;         /* per step: retry time or wait deadline */
    const char **waiting;  /* per step: the awaited event */
    char **pool;           /* owned event names of WAIT outcomes */
    uint32_t npool, cap_pool;
    uint32_t *work;        /* worklist for skip cascades, nsteps long */
    uint32_t ntimers;      /* steps retrying or waiting with a deadline */
    ofb_verify_fn verify;
    void *verify_payload;
} runx;

struct ofb_run {
    ofb_workflow *wf;
    ofb_handlers *h;
    runx *x;
    ofb_time now;
    uint32_t nsettled;
    uint32_t cursor;   /* every step before this topological position is
                          settled: advance scans from here */
    uint8_t status;
    uint8_t own_h;     /* h was made by ofb_run_bind */
    uint8_t st[];      /* nsteps state bytes, nsteps attempt counts, run id */
};

#define ATTEMPTS(run) ((run)->st + (run)->wf->nsteps)
#define RUN_ID(run) ((char *)(run)->st + 2 * (size_t)(run)->wf->nsteps)

static const ofb_allocator *AL(const ofb_run *run) { return &run->wf->alloc; }

/* ------------------------------------------------------------- handlers */

typedef struct binding {
    ofb_handler_fn fn;
    void *payload;
    ofb_free_fn free;
} binding;

struct ofb_handlers {
    atomic_long refs;
    ofb_workflow *wf;
    binding *by_step, *by_action, *by_role; /* allocated on first bind */
    binding dflt;
};

int ofb_handlers_new(ofb_handlers **out, ofb_workflow *wf, ofb_error *err)
{
    if (!out || !wf)
        return ofb__err(err, OFB_EINVAL, "no workflow given");
    *out = NULL;
    if (!wf->sealed)
        return ofb__err(err, OFB_ESEALED,
                        "workflow '%s' must be sealed before handlers are "
                        "bound", wf->id);
    ofb_handlers *h = ofb__calloc(&wf->alloc, 1, sizeof *h);
    if (!h)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    atomic_init(&h->refs, 1);
    h->wf = ofb_workflow_ref(wf);
    *out = h;
    return OFB_OK;
}

static void binding_release(binding *b)
{
    if (b->fn && b->free)
        b->free(b->payload);
    b->fn = NULL;
    b->payload = NULL;
    b->free = NULL;
}

int ofb_handlers_bind(ofb_handlers *h, ofb_bind kind, const char *key,
                      ofb_handler_fn fn, void *payload,
                      ofb_free_fn payload_free, ofb_error *err)
{
    if (!h || !fn)
        return ofb__err(err, OFB_EINVAL, "no handler given");
    ofb_workflow *wf = h->wf;
    binding **table = NULL;
    uint32_t n = 0, ix = 0;
    const char *what = "";
    switch (kind) {
    case OFB_BIND_STEP:
        table = &h->by_step, n = wf->nsteps, what = "step";
        ix = key ? ofb__map_get(&wf->step_ix, key) : OFB__NONE;
        break;
    case OFB_BIND_ACTION:
        table = &h->by_action, n = wf->nactions, what = "action";
        ix = key ? ofb__map_get(&wf->action_ix, key) : OFB__NONE;
        break;
    case OFB_BIND_ROLE:
        table = &h->by_role, n = wf->nroles, what = "role";
        ix = key ? ofb__map_get(&wf->role_ix, key) : OFB__NONE;
        break;
    case OFB_BIND_DEFAULT:
        binding_release(&h->dflt);
        h->dflt = (binding){fn, payload, payload_free};
        return OFB_OK;
    default:
        return ofb__err(err, OFB_EINVAL, "unknown binding kind %d", (int)kind);
    }
    if (ix == OFB__NONE) {
        ofb__err(err, OFB_ENOTFOUND, "workflow '%s' has no %s '%s'", wf->id,
                 what, key ? key : "(null)");
        ofb__err_names(err, kind == OFB_BIND_STEP ? key : NULL, key);
        return OFB_ENOTFOUND;
    }
    if (!*table) {
        *table = ofb__calloc(&wf->alloc, n, sizeof **table);
        if (!*table)
            return ofb__err(err, OFB_ENOMEM, "out of memory");
    }
    binding_release(&(*table)[ix]);
    (*table)[ix] = (binding){fn, payload, payload_free};
    return OFB_OK;
}

ofb_handlers *ofb_handlers_ref(ofb_handlers *h)
{
    if (h)
        atomic_fetch_add(&h->refs, 1);
    return h;
}

void ofb_handlers_unref(ofb_handlers *h)
{
    if (!h || atomic_fetch_sub(&h->refs, 1) != 1)
        return;
    ofb_workflow *wf = h->wf;
    binding *tables[3] = {h->by_step, h->by_action, h->by_role};
    uint32_t sizes[3] = {wf->nsteps, wf->nactions, wf->nroles};
    for (int t = 0; t < 3; t++) {
        for (uint32_t i = 0; tables[t] && i < sizes[t]; i++)
            binding_release(&tables[t][i]);
        ofb__free(&wf->alloc, tables[t]);
    }
    binding_release(&h->dflt);
    ofb__free(&wf->alloc, h);
    ofb_workflow_unref(wf);
}

/* The most specific binding for a step: step, action, role, default. */
static const binding *handler_for(const ofb_run *run, uint32_t s)
{
    const ofb_handlers *h = run->h;
    if (!h)
        return NULL;
    const ofb__step *st = &run->wf->steps[s];
    if (h->by_step && h->by_step[s].fn)
        return &h->by_step[s];
    if (h->by_action && st->action_ix != OFB__NONE &&
        h->by_action[st->action_ix].fn)
        return &h->by_action[st->action_ix];
    if (h->by_role && st->role_ix != OFB__NONE && h->by_role[st->role_ix].fn)
        return &h->by_role[st->role_ix];
    return h->dflt.fn ? &h->dflt : NULL;
}

/* ------------------------------------------------------------------ runs */

static runx *need_x(ofb_run *run)
{
    if (!run->x)
        run->x = ofb__calloc(AL(run), 1, sizeof *run->x);
    return run->x;
}

/* The run's input values (all unset), made before an event that sets or
 * reads them is journaled. */
static int need_inputs(ofb_run *run)
{
    if (!run->wf->ninputs || (run->x && run->x->inputs))
        return OFB_OK;
    runx *x = need_x(run);
    if (!x || !(x->inputs = ofb__calloc(AL(run), run->wf->ninputs,
                                         sizeof *x->inputs)))
        return OFB_ENOMEM;
    return OFB_OK;
}

int ofb__run_create(ofb_run **out, ofb_workflow *wf, const char *run_id,
                    const ofb_run_opts *opts, ofb_error *err)
{
    if (!out)
        return ofb__err(err, OFB_EINVAL, "no output pointer given");
    *out = NULL;
    if (!wf)
        return ofb__err(err, OFB_EINVAL, "no workflow given");
    if (!wf->sealed)
        return ofb__err(err, OFB_ESEALED,
                        "workflow '%s' must be sealed before it can run",
                        wf->id);
    if (!ofb__valid_run_id(run_id))
        return ofb__err(err, OFB_EINVAL,
                        "invalid run id '%s': use 1 to %d of A-Z a-z 0-9 . _ : -",
                        run_id ? run_id : "(null)", OFB_ID_MAX);
    size_t n = wf->nsteps, idlen = strlen(run_id);
    /* The bytes start at offsetof, not sizeof: the struct's tail padding
     * is not wasted, which keeps a 10-step run in a smaller malloc size. */
    ofb_run *run = ofb__calloc(&wf->alloc, 1, offsetof(ofb_run, st) + 2 * n +
                                                  idlen + 1);
    if (!run)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    run->wf = wf;
    memcpy(RUN_ID(run), run_id, idlen + 1);
    /* A journaled run keeps its journal there, so it needs the part too
     * (ofb_run_open attaches one to a run made here). Input values are
     * allocated when first needed (need_inputs): a run that sets none and
     * has no guard stays one allocation. */
    if (opts && (opts->verify || opts->store)) {
        if (!need_x(run)) {
            ofb__free(&wf->alloc, run);
            return ofb__err(err, OFB_ENOMEM, "out of memory");
        }
        run->x->verify = opts->verify;
        run->x->verify_payload = opts->verify_payload;
    }
    ofb_workflow_ref(wf);
    *out = run;
    return OFB_OK;
}

int ofb_run_new(ofb_run **out, ofb_workflow *wf, const char *run_id,
                const ofb_run_opts *opts, ofb_error *err)
{
    int rc = ofb__run_create(out, wf, run_id, opts, err);
    if (rc || !opts || !opts->store)
        return rc;
    ofb_run *run = *out;
    ofb__journal *j = NULL;
    if (!need_x(run)) {
        rc = ofb__err(err, OFB_ENOMEM, "out of memory");
    } else {
        rc = ofb__journal_create(&j, run, opts, err);
    }
    if (rc) {
        /* The caller keeps the store: detach nothing, free the run. */
        *out = NULL;
        ofb_run_free(run);
        return rc;
    }
    ofb__run_attach(run, j);
    return OFB_OK;
}

void ofb__run_attach(ofb_run *run, ofb__journal *j)
{
    /* need_x succeeded in every caller before the journal was made. */
    run->x->j = j;
}

ofb__journal *ofb__run_journal(const ofb_run *run)
{
    return run && run->x ? run->x->j : NULL;
}

void ofb_run_free(ofb_run *run)
{
    if (!run)
        return;
    const ofb_allocator *a = AL(run);
    runx *x = run->x;
    if (x) {
        if (x->j)
            ofb__journal_close(x->j);
        for (uint32_t i = 0; x->inputs && i < run->wf->ninputs; i++)
            if (x->inputs[i].text != run->wf->inputs[i].default_text)
                ofb__free(a, (void *)x->inputs[i].text);
        ofb__free(a, x->inputs);
        for (uint32_t i = 0; i < x->nsignals; i++)
            ofb__free(a, x->signals[i]);
        ofb__free(a, x->signals);
        for (uint32_t i = 0; i < x->npool; i++)
            ofb__free(a, x->pool[i]);
        ofb__free(a, x->pool);
        ofb__free(a, x->due);
        ofb__free(a, (void *)x->waiting);
        ofb__free(a, x->work);
        ofb__free(a, x);
    }
    ofb_handlers_unref(run->h);
    ofb_workflow *wf = run->wf;
    ofb__free(&wf->alloc, run);
    ofb_workflow_unref(wf);
}

ofb_workflow *ofb_run_workflow(const ofb_run *run) { return run->wf; }
const char *ofb_run_id(const ofb_run *run) { return RUN_ID(run); }
ofb_run_status ofb_run_status_get(const ofb_run *run)
{
    return (ofb_run_status)run->status;
}
ofb_time ofb_run_now(const ofb_run *run) { return run->now; }

int ofb_run_set_handlers(ofb_run *run, ofb_handlers *h)
{
    if (!run)
        return OFB_EINVAL;
    if (h && h->wf != run->wf)
        return OFB_EINVAL;
    ofb_handlers_ref(h);
    ofb_handlers_unref(run->h);
    run->h = h;
    run->own_h = 0;
    return OFB_OK;
}

int ofb_run_bind(ofb_run *run, ofb_bind kind, const char *key,
                 ofb_handler_fn fn, void *payload, ofb_free_fn payload_free,
                 ofb_error *err)
{
    if (!run)
        return ofb__err(err, OFB_EINVAL, "no run given");
    if (run->h && !run->own_h)
        return ofb__err(err, OFB_EINVAL,
                        "run '%s' uses a shared handler set: bind into it "
                        "with ofb_handlers_bind", RUN_ID(run));
    if (!run->h) {
        int rc = ofb_handlers_new(&run->h, run->wf, err);
        if (rc)
            return rc;
        run->own_h = 1;
    }
    return ofb_handlers_bind(run->h, kind, key, fn, payload, payload_free,
                             err);
}

/* ------------------------------------------------------------ step state */

static unsigned state_of(const ofb_run *run, uint32_t s)
{
    return run->st[s] & ST_MASK;
}

const char *ofb_step_state_name(ofb_step_state s)
{
    static const char *const names[] = {"blocked", "ready",  "running",
                                        "waiting", "retrying", "failed",
                                        "done",    "skipped"};
    return (unsigned)s < 8 ? names[s] : "unknown";
}

const char *ofb_run_status_name(ofb_run_status s)
{
    static const char *const names[] = {"new", "active", "completed",
                                        "cancelled"};
    return (unsigned)s < 4 ? names[s] : "unknown";
}

static void set_timer(ofb_run *run, uint32_t s, ofb_time due)
{
    runx *x = run->x;
    if (x->due[s] == OFB_NEVER && due != OFB_NEVER)
        x->ntimers++;
    else if (x->due[s] != OFB_NEVER && due == OFB_NEVER)
        x->ntimers--;
    x->due[s] = due;
}

/* The one place a step changes state: the table says whether it may. */
static void transition(ofb_run *run, uint32_t s, enum tev e)
{
    unsigned from = state_of(run, s), to = next_state[from][e];
    /* Callers checked the move; a miss here is a bug in this file. */
    if (to == X)
        return;
    run->st[s] = (uint8_t)((run->st[s] & ~ST_MASK) | to);
    if (settled_state(to) && !settled_state(from))
        run->nsettled++;
    if (run->x && run->x->due && (from == OFB_STEP_RETRYING ||
                                  from == OFB_STEP_WAITING))
        set_timer(run, s, OFB_NEVER);
}

/* Whether every prerequisite of s is settled; *first gets the first one
 * that is not (definition order). */
static bool prereqs_settled(const ofb_run *run, uint32_t s, uint32_t *first)
{
    const ofb_workflow *wf = run->wf;
    const ofb__step *st = &wf->steps[s];
    for (uint32_t i = 0; i < st->nprereq; i++) {
        uint32_t p = wf->prereq[st->prereq_off + i];
        if (!settled_state(state_of(run, p))) {
            if (first)
                *first = p;
            return false;
        }
    }
    return true;
}

static int guard_value(const ofb_run *run, uint32_t s, uint32_t *missing)
{
    const ofb__step *st = &run->wf->steps[s];
    if (st->guard == OFB__NONE)
        return 1;
    return ofb__expr_eval(run->wf, st->guard, run->x->inputs, missing);
}

/* A blocked step whose prerequisites are settled: decide it. Returns 1 when
 * it became skipped (its successors must be looked at). */
static int decide(ofb_run *run, uint32_t s)
{
    uint32_t missing;
    int g = guard_value(run, s, &missing);
    if (g == 1) {
        transition(run, s, T_READY);
        return 0;
    }
    if (g == 0) {
        run->st[s] |= F_GUARD;
        transition(run, s, T_GUARD);
        return 1;
    }
    return 0; /* needs an input: stays blocked */
}

/* Step s just settled: unblock its successors, cascading through guard
 * skips with the preallocated worklist (no recursion: chains may be long). */
static void propagate(ofb_run *run, uint32_t s)
{
    const ofb_workflow *wf = run->wf;
    uint32_t *work = run->x ? run->x->work : NULL;
    uint32_t top = 0, cur = s;
    for (;;) {
        const ofb__step *st = &wf->steps[cur];
        for (uint32_t i = 0; i < st->nsucc; i++) {
            uint32_t t = wf->succ[st->succ_off + i];
            if (state_of(run, t) != OFB_STEP_BLOCKED ||
                !prereqs_settled(run, t, NULL))
                continue;
            /* Only guarded workflows can skip here, and they have work. */
            if (decide(run, t) && work)
                work[top++] = t;
        }
        if (!top)
            break;
        cur = work[--top];
    }
}

/* Re-decides every blocked step whose prerequisites are settled (after an
 * input changed, and at start). */
static void decide_all(ofb_run *run)
{
    const ofb_workflow *wf = run->wf;
    for (uint32_t k = 0; k < wf->nsteps; k++) {
        uint32_t s = wf->order[k];
        if (state_of(run, s) == OFB_STEP_BLOCKED &&
            prereqs_settled(run, s, NULL) && decide(run, s))
            propagate(run, s);
    }
}

static void update_status(ofb_run *run)
{
    if (run->status == OFB_RUN_ACTIVE && run->nsettled == run->wf->nsteps)
        run->status = OFB_RUN_COMPLETED;
    const ofb_workflow *wf = run->wf;
    while (run->cursor < wf->nsteps &&
           settled_state(state_of(run, wf->order[run->cursor])))
        run->cursor++;
}

/* --------------------------------------------------------------- refusal */

static const char *verb_of(ofb_event_kind k)
{
    switch (k) {
    case OFB_EV_BEGIN: return "begin";
    case OFB_EV_COMPLETE: return "complete";
    case OFB_EV_SKIP: return "skip";
    case OFB_EV_CONFIRM: return "confirm";
    case OFB_EV_FAIL: return "fail";
    case OFB_EV_RETRY: return "retry";
    default: return "change";
    }
}

static const char *input_id(const ofb_run *run, uint32_t i)
{
    return run->wf->inputs[i].id;
}

/* Why step s cannot take the action now: fills err, returns the code. */
static int refuse(const ofb_run *run, uint32_t s, ofb_event_kind k,
                  ofb_error *err)
{
    const ofb_workflow *wf = run->wf;
    const ofb__step *st = &wf->steps[s];
    const char *verb = verb_of(k);
    unsigned state = state_of(run, s);
    uint32_t p;
    int code;
    switch (state) {
    case OFB_STEP_BLOCKED:
        if (!prereqs_settled(run, s, &p)) {
            const ofb__step *ps = &wf->steps[p];
            if (*ps->role)
                ofb__err(err, OFB_EPREREQ,
                         "cannot %s '%s': prerequisite '%s' is not done "
                         "(role: %s)", verb, st->id, ps->id, ps->role);
            else
                ofb__err(err, OFB_EPREREQ,
                         "cannot %s '%s': prerequisite '%s' is not done",
                         verb, st->id, ps->id);
            ofb__err_names(err, st->id, ps->id);
            return OFB_EPREREQ;
        }
        uint32_t missing = 0;
        (void)guard_value(run, s, &missing);
        ofb__err(err, OFB_ENEEDINPUT,
                 "cannot %s '%s': needs input '%s' (when %s)", verb, st->id,
                 input_id(run, missing), st->when);
        ofb__err_names(err, st->id, input_id(run, missing));
        return OFB_ENEEDINPUT;
    case OFB_STEP_SKIPPED:
        if (run->st[s] & F_GUARD) {
            ofb__err(err, OFB_EGUARD,
                     "cannot %s '%s': it does not apply (when %s is false)",
                     verb, st->id, st->when);
            code = OFB_EGUARD;
        } else {
            ofb__err(err, OFB_ENOTREADY, "cannot %s '%s': it was skipped",
                     verb, st->id);
            code = OFB_ENOTREADY;
        }
        break;
    case OFB_STEP_DONE:
        code = ofb__err(err, OFB_ENOTREADY,
                        "cannot %s '%s': it is already done", verb, st->id);
        break;
    case OFB_STEP_WAITING:
        code = ofb__err(err, OFB_ENOTREADY,
                        "cannot %s '%s': it is waiting for event '%s'", verb,
                        st->id,
                        run->x && run->x->waiting && run->x->waiting[s]
                            ? run->x->waiting[s] : st->wait_event);
        break;
    case OFB_STEP_RETRYING:
        code = ofb__err(err, OFB_ENOTREADY,
                        "cannot %s '%s': it is retrying (attempt %u failed)",
                        verb, st->id, (unsigned)ATTEMPTS(run)[s]);
        break;
    case OFB_STEP_FAILED:
        code = ofb__err(err, OFB_ENOTREADY,
                        "cannot %s '%s': it has failed; retry it first", verb,
                        st->id);
        break;
    case OFB_STEP_RUNNING:
        code = ofb__err(err, OFB_ENOTREADY,
                        "cannot %s '%s': it is already running", verb, st->id);
        break;
    default:
        code = ofb__err(err, OFB_ENOTREADY, "cannot %s '%s': it is %s", verb,
                        st->id, ofb_step_state_name((ofb_step_state)state));
        break;
    }
    ofb__err_names(err, st->id, NULL);
    return code;
}

/* --------------------------------------------------------- the event path */

/* Allocations an event needs, made before it is journaled so that applying
 * it cannot fail half-way. */
typedef struct prep {
    char *text;        /* INPUT value, SIGNAL name, WAIT event */
    char **texts;      /* OUTCOME inputs */
    uint32_t ntexts;
    int64_t *ivals;    /* parsed values of the OUTCOME inputs */
    uint32_t *ixs;     /* their input indexes */
    int64_t ival;      /* parsed INPUT value */
    uint32_t ix;       /* INPUT index */
    uint32_t event;    /* SIGNAL: the declared event's index, or NONE */
    bool grow_signals, grow_pool;
} prep;

static void prep_free(ofb_run *run, prep *p)
{
    /* Most events allocate nothing: no calls into the allocator then. */
    if (!p->text && !p->texts && !p->ivals && !p->ixs)
        return;
    const ofb_allocator *a = AL(run);
    ofb__free(a, p->text);
    for (uint32_t i = 0; p->texts && i < p->ntexts; i++)
        ofb__free(a, p->texts[i]);
    ofb__free(a, p->texts);
    ofb__free(a, p->ivals);
    ofb__free(a, p->ixs);
    memset(p, 0, sizeof *p);
}

/* The first step declaring event e (seal gives every declared event one). */
static uint32_t declaring_step(const ofb_run *run, uint32_t e)
{
    for (uint32_t s = 0; s < run->wf->nsteps; s++)
        if (run->wf->steps[s].event == e)
            return s;
    return OFB__NONE;
}

static bool signalled(const ofb_run *run, const char *name)
{
    uint32_t e = ofb__map_get(&run->wf->event_ix, name);
    if (e != OFB__NONE) {
        uint32_t s = declaring_step(run, e);
        return s != OFB__NONE && (run->st[s] & F_LATCHED);
    }
    for (uint32_t i = 0; run->x && i < run->x->nsignals; i++)
        if (strcmp(run->x->signals[i], name) == 0)
            return true;
    return false;
}

int ofb_run_signalled(const ofb_run *run, const char *event)
{
    return run && event && signalled(run, event);
}

static const char *awaited_event(const ofb_run *run, uint32_t s)
{
    if (run->x && run->x->waiting && run->x->waiting[s])
        return run->x->waiting[s];
    return run->wf->steps[s].wait_event;
}

/* Whether any step declares the event or waits on it now. */
static bool known_event(const ofb_run *run, const char *name)
{
    if (ofb__map_get(&run->wf->event_ix, name) != OFB__NONE)
        return true;
    for (uint32_t i = 0; run->x && i < run->x->npool; i++)
        if (strcmp(run->x->pool[i], name) == 0)
            return true;
    return false;
}

static int need_timers(ofb_run *run)
{
    runx *x = need_x(run);
    if (!x)
        return OFB_ENOMEM;
    size_t n = run->wf->nsteps;
    if (!x->due) {
        x->due = ofb__malloc(AL(run), n * sizeof *x->due);
        if (!x->due)
            return OFB_ENOMEM;
        for (size_t i = 0; i < n; i++)
            x->due[i] = OFB_NEVER;
    }
    if (!x->waiting) {
        x->waiting = ofb__calloc(AL(run), n, sizeof *x->waiting);
        if (!x->waiting)
            return OFB_ENOMEM;
    }
    return OFB_OK;
}

/* What a step becomes when its work is done: waiting when it has an event
 * to wait for (or WAIT named one), else done. */
static bool goes_waiting(const ofb_run *run, const ofb__ev *ev, uint32_t s)
{
    if (ev->kind == OFB_EV_OUTCOME && ev->outcome == OFB_WAIT)
        return true;
    return *run->wf->steps[s].wait_event != '\0';
}

/* Whether going waiting needs the per-step arrays: a deadline for a
 * timeout, or an event other than the declared one (awaited_event falls
 * back to the declared event, so the common wait needs neither). */
static bool wait_needs_timers(const ofb_run *run, const ofb__ev *ev,
                              uint32_t s)
{
    const ofb__step *st = &run->wf->steps[s];
    return st->wait_timeout > 0 ||
           (ev->kind == OFB_EV_OUTCOME && ev->outcome == OFB_WAIT &&
            ev->name && *ev->name && strcmp(ev->name, st->wait_event) != 0);
}

static int check_step_event(ofb_run *run, const ofb__ev *ev, ofb_error *err)
{
    const ofb_workflow *wf = run->wf;
    uint32_t s = ev->step;
    if (s == OFB__NONE || s >= wf->nsteps)
        return ofb__err(err, OFB_ENOTFOUND, "no such step");
    const ofb__step *st = &wf->steps[s];
    unsigned state = state_of(run, s);
    uint8_t flags = run->st[s];
    switch (ev->kind) {
    case OFB_EV_BEGIN:
        if (state != OFB_STEP_READY)
            return refuse(run, s, ev->kind, err);
        if ((st->flags & OFB_STEP_IRREVERSIBLE) && !(flags & F_CONFIRMED)) {
            ofb__err(err, OFB_ECONFIRM,
                     "cannot begin '%s': it is irreversible, confirm it first",
                     st->id);
            ofb__err_names(err, st->id, NULL);
            return OFB_ECONFIRM;
        }
        if (ev->attempt != (uint32_t)ATTEMPTS(run)[s] + 1)
            return ofb__err(err, OFB_ECORRUPT,
                            "step '%s': begin of attempt %u, expected %u",
                            st->id, ev->attempt,
                            (unsigned)ATTEMPTS(run)[s] + 1);
        if (ATTEMPTS(run)[s] == 255)
            return ofb__err(err, OFB_ELIMIT,
                            "step '%s': too many attempts (255)", st->id);
        return OFB_OK;
    case OFB_EV_OUTCOME:
    case OFB_EV_VERIFY:
        if (state != OFB_STEP_RUNNING || ev->attempt != ATTEMPTS(run)[s])
            return ofb__err(err, OFB_ENOTREADY,
                            "step '%s': outcome for attempt %u, but the step "
                            "is %s at attempt %u", st->id, ev->attempt,
                            ofb_step_state_name((ofb_step_state)state),
                            (unsigned)ATTEMPTS(run)[s]);
        if (ev->outcome < OFB_DONE || ev->outcome > OFB_SKIP ||
            (ev->kind == OFB_EV_VERIFY && ev->outcome != OFB_DONE))
            return ofb__err(err, OFB_EINVAL, "step '%s': bad outcome %d",
                            st->id, ev->outcome);
        if (ev->outcome == OFB_SKIP && !(st->flags & OFB_STEP_OPTIONAL))
            return ofb__err(err, OFB_ENOTOPTIONAL,
                            "step '%s' is not optional and cannot be skipped",
                            st->id);
        if (ev->outcome == OFB_WAIT && (!ev->name || !*ev->name) &&
            !*st->wait_event)
            return ofb__err(err, OFB_EINVAL,
                            "step '%s': WAIT without an event", st->id);
        return OFB_OK;
    case OFB_EV_COMPLETE:
        if (state != OFB_STEP_READY && state != OFB_STEP_RUNNING)
            return refuse(run, s, ev->kind, err);
        if ((st->flags & OFB_STEP_IRREVERSIBLE) && !(flags & F_CONFIRMED)) {
            ofb__err(err, OFB_ECONFIRM,
                     "cannot complete '%s': it is irreversible, confirm it "
                     "first", st->id);
            ofb__err_names(err, st->id, NULL);
            return OFB_ECONFIRM;
        }
        return OFB_OK;
    case OFB_EV_SKIP:
        if (state != OFB_STEP_READY)
            return refuse(run, s, ev->kind, err);
        if (!(st->flags & OFB_STEP_OPTIONAL)) {
            ofb__err(err, OFB_ENOTOPTIONAL,
                     "cannot skip '%s': it is not optional", st->id);
            ofb__err_names(err, st->id, NULL);
            return OFB_ENOTOPTIONAL;
        }
        if (!ev->note || !*ev->note)
            return ofb__err(err, OFB_EINVAL,
                            "cannot skip '%s': a reason is required", st->id);
        return OFB_OK;
    case OFB_EV_CONFIRM:
        if (!(st->flags & OFB_STEP_IRREVERSIBLE))
            return ofb__err(err, OFB_EINVAL,
                            "cannot confirm '%s': it is not irreversible",
                            st->id);
        if (state != OFB_STEP_READY)
            return refuse(run, s, ev->kind, err);
        if (flags & F_CONFIRMED)
            return ofb__err(err, OFB_ENOTREADY,
                            "cannot confirm '%s': it is already confirmed",
                            st->id);
        return OFB_OK;
    case OFB_EV_FAIL:
        if (state != OFB_STEP_RUNNING)
            return refuse(run, s, ev->kind, err);
        return OFB_OK;
    case OFB_EV_RETRY:
        if (state != OFB_STEP_FAILED)
            return ofb__err(err, OFB_ENOTREADY,
                            "cannot retry '%s': it has not failed (it is %s)",
                            st->id,
                            ofb_step_state_name((ofb_step_state)state));
        return OFB_OK;
    case OFB_EV_DUE:
        if (state != OFB_STEP_RETRYING || !run->x || !run->x->due ||
            run->x->due[s] > ev->time)
            return ofb__err(err, OFB_ENOTREADY,
                            "step '%s': no retry due at this time", st->id);
        return OFB_OK;
    case OFB_EV_TIMEOUT:
        if (state != OFB_STEP_WAITING || !run->x || !run->x->due ||
            run->x->due[s] > ev->time)
            return ofb__err(err, OFB_ENOTREADY,
                            "step '%s': no wait timeout at this time", st->id);
        return OFB_OK;
    default:
        return ofb__err(err, OFB_EINVAL, "bad event kind %d", (int)ev->kind);
    }
}

static int input_index(const ofb_run *run, const char *id, uint32_t *ix,
                       ofb_error *err)
{
    *ix = id ? ofb__map_get(&run->wf->input_ix, id) : OFB__NONE;
    if (*ix == OFB__NONE) {
        ofb__err(err, OFB_ENOTFOUND, "workflow '%s' has no input '%s'",
                 run->wf->id, id ? id : "(null)");
        ofb__err_names(err, NULL, id);
        return OFB_ENOTFOUND;
    }
    return OFB_OK;
}

/* Checks ev against the run and makes its allocations. Changes nothing. */
static int check_and_prepare(ofb_run *run, const ofb__ev *ev, prep *p,
                             ofb_error *err)
{
    const ofb_workflow *wf = run->wf;
    const ofb_allocator *a = AL(run);
    int rc;
    switch (ev->kind) {
    case OFB_EV_INPUT:
        if (run->status != OFB_RUN_NEW && run->status != OFB_RUN_ACTIVE)
            return ofb__err(err, OFB_ESTATE, "run '%s' is %s", RUN_ID(run),
                            ofb_run_status_name((ofb_run_status)run->status));
        if ((rc = input_index(run, ev->name, &p->ix, err)))
            return rc;
        if (!ev->value)
            return ofb__err(err, OFB_ETYPE, "input '%s': no value", ev->name);
        if ((rc = ofb__input_parse(&wf->inputs[p->ix], ev->value, &p->ival,
                                   err)))
            return rc;
        if (need_inputs(run) || !(p->text = ofb__strdup(a, ev->value)))
            return ofb__err(err, OFB_ENOMEM, "out of memory");
        return OFB_OK;
    case OFB_EV_START:
        if (run->status != OFB_RUN_NEW)
            return ofb__err(err, OFB_ESTATE, "run '%s' has already started",
                            RUN_ID(run));
        bool defaults = false;
        for (uint32_t i = 0; i < wf->ninputs; i++) {
            const ofb__input *in = &wf->inputs[i];
            defaults |= in->default_text != NULL;
            if (in->required && !in->default_text &&
                !(run->x && run->x->inputs && run->x->inputs[i].text)) {
                ofb__err(err, OFB_ENEEDINPUT,
                         "cannot start '%s': required input '%s' is not set",
                         RUN_ID(run), in->id);
                ofb__err_names(err, NULL, in->id);
                return OFB_ENEEDINPUT;
            }
        }
        /* Guards read the values, and defaults are copied in at start. */
        if ((wf->nexpr || defaults) && need_inputs(run))
            return ofb__err(err, OFB_ENOMEM, "out of memory");
        if (wf->nexpr && !(need_x(run) && (run->x->work || (run->x->work =
                          ofb__malloc(a, (size_t)wf->nsteps *
                                             sizeof *run->x->work)))))
            return ofb__err(err, OFB_ENOMEM, "out of memory");
        return OFB_OK;
    case OFB_EV_CANCEL:
        if (run->status != OFB_RUN_NEW && run->status != OFB_RUN_ACTIVE)
            return ofb__err(err, OFB_ESTATE, "run '%s' is already %s",
                            RUN_ID(run),
                            ofb_run_status_name((ofb_run_status)run->status));
        return OFB_OK;
    case OFB_EV_CREATE:
        return ofb__err(err, OFB_EINVAL, "a run is created only once");
    default:
        break;
    }

    if (run->status != OFB_RUN_ACTIVE) {
        const char *why = run->status == OFB_RUN_NEW
                              ? "has not started"
                              : run->status == OFB_RUN_COMPLETED
                                    ? "is completed" : "is cancelled";
        return ofb__err(err, OFB_ESTATE, "run '%s' %s", RUN_ID(run), why);
    }

    if (ev->kind == OFB_EV_SIGNAL) {
        /* One lookup: a declared event is a valid id, known, and latched
         * in its steps' bytes (apply uses the index). */
        p->event = ev->name ? ofb__map_get(&wf->event_ix, ev->name)
                            : OFB__NONE;
        if (p->event != OFB__NONE)
            return OFB_OK;
        if (!ev->name || !ofb__valid_id(ev->name, strlen(ev->name)))
            return ofb__err(err, OFB_EINVAL, "invalid event name '%s'",
                            ev->name ? ev->name : "(null)");
        if (!known_event(run, ev->name)) {
            ofb__err(err, OFB_ENOTFOUND,
                     "no step of workflow '%s' waits for event '%s'", wf->id,
                     ev->name);
            ofb__err_names(err, NULL, ev->name);
            return OFB_ENOTFOUND;
        }
        if (!signalled(run, ev->name)) {
            runx *x = need_x(run);
            if (!x || !(p->text = ofb__strdup(a, ev->name)) ||
                ofb__grow(a, (void **)&x->signals, sizeof *x->signals,
                          &x->cap_signals, (size_t)x->nsignals + 1))
                return ofb__err(err, OFB_ENOMEM, "out of memory");
        }
        return OFB_OK;
    }

    if ((rc = check_step_event(run, ev, err)))
        return rc;

    uint32_t s = ev->step;
    bool timers = false;
    if (ev->kind == OFB_EV_OUTCOME) {
        timers = ev->outcome == OFB_RETRY ||
                 ((ev->outcome == OFB_DONE || ev->outcome == OFB_WAIT) &&
                  goes_waiting(run, ev, s) && wait_needs_timers(run, ev, s));
        if (ev->outcome == OFB_WAIT && ev->name && *ev->name &&
            strcmp(ev->name, wf->steps[s].wait_event) != 0) {
            if (!ofb__valid_id(ev->name, strlen(ev->name)))
                return ofb__err(err, OFB_EINVAL,
                                "step '%s': invalid event name '%s'",
                                wf->steps[s].id, ev->name);
            runx *x = need_x(run);
            if (!x || !(p->text = ofb__strdup(a, ev->name)) ||
                ofb__grow(a, (void **)&x->pool, sizeof *x->pool, &x->cap_pool,
                          (size_t)x->npool + 1))
                return ofb__err(err, OFB_ENOMEM, "out of memory");
            p->grow_pool = true;
        }
    } else if (ev->kind == OFB_EV_COMPLETE || ev->kind == OFB_EV_VERIFY) {
        /* A verified in-doubt step may go waiting too, and a reopened run
         * has no timers yet. */
        timers = goes_waiting(run, ev, s) && wait_needs_timers(run, ev, s);
    }
    /* Findings: set by a handler's outcome, or recorded by the person who
     * completes the step, in the same record. */
    if (ev->ninputs &&
        (ev->kind == OFB_EV_OUTCOME || ev->kind == OFB_EV_COMPLETE)) {
        if (need_inputs(run))
            return ofb__err(err, OFB_ENOMEM, "out of memory");
        p->ntexts = (uint32_t)ev->ninputs;
        p->texts = ofb__calloc(a, ev->ninputs, sizeof *p->texts);
        p->ivals = ofb__calloc(a, ev->ninputs, sizeof *p->ivals);
        p->ixs = ofb__calloc(a, ev->ninputs, sizeof *p->ixs);
        if (!p->texts || !p->ivals || !p->ixs)
            return ofb__err(err, OFB_ENOMEM, "out of memory");
        for (size_t i = 0; i < ev->ninputs; i++) {
            const ofb_kv *kv = &ev->inputs[i];
            if ((rc = input_index(run, kv->key, &p->ixs[i], err)) ||
                (rc = ofb__input_parse(&wf->inputs[p->ixs[i]],
                                       kv->value ? kv->value : "",
                                       &p->ivals[i], err)))
                return rc;
            if (!(p->texts[i] = ofb__strdup(a, kv->value)))
                return ofb__err(err, OFB_ENOMEM, "out of memory");
        }
    }
    if (timers && need_timers(run))
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    return OFB_OK;
}

/* s finished its work: done, or waiting for its event (done at once when
 * the event was already signalled: signals are latched). */
static void finish_work(ofb_run *run, uint32_t s, const char *event,
                        ofb_time t)
{
    const ofb__step *st = &run->wf->steps[s];
    if (!event) {
        transition(run, s, T_DONE);
        return;
    }
    transition(run, s, T_WAIT);
    bool latched = event == st->wait_event ? (run->st[s] & F_LATCHED) != 0
                                           : signalled(run, event);
    /* Without the array the event is the declared one (wait_needs_timers);
     * with it, the slot is always rewritten so no earlier wait shows. */
    if (run->x && run->x->waiting)
        run->x->waiting[s] = event;
    if (latched) {
        transition(run, s, T_SIGNAL);
        return;
    }
    if (st->wait_timeout > 0)
        set_timer(run, s, t > OFB_NEVER - st->wait_timeout
                              ? OFB_NEVER - 1 : t + st->wait_timeout);
}

static ofb_time backoff_due(const ofb__step *st, unsigned attempt, ofb_time t)
{
    int64_t b = st->retry_backoff;
    for (unsigned i = 1; i < attempt && b < INT64_MAX / 2; i++)
        b *= 2;
    return t > OFB_NEVER - 1 - b ? OFB_NEVER - 1 : t + b;
}

static void set_input_value(ofb_run *run, uint32_t ix, char *text, int64_t i)
{
    ofb__ival *v = &run->x->inputs[ix];
    if (v->text != run->wf->inputs[ix].default_text)
        ofb__free(AL(run), (void *)v->text);
    v->text = text;
    v->i = i;
}

/* Applies a checked and prepared event. Cannot fail. */
static void apply(ofb_run *run, const ofb__ev *ev, prep *p)
{
    const ofb_workflow *wf = run->wf;
    uint32_t s = ev->step;
    ofb_time t = ev->time;
    bool changed_inputs = false;
    switch (ev->kind) {
    case OFB_EV_INPUT:
        set_input_value(run, p->ix, p->text, p->ival);
        p->text = NULL;
        changed_inputs = run->status == OFB_RUN_ACTIVE;
        break;
    case OFB_EV_START:
        for (uint32_t i = 0; run->x && run->x->inputs && i < wf->ninputs;
             i++) {
            const ofb__input *in = &wf->inputs[i];
            if (!run->x->inputs[i].text && in->default_text) {
                run->x->inputs[i].text = in->default_text;
                run->x->inputs[i].i = in->default_i;
            }
        }
        run->status = OFB_RUN_ACTIVE;
        changed_inputs = true; /* decide every root */
        break;
    case OFB_EV_CANCEL:
        run->status = OFB_RUN_CANCELLED;
        break;
    case OFB_EV_SIGNAL: {
        if (p->text) {
            run->x->signals[run->x->nsignals++] = p->text;
            p->text = NULL;
        }
        uint32_t e = p->event;
        for (uint32_t k = 0; k < wf->nsteps; k++) {
            if (e != OFB__NONE && wf->steps[k].event == e)
                run->st[k] |= F_LATCHED;
            if (state_of(run, k) == OFB_STEP_WAITING &&
                strcmp(awaited_event(run, k), ev->name) == 0) {
                transition(run, k, T_SIGNAL);
                propagate(run, k);
            }
        }
        break;
    }
    case OFB_EV_BEGIN:
        ATTEMPTS(run)[s] = (uint8_t)ev->attempt;
        transition(run, s, T_BEGIN);
        if (ev->name && strcmp(ev->name, "auto") == 0)
            run->st[s] |= F_AUTO;
        break;
    case OFB_EV_VERIFY:
    case OFB_EV_OUTCOME: {
        run->st[s] &= (uint8_t)~(F_AUTO | F_DOUBT);
        for (uint32_t i = 0; i < p->ntexts; i++) {
            set_input_value(run, p->ixs[i], p->texts[i], p->ivals[i]);
            p->texts[i] = NULL;
            changed_inputs = true;
        }
        const ofb__step *st = &wf->steps[s];
        switch (ev->outcome) {
        case OFB_DONE:
            finish_work(run, s, *st->wait_event ? st->wait_event : NULL, t);
            break;
        case OFB_WAIT: {
            const char *e = st->wait_event;
            if (p->text) {
                run->x->pool[run->x->npool++] = p->text;
                e = p->text;
                p->text = NULL;
            } else if (ev->name && *ev->name) {
                e = st->wait_event; /* the same name as declared */
            }
            finish_work(run, s, e, t);
            break;
        }
        case OFB_RETRY:
            if (ATTEMPTS(run)[s] <= st->retry_count) {
                transition(run, s, T_RETRY);
                set_timer(run, s, backoff_due(st, ATTEMPTS(run)[s], t));
            } else {
                transition(run, s, T_FAIL);
            }
            break;
        case OFB_FAIL:
            transition(run, s, T_FAIL);
            break;
        case OFB_SKIP:
            transition(run, s, T_SKIP);
            break;
        }
        break;
    }
    case OFB_EV_COMPLETE:
        run->st[s] &= (uint8_t)~(F_AUTO | F_DOUBT);
        for (uint32_t i = 0; i < p->ntexts; i++) {
            set_input_value(run, p->ixs[i], p->texts[i], p->ivals[i]);
            p->texts[i] = NULL;
            changed_inputs = true;
        }
        finish_work(run, s,
                    *wf->steps[s].wait_event ? wf->steps[s].wait_event : NULL,
                    t);
        break;
    case OFB_EV_SKIP:
        transition(run, s, T_SKIP);
        break;
    case OFB_EV_CONFIRM:
        run->st[s] |= F_CONFIRMED;
        break;
    case OFB_EV_FAIL:
        run->st[s] &= (uint8_t)~(F_AUTO | F_DOUBT);
        transition(run, s, T_FAIL);
        break;
    case OFB_EV_RETRY:
        transition(run, s, T_REOPEN);
        break;
    case OFB_EV_DUE:
        transition(run, s, T_DUE);
        break;
    case OFB_EV_TIMEOUT:
        transition(run, s, T_TIMEOUT);
        break;
    case OFB_EV_CREATE:
        break;
    }
    if (s != OFB__NONE && s < wf->nsteps &&
        settled_state(state_of(run, s)))
        propagate(run, s);
    if (changed_inputs && run->status == OFB_RUN_ACTIVE)
        decide_all(run);
    update_status(run);
}

int ofb__run_apply(ofb_run *run, const ofb__ev *ev, bool replay,
                   ofb_error *err)
{
    prep p;
    memset(&p, 0, sizeof p);
    int rc = check_and_prepare(run, ev, &p, err);
    if (rc == OFB_OK && !replay && run->x && run->x->j)
        rc = ofb__journal_append(run->x->j, run, ev, err);
    if (rc) {
        prep_free(run, &p);
        return rc;
    }
    if (ev->time > run->now)
        run->now = ev->time;
    apply(run, ev, &p);
    prep_free(run, &p);
    return OFB_OK;
}

void ofb__run_after_replay(ofb_run *run, size_t *in_doubt)
{
    size_t n = 0;
    for (uint32_t s = 0; s < run->wf->nsteps; s++) {
        if (state_of(run, s) == OFB_STEP_RUNNING && (run->st[s] & F_AUTO)) {
            run->st[s] |= F_DOUBT;
            n++;
        }
    }
    if (in_doubt)
        *in_doubt = n;
}

/* --------------------------------------------------------- public actions */

static void ev_init(ofb__ev *ev, const ofb_run *run, ofb_event_kind kind,
                    const ofb_act *act)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->step = OFB__NONE;
    ev->outcome = -1;
    ev->time = act && act->time ? act->time : run->now;
    if (act) {
        ev->actor = act->actor;
        ev->note = act->note;
        ev->evidence = act->evidence;
        ev->nevidence = act->nevidence;
        if (kind == OFB_EV_COMPLETE) {
            ev->inputs = act->inputs;
            ev->ninputs = act->ninputs;
        }
    }
}

static int step_action(ofb_run *run, const char *step, ofb_event_kind kind,
                       const ofb_act *act, ofb_error *err)
{
    if (!run || !step)
        return ofb__err(err, OFB_EINVAL, "no run or step given");
    uint32_t s = ofb__map_get(&run->wf->step_ix, step);
    if (s == OFB__NONE) {
        ofb__err(err, OFB_ENOTFOUND, "workflow '%s' has no step '%s'",
                 run->wf->id, step);
        ofb__err_names(err, step, NULL);
        return OFB_ENOTFOUND;
    }
    ofb__ev ev;
    ev_init(&ev, run, kind, act);
    ev.step = s;
    if (kind == OFB_EV_BEGIN)
        ev.attempt = (uint32_t)ATTEMPTS(run)[s] + 1;
    else
        ev.attempt = ATTEMPTS(run)[s];
    return ofb__run_apply(run, &ev, false, err);
}

int ofb_run_complete(ofb_run *run, const char *step, const ofb_act *act,
                     ofb_error *err)
{
    return step_action(run, step, OFB_EV_COMPLETE, act, err);
}

int ofb_run_begin(ofb_run *run, const char *step, const ofb_act *act,
                  ofb_error *err)
{
    return step_action(run, step, OFB_EV_BEGIN, act, err);
}

int ofb_run_skip(ofb_run *run, const char *step, const ofb_act *act,
                 ofb_error *err)
{
    return step_action(run, step, OFB_EV_SKIP, act, err);
}

int ofb_run_confirm(ofb_run *run, const char *step, const ofb_act *act,
                    ofb_error *err)
{
    return step_action(run, step, OFB_EV_CONFIRM, act, err);
}

int ofb_run_fail(ofb_run *run, const char *step, const ofb_act *act,
                 ofb_error *err)
{
    return step_action(run, step, OFB_EV_FAIL, act, err);
}

int ofb_run_retry(ofb_run *run, const char *step, const ofb_act *act,
                  ofb_error *err)
{
    return step_action(run, step, OFB_EV_RETRY, act, err);
}

int ofb_run_signal(ofb_run *run, const char *event, const ofb_act *act,
                   ofb_error *err)
{
    if (!run || !event)
        return ofb__err(err, OFB_EINVAL, "no run or event given");
    ofb__ev ev;
    ev_init(&ev, run, OFB_EV_SIGNAL, act);
    ev.name = event;
    return ofb__run_apply(run, &ev, false, err);
}

int ofb_run_set_input(ofb_run *run, const char *id, const char *value,
                      const ofb_act *act, ofb_error *err)
{
    if (!run || !id || !value)
        return ofb__err(err, OFB_EINVAL, "no run, input or value given");
    ofb__ev ev;
    ev_init(&ev, run, OFB_EV_INPUT, act);
    ev.name = id;
    ev.value = value;
    return ofb__run_apply(run, &ev, false, err);
}

const char *ofb_run_input(const ofb_run *run, const char *id)
{
    if (!run || !id || !run->x || !run->x->inputs)
        return NULL;
    uint32_t ix = ofb__map_get(&run->wf->input_ix, id);
    return ix == OFB__NONE ? NULL : run->x->inputs[ix].text;
}

int ofb_run_start(ofb_run *run, const ofb_act *act, ofb_error *err)
{
    if (!run)
        return ofb__err(err, OFB_EINVAL, "no run given");
    ofb__ev ev;
    ev_init(&ev, run, OFB_EV_START, act);
    return ofb__run_apply(run, &ev, false, err);
}

int ofb_run_cancel(ofb_run *run, const ofb_act *act, ofb_error *err)
{
    if (!run)
        return ofb__err(err, OFB_EINVAL, "no run given");
    ofb__ev ev;
    ev_init(&ev, run, OFB_EV_CANCEL, act);
    return ofb__run_apply(run, &ev, false, err);
}

/* ------------------------------------------------------------- handlers */

/* A handler's view of its call. Outcome details are collected here and
 * copied by the journal and the run; nothing is allocated unless the
 * handler attaches evidence or inputs. */
struct ofb_call {
    ofb_run *run;
    uint32_t step;
    unsigned attempt;
    ofb_time time;
    char *reason;
    char *event;
    ofb_kv *evidence;
    uint32_t nevidence, cap_evidence;
    ofb_kv *inputs;
    uint32_t ninputs, cap_inputs;
    int oom;
    bool have_key;
    char key[2 * OFB_ID_MAX + 16];
};

ofb_run *ofb_call_run(const ofb_call *c) { return c->run; }
size_t ofb_call_step(const ofb_call *c) { return c->step; }
const char *ofb_call_step_id(const ofb_call *c)
{
    return c->run->wf->steps[c->step].id;
}
unsigned ofb_call_attempt(const ofb_call *c) { return c->attempt; }
ofb_time ofb_call_time(const ofb_call *c) { return c->time; }

const char *ofb_call_key(const ofb_call *cc)
{
    ofb_call *c = (ofb_call *)cc; /* the key is built on first use */
    if (!c->have_key) {
        snprintf(c->key, sizeof c->key, "%s/%s/%u", RUN_ID(c->run),
                 ofb_call_step_id(c), c->attempt);
        c->have_key = true;
    }
    return c->key;
}

static int call_set(ofb_call *c, char **slot, const char *text)
{
    char *d = ofb__strdup(AL(c->run), text ? text : "");
    if (!d) {
        c->oom = 1;
        return OFB_ENOMEM;
    }
    ofb__free(AL(c->run), *slot);
    *slot = d;
    return OFB_OK;
}

int ofb_call_reason(ofb_call *c, const char *reason)
{
    return call_set(c, &c->reason, reason);
}

int ofb_call_wait(ofb_call *c, const char *event)
{
    if (!event || !ofb__valid_id(event, strlen(event)))
        return OFB_EINVAL;
    return call_set(c, &c->event, event);
}

static int call_kv(ofb_call *c, ofb_kv **arr, uint32_t *n, uint32_t *cap,
                   const char *k, const char *v)
{
    const ofb_allocator *a = AL(c->run);
    char *kk = NULL, *vv = NULL;
    if (ofb__grow(a, (void **)arr, sizeof **arr, cap, (size_t)*n + 1) ||
        !(kk = ofb__strdup(a, k)) || !(vv = ofb__strdup(a, v))) {
        ofb__free(a, kk);
        c->oom = 1;
        return OFB_ENOMEM;
    }
    (*arr)[(*n)++] = (ofb_kv){kk, vv};
    return OFB_OK;
}

int ofb_call_evidence(ofb_call *c, const char *key, const char *value)
{
    if (!key || !*key || !value)
        return OFB_EINVAL;
    return call_kv(c, &c->evidence, &c->nevidence, &c->cap_evidence, key,
                   value);
}

int ofb_call_set_input(ofb_call *c, const char *id, const char *value)
{
    if (!id || !value)
        return OFB_EINVAL;
    uint32_t ix = ofb__map_get(&c->run->wf->input_ix, id);
    if (ix == OFB__NONE)
        return OFB_ENOTFOUND;
    int64_t i;
    if (ofb__input_parse(&c->run->wf->inputs[ix], value, &i, NULL))
        return OFB_ETYPE;
    return call_kv(c, &c->inputs, &c->ninputs, &c->cap_inputs, id, value);
}

static void call_free(ofb_call *c)
{
    if (!c->reason && !c->event && !c->evidence && !c->inputs)
        return; /* the usual handler attached nothing */
    const ofb_allocator *a = AL(c->run);
    ofb__free(a, c->reason);
    ofb__free(a, c->event);
    for (uint32_t i = 0; i < c->nevidence; i++) {
        ofb__free(a, (void *)c->evidence[i].key);
        ofb__free(a, (void *)c->evidence[i].value);
    }
    for (uint32_t i = 0; i < c->ninputs; i++) {
        ofb__free(a, (void *)c->inputs[i].key);
        ofb__free(a, (void *)c->inputs[i].value);
    }
    ofb__free(a, c->evidence);
    ofb__free(a, c->inputs);
}

/* Calls the handler of step s (begun, attempt already counted) and records
 * its outcome. */
static int invoke(ofb_run *run, uint32_t s, const binding *b, ofb_time now,
                  ofb_error *err)
{
    ofb_call c;
    /* Every field but the key's buffer, which ofb_call_key fills when a
     * handler asks (have_key says whether it did). */
    memset(&c, 0, offsetof(ofb_call, key));
    c.run = run;
    c.step = s;
    c.attempt = ATTEMPTS(run)[s];
    c.time = now;
    int r = b->fn(&c, b->payload);
    if (r < 0) {
        /* The handler's own error: the step stays begun, in doubt, and is
         * tried again with the same key on the next advance. */
        run->st[s] |= F_DOUBT;
        call_free(&c);
        ofb__err(err, r, "handler of step '%s' failed with code %d",
                 run->wf->steps[s].id, r);
        ofb__err_names(err, run->wf->steps[s].id, NULL);
        return r;
    }
    const ofb__step *st = &run->wf->steps[s];
    const char *reason = c.reason;
    char why[160];
    if (c.oom) {
        r = OFB_FAIL;
        reason = "out of memory while recording the outcome";
    } else if (r > OFB_SKIP) {
        snprintf(why, sizeof why, "handler returned an unknown outcome %d", r);
        r = OFB_FAIL, reason = why;
    } else if (r == OFB_SKIP && !(st->flags & OFB_STEP_OPTIONAL)) {
        r = OFB_FAIL;
        reason = "handler skipped a step that is not optional";
    } else if (r == OFB_WAIT && !c.event && !*st->wait_event) {
        r = OFB_FAIL;
        reason = "handler returned WAIT without naming an event";
    }
    ofb__ev ev;
    ev_init(&ev, run, OFB_EV_OUTCOME, NULL);
    ev.time = now;
    ev.step = s;
    ev.attempt = c.attempt;
    ev.outcome = r;
    ev.name = r == OFB_WAIT ? c.event : NULL;
    ev.note = reason;
    if (!c.oom) {
        ev.evidence = c.evidence;
        ev.nevidence = c.nevidence;
        /* Findings count only when the work succeeded: a check that failed
         * has found nothing a later guard should trust. */
        if (r == OFB_DONE || r == OFB_WAIT) {
            ev.inputs = c.inputs;
            ev.ninputs = c.ninputs;
        }
    }
    int rc = ofb__run_apply(run, &ev, false, err);
    if (rc == OFB_ETYPE || rc == OFB_ENOTFOUND) {
        /* A finding that does not fit its input fails the step, visibly. */
        ev.outcome = OFB_FAIL;
        ev.note = err ? err->message : "handler set an invalid input";
        ev.inputs = NULL;
        ev.ninputs = 0;
        ev.name = NULL;
        rc = ofb__run_apply(run, &ev, false, err);
    }
    if (rc)
        run->st[s] |= F_DOUBT; /* not recorded: as if we had crashed */
    call_free(&c);
    return rc;
}

/* Fires due retries and wait timeouts. */
static int fire_timers(ofb_run *run, ofb_time now, ofb_error *err)
{
    runx *x = run->x;
    if (!x || !x->due || !x->ntimers)
        return OFB_OK;
    for (uint32_t s = 0; s < run->wf->nsteps && x->ntimers; s++) {
        if (x->due[s] > now)
            continue;
        unsigned state = state_of(run, s);
        ofb__ev ev;
        ev_init(&ev, run, state == OFB_STEP_RETRYING ? OFB_EV_DUE
                                                      : OFB_EV_TIMEOUT, NULL);
        ev.time = now;
        ev.step = s;
        ev.attempt = ATTEMPTS(run)[s];
        int rc = ofb__run_apply(run, &ev, false, err);
        if (rc)
            return rc;
    }
    return OFB_OK;
}

static ofb_time next_wake(const ofb_run *run)
{
    const runx *x = run->x;
    ofb_time t = OFB_NEVER;
    if (run->status != OFB_RUN_ACTIVE || !x || !x->due || !x->ntimers)
        return t;
    for (uint32_t s = 0; s < run->wf->nsteps; s++)
        if (x->due[s] < t)
            t = x->due[s];
    return t;
}

/* Settles in-doubt steps: the host's verify callback decides, else the
 * handler runs again with the same attempt, hence the same key. */
static int resolve_doubt(ofb_run *run, uint32_t s, const binding *b,
                         ofb_time now, ofb_error *err)
{
    runx *x = run->x;
    if (x && x->verify) {
        char key[2 * OFB_ID_MAX + 16];
        snprintf(key, sizeof key, "%s/%s/%u", RUN_ID(run),
                 run->wf->steps[s].id, (unsigned)ATTEMPTS(run)[s]);
        int v = x->verify(run, s, key, x->verify_payload);
        if (v < 0)
            return ofb__err(err, v, "verify callback failed for step '%s'",
                            run->wf->steps[s].id);
        if (v == OFB_VERIFY_DONE) {
            ofb__ev ev;
            ev_init(&ev, run, OFB_EV_VERIFY, NULL);
            ev.time = now;
            ev.step = s;
            ev.attempt = ATTEMPTS(run)[s];
            ev.outcome = OFB_DONE;
            ev.note = "verified done after recovery";
            return ofb__run_apply(run, &ev, false, err);
        }
    }
    run->st[s] &= (uint8_t)~F_DOUBT;
    return invoke(run, s, b, now, err);
}

static int drive(ofb_run *run, ofb_time now, ofb_time *next, size_t limit,
                 ofb_error *err)
{
    if (!run)
        return ofb__err(err, OFB_EINVAL, "no run given");
    if (now > run->now)
        run->now = now;
    if (run->status == OFB_RUN_COMPLETED || run->status == OFB_RUN_CANCELLED) {
        if (next)
            *next = OFB_NEVER;
        return OFB_OK;
    }
    if (run->status != OFB_RUN_ACTIVE)
        return ofb__err(err, OFB_ESTATE, "run '%s' has not started",
                        RUN_ID(run));
    const ofb_workflow *wf = run->wf;
    size_t ran = 0;
    int rc = OFB_OK;
    bool progress = true;
    while (progress && run->status == OFB_RUN_ACTIVE && ran < limit) {
        progress = false;
        size_t before = run->nsettled;
        if ((rc = fire_timers(run, now, err)))
            break;
        for (uint32_t k = run->cursor; k < wf->nsteps && ran < limit; k++) {
            uint32_t s = wf->order[k];
            unsigned state = state_of(run, s);
            const ofb__step *st;
            const binding *b;
            if (state == OFB_STEP_RUNNING && (run->st[s] & F_DOUBT)) {
                if (!(b = handler_for(run, s)))
                    continue;
                ran++;
                if ((rc = resolve_doubt(run, s, b, now, err)))
                    goto out;
                progress = true;
                continue;
            }
            if (state != OFB_STEP_READY)
                continue;
            st = &wf->steps[s];
            if ((st->flags & OFB_STEP_MANUAL) ||
                ((st->flags & OFB_STEP_IRREVERSIBLE) &&
                 !(run->st[s] & F_CONFIRMED)) ||
                !(b = handler_for(run, s)))
                continue;
            ofb__ev ev;
            ev_init(&ev, run, OFB_EV_BEGIN, NULL);
            ev.time = now;
            ev.step = s;
            ev.attempt = (uint32_t)ATTEMPTS(run)[s] + 1;
            ev.name = "auto";
            if ((rc = ofb__run_apply(run, &ev, false, err)))
                goto out;
            ran++;
            if ((rc = invoke(run, s, b, now, err)))
                goto out;
            progress = true;
        }
        if (run->nsettled != before)
            progress = true;
    }
out:
    if (next)
        *next = next_wake(run);
    if (rc == OFB_OK && next && run->status == OFB_RUN_ACTIVE && ran >= limit)
        *next = now; /* more can run at once */
    return rc;
}

int ofb_run_advance(ofb_run *run, ofb_time now, ofb_time *next,
                    ofb_error *err)
{
    return drive(run, now, next, SIZE_MAX, err);
}

int ofb_run_step(ofb_run *run, ofb_time now, ofb_time *next, ofb_error *err)
{
    return drive(run, now, next, 1, err);
}

/* ----------------------------------------------------------------- state */

int ofb_run_step_status(const ofb_run *run, size_t i, ofb_step_status *st)
{
    if (!run || !st || i >= run->wf->nsteps)
        return OFB_ENOTFOUND;
    uint32_t s = (uint32_t)i;
    unsigned state = state_of(run, s);
    st->state = (ofb_step_state)state;
    st->attempt = ATTEMPTS(run)[s];
    st->confirmed = (run->st[s] & F_CONFIRMED) != 0;
    st->in_doubt = (run->st[s] & F_DOUBT) != 0;
    st->due = run->x && run->x->due ? run->x->due[s] : OFB_NEVER;
    st->event = state == OFB_STEP_WAITING ? awaited_event(run, s) : "";
    return OFB_OK;
}

void ofb_run_counts(const ofb_run *run, size_t counts[8])
{
    for (int i = 0; i < 8; i++)
        counts[i] = 0;
    for (uint32_t s = 0; run && s < run->wf->nsteps; s++)
        counts[state_of(run, s)]++;
}

int ofb_run_next(const ofb_run *run, const char *role, ofb_next_fn fn,
                 void *payload)
{
    if (!run || !fn)
        return OFB_EINVAL;
    if (run->status != OFB_RUN_ACTIVE)
        return OFB_OK;
    const ofb_workflow *wf = run->wf;
    char reason[320];
    for (uint32_t k = run->cursor; k < wf->nsteps; k++) {
        uint32_t s = wf->order[k];
        unsigned state = state_of(run, s);
        if (settled_state(state))
            continue;
        const ofb__step *st = &wf->steps[s];
        if (role && strcmp(role, st->role) != 0)
            continue;
        ofb_next_item it = {s, st->id, st->title, st->role, OFB_NEXT_BLOCKED,
                            "", "", OFB_NEVER, reason};
        const char *who = *st->role ? st->role : "anyone";
        switch (state) {
        case OFB_STEP_READY:
            if ((st->flags & OFB_STEP_IRREVERSIBLE) &&
                !(run->st[s] & F_CONFIRMED)) {
                it.kind = OFB_NEXT_CONFIRM;
                snprintf(reason, sizeof reason,
                         "irreversible: %s must confirm it", who);
            } else if ((st->flags & OFB_STEP_MANUAL) || !handler_for(run, s)) {
                it.kind = OFB_NEXT_DO;
                snprintf(reason, sizeof reason, "ready for %s", who);
            } else {
                it.kind = OFB_NEXT_AUTO;
                snprintf(reason, sizeof reason, "runs on the next advance");
            }
            break;
        case OFB_STEP_RUNNING:
            it.kind = OFB_NEXT_RUNNING;
            snprintf(reason, sizeof reason, "%s (attempt %u)",
                     (run->st[s] & F_DOUBT) ? "in doubt after a crash"
                                            : "in progress",
                     (unsigned)ATTEMPTS(run)[s]);
            break;
        case OFB_STEP_WAITING:
            it.kind = OFB_NEXT_EVENT;
            it.event = awaited_event(run, s);
            it.due = run->x && run->x->due ? run->x->due[s] : OFB_NEVER;
            snprintf(reason, sizeof reason, "waits for event '%s'", it.event);
            break;
        case OFB_STEP_RETRYING:
            it.kind = OFB_NEXT_RETRY;
            it.due = run->x->due[s];
            snprintf(reason, sizeof reason, "retries at %lld (attempt %u failed)",
                     (long long)it.due, (unsigned)ATTEMPTS(run)[s]);
            break;
        case OFB_STEP_FAILED:
            it.kind = OFB_NEXT_FAILED;
            snprintf(reason, sizeof reason,
                     "failed after %u attempt(s): retry or intervene",
                     (unsigned)ATTEMPTS(run)[s]);
            break;
        default: {
            uint32_t p, missing = 0;
            if (!prereqs_settled(run, s, &p)) {
                it.detail = wf->steps[p].id;
                if (*wf->steps[p].role)
                    snprintf(reason, sizeof reason,
                             "waits for '%s' (role: %s)", wf->steps[p].id,
                             wf->steps[p].role);
                else
                    snprintf(reason, sizeof reason, "waits for '%s'",
                             wf->steps[p].id);
            } else {
                (void)guard_value(run, s, &missing);
                it.kind = OFB_NEXT_INPUT;
                it.detail = input_id(run, missing);
                snprintf(reason, sizeof reason, "needs input '%s' (when %s)",
                         it.detail, st->when);
            }
            break;
        }
        }
        int rc = fn(&it, payload);
        if (rc)
            return rc;
    }
    return OFB_OK;
}

/* ------------------------------------------------------------------ plan */

int ofb_workflow_plan(const ofb_workflow *wf, const ofb_kv *inputs,
                      size_t ninputs, ofb_plan_fn fn, void *payload,
                      ofb_error *err)
{
    if (!wf || !fn || (ninputs && !inputs))
        return ofb__err(err, OFB_EINVAL, "no workflow or callback given");
    if (!wf->sealed)
        return ofb__err(err, OFB_ESEALED, "workflow '%s' is not sealed",
                        wf->id);
    ofb__ival *vals = ofb__calloc(&wf->alloc, wf->ninputs ? wf->ninputs : 1,
                                  sizeof *vals);
    if (!vals)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    int rc = OFB_OK;
    for (uint32_t i = 0; i < wf->ninputs; i++) {
        vals[i].text = wf->inputs[i].default_text;
        vals[i].i = wf->inputs[i].default_i;
    }
    for (size_t k = 0; k < ninputs && rc == OFB_OK; k++) {
        uint32_t ix = inputs[k].key ? ofb__map_get(&wf->input_ix,
                                                   inputs[k].key) : OFB__NONE;
        if (ix == OFB__NONE) {
            rc = ofb__err(err, OFB_ENOTFOUND, "workflow '%s' has no input '%s'",
                          wf->id, inputs[k].key ? inputs[k].key : "(null)");
            ofb__err_names(err, NULL, inputs[k].key);
            break;
        }
        const char *v = inputs[k].value ? inputs[k].value : "";
        rc = ofb__input_parse(&wf->inputs[ix], v, &vals[ix].i, err);
        vals[ix].text = v;
    }
    char reason[320];
    for (uint32_t k = 0; rc == OFB_OK && k < wf->nsteps; k++) {
        uint32_t s = wf->order[k];
        const ofb__step *st = &wf->steps[s];
        ofb_plan_item it = {s, k + 1, OFB_PLAN_RUN, ""};
        uint32_t missing = 0;
        int g = st->guard == OFB__NONE
                    ? 1 : ofb__expr_eval(wf, st->guard, vals, &missing);
        if (g == 0) {
            it.kind = OFB_PLAN_SKIP;
            snprintf(reason, sizeof reason, "when %s is false", st->when);
            it.reason = reason;
        } else if (g < 0) {
            it.kind = OFB_PLAN_DEPENDS;
            snprintf(reason, sizeof reason,
                     "decided during the run: needs input '%s'",
                     wf->inputs[missing].id);
            it.reason = reason;
        }
        rc = fn(&it, payload);
    }
    ofb__free(&wf->alloc, vals);
    return rc;
}
