/*
 * expr.c - guard expressions: compile text into plain nodes, evaluate them
 * with three-valued (Kleene) logic.
 *
 *   or   := and ('or' and)*
 *   and  := not ('and' not)*
 *   not  := 'not' not | '(' or ')' | ID [('==' | '!=') VALUE
 *                                     | 'in' '(' VALUE (',' VALUE)* ')']
 *
 * Chains of `or` / `and` are built leaning right (a or (b or c)) so that
 * both the parser and the evaluator walk them in a loop; recursion happens
 * only for `not` and parentheses, whose nesting is capped at
 * OFB__EXPR_DEPTH. Nothing here can overflow the stack.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum tok {
    T_END, T_ID, T_STR, T_NUM, T_LP, T_RP, T_COMMA, T_EQ, T_NE, T_BAD
};

typedef struct parser {
    ofb_workflow *wf;
    const char *s;
    size_t len;
    ofb__src base;
    ofb_error *err;
    int rc;
    enum tok tok;
    size_t start, end; /* the current token */
    unsigned depth;
} parser;

/* ---------------------------------------------------------------- errors */

static int perr(parser *p, int code, size_t off, const char *fmt, ...)
    OFB__PRINTF(4, 5);

static int perr(parser *p, int code, size_t off, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    if (p->rc)
        return p->rc;
    p->rc = code;
    if (!p->err)
        return code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->base.line) {
        ofb__err_at(p->err, code, p->wf->file, (int)p->base.line,
                    (int)(p->base.col + off), "%s", msg);
    } else {
        ofb__err(p->err, code, "%s (column %u)", msg, (unsigned)off + 1);
        p->err->column = (int)off + 1;
    }
    return code;
}

/* The current token's text for a message: short and printable. */
static const char *tok_text(const parser *p, char out[40])
{
    size_t n = p->end - p->start, i;

    if (p->tok == T_END)
        return "the end";
    if (n > 30)
        n = 30;
    out[0] = '\'';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p->s[p->start + i];
        out[1 + i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    if (p->end - p->start > n) {
        memcpy(out + 1 + i, "...", 3);
        i += 3;
    }
    out[1 + i] = '\'';
    out[2 + i] = '\0';
    return out;
}

/* ----------------------------------------------------------------- lexer */

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Reads the next token into p->tok/start/end. Errors become T_BAD with
 * p->rc set. */
static void next(parser *p)
{
    const char *s = p->s;
    size_t i = p->end;

    while (i < p->len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    p->start = i;
    if (i >= p->len) {
        p->tok = T_END;
        p->end = i;
        return;
    }
    char c = s[i];
    if (c == '(' || c == ')' || c == ',') {
        p->tok = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
        p->end = i + 1;
        return;
    }
    if ((c == '=' || c == '!') && i + 1 < p->len && s[i + 1] == '=') {
        p->tok = c == '=' ? T_EQ : T_NE;
        p->end = i + 2;
        return;
    }
    if (c == '=' || c == '!') {
        p->tok = T_BAD;
        p->end = i + 1;
        perr(p, OFB_ESYNTAX, i, "expected '%c=' (comparisons are == and !=)",
             c);
        return;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
        (c >= '0' && c <= '9')) {
        size_t j = i + 1;
        while (j < p->len && id_char(s[j]))
            j++;
        p->tok = (c >= '0' && c <= '9') ? T_NUM : T_ID;
        p->end = j;
        return;
    }
    if (c == '"') {
        size_t j = i + 1;
        for (; j < p->len && s[j] != '"'; j++) {
            unsigned char d = (unsigned char)s[j];
            if (d < 0x20) {
                p->tok = T_BAD;
                p->end = j + 1;
                perr(p, OFB_ESYNTAX, j,
                     "raw control character in a string (use \\t or \\n)");
                return;
            }
            if (d == '\\') {
                if (j + 1 >= p->len) {
                    j = p->len; /* a lone '\' at the end: unterminated */
                    break;
                }
                d = (unsigned char)s[j + 1];
                if (d != '"' && d != '\\' && d != 'n' && d != 't') {
                    p->tok = T_BAD;
                    p->end = j + 2;
                    perr(p, OFB_ESYNTAX, j,
                         "unknown escape '\\%c' (use \\\", \\\\, \\n or \\t)",
                         (d >= 0x20 && d < 0x7f) ? d : '?');
                    return;
                }
                j++;
            }
        }
        if (j >= p->len) {
            p->tok = T_BAD;
            p->end = p->len;
            perr(p, OFB_ESYNTAX, i, "unterminated string");
            return;
        }
        p->tok = T_STR;
        p->end = j + 1;
        return;
    }
    p->tok = T_BAD;
    p->end = i + 1;
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        perr(p, OFB_ESYNTAX, i, "unexpected character '%c'", c);
    else
        perr(p, OFB_ESYNTAX, i, "unexpected byte 0x%02x",
             (unsigned)(unsigned char)c);
}

static bool is_kw(const parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->tok == T_ID && p->end - p->start == n &&
           memcmp(p->s + p->start, kw, n) == 0;
}

static bool keyword(const parser *p)
{
    return is_kw(p, "and") || is_kw(p, "or") || is_kw(p, "not") ||
           is_kw(p, "in") || is_kw(p, "true") || is_kw(p, "false");
}

/* ----------------------------------------------------------------- nodes */

static int new_node(parser *p, uint8_t op, uint32_t input, uint32_t a,
                    uint32_t b, uint32_t *out)
{
    ofb_workflow *wf = p->wf;
    int rc = ofb__grow(&wf->alloc, (void **)&wf->expr, sizeof *wf->expr,
                       &wf->cap_expr, (size_t)wf->nexpr + 1);
    if (rc)
        return perr(p, rc, p->start, "%s", rc == OFB_ENOMEM
                                                ? "out of memory"
                                                : "too many guard nodes");
    wf->expr[wf->nexpr].op = op;
    wf->expr[wf->nexpr].input = input;
    wf->expr[wf->nexpr].a = a;
    wf->expr[wf->nexpr].b = b;
    *out = wf->nexpr++;
    return OFB_OK;
}

static int new_val(parser *p, int64_t i, const char *s, uint32_t *out)
{
    ofb_workflow *wf = p->wf;
    int rc = ofb__grow(&wf->alloc, (void **)&wf->xval, sizeof *wf->xval,
                       &wf->cap_xval, (size_t)wf->nxval + 1);
    if (rc)
        return perr(p, rc, p->start, "%s", rc == OFB_ENOMEM
                                                ? "out of memory"
                                                : "too many guard values");
    wf->xval[wf->nxval].i = i;
    wf->xval[wf->nxval].s = s;
    *out = wf->nxval++;
    return OFB_OK;
}

/* The allowed values of a choice input, for messages. */
static void choice_list(const ofb__input *in, char *out, size_t cap)
{
    size_t n = 0;
    uint32_t k;

    out[0] = '\0';
    for (k = 0; k < in->nchoices && n + OFB_ID_MAX + 8 < cap; k++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", k ? ", " : "",
                              in->choices[k]);
    if (k < in->nchoices)
        snprintf(out + n, cap - n, ", ...");
}

static const char *type_word(ofb_type t)
{
    switch (t) {
    case OFB_TYPE_STRING: return "a string";
    case OFB_TYPE_BOOL: return "a bool";
    case OFB_TYPE_DATE: return "a date";
    case OFB_TYPE_CHOICE: return "a choice";
    }
    return "?";
}

/* Unescapes the current string token into the arena. */
static const char *string_value(parser *p)
{
    const char *s = p->s + p->start + 1;
    size_t n = p->end - p->start - 2, k = 0;
    char *d = ofb__arena_alloc(&p->wf->arena, n + 1);

    if (!d) {
        perr(p, OFB_ENOMEM, p->start, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            c = s[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        d[k++] = c;
    }
    d[k] = '\0';
    return d;
}

/* Parses one VALUE for input `in` and appends it to wf->xval. */
static int value(parser *p, const ofb__input *in, uint32_t *out)
{
    char t[40], list[300];
    size_t off = p->start, n = p->end - p->start;
    const char *txt = p->s + p->start;

    switch (p->tok) {
    case T_ID:
        if (is_kw(p, "true") || is_kw(p, "false")) {
            bool v = is_kw(p, "true");
            if (in->type != OFB_TYPE_BOOL)
                return perr(p, OFB_EDEFINITION, off,
                            "input '%s' is %s, not a bool: it cannot be "
                            "compared with %s",
                            in->id, type_word(in->type), v ? "true" : "false");
            next(p);
            return new_val(p, v, v ? "true" : "false", out);
        }
        if (!ofb__valid_id(txt, n))
            return perr(p, OFB_ESYNTAX, off,
                        "%s is not a valid id ([a-z][a-z0-9_-]*, at most 64 "
                        "bytes)", tok_text(p, t));
        if (in->type == OFB_TYPE_CHOICE) {
            for (uint32_t k = 0; k < in->nchoices; k++)
                if (strlen(in->choices[k]) == n &&
                    memcmp(in->choices[k], txt, n) == 0) {
                    next(p);
                    return new_val(p, k, in->choices[k], out);
                }
            choice_list(in, list, sizeof list);
            return perr(p, OFB_EDEFINITION, off,
                        "input '%s' has no value %s (it is one of %s)", in->id,
                        tok_text(p, t), list);
        }
        if (in->type == OFB_TYPE_STRING) {
            const char *s = ofb__arena_strndup(&p->wf->arena, txt, n);
            if (!s)
                return perr(p, OFB_ENOMEM, off, "out of memory");
            next(p);
            return new_val(p, 0, s, out);
        }
        break;
    case T_STR:
        if (in->type == OFB_TYPE_STRING) {
            const char *s = string_value(p);
            if (!s)
                return p->rc;
            next(p);
            return new_val(p, 0, s, out);
        }
        if (in->type == OFB_TYPE_CHOICE) {
            choice_list(in, list, sizeof list);
            return perr(p, OFB_EDEFINITION, off,
                        "input '%s' is a choice: compare it with one of %s, "
                        "not a string", in->id, list);
        }
        break;
    case T_NUM: {
        int64_t days;
        if (!ofb__parse_date(txt, n, &days))
            return perr(p, OFB_ESYNTAX, off,
                        "%s is not a date (YYYY-MM-DD)", tok_text(p, t));
        if (in->type != OFB_TYPE_DATE)
            break;
        const char *s = ofb__arena_strndup(&p->wf->arena, txt, n);
        if (!s)
            return perr(p, OFB_ENOMEM, off, "out of memory");
        next(p);
        return new_val(p, days, s, out);
    }
    default:
        return perr(p, OFB_ESYNTAX, off, "expected a value, found %s",
                    tok_text(p, t));
    }
    return perr(p, OFB_EDEFINITION, off, "input '%s' is %s: it cannot be "
                "compared with %s", in->id, type_word(in->type),
                tok_text(p, t));
}

/* ---------------------------------------------------------------- parser */

static int parse_or(parser *p, uint32_t *out);

/* ID [== VALUE | != VALUE | in (VALUE, ...)] */
static int comparison(parser *p, uint32_t *out)
{
    char t[40];
    size_t off = p->start, n = p->end - p->start;
    const char *txt = p->s + p->start;
    uint32_t ix, v, first, count = 0;
    const ofb__input *in;

    if (p->tok != T_ID || keyword(p))
        return perr(p, OFB_ESYNTAX, off, "expected an input id, found %s",
                    tok_text(p, t));
    if (!ofb__valid_id(txt, n))
        return perr(p, OFB_ESYNTAX, off,
                    "%s is not a valid id ([a-z][a-z0-9_-]*, at most 64 "
                    "bytes)", tok_text(p, t));
    ix = ofb__map_getn(&p->wf->input_ix, txt, n);
    if (ix == OFB__NONE)
        return perr(p, OFB_EDEFINITION, off, "unknown input '%.*s'", (int)n,
                    txt);
    in = &p->wf->inputs[ix];
    next(p);
    if (p->tok == T_EQ || p->tok == T_NE) {
        uint8_t op = p->tok == T_EQ ? OFB__X_EQ : OFB__X_NE;
        next(p);
        if (p->rc || value(p, in, &v))
            return p->rc;
        return new_node(p, op, ix, v, 0, out);
    }
    if (is_kw(p, "in")) {
        next(p);
        if (p->tok != T_LP)
            return p->rc ? p->rc
                         : perr(p, OFB_ESYNTAX, p->start,
                                "expected '(' after 'in', found %s",
                                tok_text(p, t));
        next(p);
        first = p->wf->nxval;
        for (;;) {
            if (p->rc || value(p, in, &v))
                return p->rc;
            count++;
            if (p->tok == T_RP)
                break;
            if (p->tok != T_COMMA)
                return p->rc ? p->rc
                             : perr(p, OFB_ESYNTAX, p->start,
                                    "expected ',' or ')' in the list, found "
                                    "%s", tok_text(p, t));
            next(p);
        }
        next(p);
        return new_node(p, OFB__X_IN, ix, first, count, out);
    }
    if (in->type != OFB_TYPE_BOOL)
        return perr(p, OFB_EDEFINITION, off,
                    "input '%s' is %s, not a bool: compare it (%s == ...)",
                    in->id, type_word(in->type), in->id);
    return new_node(p, OFB__X_BOOL, ix, 0, 0, out);
}

/* not | ( or ) | comparison. Each `not` and `(` is one level of nesting. */
static int parse_not(parser *p, uint32_t *out)
{
    char t[40];
    uint32_t a;
    int rc;

    if (p->rc)
        return p->rc;
    if (is_kw(p, "not") || p->tok == T_LP) {
        bool neg = p->tok == T_ID;
        size_t off = p->start;
        if (++p->depth > OFB__EXPR_DEPTH)
            return perr(p, OFB_ESYNTAX, off,
                        "the guard nests deeper than %d levels",
                        OFB__EXPR_DEPTH);
        next(p);
        rc = neg ? parse_not(p, &a) : parse_or(p, &a);
        if (!rc && !neg) {
            if (p->tok != T_RP)
                rc = p->rc ? p->rc
                           : perr(p, OFB_ESYNTAX, p->start,
                                  "expected ')' to close the '(' at column "
                                  "%u, found %s",
                                  (unsigned)(p->base.line
                                                 ? p->base.col + off
                                                 : off + 1),
                                  tok_text(p, t));
            else
                next(p);
        }
        p->depth--;
        if (rc)
            return rc;
        if (!neg) {
            *out = a;
            return p->rc;
        }
        return new_node(p, OFB__X_NOT, 0, a, 0, out);
    }
    return comparison(p, out);
}

/* term (KW term)*, built leaning right; KW is "and" (term = not) or "or"
 * (term = and). */
static int chain(parser *p, const char *kw, uint8_t op, uint32_t *out)
{
    uint32_t cur, node, last = OFB__NONE, root = OFB__NONE;
    int rc = op == OFB__X_OR ? chain(p, "and", OFB__X_AND, &cur)
                             : parse_not(p, &cur);

    if (rc)
        return rc;
    while (is_kw(p, kw)) {
        next(p);
        if ((rc = new_node(p, op, 0, cur, OFB__NONE, &node)))
            return rc;
        if (last == OFB__NONE)
            root = node;
        else
            p->wf->expr[last].b = node;
        last = node;
        rc = op == OFB__X_OR ? chain(p, "and", OFB__X_AND, &cur)
                             : parse_not(p, &cur);
        if (rc)
            return rc;
    }
    if (last == OFB__NONE) {
        *out = cur;
    } else {
        p->wf->expr[last].b = cur;
        *out = root;
    }
    return OFB_OK;
}

static int parse_or(parser *p, uint32_t *out)
{
    return chain(p, "or", OFB__X_OR, out);
}

int ofb__expr_compile(ofb_workflow *wf, const char *text, ofb__src base,
                      uint32_t *root, ofb_error *err)
{
    parser p;
    char t[40];
    uint32_t r;

    memset(&p, 0, sizeof p);
    p.wf = wf;
    p.s = text ? text : "";
    p.len = strlen(p.s);
    p.base = base;
    p.err = err;
    if (p.len > OFB_STRING_MAX)
        return perr(&p, OFB_ELIMIT, 0, "the guard is longer than %d bytes",
                    OFB_STRING_MAX);
    next(&p);
    if (p.tok == T_END)
        return perr(&p, OFB_ESYNTAX, 0, "empty guard");
    if (parse_or(&p, &r))
        return p.rc;
    if (p.tok != T_END)
        return p.rc ? p.rc
                    : perr(&p, OFB_ESYNTAX, p.start,
                           "expected 'and', 'or' or the end, found %s",
                           tok_text(&p, t));
    if (root)
        *root = r;
    return OFB_OK;
}

/* ------------------------------------------------------------ evaluation */

static bool equal(const ofb_workflow *wf, const ofb__expr *e,
                  const ofb__ival *v, uint32_t xv)
{
    if (wf->inputs[e->input].type == OFB_TYPE_STRING)
        return strcmp(v->text, wf->xval[xv].s) == 0;
    return v->i == wf->xval[xv].i;
}

/* Recursion only through `not`, parentheses and the switch from an `or`
 * chain to an `and` chain: its depth is bounded by what compile accepted. */
static int eval(const ofb_workflow *wf, uint32_t n, const ofb__ival *vals,
                uint32_t *missing)
{
    const ofb__expr *e = &wf->expr[n];

    switch (e->op) {
    case OFB__X_OR:
    case OFB__X_AND: {
        /* `or` is decided by a true operand, `and` by a false one. */
        const uint8_t op = e->op;
        const int decides = op == OFB__X_OR;
        uint32_t miss = OFB__NONE, m;
        int r;
        for (;;) {
            bool more = wf->expr[n].op == op;
            m = OFB__NONE;
            r = eval(wf, more ? wf->expr[n].a : n, vals, &m);
            if (r == decides)
                return r;
            if (r < 0 && miss == OFB__NONE)
                miss = m;
            if (!more)
                break;
            n = wf->expr[n].b;
        }
        if (miss != OFB__NONE) {
            *missing = miss;
            return -1;
        }
        return !decides;
    }
    case OFB__X_NOT: {
        int r = eval(wf, e->a, vals, missing);
        return r < 0 ? r : !r;
    }
    default:
        break;
    }

    const ofb__ival *v = &vals[e->input];
    if (!v->text) {
        *missing = e->input;
        return -1;
    }
    switch (e->op) {
    case OFB__X_BOOL:
        return v->i != 0;
    case OFB__X_EQ:
        return equal(wf, e, v, e->a);
    case OFB__X_NE:
        return !equal(wf, e, v, e->a);
    case OFB__X_IN:
        for (uint32_t k = 0; k < e->b; k++)
            if (equal(wf, e, v, e->a + k))
                return 1;
        return 0;
    default:
        return 0;
    }
}

int ofb__expr_eval(const ofb_workflow *wf, uint32_t root,
                   const ofb__ival *vals, uint32_t *missing)
{
    uint32_t m = OFB__NONE;
    int r;

    if (root == OFB__NONE) {
        if (missing)
            *missing = OFB__NONE;
        return 1; /* no guard: the step applies */
    }
    r = eval(wf, root, vals, &m);
    if (missing)
        *missing = r < 0 ? m : OFB__NONE;
    return r;
}
