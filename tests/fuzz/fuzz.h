/*
 * fuzz.h - what the libFuzzer targets share: a check that aborts (so that
 * libFuzzer keeps the input), a text sink for writers, and a cursor over
 * the fuzzer's bytes.
 */
#ifndef OFB_FUZZ_H
#define OFB_FUZZ_H

#include <ofb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: say which, then abort. */
#define FZ_CHECK(cond, ...)                                                  \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,       \
                    __LINE__, #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* Collects what a writer produces. */
typedef struct fz_text {
    char *data;
    size_t len, cap;
} fz_text;

static inline int fz_text_write(const char *d, size_t n, void *payload)
{
    fz_text *t = payload;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->data, cap);
        if (!p)
            abort();
        t->data = p;
        t->cap = cap;
    }
    memcpy(t->data + t->len, d, n);
    t->len += n;
    t->data[t->len] = '\0';
    return 0;
}

static inline void fz_text_free(fz_text *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

/* Reads the fuzzer's bytes one decision at a time; 0 once they run out. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline unsigned fz_byte(fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline unsigned fz_u16(fz_in *in)
{
    unsigned hi = fz_byte(in);
    return hi << 8 | fz_byte(in);
}

/* Every code a library call may return, for sanity checks. */
static inline int fz_known_code(int rc)
{
    return rc <= 0 && rc >= OFB_EUSER;
}



/* ------------------------------------------------------------ snapshots */

/* Everything a run's journal must rebuild: status, each step's state,
 * attempt, confirmation, doubt, timer and awaited event, each input. */
typedef struct fz_snap {
    int status;
    size_t nsteps, ninputs;
    ofb_step_status *st;
    char **events;
    char **inputs;
} fz_snap;

static inline char *fz_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    return memcpy(d, s, n);
}

static inline void fz_snap_take(fz_snap *s, const ofb_run *run)
{
    const ofb_workflow *wf = ofb_run_workflow(run);
    memset(s, 0, sizeof *s);
    s->status = (int)ofb_run_status_get(run);
    s->nsteps = ofb_workflow_step_count(wf);
    s->ninputs = ofb_workflow_input_count(wf);
    s->st = calloc(s->nsteps + 1, sizeof *s->st);
    s->events = calloc(s->nsteps + 1, sizeof *s->events);
    s->inputs = calloc(s->ninputs + 1, sizeof *s->inputs);
    if (!s->st || !s->events || !s->inputs)
        abort();
    for (size_t i = 0; i < s->nsteps; i++) {
        FZ_CHECK(ofb_run_step_status(run, i, &s->st[i]) == 0, "status");
        s->events[i] = fz_strdup(s->st[i].event);
        s->st[i].event = NULL;
    }
    for (size_t i = 0; i < s->ninputs; i++) {
        ofb_input_info info;
        FZ_CHECK(ofb_workflow_input(wf, i, &info) == 0, "input info");
        s->inputs[i] = fz_strdup(ofb_run_input(run, info.id));
    }
}

static inline void fz_snap_free(fz_snap *s)
{
    for (size_t i = 0; i < s->nsteps; i++)
        free(s->events[i]);
    for (size_t i = 0; i < s->ninputs; i++)
        free(s->inputs[i]);
    free(s->st);
    free(s->events);
    free(s->inputs);
    memset(s, 0, sizeof *s);
}

static inline int fz_streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Aborts, naming the first difference, when two snapshots differ. */
static inline void fz_snap_same(const fz_snap *a, const fz_snap *b,
                                const char *what)
{
    FZ_CHECK(a->status == b->status, "%s: status %d vs %d", what, a->status,
             b->status);
    FZ_CHECK(a->nsteps == b->nsteps, "%s: step count", what);
    for (size_t i = 0; i < a->nsteps; i++) {
        const ofb_step_status *x = &a->st[i], *y = &b->st[i];
        FZ_CHECK(x->state == y->state, "%s: step %zu state %d vs %d", what, i,
                 (int)x->state, (int)y->state);
        FZ_CHECK(x->attempt == y->attempt, "%s: step %zu attempt %u vs %u",
                 what, i, x->attempt, y->attempt);
        FZ_CHECK(x->confirmed == y->confirmed, "%s: step %zu confirmed", what,
                 i);
        FZ_CHECK(x->in_doubt == y->in_doubt, "%s: step %zu in doubt %d vs %d",
                 what, i, x->in_doubt, y->in_doubt);
        FZ_CHECK(x->due == y->due, "%s: step %zu due %lld vs %lld", what, i,
                 (long long)x->due, (long long)y->due);
        FZ_CHECK(fz_streq(a->events[i], b->events[i]),
                 "%s: step %zu event '%s' vs '%s'", what, i, a->events[i],
                 b->events[i]);
    }
    for (size_t i = 0; i < a->ninputs; i++)
        FZ_CHECK(fz_streq(a->inputs[i], b->inputs[i]),
                 "%s: input %zu '%s' vs '%s'", what, i,
                 a->inputs[i] ? a->inputs[i] : "(unset)",
                 b->inputs[i] ? b->inputs[i] : "(unset)");
}

/* ---------------------------------------------------------------- store */

/* A journal store over a buffer the target owns: reads come back in
 * pieces of at most `chunk` bytes (the reader must put lines together),
 * and close leaves the bytes for the target to look at. */
typedef struct fz_store {
    ofb_store base;
    char *data;
    size_t len, cap;
    size_t chunk;
    int closed;
} fz_store;

static inline int fz_store_read(ofb_store *s, uint64_t off, void *buf,
                                size_t cap, size_t *got)
{
    fz_store *f = (fz_store *)s;
    *got = 0;
    if (off >= f->len)
        return OFB_OK;
    size_t n = f->len - (size_t)off;
    if (n > cap)
        n = cap;
    if (f->chunk && n > f->chunk)
        n = f->chunk;
    memcpy(buf, f->data + off, n);
    *got = n;
    return OFB_OK;
}

static inline int fz_store_append(ofb_store *s, const void *d, size_t n)
{
    fz_store *f = (fz_store *)s;
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + n)
            cap *= 2;
        char *p = realloc(f->data, cap);
        if (!p)
            return OFB_ENOMEM;
        f->data = p;
        f->cap = cap;
    }
    if (n)
        memcpy(f->data + f->len, d, n);
    f->len += n;
    return OFB_OK;
}

static inline int fz_store_sync(ofb_store *s)
{
    (void)s;
    return OFB_OK;
}

static inline int fz_store_truncate(ofb_store *s, uint64_t len)
{
    fz_store *f = (fz_store *)s;
    if (len < f->len)
        f->len = (size_t)len;
    return OFB_OK;
}

static inline int fz_store_lock(ofb_store *s, int timeout_ms)
{
    (void)s;
    (void)timeout_ms;
    return OFB_OK;
}

static inline void fz_store_close(ofb_store *s)
{
    ((fz_store *)s)->closed = 1;
}

static inline void fz_store_init(fz_store *f, const void *d, size_t n,
                                 size_t chunk)
{
    memset(f, 0, sizeof *f);
    f->base.read = fz_store_read;
    f->base.append = fz_store_append;
    f->base.sync = fz_store_sync;
    f->base.truncate = fz_store_truncate;
    f->base.lock = fz_store_lock;
    f->base.close = fz_store_close;
    f->chunk = chunk;
    if (fz_store_append(&f->base, d, n))
        abort();
}

static inline void fz_store_free(fz_store *f)
{
    free(f->data);
    memset(f, 0, sizeof *f);
}
#endif
