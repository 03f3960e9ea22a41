/*
 * workflow.c - workflow definition, sealing and queries.
 *
 * Definitions are checked as they are added (id syntax, duplicates, value
 * types) so that a mistake is reported where it was made; everything that
 * needs the whole definition (prerequisites, cycles, guards) is checked by
 * seal, which also compiles the workflow into flat arrays that runs read
 * without allocating: CSR prerequisite/successor lists, the topological
 * order, guard nodes, and event/role/action tables.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const ofb__src no_src = {0, 0};

/* ------------------------------------------------------------- messages */

/* One line, printable, short: user text quoted inside a message. */
static void shown(char out[48], const char *s)
{
    size_t i = 0;
    for (; s[i] && i < 40; i++)
        out[i] = ((unsigned char)s[i] < 0x20) ? '?' : s[i];
    if (s[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

/* An error about a definition, at its source position when known. */
static int def_verr(const ofb_workflow *wf, ofb_error *err, int code,
                    ofb__src at, const char *step, const char *detail,
                    const char *fmt, va_list ap)
{
    char msg[512];

    if (!err)
        return code;
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (at.line > 0 || wf->file)
        ofb__err_at(err, code, wf->file, (int)at.line, (int)at.col, "%s",
                    msg);
    else
        ofb__err(err, code, "%s", msg);
    ofb__err_names(err, step, detail);
    return code;
}

static int def_err(const ofb_workflow *wf, ofb_error *err, int code,
                   ofb__src at, const char *step, const char *detail,
                   const char *fmt, ...) OFB__PRINTF(7, 8);

static int def_err(const ofb_workflow *wf, ofb_error *err, int code,
                   ofb__src at, const char *step, const char *detail,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = def_verr(wf, err, code, at, step, detail, fmt, ap);
    va_end(ap);
    return code;
}

/* What is wrong with a text attribute, or NULL. Texts are written back as
 * .ofb strings, which have escapes only for newline and tab, so other
 * control characters are refused here rather than lost there. */
static const char *text_problem(const char *s)
{
    size_t len = strlen(s);

    if (len > OFB_STRING_MAX)
        return "is longer than 4096 bytes";
    if (ofb__utf8_check(s, len) != len)
        return "is not valid UTF-8";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* DEL too: the parser refuses it raw and strings cannot escape
         * it, so the canonical text would not parse back. */
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return "contains a control character";
    }
    return NULL;
}

/* The code for a text that text_problem refused: too long is a limit,
 * the rest is a bad value. */
static int text_code(const char *s)
{
    return strlen(s) > OFB_STRING_MAX ? OFB_ELIMIT : OFB_EINVAL;
}

static bool is_id(const char *s)
{
    return s && ofb__valid_id(s, strlen(s));
}

static bool absent(const char *s)
{
    return !s || !*s;
}

#define ID_RULE "[a-z][a-z0-9_-]*, at most 64 bytes"

/* ------------------------------------------------------------ lifecycle */

int ofb_workflow_new(ofb_workflow **out, const char *id, unsigned version,
                     const ofb_allocator *alloc, ofb_error *err)
{
    ofb_allocator a;
    ofb_workflow *wf;
    char s[48];

    if (!out)
        return ofb__err(err, OFB_EINVAL, "no place for the workflow");
    *out = NULL;
    if (!is_id(id)) {
        shown(s, id ? id : "");
        return ofb__err(err, OFB_EINVAL,
                        "workflow id '%s' is not valid (" ID_RULE ")", s);
    }
    if (version == 0)
        return ofb__err(err, OFB_EINVAL,
                        "workflow '%s': version must be a positive integer",
                        id);
    ofb__alloc_init(&a, alloc);
    wf = ofb__calloc(&a, 1, sizeof *wf);
    if (!wf)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    wf->alloc = a;
    atomic_init(&wf->refs, 1);
    ofb__arena_init(&wf->arena, &wf->alloc);
    wf->id = ofb__arena_strdup(&wf->arena, id);
    if (!wf->id) {
        ofb__free(&a, wf);
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    }
    wf->version = version;
    wf->title = "";
    wf->doc = "";
    *out = wf;
    return OFB_OK;
}

/* Frees what seal built, leaving the definition as it was added. */
static void unseal(ofb_workflow *wf)
{
    const ofb_allocator *a = &wf->alloc;

    ofb__free(a, wf->order);
    ofb__free(a, wf->prereq);
    ofb__free(a, wf->succ);
    ofb__free(a, wf->expr);
    ofb__free(a, wf->xval);
    ofb__free(a, wf->events);
    ofb__free(a, wf->roles);
    ofb__free(a, wf->actions);
    ofb__map_free(&wf->event_ix, a);
    ofb__map_free(&wf->role_ix, a);
    ofb__map_free(&wf->action_ix, a);
    wf->order = wf->prereq = wf->succ = NULL;
    wf->expr = NULL;
    wf->xval = NULL;
    wf->nexpr = wf->cap_expr = wf->nxval = wf->cap_xval = 0;
    wf->events = wf->roles = wf->actions = NULL;
    wf->nevents = wf->nroles = wf->nactions = 0;
    wf->hash[0] = '\0';
    wf->sealed = 0;
}

ofb_workflow *ofb_workflow_ref(ofb_workflow *wf)
{
    if (wf)
        atomic_fetch_add_explicit(&wf->refs, 1, memory_order_relaxed);
    return wf;
}

void ofb_workflow_unref(ofb_workflow *wf)
{
    ofb_allocator a;

    if (!wf)
        return;
    /* Release so that every use by other holders happens before the free;
     * acquire on the last one to see them. */
    if (atomic_fetch_sub_explicit(&wf->refs, 1, memory_order_acq_rel) != 1)
        return;
    a = wf->alloc;
    unseal(wf);
    ofb__free(&a, wf->steps);
    ofb__free(&a, wf->inputs);
    ofb__map_free(&wf->step_ix, &a);
    ofb__map_free(&wf->input_ix, &a);
    ofb__arena_free(&wf->arena);
    ofb__free(&a, wf);
}

static int set_text(ofb_workflow *wf, const char **field, const char *what,
                    const char *text, ofb_error *err)
{
    const char *bad;
    char *copy;

    if (!wf)
        return ofb__err(err, OFB_EINVAL, "no workflow");
    if (wf->sealed)
        return ofb__err(err, OFB_ESEALED,
                        "workflow '%s' is sealed: its %s cannot change",
                        wf->id, what);
    if (absent(text)) {
        *field = "";
        return OFB_OK;
    }
    if ((bad = text_problem(text)))
        return ofb__err(err, text_code(text), "workflow '%s': the %s %s", wf->id,
                        what, bad);
    copy = ofb__arena_strdup(&wf->arena, text);
    if (!copy)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    *field = copy;
    return OFB_OK;
}

int ofb_workflow_set_title(ofb_workflow *wf, const char *title,
                           ofb_error *err)
{
    return set_text(wf, wf ? &wf->title : NULL, "title", title, err);
}

int ofb_workflow_set_doc(ofb_workflow *wf, const char *doc, ofb_error *err)
{
    return set_text(wf, wf ? &wf->doc : NULL, "doc", doc, err);
}

int ofb__workflow_set_file(ofb_workflow *wf, const char *name)
{
    char *copy;

    if (!wf)
        return OFB_EINVAL;
    if (wf->sealed)
        return OFB_ESEALED;
    if (!name) {
        wf->file = NULL;
        return OFB_OK;
    }
    copy = ofb__arena_strdup(&wf->arena, name);
    if (!copy)
        return OFB_ENOMEM;
    wf->file = copy;
    return OFB_OK;
}

/* --------------------------------------------------------------- inputs */

int ofb__input_parse(const ofb__input *in, const char *text, int64_t *i,
                     ofb_error *err)
{
    char s[48];
    size_t len;
    int64_t v = 0;

    if (!in || !text)
        return ofb__err(err, OFB_EINVAL, "no input or no value");
    len = strlen(text);
    switch (in->type) {
    case OFB_TYPE_BOOL:
        if (strcmp(text, "true") == 0) {
            v = 1;
            break;
        }
        if (strcmp(text, "false") == 0)
            break;
        shown(s, text);
        ofb__err(err, OFB_ETYPE, "input '%s': '%s' is not a bool (true or false)",
                 in->id, s);
        ofb__err_names(err, NULL, in->id);
        return OFB_ETYPE;
    case OFB_TYPE_DATE:
        if (ofb__parse_date(text, len, &v))
            break;
        shown(s, text);
        ofb__err(err, OFB_ETYPE,
                 "input '%s': '%s' is not a date (YYYY-MM-DD)", in->id, s);
        ofb__err_names(err, NULL, in->id);
        return OFB_ETYPE;
    case OFB_TYPE_CHOICE: {
        char list[400];
        size_t n = 0;
        uint32_t k;

        for (k = 0; k < in->nchoices; k++)
            if (strcmp(text, in->choices[k]) == 0)
                break;
        if (k < in->nchoices) {
            v = k;
            break;
        }
        list[0] = '\0';
        for (k = 0; k < in->nchoices && n + 70 < sizeof list; k++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                                  k ? ", " : "", in->choices[k]);
        if (k < in->nchoices)
            snprintf(list + n, sizeof list - n, ", ...");
        shown(s, text);
        ofb__err(err, OFB_ETYPE, "input '%s': '%s' is not one of %s", in->id,
                 s, list);
        ofb__err_names(err, NULL, in->id);
        return OFB_ETYPE;
    }
    case OFB_TYPE_STRING:
        if (len > OFB_STRING_MAX) {
            ofb__err(err, OFB_ETYPE,
                     "input '%s': the value is longer than 4096 bytes",
                     in->id);
            ofb__err_names(err, NULL, in->id);
            return OFB_ETYPE;
        }
        if (ofb__utf8_check(text, len) != len) {
            ofb__err(err, OFB_ETYPE, "input '%s': the value is not valid UTF-8",
                     in->id);
            ofb__err_names(err, NULL, in->id);
            return OFB_ETYPE;
        }
        break;
    default:
        return ofb__err(err, OFB_EINVAL, "input '%s': unknown type", in->id);
    }
    if (i)
        *i = v;
    return OFB_OK;
}

/* Checks a choice list: ids, at least one, no repeats. */
static int check_choices(const ofb_workflow *wf, const ofb_input_def *def,
                         ofb__src at, ofb_error *err)
{
    ofb__map seen = {0};
    int rc = OFB_OK;
    char s[48];

    if (def->nchoices == 0 || !def->choices)
        return def_err(wf, err, OFB_EDEFINITION, at, NULL, def->id,
                       "input '%s': a choice needs at least one value",
                       def->id);
    if (def->nchoices > UINT32_MAX / 4)
        return def_err(wf, err, OFB_ELIMIT, at, NULL, def->id,
                       "input '%s': too many choices", def->id);
    for (size_t k = 0; k < def->nchoices && rc == OFB_OK; k++) {
        const char *c = def->choices[k];
        if (!is_id(c)) {
            shown(s, c ? c : "");
            rc = def_err(wf, err, OFB_EINVAL, at, NULL, def->id,
                         "input '%s': choice '%s' is not a valid id (" ID_RULE
                         ")", def->id, s);
        } else if (ofb__map_get(&seen, c) != OFB__NONE) {
            rc = def_err(wf, err, OFB_EDEFINITION, at, NULL, def->id,
                         "input '%s': choice '%s' is listed twice", def->id,
                         c);
        } else if (ofb__map_put(&seen, &wf->alloc, c, (uint32_t)k)) {
            rc = ofb__err(err, OFB_ENOMEM, "out of memory");
        }
    }
    ofb__map_free(&seen, &wf->alloc);
    return rc;
}

int ofb__workflow_add_input_src(ofb_workflow *wf, const ofb_input_def *def,
                                ofb__src at, ofb_error *err)
{
    ofb__input in;
    const char *bad;
    char s[48];
    uint32_t prev;
    int rc;

    if (!wf || !def)
        return ofb__err(err, OFB_EINVAL, "no workflow or input definition");
    if (wf->sealed)
        return ofb__err(err, OFB_ESEALED,
                        "workflow '%s' is sealed: inputs cannot be added",
                        wf->id);
    if (!is_id(def->id)) {
        shown(s, def->id ? def->id : "");
        return def_err(wf, err, OFB_EINVAL, at, NULL, NULL,
                       "input id '%s' is not valid (" ID_RULE ")", s);
    }
    prev = ofb__map_get(&wf->input_ix, def->id);
    if (prev != OFB__NONE) {
        const ofb__src p = wf->inputs[prev].at;
        if (p.line)
            return def_err(wf, err, OFB_EDEFINITION, at, NULL, def->id,
                           "duplicate input '%s' (first declared at line "
                           "%u, column %u)", def->id, (unsigned)p.line,
                           (unsigned)p.col);
        return def_err(wf, err, OFB_EDEFINITION, at, NULL, def->id,
                       "duplicate input '%s'", def->id);
    }
    if (wf->ninputs >= OFB_STEPS_MAX)
        return def_err(wf, err, OFB_ELIMIT, at, NULL, def->id,
                       "more than %u inputs", (unsigned)OFB_STEPS_MAX);
    if ((unsigned)def->type > OFB_TYPE_CHOICE)
        return def_err(wf, err, OFB_EINVAL, at, NULL, def->id,
                       "input '%s': unknown type %d", def->id, (int)def->type);
    if (def->type == OFB_TYPE_CHOICE) {
        if ((rc = check_choices(wf, def, at, err)))
            return rc;
    } else if (def->nchoices) {
        return def_err(wf, err, OFB_EINVAL, at, NULL, def->id,
                       "input '%s': only a choice has a list of values",
                       def->id);
    }
    if (!absent(def->description) && (bad = text_problem(def->description)))
        return def_err(wf, err, text_code(def->description), at, NULL, def->id,
                       "input '%s': the description %s", def->id, bad);

    memset(&in, 0, sizeof in);
    in.id = def->id;
    in.type = def->type;
    in.choices = (const char **)def->choices;
    in.nchoices = (uint32_t)def->nchoices;
    in.required = def->required ? 1 : 0;
    in.at = at;
    if (def->default_value) {
        ofb_error e;
        if (ofb__input_parse(&in, def->default_value, &in.default_i, &e))
            return def_err(wf, err, e.code, at, NULL, def->id,
                           "%s (the default)", e.message);
        /* A string default is written back as an .ofb string. */
        if (def->type == OFB_TYPE_STRING &&
            (bad = text_problem(def->default_value)))
            return def_err(wf, err, OFB_ETYPE, at, NULL, def->id,
                           "input '%s': the default %s", def->id, bad);
    }

    /* Copy everything into the arena, then publish. */
    if ((rc = ofb__grow(&wf->alloc, (void **)&wf->inputs, sizeof *wf->inputs,
                        &wf->cap_inputs, (size_t)wf->ninputs + 1)))
        return ofb__err(err, rc, rc == OFB_ENOMEM ? "out of memory"
                                                  : "too many inputs");
    in.id = ofb__arena_strdup(&wf->arena, def->id);
    in.description = ofb__arena_strdup(&wf->arena, def->description);
    in.default_text = def->default_value
                          ? ofb__arena_strdup(&wf->arena, def->default_value)
                          : NULL;
    in.choices = NULL;
    if (def->type == OFB_TYPE_CHOICE) {
        in.choices = ofb__arena_alloc(&wf->arena,
                                      def->nchoices * sizeof *in.choices);
        for (size_t k = 0; in.choices && k < def->nchoices; k++)
            if (!(in.choices[k] =
                      ofb__arena_strdup(&wf->arena, def->choices[k])))
                in.choices = NULL;
    }
    if (!in.id || !in.description ||
        (def->default_value && !in.default_text) ||
        (def->type == OFB_TYPE_CHOICE && !in.choices))
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    if (ofb__map_put(&wf->input_ix, &wf->alloc, in.id, wf->ninputs))
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    wf->inputs[wf->ninputs++] = in;
    return OFB_OK;
}

int ofb_workflow_add_input(ofb_workflow *wf, const ofb_input_def *def,
                           ofb_error *err)
{
    return ofb__workflow_add_input_src(wf, def, no_src, err);
}

/* ---------------------------------------------------------------- steps */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Checks a step definition before anything is copied. */
static int check_step(const ofb_workflow *wf, const ofb_step_def *def,
                      const ofb__stepsrc *src, ofb_error *err)
{
    const ofb__src at = src ? src->at : no_src;
    const char *id = def->id, *bad;
    char s[48];
    uint32_t prev;

    if (!is_id(id)) {
        shown(s, id ? id : "");
        return def_err(wf, err, OFB_EINVAL, at, NULL, NULL,
                       "step id '%s' is not valid (" ID_RULE ")", s);
    }
    prev = ofb__map_get(&wf->step_ix, id);
    if (prev != OFB__NONE) {
        const ofb__src p = wf->steps[prev].at;
        if (p.line)
            return def_err(wf, err, OFB_EDEFINITION, at, id, NULL,
                           "duplicate step '%s' (first defined at line %u, "
                           "column %u)", id, (unsigned)p.line,
                           (unsigned)p.col);
        return def_err(wf, err, OFB_EDEFINITION, at, id, NULL,
                       "duplicate step '%s' (step %u has the same id)", id,
                       (unsigned)prev + 1);
    }
    if (wf->nsteps >= OFB_STEPS_MAX)
        return def_err(wf, err, OFB_ELIMIT, at, id, NULL,
                       "step '%s': more than %u steps", id,
                       (unsigned)OFB_STEPS_MAX);
    if (!def->title)
        return def_err(wf, err, OFB_EINVAL, at, id, NULL,
                       "step '%s' has no title", id);

    struct {
        const char *what, *text;
    } texts[] = {{"title", def->title}, {"doc", def->doc}, {"guard", def->when}};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
        if (texts[k].text && (bad = text_problem(texts[k].text)))
            return def_err(wf, err, text_code(texts[k].text), at, id, NULL,
                           "step '%s': the %s %s", id, texts[k].what, bad);
    if (def->when && strpbrk(def->when, "\n"))
        return def_err(wf, err, OFB_EINVAL, src ? src->when : at, id, NULL,
                       "step '%s': the guard must be one line", id);

    struct {
        const char *what, *name;
        ofb__src at;
    } names[] = {{"role", def->role, at},
                 {"action", def->action, at},
                 {"wait event", def->wait_event, src ? src->wait : at}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (!absent(names[k].name) && !is_id(names[k].name)) {
            shown(s, names[k].name);
            return def_err(wf, err, OFB_EINVAL,
                           names[k].at.line ? names[k].at : at, id, NULL,
                           "step '%s': %s '%s' is not a valid id (" ID_RULE
                           ")", id, names[k].what, s);
        }

    if (def->nafter && !def->after)
        return def_err(wf, err, OFB_EINVAL, at, id, NULL,
                       "step '%s': %zu prerequisites but no list", id,
                       def->nafter);
    if (def->nafter > OFB_STEPS_MAX)
        return def_err(wf, err, OFB_ELIMIT, at, id, NULL,
                       "step '%s': more than %u prerequisites", id,
                       (unsigned)OFB_STEPS_MAX);
    for (size_t k = 0; k < def->nafter; k++)
        if (!is_id(def->after[k])) {
            ofb__src a = src && src->after ? src->after[k] : at;
            shown(s, def->after[k] ? def->after[k] : "");
            return def_err(wf, err, OFB_EINVAL, a.line ? a : at, id, NULL,
                           "step '%s': prerequisite '%s' is not a valid id "
                           "(" ID_RULE ")", id, s);
        }

    if (def->wait_timeout < 0 || def->retry_backoff < 0)
        return def_err(wf, err, OFB_EINVAL, at, id, NULL,
                       "step '%s': durations cannot be negative", id);
    if (def->wait_timeout > 0 && absent(def->wait_event))
        return def_err(wf, err, OFB_EINVAL, at, id, NULL,
                       "step '%s': a wait timeout needs a wait event", id);
    if (def->retry_count > 100)
        return def_err(wf, err, OFB_ELIMIT, at, id, NULL,
                       "step '%s': retry %u is more than 100 attempts", id,
                       def->retry_count);
    if (def->retry_backoff > 0 && def->retry_count == 0)
        return def_err(wf, err, OFB_EINVAL, at, id, NULL,
                       "step '%s': a retry backoff needs a retry count", id);
    if (def->flags & ~(OFB_STEP_MANUAL | OFB_STEP_OPTIONAL |
                       OFB_STEP_IRREVERSIBLE))
        return def_err(wf, err, OFB_EINVAL, at, id, NULL,
                       "step '%s': unknown flags 0x%x", id, def->flags);
    return OFB_OK;
}

static const char *arena_opt(ofb_workflow *wf, const char *s, bool *nomem)
{
    if (absent(s))
        return ""; /* shared: nothing to copy for a missing attribute */
    char *d = ofb__arena_strdup(&wf->arena, s);
    if (!d)
        *nomem = true;
    return d ? d : "";
}

int ofb__workflow_add_step_src(ofb_workflow *wf, const ofb_step_def *def,
                               const ofb__stepsrc *src, ofb_error *err)
{
    ofb__step st;
    bool nomem = false;
    int rc;

    if (!wf || !def)
        return ofb__err(err, OFB_EINVAL, "no workflow or step definition");
    if (wf->sealed)
        return ofb__err(err, OFB_ESEALED,
                        "workflow '%s' is sealed: steps cannot be added",
                        wf->id);
    if ((rc = check_step(wf, def, src, err)))
        return rc;
    if ((rc = ofb__grow(&wf->alloc, (void **)&wf->steps, sizeof *wf->steps,
                        &wf->cap_steps, (size_t)wf->nsteps + 1)))
        return ofb__err(err, rc, rc == OFB_ENOMEM ? "out of memory"
                                                  : "too many steps");

    memset(&st, 0, sizeof st);
    /* Absent strings are "" so that readers never meet NULL; whether a
     * step has a guard, an event, a role or an action is what the indexes
     * compiled by seal say. */
    st.id = arena_opt(wf, def->id, &nomem);
    st.title = arena_opt(wf, def->title, &nomem);
    st.role = arena_opt(wf, def->role, &nomem);
    st.action = arena_opt(wf, def->action, &nomem);
    st.wait_event = arena_opt(wf, def->wait_event, &nomem);
    st.doc = arena_opt(wf, def->doc, &nomem);
    st.at = src ? src->at : no_src;
    st.when_at = src ? src->when : no_src;
    st.wait_at = src ? src->wait : no_src;
    st.when = "";
    if (def->when) {
        /* The guard is kept as written, without surrounding blanks (a
         * parser reading it back from a line would drop them). */
        const char *w = def->when;
        size_t n;
        while (is_space(*w))
            w++;
        n = strlen(w);
        while (n && is_space(w[n - 1]))
            n--;
        if (st.when_at.line)
            st.when_at.col += (uint32_t)(w - def->when);
        st.when = ofb__arena_strndup(&wf->arena, w, n);
        if (!st.when)
            nomem = true;
    }
    st.nafter = (uint32_t)def->nafter;
    if (st.nafter) {
        st.after = ofb__arena_alloc(&wf->arena, st.nafter * sizeof *st.after);
        st.after_ix =
            ofb__arena_alloc(&wf->arena, st.nafter * sizeof *st.after_ix);
        if (!st.after || !st.after_ix)
            nomem = true;
        /* Prerequisites defined earlier (the usual case) are resolved now,
         * while the map is warm; seal looks up only forward references. */
        for (uint32_t k = 0; !nomem && k < st.nafter; k++) {
            st.after[k] = arena_opt(wf, def->after[k], &nomem);
            st.after_ix[k] = ofb__map_get(&wf->step_ix, def->after[k]);
        }
        if (src && src->after) {
            st.after_at = ofb__arena_alloc(&wf->arena,
                                           st.nafter * sizeof *st.after_at);
            if (st.after_at)
                memcpy(st.after_at, src->after,
                       st.nafter * sizeof *st.after_at);
            else
                nomem = true;
        }
    }
    st.wait_timeout = def->wait_timeout;
    st.retry_count = def->retry_count;
    st.retry_backoff = def->retry_backoff;
    st.flags = def->flags;
    st.guard = st.event = st.role_ix = st.action_ix = OFB__NONE;
    st.pos = OFB__NONE;
    if (nomem || ofb__map_put(&wf->step_ix, &wf->alloc, st.id, wf->nsteps))
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    wf->steps[wf->nsteps++] = st;
    return OFB_OK;
}

int ofb_workflow_add_step(ofb_workflow *wf, const ofb_step_def *def,
                          ofb_error *err)
{
    return ofb__workflow_add_step_src(wf, def, NULL, err);
}

/* ----------------------------------------------------------------- seal */

typedef struct seal_ctx {
    ofb_workflow *wf;
    ofb_diag_fn diag;
    void *payload;
    unsigned max, count;
    ofb_error first;
} seal_ctx;

static bool full(const seal_ctx *c)
{
    return c->count >= c->max;
}

static void report(seal_ctx *c, ofb_error *e)
{
    c->count++;
    e->count = (int)c->count;
    if (c->count == 1)
        c->first = *e;
    if (c->diag)
        c->diag(e, c->payload);
}

static void seal_err(seal_ctx *c, int code, ofb__src at, const char *step,
                     const char *detail, const char *fmt, ...)
    OFB__PRINTF(6, 7);

static void seal_err(seal_ctx *c, int code, ofb__src at, const char *step,
                     const char *detail, const char *fmt, ...)
{
    ofb_error e;
    va_list ap;

    if (full(c))
        return;
    va_start(ap, fmt);
    def_verr(c->wf, &e, code, at, step, detail, fmt, ap);
    va_end(ap);
    report(c, &e);
}

/* A min-heap of step indexes: Kahn's algorithm takes the earliest defined
 * ready step first, so a definition already in a valid order keeps it. */
static void heap_push(uint32_t *h, uint32_t *n, uint32_t v)
{
    uint32_t i = (*n)++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h[p] <= v)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint32_t heap_pop(uint32_t *h, uint32_t *n)
{
    uint32_t top = h[0], v = h[--*n], i = 0, m = *n;
    for (;;) {
        uint32_t l = 2 * i + 1, k;
        if (l >= m)
            break;
        k = (l + 1 < m && h[l + 1] < h[l]) ? l + 1 : l;
        if (h[k] >= v)
            break;
        h[i] = h[k];
        i = k;
    }
    if (m)
        h[i] = v;
    return top;
}

/* The source position of step s's `after` entry naming step p. */
static ofb__src after_pos(const ofb_workflow *wf, const ofb__step *s,
                          uint32_t p)
{
    for (uint32_t k = 0; k < s->nafter && s->after_at; k++)
        if (strcmp(s->after[k], wf->steps[p].id) == 0 && s->after_at[k].line)
            return s->after_at[k];
    return s->at;
}

/* Appends " -> id" to a cycle message unless only the closing part would
 * still fit; then " -> ..." once. */
static void cycle_add(char *msg, size_t cap, size_t *len, const char *id,
                      bool *cut, bool closing)
{
    size_t n = strlen(id);
    /* Room kept for " -> ..." and the closing " -> id". */
    const size_t reserve = closing ? 1 : 7 + 4 + OFB_ID_MAX + 1;

    if (*cut)
        return;
    if (*len + 4 + n + reserve > cap) {
        memcpy(msg + *len, " -> ...", 7);
        *len += 7;
        msg[*len] = '\0';
        *cut = true;
        return;
    }
    memcpy(msg + *len, " -> ", 4);
    memcpy(msg + *len + 4, id, n);
    *len += 4 + n;
    msg[*len] = '\0';
}

/*
 * Reports cycles among the steps Kahn's algorithm could not order. Every
 * such step has at least one unordered prerequisite, so walking from one
 * to an unordered prerequisite, again and again, must come back to a step
 * of the same walk: that is a cycle. Each step is walked at most once, so
 * this is linear, and it is a loop, not a recursion.
 */
static void report_cycles(seal_ctx *c, uint32_t *walk, uint32_t *stamp)
{
    ofb_workflow *wf = c->wf;
    const uint32_t n = wf->nsteps;
    uint32_t total = 0;

    for (uint32_t i = 0; i < n; i++)
        stamp[i] = OFB__NONE;
    for (uint32_t start = 0; start < n && !full(c); start++) {
        uint32_t v = start, base = total;

        if (wf->steps[start].pos != OFB__NONE || stamp[start] != OFB__NONE)
            continue;
        while (stamp[v] == OFB__NONE) {
            const ofb__step *s = &wf->steps[v];
            uint32_t next = OFB__NONE;
            stamp[v] = total;
            walk[total++] = v;
            for (uint32_t k = 0; k < s->nprereq; k++) {
                uint32_t p = wf->prereq[s->prereq_off + k];
                if (wf->steps[p].pos == OFB__NONE) {
                    next = p;
                    break;
                }
            }
            v = next;
            if (v == OFB__NONE)
                break; /* cannot happen: an unordered step has one */
        }
        if (v == OFB__NONE || stamp[v] < base)
            continue; /* ran into an earlier walk: nothing new */

        /* walk[stamp[v] .. total) is the cycle, each entry a prerequisite
         * of the one before it. Print it in the order steps run, from its
         * earliest defined step. */
        uint32_t lo = stamp[v], len = total - lo, first = lo;
        for (uint32_t k = lo; k < total; k++)
            if (walk[k] < walk[first])
                first = k;
        char msg[480];
        size_t ml;
        bool cut = false;
        const ofb__step *fs = &wf->steps[walk[first]];
        ml = (size_t)snprintf(msg, sizeof msg, "cycle: %s", fs->id);
        for (uint32_t k = 1; k < len; k++) {
            uint32_t ix = lo + (first - lo + len - k) % len;
            cycle_add(msg, sizeof msg, &ml, wf->steps[walk[ix]].id, &cut,
                      false);
        }
        cut = false;
        cycle_add(msg, sizeof msg, &ml, fs->id, &cut, true);
        /* The position: where the first step names the cycle's last one. */
        uint32_t last = walk[lo + (first - lo + 1) % len];
        seal_err(c, OFB_EDEFINITION, after_pos(wf, fs, last), fs->id,
                 wf->steps[last].id, "%s", msg);
    }
}

/* Resolves `after` ids into CSR prerequisite and successor arrays. */
static void resolve(seal_ctx *c, uint32_t *mark)
{
    ofb_workflow *wf = c->wf;
    uint32_t off = 0, n = wf->nsteps;

    for (uint32_t i = 0; i < n; i++)
        mark[i] = OFB__NONE;
    for (uint32_t i = 0; i < n; i++) {
        ofb__step *s = &wf->steps[i];
        s->prereq_off = off;
        for (uint32_t k = 0; k < s->nafter; k++) {
            const char *name = s->after[k];
            ofb__src at = s->after_at && s->after_at[k].line ? s->after_at[k]
                                                             : s->at;
            uint32_t j = s->after_ix[k];
            if (j == OFB__NONE)
                j = ofb__map_get(&wf->step_ix, name);
            if (j == OFB__NONE)
                seal_err(c, OFB_EDEFINITION, at, s->id, name,
                         "step '%s': unknown prerequisite '%s'", s->id, name);
            else if (j == i)
                seal_err(c, OFB_EDEFINITION, at, s->id, name,
                         "step '%s' cannot come after itself", s->id);
            else if (mark[j] == i)
                seal_err(c, OFB_EDEFINITION, at, s->id, name,
                         "step '%s': prerequisite '%s' is listed twice",
                         s->id, name);
            else {
                mark[j] = i;
                wf->prereq[off++] = j;
            }
        }
        s->nprereq = off - s->prereq_off;
    }

    /* Successors: count, prefix sums, fill in step order, so each list is
     * in definition order. */
    for (uint32_t i = 0; i < n; i++)
        wf->steps[i].nsucc = 0;
    for (uint32_t e = 0; e < off; e++)
        wf->steps[wf->prereq[e]].nsucc++;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        wf->steps[i].succ_off = sum;
        sum += wf->steps[i].nsucc;
        wf->steps[i].nsucc = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        const ofb__step *s = &wf->steps[i];
        for (uint32_t k = 0; k < s->nprereq; k++) {
            ofb__step *p = &wf->steps[wf->prereq[s->prereq_off + k]];
            wf->succ[p->succ_off + p->nsucc++] = i;
        }
    }
}

/* Kahn's algorithm with a min-heap. Returns how many steps were ordered. */
static uint32_t topo_order(ofb_workflow *wf, uint32_t *indeg, uint32_t *heap)
{
    uint32_t n = wf->nsteps, nheap = 0, done = 0;

    for (uint32_t i = 0; i < n; i++) {
        wf->steps[i].pos = OFB__NONE;
        indeg[i] = wf->steps[i].nprereq;
        if (indeg[i] == 0)
            heap[nheap++] = i; /* ascending: already a heap */
    }
    while (nheap) {
        uint32_t v = heap_pop(heap, &nheap);
        const ofb__step *s = &wf->steps[v];
        wf->steps[v].pos = done;
        wf->order[done++] = v;
        for (uint32_t k = 0; k < s->nsucc; k++) {
            uint32_t w = wf->succ[s->succ_off + k];
            if (--indeg[w] == 0)
                heap_push(heap, &nheap, w);
        }
    }
    return done;
}

static void compile_guards(seal_ctx *c, int *nomem)
{
    ofb_workflow *wf = c->wf;

    for (uint32_t i = 0; i < wf->nsteps && !full(c); i++) {
        ofb__step *s = &wf->steps[i];
        ofb_error e;
        int rc;

        s->guard = OFB__NONE;
        if (!*s->when)
            continue;
        rc = ofb__expr_compile(wf, s->when, s->when_at, &s->guard, &e);
        if (rc == OFB_ENOMEM) {
            *nomem = 1;
            return;
        }
        if (rc) {
            s->guard = OFB__NONE;
            if (!s->when_at.line) {
                /* No position in a file: say which step instead. */
                char msg[sizeof e.message];
                memcpy(msg, e.message, sizeof msg);
                def_err(wf, &e, rc, s->at, s->id, NULL, "step '%s': when: %s",
                        s->id, msg);
            }
            ofb__err_names(&e, s->id, NULL);
            report(c, &e);
        }
    }
}

/* Distinct names (events, roles, actions) into an array and a map. */
static int intern(ofb_workflow *wf, const char *name, const char ***arr,
                  uint32_t *len, uint32_t *cap, ofb__map *ix, uint32_t *out)
{
    uint32_t j = ofb__map_get(ix, name);
    int rc;

    if (j == OFB__NONE) {
        if ((rc = ofb__grow(&wf->alloc, (void **)arr, sizeof **arr, cap,
                            (size_t)*len + 1)))
            return rc;
        if ((rc = ofb__map_put(ix, &wf->alloc, name, *len)))
            return rc;
        j = (*len)++;
        (*arr)[j] = name;
    }
    *out = j;
    return OFB_OK;
}

static int build_tables(ofb_workflow *wf)
{
    uint32_t cap_ev = 0, cap_ro = 0, cap_ac = 0;
    int rc;

    for (uint32_t i = 0; i < wf->nsteps; i++) {
        ofb__step *s = &wf->steps[i];
        s->event = s->role_ix = s->action_ix = OFB__NONE;
        if (*s->wait_event &&
            (rc = intern(wf, s->wait_event, &wf->events, &wf->nevents,
                         &cap_ev, &wf->event_ix, &s->event)))
            return rc;
        if (*s->role && (rc = intern(wf, s->role, &wf->roles, &wf->nroles,
                                     &cap_ro, &wf->role_ix, &s->role_ix)))
            return rc;
        if (*s->action &&
            (rc = intern(wf, s->action, &wf->actions, &wf->nactions, &cap_ac,
                         &wf->action_ix, &s->action_ix)))
            return rc;
    }
    return OFB_OK;
}

int ofb__workflow_seal(ofb_workflow *wf, ofb_diag_fn diag, void *payload,
                       unsigned max_errors, ofb_error *err)
{
    seal_ctx c;
    uint32_t *tmp_a = NULL, *tmp_b = NULL, n;
    uint64_t nedges = 0;
    int nomem = 0, rc = OFB_OK;

    if (!wf)
        return ofb__err(err, OFB_EINVAL, "no workflow");
    if (wf->sealed)
        return ofb__err(err, OFB_ESEALED, "workflow '%s' is already sealed",
                        wf->id);
    memset(&c, 0, sizeof c);
    c.wf = wf;
    c.diag = diag;
    c.payload = payload;
    c.max = max_errors ? max_errors : 20;

    n = wf->nsteps;
    for (uint32_t i = 0; i < n; i++)
        nedges += wf->steps[i].nafter;
    if (nedges > UINT32_MAX - 1)
        return ofb__err(err, OFB_ELIMIT, "workflow '%s': too many "
                        "prerequisites", wf->id);
    unseal(wf);
    wf->order = ofb__malloc(&wf->alloc, (size_t)n * sizeof *wf->order);
    wf->prereq = ofb__malloc(&wf->alloc, (size_t)nedges * sizeof *wf->prereq);
    wf->succ = ofb__malloc(&wf->alloc, (size_t)nedges * sizeof *wf->succ);
    tmp_a = ofb__malloc(&wf->alloc, (size_t)n * sizeof *tmp_a);
    tmp_b = ofb__malloc(&wf->alloc, (size_t)n * sizeof *tmp_b);
    if (!wf->order || !wf->prereq || !wf->succ || !tmp_a || !tmp_b) {
        nomem = 1;
        goto out;
    }

    resolve(&c, tmp_a);
    if (topo_order(wf, tmp_a, tmp_b) < n)
        report_cycles(&c, tmp_b, tmp_a);
    compile_guards(&c, &nomem);
    if (nomem || c.count)
        goto out;
    if ((rc = build_tables(wf)) || (rc = ofb__workflow_compute_hash(wf))) {
        nomem = rc == OFB_ENOMEM;
        goto out;
    }
    wf->sealed = 1;

out:
    ofb__free(&wf->alloc, tmp_a);
    ofb__free(&wf->alloc, tmp_b);
    if (wf->sealed)
        return OFB_OK;
    unseal(wf);
    if (nomem)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    if (rc)
        return ofb__err(err, rc, "workflow '%s': cannot be sealed (%s)",
                        wf->id, ofb_strerror(rc));
    if (err) {
        *err = c.first;
        err->count = (int)c.count;
    }
    return c.first.code;
}

int ofb_workflow_seal(ofb_workflow *wf, ofb_error *err)
{
    return ofb__workflow_seal(wf, NULL, NULL, 0, err);
}

int ofb_workflow_seal_ex(ofb_workflow *wf, ofb_diag_fn diag, void *payload,
                         ofb_error *err)
{
    return ofb__workflow_seal(wf, diag, payload, 0, err);
}

/* -------------------------------------------------------------- queries */

const char *ofb_workflow_id(const ofb_workflow *wf)
{
    return wf ? wf->id : "";
}

unsigned ofb_workflow_version(const ofb_workflow *wf)
{
    return wf ? wf->version : 0;
}

const char *ofb_workflow_title(const ofb_workflow *wf)
{
    return wf ? wf->title : "";
}

const char *ofb_workflow_doc(const ofb_workflow *wf)
{
    return wf ? wf->doc : "";
}

int ofb_workflow_is_sealed(const ofb_workflow *wf)
{
    return wf && wf->sealed;
}

size_t ofb_workflow_step_count(const ofb_workflow *wf)
{
    return wf ? wf->nsteps : 0;
}

size_t ofb_workflow_input_count(const ofb_workflow *wf)
{
    return wf ? wf->ninputs : 0;
}

int ofb_workflow_find_step(const ofb_workflow *wf, const char *id,
                           size_t *index)
{
    uint32_t i;

    if (!wf || !id)
        return OFB_ENOTFOUND;
    i = ofb__map_get(&wf->step_ix, id);
    if (i == OFB__NONE)
        return OFB_ENOTFOUND;
    if (index)
        *index = i;
    return OFB_OK;
}

int ofb_workflow_find_input(const ofb_workflow *wf, const char *id,
                            size_t *index)
{
    uint32_t i;

    if (!wf || !id)
        return OFB_ENOTFOUND;
    i = ofb__map_get(&wf->input_ix, id);
    if (i == OFB__NONE)
        return OFB_ENOTFOUND;
    if (index)
        *index = i;
    return OFB_OK;
}

int ofb_workflow_step(const ofb_workflow *wf, size_t i, ofb_step_info *info)
{
    const ofb__step *s;

    if (!wf || i >= wf->nsteps || !info)
        return OFB_ENOTFOUND;
    s = &wf->steps[i];
    info->id = s->id;
    info->title = s->title;
    info->role = s->role;
    info->action = s->action;
    info->when = s->when;
    info->wait_event = s->wait_event;
    info->doc = s->doc;
    info->after = (const char *const *)s->after;
    info->nafter = s->nafter;
    info->wait_timeout = s->wait_timeout;
    info->retry_count = s->retry_count;
    info->retry_backoff = s->retry_backoff;
    info->flags = s->flags;
    return OFB_OK;
}

int ofb_workflow_input(const ofb_workflow *wf, size_t i, ofb_input_info *info)
{
    const ofb__input *in;

    if (!wf || i >= wf->ninputs || !info)
        return OFB_ENOTFOUND;
    in = &wf->inputs[i];
    info->id = in->id;
    info->type = in->type;
    info->choices = (const char *const *)in->choices;
    info->nchoices = in->nchoices;
    info->required = in->required;
    info->default_value = in->default_text;
    info->description = in->description;
    return OFB_OK;
}

int ofb_workflow_order(const ofb_workflow *wf, size_t i, size_t *step)
{
    if (!wf || !wf->sealed)
        return OFB_ESEALED;
    if (i >= wf->nsteps)
        return OFB_ENOTFOUND;
    if (step)
        *step = wf->order[i];
    return OFB_OK;
}
