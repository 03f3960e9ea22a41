/*
 * cmd_def.c - verbs about workflow definitions: list, show, check, dot,
 * mermaid, plan, checklist, import-checklist.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- loading */

static void print_diag(const ofb_error *e, void *payload)
{
    int *count = payload;
    (*count)++;
    fprintf(stderr, "%s\n", e->message);
}

static int looks_like_path(const char *name)
{
    size_t n = strlen(name);
    return strchr(name, '/') != NULL ||
           (n > 4 && strcmp(name + n - 4, ".ofb") == 0);
}

int cli_load_workflow(const char *name, ofb_workflow **out)
{
    ofb_error err;
    memset(&err, 0, sizeof err);
    int rc;
    *out = NULL;
    if (ofb_builtin_source(name)) {
        rc = ofb_builtin_load(out, name, NULL, &err);
        return rc ? cli_fail(name, rc, &err) : EXIT_OK;
    }
    FILE *f = fopen(name, "rb");
    if (!f) {
        if (errno == ENOENT && !looks_like_path(name)) {
            cli_usage_error(NULL, "no built-in workflow '%s' and no file of "
                                  "that name (see `ofb list`)", name);
            return EXIT_USAGE;
        }
        fprintf(stderr, "ofb: %s: cannot read: %s\n", name, strerror(errno));
        return EXIT_IO;
    }
    fclose(f);
    int count = 0;
    ofb_parse_opts opts = {NULL, print_diag, &count, 0};
    rc = ofb_workflow_load_file(out, name, &opts, &err);
    if (rc == OFB_OK)
        return EXIT_OK;
    if (count == 0)
        return cli_fail(name, rc, &err);
    fprintf(stderr, "ofb: %s: invalid workflow (%d error%s)\n", name, count,
            count > 1 ? "s" : "");
    return cli_exit_for(rc);
}

int cli_is_journal(const char *path)
{
    if (ofb_builtin_source(path))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    /* A definition's first statement is `workflow`, after comments and
     * blank lines; anything else is taken for a journal. */
    int c, at_line_start = 1, in_comment = 0, journal = 1;
    char word[9];
    size_t wn = 0;
    for (long n = 0; n < (1L << 20) && (c = getc(f)) != EOF; n++) {
        if (in_comment) {
            if (c == '\n')
                in_comment = 0, at_line_start = 1;
            continue;
        }
        if (at_line_start && (c == ' ' || c == '\t' || c == '\r' ||
                              c == '\n'))
            continue;
        if (at_line_start && c == '#') {
            in_comment = 1;
            continue;
        }
        at_line_start = 0;
        word[wn++] = (char)c;
        if (wn == 8) {
            journal = memcmp(word, "workflow", 8) != 0;
            break;
        }
    }
    fclose(f);
    return journal;
}

/* ------------------------------------------------------------- list, show */

int cmd_list(cli_args *a)
{
    (void)a;
    for (size_t i = 0; i < ofb_builtin_count(); i++) {
        const char *name = ofb_builtin_name(i);
        ofb_workflow *wf;
        ofb_error err;
        if (ofb_builtin_load(&wf, name, NULL, &err) != OFB_OK) {
            printf("%-24s (does not load: %s)\n", name, err.message);
            continue;
        }
        printf("%-24s v%-3u %4zu steps  %s\n", name,
               ofb_workflow_version(wf), ofb_workflow_step_count(wf),
               ofb_workflow_title(wf));
        ofb_workflow_unref(wf);
    }
    return EXIT_OK;
}

static const char *type_name(ofb_type t)
{
    switch (t) {
    case OFB_TYPE_STRING: return "string";
    case OFB_TYPE_BOOL: return "bool";
    case OFB_TYPE_DATE: return "date";
    case OFB_TYPE_CHOICE: return "choice";
    }
    return "?";
}

static void print_duration(int64_t s)
{
    if (s > 0 && s % 86400 == 0)
        printf("%lldd", (long long)(s / 86400));
    else if (s > 0 && s % 3600 == 0)
        printf("%lldh", (long long)(s / 3600));
    else if (s > 0 && s % 60 == 0)
        printf("%lldm", (long long)(s / 60));
    else
        printf("%llds", (long long)s);
}

int cmd_show(cli_args *a)
{
    ofb_workflow *wf;
    int rc = cli_load_workflow(a->pos[0], &wf);
    if (rc)
        return rc;
    printf("%s v%u: %s\n", ofb_workflow_id(wf), ofb_workflow_version(wf),
           ofb_workflow_title(wf));
    if (*ofb_workflow_doc(wf))
        printf("%s\n", ofb_workflow_doc(wf));
    printf("definition %s\n", ofb_workflow_hash(wf));
    size_t ni = ofb_workflow_input_count(wf);
    printf("\ninputs (%zu):\n", ni);
    for (size_t i = 0; i < ni; i++) {
        ofb_input_info in;
        if (ofb_workflow_input(wf, i, &in) != OFB_OK)
            continue;
        printf("  %-20s %s", in.id, type_name(in.type));
        if (in.type == OFB_TYPE_CHOICE) {
            printf("(");
            for (size_t c = 0; c < in.nchoices; c++)
                printf("%s%s", c ? ", " : "", in.choices[c]);
            printf(")");
        }
        if (in.required)
            printf(" required");
        if (in.default_value)
            printf(" default %s", in.default_value);
        if (*in.description)
            printf("  \"%s\"", in.description);
        printf("\n");
    }
    size_t n = ofb_workflow_step_count(wf);
    printf("\nsteps (%zu), in the order they run:\n", n);
    for (size_t k = 0; k < n; k++) {
        size_t i;
        ofb_step_info si;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        printf("%4zu. %s  \"%s\"\n", k + 1, si.id, si.title);
        printf("        role: %s\n", *si.role ? si.role : "(none)");
        if (*si.action)
            printf("        action: %s\n", si.action);
        if (si.nafter) {
            printf("        after:");
            for (size_t p = 0; p < si.nafter; p++)
                printf(" %s", si.after[p]);
            printf("\n");
        }
        if (*si.when)
            printf("        when: %s\n", si.when);
        if (*si.wait_event) {
            printf("        wait: %s", si.wait_event);
            if (si.wait_timeout > 0) {
                printf(" (timeout ");
                print_duration(si.wait_timeout);
                printf(")");
            }
            printf("\n");
        }
        if (si.retry_count) {
            printf("        retry: %u", si.retry_count);
            if (si.retry_backoff > 0) {
                printf(" (backoff ");
                print_duration(si.retry_backoff);
                printf(")");
            }
            printf("\n");
        }
        if (si.flags)
            printf("        flags:%s%s%s\n",
                   si.flags & OFB_STEP_MANUAL ? " manual" : "",
                   si.flags & OFB_STEP_OPTIONAL ? " optional" : "",
                   si.flags & OFB_STEP_IRREVERSIBLE ? " irreversible" : "");
    }
    ofb_workflow_unref(wf);
    return EXIT_OK;
}

/* ------------------------------------------------------------- check */

int cmd_check(cli_args *a)
{
    int worst = EXIT_OK;
    for (int i = 0; i < a->npos; i++) {
        const char *path = a->pos[i];
        ofb_error err;
        memset(&err, 0, sizeof err);
        int count = 0;
        ofb_parse_opts opts = {NULL, print_diag, &count, 0};
        ofb_workflow *wf = NULL;
        int rc = ofb_workflow_load_file(&wf, path, &opts, &err);
        int ex;
        if (rc == OFB_OK) {
            printf("%s: ok: %s v%u, %zu steps, %zu inputs, definition %.12s\n",
                   path, ofb_workflow_id(wf), ofb_workflow_version(wf),
                   ofb_workflow_step_count(wf), ofb_workflow_input_count(wf),
                   ofb_workflow_hash(wf));
            ofb_workflow_unref(wf);
            ex = EXIT_OK;
        } else if (count) {
            fprintf(stderr, "ofb: %s: invalid (%d error%s)\n", path, count,
                    count > 1 ? "s" : "");
            ex = cli_exit_for(rc);
        } else {
            ex = cli_fail(path, rc, &err);
        }
        if (ex > worst)
            worst = ex;
    }
    return worst;
}

/* ------------------------------------------------------------- graphs */

/* WF or JOURNAL: a workflow, and the run when it is a journal. */
static int load_wf_or_run(const char *arg, ofb_workflow **wf, ofb_run **run)
{
    *run = NULL;
    *wf = NULL;
    if (cli_is_journal(arg)) {
        int rc = cli_open_run(arg, 1, run);
        if (rc)
            return rc;
        *wf = ofb_workflow_ref(ofb_run_workflow(*run));
        return EXIT_OK;
    }
    return cli_load_workflow(arg, wf);
}

static int graph(cli_args *a, int mermaid)
{
    ofb_workflow *wf;
    ofb_run *run;
    int rc = load_wf_or_run(a->pos[0], &wf, &run);
    if (rc)
        return rc;
    rc = mermaid ? ofb_export_mermaid(wf, run, cli_write_file, stdout)
                 : ofb_export_dot(wf, run, cli_write_file, stdout);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return rc ? cli_fail(a->pos[0], rc, NULL) : EXIT_OK;
}

int cmd_dot(cli_args *a) { return graph(a, 0); }
int cmd_mermaid(cli_args *a) { return graph(a, 1); }

/* ------------------------------------------------------------- plan */

typedef struct plan_ctx {
    const ofb_workflow *wf;
    size_t run, skip, depends;
} plan_ctx;

static int on_plan(const ofb_plan_item *it, void *payload)
{
    plan_ctx *p = payload;
    ofb_step_info si;
    if (ofb_workflow_step(p->wf, it->step, &si) != OFB_OK)
        return 0;
    const char *kind = it->kind == OFB_PLAN_RUN    ? "run"
                       : it->kind == OFB_PLAN_SKIP ? "skip"
                                                   : "?";
    if (it->kind == OFB_PLAN_RUN)
        p->run++;
    else if (it->kind == OFB_PLAN_SKIP)
        p->skip++;
    else
        p->depends++;
    printf("%4zu. %-4s  %-30s  ", it->position, kind, si.id);
    if (*si.role) {
        cli_print_role(stdout, si.role);
        printf(" >> ");
    }
    printf("%s", si.title);
    if (si.flags & OFB_STEP_IRREVERSIBLE)
        printf("  [irreversible]");
    if (*si.wait_event)
        printf("  [waits for %s]", si.wait_event);
    if (it->kind != OFB_PLAN_RUN && it->reason && *it->reason)
        printf("  -- %s", it->reason);
    printf("\n");
    return 0;
}

int cmd_plan(cli_args *a)
{
    ofb_workflow *wf;
    int rc = cli_load_workflow(a->pos[0], &wf);
    if (rc)
        return rc;
    printf("plan of %s v%u", ofb_workflow_id(wf), ofb_workflow_version(wf));
    for (size_t i = 0; i < a->nsets; i++)
        printf("%s%s=%s", i ? ", " : " with ", a->sets[i].key,
               a->sets[i].value);
    printf(":\n");
    plan_ctx p = {wf, 0, 0, 0};
    ofb_error err;
    memset(&err, 0, sizeof err);
    rc = ofb_workflow_plan(wf, a->sets, a->nsets, on_plan, &p, &err);
    if (rc) {
        rc = cli_fail(a->pos[0], rc, &err);
    } else {
        printf("%zu steps run, %zu skipped", p.run, p.skip);
        if (p.depends)
            printf(", %zu decided during the run (set their inputs to know)",
                   p.depends);
        printf("\n");
    }
    ofb_workflow_unref(wf);
    return rc;
}

/* ------------------------------------------------------------- checklist */

int cmd_checklist(cli_args *a)
{
    ofb_workflow *wf;
    ofb_run *run;
    int journal = cli_is_journal(a->pos[0]);
    if (journal && a->nsets) {
        cli_usage_error(a->verb, "--set is for a workflow; a journal has "
                                 "its inputs (use `ofb set`)");
        return EXIT_USAGE;
    }
    int rc = load_wf_or_run(a->pos[0], &wf, &run);
    if (rc)
        return rc;
    ofb_error err;
    memset(&err, 0, sizeof err);
    if (!journal && a->nsets) {
        /* A run kept in memory only, so the steps that do not apply for
         * these inputs are struck out. */
        ofb_time now = cli_now();
        ofb_act act = {cli_actor(a), NULL, NULL, 0, now, NULL, 0};
        int r = ofb_run_new(&run, wf, "checklist", NULL, &err);
        for (size_t i = 0; r == OFB_OK && i < a->nsets; i++)
            r = ofb_run_set_input(run, a->sets[i].key, a->sets[i].value, &act,
                                  &err);
        if (r == OFB_OK)
            r = ofb_run_start(run, &act, &err);
        if (r == OFB_OK)
            r = ofb_run_advance(run, now, NULL, &err);
        if (r != OFB_OK) {
            rc = cli_fail(a->pos[0], r, &err);
            ofb_run_free(run);
            ofb_workflow_unref(wf);
            return rc;
        }
    }
    rc = ofb_export_checklist(wf, run, cli_write_file, stdout);
    if (rc)
        rc = cli_fail(a->pos[0], rc, NULL);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return rc;
}

/* ------------------------------------------------------------- import */

typedef struct membuf {
    char *data;
    size_t len, cap;
} membuf;

static int mem_write(const char *data, size_t len, void *payload)
{
    membuf *m = payload;
    if (m->len + len + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->len + len + 1)
            cap *= 2;
        char *p = realloc(m->data, cap);
        if (!p)
            return OFB_ENOMEM;
        m->data = p;
        m->cap = cap;
    }
    memcpy(m->data + m->len, data, len);
    m->len += len;
    m->data[m->len] = '\0';
    return 0;
}

static int note_write(const char *data, size_t len, void *payload)
{
    (void)payload;
    fputs("ofb: ", stderr);
    fwrite(data, 1, len, stderr);
    return 0;
}

static int read_all(const char *path, membuf *m)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ofb: %s: cannot read: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    char chunk[65536];
    size_t n;
    int rc = EXIT_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (m->len + n > (size_t)OFB_FILE_MAX) {
            fprintf(stderr, "ofb: %s: bigger than %u bytes\n", path,
                    (unsigned)OFB_FILE_MAX);
            rc = EXIT_REFUSED;
            break;
        }
        if (mem_write(chunk, n, m) != 0) {
            fprintf(stderr, "ofb: %s: out of memory\n", path);
            rc = EXIT_IO;
            break;
        }
    }
    if (rc == EXIT_OK && ferror(f)) {
        fprintf(stderr, "ofb: %s: cannot read: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    fclose(f);
    return rc;
}

int cmd_import(cli_args *a)
{
    const char *path = a->pos[0];
    membuf in = {NULL, 0, 0}, out = {NULL, 0, 0};
    int rc = read_all(path, &in);
    if (rc) {
        free(in.data);
        return rc;
    }
    ofb_error err;
    memset(&err, 0, sizeof err);
    int r = ofb_import_checklist(in.data ? in.data : "", in.len, path,
                                 mem_write, &out, note_write, NULL, &err);
    if (r != OFB_OK) {
        rc = cli_fail(NULL, r, &err);
    } else {
        /* The result must be a valid definition; say so if it is not
         * rather than hand over something that will not load. */
        int count = 0;
        ofb_parse_opts opts = {NULL, print_diag, &count, 0};
        ofb_workflow *wf = NULL;
        r = ofb_workflow_parse(&wf, out.data, out.len, "<imported>", &opts,
                               &err);
        if (r != OFB_OK) {
            fprintf(stderr, "ofb: %s: the imported definition does not "
                            "load (%s); this is a bug in the importer\n",
                    path, ofb_strerror(r));
            rc = EXIT_IO;
        } else {
            fwrite(out.data, 1, out.len, stdout);
            fprintf(stderr, "ofb: %s: imported %zu steps and %zu inputs as "
                            "workflow '%s'\n",
                    path, ofb_workflow_step_count(wf),
                    ofb_workflow_input_count(wf), ofb_workflow_id(wf));
        }
        ofb_workflow_unref(wf);
    }
    free(in.data);
    free(out.data);
    return rc;
}
