/*
 * import.c - a Markdown checklist turned into .ofb text.
 *
 * The input is the kind of checklist MSPs keep as GitHub issue templates:
 * "## Stage" headings, "- [ ] Role >> Step" lines, prose, and detail lines
 * such as `- [ ] Contract enddate: ""`. The output is a definition that
 * ofb_workflow_parse accepts. Everything that is not written down in the
 * checklist but had to be decided is a guess, and each guess is reported on
 * the notes writer, one line each, so a person can review it.
 *
 * Outline: read lines into sections of items (steps) and details (inputs);
 * find runs of sibling sections that are alternatives of each other (tiers);
 * merge identical steps across tiers; chain every list in its written
 * order; write the definition in an order that is already topological, so
 * that a plan lists each tier's steps exactly as the checklist did.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define TITLE_MAX 1024   /* bytes kept of a title or label */
#define DOC_MAX 2000     /* bytes kept of the prose that becomes doc */
#define GROUP_MAX 64     /* tiers in one group (a uint64_t mask) */

typedef struct imp_item {
    const char *title;   /* cleaned text */
    const char *role;    /* role id, or NULL */
    uint32_t kid;        /* identity of (role, title), for merging */
    uint32_t line;
    uint32_t sec;        /* its section */
    unsigned flags;      /* OFB_STEP_* */
} imp_item;

typedef struct imp_section {
    const char *heading; /* cleaned, "" before any heading */
    int level;           /* 1..6, 0 before any heading */
    uint32_t line;
    uint32_t first, count; /* its items, a range of im->items */
} imp_section;

typedef struct imp_detail {
    const char *label;
    const char *value;   /* the text between the quotes */
    uint32_t line;
} imp_detail;

typedef struct imp_group {
    uint32_t first, n;   /* step sections (index into im->ssec) */
    const char *input;   /* the choice input's id */
    const char **values; /* one id per tier */
    const char *descr;   /* from a detail line, or NULL */
    const char *word;    /* the heading word the sections share */
    const char *base;    /* the input id asked for, before deduplication */
    uint32_t owner;      /* the group whose input this is (itself or an
                            earlier group labelled the same way) */
    const char **all;    /* owner only: every value of the input */
    uint32_t nall, cap_all;
} imp_group;

typedef struct imp_node {
    uint32_t item;       /* the first item it came from */
    uint32_t group;      /* NONE outside tiers */
    uint64_t tiers;      /* bit t: the step is in the group's tier t */
    const char *id;
} imp_node;

typedef struct imp_edge {
    uint32_t to, from;
} imp_edge;

typedef struct imp_input {
    const char *id;
    const char *type;    /* "string", "date", "bool" or NULL for choice */
    const char **choices;
    uint32_t nchoices;
    const char *def;     /* default text as written in .ofb, or NULL */
    const char *descr;
    uint32_t group;      /* NONE, or the group it is the input of */
} imp_input;

typedef struct imp {
    ofb_allocator al;
    ofb__arena ar;
    const char *name;
    ofb_write_fn notes;
    void *notes_payload;
    ofb_write_fn write;
    void *payload;

    imp_item *items;
    uint32_t nitems, cap_items;
    imp_section *secs;
    uint32_t nsecs, cap_secs;
    imp_detail *dets;
    uint32_t ndets, cap_dets;
    uint32_t *ssec;          /* sections that hold steps */
    uint32_t nssec, cap_ssec;
    imp_group *groups;
    uint32_t ngroups, cap_groups;
    imp_node *nodes;
    uint32_t nnodes, cap_nodes;
    uint32_t *order;         /* nodes in output order */
    uint32_t norder, cap_order;
    imp_edge *edges;
    uint32_t nedges, cap_edges;
    imp_input *inputs;
    uint32_t ninputs, cap_inputs;

    ofb__map keys;           /* identity text -> kid */
    uint32_t nkeys;
    ofb__map ids, idctr, inids;

    const char *fm_name, *h1;
    ofb__buf doc;
    ofb__buf tmp;            /* scratch for notes and ids */
    ofb__buf out;
    int all_optional;
} imp;

/* ------------------------------------------------------------- text */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return need;
}

/*
 * A copy of text fit for a .ofb string: valid UTF-8 ('?' for bad bytes), no
 * control characters, whitespace collapsed, trimmed, at most max bytes (cut
 * on a character boundary). NULL only when out of memory.
 */
static char *clean(imp *im, const char *src, size_t n, size_t max)
{
    ofb__buf *b = &im->tmp;
    b->len = 0;
    const unsigned char *s = (const unsigned char *)src;
    int pending_space = 0;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_len(s + i, n - i);
        if (l == 1 && (s[i] < 0x20 || s[i] == 0x7f || s[i] == ' ')) {
            pending_space = b->len > 0;
            i++;
            continue;
        }
        size_t add = l ? l : 1;
        if (b->len + add + (size_t)pending_space > max)
            break;
        if (pending_space && ofb__buf_addc(b, ' ') != OFB_OK)
            return NULL;
        pending_space = 0;
        if (l == 0) {
            if (ofb__buf_addc(b, '?') != OFB_OK)
                return NULL;
        } else if (ofb__buf_add(b, s + i, l) != OFB_OK) {
            return NULL;
        }
        i += add;
    }
    return ofb__arena_strndup(&im->ar, b->data ? b->data : "", b->len);
}

/*
 * An identifier from text: ASCII letters and digits lowercased, every other
 * run of characters one `sep`, at most max bytes, starting with a letter
 * (prefix added otherwise). Never empty: `fallback` when nothing is left.
 */
static char *idify(imp *im, const char *text, char sep, size_t max,
                   const char *prefix, const char *fallback)
{
    ofb__buf *b = &im->tmp;
    b->len = 0;
    int gap = 0;
    for (const char *p = text; *p; p++) {
        char c = lower(*p);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (b->len == 0 && c >= '0' && c <= '9') {
                if (ofb__buf_adds(b, prefix) != OFB_OK)
                    return NULL;
                gap = 0;
            }
            if (gap && b->len && ofb__buf_addc(b, sep) != OFB_OK)
                return NULL;
            gap = 0;
            if (ofb__buf_addc(b, c) != OFB_OK)
                return NULL;
        } else {
            gap = 1;
        }
    }
    size_t len = b->len;
    if (len > max) {
        /* Cut at a word boundary when one is near enough. */
        len = max;
        if (b->data[len] != sep) {
            size_t w = len;
            while (w > max / 2 && b->data[w - 1] != sep)
                w--;
            if (w > max / 2)
                len = w;
        }
    }
    while (len && b->data[len - 1] == sep)
        len--;
    if (len == 0)
        return ofb__arena_strdup(&im->ar, fallback);
    return ofb__arena_strndup(&im->ar, b->data, len);
}

/* Words of the guard language that cannot be values or input names. */
static int is_keyword(const char *s)
{
    static const char *const kw[] = {"and", "or", "not", "in", "true",
                                     "false"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(s, kw[i]) == 0)
            return 1;
    return 0;
}

static int starts_with_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (lower(*s) != *prefix)
            return 0;
    return 1;
}

static int contains_ci(const char *s, const char *needle)
{
    for (; *s; s++)
        if (starts_with_ci(s, needle))
            return 1;
    return 0;
}

/* ------------------------------------------------------------- notes */

/* Starts a note "NAME:LINE: " in im->tmp; note_end sends it. */
static int note_begin(imp *im, uint32_t line)
{
    im->tmp.len = 0;
    if (line)
        return ofb__buf_addf(&im->tmp, "%s:%u: guess: ", im->name,
                             (unsigned)line);
    return ofb__buf_addf(&im->tmp, "%s: guess: ", im->name);
}

static int note_end(imp *im, int rc)
{
    if (rc != OFB_OK)
        return rc;
    if ((rc = ofb__buf_addc(&im->tmp, '\n')) != OFB_OK)
        return rc;
    if (!im->notes)
        return OFB_OK;
    return im->notes(im->tmp.data, im->tmp.len, im->notes_payload);
}

/* ------------------------------------------------------------- growth */

#define PUSH(im, arr, n, cap, out)                                          \
    do {                                                                    \
        int rc_ = ofb__grow(&(im)->al, (void **)&(arr), sizeof *(arr),      \
                            &(cap), (size_t)(n) + 1);                       \
        if (rc_ != OFB_OK)                                                  \
            return rc_;                                                     \
        (out) = &(arr)[(n)++];                                              \
    } while (0)

/* ------------------------------------------------------------- reading */

/* Recognises a list item: text gets what follows the marker and the
 * checkbox, box whether there was a checkbox. */
static int list_item(const char *p, const char *end, const char **text,
                     int *box)
{
    while (p < end && is_space((unsigned char)*p))
        p++;
    if (p >= end)
        return 0;
    if (*p == '-' || *p == '*' || *p == '+') {
        p++;
    } else if (*p >= '0' && *p <= '9') {
        int digits = 0;
        while (p < end && *p >= '0' && *p <= '9' && digits < 9) {
            p++;
            digits++;
        }
        if (p >= end || (*p != '.' && *p != ')'))
            return 0;
        p++;
    } else {
        return 0;
    }
    if (p < end && !is_space((unsigned char)*p))
        return 0;
    while (p < end && is_space((unsigned char)*p))
        p++;
    *box = 0;
    if (end - p >= 3 && p[0] == '[' && (p[1] == ' ' || p[1] == 'x' ||
                                         p[1] == 'X') && p[2] == ']' &&
        (end - p == 3 || is_space((unsigned char)p[3]))) {
        *box = 1;
        p += 3;
    }
    *text = p;
    return 1;
}

static int heading(const char *p, const char *end, int *level,
                   const char **text, const char **tend)
{
    int indent = 0;
    while (p < end && *p == ' ' && indent < 4) {
        p++;
        indent++;
    }
    if (indent > 3)
        return 0;
    int n = 0;
    while (p < end && *p == '#' && n < 7) {
        p++;
        n++;
    }
    if (n < 1 || n > 6 || (p < end && !is_space((unsigned char)*p)))
        return 0;
    const char *e = end;
    while (e > p && is_space((unsigned char)e[-1]))
        e--;
    while (e > p && e[-1] == '#')
        e--;
    *level = n;
    *text = p;
    *tend = e;
    return 1;
}

static int add_section(imp *im, const char *h, int level, uint32_t line)
{
    imp_section *s;
    PUSH(im, im->secs, im->nsecs, im->cap_secs, s);
    s->heading = h;
    s->level = level;
    s->line = line;
    s->first = im->nitems;
    s->count = 0;
    return OFB_OK;
}

/* Removes trailing markers the checklist exporter writes, "(optional)",
 * "(irreversible)", "(done by ...)", "(when ...)", so that an exported or
 * ticked checklist reads back. */
static void strip_markers(char *t, unsigned *flags)
{
    for (int round = 0; round < 4; round++) {
        size_t n = strlen(t);
        if (n < 2 || t[n - 1] != ')')
            return;
        char *open = strrchr(t, '(');
        if (!open)
            return;
        const char *in = open + 1;
        if (starts_with_ci(in, "irreversible)"))
            *flags |= OFB_STEP_IRREVERSIBLE;
        else if (starts_with_ci(in, "optional)"))
            *flags |= OFB_STEP_OPTIONAL;
        else if (!starts_with_ci(in, "done by") &&
                 !starts_with_ci(in, "skipped") &&
                 !starts_with_ci(in, "does not apply") &&
                 !starts_with_ci(in, "waiting") &&
                 !starts_with_ci(in, "failed") &&
                 !starts_with_ci(in, "confirm") &&
                 !starts_with_ci(in, "when "))
            return;
        while (open > t && open[-1] == ' ')
            open--;
        *open = '\0';
    }
}

/* "~~text~~" marks a line struck out; the step itself is still wanted. */
static void strip_strike(char *t)
{
    char *w = t;
    for (const char *r = t; *r; r++) {
        if (r[0] == '~' && r[1] == '~') {
            r++;
            continue;
        }
        *w++ = *r;
    }
    *w = '\0';
    while (w > t && w[-1] == ' ')
        *--w = '\0';
    char *s = t;
    while (*s == ' ')
        s++;
    if (s != t)
        memmove(t, s, strlen(s) + 1);
}

/* `Label: "value"` or `text to fill in ""`: a detail of the offboarding. */
static int detail(imp *im, const char *text, uint32_t line, int *is_detail)
{
    *is_detail = 0;
    size_t n = strlen(text);
    if (n < 2 || text[n - 1] != '"' || strstr(text, ">>"))
        return OFB_OK;
    const char *open = NULL;
    for (size_t i = n - 1; i-- > 0;)
        if (text[i] == '"') {
            open = text + i;
            break;
        }
    if (!open)
        return OFB_OK;
    const char *le = open;
    while (le > text && le[-1] == ' ')
        le--;
    int colon = le > text && le[-1] == ':';
    size_t vlen = (size_t)(text + n - 1 - (open + 1));
    if (!colon && vlen != 0)
        return OFB_OK; /* a title that ends with a quotation */
    if (colon)
        le--;
    while (le > text && (le[-1] == ' ' || le[-1] == ',' || le[-1] == ':'))
        le--;
    if (le == text)
        return OFB_OK;
    imp_detail *d;
    PUSH(im, im->dets, im->ndets, im->cap_dets, d);
    d->label = ofb__arena_strndup(&im->ar, text, (size_t)(le - text));
    d->value = ofb__arena_strndup(&im->ar, open + 1, vlen);
    d->line = line;
    if (!d->label || !d->value)
        return OFB_ENOMEM;
    *is_detail = 1;
    return OFB_OK;
}

static int add_item(imp *im, const char *raw, size_t n, uint32_t line)
{
    char *t = clean(im, raw, n, TITLE_MAX);
    if (!t)
        return OFB_ENOMEM;
    int is_detail;
    int rc = detail(im, t, line, &is_detail);
    if (rc != OFB_OK || is_detail)
        return rc;
    unsigned flags = 0;
    strip_strike(t);
    strip_markers(t, &flags);
    const char *role = NULL, *title = t;
    char *sep = strstr(t, ">>");
    if (sep) {
        *sep = '\0';
        title = sep + 2;
        while (*title == ' ' || *title == '>')
            title++;
        size_t rl = strlen(t);
        while (rl && t[rl - 1] == ' ')
            t[--rl] = '\0';
        if (rl > 0 && rl <= 100) {
            role = idify(im, t, '-', OFB_ID_MAX, "role-", "");
            if (!role)
                return OFB_ENOMEM;
            if (!*role) {
                role = NULL;
                rc = note_begin(im, line);
                if (rc == OFB_OK)
                    rc = ofb__buf_addf(&im->tmp, "role '%s' has no letters "
                                       "or digits: the step has no role", t);
                if ((rc = note_end(im, rc)) != OFB_OK)
                    return rc;
            }
        }
    }
    if (!*title)
        return OFB_OK; /* "- [ ] CSM >>" with nothing to do */
    if (im->nitems >= OFB_STEPS_MAX)
        return OFB_ELIMIT;
    /* Identity for merging: role and title, case and spacing ignored. */
    ofb__buf *b = &im->tmp;
    b->len = 0;
    if ((rc = ofb__buf_adds(b, role ? role : "")) != OFB_OK ||
        (rc = ofb__buf_addc(b, '\x1f')) != OFB_OK)
        return rc;
    for (const char *p = title; *p; p++)
        if ((rc = ofb__buf_addc(b, lower(*p))) != OFB_OK)
            return rc;
    uint32_t kid = ofb__map_getn(&im->keys, b->data, b->len);
    if (kid == OFB__NONE) {
        char *key = ofb__arena_strndup(&im->ar, b->data, b->len);
        if (!key)
            return OFB_ENOMEM;
        kid = im->nkeys++;
        if ((rc = ofb__map_put(&im->keys, &im->al, key, kid)) != OFB_OK)
            return rc;
    }
    if (im->nsecs == 0 && (rc = add_section(im, "", 0, line)) != OFB_OK)
        return rc;
    imp_item *it;
    PUSH(im, im->items, im->nitems, im->cap_items, it);
    it->title = title;
    it->role = role;
    it->kid = kid;
    it->line = line;
    it->sec = im->nsecs - 1;
    it->flags = flags;
    im->secs[im->nsecs - 1].count++;
    return OFB_OK;
}

static int has_checkbox(const char *md, size_t len)
{
    const char *p = md, *end = md + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e)
            e = end;
        const char *text;
        int box;
        if (list_item(p, e, &text, &box) && box)
            return 1;
        p = e < end ? e + 1 : end;
    }
    return 0;
}

/* Front matter of an issue template: "---", "name: ...", ..., "---". */
static const char *front_matter(imp *im, const char *p, const char *end,
                                uint32_t *lineno, int *rc)
{
    const char *q = p;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (end - q < 3 || memcmp(q, "---", 3) != 0)
        return p;
    const char *e = memchr(q, '\n', (size_t)(end - q));
    if (!e)
        return p;
    const char *s = e + 1;
    uint32_t n = 1;
    for (const char *l = s; l < end && n < 100; n++) {
        const char *le = memchr(l, '\n', (size_t)(end - l));
        if (!le)
            le = end;
        const char *t = l;
        while (t < le && is_space((unsigned char)*t))
            t++;
        if (le - t >= 3 && memcmp(t, "---", 3) == 0) {
            /* Found the end: now read the keys. */
            for (const char *k = s; k < l;) {
                const char *ke = memchr(k, '\n', (size_t)(l - k));
                if (!ke)
                    ke = l;
                if (ke - k > 5 && memcmp(k, "name:", 5) == 0) {
                    const char *v = k + 5, *ve = ke;
                    while (v < ve && is_space((unsigned char)*v))
                        v++;
                    while (ve > v && is_space((unsigned char)ve[-1]))
                        ve--;
                    if (ve - v >= 2 && (*v == '"' || *v == '\'') &&
                        ve[-1] == *v) {
                        v++;
                        ve--;
                    }
                    char *nm = clean(im, v, (size_t)(ve - v), TITLE_MAX);
                    if (!nm) {
                        *rc = OFB_ENOMEM;
                        return p;
                    }
                    /* YAML's \" and \\ in a double-quoted name. */
                    char *w = nm;
                    for (const char *r = nm; *r; r++) {
                        if (r[0] == '\\' && (r[1] == '"' || r[1] == '\\'))
                            r++;
                        *w++ = *r;
                    }
                    *w = '\0';
                    im->fm_name = nm;
                }
                k = ke + 1;
            }
            *lineno += n + 1;
            return le < end ? le + 1 : end;
        }
        l = le + 1;
    }
    return p;
}

static int read_md(imp *im, const char *md, size_t len, int plain_ok)
{
    int rc = OFB_OK;
    const char *p = md, *end = md + len;
    uint32_t lineno = 1;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    p = front_matter(im, p, end, &lineno, &rc);
    if (rc != OFB_OK)
        return rc;
    int fence = 0;
    for (; p < end; lineno++) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e)
            e = end;
        const char *next = e < end ? e + 1 : end;
        const char *t = p;
        while (t < e && is_space((unsigned char)*t))
            t++;
        if (e - t >= 3 && (memcmp(t, "```", 3) == 0 ||
                           memcmp(t, "~~~", 3) == 0)) {
            fence = !fence;
            p = next;
            continue;
        }
        if (fence) {
            p = next;
            continue;
        }
        int level, box;
        const char *h, *he, *text;
        if (heading(p, e, &level, &h, &he)) {
            char *ht = clean(im, h, (size_t)(he - h), TITLE_MAX);
            if (!ht)
                return OFB_ENOMEM;
            if (level == 1 && !im->h1 && *ht)
                im->h1 = ht;
            if ((rc = add_section(im, ht, level, lineno)) != OFB_OK)
                return rc;
        } else if (list_item(p, e, &text, &box) && (box || plain_ok)) {
            if ((rc = add_item(im, text, (size_t)(e - text), lineno)) !=
                OFB_OK)
                return rc;
        } else if (im->nitems == 0 && t < e && *t != '<' && *t != '|' &&
                   !(e - t >= 3 && memcmp(t, "---", 3) == 0) &&
                   im->doc.len < DOC_MAX) {
            /* Prose before the first step says what the checklist is for. */
            char *c = clean(im, t, (size_t)(e - t), DOC_MAX);
            if (!c)
                return OFB_ENOMEM;
            if (*c && ((im->doc.len && (rc = ofb__buf_addc(&im->doc, ' ')))
                       || (rc = ofb__buf_adds(&im->doc, c))))
                return rc;
        }
        p = next;
    }
    return OFB_OK;
}

/* ------------------------------------------------------------- tiers */

/* First or last word of a heading, lowercased, into the arena. */
static const char *word_of(imp *im, const char *h, int last, size_t *wlen)
{
    const char *s = h, *e = h + strlen(h);
    if (last) {
        s = e;
        while (s > h && s[-1] != ' ')
            s--;
    } else {
        e = strchr(h, ' ');
        if (!e)
            e = h + strlen(h);
    }
    *wlen = (size_t)(e - s);
    char *w = ofb__arena_strndup(&im->ar, s, (size_t)(e - s));
    if (w)
        for (char *q = w; *q; q++)
            *q = lower(*q);
    return w;
}

static int word_count_ge2(const char *h) { return strchr(h, ' ') != NULL; }

/* Words that name tiers or alternatives, not steps of a sequence. */
static int tierish(const char *w)
{
    static const char *const words[] = {
        "offboarding", "onboarding", "tier", "tiers", "customer",
        "customers", "client", "clients", "plan", "package", "option",
        "options", "contract", "level", "support", "service", "services",
        "only", "variant", "edition", "subscription"};
    size_t n = strlen(w);
    while (n && (w[n - 1] == ':' || w[n - 1] == '='))
        n--;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return 1;
    return 0;
}

static int sequential_word(const char *w)
{
    static const char *const words[] = {"stage", "step", "phase", "part",
                                        "section", "week", "day", "round",
                                        "stap", "fase"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i], w) == 0)
            return 1;
    return 0;
}

/* How many step sections from i on share the first (last) heading word. */
static int run_length(imp *im, uint32_t i, int last, const char **word,
                      uint32_t *len)
{
    const imp_section *a = &im->secs[im->ssec[i]];
    *len = 1;
    *word = NULL;
    if (!word_count_ge2(a->heading))
        return OFB_OK;
    size_t wl;
    const char *w = word_of(im, a->heading, last, &wl);
    if (!w)
        return OFB_ENOMEM;
    *word = w;
    uint32_t j = i + 1;
    while (j < im->nssec && *len < GROUP_MAX) {
        const imp_section *b = &im->secs[im->ssec[j]];
        if (b->level != a->level || !word_count_ge2(b->heading))
            break;
        const char *w2 = word_of(im, b->heading, last, &wl);
        if (!w2)
            return OFB_ENOMEM;
        if (strcmp(w, w2) != 0)
            break;
        (*len)++;
        j++;
    }
    return OFB_OK;
}

/* Whether some step (same role and title) is in two of the sections. */
static int shares_steps(imp *im, uint32_t i, uint32_t n, uint32_t *mark)
{
    int shared = 0;
    for (uint32_t k = i; k < i + n; k++) {
        const imp_section *s = &im->secs[im->ssec[k]];
        for (uint32_t x = s->first; x < s->first + s->count; x++) {
            uint32_t kid = im->items[x].kid;
            if (mark[kid] != NONE && mark[kid] != k)
                shared = 1;
            mark[kid] = k;
        }
    }
    for (uint32_t k = i; k < i + n; k++) {
        const imp_section *s = &im->secs[im->ssec[k]];
        for (uint32_t x = s->first; x < s->first + s->count; x++)
            mark[im->items[x].kid] = NONE;
    }
    return shared;
}


/* A unique id from base in the namespace `used`: base, base_2, base_3...
 * ctr remembers the next number per base so that many equal titles stay
 * linear. */
static int unique(imp *im, ofb__map *used, ofb__map *ctr, const char *base,
                  const char **out)
{
    int rc;
    const char *id = base;
    if (ofb__map_get(used, base) != OFB__NONE) {
        uint32_t n = ctr ? ofb__map_get(ctr, base) : OFB__NONE;
        if (n == OFB__NONE)
            n = 2;
        for (;; n++) {
            char suffix[16];
            int sl = snprintf(suffix, sizeof suffix, "_%u", (unsigned)n);
            size_t bl = strlen(base);
            if (bl + (size_t)sl > OFB_ID_MAX)
                bl = OFB_ID_MAX - (size_t)sl;
            char *c = ofb__arena_alloc(&im->ar, bl + (size_t)sl + 1);
            if (!c)
                return OFB_ENOMEM;
            memcpy(c, base, bl);
            memcpy(c + bl, suffix, (size_t)sl + 1);
            if (ofb__map_get(used, c) == OFB__NONE) {
                id = c;
                break;
            }
        }
        if (ctr && (rc = ofb__map_put(ctr, &im->al, base, n + 1)) != OFB_OK)
            return rc;
    }
    if ((rc = ofb__map_put(used, &im->al, id, 1)) != OFB_OK)
        return rc;
    *out = id;
    return OFB_OK;
}

/* An id usable as a choice value or input name (not a guard keyword). */
static const char *not_keyword(imp *im, const char *id)
{
    if (!is_keyword(id))
        return id;
    size_t n = strlen(id);
    char *c = ofb__arena_alloc(&im->ar, n + 2);
    if (c) {
        memcpy(c, id, n);
        c[n] = '_';
        c[n + 1] = '\0';
    }
    return c;
}

/* The heading without the shared word. */
static const char *heading_rest(imp *im, const char *h, int last)
{
    const char *s = h, *e = h + strlen(h);
    if (last) {
        e = strrchr(h, ' ');
        if (!e)
            e = h;
    } else {
        s = strchr(h, ' ');
        s = s ? s + 1 : e;
    }
    return ofb__arena_strndup(&im->ar, s, (size_t)(e - s));
}

static int has_letter(const char *s)
{
    for (; *s; s++)
        if ((lower(*s) >= 'a' && lower(*s) <= 'z') || (*s & 0x80))
            return 1;
    return 0;
}

/* Adds a value to a group's input unless it has it already (ignoring
 * '_' and '-', so that "fullstack" is "full_stack"). */
static int same_value(const char *a, const char *b)
{
    for (;;) {
        while (*a == '_' || *a == '-')
            a++;
        while (*b == '_' || *b == '-')
            b++;
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
        a++;
        b++;
    }
}

static int add_value(imp *im, imp_group *owner, const char **v)
{
    for (uint32_t k = 0; k < owner->nall; k++)
        if (same_value(owner->all[k], *v)) {
            /* Guards must name the value the input has. */
            *v = owner->all[k];
            return OFB_OK;
        }
    int rc = ofb__grow(&im->al, (void **)&owner->all, sizeof *owner->all,
                       &owner->cap_all, (size_t)owner->nall + 1);
    if (rc == OFB_OK)
        owner->all[owner->nall++] = *v;
    return rc;
}

/* Whether step sections i.. sharing `word` are alternatives. */
static int alternatives(imp *im, uint32_t i, uint32_t n, int last,
                        const char *word, uint32_t *mark, int *ok)
{
    *ok = 0;
    if (n < 2 || !word || (!last && sequential_word(word)))
        return OFB_OK;
    for (uint32_t k = i; k < i + n; k++) {
        const char *rest = heading_rest(im, im->secs[im->ssec[k]].heading,
                                        last);
        if (!rest)
            return OFB_ENOMEM;
        if (!has_letter(rest))
            return OFB_OK; /* "Stage 1", "Stage 2": a sequence */
    }
    size_t wl = strlen(word);
    int labelled = !last && wl > 1 &&
                   (word[wl - 1] == ':' || word[wl - 1] == '=');
    *ok = labelled || tierish(word) || shares_steps(im, i, n, mark);
    return OFB_OK;
}

static int find_groups(imp *im)
{
    int rc = OFB_OK;
    uint32_t *mark = ofb__malloc(&im->al, sizeof *mark * (im->nkeys + 1));
    if (!mark)
        return OFB_ENOMEM;
    for (uint32_t k = 0; k <= im->nkeys; k++)
        mark[k] = NONE;
    for (uint32_t i = 0; i < im->nssec;) {
        const char *wl, *wf;
        uint32_t nl, nf;
        int okl, okf;
        if ((rc = run_length(im, i, 1, &wl, &nl)) != OFB_OK ||
            (rc = run_length(im, i, 0, &wf, &nf)) != OFB_OK ||
            (rc = alternatives(im, i, nl, 1, wl, mark, &okl)) != OFB_OK ||
            (rc = alternatives(im, i, nf, 0, wf, mark, &okf)) != OFB_OK)
            break;
        if (!okl)
            nl = 0;
        if (!okf)
            nf = 0;
        if (!nl && !nf) {
            i++;
            continue;
        }
        int last = nl >= nf;
        uint32_t n = last ? nl : nf;
        const char *w = last ? wl : wf;
        imp_group *g;
        int grc = ofb__grow(&im->al, (void **)&im->groups, sizeof *g,
                            &im->cap_groups, (size_t)im->ngroups + 1);
        if (grc != OFB_OK) {
            rc = grc;
            break;
        }
        g = &im->groups[im->ngroups++];
        memset(g, 0, sizeof *g);
        g->first = i;
        g->n = n;
        g->word = w;
        g->values = ofb__arena_alloc(&im->ar, sizeof *g->values * n);
        if (!g->values) {
            rc = OFB_ENOMEM;
            break;
        }
        for (uint32_t t = 0; t < n && rc == OFB_OK; t++) {
            const char *rest = heading_rest(
                im, im->secs[im->ssec[i + t]].heading, last);
            const char *v = rest ? idify(im, rest, '_', OFB_ID_MAX, "v_",
                                         "option") : NULL;
            v = v ? not_keyword(im, v) : NULL;
            if (!v) {
                rc = OFB_ENOMEM;
                break;
            }
            /* Two headings with the same id: keep them apart. "Same" is
             * add_value's sense (stag_e is stage), and each retry takes
             * a new number, so that a long id cut to size cannot come
             * back to one already taken. */
            const char *base = v;
            unsigned k = (unsigned)t + 1;
            for (uint32_t u = 0; u < t; u++) {
                if (same_value(g->values[u], v)) {
                    char *c = ofb__arena_alloc(&im->ar, strlen(base) + 16);
                    if (!c) {
                        rc = OFB_ENOMEM;
                        break;
                    }
                    snprintf(c, strlen(base) + 16, "%.*s_%u",
                             (int)(OFB_ID_MAX - 12), base, k++);
                    v = c;
                    u = (uint32_t)-1; /* check again from the start */
                }
            }
            g->values[t] = v;
        }
        if (rc != OFB_OK)
            break;
        const char *base = "tier";
        size_t wlen = strlen(w);
        if (!last && wlen > 1 && (w[wlen - 1] == ':' || w[wlen - 1] == '=')) {
            base = idify(im, w, '_', OFB_ID_MAX, "input_", "tier");
            base = base ? not_keyword(im, base) : NULL;
            if (!base) {
                rc = OFB_ENOMEM;
                break;
            }
        }
        /* "### tier: a" ... "### tier: b" further on is the same input. */
        int labelled = !last && wlen > 1 &&
                       (w[wlen - 1] == ':' || w[wlen - 1] == '=');
        g->base = labelled ? base : NULL;
        g->owner = im->ngroups - 1;
        for (uint32_t o = 0; o + 1 < im->ngroups; o++)
            if (im->groups[o].owner == o && g->base && im->groups[o].base &&
                strcmp(im->groups[o].base, g->base) == 0) {
                g->owner = o;
                g->input = im->groups[o].input;
            }
        if (g->owner == im->ngroups - 1 &&
            (rc = unique(im, &im->inids, NULL, base, &g->input)) != OFB_OK)
            break;
        for (uint32_t t = 0; t < n && rc == OFB_OK; t++)
            rc = add_value(im, &im->groups[g->owner], &g->values[t]);
        if (rc != OFB_OK)
            break;
        g = &im->groups[im->ngroups - 1];
        /* One line naming the sections and the choice. */
        rc = note_begin(im, im->secs[im->ssec[i]].line);
        for (uint32_t t = 0; t < n && rc == OFB_OK; t++)
            rc = ofb__buf_addf(&im->tmp, "%s'%s'", t ? ", " : "sections ",
                               im->secs[im->ssec[i + t]].heading);
        if (rc == OFB_OK)
            rc = ofb__buf_addf(&im->tmp, " are alternatives (they share "
                               "the word '%s'): input '%s' chooses one (",
                               w, g->input);
        for (uint32_t t = 0; t < n && rc == OFB_OK; t++)
            rc = ofb__buf_addf(&im->tmp, "%s%s", t ? ", " : "",
                               g->values[t]);
        if (rc == OFB_OK)
            rc = ofb__buf_adds(&im->tmp, ")");
        if ((rc = note_end(im, rc)) != OFB_OK)
            break;
        i += n;
    }
    ofb__free(&im->al, mark);
    return rc;
}

/* Detail lines become inputs; a list of the tiers describes the tier. */
static int details_to_inputs(imp *im)
{
    int rc;
    imp_input *in;
    for (uint32_t g = 0; g < im->ngroups; g++) {
        if (im->groups[g].owner != g)
            continue;
        PUSH(im, im->inputs, im->ninputs, im->cap_inputs, in);
        memset(in, 0, sizeof *in);
        in->id = im->groups[g].input;
        in->group = g;
    }
    for (uint32_t d = 0; d < im->ndets; d++) {
        const imp_detail *det = &im->dets[d];
        /* Split the value on commas. */
        uint32_t nparts = 0;
        const char *parts[GROUP_MAX];
        size_t plen[GROUP_MAX];
        for (const char *p = det->value; *p && nparts < GROUP_MAX;) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *e = p;
            while (*e && *e != ',')
                e++;
            const char *te = e;
            while (te > p && te[-1] == ' ')
                te--;
            if (te > p) {
                parts[nparts] = p;
                plen[nparts++] = (size_t)(te - p);
            }
            p = e;
        }
        if (nparts >= 2) {
            uint32_t g;
            for (g = 0; g < im->ngroups; g++)
                if (im->groups[g].owner == g && !im->groups[g].descr &&
                    (contains_ci(det->label, "tier") ||
                     nparts == im->groups[g].nall))
                    break;
            if (g < im->ngroups) {
                imp_group *og = &im->groups[g];
                og->descr = det->label;
                uint32_t before = og->nall;
                /* The detail may list values no section is for. */
                for (uint32_t k = 0; k < nparts; k++) {
                    char *raw = ofb__arena_strndup(&im->ar, parts[k],
                                                   plen[k]);
                    const char *v = raw ? idify(im, raw, '_', OFB_ID_MAX,
                                                "v_", "option") : NULL;
                    v = v ? not_keyword(im, v) : NULL;
                    if (!v)
                        return OFB_ENOMEM;
                    if ((rc = add_value(im, og, &v)) != OFB_OK)
                        return rc;
                }
                rc = note_begin(im, det->line);
                if (rc == OFB_OK)
                    rc = ofb__buf_addf(&im->tmp, "'%s' describes input "
                                       "'%s'; its values are the section "
                                       "headings%s", det->label, og->input,
                                       og->nall > before
                                           ? " and the ones it lists"
                                           : "");
                if ((rc = note_end(im, rc)) != OFB_OK)
                    return rc;
                continue;
            }
        }
        const char *base = idify(im, det->label, '_', 48, "input_", "detail");
        base = base ? not_keyword(im, base) : NULL;
        if (!base)
            return OFB_ENOMEM;
        PUSH(im, im->inputs, im->ninputs, im->cap_inputs, in);
        memset(in, 0, sizeof *in);
        in->group = NONE;
        in->descr = det->label;
        if ((rc = unique(im, &im->inids, NULL, base, &in->id)) != OFB_OK)
            return rc;
        const char *why;
        int64_t days;
        size_t vl = strlen(det->value);
        if (nparts >= 2) {
            in->choices = ofb__arena_alloc(&im->ar,
                                           sizeof *in->choices * nparts);
            if (!in->choices)
                return OFB_ENOMEM;
            for (uint32_t k = 0; k < nparts; k++) {
                char *raw = ofb__arena_strndup(&im->ar, parts[k], plen[k]);
                const char *v = raw ? idify(im, raw, '_', OFB_ID_MAX, "v_",
                                            "option") : NULL;
                v = v ? not_keyword(im, v) : NULL;
                if (!v)
                    return OFB_ENOMEM;
                uint32_t u;
                for (u = 0; u < in->nchoices; u++)
                    if (strcmp(in->choices[u], v) == 0)
                        break;
                if (u == in->nchoices)
                    in->choices[in->nchoices++] = v;
            }
            why = "a choice: the value lists its options";
        } else if (contains_ci(det->label, "date")) {
            in->type = "date";
            why = "a date: its label says date";
            if (vl && ofb__parse_date(det->value, vl, &days))
                in->def = det->value;
            else if (vl) {
                in->type = "string";
                why = "a string: its value is not a YYYY-MM-DD date";
            }
        } else if (vl && (strcmp(det->value, "true") == 0 ||
                          strcmp(det->value, "false") == 0)) {
            in->type = "bool";
            in->def = det->value;
            why = "a bool: its value is true or false";
        } else {
            in->type = "string";
            why = vl ? "a string with that default" : "a string to fill in";
        }
        if (in->type && strcmp(in->type, "string") == 0 && vl) {
            ofb__buf *b = &im->tmp;
            b->len = 0;
            if ((rc = ofb__buf_add_quoted(b, det->value)) != OFB_OK)
                return rc;
            in->def = ofb__arena_strndup(&im->ar, b->data, b->len);
            if (!in->def)
                return OFB_ENOMEM;
        }
        rc = note_begin(im, det->line);
        if (rc == OFB_OK)
            rc = ofb__buf_addf(&im->tmp, "detail '%s' becomes input '%s', "
                               "%s", det->label, in->id, why);
        if ((rc = note_end(im, rc)) != OFB_OK)
            return rc;
    }
    return OFB_OK;
}

/* ------------------------------------------------------------- steps */

typedef struct idlist {
    uint32_t *v;
    uint32_t n, cap;
} idlist;

static int idlist_add(imp *im, idlist *l, uint32_t x)
{
    int rc = ofb__grow(&im->al, (void **)&l->v, sizeof *l->v, &l->cap,
                       (size_t)l->n + 1);
    if (rc == OFB_OK)
        l->v[l->n++] = x;
    return rc;
}

static int new_node(imp *im, uint32_t item, uint32_t group, uint64_t tiers,
                    uint32_t *out)
{
    imp_node *nd;
    PUSH(im, im->nodes, im->nnodes, im->cap_nodes, nd);
    nd->item = item;
    nd->group = group;
    nd->tiers = tiers;
    nd->id = NULL;
    *out = im->nnodes - 1;
    return OFB_OK;
}

static int edge(imp *im, uint32_t to, uint32_t from)
{
    imp_edge *e;
    PUSH(im, im->edges, im->nedges, im->cap_edges, e);
    e->to = to;
    e->from = from;
    return OFB_OK;
}

/* Edges from every tail of the block before to `to`. */
static int link_tails(imp *im, const idlist *tails, uint32_t to)
{
    int rc = OFB_OK;
    for (uint32_t k = 0; k < tails->n && rc == OFB_OK; k++)
        rc = edge(im, to, tails->v[k]);
    return rc;
}

/*
 * The tiers of group g, merged into one ordered list M of steps. Each tier
 * is matched in order against M (a step with the same identity further on
 * than the last match); unmatched steps are inserted after the last match.
 * Every tier stays a subsequence of M, so M is a valid order and the steps
 * of one tier come out exactly in their written order.
 */
static int build_group(imp *im, uint32_t gi, uint32_t *firstpos,
                       const idlist *tails, idlist *newtails)
{
    imp_group *g = &im->groups[gi];
    int rc = OFB_OK;
    uint32_t total = 0, maxsec = 0;
    for (uint32_t t = 0; t < g->n; t++) {
        uint32_t c = im->secs[im->ssec[g->first + t]].count;
        total += c;
        if (c > maxsec)
            maxsec = c;
    }
    uint32_t *M = ofb__malloc(&im->al, sizeof *M * total);
    uint32_t *M2 = ofb__malloc(&im->al, sizeof *M2 * total);
    uint32_t *nextpos = ofb__malloc(&im->al, sizeof *nextpos * total);
    uint32_t *match = ofb__malloc(&im->al, sizeof *match * maxsec);
    uint32_t *seq = ofb__malloc(&im->al, sizeof *seq * maxsec);
    uint32_t nM = 0;
    if (!M || !M2 || !nextpos || !match || !seq) {
        rc = OFB_ENOMEM;
        goto out;
    }
    for (uint32_t t = 0; t < g->n && rc == OFB_OK; t++) {
        const imp_section *s = &im->secs[im->ssec[g->first + t]];
        for (uint32_t p = nM; p-- > 0;) {
            uint32_t kid = im->items[im->nodes[M[p]].item].kid;
            nextpos[p] = firstpos[kid];
            firstpos[kid] = p;
        }
        uint32_t pp = 0;
        int have = 0;
        for (uint32_t x = 0; x < s->count; x++) {
            uint32_t kid = im->items[s->first + x].kid;
            uint32_t c = firstpos[kid];
            while (c != NONE && have && c <= pp)
                c = nextpos[c];
            match[x] = c;
            if (c != NONE) {
                pp = c;
                have = 1;
                firstpos[kid] = nextpos[c];
            } else {
                firstpos[kid] = NONE;
            }
        }
        for (uint32_t p = 0; p < nM; p++)
            firstpos[im->items[im->nodes[M[p]].item].kid] = NONE;
        for (uint32_t x = 0; x < s->count; x++)
            firstpos[im->items[s->first + x].kid] = NONE;
        /* The merged order. */
        uint32_t n2 = 0, mp = 0;
        for (uint32_t x = 0; x < s->count; x++) {
            uint32_t node;
            if (match[x] != NONE) {
                while (mp <= match[x])
                    M2[n2++] = M[mp++];
                node = M[match[x]];
                im->nodes[node].tiers |= (uint64_t)1 << t;
            } else {
                if ((rc = new_node(im, s->first + x, gi, (uint64_t)1 << t,
                                   &node)) != OFB_OK)
                    goto out;
                M2[n2++] = node;
            }
            seq[x] = node;
        }
        while (mp < nM)
            M2[n2++] = M[mp++];
        uint32_t *sw = M;
        M = M2;
        M2 = sw;
        nM = n2;
        /* The tier's own chain. */
        if (s->count) {
            if ((rc = link_tails(im, tails, seq[0])) != OFB_OK)
                goto out;
            for (uint32_t x = 1; x < s->count; x++)
                if ((rc = edge(im, seq[x], seq[x - 1])) != OFB_OK)
                    goto out;
            uint32_t last = seq[s->count - 1], k;
            for (k = 0; k < newtails->n; k++)
                if (newtails->v[k] == last)
                    break;
            if (k == newtails->n && (rc = idlist_add(im, newtails, last)))
                goto out;
        }
    }
    for (uint32_t p = 0; p < nM && rc == OFB_OK; p++) {
        uint32_t *o;
        int grc = ofb__grow(&im->al, (void **)&im->order, sizeof *o,
                            &im->cap_order, (size_t)im->norder + 1);
        if (grc != OFB_OK) {
            rc = grc;
            break;
        }
        im->order[im->norder++] = M[p];
    }
out:
    ofb__free(&im->al, M);
    ofb__free(&im->al, M2);
    ofb__free(&im->al, nextpos);
    ofb__free(&im->al, match);
    ofb__free(&im->al, seq);
    return rc;
}

static int build(imp *im)
{
    int rc = OFB_OK;
    idlist a = {0}, b = {0};
    idlist *tails = &a, *newtails = &b;
    uint32_t *firstpos = ofb__malloc(&im->al,
                                     sizeof *firstpos * (im->nkeys + 1));
    if (!firstpos)
        return OFB_ENOMEM;
    for (uint32_t k = 0; k <= im->nkeys; k++)
        firstpos[k] = NONE;
    uint32_t gi = 0;
    for (uint32_t i = 0; i < im->nssec && rc == OFB_OK;) {
        newtails->n = 0;
        if (gi < im->ngroups && im->groups[gi].first == i) {
            rc = build_group(im, gi, firstpos, tails, newtails);
            i += im->groups[gi].n;
            gi++;
        } else {
            const imp_section *s = &im->secs[im->ssec[i]];
            uint32_t prev = NONE;
            for (uint32_t x = 0; x < s->count && rc == OFB_OK; x++) {
                uint32_t node;
                if ((rc = new_node(im, s->first + x, NONE, 0, &node)))
                    break;
                rc = prev == NONE ? link_tails(im, tails, node)
                                  : edge(im, node, prev);
                if (rc == OFB_OK) {
                    uint32_t *o;
                    rc = ofb__grow(&im->al, (void **)&im->order, sizeof *o,
                                   &im->cap_order, (size_t)im->norder + 1);
                    if (rc == OFB_OK)
                        im->order[im->norder++] = node;
                }
                prev = node;
            }
            if (rc == OFB_OK && prev != NONE)
                rc = idlist_add(im, newtails, prev);
            i++;
        }
        idlist *sw = tails;
        tails = newtails;
        newtails = sw;
    }
    ofb__free(&im->al, firstpos);
    ofb__free(&im->al, a.v);
    ofb__free(&im->al, b.v);
    return rc;
}

static int cmp_edge(const void *pa, const void *pb)
{
    const imp_edge *a = pa, *b = pb;
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    return 0;
}

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* Verbs that undo nothing: the step is marked irreversible. */
static const char *irreversible_verb(const char *title)
{
    static const char *const verbs[] = {"delete", "terminate", "wipe",
                                        "destroy", "purge", "erase"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        size_t n = strlen(verbs[i]);
        if (starts_with_ci(title, verbs[i]) &&
            (title[n] == ' ' || title[n] == '\0'))
            return verbs[i];
    }
    return NULL;
}

/* Ids in output order, flags, and one note per guess about a step. */
static int name_steps(imp *im)
{
    int rc;
    for (uint32_t k = 0; k < im->norder; k++) {
        imp_node *nd = &im->nodes[im->order[k]];
        imp_item *it = &im->items[nd->item];
        const char *base = idify(im, it->title, '_', OFB_ID_MAX, "step_",
                                 "step");
        if (!base)
            return OFB_ENOMEM;
        if ((rc = unique(im, &im->ids, &im->idctr, base, &nd->id)) != OFB_OK)
            return rc;
        if (!it->role) {
            rc = note_begin(im, it->line);
            if (rc == OFB_OK)
                rc = ofb__buf_addf(&im->tmp, "step '%s' has no role (no "
                                   "'Role >>' before it)", nd->id);
            if ((rc = note_end(im, rc)) != OFB_OK)
                return rc;
        }
        const char *verb = irreversible_verb(it->title);
        if (verb && !(it->flags & OFB_STEP_IRREVERSIBLE)) {
            it->flags |= OFB_STEP_IRREVERSIBLE;
            rc = note_begin(im, it->line);
            if (rc == OFB_OK)
                rc = ofb__buf_addf(&im->tmp, "step '%s' is irreversible (it "
                                   "starts with '%s'): it must be confirmed",
                                   nd->id, verb);
            if ((rc = note_end(im, rc)) != OFB_OK)
                return rc;
        }
        if (nd->group != NONE) {
            const imp_group *g = &im->groups[nd->group];
            int n = popcount64(nd->tiers);
            if (n >= 2) {
                rc = note_begin(im, it->line);
                if (rc == OFB_OK)
                    rc = ofb__buf_addf(&im->tmp, "step '%s' is in %d tiers: "
                                       "one step for %s", nd->id, n,
                                       (uint32_t)n ==
                                               im->groups[g->owner].nall
                                           ? "all of them"
                                                           : "");
                for (uint32_t t = 0;
                     t < g->n && rc == OFB_OK &&
                     (uint32_t)n != im->groups[g->owner].nall;
                     t++)
                    if (nd->tiers & ((uint64_t)1 << t))
                        rc = ofb__buf_addf(&im->tmp, "%s%s",
                                           (nd->tiers & (((uint64_t)1 << t) -
                                                         1)) ? ", " : "",
                                           g->values[t]);
                if ((rc = note_end(im, rc)) != OFB_OK)
                    return rc;
            }
        }
    }
    return OFB_OK;
}

/* ------------------------------------------------------------- writing */

static int flush_out(imp *im, int force)
{
    if (im->out.len == 0 || (!force && im->out.len < 65536))
        return OFB_OK;
    int rc = im->write(im->out.data, im->out.len, im->payload);
    im->out.len = 0;
    return rc;
}

static int write_inputs(imp *im)
{
    ofb__buf *o = &im->out;
    int rc = OFB_OK;
    for (uint32_t k = 0; k < im->ninputs && rc == OFB_OK; k++) {
        const imp_input *in = &im->inputs[k];
        rc = ofb__buf_addf(o, "input %s ", in->id);
        if (in->group != NONE) {
            const imp_group *g = &im->groups[in->group];
            rc = rc ? rc : ofb__buf_adds(o, "choice(");
            for (uint32_t t = 0; t < g->nall && rc == OFB_OK; t++)
                rc = ofb__buf_addf(o, "%s%s", t ? ", " : "", g->all[t]);
            rc = rc ? rc : ofb__buf_adds(o, ") required ");
            if (rc == OFB_OK && g->descr) {
                rc = ofb__buf_add_quoted(o, g->descr);
            } else if (rc == OFB_OK) {
                im->tmp.len = 0;
                rc = ofb__buf_adds(&im->tmp, "Which alternative applies:");
                for (uint32_t t = 0; t < g->n && rc == OFB_OK; t++)
                    rc = ofb__buf_addf(&im->tmp, "%s %s", t ? "," : "",
                                       im->secs[im->ssec[g->first + t]]
                                           .heading);
                rc = rc ? rc : ofb__buf_addc(&im->tmp, '\0');
                rc = rc ? rc : ofb__buf_add_quoted(o, im->tmp.data);
            }
        } else if (in->type) {
            rc = rc ? rc : ofb__buf_adds(o, in->type);
            if (rc == OFB_OK && in->def)
                rc = ofb__buf_addf(o, " default %s", in->def);
            rc = rc ? rc : ofb__buf_addc(o, ' ');
            rc = rc ? rc : ofb__buf_add_quoted(o, in->descr);
        } else {
            rc = rc ? rc : ofb__buf_adds(o, "choice(");
            for (uint32_t t = 0; t < in->nchoices && rc == OFB_OK; t++)
                rc = ofb__buf_addf(o, "%s%s", t ? ", " : "", in->choices[t]);
            rc = rc ? rc : ofb__buf_adds(o, ") ");
            rc = rc ? rc : ofb__buf_add_quoted(o, in->descr);
        }
        rc = rc ? rc : ofb__buf_addc(o, '\n');
    }
    if (rc == OFB_OK && im->ninputs)
        rc = ofb__buf_addc(o, '\n');
    return rc;
}

static int write_all(imp *im)
{
    int rc;
    ofb__buf *o = &im->out;
    const char *title = im->fm_name ? im->fm_name
                        : im->h1    ? im->h1
                                    : NULL;
    const char *idsrc = title;
    if (!idsrc) {
        /* The file name without directories and extension. */
        const char *b = strrchr(im->name, '/');
        b = b ? b + 1 : im->name;
        const char *dot = strrchr(b, '.');
        idsrc = ofb__arena_strndup(&im->ar, b,
                                   dot && dot > b ? (size_t)(dot - b)
                                                  : strlen(b));
        title = idsrc;
        if (!idsrc)
            return OFB_ENOMEM;
    }
    const char *wid = idify(im, idsrc, '-', OFB_ID_MAX, "wf-",
                            "imported-checklist");
    if (!wid)
        return OFB_ENOMEM;
    rc = note_begin(im, 0);
    if (rc == OFB_OK)
        rc = ofb__buf_addf(&im->tmp, "workflow id '%s' and title from %s",
                           wid, im->fm_name ? "the template's name"
                                : im->h1    ? "the first heading"
                                            : "the file name");
    if ((rc = note_end(im, rc)) != OFB_OK)
        return rc;

    const char *src = clean(im, im->name, strlen(im->name), 200);
    if (!src)
        return OFB_ENOMEM;
    rc = ofb__buf_addf(o, "# Generated from the checklist %s.\n"
                          "# Review the guesses reported with it.\n"
                          "workflow %s 1\ntitle ", src, wid);
    rc = rc ? rc : ofb__buf_add_quoted(o, *title ? title : wid);
    rc = rc ? rc : ofb__buf_addc(o, '\n');
    if (rc == OFB_OK && im->doc.len) {
        rc = ofb__buf_addc(&im->doc, '\0');
        rc = rc ? rc : ofb__buf_adds(o, "doc ");
        rc = rc ? rc : ofb__buf_add_quoted(o, im->doc.data);
        rc = rc ? rc : ofb__buf_addc(o, '\n');
    }
    rc = rc ? rc : ofb__buf_addc(o, '\n');
    rc = rc ? rc : write_inputs(im);
    if (rc != OFB_OK)
        return rc;

    /* qsort wants a valid pointer even for no elements. */
    if (im->nedges)
        qsort(im->edges, im->nedges, sizeof *im->edges, cmp_edge);
    uint32_t *eoff = ofb__calloc(&im->al, (size_t)im->nnodes + 1,
                                 sizeof *eoff);
    if (!eoff)
        return OFB_ENOMEM;
    for (uint32_t e = 0; e < im->nedges; e++)
        eoff[im->edges[e].to + 1]++;
    for (uint32_t n = 0; n < im->nnodes; n++)
        eoff[n + 1] += eoff[n];

    uint32_t cur_sec = NONE;
    for (uint32_t k = 0; k < im->norder && rc == OFB_OK; k++) {
        uint32_t node = im->order[k];
        const imp_node *nd = &im->nodes[node];
        const imp_item *it = &im->items[nd->item];
        /* A comment where a section or a group of tiers begins. */
        uint32_t block = nd->group != NONE ? NONE - 1 - nd->group : it->sec;
        if (block != cur_sec) {
            cur_sec = block;
            if (nd->group != NONE) {
                const imp_group *g = &im->groups[nd->group];
                rc = ofb__buf_addf(o, "# Alternatives, by %s:", g->input);
                for (uint32_t t = 0; t < g->n && rc == OFB_OK; t++)
                    rc = ofb__buf_addf(o, "%s %s", t ? " |" : "",
                                       im->secs[im->ssec[g->first + t]]
                                           .heading);
                rc = rc ? rc : ofb__buf_adds(o, "\n");
            } else if (*im->secs[it->sec].heading) {
                rc = ofb__buf_addf(o, "# %s\n", im->secs[it->sec].heading);
            }
        }
        rc = rc ? rc : ofb__buf_addf(o, "step %s ", nd->id);
        rc = rc ? rc : ofb__buf_add_quoted(o, it->title);
        rc = rc ? rc : ofb__buf_addc(o, '\n');
        if (rc == OFB_OK && it->role)
            rc = ofb__buf_addf(o, "  role %s\n", it->role);
        uint32_t prev_from = NONE, col = 0;
        for (uint32_t e = eoff[node]; e < eoff[node + 1] && rc == OFB_OK;
             e++) {
            uint32_t from = im->edges[e].from;
            if (from == prev_from)
                continue;
            prev_from = from;
            if (col == 0)
                rc = ofb__buf_adds(o, "  after");
            rc = rc ? rc : ofb__buf_addf(o, " %s", im->nodes[from].id);
            if (++col == 6) {
                col = 0;
                rc = rc ? rc : ofb__buf_addc(o, '\n');
            }
        }
        if (rc == OFB_OK && col)
            rc = ofb__buf_addc(o, '\n');
        if (rc == OFB_OK && nd->group != NONE) {
            const imp_group *g = &im->groups[nd->group];
            int n = popcount64(nd->tiers);
            if ((uint32_t)n < im->groups[g->owner].nall) {
                rc = ofb__buf_addf(o, "  when %s %s", g->input,
                                   n == 1 ? "== " : "in (");
                int first = 1;
                for (uint32_t t = 0; t < g->n && rc == OFB_OK; t++)
                    if (nd->tiers & ((uint64_t)1 << t)) {
                        rc = ofb__buf_addf(o, "%s%s", first ? "" : ", ",
                                           g->values[t]);
                        first = 0;
                    }
                rc = rc ? rc : ofb__buf_adds(o, n == 1 ? "\n" : ")\n");
            }
        }
        if (rc == OFB_OK && (it->flags & OFB_STEP_IRREVERSIBLE))
            rc = ofb__buf_adds(o, "  irreversible\n");
        if (rc == OFB_OK &&
            ((it->flags & OFB_STEP_OPTIONAL) || im->all_optional))
            rc = ofb__buf_adds(o, "  optional\n");
        rc = rc ? rc : flush_out(im, 0);
    }
    ofb__free(&im->al, eoff);
    return rc ? rc : flush_out(im, 1);
}

/* ------------------------------------------------------------- entry */

static int analyse(imp *im)
{
    int rc;
    for (uint32_t s = 0; s < im->nsecs; s++)
        if (im->secs[s].count) {
            uint32_t *p;
            rc = ofb__grow(&im->al, (void **)&im->ssec, sizeof *p,
                           &im->cap_ssec, (size_t)im->nssec + 1);
            if (rc != OFB_OK)
                return rc;
            im->ssec[im->nssec++] = s;
        }
    if ((rc = find_groups(im)) != OFB_OK ||
        (rc = details_to_inputs(im)) != OFB_OK || (rc = build(im)) != OFB_OK)
        return rc;
    if (im->doc.len) {
        if ((rc = ofb__buf_addc(&im->doc, '\0')) != OFB_OK)
            return rc;
        im->doc.len--;
        const char *d = im->doc.data;
        if (contains_ci(d, "not all steps") ||
            contains_ci(d, "aren't applicable") ||
            contains_ci(d, "are not applicable") ||
            contains_ci(d, "remove the lines")) {
            im->all_optional = 1;
            rc = note_begin(im, 0);
            if (rc == OFB_OK)
                rc = ofb__buf_adds(&im->tmp, "every step is optional: the "
                                   "description says not all steps apply");
            if ((rc = note_end(im, rc)) != OFB_OK)
                return rc;
        }
    }
    if ((rc = name_steps(im)) != OFB_OK)
        return rc;
    return write_all(im);
}

int ofb_import_checklist(const char *md, size_t len, const char *name,
                         ofb_write_fn write, void *payload, ofb_write_fn notes,
                         void *notes_payload, ofb_error *err)
{
    if (!name)
        name = "<checklist>";
    if ((!md && len) || !write)
        return ofb__err(err, OFB_EINVAL, "%s: no text or no writer", name);
    if (len > OFB_FILE_MAX)
        return ofb__err_at(err, OFB_ELIMIT, name, 0, 0,
                           "the checklist is bigger than %u bytes",
                           (unsigned)OFB_FILE_MAX);
    imp im;
    memset(&im, 0, sizeof im);
    ofb__alloc_init(&im.al, NULL);
    ofb__arena_init(&im.ar, &im.al);
    ofb__buf_init(&im.doc, &im.al);
    ofb__buf_init(&im.tmp, &im.al);
    ofb__buf_init(&im.out, &im.al);
    im.name = name;
    im.write = write;
    im.payload = payload;
    im.notes = notes;
    im.notes_payload = notes_payload;

    int plain = md ? !has_checkbox(md, len) : 0;
    int rc = md ? read_md(&im, md, len, plain) : OFB_OK;
    if (rc == OFB_OK && im.nitems == 0) {
        rc = ofb__err_at(err, OFB_ESYNTAX, name, 0, 0,
                         "no checklist items (\"- [ ] Role >> Step\") found");
    } else if (rc == OFB_OK) {
        if (plain) {
            rc = note_begin(&im, 0);
            if (rc == OFB_OK)
                rc = ofb__buf_adds(&im.tmp, "no checkboxes: every list "
                                   "item is taken as a step");
            rc = note_end(&im, rc);
        }
        if (rc == OFB_OK)
            rc = analyse(&im);
        if (rc == OFB_ENOMEM)
            ofb__err(err, rc, "%s: out of memory", name);
        else if (rc == OFB_ELIMIT)
            ofb__err_at(err, rc, name, 0, 0, "more than %u steps",
                        (unsigned)OFB_STEPS_MAX);
        else if (rc < 0 && err)
            ofb__err(err, rc, "%s: the writer stopped the import (%d)",
                     name, rc);
    } else if (rc == OFB_ENOMEM) {
        ofb__err(err, rc, "%s: out of memory", name);
    } else if (rc == OFB_ELIMIT) {
        ofb__err_at(err, rc, name, 0, 0, "more than %u steps",
                    (unsigned)OFB_STEPS_MAX);
    }
    ofb__map_free(&im.keys, &im.al);
    ofb__map_free(&im.ids, &im.al);
    ofb__map_free(&im.idctr, &im.al);
    ofb__map_free(&im.inids, &im.al);
    ofb__free(&im.al, im.items);
    ofb__free(&im.al, im.secs);
    ofb__free(&im.al, im.dets);
    ofb__free(&im.al, im.ssec);
    for (uint32_t g = 0; g < im.ngroups; g++)
        ofb__free(&im.al, im.groups[g].all);
    ofb__free(&im.al, im.groups);
    ofb__free(&im.al, im.nodes);
    ofb__free(&im.al, im.order);
    ofb__free(&im.al, im.edges);
    ofb__free(&im.al, im.inputs);
    ofb__buf_free(&im.doc);
    ofb__buf_free(&im.tmp);
    ofb__buf_free(&im.out);
    ofb__arena_free(&im.ar);
    return rc;
}
