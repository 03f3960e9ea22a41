/*
 * parse.c - the .ofb text format (SPEC section 2) into a sealed workflow.
 *
 * One pass over the text, one line at a time: every byte is looked at a
 * bounded number of times, so parsing is linear in the size of the file.
 * A step's attribute lines are gathered until the next `step` or `input`
 * line (or the end), then the step is handed to the workflow, which checks
 * what needs the whole definition (prerequisites, cycles, guards) when it
 * is sealed.
 *
 * After an error the parser goes on at the next line, so one run reports
 * several mistakes; a bad `step` line still opens a (discarded) step so
 * that its attribute lines do not each add an error of their own.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_ERRORS 20

enum tok_kind { T_END, T_WORD, T_STRING, T_LPAREN, T_RPAREN, T_COMMA };

typedef struct tok {
    enum tok_kind kind;
    const char *s; /* T_WORD: the bytes in the line */
    size_t len;    /* T_WORD: length; T_STRING: unescaped length */
    size_t off;    /* T_STRING: offset of the unescaped text in p->strs */
    uint32_t col;  /* 1-based byte column of the token */
} tok;

/* A string kept for the pending step: an offset into p->sbuf, or NONE. */
#define NO_STR SIZE_MAX

typedef struct pending {
    int active; /* a `step` line opened it */
    int bad;    /* that line had an error: gather, then drop */
    size_t id, title, role, action, when, wait, doc;
    int64_t timeout, backoff;
    unsigned retry, flags;
    int have_retry;
    ofb__src at, when_at, wait_at;
    uint32_t nafter;
} pending;

typedef struct parser {
    const char *file;
    ofb_allocator alloc;
    ofb_diag_fn diag;
    void *payload;
    ofb_error *err;
    unsigned max_errors, nerr;
    int first_code;
    int stop;   /* too many errors, or a limit that makes going on useless */
    int nomem;  /* an allocation failed: give up at once */

    ofb_workflow *wf;
    int have_workflow, standin, have_title, have_doc, seen_step;
    size_t nsteps;

    /* the current line */
    uint32_t line;
    const char *ls;
    size_t llen, pos;
    ofb__buf strs; /* unescaped strings and copied words of this line */
    size_t *choff; /* choice ids of an input line, offsets into strs */
    uint32_t nch, cap_choff;
    const char **chptr;
    uint32_t cap_chptr;

    /* the step being gathered */
    pending st;
    ofb__buf sbuf;
    size_t *after_off;
    uint32_t cap_after_off;
    ofb__src *after_src;
    uint32_t cap_after_src;
    const char **after_ptr;
    uint32_t cap_after_ptr;
} parser;

/* ---------------------------------------------------------------- errors */

/* Hands one complete error record on: the first goes to the caller's err,
 * every one to diag. */
static void report(parser *p, const ofb_error *e)
{
    if (p->nerr >= p->max_errors) {
        p->stop = 1;
        return;
    }
    if (p->nerr == 0) {
        p->first_code = e->code;
        if (p->err)
            *p->err = *e;
    }
    p->nerr++;
    if (p->diag)
        p->diag(e, p->payload);
    if (p->nerr >= p->max_errors)
        p->stop = 1;
}

/* An error at a column of the current line. Always returns -1, so that
 * `return perr(...)` ends a statement. */
static int perr(parser *p, int code, uint32_t col, const char *fmt, ...)
    OFB__PRINTF(4, 5);
static int perr(parser *p, int code, uint32_t col, const char *fmt, ...)
{
    char msg[400];
    ofb_error e;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ofb__err_at(&e, code, p->file, (int)p->line, (int)col, "%s", msg);
    report(p, &e);
    return -1;
}

static int nomem(parser *p)
{
    p->nomem = 1;
    p->stop = 1;
    return -1;
}

/* An error from the workflow (duplicate ids, bad input types...). Those
 * made through ofb__err_at already name the file and position; others get
 * the position of the statement that caused them. */
static int forward(parser *p, int rc, const ofb_error *e, uint32_t line,
                   uint32_t col)
{
    ofb_error x;

    if (rc == OFB_ENOMEM)
        return nomem(p);
    if (e->line > 0) {
        report(p, e);
    } else {
        ofb__err_at(&x, rc, p->file, (int)line, (int)col, "%s", e->message);
        ofb__err_names(&x, e->step, e->detail);
        report(p, &x);
    }
    return -1;
}

/* At most 40 bytes of a token for a message, cut on a character
 * boundary. */
static int show_len(const char *s, size_t len)
{
    size_t n = len;

    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

static const char *show_more(size_t len) { return len > 40 ? "..." : ""; }

/* "'word'", "a string", "end of line" ... for "expected X, found Y". */
static void describe(const tok *t, char *buf, size_t cap)
{
    switch (t->kind) {
    case T_END: snprintf(buf, cap, "end of line"); break;
    case T_STRING: snprintf(buf, cap, "a string"); break;
    case T_LPAREN: snprintf(buf, cap, "'('"); break;
    case T_RPAREN: snprintf(buf, cap, "')'"); break;
    case T_COMMA: snprintf(buf, cap, "','"); break;
    case T_WORD:
        snprintf(buf, cap, "'%.*s%s'", show_len(t->s, t->len), t->s,
                 show_more(t->len));
        break;
    }
}

static int unexpected(parser *p, const tok *t, const char *expected)
{
    char found[64];

    describe(t, found, sizeof found);
    return perr(p, OFB_ESYNTAX, t->col, "expected %s, found %s", expected,
                found);
}

/* ----------------------------------------------------------------- lexer */

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int is_word_byte(char c)
{
    return !(is_space(c) || c == '"' || c == '#' || c == '(' || c == ')' ||
             c == ',');
}

static int lex_string(parser *p, tok *t)
{
    const char *s = p->ls;
    size_t i = p->pos + 1, run = i, len = 0;
    uint32_t col = (uint32_t)p->pos + 1;

    t->kind = T_STRING;
    t->col = col;
    t->off = p->strs.len;
    for (;;) {
        char c;

        if (i >= p->llen)
            return perr(p, OFB_ESYNTAX, col, "unterminated string");
        c = s[i];
        if (c == '"' || c == '\\') {
            /* Copy the plain run before it in one go. */
            if (ofb__buf_add(&p->strs, s + run, i - run))
                return nomem(p);
            len += i - run;
            if (c == '"')
                break;
            if (i + 1 >= p->llen)
                return perr(p, OFB_ESYNTAX, col, "unterminated string");
            switch (s[i + 1]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default:
                if ((unsigned char)s[i + 1] >= 0x20 &&
                    (unsigned char)s[i + 1] < 0x7F)
                    return perr(p, OFB_ESYNTAX, (uint32_t)i + 1,
                                "unknown escape '\\%c' in a string (use \\\", "
                                "\\\\, \\n or \\t)",
                                s[i + 1]);
                return perr(p, OFB_ESYNTAX, (uint32_t)i + 1,
                            "unknown escape in a string (use \\\", \\\\, "
                            "\\n or \\t)");
            }
            if (ofb__buf_addc(&p->strs, c))
                return nomem(p);
            len++;
            i += 2;
            run = i;
        } else {
            if (c == '\t')
                return perr(p, OFB_ESYNTAX, (uint32_t)i + 1,
                            "raw TAB in a string (write \\t)");
            i++;
        }
        if (len + (i - run) > OFB_STRING_MAX)
            return perr(p, OFB_ELIMIT, col,
                        "string longer than %d bytes", OFB_STRING_MAX);
    }
    if (len > OFB_STRING_MAX)
        return perr(p, OFB_ELIMIT, col, "string longer than %d bytes",
                    OFB_STRING_MAX);
    /* Strings are kept NUL-terminated in strs. */
    if (ofb__buf_addc(&p->strs, '\0'))
        return nomem(p);
    t->len = len;
    p->pos = i + 1;
    return 0;
}

/* The next token of the current line; 0, or -1 after reporting. */
static int next(parser *p, tok *t)
{
    const char *s = p->ls;
    size_t i = p->pos;

    while (i < p->llen && is_space(s[i]))
        i++;
    p->pos = i;
    t->col = (uint32_t)i + 1;
    t->s = s + i;
    t->len = 0;
    if (i >= p->llen || s[i] == '#') {
        t->kind = T_END;
        return 0;
    }
    switch (s[i]) {
    case '"': return lex_string(p, t);
    case '(': t->kind = T_LPAREN; p->pos = i + 1; return 0;
    case ')': t->kind = T_RPAREN; p->pos = i + 1; return 0;
    case ',': t->kind = T_COMMA; p->pos = i + 1; return 0;
    default: break;
    }
    while (i < p->llen && is_word_byte(s[i]))
        i++;
    t->kind = T_WORD;
    t->len = i - p->pos;
    p->pos = i;
    return 0;
}

static int is_word(const tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->kind == T_WORD && t->len == n && memcmp(t->s, w, n) == 0;
}

/* Checks an id token: `what` names it in messages ("step id"). */
static int check_id(parser *p, const tok *t, const char *what)
{
    size_t i;

    if (t->kind != T_WORD)
        return unexpected(p, t, what);
    if (t->len > OFB_ID_MAX)
        return perr(p, OFB_ELIMIT, t->col,
                    "%s '%.*s...' is longer than %d bytes", what,
                    show_len(t->s, t->len), t->s, OFB_ID_MAX);
    for (i = 0; i < t->len; i++) {
        char c = t->s[i];
        int ok = (c >= 'a' && c <= 'z') ||
                 (i > 0 && ((c >= '0' && c <= '9') || c == '_' || c == '-'));
        if (!ok)
            return perr(p, OFB_ESYNTAX, t->col,
                        "invalid %s '%.*s%s' (ids are [a-z][a-z0-9_-]*)",
                        what, show_len(t->s, t->len), t->s,
                        show_more(t->len));
    }
    return 0;
}

static int expect_id(parser *p, tok *t, const char *what)
{
    if (next(p, t))
        return -1;
    return check_id(p, t, what);
}

static int expect_string(parser *p, tok *t, const char *what)
{
    if (next(p, t))
        return -1;
    if (t->kind != T_STRING)
        return unexpected(p, t, what);
    return 0;
}

static int expect_end(parser *p, const char *kw)
{
    tok t;
    char found[64];

    if (next(p, &t))
        return -1;
    if (t.kind == T_END)
        return 0;
    describe(&t, found, sizeof found);
    return perr(p, OFB_ESYNTAX, t.col, "unexpected %s at the end of the '%s' "
                "line", found, kw);
}

/* Digits only, into *v; OFB_ELIMIT-style overflow reported by the caller. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned)(s[i] - '0');
        if (x > (max - d) / 10)
            return -2;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* DURATION: an integer followed by s, m, h or d; seconds in *secs. */
static int expect_duration(parser *p, const char *kw, int64_t *secs)
{
    tok t;
    int64_t mult;
    uint64_t v = 0;
    int rc;

    if (next(p, &t))
        return -1;
    if (t.kind != T_WORD || t.len < 2)
        goto bad;
    switch (t.s[t.len - 1]) {
    case 's': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: goto bad;
    }
    rc = parse_uint(t.s, t.len - 1, (uint64_t)(INT64_MAX / mult), &v);
    if (rc == -2)
        return perr(p, OFB_ELIMIT, t.col, "%s '%.*s%s' is too large", kw,
                    show_len(t.s, t.len), t.s, show_more(t.len));
    if (rc)
        goto bad;
    *secs = (int64_t)v * mult;
    return 0;
bad:
    if (t.kind == T_WORD)
        return perr(p, OFB_ESYNTAX, t.col,
                    "invalid %s '%.*s%s' (an integer followed by s, m, h or "
                    "d, e.g. 3d)",
                    kw, show_len(t.s, t.len), t.s, show_more(t.len));
    return unexpected(p, &t, "a duration (e.g. 30m, 3d)");
}

/* Copies a word into strs, NUL-terminated; its offset in *off. */
static int keep_word(parser *p, const tok *t, size_t *off)
{
    *off = p->strs.len;
    if (ofb__buf_add(&p->strs, t->s, t->len) || ofb__buf_addc(&p->strs, 0))
        return nomem(p);
    return 0;
}

/* Copies a token's text (word or string) into the pending step's sbuf. */
static int keep_step(parser *p, const tok *t, size_t *off)
{
    const char *s = t->kind == T_STRING ? p->strs.data + t->off : t->s;

    *off = p->sbuf.len;
    if (ofb__buf_add(&p->sbuf, s, t->len) || ofb__buf_addc(&p->sbuf, 0))
        return nomem(p);
    return 0;
}

/* ------------------------------------------------------------ statements */

static const char *sstr(const parser *p, size_t off)
{
    return off == NO_STR ? NULL : p->sbuf.data + off;
}

static void pending_reset(parser *p)
{
    pending *st = &p->st;

    memset(st, 0, sizeof *st);
    st->id = st->title = st->role = st->action = NO_STR;
    st->when = st->wait = st->doc = NO_STR;
    p->sbuf.len = 0;
}

/* Hands the gathered step to the workflow. */
static int flush_step(parser *p)
{
    pending *st = &p->st;
    ofb_step_def def;
    ofb__stepsrc src;
    ofb_error e;
    uint32_t i;
    int rc;

    if (!st->active)
        return 0;
    if (st->bad) {
        pending_reset(p);
        return 0;
    }
    if (ofb__grow(&p->alloc, (void **)&p->after_ptr, sizeof *p->after_ptr,
                  &p->cap_after_ptr, st->nafter))
        return nomem(p);
    for (i = 0; i < st->nafter; i++)
        p->after_ptr[i] = p->sbuf.data + p->after_off[i];

    memset(&def, 0, sizeof def);
    def.id = sstr(p, st->id);
    def.title = sstr(p, st->title);
    def.role = sstr(p, st->role);
    def.action = sstr(p, st->action);
    def.after = p->after_ptr;
    def.nafter = st->nafter;
    def.when = sstr(p, st->when);
    def.wait_event = sstr(p, st->wait);
    def.wait_timeout = st->timeout;
    def.retry_count = st->retry;
    def.retry_backoff = st->backoff;
    def.flags = st->flags;
    def.doc = sstr(p, st->doc);

    memset(&src, 0, sizeof src);
    src.at = st->at;
    src.when = st->when_at;
    src.wait = st->wait_at;
    src.after = st->nafter ? p->after_src : NULL;

    rc = ofb__workflow_add_step_src(p->wf, &def, &src, &e);
    if (rc)
        forward(p, rc, &e, st->at.line, st->at.col);
    pending_reset(p);
    return rc ? -1 : 0;
}

/* The workflow every later statement goes into. Before a valid `workflow`
 * line a stand-in is made, so that the rest of the file is still checked
 * (its result is never returned). */
static int ensure_workflow(parser *p)
{
    ofb_error e;
    int rc;

    if (p->wf)
        return 0;
    rc = ofb_workflow_new(&p->wf, "invalid", 1, &p->alloc, &e);
    if (rc == 0)
        rc = ofb__workflow_set_file(p->wf, p->file);
    if (rc)
        return nomem(p);
    p->standin = 1;
    return 0;
}

static int st_workflow(parser *p, const tok *kw)
{
    tok id, ver;
    uint64_t v = 0;
    ofb_error e;
    size_t off;
    int rc;

    if (p->have_workflow)
        return perr(p, OFB_ESYNTAX, kw->col,
                    "'workflow' must be the first statement, and only one");
    p->have_workflow = 1;
    if (expect_id(p, &id, "workflow id"))
        return -1;
    if (next(p, &ver))
        return -1;
    if (ver.kind != T_WORD)
        return unexpected(p, &ver, "a version (a positive integer)");
    rc = parse_uint(ver.s, ver.len, UINT_MAX, &v);
    if (rc == -2)
        return perr(p, OFB_ELIMIT, ver.col, "version '%.*s%s' is too large",
                    show_len(ver.s, ver.len), ver.s, show_more(ver.len));
    if (rc || v == 0)
        return perr(p, OFB_ESYNTAX, ver.col,
                    "invalid version '%.*s%s' (a positive integer)",
                    show_len(ver.s, ver.len), ver.s, show_more(ver.len));
    if (expect_end(p, "workflow"))
        return -1;
    if (keep_word(p, &id, &off))
        return -1;
    rc = ofb_workflow_new(&p->wf, p->strs.data + off, (unsigned)v, &p->alloc,
                          &e);
    if (rc)
        return forward(p, rc, &e, p->line, id.col);
    if (ofb__workflow_set_file(p->wf, p->file))
        return nomem(p);
    return 0;
}

static int st_title_doc(parser *p, const tok *kw, int is_doc)
{
    tok s;
    ofb_error e;
    int rc;

    if (expect_string(p, &s, "a \"string\""))
        return -1;
    if (expect_end(p, is_doc ? "doc" : "title"))
        return -1;
    if (is_doc && p->st.active) {
        if (p->st.doc != NO_STR)
            return perr(p, OFB_ESYNTAX, kw->col, "duplicate 'doc' in a step");
        return keep_step(p, &s, &p->st.doc);
    }
    if (p->seen_step)
        return perr(p, OFB_ESYNTAX, kw->col,
                    is_doc ? "'doc' of the workflow must come before its "
                             "steps"
                           : "'title' of the workflow must come before its "
                             "steps (a step's title is on its 'step' line)");
    if (is_doc ? p->have_doc : p->have_title)
        return perr(p, OFB_ESYNTAX, kw->col, "duplicate '%s'",
                    is_doc ? "doc" : "title");
    if (is_doc) {
        p->have_doc = 1;
        rc = ofb_workflow_set_doc(p->wf, p->strs.data + s.off, &e);
    } else {
        p->have_title = 1;
        rc = ofb_workflow_set_title(p->wf, p->strs.data + s.off, &e);
    }
    return rc ? forward(p, rc, &e, p->line, s.col) : 0;
}

/* input ID TYPE [required] [default VALUE] ["description"] */
static int st_input(parser *p)
{
    tok id, t;
    ofb_input_def def;
    ofb__src at;
    ofb_error e;
    size_t idoff, defoff = NO_STR, descoff = NO_STR;
    uint32_t i;
    int rc;

    if (expect_id(p, &id, "input id"))
        return -1;
    at.line = p->line;
    at.col = id.col;
    memset(&def, 0, sizeof def);
    if (keep_word(p, &id, &idoff))
        return -1;
    if (next(p, &t))
        return -1;
    p->nch = 0;
    if (is_word(&t, "string")) {
        def.type = OFB_TYPE_STRING;
    } else if (is_word(&t, "bool")) {
        def.type = OFB_TYPE_BOOL;
    } else if (is_word(&t, "date")) {
        def.type = OFB_TYPE_DATE;
    } else if (is_word(&t, "choice")) {
        def.type = OFB_TYPE_CHOICE;
        if (next(p, &t))
            return -1;
        if (t.kind != T_LPAREN)
            return unexpected(p, &t, "'(' after 'choice'");
        for (;;) {
            size_t off;
            if (expect_id(p, &t, "choice value"))
                return -1;
            if (keep_word(p, &t, &off))
                return -1;
            if (ofb__grow(&p->alloc, (void **)&p->choff, sizeof *p->choff,
                          &p->cap_choff, (size_t)p->nch + 1))
                return nomem(p);
            p->choff[p->nch++] = off;
            if (next(p, &t))
                return -1;
            if (t.kind == T_RPAREN)
                break;
            if (t.kind != T_COMMA)
                return unexpected(p, &t, "',' or ')' in the choice list");
        }
    } else if (t.kind == T_WORD) {
        return perr(p, OFB_ESYNTAX, t.col,
                    "unknown type '%.*s%s' (string, bool, date or "
                    "choice(a, b, ...))",
                    show_len(t.s, t.len), t.s, show_more(t.len));
    } else {
        return unexpected(p, &t, "a type (string, bool, date or choice)");
    }

    /* The optional parts, each at most once, in the documented order. */
    if (next(p, &t))
        return -1;
    if (is_word(&t, "required")) {
        def.required = 1;
        if (next(p, &t))
            return -1;
    }
    if (is_word(&t, "default")) {
        tok v;
        if (next(p, &v))
            return -1;
        if (v.kind == T_STRING)
            defoff = v.off;
        else if (v.kind == T_WORD) {
            if (keep_word(p, &v, &defoff))
                return -1;
        } else
            return unexpected(p, &v, "a default value");
        if (next(p, &t))
            return -1;
    }
    if (t.kind == T_STRING) {
        descoff = t.off;
        if (next(p, &t))
            return -1;
    }
    if (t.kind != T_END) {
        char found[64];
        describe(&t, found, sizeof found);
        return perr(p, OFB_ESYNTAX, t.col,
                    "unexpected %s in 'input' (input ID TYPE [required] "
                    "[default VALUE] [\"description\"])",
                    found);
    }

    /* strs no longer grows on this line: its pointers are stable now. */
    if (ofb__grow(&p->alloc, (void **)&p->chptr, sizeof *p->chptr,
                  &p->cap_chptr, p->nch))
        return nomem(p);
    for (i = 0; i < p->nch; i++)
        p->chptr[i] = p->strs.data + p->choff[i];
    def.id = p->strs.data + idoff;
    def.choices = p->nch ? p->chptr : NULL;
    def.nchoices = p->nch;
    def.default_value = defoff == NO_STR ? NULL : p->strs.data + defoff;
    def.description = descoff == NO_STR ? NULL : p->strs.data + descoff;
    rc = ofb__workflow_add_input_src(p->wf, &def, at, &e);
    return rc ? forward(p, rc, &e, at.line, at.col) : 0;
}

static int st_step(parser *p, const tok *kw)
{
    tok id, title;

    if (p->nsteps >= OFB_STEPS_MAX) {
        /* Nothing useful can follow: stop here. */
        perr(p, OFB_ELIMIT, kw->col, "more than %d steps", OFB_STEPS_MAX);
        p->stop = 1;
        return -1;
    }
    p->nsteps++;
    p->seen_step = 1;
    p->st.active = 1;
    p->st.bad = 1; /* until the line is known to be good */
    if (expect_id(p, &id, "step id"))
        return -1;
    if (expect_string(p, &title, "a \"title\" after the step id"))
        return -1;
    if (expect_end(p, "step"))
        return -1;
    if (keep_step(p, &id, &p->st.id) || keep_step(p, &title, &p->st.title))
        return -1;
    p->st.at.line = p->line;
    p->st.at.col = id.col;
    p->st.bad = 0;
    return 0;
}

/* role ID / action ID */
static int st_name(parser *p, const tok *kw, size_t *slot, const char *what)
{
    tok id;

    if (expect_id(p, &id, what))
        return -1;
    if (expect_end(p, what))
        return -1;
    if (*slot != NO_STR)
        return perr(p, OFB_ESYNTAX, kw->col, "duplicate '%s' in a step",
                    what);
    return keep_step(p, &id, slot);
}

static int st_after(parser *p)
{
    pending *st = &p->st;
    tok t;
    uint32_t first = st->nafter;

    if (next(p, &t))
        return -1;
    if (t.kind == T_END)
        return unexpected(p, &t, "a prerequisite step id after 'after'");
    while (t.kind != T_END) {
        size_t need = (size_t)st->nafter + 1;
        if (check_id(p, &t, "prerequisite step id"))
            goto undo;
        if (ofb__grow(&p->alloc, (void **)&p->after_off,
                      sizeof *p->after_off, &p->cap_after_off, need) ||
            ofb__grow(&p->alloc, (void **)&p->after_src,
                      sizeof *p->after_src, &p->cap_after_src, need))
            return nomem(p);
        if (keep_step(p, &t, &p->after_off[st->nafter]))
            return -1;
        p->after_src[st->nafter].line = p->line;
        p->after_src[st->nafter].col = t.col;
        st->nafter++;
        if (next(p, &t))
            goto undo;
    }
    return 0;
undo:
    /* A bad line adds nothing. */
    st->nafter = first;
    return -1;
}

/* when EXPR: the rest of the line, without its comment, goes to the guard
 * compiler (at seal) with its position. */
static int st_when(parser *p, const tok *kw)
{
    const char *s = p->ls;
    size_t i = p->pos, start, end;
    int in_str = 0;

    while (i < p->llen && is_space(s[i]))
        i++;
    start = i;
    for (; i < p->llen; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\' && i + 1 < p->llen)
                i++;
            else if (c == '"')
                in_str = 0;
            else if (c == '\t')
                return perr(p, OFB_ESYNTAX, (uint32_t)i + 1,
                            "raw TAB in a string (write \\t)");
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '#') {
            break;
        }
    }
    end = i;
    while (end > start && is_space(s[end - 1]))
        end--;
    if (end == start)
        return perr(p, OFB_ESYNTAX, (uint32_t)start + 1,
                    "expected a guard expression after 'when'");
    if (p->st.when != NO_STR)
        return perr(p, OFB_ESYNTAX, kw->col, "duplicate 'when' in a step");
    p->st.when = p->sbuf.len;
    if (ofb__buf_add(&p->sbuf, s + start, end - start) ||
        ofb__buf_addc(&p->sbuf, 0))
        return nomem(p);
    p->st.when_at.line = p->line;
    p->st.when_at.col = (uint32_t)start + 1;
    return 0;
}

/* wait ID [timeout DURATION] */
static int st_wait(parser *p, const tok *kw)
{
    tok ev, t;
    int64_t timeout = 0;

    if (expect_id(p, &ev, "event id"))
        return -1;
    if (next(p, &t))
        return -1;
    if (is_word(&t, "timeout")) {
        if (expect_duration(p, "timeout", &timeout))
            return -1;
    } else if (t.kind != T_END) {
        return unexpected(p, &t, "'timeout' or end of line");
    }
    if (expect_end(p, "wait"))
        return -1;
    if (p->st.wait != NO_STR)
        return perr(p, OFB_ESYNTAX, kw->col, "duplicate 'wait' in a step");
    if (keep_step(p, &ev, &p->st.wait))
        return -1;
    p->st.timeout = timeout;
    p->st.wait_at.line = p->line;
    p->st.wait_at.col = ev.col;
    return 0;
}

/* retry COUNT [backoff DURATION] */
static int st_retry(parser *p, const tok *kw)
{
    tok n, t;
    uint64_t v = 0;
    int64_t backoff = 0;
    int rc;

    if (next(p, &n))
        return -1;
    if (n.kind != T_WORD)
        return unexpected(p, &n, "a retry count");
    rc = parse_uint(n.s, n.len, UINT_MAX, &v);
    if (rc == -2)
        return perr(p, OFB_ELIMIT, n.col, "retry count '%.*s%s' is too large",
                    show_len(n.s, n.len), n.s, show_more(n.len));
    if (rc)
        return perr(p, OFB_ESYNTAX, n.col,
                    "invalid retry count '%.*s%s' (a whole number)",
                    show_len(n.s, n.len), n.s, show_more(n.len));
    if (next(p, &t))
        return -1;
    if (is_word(&t, "backoff")) {
        if (expect_duration(p, "backoff", &backoff))
            return -1;
    } else if (t.kind != T_END) {
        return unexpected(p, &t, "'backoff' or end of line");
    }
    if (expect_end(p, "retry"))
        return -1;
    if (p->st.have_retry)
        return perr(p, OFB_ESYNTAX, kw->col, "duplicate 'retry' in a step");
    p->st.have_retry = 1;
    p->st.retry = (unsigned)v;
    p->st.backoff = backoff;
    return 0;
}

static unsigned flag_of(const tok *t)
{
    if (is_word(t, "manual"))
        return OFB_STEP_MANUAL;
    if (is_word(t, "optional"))
        return OFB_STEP_OPTIONAL;
    if (is_word(t, "irreversible"))
        return OFB_STEP_IRREVERSIBLE;
    return 0;
}

/* manual | optional | irreversible, one or several on a line. */
static int st_flags(parser *p, const tok *first)
{
    unsigned flags = flag_of(first);
    tok t;

    for (;;) {
        unsigned f;
        if (next(p, &t))
            return -1;
        if (t.kind == T_END)
            break;
        f = flag_of(&t);
        if (!f)
            return unexpected(p, &t, "manual, optional or irreversible");
        flags |= f;
    }
    p->st.flags |= flags;
    return 0;
}

/* One line, comment and spaces already allowed for by the lexer. */
static void statement(parser *p)
{
    tok kw;

    if (next(p, &kw))
        return;
    if (kw.kind == T_END)
        return;
    if (kw.kind != T_WORD) {
        unexpected(p, &kw, "a keyword");
        return;
    }
    if (!p->have_workflow && !is_word(&kw, "workflow")) {
        char found[64];
        describe(&kw, found, sizeof found);
        perr(p, OFB_ESYNTAX, kw.col,
             "expected 'workflow ID VERSION' as the first statement, found "
             "%s",
             found);
        /* Check the rest as if it had been there; a `step` or `input`
         * line is still read, so that the lines after it make sense. */
        p->have_workflow = 1;
        if (ensure_workflow(p) || p->stop)
            return;
        if (!is_word(&kw, "step") && !is_word(&kw, "input"))
            return;
    }
    if (is_word(&kw, "workflow")) {
        st_workflow(p, &kw);
        if (!p->wf)
            ensure_workflow(p);
        return;
    }
    if (is_word(&kw, "title")) {
        st_title_doc(p, &kw, 0);
    } else if (is_word(&kw, "doc")) {
        st_title_doc(p, &kw, 1);
    } else if (is_word(&kw, "input")) {
        if (flush_step(p) == 0 || !p->nomem)
            st_input(p);
    } else if (is_word(&kw, "step")) {
        if (flush_step(p) == 0 || !p->nomem)
            st_step(p, &kw);
    } else if (is_word(&kw, "role") || is_word(&kw, "action") ||
               is_word(&kw, "after") || is_word(&kw, "when") ||
               is_word(&kw, "wait") || is_word(&kw, "retry") ||
               flag_of(&kw)) {
        if (!p->st.active) {
            perr(p, OFB_ESYNTAX, kw.col,
                 "'%.*s' outside a step (step attributes follow a 'step' "
                 "line)",
                 (int)kw.len, kw.s);
            return;
        }
        if (flag_of(&kw))
            st_flags(p, &kw);
        else if (is_word(&kw, "role"))
            st_name(p, &kw, &p->st.role, "role");
        else if (is_word(&kw, "action"))
            st_name(p, &kw, &p->st.action, "action");
        else if (is_word(&kw, "after"))
            st_after(p);
        else if (is_word(&kw, "when"))
            st_when(p, &kw);
        else if (is_word(&kw, "wait"))
            st_wait(p, &kw);
        else
            st_retry(p, &kw);
    } else {
        perr(p, OFB_ESYNTAX, kw.col, "unknown keyword '%.*s%s'",
             show_len(kw.s, kw.len), kw.s, show_more(kw.len));
    }
}

/* Bytes a .ofb file may never hold outside what the lexer checks: invalid
 * UTF-8, NUL and control characters other than TAB (a TAB inside a string
 * is caught by the lexer). 0 when the line is clean. */
static int check_bytes(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->ls;
    size_t bad = ofb__utf8_check(p->ls, p->llen), i;

    for (i = 0; i < bad; i++) {
        if (s[i] >= 0x20 && s[i] != 0x7F)
            continue;
        if (s[i] == '\t')
            continue;
        if (s[i] == 0)
            return perr(p, OFB_ESYNTAX, (uint32_t)i + 1, "NUL byte");
        return perr(p, OFB_ESYNTAX, (uint32_t)i + 1,
                    "raw control character 0x%02X", s[i]);
    }
    if (bad < p->llen)
        return perr(p, OFB_ESYNTAX, (uint32_t)bad + 1,
                    "invalid UTF-8 (byte 0x%02X)", s[bad]);
    return 0;
}

static void parser_free(parser *p)
{
    ofb__buf_free(&p->strs);
    ofb__buf_free(&p->sbuf);
    ofb__free(&p->alloc, p->choff);
    ofb__free(&p->alloc, p->chptr);
    ofb__free(&p->alloc, p->after_off);
    ofb__free(&p->alloc, p->after_src);
    ofb__free(&p->alloc, p->after_ptr);
}

int ofb_workflow_parse(ofb_workflow **out, const char *text, size_t len,
                       const char *name, const ofb_parse_opts *opts,
                       ofb_error *err)
{
    parser p;
    size_t at = 0;
    int rc;

    if (out)
        *out = NULL;
    if (!out || (!text && len))
        return ofb__err(err, OFB_EINVAL, "ofb_workflow_parse: NULL argument");
    memset(&p, 0, sizeof p);
    p.file = name ? name : "<text>";
    ofb__alloc_init(&p.alloc, opts ? opts->alloc : NULL);
    p.diag = opts ? opts->diag : NULL;
    p.payload = opts ? opts->payload : NULL;
    p.max_errors = opts && opts->max_errors ? opts->max_errors
                                            : DEFAULT_MAX_ERRORS;
    p.err = err;
    if (len > OFB_FILE_MAX) {
        ofb_error e;
        ofb__err_at(&e, OFB_ELIMIT, p.file, 0, 0,
                    "%zu bytes, more than the %u-byte limit of a .ofb file",
                    len, OFB_FILE_MAX);
        report(&p, &e);
        return OFB_ELIMIT;
    }
    ofb__buf_init(&p.strs, &p.alloc);
    ofb__buf_init(&p.sbuf, &p.alloc);
    pending_reset(&p);

    /* A byte-order mark some editors add says nothing here. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        at = 3;
    while (at < len && !p.stop) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;

        p.line++;
        p.ls = text + at;
        p.llen = end - at;
        /* CRLF line ends are accepted; a CR anywhere else is an error. */
        if (nl && p.llen > 0 && p.ls[p.llen - 1] == '\r')
            p.llen--;
        p.pos = 0;
        p.strs.len = 0;
        if (check_bytes(&p) == 0)
            statement(&p);
        at = nl ? end + 1 : len;
    }
    if (!p.nomem && !p.stop)
        flush_step(&p);
    if (!p.nomem && !p.have_workflow && p.nerr == 0) {
        p.line = 1;
        perr(&p, OFB_ESYNTAX, 1, "no 'workflow ID VERSION' statement");
    }
    if (p.nomem) {
        rc = ofb__err(err, OFB_ENOMEM, "%s: out of memory while parsing",
                      p.file);
    } else if (p.nerr) {
        rc = p.first_code;
        if (err)
            err->count = (int)p.nerr;
    } else {
        rc = ofb__workflow_seal(p.wf, p.diag, p.payload, p.max_errors, err);
    }
    parser_free(&p);
    if (rc) {
        ofb_workflow_unref(p.wf);
        return rc;
    }
    *out = p.wf;
    return OFB_OK;
}

int ofb_workflow_load_file(ofb_workflow **out, const char *path,
                           const ofb_parse_opts *opts, ofb_error *err)
{
    ofb_allocator a;
    struct stat sb;
    char *buf = NULL;
    size_t len = 0, cap;
    int fd, rc;

    if (out)
        *out = NULL;
    if (!out || !path)
        return ofb__err(err, OFB_EINVAL,
                        "ofb_workflow_load_file: NULL argument");
    ofb__alloc_init(&a, opts ? opts->alloc : NULL);
    fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ofb__err_at(err, OFB_EIO, path, 0, 0, "cannot open: %s",
                           strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return ofb__err_at(err, OFB_EIO, path, 0, 0, "is a directory");
    }
    /* Regular files are measured before anything is read; others (pipes)
     * are read until the limit is passed. */
    if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > OFB_FILE_MAX) {
        close(fd);
        return ofb__err_at(err, OFB_ELIMIT, path, 0, 0,
                           "%jd bytes, more than the %u-byte limit of a .ofb "
                           "file",
                           (intmax_t)sb.st_size, OFB_FILE_MAX);
    }
    /* One byte more than the file holds, so that the end is seen without
     * growing the buffer; a file that grows meanwhile is read on up to the
     * limit. */
    cap = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 1 : 65536;
    buf = ofb__malloc(&a, cap);
    if (!buf)
        goto oom;
    for (;;) {
        ssize_t n;
        if (len == cap) {
            size_t ncap = cap > OFB_FILE_MAX / 2 ? (size_t)OFB_FILE_MAX + 1
                                                 : cap * 2;
            char *nb = ofb__realloc(&a, buf, ncap);
            if (!nb)
                goto oom;
            buf = nb;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            ofb__free(&a, buf);
            close(fd);
            return ofb__err_at(err, OFB_EIO, path, 0, 0, "cannot read: %s",
                               strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > OFB_FILE_MAX) {
            ofb__free(&a, buf);
            close(fd);
            return ofb__err_at(err, OFB_ELIMIT, path, 0, 0,
                               "more than the %u-byte limit of a .ofb file",
                               OFB_FILE_MAX);
        }
    }
    close(fd);
    rc = ofb_workflow_parse(out, buf, len, path, opts, err);
    ofb__free(&a, buf);
    return rc;
oom:
    ofb__free(&a, buf);
    close(fd);
    return ofb__err(err, OFB_ENOMEM, "%s: out of memory", path);
}
