/*
 * write.c - the canonical .ofb text of a workflow, and its hash.
 *
 * One writer produces the text for people (ofb_workflow_write), for
 * journals and for the definition hash, so the three can never disagree.
 * The order is fixed: header, inputs in definition order, steps in
 * definition order, each step's attributes in the order of SPEC section 2.
 * The text goes out line by line through a small reused buffer, so hashing
 * a million-step workflow needs no copy of the whole text.
 */
#include "internal.h"

#include <stdarg.h>
#include <string.h>

typedef struct writer {
    ofb__buf b;
    ofb_write_fn fn;
    void *payload;
} writer;

#define FLUSH_AT 8192

static int flush(writer *w)
{
    int rc = OFB_OK;

    if (w->b.len)
        rc = w->fn(w->b.data, w->b.len, w->payload);
    w->b.len = 0;
    return rc;
}

/* After each line: hand the text on once enough has gathered. */
static int end_line(writer *w)
{
    int rc = ofb__buf_addc(&w->b, '\n');
    if (rc == OFB_OK && w->b.len >= FLUSH_AT)
        rc = flush(w);
    return rc;
}

/* Decimal digits without printf: the writer runs over every step of a
 * large workflow when it is hashed. */
static int add_u64(ofb__buf *b, uint64_t v)
{
    char d[24];
    size_t i = sizeof d;

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return ofb__buf_add(b, d + i, sizeof d - i);
}

/* Adds the strings up to a NULL, stopping at the first failure. */
static int add_all(ofb__buf *b, const char *first, ...)
{
    va_list ap;
    int rc = OFB_OK;

    va_start(ap, first);
    for (const char *s = first; s && !rc; s = va_arg(ap, const char *))
        rc = ofb__buf_adds(b, s);
    va_end(ap);
    return rc;
}

/* A duration in its largest exact unit: 5400 -> "90m", 3600 -> "1h". */
static int add_duration(ofb__buf *b, int64_t secs)
{
    static const struct {
        int64_t n;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t k = 0;

    while (secs != 0 && secs % units[k].n != 0)
        k++;
    if (secs == 0)
        k = 3;
    int rc = add_u64(b, (uint64_t)(secs / units[k].n));
    return rc ? rc : ofb__buf_addc(b, units[k].unit);
}

static int write_input(writer *w, const ofb__input *in)
{
    ofb__buf *b = &w->b;
    int rc = add_all(b, "input ", in->id, " ", (char *)NULL);

    switch (in->type) {
    case OFB_TYPE_STRING: rc = rc ? rc : ofb__buf_adds(b, "string"); break;
    case OFB_TYPE_BOOL: rc = rc ? rc : ofb__buf_adds(b, "bool"); break;
    case OFB_TYPE_DATE: rc = rc ? rc : ofb__buf_adds(b, "date"); break;
    case OFB_TYPE_CHOICE:
        rc = rc ? rc : ofb__buf_adds(b, "choice(");
        for (uint32_t k = 0; !rc && k < in->nchoices; k++)
            rc = add_all(b, k ? ", " : "", in->choices[k], (char *)NULL);
        rc = rc ? rc : ofb__buf_addc(b, ')');
        break;
    }
    if (!rc && in->required)
        rc = ofb__buf_adds(b, " required");
    if (!rc && in->default_text) {
        rc = ofb__buf_adds(b, " default ");
        if (!rc)
            rc = in->type == OFB_TYPE_STRING
                     ? ofb__buf_add_quoted(b, in->default_text)
                     : ofb__buf_adds(b, in->default_text);
    }
    if (!rc && *in->description) {
        rc = ofb__buf_addc(b, ' ');
        rc = rc ? rc : ofb__buf_add_quoted(b, in->description);
    }
    return rc ? rc : end_line(w);
}

static int write_step(writer *w, const ofb__step *s)
{
    ofb__buf *b = &w->b;
    int rc = add_all(b, "\nstep ", s->id, " ", (char *)NULL);

    rc = rc ? rc : ofb__buf_add_quoted(b, s->title);
    rc = rc ? rc : end_line(w);
    if (!rc && *s->role) {
        rc = add_all(b, "  role ", s->role, (char *)NULL);
        rc = rc ? rc : end_line(w);
    }
    if (!rc && *s->action) {
        rc = add_all(b, "  action ", s->action, (char *)NULL);
        rc = rc ? rc : end_line(w);
    }
    if (!rc && s->nafter) {
        rc = ofb__buf_adds(b, "  after");
        for (uint32_t k = 0; !rc && k < s->nafter; k++)
            rc = add_all(b, " ", s->after[k], (char *)NULL);
        rc = rc ? rc : end_line(w);
    }
    if (!rc && *s->when) {
        rc = ofb__buf_adds(b, "  when ");
        rc = rc ? rc : ofb__buf_adds(b, s->when);
        rc = rc ? rc : end_line(w);
    }
    if (!rc && *s->wait_event) {
        rc = add_all(b, "  wait ", s->wait_event, (char *)NULL);
        if (!rc && s->wait_timeout > 0) {
            rc = ofb__buf_adds(b, " timeout ");
            rc = rc ? rc : add_duration(b, s->wait_timeout);
        }
        rc = rc ? rc : end_line(w);
    }
    if (!rc && s->retry_count) {
        rc = ofb__buf_adds(b, "  retry ");
        rc = rc ? rc : add_u64(b, s->retry_count);
        if (!rc && s->retry_backoff > 0) {
            rc = ofb__buf_adds(b, " backoff ");
            rc = rc ? rc : add_duration(b, s->retry_backoff);
        }
        rc = rc ? rc : end_line(w);
    }
    static const struct {
        unsigned flag;
        const char *word;
    } flags[] = {{OFB_STEP_MANUAL, "  manual"},
                 {OFB_STEP_OPTIONAL, "  optional"},
                 {OFB_STEP_IRREVERSIBLE, "  irreversible"}};
    for (size_t k = 0; !rc && k < sizeof flags / sizeof flags[0]; k++)
        if (s->flags & flags[k].flag) {
            rc = ofb__buf_adds(b, flags[k].word);
            rc = rc ? rc : end_line(w);
        }
    if (!rc && *s->doc) {
        rc = ofb__buf_adds(b, "  doc ");
        rc = rc ? rc : ofb__buf_add_quoted(b, s->doc);
        rc = rc ? rc : end_line(w);
    }
    return rc;
}

static int write_all(const ofb_workflow *wf, ofb_write_fn fn, void *payload)
{
    writer w;
    int rc;

    ofb__buf_init(&w.b, &wf->alloc);
    w.fn = fn;
    w.payload = payload;
    rc = add_all(&w.b, "workflow ", wf->id, " ", (char *)NULL);
    rc = rc ? rc : add_u64(&w.b, wf->version);
    rc = rc ? rc : end_line(&w);
    if (!rc && *wf->title) {
        rc = ofb__buf_adds(&w.b, "title ");
        rc = rc ? rc : ofb__buf_add_quoted(&w.b, wf->title);
        rc = rc ? rc : end_line(&w);
    }
    if (!rc && *wf->doc) {
        rc = ofb__buf_adds(&w.b, "doc ");
        rc = rc ? rc : ofb__buf_add_quoted(&w.b, wf->doc);
        rc = rc ? rc : end_line(&w);
    }
    if (!rc && wf->ninputs) {
        rc = ofb__buf_addc(&w.b, '\n');
        for (uint32_t i = 0; !rc && i < wf->ninputs; i++)
            rc = write_input(&w, &wf->inputs[i]);
    }
    for (uint32_t i = 0; !rc && i < wf->nsteps; i++)
        rc = write_step(&w, &wf->steps[i]);
    if (!rc)
        rc = flush(&w);
    ofb__buf_free(&w.b);
    return rc;
}

int ofb_workflow_write(const ofb_workflow *wf, ofb_write_fn write,
                       void *payload)
{
    if (!wf || !write)
        return OFB_EINVAL;
    if (!wf->sealed)
        return OFB_ESEALED;
    return write_all(wf, write, payload);
}

static int hash_fn(const char *data, size_t len, void *payload)
{
    ofb__sha256_update(payload, data, len);
    return OFB_OK;
}

int ofb__workflow_compute_hash(ofb_workflow *wf)
{
    ofb__sha256 c;
    unsigned char d[32];
    int rc;

    ofb__sha256_init(&c);
    if ((rc = write_all(wf, hash_fn, &c)))
        return rc;
    ofb__sha256_final(&c, d);
    ofb__sha256_hex(d, wf->hash);
    return OFB_OK;
}

const char *ofb_workflow_hash(const ofb_workflow *wf)
{
    return wf && wf->sealed ? wf->hash : NULL;
}
