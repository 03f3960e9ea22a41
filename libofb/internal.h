/*
 * internal.h - private declarations shared by the library's modules.
 * Nothing here is API; nothing outside libofb/ includes this file
 * (tests may, to reach internals they check).
 */
#ifndef OFB_INTERNAL_H
#define OFB_INTERNAL_H

#include "ofb.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#define OFB__NONE UINT32_MAX

#if defined(__GNUC__)
#define OFB__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OFB__PRINTF(a, b)
#endif

/* ---------------------------------------------------------------- util.c */

/* Allocation through an object's allocator (never NULL: the default one is
 * filled in at creation). */
void *ofb__malloc(const ofb_allocator *a, size_t n);
void *ofb__calloc(const ofb_allocator *a, size_t count, size_t n);
void *ofb__realloc(const ofb_allocator *a, void *p, size_t n);
void ofb__free(const ofb_allocator *a, void *p);
char *ofb__strdup(const ofb_allocator *a, const char *s);
/* Copies *src, or the malloc/realloc/free allocator when src is NULL. */
void ofb__alloc_init(ofb_allocator *dst, const ofb_allocator *src);
/* Grows *arr (of elem bytes each, capacity *cap) to hold at least need.
 * OFB_ENOMEM on failure (the array is unchanged), OFB_ELIMIT on overflow. */
int ofb__grow(const ofb_allocator *a, void **arr, size_t elem, uint32_t *cap,
              size_t need);

/* Fills err (if non-NULL): code, message from fmt; other fields cleared.
 * Returns code, so `return ofb__err(err, OFB_EINVAL, "...")` reads well. */
int ofb__err(ofb_error *err, int code, const char *fmt, ...) OFB__PRINTF(3, 4);
/* Same, with a source position: the message is prefixed
 * "FILE:LINE:COL: error: " as a person expects. file may be NULL. */
int ofb__err_at(ofb_error *err, int code, const char *file, int line, int col,
                const char *fmt, ...) OFB__PRINTF(6, 7);
/* Sets err->step / err->detail (truncated to OFB_ID_MAX) after ofb__err. */
void ofb__err_names(ofb_error *err, const char *step, const char *detail);

/* [a-z][a-z0-9_-]*, 1..OFB_ID_MAX bytes. */
bool ofb__valid_id(const char *s, size_t len);
/* Run ids: [A-Za-z0-9._:-]+, 1..OFB_ID_MAX bytes. */
bool ofb__valid_run_id(const char *s);
/* YYYY-MM-DD with a real calendar day; *days = days since 1970-01-01. */
bool ofb__parse_date(const char *s, size_t len, int64_t *days);
/* Whole-buffer UTF-8 validation (no overlongs, no surrogates). Returns the
 * offset of the first bad byte, or len when valid. */
size_t ofb__utf8_check(const char *s, size_t len);

/* An append-only arena for the immutable strings of a workflow. */
typedef struct ofb__arena_chunk ofb__arena_chunk;
typedef struct ofb__arena {
    ofb__arena_chunk *head;
    const ofb_allocator *alloc;
} ofb__arena;
void ofb__arena_init(ofb__arena *ar, const ofb_allocator *a);
void ofb__arena_free(ofb__arena *ar);
void *ofb__arena_alloc(ofb__arena *ar, size_t n); /* 8-aligned; NULL=ENOMEM */
char *ofb__arena_strndup(ofb__arena *ar, const char *s, size_t n);
char *ofb__arena_strdup(ofb__arena *ar, const char *s); /* NULL -> "" */

/* A string -> uint32 map (open addressing). Keys are borrowed: they must
 * outlive the map (arena strings do). */
typedef struct ofb__map {
    const char **keys;
    uint32_t *vals;
    uint32_t *hashes; /* each key's hash: probes compare it before the key,
                         and growing never rereads the keys */
    uint32_t cap; /* power of two, or 0 */
    uint32_t len;
} ofb__map;
int ofb__map_put(ofb__map *m, const ofb_allocator *a, const char *key,
                 uint32_t val); /* OFB_ENOMEM; replaces an existing key */
uint32_t ofb__map_get(const ofb__map *m, const char *key); /* or OFB__NONE */
uint32_t ofb__map_getn(const ofb__map *m, const char *key, size_t len);
void ofb__map_free(ofb__map *m, const ofb_allocator *a);
uint32_t ofb__hash(const char *s, size_t len);

/* A growable byte buffer (exporters, journal encoding). */
typedef struct ofb__buf {
    char *data;
    size_t len, cap;
    const ofb_allocator *alloc;
} ofb__buf;
void ofb__buf_init(ofb__buf *b, const ofb_allocator *a);
int ofb__buf_add(ofb__buf *b, const void *p, size_t n);  /* OFB_ENOMEM */
int ofb__buf_adds(ofb__buf *b, const char *s);
int ofb__buf_addf(ofb__buf *b, const char *fmt, ...) OFB__PRINTF(2, 3);
int ofb__buf_addc(ofb__buf *b, char c);
void ofb__buf_free(ofb__buf *b);

/* Writes a .ofb "quoted string" with escapes. */
int ofb__buf_add_quoted(ofb__buf *b, const char *s);

/* -------------------------------------------------------------- sha256.c */

typedef struct ofb__sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
} ofb__sha256;
void ofb__sha256_init(ofb__sha256 *c);
void ofb__sha256_update(ofb__sha256 *c, const void *p, size_t n);
void ofb__sha256_final(ofb__sha256 *c, unsigned char out[32]);
/* 64 lowercase hex digits and a NUL. */
void ofb__sha256_hex(const unsigned char d[32], char out[65]);
uint32_t ofb__crc32(uint32_t crc, const void *p, size_t n);

/* ------------------------------------------------------------ workflow.c */

/* A position in a source file (1-based; 0 = unknown). */
typedef struct ofb__src {
    uint32_t line, col;
} ofb__src;

/* Where the parts of a step were written, for seal's messages. */
typedef struct ofb__stepsrc {
    ofb__src at;          /* the `step` line */
    ofb__src when;        /* first byte of the guard text */
    ofb__src wait;        /* the wait event */
    const ofb__src *after; /* one per def->after entry, or NULL */
} ofb__stepsrc;

typedef struct ofb__input {
    const char *id;
    ofb_type type;
    const char **choices;      /* arena strings */
    uint32_t nchoices;
    int required;
    const char *default_text;  /* NULL = none */
    int64_t default_i;         /* parsed default (bool/date/choice index) */
    const char *description;   /* "" when none */
    ofb__src at;
} ofb__input;

typedef struct ofb__step {
    /* Absent strings are "" (never NULL); guard, event, role_ix and
     * action_ix below say whether a sealed step has one. */
    const char *id, *title, *role, *action, *when, *wait_event, *doc;
    const char **after;        /* arena; nafter entries */
    uint32_t nafter;
    int64_t wait_timeout, retry_backoff;
    uint32_t retry_count;
    unsigned flags;
    ofb__src at, when_at, wait_at;
    ofb__src *after_at;        /* arena, or NULL */
    uint32_t *after_ix;        /* arena: each after entry's step index when
                                  it was already defined at add time, else
                                  OFB__NONE (seal resolves the rest) */
    /* compiled by seal */
    uint32_t prereq_off, nprereq; /* into wf->prereq */
    uint32_t succ_off, nsucc;     /* into wf->succ */
    uint32_t guard;               /* root node in wf->expr, or OFB__NONE */
    uint32_t event;               /* index into wf->events, or OFB__NONE */
    uint32_t role_ix, action_ix;  /* into wf->roles / wf->actions, or NONE */
    uint32_t pos;                 /* position in wf->order */
} ofb__step;

/* Guard expression nodes (expr.c). Children and value lists are indexes
 * into wf->expr / wf->xval, so a sealed guard is plain data. */
typedef enum ofb__xop {
    OFB__X_OR, OFB__X_AND, OFB__X_NOT,
    OFB__X_EQ, OFB__X_NE, OFB__X_IN, OFB__X_BOOL
} ofb__xop;

typedef struct ofb__xval {
    int64_t i;        /* bool 0/1, date days, choice index */
    const char *s;    /* string inputs: the text */
} ofb__xval;

typedef struct ofb__expr {
    uint8_t op;       /* ofb__xop */
    uint32_t input;   /* EQ/NE/IN/BOOL: the input index */
    uint32_t a, b;    /* OR/AND: children; NOT: a; EQ/NE: a = xval index;
                         IN: a = first xval, b = count */
} ofb__expr;

struct ofb_workflow {
    atomic_long refs;
    ofb_allocator alloc;
    ofb__arena arena;
    int sealed;
    const char *id;
    unsigned version;
    const char *title, *doc;
    const char *file;          /* source name for messages, or NULL */

    ofb__input *inputs;
    uint32_t ninputs, cap_inputs;
    ofb__step *steps;
    uint32_t nsteps, cap_steps;
    ofb__map step_ix, input_ix;

    /* compiled by seal */
    uint32_t *order;           /* topological order (step indexes) */
    uint32_t *prereq, *succ;   /* CSR edge arrays */
    ofb__expr *expr;
    uint32_t nexpr, cap_expr;
    ofb__xval *xval;
    uint32_t nxval, cap_xval;
    const char **events;       /* distinct wait events */
    uint32_t nevents;
    ofb__map event_ix;
    const char **roles, **actions;
    uint32_t nroles, nactions;
    ofb__map role_ix, action_ix;
    char hash[65];
};

/* ofb_workflow_add_step with source positions (the parser). */
int ofb__workflow_add_step_src(ofb_workflow *wf, const ofb_step_def *def,
                               const ofb__stepsrc *src, ofb_error *err);
/* ofb_workflow_add_input with its source position. */
int ofb__workflow_add_input_src(ofb_workflow *wf, const ofb_input_def *def,
                                ofb__src at, ofb_error *err);
/* The name used in messages (copied). */
int ofb__workflow_set_file(ofb_workflow *wf, const char *name);
/* Seal, passing every error to diag, stopping after max_errors. */
int ofb__workflow_seal(ofb_workflow *wf, ofb_diag_fn diag, void *payload,
                       unsigned max_errors, ofb_error *err);

/* Parses a value's text for an input: *i gets the bool/date/choice value.
 * OFB_ETYPE with a message naming the input and the expected type. */
int ofb__input_parse(const ofb__input *in, const char *text, int64_t *i,
                     ofb_error *err);

/* ---------------------------------------------------------------- expr.c */

/* A run's (or a plan's) value of one input. */
typedef struct ofb__ival {
    const char *text;  /* NULL = unset */
    int64_t i;
} ofb__ival;

/* Compiles guard text into wf->expr; *root gets the root node. Errors point
 * into the text: err's column is base.col + byte offset (base.line kept).
 * Nesting deeper than OFB__EXPR_DEPTH is an error, not a crash. */
#define OFB__EXPR_DEPTH 64
int ofb__expr_compile(ofb_workflow *wf, const char *text, ofb__src base,
                      uint32_t *root, ofb_error *err);

/* Evaluates (Kleene logic: an unset input makes a result unknown only when
 * the result depends on it). Returns 1 true, 0 false, -1 unknown with
 * *missing = the first unset input read. No allocation. */
int ofb__expr_eval(const ofb_workflow *wf, uint32_t root,
                   const ofb__ival *vals, uint32_t *missing);

/* --------------------------------------------------------------- write.c */

/* Writes the canonical .ofb text (ofb_workflow_write without the sealed
 * check) and computes wf->hash from it. Called by seal. */
int ofb__workflow_compute_hash(ofb_workflow *wf);

/* ----------------------------------------------------------------- run.c */

/* One change of a run's state: the unit that is checked against the
 * transition table, journaled, then applied. Strings are borrowed. */
typedef struct ofb__ev {
    ofb_event_kind kind;
    ofb_time time;
    uint32_t step;        /* OFB__NONE when none */
    uint32_t attempt;
    int outcome;          /* OUTCOME/VERIFY: ofb_outcome; else -1 */
    const char *name;     /* input, event; BEGIN by advance: "auto" */
    const char *value;    /* input value */
    const char *actor;
    const char *note;
    const ofb_kv *evidence;
    size_t nevidence;
    const ofb_kv *inputs; /* OUTCOME: inputs set by the handler */
    size_t ninputs;
} ofb__ev;

typedef struct ofb__journal ofb__journal;

/* Creates a run with no journal (ofb_run_new without a store). */
int ofb__run_create(ofb_run **out, ofb_workflow *wf, const char *run_id,
                    const ofb_run_opts *opts, ofb_error *err);
/* Attaches an open journal (the run owns it from then on). */
void ofb__run_attach(ofb_run *run, ofb__journal *j);
/* Applies one event: checks it against the transition table, journals it
 * (unless replaying), then changes the run. Refusals leave the run as it
 * was. */
int ofb__run_apply(ofb_run *run, const ofb__ev *ev, bool replay,
                   ofb_error *err);
/* The run's journal, or NULL when it has none (ofb_run_flush and
 * ofb_run_history in journal.c use it). */
ofb__journal *ofb__run_journal(const ofb_run *run);
/* After a replay: marks steps begun by a handler with no outcome in doubt. */
void ofb__run_after_replay(ofb_run *run, size_t *in_doubt);

/* ------------------------------------------------------------- journal.c */

/* Opens a journal on an empty store for a new run: lock, write the CREATE
 * header (definition text, hash, run id). */
int ofb__journal_create(ofb__journal **out, ofb_run *run,
                        const ofb_run_opts *opts, ofb_error *err);
/* Appends one event as one record; syncs when the durability says so.
 * On failure nothing was acknowledged and the caller must not apply it. */
int ofb__journal_append(ofb__journal *j, const ofb_run *run,
                        const ofb__ev *ev, ofb_error *err);
int ofb__journal_flush(ofb__journal *j, ofb_error *err);
int ofb__journal_history(ofb__journal *j, ofb_event_fn fn, void *payload,
                         ofb_error *err);
/* Syncs (unless OFB_SYNC_NEVER), unlocks and closes the store. */
void ofb__journal_close(ofb__journal *j);

/* --------------------------------------------------------------- store.c */

/* Why the last call of a file store failed ("cannot sync journal 'PATH':
 * No space left on device", "journal 'PATH' is in use by another writer
 * (pid N)"), or NULL for other stores: the store interface returns only a
 * code, and messages must name the file and the system's reason. */
const char *ofb__store_message(const ofb_store *s);

#endif /* OFB_INTERNAL_H */
