/*
 * ofb.h - libofb, customer-offboarding procedures as explicit state machines.
 *
 * This is the one public header. If it is not declared here, it is not API.
 *
 * Conventions used by every function below:
 *   - Functions that can fail return an int: 0 (OFB_OK) on success, a negative
 *     OFB_E... code otherwise. ofb_strerror() names a code.
 *   - Out-parameters come first; an optional `ofb_error *err` comes last but
 *     before any user payload. When err is non-NULL and the call fails, it is
 *     filled with a one-line message a person can act on.
 *   - Input strings are copied. Returned `const char *` are borrowed: valid
 *     until their owner (the workflow or the run) is freed.
 *   - `_free(NULL)` / `_unref(NULL)` are harmless no-ops.
 *   - The library keeps no global mutable state, never sleeps, spawns no
 *     thread and never reads the clock: time is passed in by the host.
 *   - A sealed workflow is immutable and may be shared by runs in any number
 *     of threads. One run must be used by one thread at a time.
 *   - When a call that takes a callback fails before its work starts, the
 *     callback is never called. A negative value returned by a user callback
 *     is returned unchanged by the call that invoked it.
 */
#ifndef OFB_H
#define OFB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(OFB_BUILDING) && defined(__GNUC__)
#define OFB_API __attribute__((visibility("default")))
#else
#define OFB_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                  */

#define OFB_VERSION_MAJOR 0
#define OFB_VERSION_MINOR 1
#define OFB_VERSION_PATCH 0
#define OFB_VERSION_NUMBER \
    (OFB_VERSION_MAJOR * 10000 + OFB_VERSION_MINOR * 100 + OFB_VERSION_PATCH)
#define OFB_VERSION_STRING "0.1.0"

/* The version of the library actually linked, "MAJOR.MINOR.PATCH". Compare
 * with OFB_VERSION_STRING to catch a header/library mismatch. */
OFB_API const char *ofb_version(void);
/* Same as a number, comparable with OFB_VERSION_NUMBER. */
OFB_API int ofb_version_number(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

enum {
    OFB_OK = 0,
    OFB_ENOMEM = -1,       /* an allocation failed; nothing was changed */
    OFB_EINVAL = -2,       /* bad argument (NULL, malformed id, bad value) */
    OFB_ESYNTAX = -3,      /* a definition or guard does not parse */
    OFB_EDEFINITION = -4,  /* a definition is inconsistent (unknown id,
                              duplicate, cycle, type error in a guard) */
    OFB_ENOTFOUND = -5,    /* no such step, input, event or built-in */
    OFB_ESEALED = -6,      /* workflow sealed (cannot change) or not sealed
                              (cannot run) */
    OFB_ESTATE = -7,       /* the run is not in the right phase (not started,
                              already started, completed, cancelled) */
    OFB_EPREREQ = -8,      /* refused: a prerequisite is not settled */
    OFB_EGUARD = -9,       /* refused: the step's guard is false (the step
                              does not apply to this run) */
    OFB_ENEEDINPUT = -10,  /* refused: an input must be set first */
    OFB_ENOTREADY = -11,   /* refused: the step is not in a state that allows
                              this (already done, running, waiting, ...) */
    OFB_ENOTOPTIONAL = -12,/* refused: only optional steps may be skipped */
    OFB_ECONFIRM = -13,    /* refused: irreversible step not yet confirmed */
    OFB_ETYPE = -14,       /* an input value does not fit the input's type */
    OFB_EIO = -15,         /* the journal's store failed to read or write */
    OFB_ECORRUPT = -16,    /* the journal is damaged or was altered */
    OFB_EBUSY = -17,       /* the journal is in use by another writer */
    OFB_EMISMATCH = -18,   /* the journal belongs to another definition */
    OFB_ELIMIT = -19,      /* a documented limit was passed */
    OFB_EUSER = -20        /* generic failure reported by a user callback */
};

/* A short English description of an error code ("prerequisite not
 * settled"). Never NULL. */
OFB_API const char *ofb_strerror(int code);

#define OFB_ID_MAX 64            /* bytes in an id */
#define OFB_STRING_MAX 4096      /* bytes in a string after unescaping */
#define OFB_STEPS_MAX 1000000    /* steps in one workflow */
#define OFB_FILE_MAX (64u << 20) /* bytes in one .ofb file */

/*
 * An error record, owned by the caller (usually on the stack). Every field
 * is filled on failure; fields that do not apply are 0 or "".
 *   file, line, column  where in a definition (line and column from 1)
 *   step                the step concerned (refusals, definition errors)
 *   detail              the prerequisite, input or event concerned
 *   message             one line, e.g.
 *     "cannot complete 'offboarding_complete_tag': prerequisite
 *      'tags_removed' is not done"
 *   count               how many errors were found (parsing may find more
 *                       than one; this record holds the first)
 */
typedef struct ofb_error {
    int code;
    int line;
    int column;
    int count;
    char file[256];
    char step[OFB_ID_MAX + 1];
    char detail[OFB_ID_MAX + 1];
    char message[512];
} ofb_error;

/* Receives each error of a parse or a seal, in order. */
typedef void (*ofb_diag_fn)(const ofb_error *e, void *payload);

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

/*
 * An allocator. Objects remember the allocator they were made with and free
 * through it. realloc must behave like C's realloc (NULL pointer = malloc).
 * The functions may be called from any thread that uses an object made with
 * them. Pass NULL wherever an allocator is asked for to use malloc/free.
 */
typedef struct ofb_allocator {
    void *(*malloc)(size_t size, void *ud);
    void *(*realloc)(void *ptr, size_t size, void *ud);
    void (*free)(void *ptr, void *ud);
    void *ud;
} ofb_allocator;

/* Frees a payload when its holder is done with it (see handlers). */
typedef void (*ofb_free_fn)(void *payload);

/* Receives text produced by exporters, in pieces. Return 0 to continue, a
 * negative value to stop (that value is returned by the exporter). */
typedef int (*ofb_write_fn)(const char *data, size_t len, void *payload);

/* A key=value pair: evidence ("ticket=T123") or an input assignment. */
typedef struct ofb_kv {
    const char *key;
    const char *value;
} ofb_kv;

/* Time, in seconds since the Unix epoch, always supplied by the host. */
typedef int64_t ofb_time;
#define OFB_NEVER INT64_MAX

/* ------------------------------------------------------------------------ */
/* Workflows: definition                                                    */

typedef struct ofb_workflow ofb_workflow;

typedef enum ofb_type {
    OFB_TYPE_STRING = 0,
    OFB_TYPE_BOOL = 1,
    OFB_TYPE_DATE = 2,  /* YYYY-MM-DD */
    OFB_TYPE_CHOICE = 3
} ofb_type;

/* An input of a run. */
typedef struct ofb_input_def {
    const char *id;                 /* [a-z][a-z0-9_-]*, <= 64 bytes */
    ofb_type type;
    const char *const *choices;     /* OFB_TYPE_CHOICE: the allowed ids */
    size_t nchoices;
    int required;                   /* start refuses to begin without it */
    const char *default_value;      /* text form, or NULL for none */
    const char *description;        /* or NULL */
} ofb_input_def;

/* Step flags. */
#define OFB_STEP_MANUAL 1u       /* a person does it, never a handler */
#define OFB_STEP_OPTIONAL 2u     /* may be skipped by an actor or handler */
#define OFB_STEP_IRREVERSIBLE 4u /* must be confirmed before it runs */

/* A step. Every pointer may be NULL except id and title. */
typedef struct ofb_step_def {
    const char *id;
    const char *title;
    const char *role;               /* who acts: "csm", "engineer", ... */
    const char *action;             /* handler key shared by several steps */
    const char *const *after;       /* prerequisites (all must settle) */
    size_t nafter;
    const char *when;               /* guard expression text */
    const char *wait_event;         /* once done, wait for this event */
    int64_t wait_timeout;           /* seconds; 0 = wait forever */
    unsigned retry_count;           /* extra attempts after the first */
    int64_t retry_backoff;          /* seconds; doubled at each attempt */
    unsigned flags;                 /* OFB_STEP_* */
    const char *doc;
} ofb_step_def;

/*
 * Creates an empty, unsealed workflow with one reference.
 *   out      receives the new workflow (new reference)
 *   id       the workflow's id (copied)
 *   version  a positive integer
 *   alloc    allocator for the workflow and its runs, or NULL (copied)
 * Returns OFB_OK, OFB_EINVAL (bad id or version 0), OFB_ENOMEM.
 */
OFB_API int ofb_workflow_new(ofb_workflow **out, const char *id,
                             unsigned version, const ofb_allocator *alloc,
                             ofb_error *err);

/* Sets the title / documentation text (copied). OFB_ESEALED once sealed. */
OFB_API int ofb_workflow_set_title(ofb_workflow *wf, const char *title,
                                   ofb_error *err);
OFB_API int ofb_workflow_set_doc(ofb_workflow *wf, const char *doc,
                                 ofb_error *err);

/* Declares an input. Checked at once: id syntax, duplicates, type, choice
 * list, default value. OFB_EINVAL, OFB_EDEFINITION, OFB_ETYPE, OFB_ESEALED,
 * OFB_ENOMEM. */
OFB_API int ofb_workflow_add_input(ofb_workflow *wf, const ofb_input_def *def,
                                   ofb_error *err);

/* Adds a step (every string copied). Id syntax and duplicates are checked
 * at once; references to other steps and the guard are checked by seal, so
 * forward references are allowed. OFB_EINVAL, OFB_EDEFINITION, OFB_ESEALED,
 * OFB_ELIMIT (more than OFB_STEPS_MAX steps), OFB_ENOMEM. */
OFB_API int ofb_workflow_add_step(ofb_workflow *wf, const ofb_step_def *def,
                                  ofb_error *err);

/*
 * Checks the whole definition and compiles it: unknown or duplicate ids,
 * cycles (the message gives the whole cycle path, "a -> b -> c -> a"),
 * guard syntax and types, unknown choice values. Runs in O(steps + edges).
 * After success the workflow is immutable. On failure it stays unsealed and
 * unchanged. OFB_ESYNTAX, OFB_EDEFINITION, OFB_ESEALED (already sealed),
 * OFB_ENOMEM.
 */
OFB_API int ofb_workflow_seal(ofb_workflow *wf, ofb_error *err);

/* Like ofb_workflow_seal, and passes every error found to diag. */
OFB_API int ofb_workflow_seal_ex(ofb_workflow *wf, ofb_diag_fn diag,
                                 void *payload, ofb_error *err);

/* Reference counting (thread-safe). unref frees at zero. */
OFB_API ofb_workflow *ofb_workflow_ref(ofb_workflow *wf);
OFB_API void ofb_workflow_unref(ofb_workflow *wf);

/* ------------------------------------------------------------------------ */
/* Workflows: files, text and built-ins                                     */

/* Options for parsing; pass NULL for the defaults. */
typedef struct ofb_parse_opts {
    const ofb_allocator *alloc; /* NULL = malloc */
    ofb_diag_fn diag;           /* receives every error, may be NULL */
    void *payload;              /* for diag */
    unsigned max_errors;        /* stop after this many; 0 = 20 */
} ofb_parse_opts;

/*
 * Parses .ofb text into a sealed workflow.
 *   out   receives the workflow (new reference) on success
 *   text  the bytes (need not be NUL-terminated), len bytes
 *   name  the file name used in messages ("FILE:LINE:COL: error: ..."), or
 *         NULL for "<text>"
 * Returns OFB_OK, OFB_ESYNTAX, OFB_EDEFINITION, OFB_ELIMIT, OFB_ENOMEM, and
 * the codes of the definition API for values it refuses (OFB_EINVAL: e.g. a
 * retry backoff without a retry count; OFB_ETYPE: a default that does not
 * fit its input). Every one comes with "FILE:LINE:COL: error: ...".
 */
OFB_API int ofb_workflow_parse(ofb_workflow **out, const char *text,
                               size_t len, const char *name,
                               const ofb_parse_opts *opts, ofb_error *err);

/* Reads and parses a file. Adds OFB_EIO (cannot read) and OFB_ELIMIT
 * (bigger than OFB_FILE_MAX). */
OFB_API int ofb_workflow_load_file(ofb_workflow **out, const char *path,
                                   const ofb_parse_opts *opts, ofb_error *err);

/* Writes the canonical .ofb text of a sealed workflow. Parsing that text
 * gives the same workflow. Returns OFB_OK, OFB_ESEALED, or the write_fn's
 * negative value. */
OFB_API int ofb_workflow_write(const ofb_workflow *wf, ofb_write_fn write,
                               void *payload);

/* The SHA-256 of the canonical text, 64 lowercase hex digits. It identifies
 * a definition; journals record it. NULL if the workflow is not sealed. */
OFB_API const char *ofb_workflow_hash(const ofb_workflow *wf);

/* Built-in workflows (the shipped procedures, compiled in). */
OFB_API size_t ofb_builtin_count(void);
/* The i-th built-in's name, or NULL when i is out of range. */
OFB_API const char *ofb_builtin_name(size_t i);
/* Its .ofb source text (static storage), or NULL when unknown. */
OFB_API const char *ofb_builtin_source(const char *name);
/* Parses a built-in by name. OFB_ENOTFOUND when there is none. */
OFB_API int ofb_builtin_load(ofb_workflow **out, const char *name,
                             const ofb_allocator *alloc, ofb_error *err);

/* ------------------------------------------------------------------------ */
/* Workflows: queries (sealed or not; indexes are in definition order)      */

OFB_API const char *ofb_workflow_id(const ofb_workflow *wf);
OFB_API unsigned ofb_workflow_version(const ofb_workflow *wf);
OFB_API const char *ofb_workflow_title(const ofb_workflow *wf); /* or "" */
OFB_API const char *ofb_workflow_doc(const ofb_workflow *wf);   /* or "" */
OFB_API int ofb_workflow_is_sealed(const ofb_workflow *wf);

OFB_API size_t ofb_workflow_step_count(const ofb_workflow *wf);
OFB_API size_t ofb_workflow_input_count(const ofb_workflow *wf);

/* Index of a step / input by id: OFB_OK or OFB_ENOTFOUND. */
OFB_API int ofb_workflow_find_step(const ofb_workflow *wf, const char *id,
                                   size_t *index);
OFB_API int ofb_workflow_find_input(const ofb_workflow *wf, const char *id,
                                    size_t *index);

/* A step as defined. Strings are borrowed from the workflow; absent strings
 * are "" (never NULL); after[] holds prerequisite ids. */
typedef struct ofb_step_info {
    const char *id, *title, *role, *action, *when, *wait_event, *doc;
    const char *const *after;
    size_t nafter;
    int64_t wait_timeout;
    unsigned retry_count;
    int64_t retry_backoff;
    unsigned flags;
} ofb_step_info;

/* Fills *info for step index i. OFB_ENOTFOUND when out of range. */
OFB_API int ofb_workflow_step(const ofb_workflow *wf, size_t i,
                              ofb_step_info *info);

/* An input as defined; default_value is NULL when there is none. */
typedef struct ofb_input_info {
    const char *id;
    ofb_type type;
    const char *const *choices;
    size_t nchoices;
    int required;
    const char *default_value;
    const char *description;  /* "" when none */
} ofb_input_info;

OFB_API int ofb_workflow_input(const ofb_workflow *wf, size_t i,
                               ofb_input_info *info);

/* The i-th step in the sealed workflow's topological order (ties broken by
 * definition order): a step index. OFB_ESEALED if not sealed. */
OFB_API int ofb_workflow_order(const ofb_workflow *wf, size_t i,
                               size_t *step);

/* ------------------------------------------------------------------------ */
/* Plans: what would run for given inputs, nothing run                      */

typedef enum ofb_plan_kind {
    OFB_PLAN_RUN = 0,     /* the step applies and would run */
    OFB_PLAN_SKIP = 1,    /* its guard is false: skipped */
    OFB_PLAN_DEPENDS = 2  /* decided during the run: its guard reads an
                             input that is not set yet */
} ofb_plan_kind;

typedef struct ofb_plan_item {
    size_t step;          /* step index */
    size_t position;      /* 1-based position in the plan */
    ofb_plan_kind kind;
    const char *reason;   /* SKIP/DEPENDS: "when tier == csp is false",
                             "needs input entity_deleted"; "" for RUN.
                             Valid during the callback only. */
} ofb_plan_item;

typedef int (*ofb_plan_fn)(const ofb_plan_item *item, void *payload);

/* Calls fn for every step in topological order. inputs are text values
 * type-checked as by ofb_run_set_input; unset inputs take their defaults.
 * OFB_ESEALED, OFB_ENOTFOUND (unknown input), OFB_ETYPE, OFB_ENOMEM, or
 * fn's negative value. */
OFB_API int ofb_workflow_plan(const ofb_workflow *wf, const ofb_kv *inputs,
                              size_t ninputs, ofb_plan_fn fn, void *payload,
                              ofb_error *err);

/* ------------------------------------------------------------------------ */
/* Journals: storage                                                        */

/*
 * Where a run's journal lives. The library calls these; a host may provide
 * its own (a database row, a network log) by filling this struct, usually
 * as the first member of a larger one. Each returns 0 or a negative code
 * (OFB_EIO, OFB_EBUSY, ...).
 *   read      copies up to cap bytes from offset off into buf; *got = 0 at
 *             the end
 *   append    appends len bytes at the end (one whole record)
 *   sync      makes everything appended so far durable
 *   truncate  cuts the store to len bytes (used to drop a torn last line)
 *   lock      takes the one-writer lock; waits up to timeout_ms (0 = do not
 *             wait) and returns OFB_EBUSY if another writer holds it
 *   close     releases the lock and frees the store
 */
typedef struct ofb_store ofb_store;
struct ofb_store {
    int (*read)(ofb_store *s, uint64_t off, void *buf, size_t cap,
                size_t *got);
    int (*append)(ofb_store *s, const void *data, size_t len);
    int (*sync)(ofb_store *s);
    int (*truncate)(ofb_store *s, uint64_t len);
    int (*lock)(ofb_store *s, int timeout_ms);
    void (*close)(ofb_store *s);
};

/* Opening modes of the file store. */
#define OFB_STORE_CREATE 1   /* create the file if it does not exist */
#define OFB_STORE_EXCL 2     /* with CREATE: fail (OFB_EIO) if it exists */
#define OFB_STORE_READONLY 4 /* never written; lock is a no-op */

/* The default store: a file, appended with one write() per record, locked
 * with an exclusive fcntl lock. OFB_EIO (with the system's reason in err). */
OFB_API int ofb_store_file(ofb_store **out, const char *path, unsigned mode,
                           ofb_error *err);

/* A store in memory (tests, or hosts that copy the bytes elsewhere).
 * ofb_store_memory_data returns its current bytes (borrowed). */
OFB_API int ofb_store_memory(ofb_store **out);
OFB_API int ofb_store_memory_data(ofb_store *s, const char **data,
                                  size_t *len);

/* Closes a store that was never handed to a run. NULL is a no-op. */
OFB_API void ofb_store_close(ofb_store *s);

/* ------------------------------------------------------------------------ */
/* Runs                                                                     */

typedef struct ofb_run ofb_run;

/* When journal records are made durable. */
typedef enum ofb_durability {
    OFB_SYNC_EVERY = 0, /* sync after every record (safest) */
    OFB_SYNC_FLUSH = 1, /* only when the host calls ofb_run_flush */
    OFB_SYNC_NEVER = 2  /* never (tests, benchmarks) */
} ofb_durability;

/* How a step found begun but never finished (a crash during its handler)
 * should be settled. */
typedef enum ofb_verdict {
    OFB_VERIFY_RERUN = 0, /* call the handler again, same idempotency key */
    OFB_VERIFY_DONE = 1   /* it did happen: record it as done */
} ofb_verdict;

/* Asked about each in-doubt step on open. Returns an ofb_verdict, or a
 * negative code to stop the open (returned unchanged). */
typedef int (*ofb_verify_fn)(ofb_run *run, size_t step, const char *key,
                             void *payload);

/* Options for a run; pass NULL for the defaults (no journal). */
typedef struct ofb_run_opts {
    ofb_store *store;          /* journal store; the run takes ownership on
                                  success, the caller keeps it on failure */
    ofb_durability durability; /* default OFB_SYNC_EVERY */
    int lock_timeout_ms;       /* wait for the writer lock; 0 = fail at once */
    ofb_verify_fn verify;      /* in-doubt steps on open; NULL = rerun */
    void *verify_payload;
} ofb_run_opts;

/*
 * Creates a run of a sealed workflow. The run holds a reference to wf.
 *   run_id  identifies the run in idempotency keys and the journal
 *           ([A-Za-z0-9._:-]+, <= 64 bytes)
 *   opts    with a store: the store must be empty; the journal header (the
 *           canonical definition and its hash) is written at once.
 * The run is `new`: set inputs, then start. OFB_ESEALED, OFB_EINVAL,
 * OFB_EBUSY, OFB_EIO, OFB_ENOMEM.
 */
OFB_API int ofb_run_new(ofb_run **out, ofb_workflow *wf, const char *run_id,
                        const ofb_run_opts *opts, ofb_error *err);

/* What ofb_run_open found. */
typedef struct ofb_recovery {
    size_t records;          /* records replayed */
    size_t torn_records;     /* records dropped from a torn end (0 or 1) */
    size_t torn_bytes;       /* bytes dropped */
    size_t in_doubt;         /* steps begun with no outcome */
} ofb_recovery;

/*
 * Opens a run from its journal: replays every record and rebuilds the run
 * exactly. The definition comes from the journal's header; when wf is not
 * NULL it must have the same hash (else OFB_EMISMATCH). A torn last line is
 * dropped and reported in *rec. In-doubt steps are settled with opts->verify
 * on the next advance.
 * OFB_ECORRUPT (err->line is the damaged line), OFB_EMISMATCH, OFB_EBUSY,
 * OFB_EIO, OFB_ENOMEM.
 */
OFB_API int ofb_run_open(ofb_run **out, ofb_workflow *wf,
                         const ofb_run_opts *opts, ofb_recovery *rec,
                         ofb_error *err);

/* Frees a run (syncs and closes its journal store). NULL is a no-op. */
OFB_API void ofb_run_free(ofb_run *run);

/* Makes the journal durable now (OFB_SYNC_FLUSH). OFB_EIO. */
OFB_API int ofb_run_flush(ofb_run *run, ofb_error *err);

OFB_API ofb_workflow *ofb_run_workflow(const ofb_run *run); /* borrowed */
OFB_API const char *ofb_run_id(const ofb_run *run);

/* Who did something, when, and why. Every field may be 0/NULL: actor ""
 * and the run's latest time are used. */
typedef struct ofb_act {
    const char *actor;        /* "alice", "tech:bob" */
    const char *note;         /* free text; a skip's reason */
    const ofb_kv *evidence;   /* proof: ticket numbers, digests */
    size_t nevidence;
    ofb_time time;            /* 0 = the run's latest known time */
    const ofb_kv *inputs;     /* ofb_run_complete only: findings recorded
                                 into inputs, in the same journal record
                                 (a check or a decision made by a person) */
    size_t ninputs;
} ofb_act;

/* Inputs. Values are text, checked against the input's type ("true",
 * "2026-11-30", a choice id). Allowed while new or active; a guard already
 * decided is not revisited. OFB_ENOTFOUND, OFB_ETYPE, OFB_ESTATE, OFB_EIO. */
OFB_API int ofb_run_set_input(ofb_run *run, const char *id, const char *value,
                              const ofb_act *act, ofb_error *err);
/* The current value as text (borrowed), or NULL when unset. */
OFB_API const char *ofb_run_input(const ofb_run *run, const char *id);

/* new -> active. Required inputs without a value refuse with
 * OFB_ENEEDINPUT (err->detail names the input). Defaults apply. */
OFB_API int ofb_run_start(ofb_run *run, const ofb_act *act, ofb_error *err);

/* active -> cancelled. OFB_ESTATE. */
OFB_API int ofb_run_cancel(ofb_run *run, const ofb_act *act, ofb_error *err);

/* ------------------------------------------------------------------------ */
/* Handlers                                                                 */

/* What a handler returns. The order matches the journal's codes. */
typedef enum ofb_outcome {
    OFB_DONE = 0,   /* the work is done (then waits if the step has wait) */
    OFB_WAIT = 1,   /* done on our side, wait for the event named with
                       ofb_call_wait */
    OFB_RETRY = 2,  /* try again after backoff (fails when none left) */
    OFB_FAIL = 3,   /* failed; reason via ofb_call_reason */
    OFB_SKIP = 4    /* not needed (optional steps only) */
} ofb_outcome;

typedef struct ofb_call ofb_call;

/* A step handler. Returns an ofb_outcome, or a negative code to abort
 * ofb_run_advance (which returns it unchanged; the step stays begun and
 * in doubt, and is retried with the same key on the next advance). */
typedef int (*ofb_handler_fn)(ofb_call *call, void *payload);

OFB_API ofb_run *ofb_call_run(const ofb_call *call);
OFB_API size_t ofb_call_step(const ofb_call *call);          /* index */
OFB_API const char *ofb_call_step_id(const ofb_call *call);
OFB_API unsigned ofb_call_attempt(const ofb_call *call);     /* from 1 */
/* "<run-id>/<step-id>/<attempt>": stable across crashes and reruns. */
OFB_API const char *ofb_call_key(const ofb_call *call);
OFB_API ofb_time ofb_call_time(const ofb_call *call);
/* Outcome details (copied). reason: why FAIL/SKIP/RETRY. event: for WAIT. */
OFB_API int ofb_call_reason(ofb_call *call, const char *reason);
OFB_API int ofb_call_wait(ofb_call *call, const char *event);
/* Attaches evidence to the outcome (copied). */
OFB_API int ofb_call_evidence(ofb_call *call, const char *key,
                              const char *value);
/* Records a finding into an input of the run (a check step), applied with
 * a DONE or WAIT outcome and dropped with any other. OFB_ENOTFOUND,
 * OFB_ETYPE. */
OFB_API int ofb_call_set_input(ofb_call *call, const char *id,
                               const char *value);

/* A set of handler bindings for one workflow, shareable by many runs (of
 * one thread at a time). For a step, the most specific binding wins:
 * step id, then action, then role, then the default. */
typedef struct ofb_handlers ofb_handlers;

typedef enum ofb_bind {
    OFB_BIND_STEP = 0,
    OFB_BIND_ACTION = 1,
    OFB_BIND_ROLE = 2,
    OFB_BIND_DEFAULT = 3  /* key ignored */
} ofb_bind;

/* Creates an empty set for a sealed workflow (holds a reference to it). */
OFB_API int ofb_handlers_new(ofb_handlers **out, ofb_workflow *wf,
                             ofb_error *err);
/* Binds fn to key. A previous binding of the same key is replaced and its
 * payload_free called. payload_free (may be NULL) is called when the binding
 * is replaced or the set is freed. On failure payload_free is not called.
 * OFB_ENOTFOUND (no step/action/role of that name), OFB_ENOMEM. */
OFB_API int ofb_handlers_bind(ofb_handlers *h, ofb_bind kind,
                              const char *key, ofb_handler_fn fn,
                              void *payload, ofb_free_fn payload_free,
                              ofb_error *err);
OFB_API ofb_handlers *ofb_handlers_ref(ofb_handlers *h);
OFB_API void ofb_handlers_unref(ofb_handlers *h);

/* Uses h for this run (takes a reference; NULL unbinds). */
OFB_API int ofb_run_set_handlers(ofb_run *run, ofb_handlers *h);
/* Convenience: binds into the run's own set (created on first use). */
OFB_API int ofb_run_bind(ofb_run *run, ofb_bind kind, const char *key,
                         ofb_handler_fn fn, void *payload,
                         ofb_free_fn payload_free, ofb_error *err);

/* ------------------------------------------------------------------------ */
/* Driving a run                                                            */

/*
 * Runs every ready step that has a handler (irreversible ones only once
 * confirmed), fires due retries and wait timeouts, and repeats until
 * nothing more can happen at `now`. *next (may be NULL) receives the time
 * the run next needs advancing, OFB_NEVER if only people or events can move
 * it. Returns OFB_OK, OFB_ESTATE (not active: it is OFB_OK and does nothing
 * once completed), OFB_EIO, OFB_ENOMEM, or a handler's negative value.
 */
OFB_API int ofb_run_advance(ofb_run *run, ofb_time now, ofb_time *next,
                            ofb_error *err);

/* Like ofb_run_advance but runs at most one handler. */
OFB_API int ofb_run_step(ofb_run *run, ofb_time now, ofb_time *next,
                         ofb_error *err);

/*
 * Actions by a person (or a host acting for one). Each refuses a step that
 * is not in a state that allows it, with a distinct code and a message
 * naming the step and the unsettled prerequisite or unmet guard:
 *   OFB_EPREREQ     "cannot complete 'b': prerequisite 'a' is not done"
 *   OFB_EGUARD      "cannot complete 'b': it does not apply (when tier ==
 *                    csp is false)"
 *   OFB_ENEEDINPUT  "cannot complete 'b': needs input 'tier'"
 *   OFB_ECONFIRM    "cannot complete 'b': irreversible, confirm it first"
 *   OFB_ENOTREADY   "cannot complete 'b': it is already done"
 * plus OFB_ENOTFOUND (no such step), OFB_ESTATE (run not active), OFB_EIO.
 */
/* ready or running -> done (or waiting, if the step has a wait event). */
OFB_API int ofb_run_complete(ofb_run *run, const char *step,
                             const ofb_act *act, ofb_error *err);
/* ready -> running: a person starts it. */
OFB_API int ofb_run_begin(ofb_run *run, const char *step, const ofb_act *act,
                          ofb_error *err);
/* ready -> skipped; optional steps only; act->note (the reason) required. */
OFB_API int ofb_run_skip(ofb_run *run, const char *step, const ofb_act *act,
                         ofb_error *err);
/* Confirms a ready irreversible step so that it may run or be completed. */
OFB_API int ofb_run_confirm(ofb_run *run, const char *step,
                            const ofb_act *act, ofb_error *err);
/* running -> failed: a person reports a failure (act->note the reason). */
OFB_API int ofb_run_fail(ofb_run *run, const char *step, const ofb_act *act,
                         ofb_error *err);
/* failed -> ready: try again (the attempt counter goes on). */
OFB_API int ofb_run_retry(ofb_run *run, const char *step, const ofb_act *act,
                          ofb_error *err);
/* Latches an event; waiting steps on it become done. An event that no step
 * waits for is OFB_ENOTFOUND. */
OFB_API int ofb_run_signal(ofb_run *run, const char *event,
                           const ofb_act *act, ofb_error *err);

/* ------------------------------------------------------------------------ */
/* Run state and "what is next"                                             */

typedef enum ofb_run_status {
    OFB_RUN_NEW = 0,
    OFB_RUN_ACTIVE = 1,
    OFB_RUN_COMPLETED = 2,
    OFB_RUN_CANCELLED = 3
} ofb_run_status;

/* Step states. The order of enumeration matters: the journal and the
 * transition table use these values, and every state from OFB_STEP_DONE on
 * is settled. */
typedef enum ofb_step_state {
    OFB_STEP_BLOCKED = 0,
    OFB_STEP_READY = 1,
    OFB_STEP_RUNNING = 2,
    OFB_STEP_WAITING = 3,
    OFB_STEP_RETRYING = 4,
    OFB_STEP_FAILED = 5,
    OFB_STEP_DONE = 6,
    OFB_STEP_SKIPPED = 7
} ofb_step_state;

OFB_API const char *ofb_run_status_name(ofb_run_status s);   /* "active" */
OFB_API const char *ofb_step_state_name(ofb_step_state s);   /* "ready" */

OFB_API ofb_run_status ofb_run_status_get(const ofb_run *run);
/* The latest time the run has seen (from acts and advance). */
OFB_API ofb_time ofb_run_now(const ofb_run *run);

/* A step's live state. */
typedef struct ofb_step_status {
    ofb_step_state state;
    unsigned attempt;        /* attempts begun so far */
    int confirmed;           /* irreversible step confirmed */
    int in_doubt;            /* begun, outcome unknown (after a crash) */
    ofb_time due;            /* RETRYING: when; WAITING: timeout or NEVER */
    const char *event;       /* WAITING: the event, else "" */
} ofb_step_status;

/* OFB_ENOTFOUND when i is out of range. */
OFB_API int ofb_run_step_status(const ofb_run *run, size_t i,
                                ofb_step_status *st);

/* Counts of steps per state, indexed by ofb_step_state. */
OFB_API void ofb_run_counts(const ofb_run *run, size_t counts[8]);

/* Whether an event has been signalled (latched). */
OFB_API int ofb_run_signalled(const ofb_run *run, const char *event);

typedef enum ofb_next_kind {
    OFB_NEXT_DO = 0,       /* ready for a person (manual, no handler) */
    OFB_NEXT_CONFIRM = 1,  /* irreversible, waits for a confirmation */
    OFB_NEXT_AUTO = 2,     /* ready, its handler runs on the next advance */
    OFB_NEXT_RUNNING = 3,  /* begun, outcome awaited */
    OFB_NEXT_EVENT = 4,    /* waiting for an event (event, due) */
    OFB_NEXT_RETRY = 5,    /* retrying at `due` */
    OFB_NEXT_FAILED = 6,   /* failed: retry or intervene */
    OFB_NEXT_BLOCKED = 7,  /* blocked: reason says on what */
    OFB_NEXT_INPUT = 8     /* blocked: its guard needs an input (detail) */
} ofb_next_kind;

typedef struct ofb_next_item {
    size_t step;
    const char *step_id;
    const char *title;
    const char *role;      /* "" when none */
    ofb_next_kind kind;
    const char *event;     /* EVENT: the event name, else "" */
    const char *detail;    /* BLOCKED: the prerequisite; INPUT: the input */
    ofb_time due;          /* EVENT (timeout) / RETRY, else OFB_NEVER */
    const char *reason;    /* readable: "waits for 'a' (role: admin)" */
} ofb_next_item;
/* Strings are valid during the callback only. */

typedef int (*ofb_next_fn)(const ofb_next_item *item, void *payload);

/* Calls fn for each step that is not settled, in topological order:
 * actionable ones (kinds DO..FAILED) and blocked ones with their reason.
 * role (may be NULL) keeps only steps of that role. Returns OFB_OK or fn's
 * negative value. */
OFB_API int ofb_run_next(const ofb_run *run, const char *role, ofb_next_fn fn,
                         void *payload);

/* ------------------------------------------------------------------------ */
/* History and verification                                                 */

/* Journal record kinds. The order of enumeration matters: the values are
 * written in journals. */
typedef enum ofb_event_kind {
    OFB_EV_CREATE = 0,   /* header: definition, hash, run id */
    OFB_EV_INPUT = 1,    /* name = input, value */
    OFB_EV_START = 2,
    OFB_EV_BEGIN = 3,    /* step, attempt */
    OFB_EV_OUTCOME = 4,  /* step, attempt, outcome, name = wait event */
    OFB_EV_COMPLETE = 5, /* step, by an actor */
    OFB_EV_SKIP = 6,     /* step, by an actor */
    OFB_EV_CONFIRM = 7,  /* step */
    OFB_EV_FAIL = 8,     /* step, by an actor */
    OFB_EV_RETRY = 9,    /* step: failed -> ready, by an actor */
    OFB_EV_SIGNAL = 10,  /* name = event */
    OFB_EV_DUE = 11,     /* step: retry time reached, retrying -> ready */
    OFB_EV_TIMEOUT = 12, /* step: wait timed out, waiting -> failed */
    OFB_EV_CANCEL = 13,
    OFB_EV_VERIFY = 14   /* step: in-doubt verdict (outcome) */
} ofb_event_kind;

/* One record of a run's history. Strings are "" when absent and valid
 * during the callback only. */
typedef struct ofb_event {
    ofb_event_kind kind;
    uint64_t seq;          /* record number, from 0 */
    ofb_time time;
    const char *step;      /* step id or "" */
    unsigned attempt;
    int outcome;           /* OUTCOME/VERIFY: ofb_outcome, else -1 */
    const char *name;      /* input, event or "" */
    const char *value;     /* input value or "" */
    const char *actor;
    const char *note;      /* note, or the reason of a FAIL/SKIP */
    const ofb_kv *evidence;
    size_t nevidence;
    const ofb_kv *inputs;  /* inputs set by an OUTCOME */
    size_t ninputs;
} ofb_event;

typedef int (*ofb_event_fn)(const ofb_event *ev, void *payload);

OFB_API const char *ofb_event_kind_name(ofb_event_kind k); /* "begin" */

/* Calls fn for each record of the run's journal, oldest first. A run with
 * no store has no history (fn is never called). OFB_EIO, OFB_ECORRUPT. */
OFB_API int ofb_run_history(ofb_run *run, ofb_event_fn fn, void *payload,
                            ofb_error *err);

/* What ofb_journal_verify found. */
typedef struct ofb_verify_report {
    size_t records;       /* whole records that fit the chain */
    size_t torn_bytes;    /* bytes of a torn last line */
    char last_hash[65];   /* chain hash of the last good record */
} ofb_verify_report;

/* Walks a journal's hash chain (read only, no lock). On the first record
 * that does not fit: OFB_ECORRUPT, err->line its line number and the
 * message says why. A torn last line is reported, not an error. */
OFB_API int ofb_journal_verify(ofb_store *store, ofb_verify_report *rep,
                               ofb_error *err);

/* Reads every record of a journal (read only, no lock), as
 * ofb_run_history does. OFB_EIO, OFB_ECORRUPT. */
OFB_API int ofb_journal_read(ofb_store *store, ofb_event_fn fn, void *payload,
                             ofb_error *err);

/* ------------------------------------------------------------------------ */
/* Exports                                                                  */

/* Graphviz dot / Mermaid flowchart of a sealed workflow: roles, guards,
 * waits, irreversible steps. With run non-NULL, step states are coloured;
 * the run must be of wf or of a workflow with the same hash (else
 * OFB_EINVAL). Returns OFB_OK, OFB_EINVAL, OFB_ESEALED or the write_fn's
 * value. */
OFB_API int ofb_export_dot(const ofb_workflow *wf, const ofb_run *run,
                           ofb_write_fn write, void *payload);
OFB_API int ofb_export_mermaid(const ofb_workflow *wf, const ofb_run *run,
                               ofb_write_fn write, void *payload);

/* Markdown checklist ("- [ ] Role >> Step"), one section per stage. With a
 * journaled run (of the same definition, as for ofb_export_dot), settled
 * steps are ticked with who and when. */
OFB_API int ofb_export_checklist(const ofb_workflow *wf, ofb_run *run,
                                 ofb_write_fn write, void *payload);

/* Turns a Markdown checklist (sections, "- [ ] Role >> Step" lines) into
 * .ofb text: roles from "Role >>", ids from the text, each list's order as
 * a chain, alternative sections (tiers) as guards on a choice input.
 * notes (may be NULL) receives one line per guess made. OFB_ESYNTAX when
 * nothing usable is found, OFB_ELIMIT, OFB_ENOMEM, or a write_fn value. */
OFB_API int ofb_import_checklist(const char *md, size_t len,
                                 const char *name, ofb_write_fn write,
                                 void *payload, ofb_write_fn notes,
                                 void *notes_payload, ofb_error *err);

#ifdef __cplusplus
}
#endif

#endif /* OFB_H */
