/*
 * fuzz_run.c - the run engine driven by arbitrary sequences of API calls.
 *
 * Byte 0 picks a workflow (the built-ins, and one made here that has
 * retries, timeouts and optional steps); its bit 7 gives the run a journal.
 * Every following byte starts a call (complete, begin, skip, confirm,
 * fail, retry, signal, set an input, advance, step, start, cancel, next,
 * reopen from the journal, plan, rebind handlers), whose arguments come
 * from the bytes after it. Handlers answer from the bytes too.
 *
 * After every call the engine's invariants must hold; any violation
 * aborts:
 *   - a step that is not blocked has every prerequisite settled;
 *   - a settled step never changes (state and attempt);
 *   - the run is completed exactly when every step is settled, and its
 *     status only moves forward;
 *   - a refused call changes nothing, journal included;
 *   - "next" explains every unsettled step truthfully;
 *   - after a successful advance nothing more can happen at that time;
 *   - a run reopened from its journal is the same run.
 */
#include "fuzz.h"

#define T0 ((ofb_time)1795424400) /* 2026-11-23 09:00 UTC */

/* Retries, backoff, timeouts, optional and irreversible steps, actions and
 * a handler-set input: what the shipped workflows do not all have. */
static const char extra_src[] =
    "workflow fuzz-extra 1\n"
    "input region choice(eu, us) default eu\n"
    "input found bool\n"
    "input note string\n"
    "step export \"Export\"\n"
    "  role engineer\n  action api\n  retry 3 backoff 1m\n"
    "step notify \"Notify\"\n"
    "  role csm\n  optional\n  wait customer_ack timeout 1h\n"
    "step check \"Check\"\n"
    "  after export\n  action api\n  retry 100 backoff 0s\n"
    "step purge \"Purge\"\n"
    "  after check notify\n  when not found\n  irreversible\n"
    "step us_only \"US only\"\n"
    "  after export\n  when region == us\n  optional\n"
    "step close \"Close\"\n"
    "  after purge us_only\n  manual\n  wait closed\n";

#define NWF_MAX 16
#define NSTEPS_MAX 64

typedef struct wfinfo {
    ofb_workflow *wf;
    size_t nsteps, ninputs;
    const char *step_id[NSTEPS_MAX];
    size_t prereq[NSTEPS_MAX][NSTEPS_MAX];
    size_t nprereq[NSTEPS_MAX];
    unsigned flags[NSTEPS_MAX];
    ofb_input_info in[16];
    const char *events[NSTEPS_MAX + 4];
    size_t nevents;
    const char *roles[NSTEPS_MAX];
    size_t nroles;
} wfinfo;

/* Parsed once per process: sealed workflows are immutable. */
static wfinfo wfs[NWF_MAX];
static size_t nwfs;

static void add_unique(const char **list, size_t *n, const char *s)
{
    if (!*s)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], s) == 0)
            return;
    list[(*n)++] = s;
}

static void describe(wfinfo *w, ofb_workflow *wf)
{
    w->wf = wf;
    w->nsteps = ofb_workflow_step_count(wf);
    w->ninputs = ofb_workflow_input_count(wf);
    FZ_CHECK(w->nsteps <= NSTEPS_MAX && w->ninputs <= 16, "workflow size");
    for (size_t i = 0; i < w->nsteps; i++) {
        ofb_step_info si;
        FZ_CHECK(ofb_workflow_step(wf, i, &si) == 0, "step info");
        w->step_id[i] = si.id;
        w->flags[i] = si.flags;
        for (size_t k = 0; k < si.nafter; k++)
            FZ_CHECK(ofb_workflow_find_step(wf, si.after[k],
                                            &w->prereq[i][k]) == 0, "after");
        w->nprereq[i] = si.nafter;
        add_unique(w->events, &w->nevents, si.wait_event);
        add_unique(w->roles, &w->nroles, si.role);
    }
    w->events[w->nevents++] = "ev_handler"; /* named by WAIT outcomes */
    for (size_t i = 0; i < w->ninputs; i++)
        FZ_CHECK(ofb_workflow_input(wf, i, &w->in[i]) == 0, "input info");
}

static void load_all(void)
{
    if (nwfs)
        return;
    size_t nb = ofb_builtin_count();
    for (size_t i = 0; i < nb && nwfs < NWF_MAX - 1; i++) {
        ofb_workflow *wf;
        FZ_CHECK(ofb_builtin_load(&wf, ofb_builtin_name(i), NULL, NULL) == 0,
                 "builtin %zu", i);
        describe(&wfs[nwfs++], wf);
    }
    ofb_workflow *wf;
    ofb_error err;
    FZ_CHECK(ofb_workflow_parse(&wf, extra_src, sizeof extra_src - 1,
                                "extra", NULL, &err) == 0, "%s", err.message);
    describe(&wfs[nwfs++], wf);
}

/* ------------------------------------------------------------ the driver */

typedef struct driver {
    fz_in in;
    wfinfo *w;
    ofb_run *run;
    fz_store store;
    int journaled;
    ofb_time now;
    int verdict;
    /* Idempotency key of each step whose handler failed: the rerun must
     * use the same one. */
    char doubt_key[NSTEPS_MAX][160];
    /* Previous call's view, for "settled never changes". */
    ofb_step_status prev[NSTEPS_MAX];
    int prev_status;
    int in_handler;
} driver;

static const char *value_for(driver *d, const ofb_input_info *in)
{
    static const char *const bools[] = {"true", "false", "yes", ""};
    static const char *const dates[] = {"2026-11-30", "2026-02-29",
                                        "2024-02-29", "30-11-2026"};
    static const char *const strs[] = {"Pzzle B.V.", "", "acme", "x\ny"};
    unsigned b = fz_byte(&d->in);
    switch (in->type) {
    case OFB_TYPE_BOOL: return bools[b % 4];
    case OFB_TYPE_DATE: return dates[b % 4];
    case OFB_TYPE_CHOICE:
        if (b % 8 < in->nchoices)
            return in->choices[b % 8];
        return b & 1 ? "nope" : "";
    default: return strs[b % 4];
    }
}

static const char *pick_step(driver *d)
{
    unsigned b = fz_byte(&d->in);
    if (b == 0xff)
        return "no_such_step";
    return d->w->step_id[b % d->w->nsteps];
}

static const char *pick_event(driver *d)
{
    unsigned b = fz_byte(&d->in);
    if (b == 0xff)
        return "Not An Id";
    if (b == 0xfe)
        return "never_waited_for";
    return d->w->events[b % d->w->nevents];
}

static void pick_act(driver *d, ofb_act *act, ofb_kv *kv)
{
    unsigned b = fz_byte(&d->in);
    memset(act, 0, sizeof *act);
    act->actor = b & 1 ? "alice" : NULL;
    act->note = b & 2 ? "because" : NULL;
    if (b & 4) {
        kv->key = "ticket";
        kv->value = "T-1234 \"quoted\"";
        act->evidence = kv;
        act->nevidence = 1;
    }
    /* Mostly the run's time; sometimes a time of the actor's own. */
    if (b & 8)
        act->time = d->now + (int64_t)(b >> 4) - 4;
}

/* The handler of every step: its outcome comes from the bytes. */
static int handler(ofb_call *call, void *payload)
{
    driver *d = payload;
    size_t s = ofb_call_step(call);
    ofb_step_status st;
    const char *key = ofb_call_key(call);
    FZ_CHECK(ofb_run_step_status(ofb_call_run(call), s, &st) == 0, "status");
    FZ_CHECK(st.state == OFB_STEP_RUNNING, "handler of a step that is %d",
             (int)st.state);
    FZ_CHECK(st.attempt == ofb_call_attempt(call) && st.attempt >= 1,
             "attempt %u, call says %u", st.attempt, ofb_call_attempt(call));
    char want[160];
    snprintf(want, sizeof want, "%s/%s/%u", ofb_run_id(ofb_call_run(call)),
             ofb_call_step_id(call), ofb_call_attempt(call));
    FZ_CHECK(strcmp(key, want) == 0, "key '%s', expected '%s'", key, want);
    if (d->doubt_key[s][0])
        FZ_CHECK(strcmp(d->doubt_key[s], key) == 0,
                 "rerun of an in-doubt step with key '%s', first '%s'", key,
                 d->doubt_key[s]);
    d->doubt_key[s][0] = '\0';

    unsigned b = fz_byte(&d->in);
    switch (b % 9) {
    case 0: return OFB_DONE;
    case 1:
        if (b & 0x10)
            ofb_call_wait(call, "ev_handler");
        return OFB_WAIT;
    case 2: return OFB_RETRY;
    case 3:
        ofb_call_reason(call, "API returned 503");
        return OFB_FAIL;
    case 4:
        ofb_call_reason(call, "not needed");
        return OFB_SKIP;
    case 5:
        snprintf(d->doubt_key[s], sizeof d->doubt_key[s], "%s", key);
        return OFB_EUSER;
    case 6: {
        ofb_call_evidence(call, "digest", "sha256:00ff");
        if (d->w->ninputs) {
            const ofb_input_info *in = &d->w->in[fz_byte(&d->in) %
                                                 d->w->ninputs];
            ofb_call_set_input(call, in->id, value_for(d, in));
        }
        return OFB_DONE;
    }
    case 7:
        /* An input the engine must refuse: the step fails visibly. */
        ofb_call_set_input(call, "no_such_input", "x");
        return (int)(b >> 4); /* sometimes an unknown outcome */
    default:
        ofb_call_reason(call, NULL);
        ofb_call_evidence(call, "k", "");
        return OFB_DONE;
    }
}

static int verify_cb(ofb_run *run, size_t step, const char *key,
                     void *payload)
{
    driver *d = payload;
    (void)run;
    (void)step;
    FZ_CHECK(key && *key, "verify without a key");
    return d->verdict;
}

/* ------------------------------------------------------------ invariants */

static size_t journal_len(const driver *d)
{
    return d->journaled ? d->store.len : 0;
}

typedef struct next_check {
    driver *d;
    int seen[NSTEPS_MAX];
    int auto_ready;
} next_check;

static int settled(ofb_step_state s)
{
    return s == OFB_STEP_DONE || s == OFB_STEP_SKIPPED;
}

static int on_next(const ofb_next_item *it, void *payload)
{
    next_check *nc = payload;
    driver *d = nc->d;
    ofb_step_status st;
    FZ_CHECK(it->step < d->w->nsteps, "next: step %zu", it->step);
    FZ_CHECK(!nc->seen[it->step], "next lists step %zu twice", it->step);
    nc->seen[it->step] = 1;
    FZ_CHECK(ofb_run_step_status(d->run, it->step, &st) == 0, "status");
    FZ_CHECK(!settled(st.state), "next lists a settled step");
    FZ_CHECK(it->reason && *it->reason, "next item without a reason");
    switch (st.state) {
    case OFB_STEP_BLOCKED: {
        size_t p, unsettled = 0;
        for (size_t k = 0; k < d->w->nprereq[it->step]; k++) {
            ofb_step_status ps;
            p = d->w->prereq[it->step][k];
            ofb_run_step_status(d->run, p, &ps);
            unsettled += !settled(ps.state);
        }
        if (unsettled) {
            FZ_CHECK(it->kind == OFB_NEXT_BLOCKED, "blocked step kind %d",
                     (int)it->kind);
            size_t ix;
            FZ_CHECK(ofb_workflow_find_step(d->w->wf, it->detail, &ix) == 0,
                     "blocked on unknown '%s'", it->detail);
            ofb_step_status ps;
            ofb_run_step_status(d->run, ix, &ps);
            FZ_CHECK(!settled(ps.state), "blocked on settled '%s'",
                     it->detail);
        } else {
            /* Prerequisites settled yet blocked: only an unset input. */
            FZ_CHECK(it->kind == OFB_NEXT_INPUT,
                     "step '%s' blocked with settled prerequisites, kind %d",
                     it->step_id, (int)it->kind);
            FZ_CHECK(ofb_run_input(d->run, it->detail) == NULL,
                     "step '%s' needs input '%s', which is set", it->step_id,
                     it->detail);
        }
        break;
    }
    case OFB_STEP_READY:
        FZ_CHECK(it->kind == OFB_NEXT_DO || it->kind == OFB_NEXT_CONFIRM ||
                     it->kind == OFB_NEXT_AUTO, "ready step kind %d",
                 (int)it->kind);
        if (it->kind == OFB_NEXT_AUTO)
            nc->auto_ready++;
        break;
    case OFB_STEP_RUNNING:
        FZ_CHECK(it->kind == OFB_NEXT_RUNNING, "running kind");
        break;
    case OFB_STEP_WAITING:
        FZ_CHECK(it->kind == OFB_NEXT_EVENT && *it->event, "waiting kind");
        break;
    case OFB_STEP_RETRYING:
        FZ_CHECK(it->kind == OFB_NEXT_RETRY && it->due != OFB_NEVER,
                 "retrying kind");
        break;
    case OFB_STEP_FAILED:
        FZ_CHECK(it->kind == OFB_NEXT_FAILED, "failed kind");
        break;
    default:
        FZ_CHECK(0, "state %d", (int)st.state);
    }
    return 0;
}

static void check(driver *d, const char *what)
{
    const wfinfo *w = d->w;
    ofb_run *run = d->run;
    int status = (int)ofb_run_status_get(run);
    size_t counts[8], nsettled = 0;
    ofb_run_counts(run, counts);

    /* Status moves forward only: new, active, then completed or
     * cancelled (each final). */
    FZ_CHECK(status >= d->prev_status ||
                 (d->prev_status == OFB_RUN_COMPLETED && 0),
             "%s: status went from %d to %d", what, d->prev_status, status);
    if (d->prev_status >= OFB_RUN_COMPLETED)
        FZ_CHECK(status == d->prev_status, "%s: final status changed", what);

    ofb_step_status st[NSTEPS_MAX];
    for (size_t s = 0; s < w->nsteps; s++) {
        FZ_CHECK(ofb_run_step_status(run, s, &st[s]) == 0, "status");
        FZ_CHECK((unsigned)st[s].state <= OFB_STEP_SKIPPED, "state");
        nsettled += settled(st[s].state);
    }
    size_t total = 0;
    for (int k = 0; k < 8; k++)
        total += counts[k];
    FZ_CHECK(total == w->nsteps &&
                 counts[OFB_STEP_DONE] + counts[OFB_STEP_SKIPPED] == nsettled,
             "%s: counts disagree with the steps", what);

    for (size_t s = 0; s < w->nsteps; s++) {
        if (st[s].state != OFB_STEP_BLOCKED)
            for (size_t k = 0; k < w->nprereq[s]; k++)
                FZ_CHECK(settled(st[w->prereq[s][k]].state),
                         "%s: step '%s' is %s but prerequisite '%s' is %s",
                         what, w->step_id[s],
                         ofb_step_state_name(st[s].state),
                         w->step_id[w->prereq[s][k]],
                         ofb_step_state_name(st[w->prereq[s][k]].state));
        if (settled(d->prev[s].state))
            FZ_CHECK(st[s].state == d->prev[s].state &&
                         st[s].attempt == d->prev[s].attempt,
                     "%s: settled step '%s' changed from %s to %s", what,
                     w->step_id[s], ofb_step_state_name(d->prev[s].state),
                     ofb_step_state_name(st[s].state));
        if (status == OFB_RUN_NEW)
            FZ_CHECK(st[s].state == OFB_STEP_BLOCKED && st[s].attempt == 0,
                     "%s: step '%s' moved before start", what,
                     w->step_id[s]);
        if (st[s].state != OFB_STEP_RUNNING)
            d->doubt_key[s][0] = '\0';
        FZ_CHECK(!st[s].in_doubt || st[s].state == OFB_STEP_RUNNING,
                 "%s: step '%s' in doubt while %s", what, w->step_id[s],
                 ofb_step_state_name(st[s].state));
    }
    if (status == OFB_RUN_ACTIVE || status == OFB_RUN_COMPLETED)
        FZ_CHECK((status == OFB_RUN_COMPLETED) == (nsettled == w->nsteps),
                 "%s: status %d with %zu of %zu steps settled", what, status,
                 nsettled, w->nsteps);

    next_check nc;
    memset(&nc, 0, sizeof nc);
    nc.d = d;
    FZ_CHECK(ofb_run_next(run, NULL, on_next, &nc) == 0, "next");
    if (status == OFB_RUN_ACTIVE)
        for (size_t s = 0; s < w->nsteps; s++)
            FZ_CHECK(settled(st[s].state) || nc.seen[s],
                     "%s: next leaves out step '%s'", what, w->step_id[s]);

    memcpy(d->prev, st, w->nsteps * sizeof *st);
    d->prev_status = status;
}

/* A refused call must leave the run and its journal as they were. */
static void expect_unchanged(driver *d, const fz_snap *before, size_t jlen,
                             int rc, const char *what)
{
    FZ_CHECK(fz_known_code(rc), "%s returned %d", what, rc);
    if (rc == 0)
        return;
    fz_snap after;
    fz_snap_take(&after, d->run);
    fz_snap_same(before, &after, what);
    fz_snap_free(&after);
    FZ_CHECK(journal_len(d) == jlen, "%s was refused (%d) but journaled",
             what, rc);
}

static void reopen(driver *d)
{
    fz_snap before, after;
    fz_snap_take(&before, d->run);
    ofb_handlers *h = NULL;
    ofb_run_free(d->run);
    d->run = NULL;
    FZ_CHECK(d->store.closed, "free did not close the store");
    d->store.closed = 0;

    ofb_verify_report rep;
    ofb_error err;
    FZ_CHECK(ofb_journal_verify(&d->store.base, &rep, &err) == 0 &&
                 rep.torn_bytes == 0, "journal does not verify: %s",
             err.message);
    ofb_run_opts opts = {&d->store.base, OFB_SYNC_EVERY, 0, verify_cb, d};
    ofb_recovery rec;
    int rc = ofb_run_open(&d->run, fz_byte(&d->in) & 1 ? d->w->wf : NULL,
                          &opts, &rec, &err);
    FZ_CHECK(rc == 0, "journal does not reopen: %s", err.message);
    FZ_CHECK(rec.records == rep.records, "reopened %zu of %zu records",
             rec.records, rep.records);
    fz_snap_take(&after, d->run);
    fz_snap_same(&before, &after, "reopen");
    fz_snap_free(&before);
    fz_snap_free(&after);
    (void)h;
    FZ_CHECK(ofb_run_bind(d->run, OFB_BIND_DEFAULT, NULL, handler, d, NULL,
                          NULL) == 0, "bind");
}

static int on_plan(const ofb_plan_item *it, void *payload)
{
    (void)it;
    (void)payload;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_all();
    if (size < 1 || size > 8192)
        return 0;
    static driver dd;
    driver *d = &dd;
    memset(d, 0, sizeof *d);
    d->in.p = data + 1;
    d->in.n = size - 1;
    d->w = &wfs[data[0] % nwfs];
    d->journaled = data[0] >> 7;
    d->now = T0;
    d->verdict = (data[0] >> 6) & 1;

    ofb_error err;
    ofb_run_opts opts = {NULL, OFB_SYNC_EVERY, 0, verify_cb, d};
    if (d->journaled) {
        fz_store_init(&d->store, NULL, 0, 0);
        opts.store = &d->store.base;
        opts.durability = (ofb_durability)((data[0] >> 4) % 3);
    }
    FZ_CHECK(ofb_run_new(&d->run, d->w->wf, "acme-2026", &opts, &err) == 0,
             "run_new: %s", err.message);
    FZ_CHECK(ofb_run_bind(d->run, OFB_BIND_DEFAULT, NULL, handler, d, NULL,
                          NULL) == 0, "bind");
    check(d, "new");

    for (int ops = 0; d->in.n && ops < 400; ops++) {
        unsigned op = fz_byte(&d->in) % 16;
        fz_snap before;
        size_t jlen = journal_len(d);
        ofb_act act;
        ofb_kv kv;
        int rc = 0;
        const char *what = "?";
        fz_snap_take(&before, d->run);
        switch (op) {
        case 0: case 1: case 2: case 3: case 4: case 5: {
            static int (*const fn[])(ofb_run *, const char *,
                                     const ofb_act *, ofb_error *) = {
                ofb_run_complete, ofb_run_begin, ofb_run_skip,
                ofb_run_confirm,  ofb_run_fail,  ofb_run_retry};
            static const char *const names[] = {"complete", "begin", "skip",
                                                "confirm",  "fail",  "retry"};
            const char *s = pick_step(d);
            pick_act(d, &act, &kv);
            what = names[op];
            rc = fn[op](d->run, s, &act, &err);
            expect_unchanged(d, &before, jlen, rc, what);
            break;
        }
        case 6:
            what = "signal";
            pick_act(d, &act, &kv);
            rc = ofb_run_signal(d->run, pick_event(d), &act, &err);
            expect_unchanged(d, &before, jlen, rc, what);
            break;
        case 7:
            what = "set_input";
            if (d->w->ninputs) {
                const ofb_input_info *in =
                    &d->w->in[fz_byte(&d->in) % d->w->ninputs];
                pick_act(d, &act, &kv);
                rc = ofb_run_set_input(d->run, in->id, value_for(d, in), &act,
                                       &err);
                expect_unchanged(d, &before, jlen, rc, what);
            }
            break;
        case 8:
        case 9: {
            static const int64_t deltas[] = {0, 1, 59, 60, 3600, 86400,
                                             2 * 86400 + 1, 14 * 86400};
            ofb_time next = 0;
            what = op == 8 ? "advance" : "step";
            d->now += deltas[fz_byte(&d->in) % 8];
            rc = (op == 8 ? ofb_run_advance : ofb_run_step)(d->run, d->now,
                                                           &next, &err);
            FZ_CHECK(fz_known_code(rc), "%s returned %d", what, rc);
            if (rc == 0 && op == 8 &&
                ofb_run_status_get(d->run) == OFB_RUN_ACTIVE) {
                /* Nothing more could have happened at this time. */
                next_check nc;
                memset(&nc, 0, sizeof nc);
                nc.d = d;
                ofb_run_next(d->run, NULL, on_next, &nc);
                FZ_CHECK(nc.auto_ready == 0,
                         "advance left %d automatic steps ready",
                         nc.auto_ready);
                FZ_CHECK(next > d->now, "advance wants to be called again "
                         "at %lld, now is %lld", (long long)next,
                         (long long)d->now);
            }
            break;
        }
        case 10:
            what = "start";
            pick_act(d, &act, &kv);
            rc = ofb_run_start(d->run, &act, &err);
            expect_unchanged(d, &before, jlen, rc, what);
            break;
        case 11:
            what = "cancel";
            if (fz_byte(&d->in) % 8 == 0) {
                rc = ofb_run_cancel(d->run, NULL, &err);
                expect_unchanged(d, &before, jlen, rc, what);
            }
            break;
        case 12: {
            what = "next";
            const char *role = NULL;
            unsigned b = fz_byte(&d->in);
            if (d->w->nroles && (b & 1))
                role = d->w->roles[(b >> 1) % d->w->nroles];
            next_check nc;
            memset(&nc, 0, sizeof nc);
            nc.d = d;
            FZ_CHECK(ofb_run_next(d->run, role, on_next, &nc) == 0, "next");
            break;
        }
        case 13:
            what = "reopen";
            if (d->journaled)
                reopen(d);
            break;
        case 14: {
            what = "plan";
            ofb_kv in[16];
            size_t n = 0;
            for (size_t i = 0; i < d->w->ninputs; i++) {
                const char *v = ofb_run_input(d->run, d->w->in[i].id);
                if (v)
                    in[n++] = (ofb_kv){d->w->in[i].id, v};
            }
            rc = ofb_workflow_plan(d->w->wf, in, n, on_plan, NULL, &err);
            FZ_CHECK(rc == 0, "plan of the run's own inputs: %s",
                     err.message);
            break;
        }
        default: {
            what = "bind";
            unsigned b = fz_byte(&d->in);
            if (b % 4 == 0) {
                ofb_run_set_handlers(d->run, NULL);
            } else if (b % 4 == 1) {
                rc = ofb_run_bind(d->run, OFB_BIND_STEP, pick_step(d),
                                  handler, d, NULL, &err);
            } else if (b % 4 == 2 && d->w->nroles) {
                rc = ofb_run_bind(d->run, OFB_BIND_ROLE,
                                  d->w->roles[fz_byte(&d->in) % d->w->nroles],
                                  handler, d, NULL, &err);
            } else {
                rc = ofb_run_bind(d->run, OFB_BIND_DEFAULT, NULL, handler, d,
                                  NULL, &err);
            }
            FZ_CHECK(rc == 0 || rc == OFB_ENOTFOUND, "bind: %d", rc);
            break;
        }
        }
        fz_snap_free(&before);
        check(d, what);
    }

    if (d->journaled)
        reopen(d);
    ofb_run_free(d->run);
    if (d->journaled)
        fz_store_free(&d->store);
    return 0;
}
