/*
 * cmd_run.c - verbs about one offboarding, kept in its journal file:
 * start, status, next, done, skip, confirm, signal, set, retry, log.
 *
 * No handler is bound here: every step is done by a person, so after each
 * change the run is advanced (timeouts and retries fall due) and what is
 * next, and for whom, is printed.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------- opening */

static int lock_timeout_ms(void)
{
    const char *s = getenv("OFB_LOCK_TIMEOUT_MS");
    if (s && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (*end == '\0' && v >= 0 && v <= 600000)
            return (int)v;
    }
    return 2000;
}

static int journal_fail(const char *path, int rc, const ofb_error *err)
{
    if (rc == OFB_EBUSY) {
        fprintf(stderr, "ofb: %s: in use: %s; try again when the other "
                        "technician's command has finished\n",
                path, err->message[0] ? err->message : "another writer");
        return EXIT_IO;
    }
    if (rc == OFB_ECORRUPT && err->line > 0) {
        fprintf(stderr, "ofb: %s:%d: damaged journal: %s\n", path, err->line,
                err->message);
        return EXIT_IO;
    }
    return cli_fail(path, rc, err);
}

int cli_open_run(const char *path, int readonly, ofb_run **out)
{
    ofb_error err;
    memset(&err, 0, sizeof err);
    ofb_store *s = NULL;
    int rc = ofb_store_file(&s, path, readonly ? OFB_STORE_READONLY : 0,
                            &err);
    if (rc)
        return journal_fail(path, rc, &err);
    ofb_run_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.store = s;
    opts.durability = OFB_SYNC_EVERY;
    opts.lock_timeout_ms = lock_timeout_ms();
    ofb_recovery rec;
    rc = ofb_run_open(out, NULL, &opts, &rec, &err);
    if (rc) {
        ofb_store_close(s);
        return journal_fail(path, rc, &err);
    }
    if (rec.torn_records)
        fprintf(stderr, "ofb: %s: the last record was incomplete (%zu bytes, "
                        "an interrupted command) and is dropped\n",
                path, rec.torn_bytes);
    return EXIT_OK;
}

/* ------------------------------------------------------------- output */

static void print_time(FILE *f, ofb_time t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[64];
    if (gmtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC",
                                       &tm))
        fputs(buf, f);
    else
        fprintf(f, "@%lld", (long long)t);
}

static const char *kind_name(ofb_next_kind k)
{
    static const char *const names[] = {"do",    "confirm", "auto",
                                        "running", "event", "retry",
                                        "failed", "blocked", "input"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

typedef struct next_ctx {
    FILE *f;
    const char *journal;
    int actionable;     /* 1: kinds DO..FAILED, 0: BLOCKED and INPUT */
    size_t n;
    size_t limit;       /* print at most this many (0 = all) */
    /* who must act: roles of actionable steps */
    const char *roles[64];
    size_t role_n[64];
    size_t nroles;
} next_ctx;

static int is_actionable(ofb_next_kind k)
{
    return k <= OFB_NEXT_FAILED;
}

static int on_next(const ofb_next_item *it, void *payload)
{
    next_ctx *c = payload;
    if (is_actionable(it->kind) != c->actionable)
        return 0;
    c->n++;
    if (c->actionable && *it->role) {
        size_t r;
        for (r = 0; r < c->nroles; r++)
            if (strcmp(c->roles[r], it->role) == 0)
                break;
        if (r < c->nroles)
            c->role_n[r]++;
        else if (c->nroles < 64) {
            /* Role strings are borrowed from the workflow: they outlive
             * the callback. */
            c->roles[c->nroles] = it->role;
            c->role_n[c->nroles++] = 1;
        }
    }
    if (c->limit && c->n > c->limit)
        return 0;
    FILE *f = c->f;
    if (c->actionable) {
        fprintf(f, "  %-8s %-28s %-14s %s", kind_name(it->kind), it->step_id,
                *it->role ? it->role : "-", it->title);
        switch (it->kind) {
        case OFB_NEXT_CONFIRM:
            fprintf(f, "  (irreversible: `ofb confirm %s %s` first)",
                    c->journal, it->step_id);
            break;
        case OFB_NEXT_EVENT:
            fprintf(f, "  [event: %s]", it->event);
            if (it->due != OFB_NEVER) {
                fprintf(f, " (times out ");
                print_time(f, it->due);
                fprintf(f, ")");
            }
            break;
        case OFB_NEXT_RETRY:
            fprintf(f, "  (retry at ");
            print_time(f, it->due);
            fprintf(f, ")");
            break;
        case OFB_NEXT_FAILED:
            fprintf(f, "  (failed: `ofb retry %s %s`)", c->journal,
                    it->step_id);
            break;
        default:
            break;
        }
        fprintf(f, "\n");
    } else {
        fprintf(f, "  %-28s %s\n", it->step_id, it->reason);
    }
    return 0;
}

/* The steps that can be acted on now; returns how many. */
static size_t print_next(ofb_run *run, const char *journal, const char *role,
                         FILE *f, size_t limit, next_ctx *out)
{
    next_ctx c;
    memset(&c, 0, sizeof c);
    c.f = f;
    c.journal = journal;
    c.actionable = 1;
    c.limit = limit;
    ofb_run_next(run, role, on_next, &c);
    if (limit && c.n > limit)
        fprintf(f, "  ... and %zu more (`ofb next %s`)\n", c.n - limit,
                journal);
    if (out)
        *out = c;
    return c.n;
}

/* After a change: what is next, or that it is all over. */
static void print_after(ofb_run *run, const char *journal)
{
    ofb_run_status st = ofb_run_status_get(run);
    if (st == OFB_RUN_COMPLETED) {
        size_t counts[8];
        ofb_run_counts(run, counts);
        printf("The offboarding is complete: %zu steps done, %zu skipped.\n",
               counts[OFB_STEP_DONE], counts[OFB_STEP_SKIPPED]);
        return;
    }
    if (st != OFB_RUN_ACTIVE) {
        printf("The run is %s.\n", ofb_run_status_name(st));
        return;
    }
    printf("next:\n");
    if (print_next(run, journal, NULL, stdout, 8, NULL) == 0)
        printf("  nothing can be done now; see `ofb status %s`\n", journal);
}

/* A refusal names the step and what must happen first; the role of the
 * blocking prerequisite tells who. */
static int refusal(ofb_run *run, const char *journal, int rc,
                   const ofb_error *err)
{
    if (rc == OFB_EBUSY || rc == OFB_ECORRUPT || rc == OFB_EIO)
        return journal_fail(journal, rc, err);
    const char *msg = err->message[0] ? err->message : ofb_strerror(rc);
    fprintf(stderr, "ofb: %s: %s", journal, msg);
    size_t i;
    ofb_step_info si;
    if ((rc == OFB_EPREREQ || rc == OFB_ENOTREADY) && err->detail[0] &&
        !strstr(msg, "(role:") &&
        ofb_workflow_find_step(ofb_run_workflow(run), err->detail, &i) ==
            OFB_OK &&
        ofb_workflow_step(ofb_run_workflow(run), i, &si) == OFB_OK &&
        *si.role)
        fprintf(stderr, " (role: %s)", si.role);
    if (rc == OFB_ECONFIRM && err->step[0])
        fprintf(stderr, "; run `ofb confirm %s %s`", journal, err->step);
    if (rc == OFB_ENEEDINPUT && err->detail[0])
        fprintf(stderr, "; run `ofb set %s %s=...`", journal, err->detail);
    fprintf(stderr, "\n");
    return cli_exit_for(rc);
}

/* ------------------------------------------------------------- start */

/* The run id from the journal's file name: "acme.ofbj" -> "acme". */
static void run_id_from(const char *path, char *id, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (n > OFB_ID_MAX)
        n = OFB_ID_MAX;
    if (n >= cap)
        n = cap - 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == ':' || c == '-';
        id[k++] = ok ? c : '-';
    }
    if (k == 0)
        id[k++] = 'r', id[k++] = 'u', id[k++] = 'n';
    id[k] = '\0';
}

int cmd_start(cli_args *a)
{
    const char *path = a->pos[1];
    ofb_workflow *wf;
    int rc = cli_load_workflow(a->pos[0], &wf);
    if (rc)
        return rc;
    char idbuf[OFB_ID_MAX + 1];
    const char *id = a->id;
    if (!id) {
        run_id_from(path, idbuf, sizeof idbuf);
        id = idbuf;
    }
    ofb_error err;
    memset(&err, 0, sizeof err);
    ofb_store *s = NULL;
    ofb_run *run = NULL;
    int r = ofb_store_file(&s, path, OFB_STORE_CREATE | OFB_STORE_EXCL, &err);
    if (r) {
        ofb_workflow_unref(wf);
        if (access(path, F_OK) == 0) {
            fprintf(stderr, "ofb: %s: a journal of that name exists already; "
                            "an offboarding is started once\n", path);
            return EXIT_IO;
        }
        return journal_fail(path, r, &err);
    }
    ofb_run_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.store = s;
    opts.durability = OFB_SYNC_EVERY;
    opts.lock_timeout_ms = lock_timeout_ms();
    r = ofb_run_new(&run, wf, id, &opts, &err);
    if (r) {
        ofb_store_close(s);
        unlink(path);
        ofb_workflow_unref(wf);
        return cli_fail(path, r, &err);
    }
    ofb_time now = cli_now();
    ofb_act act = {cli_actor(a), a->note, NULL, 0, now, NULL, 0};
    for (size_t i = 0; r == OFB_OK && i < a->nsets; i++)
        r = ofb_run_set_input(run, a->sets[i].key, a->sets[i].value, &act,
                              &err);
    if (r == OFB_OK)
        r = ofb_run_start(run, &act, &err);
    if (r == OFB_OK)
        r = ofb_run_advance(run, now, NULL, &err);
    if (r) {
        /* Nothing was started: leave no half-made journal behind. */
        rc = refusal(run, path, r, &err);
        if (r == OFB_ENEEDINPUT)
            fprintf(stderr, "ofb: %s: give it with --set %s=VALUE\n", path,
                    err.detail[0] ? err.detail : "INPUT");
        ofb_run_free(run);
        unlink(path);
        ofb_workflow_unref(wf);
        return rc;
    }
    printf("Started offboarding '%s' with workflow %s v%u (%zu steps), "
           "journal %s.\n",
           ofb_run_id(run), ofb_workflow_id(wf), ofb_workflow_version(wf),
           ofb_workflow_step_count(wf), path);
    print_after(run, path);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return EXIT_OK;
}

/* ------------------------------------------------------------- status */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

typedef struct json_ctx {
    int actionable;
    int first;
} json_ctx;

static int on_next_json(const ofb_next_item *it, void *payload)
{
    json_ctx *c = payload;
    if (is_actionable(it->kind) != c->actionable)
        return 0;
    printf("%s\n    {\"step\": ", c->first ? "" : ",");
    c->first = 0;
    json_str(stdout, it->step_id);
    printf(", \"title\": ");
    json_str(stdout, it->title);
    printf(", \"role\": ");
    json_str(stdout, it->role);
    printf(", \"kind\": \"%s\", \"event\": ", kind_name(it->kind));
    json_str(stdout, it->event);
    printf(", \"detail\": ");
    json_str(stdout, it->detail);
    if (it->due == OFB_NEVER)
        printf(", \"due\": null");
    else
        printf(", \"due\": %lld", (long long)it->due);
    printf(", \"reason\": ");
    json_str(stdout, it->reason);
    printf("}");
    return 0;
}

static void status_json(ofb_run *run, const char *journal)
{
    ofb_workflow *wf = ofb_run_workflow(run);
    size_t n = ofb_workflow_step_count(wf), counts[8];
    ofb_run_counts(run, counts);
    printf("{\n  \"workflow\": ");
    json_str(stdout, ofb_workflow_id(wf));
    printf(",\n  \"version\": %u,\n  \"title\": ", ofb_workflow_version(wf));
    json_str(stdout, ofb_workflow_title(wf));
    printf(",\n  \"definition\": \"%s\",\n  \"run\": ",
           ofb_workflow_hash(wf));
    json_str(stdout, ofb_run_id(run));
    printf(",\n  \"journal\": ");
    json_str(stdout, journal);
    printf(",\n  \"status\": \"%s\",\n  \"now\": %lld,\n",
           ofb_run_status_name(ofb_run_status_get(run)),
           (long long)ofb_run_now(run));
    printf("  \"counts\": {\"total\": %zu", n);
    for (int s = 0; s < 8; s++)
        printf(", \"%s\": %zu", ofb_step_state_name((ofb_step_state)s),
               counts[s]);
    printf("},\n  \"inputs\": {");
    size_t ni = ofb_workflow_input_count(wf);
    for (size_t i = 0; i < ni; i++) {
        ofb_input_info in;
        if (ofb_workflow_input(wf, i, &in) != OFB_OK)
            continue;
        const char *v = ofb_run_input(run, in.id);
        printf("%s", i ? ", " : "");
        json_str(stdout, in.id);
        printf(": ");
        if (v)
            json_str(stdout, v);
        else
            printf("null");
    }
    printf("},\n  \"next\": [");
    json_ctx c = {1, 1};
    ofb_run_next(run, NULL, on_next_json, &c);
    printf("%s],\n  \"blocked\": [", c.first ? "" : "\n  ");
    c.actionable = 0;
    c.first = 1;
    ofb_run_next(run, NULL, on_next_json, &c);
    printf("%s],\n  \"steps\": [", c.first ? "" : "\n  ");
    for (size_t k = 0; k < n; k++) {
        size_t i;
        ofb_step_info si;
        ofb_step_status st;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK ||
            ofb_run_step_status(run, i, &st) != OFB_OK)
            continue;
        printf("%s\n    {\"id\": ", k ? "," : "");
        json_str(stdout, si.id);
        printf(", \"role\": ");
        json_str(stdout, si.role);
        printf(", \"state\": \"%s\", \"attempt\": %u, \"confirmed\": %s}",
               ofb_step_state_name(st.state), st.attempt,
               st.confirmed ? "true" : "false");
    }
    printf("%s]\n}\n", n ? "\n  " : "");
}

int cmd_status(cli_args *a)
{
    const char *path = a->pos[0];
    ofb_run *run;
    int rc = cli_open_run(path, 1, &run);
    if (rc)
        return rc;
    if (a->json) {
        status_json(run, path);
        ofb_run_free(run);
        return EXIT_OK;
    }
    ofb_workflow *wf = ofb_run_workflow(run);
    size_t n = ofb_workflow_step_count(wf), counts[8];
    ofb_run_counts(run, counts);
    printf("%s v%u: %s\n", ofb_workflow_id(wf), ofb_workflow_version(wf),
           ofb_workflow_title(wf));
    printf("run %s (journal %s): %s\n", ofb_run_id(run), path,
           ofb_run_status_name(ofb_run_status_get(run)));
    /* A bar of 20: '#' done, '-' skipped, '.' the rest. */
    size_t done = counts[OFB_STEP_DONE], skipped = counts[OFB_STEP_SKIPPED];
    size_t hd = n ? done * 20 / n : 20, hs = n ? (done + skipped) * 20 / n
                                               : 20;
    printf("[");
    for (size_t k = 0; k < 20; k++)
        putchar(k < hd ? '#' : k < hs ? '-' : '.');
    printf("] %zu/%zu done", done, n);
    if (skipped)
        printf(", %zu skipped", skipped);
    static const struct {
        ofb_step_state s;
        const char *name;
    } extra[] = {{OFB_STEP_READY, "ready"},
                 {OFB_STEP_RUNNING, "running"},
                 {OFB_STEP_WAITING, "waiting"},
                 {OFB_STEP_RETRYING, "retrying"},
                 {OFB_STEP_FAILED, "failed"},
                 {OFB_STEP_BLOCKED, "blocked"}};
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
        if (counts[extra[k].s])
            printf(", %zu %s", counts[extra[k].s], extra[k].name);
    printf("\n");
    size_t ni = ofb_workflow_input_count(wf);
    if (ni) {
        printf("inputs:");
        for (size_t i = 0; i < ni; i++) {
            ofb_input_info in;
            if (ofb_workflow_input(wf, i, &in) != OFB_OK)
                continue;
            const char *v = ofb_run_input(run, in.id);
            printf(" %s=%s", in.id, v ? v : "(unset)");
        }
        printf("\n");
    }
    ofb_run_status st = ofb_run_status_get(run);
    if (st == OFB_RUN_COMPLETED) {
        printf("The offboarding is complete.\n");
    } else if (st == OFB_RUN_ACTIVE) {
        next_ctx c;
        printf("next:\n");
        if (print_next(run, path, NULL, stdout, 0, &c) == 0)
            printf("  nothing can be done now\n");
        if (c.nroles) {
            printf("who must act:");
            for (size_t r = 0; r < c.nroles; r++)
                printf("%s %s (%zu)", r ? "," : "", c.roles[r], c.role_n[r]);
            printf("\n");
        }
        next_ctx b;
        memset(&b, 0, sizeof b);
        b.f = stdout;
        b.journal = path;
        b.actionable = 0;
        b.limit = 10;
        printf("blocked:\n");
        ofb_run_next(run, NULL, on_next, &b);
        if (b.n == 0)
            printf("  nothing\n");
        else if (b.n > b.limit)
            printf("  ... and %zu more\n", b.n - b.limit);
    }
    ofb_run_free(run);
    return EXIT_OK;
}

int cmd_next(cli_args *a)
{
    const char *path = a->pos[0];
    ofb_run *run;
    int rc = cli_open_run(path, 1, &run);
    if (rc)
        return rc;
    ofb_run_status st = ofb_run_status_get(run);
    if (st == OFB_RUN_COMPLETED)
        printf("nothing: the offboarding is complete\n");
    else if (st != OFB_RUN_ACTIVE)
        printf("nothing: the run is %s\n", ofb_run_status_name(st));
    else if (print_next(run, path, a->role, stdout, 0, NULL) == 0)
        printf("nothing can be done now%s%s; see `ofb status %s`\n",
               a->role ? " by role " : "", a->role ? a->role : "", path);
    ofb_run_free(run);
    return EXIT_OK;
}

/* ------------------------------------------------------------- changes */

typedef int (*step_op)(ofb_run *, const char *, const ofb_act *,
                       ofb_error *);

static int change(cli_args *a, step_op op, const char *what,
                  const char *note)
{
    const char *path = a->pos[0], *arg = a->pos[1];
    ofb_run *run;
    int rc = cli_open_run(path, 0, &run);
    if (rc)
        return rc;
    ofb_error err;
    memset(&err, 0, sizeof err);
    ofb_time now = cli_now();
    ofb_act act = {cli_actor(a), note, a->evidence, a->nevidence, now,
                   a->sets, a->nsets};
    int r = op(run, arg, &act, &err);
    if (r == OFB_OK)
        r = ofb_run_advance(run, now, NULL, &err);
    if (r) {
        rc = refusal(run, path, r, &err);
        ofb_run_free(run);
        return rc;
    }
    size_t i;
    ofb_step_status st;
    printf("%s: %s (by %s)", what, arg, act.actor);
    if (ofb_workflow_find_step(ofb_run_workflow(run), arg, &i) == OFB_OK &&
        ofb_run_step_status(run, i, &st) == OFB_OK &&
        st.state == OFB_STEP_WAITING)
        printf("; it now waits for event '%s' (`ofb signal %s %s`)",
               st.event, path, st.event);
    printf("\n");
    print_after(run, path);
    ofb_run_free(run);
    return EXIT_OK;
}

int cmd_done(cli_args *a)
{
    return change(a, ofb_run_complete, "done", a->note);
}

int cmd_skip(cli_args *a)
{
    if (!a->why || !*a->why) {
        cli_usage_error(a->verb, "a skip needs its reason: --why TEXT");
        return EXIT_USAGE;
    }
    return change(a, ofb_run_skip, "skipped", a->why);
}

int cmd_confirm(cli_args *a)
{
    return change(a, ofb_run_confirm, "confirmed", a->note);
}

int cmd_signal(cli_args *a)
{
    return change(a, ofb_run_signal, "signalled", a->note);
}

int cmd_retry(cli_args *a)
{
    return change(a, ofb_run_retry, "retry", a->note);
}

int cmd_set(cli_args *a)
{
    const char *path = a->pos[0];
    for (int k = 1; k < a->npos; k++) {
        const char *eq = strchr(a->pos[k], '=');
        if (!eq || eq == a->pos[k]) {
            cli_usage_error(a->verb, "wants KEY=VALUE, not '%s'", a->pos[k]);
            return EXIT_USAGE;
        }
    }
    ofb_run *run;
    int rc = cli_open_run(path, 0, &run);
    if (rc)
        return rc;
    ofb_error err;
    memset(&err, 0, sizeof err);
    ofb_time now = cli_now();
    ofb_act act = {cli_actor(a), NULL, NULL, 0, now, NULL, 0};
    int r = OFB_OK;
    for (int k = 1; r == OFB_OK && k < a->npos; k++) {
        const char *kv = a->pos[k], *eq = strchr(kv, '=');
        char key[OFB_ID_MAX + 2];
        size_t kl = (size_t)(eq - kv);
        if (kl > OFB_ID_MAX)
            kl = OFB_ID_MAX + 1; /* too long: the library says so */
        memcpy(key, kv, kl);
        key[kl] = '\0';
        r = ofb_run_set_input(run, key, eq + 1, &act, &err);
        if (r == OFB_OK)
            printf("set: %s=%s (by %s)\n", key, eq + 1, act.actor);
    }
    if (r == OFB_OK)
        r = ofb_run_advance(run, now, NULL, &err);
    if (r) {
        rc = refusal(run, path, r, &err);
        ofb_run_free(run);
        return rc;
    }
    print_after(run, path);
    ofb_run_free(run);
    return EXIT_OK;
}

/* ------------------------------------------------------------- log */

static const char *outcome_name(int o)
{
    static const char *const names[] = {"done", "wait", "retry", "fail",
                                        "skip"};
    return o >= 0 && o < 5 ? names[o] : "";
}

static int on_log(const ofb_event *ev, void *payload)
{
    (void)payload;
    time_t tt = (time_t)ev->time;
    struct tm tm;
    char when[32] = "-";
    if (ev->time && gmtime_r(&tt, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    printf("%5llu  %-19s  %-12s  %-8s", (unsigned long long)ev->seq, when,
           ev->actor && *ev->actor ? ev->actor : "-",
           ofb_event_kind_name(ev->kind));
    if (ev->kind == OFB_EV_CREATE && ev->step && *ev->step)
        printf("  run=%s", ev->step);
    else if (ev->step && *ev->step)
        printf("  %s", ev->step);
    if (ev->kind == OFB_EV_OUTCOME || ev->kind == OFB_EV_VERIFY)
        printf("  outcome=%s", outcome_name(ev->outcome));
    if (ev->attempt > 1)
        printf("  attempt=%u", ev->attempt);
    if (ev->kind == OFB_EV_INPUT)
        printf("  %s=%s", ev->name, ev->value);
    else if (ev->name && *ev->name)
        printf("  %s", ev->name);
    else if (ev->value && *ev->value)
        printf("  %s", ev->value);
    for (size_t i = 0; i < ev->ninputs; i++)
        printf("  set %s=%s", ev->inputs[i].key, ev->inputs[i].value);
    if (ev->note && *ev->note)
        printf("  note=\"%s\"", ev->note);
    /* The header's facts come as key=value pairs; they are no evidence. */
    for (size_t i = 0; i < ev->nevidence; i++)
        printf("  %s%s=%s", ev->kind == OFB_EV_CREATE ? "" : "evidence ",
               ev->evidence[i].key, ev->evidence[i].value);
    printf("\n");
    return 0;
}

int cmd_log(cli_args *a)
{
    const char *path = a->pos[0];
    ofb_error err;
    memset(&err, 0, sizeof err);
    ofb_store *s = NULL;
    int rc = ofb_store_file(&s, path, OFB_STORE_READONLY, &err);
    if (rc)
        return journal_fail(path, rc, &err);
    if (a->verify) {
        ofb_verify_report rep;
        memset(&rep, 0, sizeof rep);
        rc = ofb_journal_verify(s, &rep, &err);
        ofb_store_close(s);
        if (rc) {
            if (rc == OFB_ECORRUPT)
                fprintf(stderr, "ofb: %s:%d: hash chain broken: %s\n", path,
                        err.line, err.message);
            else
                return journal_fail(path, rc, &err);
            return EXIT_IO;
        }
        printf("%s: hash chain intact: %zu records, last hash %s\n", path,
               rep.records, rep.last_hash);
        if (rep.torn_bytes)
            printf("%s: an incomplete last line (%zu bytes) follows; the "
                   "next writer drops it\n",
                   path, rep.torn_bytes);
        return EXIT_OK;
    }
    printf("%5s  %-19s  %-12s  %-8s  %s\n", "#", "time (UTC)", "actor",
           "event", "step, details");
    rc = ofb_journal_read(s, on_log, NULL, &err);
    ofb_store_close(s);
    return rc ? journal_fail(path, rc, &err) : EXIT_OK;
}
