/*
 * export.c - a workflow (and optionally a run of it) as a Graphviz graph, a
 * Mermaid flowchart, or a Markdown checklist.
 *
 * Only the public queries are used, so the exports show what any host can
 * see. Text is produced into a buffer and handed to the caller's writer in
 * pieces of about 64 KiB.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define FLUSH_AT 65536

typedef struct out {
    ofb__buf b;
    ofb_write_fn write;
    void *payload;
    int rc;         /* first failure: ENOMEM or the writer's value */
} out;

static void out_init(out *o, const ofb_workflow *wf, ofb_write_fn write,
                     void *payload)
{
    ofb__buf_init(&o->b, &wf->alloc);
    o->write = write;
    o->payload = payload;
    o->rc = OFB_OK;
}

static void out_flush(out *o, int force)
{
    if (o->rc != OFB_OK || o->b.len == 0 || (!force && o->b.len < FLUSH_AT))
        return;
    int rc = o->write(o->b.data, o->b.len, o->payload);
    o->b.len = 0;
    if (rc < 0)
        o->rc = rc;
}

static void put(out *o, const char *s)
{
    if (o->rc == OFB_OK)
        o->rc = ofb__buf_adds(&o->b, s);
}

static void putn(out *o, const char *s, size_t n)
{
    if (o->rc == OFB_OK)
        o->rc = ofb__buf_add(&o->b, s, n);
}

#define putf(o, ...)                                                        \
    do {                                                                    \
        if ((o)->rc == OFB_OK)                                              \
            (o)->rc = ofb__buf_addf(&(o)->b, __VA_ARGS__);                  \
    } while (0)

static int out_end(out *o)
{
    out_flush(o, 1);
    ofb__buf_free(&o->b);
    return o->rc;
}

/* ------------------------------------------------------------- states */

/* Fill colours by state, shared by dot and mermaid. Indexed by
 * ofb_step_state. */
static const char *const state_fill[8] = {
    "#ffffff", /* blocked: white */
    "#fff3b0", /* ready: yellow */
    "#fff3b0", /* running: yellow */
    "#b3d9ff", /* waiting: blue */
    "#fff3b0", /* retrying: yellow */
    "#f5a3a3", /* failed: red */
    "#b7e4b0", /* done: green */
    "#d9d9d9", /* skipped: grey */
};

#define IRREVERSIBLE_COLOUR "#c0392b"

/* A step's state, or -1 without a run. */
static int step_state(const ofb_run *run, size_t i)
{
    ofb_step_status st;
    if (!run || ofb_run_step_status(run, i, &st) != OFB_OK)
        return -1;
    return (int)st.state;
}

/* "3d", "2h", "90s": the largest unit that divides the duration. */
static void put_duration(out *o, int64_t s)
{
    if (s > 0 && s % 86400 == 0)
        putf(o, "%lldd", (long long)(s / 86400));
    else if (s > 0 && s % 3600 == 0)
        putf(o, "%lldh", (long long)(s / 3600));
    else if (s > 0 && s % 60 == 0)
        putf(o, "%lldm", (long long)(s / 60));
    else
        putf(o, "%llds", (long long)s);
}

/* ------------------------------------------------------------- dot */

/* Text inside a dot "string": quotes and backslashes escaped (which also
 * keeps dot's \N, \G, \l escapes from being read), newlines as \n. */
static void dot_text(out *o, const char *s)
{
    for (const char *p = s; *p && o->rc == OFB_OK; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', *p};
            putn(o, e, 2);
        } else if (*p == '\n') {
            putn(o, "\\n", 2);
        } else {
            putn(o, p, 1);
        }
    }
}

/* The lines of a node's label, in the form the given escaper expects. */
static void node_label(out *o, const ofb_step_info *si, int state,
                       void (*text)(out *, const char *), const char *nl)
{
    text(o, si->title);
    put(o, nl);
    put(o, "[");
    text(o, si->id);
    put(o, "]");
    if (*si->role) {
        put(o, nl);
        put(o, "role: ");
        text(o, si->role);
    }
    if (*si->when) {
        put(o, nl);
        put(o, "when: ");
        text(o, si->when);
    }
    if (*si->wait_event) {
        put(o, nl);
        put(o, "wait: ");
        text(o, si->wait_event);
        if (si->wait_timeout > 0) {
            put(o, " (timeout ");
            put_duration(o, si->wait_timeout);
            put(o, ")");
        }
    }
    if (si->retry_count) {
        put(o, nl);
        putf(o, "retry: %u", si->retry_count);
    }
    if (si->flags & (OFB_STEP_IRREVERSIBLE | OFB_STEP_OPTIONAL |
                     OFB_STEP_MANUAL)) {
        put(o, nl);
        const char *sep = "";
        if (si->flags & OFB_STEP_IRREVERSIBLE) {
            put(o, "IRREVERSIBLE");
            sep = ", ";
        }
        if (si->flags & OFB_STEP_OPTIONAL) {
            put(o, sep);
            put(o, "optional");
            sep = ", ";
        }
        if (si->flags & OFB_STEP_MANUAL) {
            put(o, sep);
            put(o, "manual");
        }
    }
    if (state >= 0) {
        put(o, nl);
        put(o, "state: ");
        put(o, ofb_step_state_name((ofb_step_state)state));
    }
}

/* The checks every exporter starts with. A run must be of this definition
 * (the same workflow, or one with the same hash, whose steps are the same
 * in the same order): colouring another run's states would be wrong. */
static int export_check(const ofb_workflow *wf, const ofb_run *run,
                        ofb_write_fn write)
{
    if (!wf || !write)
        return OFB_EINVAL;
    if (!ofb_workflow_is_sealed(wf))
        return OFB_ESEALED;
    if (run && ofb_run_workflow(run) != wf &&
        strcmp(ofb_workflow_hash(ofb_run_workflow(run)),
               ofb_workflow_hash(wf)) != 0)
        return OFB_EINVAL;
    return OFB_OK;
}

int ofb_export_dot(const ofb_workflow *wf, const ofb_run *run,
                   ofb_write_fn write, void *payload)
{
    int rc = export_check(wf, run, write);
    if (rc)
        return rc;
    out o;
    out_init(&o, wf, write, payload);
    put(&o, "digraph \"");
    dot_text(&o, ofb_workflow_id(wf));
    put(&o, "\" {\n  graph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", "
            "label=\"");
    dot_text(&o, *ofb_workflow_title(wf) ? ofb_workflow_title(wf)
                                         : ofb_workflow_id(wf));
    putf(&o, " (%s v%u)", ofb_workflow_id(wf), ofb_workflow_version(wf));
    if (run) {
        put(&o, "\\nrun ");
        dot_text(&o, ofb_run_id(run));
        put(&o, ": ");
        put(&o, ofb_run_status_name(ofb_run_status_get(run)));
    }
    put(&o, "\"];\n  node [shape=box, style=\"rounded,filled\", "
            "fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n"
            "  edge [color=\"#555555\", arrowsize=0.7];\n");
    size_t n = ofb_workflow_step_count(wf);
    for (size_t k = 0; k < n && o.rc == OFB_OK; k++) {
        size_t i;
        ofb_step_info si;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        int state = step_state(run, i);
        putf(&o, "  \"%s\" [label=\"", si.id);
        node_label(&o, &si, state, dot_text, "\\n");
        put(&o, "\"");
        /* Irreversible steps: another shape and a red border, so that the
         * difference survives any fill colour and a black-and-white print. */
        if (si.flags & OFB_STEP_IRREVERSIBLE)
            put(&o, ", shape=octagon, color=\"" IRREVERSIBLE_COLOUR
                    "\", penwidth=2.5, fontcolor=\"" IRREVERSIBLE_COLOUR
                    "\"");
        if (si.flags & OFB_STEP_OPTIONAL)
            put(&o, (si.flags & OFB_STEP_IRREVERSIBLE)
                        ? ", style=\"filled,dashed\""
                        : ", style=\"rounded,filled,dashed\"");
        else if (si.flags & OFB_STEP_IRREVERSIBLE)
            put(&o, ", style=\"filled\"");
        if (state >= 0)
            putf(&o, ", fillcolor=\"%s\"", state_fill[state]);
        else if (si.flags & OFB_STEP_IRREVERSIBLE)
            put(&o, ", fillcolor=\"#fdecea\"");
        put(&o, "];\n");
        out_flush(&o, 0);
    }
    for (size_t k = 0; k < n && o.rc == OFB_OK; k++) {
        size_t i;
        ofb_step_info si;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        for (size_t a = 0; a < si.nafter; a++)
            putf(&o, "  \"%s\" -> \"%s\";\n", si.after[a], si.id);
        out_flush(&o, 0);
    }
    put(&o, "}\n");
    return out_end(&o);
}

/* Text inside a YAML "double-quoted" scalar (front matter). */
static void yaml_text(out *o, const char *s)
{
    for (const char *p = s; *p && o->rc == OFB_OK; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', *p};
            putn(o, e, 2);
        } else {
            putn(o, (*p == '\n' || *p == '\t') ? " " : p, 1);
        }
    }
}

/* ------------------------------------------------------------- mermaid */

/* Text inside a Mermaid "quoted label": characters Mermaid or its HTML
 * rendering would read are written as Mermaid's #entity; codes. */
static void mermaid_text(out *o, const char *s)
{
    for (const char *p = s; *p && o->rc == OFB_OK; p++) {
        switch (*p) {
        case '"': put(o, "#quot;"); break;
        case '#': put(o, "#35;"); break;
        case '<': put(o, "#lt;"); break;
        case '>': put(o, "#gt;"); break;
        case '&': put(o, "#amp;"); break;
        case '\n': put(o, "<br/>"); break;
        default: putn(o, p, 1); break;
        }
    }
}

int ofb_export_mermaid(const ofb_workflow *wf, const ofb_run *run,
                       ofb_write_fn write, void *payload)
{
    int rc = export_check(wf, run, write);
    if (rc)
        return rc;
    out o;
    out_init(&o, wf, write, payload);
    /* Node names are s<index>, not step ids: ids such as "end" or "graph"
     * are Mermaid keywords. The step id is shown in the label. */
    put(&o, "---\ntitle: \"");
    yaml_text(&o, *ofb_workflow_title(wf) ? ofb_workflow_title(wf)
                                          : ofb_workflow_id(wf));
    putf(&o, " (%s v%u)\"\n---\nflowchart TD\n", ofb_workflow_id(wf),
         ofb_workflow_version(wf));
    size_t n = ofb_workflow_step_count(wf);
    for (size_t k = 0; k < n && o.rc == OFB_OK; k++) {
        size_t i;
        ofb_step_info si;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        int irr = (si.flags & OFB_STEP_IRREVERSIBLE) != 0;
        putf(&o, "  s%zu%s\"", i, irr ? "{{" : "(");
        node_label(&o, &si, step_state(run, i), mermaid_text, "<br/>");
        put(&o, irr ? "\"}}\n" : "\")\n");
        out_flush(&o, 0);
    }
    for (size_t k = 0; k < n && o.rc == OFB_OK; k++) {
        size_t i, j;
        ofb_step_info si;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        for (size_t a = 0; a < si.nafter; a++)
            if (ofb_workflow_find_step(wf, si.after[a], &j) == OFB_OK)
                putf(&o, "  s%zu --> s%zu\n", j, i);
        out_flush(&o, 0);
    }
    put(&o, "  classDef irreversible stroke:" IRREVERSIBLE_COLOUR
            ",stroke-width:3px,color:" IRREVERSIBLE_COLOUR "\n"
            "  classDef optional stroke-dasharray:5 5\n");
    if (run)
        for (int s = 0; s < 8; s++)
            putf(&o, "  classDef %s fill:%s\n",
                 ofb_step_state_name((ofb_step_state)s), state_fill[s]);
    for (size_t i = 0; i < n && o.rc == OFB_OK; i++) {
        ofb_step_info si;
        if (ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        int state = step_state(run, i);
        if (state >= 0)
            putf(&o, "  class s%zu %s\n", i,
                 ofb_step_state_name((ofb_step_state)state));
        if (si.flags & OFB_STEP_IRREVERSIBLE)
            putf(&o, "  class s%zu irreversible\n", i);
        if (si.flags & OFB_STEP_OPTIONAL)
            putf(&o, "  class s%zu optional\n", i);
        out_flush(&o, 0);
    }
    return out_end(&o);
}

/* ------------------------------------------------------------- checklist */

/* Who settled a step and when, from the journal. */
typedef struct tick {
    ofb_time time;
    const char *actor; /* arena copy, "" when none */
    const char *note;
    int kind;          /* the ofb_event_kind that settled it, -1 none */
} tick;

typedef struct history {
    const ofb_workflow *wf;
    tick *ticks;
    ofb__arena ar;
} history;

static int on_event(const ofb_event *ev, void *payload)
{
    history *h = payload;
    size_t i;
    if (!ev->step || !*ev->step ||
        ofb_workflow_find_step(h->wf, ev->step, &i) != OFB_OK)
        return 0;
    switch (ev->kind) {
    case OFB_EV_COMPLETE:
    case OFB_EV_SKIP:
    case OFB_EV_FAIL:
        break;
    case OFB_EV_OUTCOME:
    case OFB_EV_VERIFY:
        if (ev->outcome != OFB_DONE && ev->outcome != OFB_SKIP &&
            ev->outcome != OFB_FAIL)
            return 0;
        break;
    default:
        return 0;
    }
    tick *t = &h->ticks[i];
    t->time = ev->time;
    t->kind = (int)ev->kind;
    t->actor = ofb__arena_strdup(&h->ar, ev->actor ? ev->actor : "");
    t->note = ofb__arena_strdup(&h->ar, ev->note ? ev->note : "");
    if (!t->actor || !t->note)
        return OFB_ENOMEM;
    return 0;
}

/* Days since 1970-01-01 to a calendar date (proleptic Gregorian). */
static void civil(int64_t days, long long *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (long long)(yoe + era * 400 + (*m <= 2));
}

/* "2026-11-23 14:02 UTC", computed here: gmtime is not thread-safe and the
 * library reads no clock or locale. */
static void put_time(out *o, ofb_time t)
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    long long y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    putf(o, "%04lld-%02u-%02u %02u:%02u UTC", y, m, d,
         (unsigned)(rem / 3600), (unsigned)(rem % 3600 / 60));
}

/*
 * A role id as people write it in a checklist: '-' and '_' become spaces,
 * each word is capitalised, and short words without a vowel (csm, msp) are
 * acronyms in capitals: "practice-lead-managed-services" is "Practice Lead
 * Managed Services", "csm" is "CSM".
 */
static void put_role(out *o, const char *role)
{
    const char *p = role;
    while (*p && o->rc == OFB_OK) {
        const char *e = p;
        while (*e && *e != '-' && *e != '_')
            e++;
        size_t n = (size_t)(e - p);
        int vowel = 0;
        for (const char *q = p; q < e; q++)
            if (strchr("aeiouy", *q))
                vowel = 1;
        int acronym = n <= 3 && !vowel;
        for (size_t k = 0; k < n; k++) {
            char c = p[k];
            if ((k == 0 || acronym) && c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            putn(o, &c, 1);
        }
        if (!*e)
            break;
        p = e + 1;
        if (*p)
            put(o, " ");
    }
}

/* Text on one Markdown line: newlines and tabs become spaces. */
static void md_text(out *o, const char *s)
{
    for (const char *p = s; *p && o->rc == OFB_OK; p++)
        putn(o, (*p == '\n' || *p == '\t' || *p == '\r') ? " " : p, 1);
}

/* One token of a guard: 'i' identifier, '=' for ==, '(' ')' ',', 0 at the
 * end, '?' for anything else. */
static int guard_tok(const char **pp, const char **s, size_t *n)
{
    const char *p = *pp;
    while (*p == ' ' || *p == '\t')
        p++;
    *s = p;
    int t;
    if (*p == '\0') {
        t = 0;
    } else if (*p >= 'a' && *p <= 'z') {
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
               *p == '_' || *p == '-')
            p++;
        t = 'i';
    } else if (p[0] == '=' && p[1] == '=') {
        p += 2;
        t = '=';
    } else if (*p == '(' || *p == ')' || *p == ',') {
        t = *p++;
    } else {
        p++;
        t = '?';
    }
    *n = (size_t)(p - *s);
    *pp = p;
    return t;
}

static int choice_index(const ofb_input_info *in, const char *s, size_t n)
{
    for (size_t c = 0; c < in->nchoices; c++)
        if (strlen(in->choices[c]) == n && memcmp(in->choices[c], s, n) == 0)
            return (int)c;
    return -1;
}

typedef struct pick {
    uint32_t value, pos, step;
} pick;

typedef struct picks {
    pick *v;
    uint32_t n, cap;
    const ofb_allocator *al;
} picks;

/*
 * When a guard is exactly `INPUT == VALUE` or `INPUT in (VALUE, ...)` on a
 * choice input, the step belongs in that input's sections: the values are
 * appended to ps and the input's index returned. Otherwise -1.
 */
static long choice_guard(const ofb_workflow *wf, const char *when,
                         uint32_t pos, uint32_t step, picks *ps, int *rc)
{
    const char *p = when, *s;
    size_t n, ix;
    char id[OFB_ID_MAX + 1];
    if (guard_tok(&p, &s, &n) != 'i' || n > OFB_ID_MAX)
        return -1;
    memcpy(id, s, n);
    id[n] = '\0';
    ofb_input_info in;
    if (ofb_workflow_find_input(wf, id, &ix) != OFB_OK ||
        ofb_workflow_input(wf, ix, &in) != OFB_OK ||
        in.type != OFB_TYPE_CHOICE)
        return -1;
    uint32_t start = ps->n;
    int t = guard_tok(&p, &s, &n);
    int single = t == '=';
    if (t == 'i' && n == 2 && memcmp(s, "in", 2) == 0) {
        if (guard_tok(&p, &s, &n) != '(')
            return -1;
    } else if (!single) {
        return -1;
    }
    for (;;) {
        if (guard_tok(&p, &s, &n) != 'i')
            goto no;
        int c = choice_index(&in, s, n);
        if (c < 0)
            goto no;
        if ((*rc = ofb__grow(ps->al, (void **)&ps->v, sizeof *ps->v,
                             &ps->cap, (size_t)ps->n + 1)) != OFB_OK)
            goto no;
        ps->v[ps->n].value = (uint32_t)c;
        ps->v[ps->n].pos = pos;
        ps->v[ps->n].step = step;
        ps->n++;
        t = guard_tok(&p, &s, &n);
        if (single)
            break;
        if (t == ')') {
            t = guard_tok(&p, &s, &n);
            break;
        }
        if (t != ',')
            goto no;
    }
    if (t != 0)
        goto no;
    return (long)ix;
no:
    ps->n = start;
    return -1;
}

static int cmp_pick(const void *pa, const void *pb)
{
    const pick *a = pa, *b = pb;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return 0;
}

typedef struct cl {
    out o;
    const ofb_workflow *wf;
    ofb_run *run;
    tick *ticks;
    const char **no_apply; /* per step: why the plan skips it, or NULL */
    ofb__arena *ar;
} cl;

/* Steps the run's current inputs already rule out, though the run has not
 * reached them yet: a checklist shows them struck out in advance. */
static int on_plan(const ofb_plan_item *it, void *payload)
{
    cl *c = payload;
    if (it->kind != OFB_PLAN_SKIP)
        return 0;
    c->no_apply[it->step] = ofb__arena_strdup(c->ar, it->reason);
    return c->no_apply[it->step] ? 0 : OFB_ENOMEM;
}

static int plan_run(cl *c, size_t nsteps)
{
    const ofb_allocator *al = &c->wf->alloc;
    size_t ni = ofb_workflow_input_count(c->wf), nkv = 0;
    ofb_kv *kv = ofb__calloc(al, ni ? ni : 1, sizeof *kv);
    c->no_apply = ofb__calloc(al, nsteps ? nsteps : 1, sizeof *c->no_apply);
    if (!kv || !c->no_apply) {
        ofb__free(al, kv);
        return OFB_ENOMEM;
    }
    for (size_t i = 0; i < ni; i++) {
        ofb_input_info in;
        const char *v;
        if (ofb_workflow_input(c->wf, i, &in) == OFB_OK &&
            (v = ofb_run_input(c->run, in.id)) != NULL) {
            kv[nkv].key = in.id;
            kv[nkv++].value = v;
        }
    }
    ofb_error err;
    int rc = ofb_workflow_plan(c->wf, kv, nkv, on_plan, c, &err);
    ofb__free(al, kv);
    /* A plan that cannot be made only loses the advance notice. */
    return rc == OFB_ENOMEM ? rc : OFB_OK;
}

static void check_line(cl *c, size_t i, int show_guard)
{
    out *o = &c->o;
    ofb_step_info si;
    if (ofb_workflow_step(c->wf, i, &si) != OFB_OK)
        return;
    int state = step_state(c->run, i);
    const char *no_apply = c->no_apply && state == OFB_STEP_BLOCKED
                               ? c->no_apply[i]
                               : NULL;
    int skipped = state == OFB_STEP_SKIPPED || no_apply;
    int settled = state == OFB_STEP_DONE || skipped;
    put(o, settled || no_apply ? "- [x] " : "- [ ] ");
    if (skipped)
        put(o, "~~");
    if (*si.role) {
        put_role(o, si.role);
        put(o, " >> ");
    }
    md_text(o, si.title);
    if (skipped)
        put(o, "~~");
    const tick *t = c->ticks ? &c->ticks[i] : NULL;
    if (no_apply) {
        put(o, " (does not apply: ");
        md_text(o, no_apply);
        put(o, ")");
    } else if (state == OFB_STEP_DONE) {
        if (t && t->kind >= 0) {
            put(o, " (done ");
            if (*t->actor) {
                put(o, "by ");
                md_text(o, t->actor);
                put(o, ", ");
            }
            put_time(o, t->time);
            put(o, ")");
        } else {
            put(o, " (done)");
        }
    } else if (skipped) {
        if (t && t->kind >= 0) {
            put(o, " (skipped ");
            if (*t->actor) {
                put(o, "by ");
                md_text(o, t->actor);
                put(o, ", ");
            }
            put_time(o, t->time);
            if (*t->note) {
                put(o, ": ");
                md_text(o, t->note);
            }
            put(o, ")");
        } else if (*si.when) {
            put(o, " (does not apply: when ");
            md_text(o, si.when);
            put(o, ")");
        } else {
            put(o, " (skipped)");
        }
    } else {
        if (show_guard && *si.when) {
            put(o, " (when ");
            md_text(o, si.when);
            put(o, ")");
        }
        if (state == OFB_STEP_WAITING) {
            ofb_step_status st;
            if (ofb_run_step_status(c->run, i, &st) == OFB_OK) {
                put(o, " (waiting for event '");
                md_text(o, st.event);
                put(o, "')");
            }
        } else if (state == OFB_STEP_FAILED) {
            put(o, " (failed)");
        }
        if (si.flags & OFB_STEP_OPTIONAL)
            put(o, " (optional)");
        if (si.flags & OFB_STEP_IRREVERSIBLE)
            put(o, " (irreversible)");
    }
    put(o, "\n");
    out_flush(o, 0);
}

static void details(cl *c)
{
    out *o = &c->o;
    size_t n = ofb_workflow_input_count(c->wf);
    if (!n)
        return;
    put(o, "\n### Details\n\nThe following details are applicable for the "
           "offboarding:\n");
    for (size_t k = 0; k < n; k++) {
        ofb_input_info in;
        if (ofb_workflow_input(c->wf, k, &in) != OFB_OK)
            continue;
        const char *v = c->run ? ofb_run_input(c->run, in.id) : NULL;
        put(o, v ? "- [x] " : "- [ ] ");
        md_text(o, *in.description ? in.description : in.id);
        put(o, ": \"");
        if (v) {
            md_text(o, v);
        } else if (in.type == OFB_TYPE_CHOICE) {
            for (size_t i = 0; i < in.nchoices; i++) {
                put(o, i ? ", " : "");
                put(o, in.choices[i]);
            }
        } else if (in.default_value) {
            md_text(o, in.default_value);
        }
        put(o, "\"\n");
    }
}

/* The steps of one choice input's sections, one section per value. */
static void emit_group(cl *c, long input, picks *ps)
{
    ofb_input_info in;
    if (ps->n == 0 || ofb_workflow_input(c->wf, (size_t)input, &in) != OFB_OK)
        return;
    qsort(ps->v, ps->n, sizeof *ps->v, cmp_pick);
    for (uint32_t k = 0; k < ps->n; k++) {
        if (k == 0 || ps->v[k].value != ps->v[k - 1].value)
            putf(&c->o, "\n### %s: %s\n", in.id,
                 in.choices[ps->v[k].value]);
        check_line(c, ps->v[k].step, 0);
    }
    ps->n = 0;
}

int ofb_export_checklist(const ofb_workflow *wf, ofb_run *run,
                         ofb_write_fn write, void *payload)
{
    int checked = export_check(wf, run, write);
    if (checked)
        return checked;
    cl c;
    memset(&c, 0, sizeof c);
    c.wf = wf;
    c.run = run;
    out_init(&c.o, wf, write, payload);
    out *o = &c.o;
    size_t n = ofb_workflow_step_count(wf);
    history h;
    memset(&h, 0, sizeof h);
    ofb__arena_init(&h.ar, &wf->alloc);
    if (run) {
        h.wf = wf;
        h.ticks = ofb__malloc(&wf->alloc, sizeof *h.ticks * (n ? n : 1));
        if (!h.ticks) {
            o->rc = OFB_ENOMEM;
        } else {
            for (size_t i = 0; i < n; i++)
                h.ticks[i].kind = -1;
            ofb_error err;
            int rc = ofb_run_history(run, on_event, &h, &err);
            if (rc < 0)
                o->rc = rc;
            c.ticks = h.ticks;
        }
        c.ar = &h.ar;
        if (o->rc == OFB_OK)
            o->rc = plan_run(&c, n);
    }

    /* A GitHub issue template: front matter, then the description. */
    const char *title = *ofb_workflow_title(wf) ? ofb_workflow_title(wf)
                                                : ofb_workflow_id(wf);
    put(o, "---\nname: \"");
    yaml_text(o, title);
    put(o, "\"");
    putf(o, "\nabout: %s v%u\ntitle: \"[Offboarding] ", ofb_workflow_id(wf),
         ofb_workflow_version(wf));
    if (run)
        md_text(o, ofb_run_id(run));
    else
        put(o, "%customer%");
    put(o, "\"\nlabels: offboarding\nassignees: ''\n---\n\n");
    put(o, "### Description\n\n");
    md_text(o, *ofb_workflow_doc(wf) ? ofb_workflow_doc(wf) : title);
    put(o, "\n");
    if (run) {
        size_t counts[8];
        ofb_run_counts(run, counts);
        putf(o, "\nRun %s: %s, %zu of %zu steps done, %zu skipped.\n",
             ofb_run_id(run), ofb_run_status_name(ofb_run_status_get(run)),
             counts[OFB_STEP_DONE], n, counts[OFB_STEP_SKIPPED]);
    }
    put(o, "\n---\n");
    details(&c);

    /* Sections in the workflow's order: a stage for steps that apply
     * whatever the inputs, and for a run of steps guarded by one choice
     * input, one section per value. */
    picks ps = {NULL, 0, 0, &wf->alloc};
    long group = -1;
    int stage_open = 0, stage = 0;
    for (size_t k = 0; k < n && o->rc == OFB_OK; k++) {
        size_t i;
        ofb_step_info si;
        if (ofb_workflow_order(wf, k, &i) != OFB_OK ||
            ofb_workflow_step(wf, i, &si) != OFB_OK)
            continue;
        int rc = OFB_OK;
        long in = *si.when ? choice_guard(wf, si.when, (uint32_t)k,
                                          (uint32_t)i, &ps, &rc)
                           : -1;
        if (rc != OFB_OK) {
            o->rc = rc;
            break;
        }
        if (in >= 0 && group >= 0 && in != group) {
            /* The values just added belong to the next group. */
            uint32_t keep = 0;
            while (keep < ps.n && ps.v[ps.n - 1 - keep].pos == (uint32_t)k)
                keep++;
            picks rest = {NULL, 0, 0, &wf->alloc};
            if (keep) {
                size_t bytes = sizeof *ps.v * keep;
                rest.v = ofb__malloc(&wf->alloc, bytes);
                if (!rest.v) {
                    o->rc = OFB_ENOMEM;
                    break;
                }
                memcpy(rest.v, ps.v + ps.n - keep, bytes);
                rest.n = rest.cap = keep;
                ps.n -= keep;
            }
            emit_group(&c, group, &ps);
            for (uint32_t r = 0; r < rest.n && o->rc == OFB_OK; r++) {
                o->rc = ofb__grow(&wf->alloc, (void **)&ps.v, sizeof *ps.v,
                                  &ps.cap, (size_t)ps.n + 1);
                if (o->rc == OFB_OK)
                    ps.v[ps.n++] = rest.v[r];
            }
            ofb__free(&wf->alloc, rest.v);
        }
        if (in >= 0) {
            group = in;
            stage_open = 0;
            continue;
        }
        if (group >= 0) {
            emit_group(&c, group, &ps);
            group = -1;
        }
        if (!stage_open) {
            stage++;
            putf(o, "\n### Stage %d\n", stage);
            stage_open = 1;
        }
        check_line(&c, i, 1);
    }
    if (group >= 0 && o->rc == OFB_OK)
        emit_group(&c, group, &ps);
    ofb__free(&wf->alloc, ps.v);
    ofb__free(&wf->alloc, h.ticks);
    ofb__free(&wf->alloc, c.no_apply);
    ofb__arena_free(&h.ar);
    return out_end(o);
}
