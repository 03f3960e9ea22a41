/*
 * journal.c - a run's journal: one self-checking text line per change of
 * state, chained by hash. Writing, reading back, verifying and replaying.
 * docs/journal.md describes the format; the short version:
 *
 *   SEQ KIND FIELD=VALUE ... h=CHAIN c=CRC\n
 *
 * CHAIN is the first 128 bits of SHA-256(previous CHAIN || the bytes before
 * " h="), CRC the CRC-32 of the bytes before " c=".
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define JOURNAL_FORMAT 1
#define CHAIN_BYTES 16   /* 128 bits: see docs/journal.md for why */
#define TAIL_LEN 46      /* " h=" 32 hex " c=" 8 hex, before the '\n' */
#define READ_BLOCK ((size_t)1 << 20)
/* The header holds the definition (at most OFB_FILE_MAX bytes), which
 * escaping can at most quadruple. */
#define LINE_LIMIT ((size_t)4 * OFB_FILE_MAX + 65536)

static const char *const kind_names[] = {
    "create", "input",  "start",  "begin", "outcome",
    "complete", "skip", "confirm", "fail",  "retry",
    "signal", "due",    "timeout", "cancel", "verify",
};
#define NKINDS (sizeof kind_names / sizeof kind_names[0])

static const char *const outcome_names[] = {"done", "wait", "retry", "fail",
                                            "skip"};
#define NOUTCOMES (sizeof outcome_names / sizeof outcome_names[0])

static const char hexd[] = "0123456789abcdef";

const char *ofb_event_kind_name(ofb_event_kind k)
{
    return (unsigned)k < NKINDS ? kind_names[k] : "unknown";
}

struct ofb__journal {
    ofb_allocator alloc;
    ofb_store *store;
    ofb_durability durability;
    uint64_t seq;                 /* number of the next record */
    uint64_t len;                 /* bytes of whole records in the store */
    unsigned char chain[CHAIN_BYTES]; /* chain hash of the last record */
    bool cut_pending;             /* a torn tail is still to be cut off */
    int broken;                   /* a failed sync: the store is in doubt */
    ofb__buf line;                /* encoding buffer, reused */
};

/* ------------------------------------------------------------ encoding */

/* Bytes that may appear in a value without quotes. Never space, '"', '=',
 * '\\' or a control byte, so a bare value cannot break a line or a field. */
static bool is_bare(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.' ||
           c == ':' || c == '/' || c == '@' || c == '+';
}

static int put_u64(ofb__buf *b, uint64_t v)
{
    char t[24];
    size_t n = 0;
    do
        t[sizeof t - ++n] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return ofb__buf_add(b, t + sizeof t - n, n);
}

static int put_i64(ofb__buf *b, int64_t v)
{
    if (v >= 0)
        return put_u64(b, (uint64_t)v);
    int rc = ofb__buf_addc(b, '-');
    return rc ? rc : put_u64(b, (uint64_t)0 - (uint64_t)v);
}

/* A value: bare when it can be, else quoted. Inside quotes, '"' '\\' and
 * control bytes are escaped, and so is every byte that is not part of
 * valid UTF-8: a journal is always valid UTF-8 text, one record a line. */
static int put_value(ofb__buf *b, const char *s)
{
    size_t n = strlen(s), i, from;
    for (i = 0; i < n && is_bare((unsigned char)s[i]); i++)
        ;
    if (n > 0 && i == n)
        return ofb__buf_add(b, s, n);

    int rc = ofb__buf_addc(b, '"');
    for (i = from = 0; rc == OFB_OK && i < n;) {
        unsigned char c = (unsigned char)s[i];
        char esc[4];
        size_t elen = 2;
        if (c >= 0x80) {
            size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (k > 1 && k <= n - i && ofb__utf8_check(s + i, k) == k) {
                i += k;
                continue;
            }
        } else if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            i++;
            continue;
        }
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\t': esc[1] = 't'; break;
        case '\r': esc[1] = 'r'; break;
        default:
            esc[1] = 'x';
            esc[2] = hexd[c >> 4];
            esc[3] = hexd[c & 15];
            elen = 4;
        }
        rc = ofb__buf_add(b, s + from, i - from);
        if (rc == OFB_OK)
            rc = ofb__buf_add(b, esc, elen);
        from = ++i;
    }
    if (rc == OFB_OK)
        rc = ofb__buf_add(b, s + from, n - from);
    return rc ? rc : ofb__buf_addc(b, '"');
}

/* " name=value", for a string that is present (NULL is left out, so that
 * absent and empty stay different). */
static int put_field(ofb__buf *b, const char *name, const char *v)
{
    if (!v)
        return OFB_OK;
    int rc = ofb__buf_adds(b, name);
    return rc ? rc : put_value(b, v);
}

static int put_pairs(ofb__buf *b, const char *name, const ofb_kv *kv,
                     size_t n)
{
    int rc = OFB_OK;
    for (size_t i = 0; rc == OFB_OK && i < n; i++) {
        rc = ofb__buf_adds(b, name);
        if (rc == OFB_OK)
            rc = put_value(b, kv[i].key ? kv[i].key : "");
        if (rc == OFB_OK)
            rc = ofb__buf_addc(b, '=');
        if (rc == OFB_OK)
            rc = put_value(b, kv[i].value ? kv[i].value : "");
    }
    return rc;
}

static void hex_bytes(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[d[i] >> 4];
        out[2 * i + 1] = hexd[d[i] & 15];
    }
}

static void chain_next(const unsigned char prev[CHAIN_BYTES],
                       const char *body, size_t n,
                       unsigned char out[CHAIN_BYTES])
{
    ofb__sha256 c;
    unsigned char d[32];
    ofb__sha256_init(&c);
    ofb__sha256_update(&c, prev, CHAIN_BYTES);
    ofb__sha256_update(&c, body, n);
    ofb__sha256_final(&c, d);
    memcpy(out, d, CHAIN_BYTES);
}

/* Ends the record held in b (its body): chain hash, CRC, newline. */
static int seal_line(ofb__buf *b, const unsigned char prev[CHAIN_BYTES],
                     unsigned char chain[CHAIN_BYTES])
{
    char tail[TAIL_LEN + 1];
    chain_next(prev, b->data, b->len, chain);
    memcpy(tail, " h=", 3);
    hex_bytes(chain, CHAIN_BYTES, tail + 3);
    memcpy(tail + 35, " c=", 3);
    uint32_t crc = ofb__crc32(ofb__crc32(0, b->data, b->len), tail, 35);
    for (int i = 0; i < 8; i++)
        tail[38 + i] = hexd[(crc >> (28 - 4 * i)) & 15];
    tail[TAIL_LEN] = '\n';
    return ofb__buf_add(b, tail, TAIL_LEN + 1);
}

static int encode_event(ofb__buf *b, const ofb_workflow *wf, uint64_t seq,
                        const ofb__ev *ev)
{
    int rc = put_u64(b, seq);
    if (rc == OFB_OK)
        rc = ofb__buf_addc(b, ' ');
    if (rc == OFB_OK)
        rc = ofb__buf_adds(b, kind_names[ev->kind]);
    if (rc == OFB_OK)
        rc = ofb__buf_adds(b, " t=");
    if (rc == OFB_OK)
        rc = put_i64(b, ev->time);
    if (rc == OFB_OK && ev->step != OFB__NONE)
        rc = put_field(b, " step=", wf->steps[ev->step].id);
    if (rc == OFB_OK && ev->attempt) {
        rc = ofb__buf_adds(b, " att=");
        if (rc == OFB_OK)
            rc = put_u64(b, ev->attempt);
    }
    if (rc == OFB_OK && ev->outcome >= 0)
        rc = put_field(b, " out=", outcome_names[ev->outcome]);
    if (rc == OFB_OK)
        rc = put_field(b, " name=", ev->name);
    if (rc == OFB_OK)
        rc = put_field(b, " value=", ev->value);
    if (rc == OFB_OK)
        rc = put_field(b, " by=", ev->actor);
    if (rc == OFB_OK)
        rc = put_field(b, " note=", ev->note);
    if (rc == OFB_OK)
        rc = put_pairs(b, " ev=", ev->evidence, ev->nevidence);
    if (rc == OFB_OK)
        rc = put_pairs(b, " in=", ev->inputs, ev->ninputs);
    return rc;
}

static int collect_text(const char *data, size_t len, void *payload)
{
    return ofb__buf_add(payload, data, len);
}

static int encode_header(ofb__buf *b, const ofb_run *run, ofb_error *err)
{
    const ofb_workflow *wf = ofb_run_workflow(run);
    ofb__buf def;
    ofb__buf_init(&def, b->alloc);
    int rc = ofb_workflow_write(wf, collect_text, &def);
    if (rc == OFB_OK) {
        rc = ofb__buf_add(&def, "", 0); /* a NUL even when empty */
    }
    if (rc) {
        ofb__buf_free(&def);
        return rc == OFB_ENOMEM ? ofb__err(err, rc, "out of memory")
                                : ofb__err(err, rc, "cannot write the "
                                                    "definition of '%s'",
                                           wf->id);
    }
    /* The header must reopen: its text and hash have to agree. */
    ofb__sha256 c;
    unsigned char d[32];
    char hex[65];
    ofb__sha256_init(&c);
    ofb__sha256_update(&c, def.data, def.len);
    ofb__sha256_final(&c, d);
    ofb__sha256_hex(d, hex);
    const char *wfhash = ofb_workflow_hash(wf);
    if (!wfhash || strcmp(hex, wfhash) != 0) {
        ofb__buf_free(&def);
        return ofb__err(err, OFB_EINVAL,
                        "workflow '%s': its canonical text does not match "
                        "its hash", wf->id);
    }
    rc = ofb__buf_adds(b, "0 create fmt=");
    if (rc == OFB_OK)
        rc = put_u64(b, JOURNAL_FORMAT);
    if (rc == OFB_OK)
        rc = ofb__buf_adds(b, " t=");
    if (rc == OFB_OK)
        rc = put_i64(b, ofb_run_now(run));
    if (rc == OFB_OK)
        rc = put_field(b, " run=", ofb_run_id(run));
    if (rc == OFB_OK)
        rc = put_field(b, " wf=", wf->id);
    if (rc == OFB_OK)
        rc = ofb__buf_adds(b, " ver=");
    if (rc == OFB_OK)
        rc = put_u64(b, wf->version);
    if (rc == OFB_OK)
        rc = put_field(b, " hash=", hex);
    if (rc == OFB_OK)
        rc = put_field(b, " def=", def.data);
    ofb__buf_free(&def);
    if (rc)
        return ofb__err(err, rc, "out of memory");
    return OFB_OK;
}

/* ------------------------------------------------------------- writing */

static int store_err(const ofb_store *s, ofb_error *err, int rc,
                     const char *what)
{
    const char *m = ofb__store_message(s);
    if (rc >= 0)
        rc = OFB_EIO;
    if (rc == OFB_EBUSY)
        return ofb__err(err, rc, "%s", m ? m : "journal is in use by "
                                               "another writer");
    if (m)
        return ofb__err(err, rc, "%s", m);
    return ofb__err(err, rc, "cannot %s the journal: %s", what,
                    ofb_strerror(rc));
}

/* Writes the record in j->line. On failure nothing is acknowledged and
 * the store is cut back to its last whole record where possible. */
static int write_line(ofb__journal *j, ofb_error *err)
{
    ofb_store *s = j->store;
    int rc;

    if (j->broken)
        return ofb__err(err, OFB_EIO,
                        "journal: an earlier write failed and the store is "
                        "in doubt; reopen the run");
    if (j->cut_pending) {
        rc = s->truncate(s, j->len);
        if (rc)
            return store_err(s, err, rc, "cut the torn end of");
        j->cut_pending = false;
    }
    rc = s->append(s, j->line.data, j->line.len);
    if (rc) {
        store_err(s, err, rc, "append to");
        /* Part of the line may be there: take it back, or leave it to the
         * next open to drop as torn. */
        if (s->truncate(s, j->len) != OFB_OK)
            j->cut_pending = true;
        return err ? err->code : (rc < 0 ? rc : OFB_EIO);
    }
    if (j->durability == OFB_SYNC_EVERY) {
        rc = s->sync(s);
        if (rc) {
            store_err(s, err, rc, "sync");
            /* After a failed sync the system may have dropped what it had
             * (and report success next time): nothing more is written
             * until the run is reopened and the journal read back. */
            (void)s->truncate(s, j->len);
            j->broken = rc < 0 ? rc : OFB_EIO;
            return err ? err->code : j->broken;
        }
    }
    j->len += j->line.len;
    return OFB_OK;
}

static ofb__journal *journal_new(const ofb_allocator *a, ofb_store *s,
                                 const ofb_run_opts *opts)
{
    ofb__journal *j = ofb__calloc(a, 1, sizeof *j);
    if (!j)
        return NULL;
    j->alloc = *a;
    j->store = s;
    j->durability = opts->durability;
    if (j->durability != OFB_SYNC_FLUSH && j->durability != OFB_SYNC_NEVER)
        j->durability = OFB_SYNC_EVERY;
    ofb__buf_init(&j->line, &j->alloc);
    return j;
}

static void journal_free(ofb__journal *j)
{
    if (!j)
        return;
    ofb_allocator a = j->alloc;
    ofb__buf_free(&j->line);
    ofb__free(&a, j);
}

/* Checks that a store is complete and takes its writer lock. */
static int store_take(ofb_store *s, int timeout_ms, ofb_error *err)
{
    if (!s->read || !s->append || !s->sync || !s->truncate || !s->lock ||
        !s->close)
        return ofb__err(err, OFB_EINVAL, "journal store lacks a function");
    int rc = s->lock(s, timeout_ms);
    return rc ? store_err(s, err, rc, "lock") : OFB_OK;
}

int ofb__journal_create(ofb__journal **out, ofb_run *run,
                        const ofb_run_opts *opts, ofb_error *err)
{
    ofb_store *s = opts->store;
    ofb_workflow *wf = ofb_run_workflow(run);
    *out = NULL;
    int rc = store_take(s, opts->lock_timeout_ms, err);
    if (rc)
        return rc;
    char c;
    size_t got = 0;
    rc = s->read(s, 0, &c, 1, &got);
    if (rc)
        return store_err(s, err, rc, "read");
    if (got)
        return ofb__err(err, OFB_EINVAL,
                        "journal is not empty: open it with ofb_run_open");

    ofb__journal *j = journal_new(&wf->alloc, s, opts);
    if (!j)
        return ofb__err(err, OFB_ENOMEM, "out of memory");
    unsigned char zero[CHAIN_BYTES] = {0}, h[CHAIN_BYTES];
    rc = encode_header(&j->line, run, err);
    if (rc == OFB_OK && (rc = seal_line(&j->line, zero, h)) != OFB_OK)
        ofb__err(err, rc, "out of memory");
    if (rc == OFB_OK)
        rc = write_line(j, err);
    if (rc == OFB_OK && j->durability == OFB_SYNC_FLUSH) {
        /* The header is what makes the file a journal at all. */
        rc = s->sync(s);
        if (rc)
            rc = store_err(s, err, rc, "sync");
    }
    if (rc) {
        journal_free(j);
        return rc;
    }
    memcpy(j->chain, h, CHAIN_BYTES);
    j->seq = 1;
    ofb__buf_free(&j->line); /* the header may be large; records are not */
    ofb__buf_init(&j->line, &j->alloc);
    *out = j;
    return OFB_OK;
}

int ofb__journal_append(ofb__journal *j, const ofb_run *run,
                        const ofb__ev *ev, ofb_error *err)
{
    const ofb_workflow *wf = ofb_run_workflow(run);
    if ((unsigned)ev->kind >= NKINDS || ev->kind == OFB_EV_CREATE ||
        (ev->step != OFB__NONE && ev->step >= wf->nsteps) ||
        ev->outcome >= (int)NOUTCOMES || ev->outcome < -1)
        return ofb__err(err, OFB_EINVAL, "journal: malformed event");

    unsigned char h[CHAIN_BYTES];
    j->line.len = 0;
    int rc = encode_event(&j->line, wf, j->seq, ev);
    if (rc == OFB_OK)
        rc = seal_line(&j->line, j->chain, h);
    if (rc)
        return ofb__err(err, rc, "out of memory");
    rc = write_line(j, err);
    if (rc)
        return rc;
    memcpy(j->chain, h, CHAIN_BYTES);
    j->seq++;
    return OFB_OK;
}

int ofb__journal_flush(ofb__journal *j, ofb_error *err)
{
    if (j->broken)
        return ofb__err(err, OFB_EIO,
                        "journal: an earlier write failed and the store is "
                        "in doubt; reopen the run");
    if (j->durability == OFB_SYNC_NEVER)
        return OFB_OK;
    int rc = j->store->sync(j->store);
    if (rc) {
        /* What was acknowledged may not be durable: say so, and stop. */
        j->broken = rc < 0 ? rc : OFB_EIO;
        return store_err(j->store, err, rc, "sync");
    }
    return OFB_OK;
}

void ofb__journal_close(ofb__journal *j)
{
    if (!j)
        return;
    if (j->durability != OFB_SYNC_NEVER && !j->broken)
        (void)j->store->sync(j->store);
    j->store->close(j->store);
    journal_free(j);
}

int ofb_run_flush(ofb_run *run, ofb_error *err)
{
    if (!run)
        return ofb__err(err, OFB_EINVAL, "no run given");
    ofb__journal *j = ofb__run_journal(run);
    return j ? ofb__journal_flush(j, err) : OFB_OK;
}

/* ------------------------------------------------------------- reading */

typedef struct sv {
    char *s;      /* NULL: absent */
    size_t n;
} sv;

typedef struct kvlist {
    sv *v;        /* key, value, key, value, ... */
    ofb_kv *kv;
    size_t n;
    uint32_t cap;
} kvlist;

/* One decoded record. Strings point into the reader's buffer and are
 * NUL-terminated in place: valid until the next line is read. */
typedef struct jrec {
    uint64_t seq;
    int kind;
    int64_t time;
    uint32_t attempt;
    int outcome;
    sv t, step, att, out, name, value, actor, note;
    sv fmt, run, wf, ver, hash, def;   /* the header only */
    kvlist *ev, *in;                   /* the reader's lists */
} jrec;

typedef struct reader {
    ofb_store *store;
    const ofb_allocator *alloc;
    char *buf;
    size_t cap, pos, end, scanned;
    uint64_t base;        /* store offset of buf[0] */
    uint64_t limit;       /* never read past this offset */
    bool eof;
    uint64_t line;        /* number of the current line, from 1 */
    uint64_t good;        /* offset just past the last whole good record */
    uint64_t seq;         /* number the next record must have */
    unsigned char chain[CHAIN_BYTES];
    size_t torn_bytes;
    bool check_chain;     /* recompute the hash chain (verify, history) */
    jrec rec;
    kvlist ev, in;        /* evidence and inputs, reused line after line */
    uint32_t crc[8][256]; /* CRC-32 tables, eight bytes a step */
} reader;

/* The CRC-32 of ofb__crc32, eight bytes a step ("slicing by 8"): reading
 * checks every byte of a journal, and a byte-at-a-time CRC alone would
 * take most of a large replay's time. The tables live in the reader: no
 * global state. */
static void crc_tables(uint32_t t[8][256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            t[k][i] = t[0][t[k - 1][i] & 0xff] ^ (t[k - 1][i] >> 8);
}

static uint32_t crc_fast(uint32_t t[8][256], const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (; n >= 8; p += 8, n -= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                           (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
            t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
            t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    while (n--)
        c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static void reader_init(reader *r, ofb_store *s, const ofb_allocator *a,
                        uint64_t limit, bool check_chain)
{
    memset(r, 0, offsetof(reader, crc));
    r->store = s;
    r->alloc = a;
    r->limit = limit;
    r->check_chain = check_chain;
    crc_tables(r->crc);
}

static void reader_free(reader *r)
{
    ofb__free(r->alloc, r->buf);
    ofb__free(r->alloc, r->ev.v);
    ofb__free(r->alloc, r->ev.kv);
    ofb__free(r->alloc, r->in.v);
    ofb__free(r->alloc, r->in.kv);
    r->buf = NULL;
    memset(&r->ev, 0, sizeof r->ev);
    memset(&r->in, 0, sizeof r->in);
}

static int corrupt(reader *r, ofb_error *err, const char *fmt, ...)
    OFB__PRINTF(3, 4);

static int corrupt(reader *r, ofb_error *err, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ofb__err(err, OFB_ECORRUPT, "journal line %llu: %s",
             (unsigned long long)r->line, why);
    if (err)
        err->line = r->line > INT32_MAX ? INT32_MAX : (int)r->line;
    return OFB_ECORRUPT;
}

/* Reads more of the store into the buffer; sets eof at the end. */
static int fill(reader *r, ofb_error *err)
{
    if (r->pos > 0 && r->end == r->cap) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->base += r->pos;
        r->end -= r->pos;
        r->scanned -= r->pos;
        r->pos = 0;
    }
    if (r->end == r->cap) {
        if (r->cap >= LINE_LIMIT) {
            r->line++;
            return corrupt(r, err, "line longer than %zu bytes", LINE_LIMIT);
        }
        size_t ncap = r->cap ? r->cap * 2 : READ_BLOCK;
        char *nb = ofb__realloc(r->alloc, r->buf, ncap);
        if (!nb)
            return ofb__err(err, OFB_ENOMEM, "out of memory reading the "
                                             "journal");
        r->buf = nb;
        r->cap = ncap;
    }
    uint64_t off = r->base + r->end;
    size_t want = r->cap - r->end;
    if (off >= r->limit) {
        r->eof = true;
        return OFB_OK;
    }
    if (r->limit - off < want)
        want = (size_t)(r->limit - off);
    size_t got = 0;
    int rc = r->store->read(r->store, off, r->buf + r->end, want, &got);
    if (rc)
        return store_err(r->store, err, rc, "read");
    if (got > want)
        return ofb__err(err, OFB_EIO, "journal store read too much");
    if (got == 0)
        r->eof = true;
    r->end += got;
    return OFB_OK;
}

/* The next whole line (without its '\n'): 1, or 0 at the end (a partial
 * line may remain), or a negative code. */
static int next_line(reader *r, char **line, size_t *len, ofb_error *err)
{
    for (;;) {
        char *nl = r->end > r->scanned
                       ? memchr(r->buf + r->scanned, '\n',
                                r->end - r->scanned)
                       : NULL;
        if (nl) {
            *line = r->buf + r->pos;
            *len = (size_t)(nl - *line);
            r->pos = r->scanned = (size_t)(nl - r->buf) + 1;
            r->line++;
            return 1;
        }
        r->scanned = r->end;
        if (r->eof)
            return 0;
        int rc = fill(r, err);
        if (rc)
            return rc;
    }
}

/* Whether any byte follows the current line. */
static int more_after(reader *r, ofb_error *err)
{
    while (r->pos == r->end && !r->eof) {
        int rc = fill(r, err);
        if (rc)
            return rc;
    }
    return r->pos < r->end;
}

static int unhex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A value at *pp: bare, or quoted and decoded in place. NULL or why not. */
static const char *parse_value(char **pp, char *end, sv *out)
{
    char *p = *pp;
    if (p < end && *p == '"') {
        char *start = ++p, *dst = p;
        for (;;) {
            if (p >= end)
                return "unterminated string";
            unsigned char c = (unsigned char)*p;
            if (c == '"')
                break;
            if (c < 0x20 || c == 0x7f)
                return "control byte in a string";
            if (c != '\\') {
                *dst++ = *p++;
                continue;
            }
            if (end - p < 2)
                return "bad escape in a string";
            switch (p[1]) {
            case '"': *dst++ = '"'; break;
            case '\\': *dst++ = '\\'; break;
            case 'n': *dst++ = '\n'; break;
            case 't': *dst++ = '\t'; break;
            case 'r': *dst++ = '\r'; break;
            case 'x': {
                int hi = end - p >= 4 ? unhex((unsigned char)p[2]) : -1;
                int lo = hi >= 0 ? unhex((unsigned char)p[3]) : -1;
                if (lo < 0 || (hi | lo) == 0)
                    return "bad escape in a string";
                *dst++ = (char)(hi << 4 | lo);
                p += 2;
                break;
            }
            default:
                return "bad escape in a string";
            }
            p += 2;
        }
        out->s = start;
        out->n = (size_t)(dst - start);
        *pp = p + 1;
        return NULL;
    }
    char *s = p;
    while (p < end && is_bare((unsigned char)*p))
        p++;
    if (p == s)
        return "missing value";
    out->s = s;
    out->n = (size_t)(p - s);
    *pp = p;
    return NULL;
}

/* A plain decimal number: no sign, no leading zero, no overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

static bool parse_i64(const char *s, size_t n, int64_t *v)
{
    uint64_t u;
    if (n > 0 && s[0] == '-') {
        if (!parse_u64(s + 1, n - 1, &u) || u == 0 ||
            u > (uint64_t)INT64_MAX + 1)
            return false;
        *v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
        return true;
    }
    if (!parse_u64(s, n, &u) || u > (uint64_t)INT64_MAX)
        return false;
    *v = (int64_t)u;
    return true;
}

static int kv_push(reader *r, kvlist *l, sv k, sv v)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap;
        int rc = ofb__grow(r->alloc, (void **)&l->v, 2 * sizeof(sv), &cap,
                           l->n + 1);
        if (rc)
            return rc;
        uint32_t cap2 = l->cap;
        rc = ofb__grow(r->alloc, (void **)&l->kv, sizeof(ofb_kv), &cap2,
                       l->n + 1);
        if (rc)
            return rc;
        l->cap = cap < cap2 ? cap : cap2;
    }
    l->v[2 * l->n] = k;
    l->v[2 * l->n + 1] = v;
    l->n++;
    return OFB_OK;
}

static bool name_is(const char *p, size_t n, const char *name)
{
    /* Names are short: compare in place rather than measure them. */
    size_t i = 0;
    while (i < n && name[i] && name[i] == p[i])
        i++;
    return i == n && name[i] == '\0';
}

static void terminate(sv *v)
{
    if (v->s)
        v->s[v->n] = '\0';
}

/* Decodes a record's body (the bytes before " h=") into r->rec. */
static int parse_body(reader *r, char *p, char *end, ofb_error *err)
{
    jrec *rec = &r->rec;
    kvlist *ev = &r->ev, *in = &r->in;
    memset(rec, 0, sizeof *rec);
    rec->ev = ev;
    rec->in = in;
    ev->n = in->n = 0;
    rec->outcome = -1;

    char *q = p;
    while (q < end && *q != ' ')
        q++;
    if (!parse_u64(p, (size_t)(q - p), &rec->seq))
        return corrupt(r, err, "no record number");
    p = q + (q < end);
    q = p;
    while (q < end && *q != ' ')
        q++;
    rec->kind = -1;
    for (size_t k = 0; k < NKINDS && rec->kind < 0; k++)
        if (name_is(p, (size_t)(q - p), kind_names[k]))
            rec->kind = (int)k;
    if (rec->kind < 0)
        return corrupt(r, err, "unknown record kind '%.*s'",
                       (int)(q - p > 32 ? 32 : q - p), p);
    p = q;

    const char *why = NULL;
    while (!why && p < end) {
        if (*p++ != ' ' || p >= end) {
            why = "malformed field";
            break;
        }
        char *name = p;
        while (p < end && *p >= 'a' && *p <= 'z')
            p++;
        size_t nlen = (size_t)(p - name);
        if (p >= end || *p != '=') {
            why = "malformed field";
            break;
        }
        p++;
        sv v, *slot = NULL;
        if ((why = parse_value(&p, end, &v)) != NULL)
            break;
        if (name_is(name, nlen, "ev") || name_is(name, nlen, "in")) {
            sv val;
            if (p >= end || *p != '=') {
                why = "malformed key=value pair";
                break;
            }
            p++;
            if ((why = parse_value(&p, end, &val)) != NULL)
                break;
            int rc = kv_push(r, name[0] == 'e' ? ev : in, v, val);
            if (rc)
                return ofb__err(err, OFB_ENOMEM, "out of memory reading the "
                                                 "journal");
            continue;
        }
        static const struct {
            const char *name;
            size_t off;
        } fields[] = {
            {"t", offsetof(jrec, t)},         {"step", offsetof(jrec, step)},
            {"att", offsetof(jrec, att)},     {"out", offsetof(jrec, out)},
            {"name", offsetof(jrec, name)},   {"value", offsetof(jrec, value)},
            {"by", offsetof(jrec, actor)},    {"note", offsetof(jrec, note)},
            {"fmt", offsetof(jrec, fmt)},     {"run", offsetof(jrec, run)},
            {"wf", offsetof(jrec, wf)},       {"ver", offsetof(jrec, ver)},
            {"hash", offsetof(jrec, hash)},   {"def", offsetof(jrec, def)},
        };
        for (size_t i = 0; !slot && i < sizeof fields / sizeof fields[0];
             i++)
            if (name_is(name, nlen, fields[i].name))
                slot = (sv *)((char *)rec + fields[i].off);
        if (!slot)
            return corrupt(r, err, "unknown field '%.*s'",
                           (int)(nlen > 32 ? 32 : nlen), name);
        if (slot->s)
            return corrupt(r, err, "field '%.*s' given twice", (int)nlen,
                           name);
        *slot = v;
    }
    if (why)
        return corrupt(r, err, "%s", why);

    /* Every value is read: now the separators may become NULs. */
    sv *all[] = {&rec->t,    &rec->step, &rec->att,  &rec->out,
                 &rec->name, &rec->value, &rec->actor, &rec->note,
                 &rec->fmt,  &rec->run,  &rec->wf,   &rec->ver,
                 &rec->hash, &rec->def};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        terminate(all[i]);
    for (size_t i = 0; i < 2 * rec->ev->n; i++)
        terminate(&rec->ev->v[i]);
    for (size_t i = 0; i < 2 * rec->in->n; i++)
        terminate(&rec->in->v[i]);
    for (size_t i = 0; i < rec->ev->n; i++) {
        rec->ev->kv[i].key = rec->ev->v[2 * i].s;
        rec->ev->kv[i].value = rec->ev->v[2 * i + 1].s;
    }
    for (size_t i = 0; i < rec->in->n; i++) {
        rec->in->kv[i].key = rec->in->v[2 * i].s;
        rec->in->kv[i].value = rec->in->v[2 * i + 1].s;
    }
    /* No string may hide a NUL (\x00 is refused, but a raw one is not
     * caught by the escapes). */
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]->s && memchr(all[i]->s, '\0', all[i]->n))
            return corrupt(r, err, "NUL byte in a value");

    if (!rec->t.s || !parse_i64(rec->t.s, rec->t.n, &rec->time))
        return corrupt(r, err, "missing or bad time");
    if (rec->att.s) {
        uint64_t a;
        if (!parse_u64(rec->att.s, rec->att.n, &a) || a == 0 ||
            a > UINT32_MAX)
            return corrupt(r, err, "bad attempt number");
        rec->attempt = (uint32_t)a;
    }
    if (rec->out.s) {
        for (size_t k = 0; k < NOUTCOMES; k++)
            if (strcmp(rec->out.s, outcome_names[k]) == 0)
                rec->outcome = (int)k;
        if (rec->outcome < 0)
            return corrupt(r, err, "unknown outcome '%.32s'", rec->out.s);
    }
    bool header = rec->kind == OFB_EV_CREATE;
    if (header != (rec->seq == 0))
        return corrupt(r, err, header ? "a second header record"
                                      : "the first record is not a header");
    if (header) {
        if (!rec->fmt.s || !rec->run.s || !rec->wf.s || !rec->ver.s ||
            !rec->hash.s || !rec->def.s)
            return corrupt(r, err, "incomplete header record");
    } else if (rec->fmt.s || rec->run.s || rec->wf.s || rec->ver.s ||
               rec->hash.s || rec->def.s) {
        return corrupt(r, err, "header field in an event record");
    }
    return OFB_OK;
}

/* Whether a whole record (a checksum that fits) ends inside line: then
 * the line is not a write cut short but two records run together. */
static bool holds_record(const char *line, size_t len)
{
    for (size_t k = TAIL_LEN - 8; k + 11 < len; k++) {
        if (line[k] != ' ' || line[k + 1] != 'c' || line[k + 2] != '=')
            continue;
        uint32_t crc = 0;
        size_t i;
        for (i = k + 3; i < k + 11; i++) {
            int d = unhex((unsigned char)line[i]);
            if (d < 0)
                break;
            crc = crc << 4 | (uint32_t)d;
        }
        if (i == k + 11 && crc == ofb__crc32(0, line, k))
            return true;
    }
    return false;
}

/* Reads, checks and decodes the next record into r->rec: 1, or 0 at the
 * end (r->torn_bytes says what was left over), or a negative code. */
static int next_record(reader *r, ofb_error *err)
{
    char *line = NULL;
    size_t len = 0;
    int rc = next_line(r, &line, &len, err);
    if (rc <= 0) {
        if (rc == 0)
            r->torn_bytes = r->end - r->pos;
        return rc;
    }

    const char *bad = NULL;
    uint32_t crc = 0;
    if (len < TAIL_LEN + 3 || memcmp(line + len - TAIL_LEN, " h=", 3) ||
        memcmp(line + len - 11, " c=", 3)) {
        bad = "malformed record (no chain hash or checksum)";
    } else {
        for (size_t i = len - 8; i < len && !bad; i++) {
            int d = unhex((unsigned char)line[i]);
            if (d < 0)
                bad = "malformed checksum";
            crc = crc << 4 | (uint32_t)d;
        }
        if (!bad && crc != crc_fast(r->crc, line, len - 11))
            bad = "bad checksum (the line was damaged or edited)";
    }
    if (bad) {
        /* The very last line may be a write cut short by a crash, unless
         * a whole record hides in it (its newline was damaged). */
        rc = more_after(r, err);
        if (rc < 0)
            return rc;
        if (rc == 0 && holds_record(line, len))
            return corrupt(r, err, "%s; it holds a whole record (a damaged "
                                   "line end?)", bad);
        if (rc == 0) {
            r->torn_bytes = len + 1;
            return 0;
        }
        return corrupt(r, err, "%s", bad);
    }

    char *q = line;
    while (q < line + len && *q >= '0' && *q <= '9')
        q++;
    uint64_t seq;
    if (!parse_u64(line, (size_t)(q - line), &seq))
        return corrupt(r, err, "no record number");
    if (seq != r->seq)
        return corrupt(r, err,
                       "record %llu where %llu was expected (a record is "
                       "missing, repeated or out of order)",
                       (unsigned long long)seq, (unsigned long long)r->seq);

    size_t body = len - TAIL_LEN;
    unsigned char h[CHAIN_BYTES];
    if (r->check_chain) {
        chain_next(r->chain, line, body, h);
        for (size_t i = 0; i < CHAIN_BYTES; i++) {
            const char *x = line + body + 3 + 2 * i;
            if (x[0] != hexd[h[i] >> 4] || x[1] != hexd[h[i] & 15])
                return corrupt(r, err,
                               "hash chain broken (this record or one "
                               "before it was altered)");
        }
    } else {
        /* Replay trusts the checksummed line for the chain (ofb_journal_
         * verify recomputes it): new records chain on from it. */
        for (size_t i = 0; i < CHAIN_BYTES; i++) {
            int hi = unhex((unsigned char)line[body + 3 + 2 * i]);
            int lo = unhex((unsigned char)line[body + 4 + 2 * i]);
            if (hi < 0 || lo < 0)
                return corrupt(r, err, "malformed chain hash");
            h[i] = (unsigned char)(hi << 4 | lo);
        }
    }

    rc = parse_body(r, line, line + body, err);
    if (rc)
        return rc;
    memcpy(r->chain, h, CHAIN_BYTES);
    r->seq++;
    r->good = r->base + r->pos;
    return 1;
}

static void rec_to_event(const jrec *rec, ofb_event *e, ofb_kv hdr[3])
{
    memset(e, 0, sizeof *e);
    e->kind = (ofb_event_kind)rec->kind;
    e->seq = rec->seq;
    e->time = rec->time;
    e->step = rec->step.s ? rec->step.s : "";
    e->attempt = rec->attempt;
    e->outcome = rec->outcome;
    e->name = rec->name.s ? rec->name.s : "";
    e->value = rec->value.s ? rec->value.s : "";
    e->actor = rec->actor.s ? rec->actor.s : "";
    e->note = rec->note.s ? rec->note.s : "";
    e->evidence = rec->ev->kv;
    e->nevidence = rec->ev->n;
    e->inputs = rec->in->kv;
    e->ninputs = rec->in->n;
    if (rec->kind == OFB_EV_CREATE) {
        /* The header as an event: name the run id, value the definition
         * hash, the rest as evidence. */
        e->name = rec->run.s;
        e->value = rec->hash.s;
        hdr[0].key = "workflow";
        hdr[0].value = rec->wf.s;
        hdr[1].key = "version";
        hdr[1].value = rec->ver.s;
        hdr[2].key = "format";
        hdr[2].value = rec->fmt.s;
        e->evidence = hdr;
        e->nevidence = 3;
    }
}

/* Checks the header's own consistency: format and definition hash. */
static int check_header(reader *r, ofb_error *err)
{
    jrec *h = &r->rec;
    uint64_t v;
    if (!parse_u64(h->fmt.s, h->fmt.n, &v) || v != JOURNAL_FORMAT)
        return corrupt(r, err,
                       "journal format '%.16s' is not supported (this "
                       "library reads format %d)",
                       h->fmt.s, JOURNAL_FORMAT);
    if (!parse_u64(h->ver.s, h->ver.n, &v) || v == 0 || v > UINT32_MAX)
        return corrupt(r, err, "bad workflow version in the header");
    ofb__sha256 c;
    unsigned char d[32];
    char hex[65];
    ofb__sha256_init(&c);
    ofb__sha256_update(&c, h->def.s, h->def.n);
    ofb__sha256_final(&c, d);
    ofb__sha256_hex(d, hex);
    if (h->hash.n != 64 || memcmp(hex, h->hash.s, 64) != 0)
        return corrupt(r, err, "the definition in the header does not "
                               "match its hash");
    return OFB_OK;
}

/* The common walk of ofb_journal_read, ofb_journal_verify and history. */
static int walk(ofb_store *s, const ofb_allocator *a, uint64_t limit,
                ofb_event_fn fn, void *payload, ofb_verify_report *rep,
                ofb_error *err)
{
    reader *rp = ofb__malloc(a, sizeof *rp);
    if (!rp)
        return ofb__err(err, OFB_ENOMEM, "out of memory reading the journal");
    reader_init(rp, s, a, limit, true);
    int rc;
    while ((rc = next_record(rp, err)) == 1) {
        if (rp->rec.kind == OFB_EV_CREATE && (rc = check_header(rp, err)))
            break;
        if (fn) {
            ofb_event e;
            ofb_kv hdr[3];
            rec_to_event(&rp->rec, &e, hdr);
            if ((rc = fn(&e, payload)) != 0)
                break;
        }
    }
    if (rep) {
        rep->records = (size_t)rp->seq;
        rep->torn_bytes = rc == 0 ? rp->torn_bytes : 0;
        hex_bytes(rp->chain, CHAIN_BYTES, rep->last_hash);
        rep->last_hash[2 * CHAIN_BYTES] = '\0';
        if (rp->seq == 0)
            rep->last_hash[0] = '\0';
    }
    reader_free(rp);
    ofb__free(a, rp);
    return rc;
}

int ofb_journal_verify(ofb_store *store, ofb_verify_report *rep,
                       ofb_error *err)
{
    ofb_verify_report tmp;
    if (!rep)
        rep = &tmp;
    memset(rep, 0, sizeof *rep);
    if (!store || !store->read)
        return ofb__err(err, OFB_EINVAL, "no journal store given");
    ofb_allocator a;
    ofb__alloc_init(&a, NULL);
    return walk(store, &a, UINT64_MAX, NULL, NULL, rep, err);
}

int ofb_journal_read(ofb_store *store, ofb_event_fn fn, void *payload,
                     ofb_error *err)
{
    if (!store || !store->read || !fn)
        return ofb__err(err, OFB_EINVAL, "no journal store given");
    ofb_allocator a;
    ofb__alloc_init(&a, NULL);
    return walk(store, &a, UINT64_MAX, fn, payload, NULL, err);
}

int ofb__journal_history(ofb__journal *j, ofb_event_fn fn, void *payload,
                         ofb_error *err)
{
    /* Only whole records: never a torn end still waiting to be cut. */
    return walk(j->store, &j->alloc, j->len, fn, payload, NULL, err);
}

int ofb_run_history(ofb_run *run, ofb_event_fn fn, void *payload,
                    ofb_error *err)
{
    if (!run || !fn)
        return ofb__err(err, OFB_EINVAL, "no run or callback given");
    ofb__journal *j = ofb__run_journal(run);
    return j ? ofb__journal_history(j, fn, payload, err) : OFB_OK;
}

/* ------------------------------------------------------------- opening */

static int replay_one(reader *r, ofb_run *run, ofb_error *err)
{
    const jrec *rec = &r->rec;
    const ofb_workflow *wf = ofb_run_workflow(run);
    ofb__ev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = (ofb_event_kind)rec->kind;
    ev.time = rec->time;
    ev.step = OFB__NONE;
    if (rec->step.s) {
        uint32_t ix = ofb__map_getn(&wf->step_ix, rec->step.s, rec->step.n);
        if (ix == OFB__NONE)
            return corrupt(r, err, "unknown step '%.64s'", rec->step.s);
        ev.step = ix;
    }
    ev.attempt = rec->attempt;
    ev.outcome = rec->outcome;
    ev.name = rec->name.s;
    ev.value = rec->value.s;
    ev.actor = rec->actor.s;
    ev.note = rec->note.s;
    ev.evidence = rec->ev->kv;
    ev.nevidence = rec->ev->n;
    ev.inputs = rec->in->kv;
    ev.ninputs = rec->in->n;
    ofb_error why;
    memset(&why, 0, sizeof why);
    int rc = ofb__run_apply(run, &ev, true, &why);
    if (rc == OFB_ENOMEM)
        return ofb__err(err, rc, "out of memory replaying the journal");
    if (rc)
        return corrupt(r, err, "%s record refused on replay: %s",
                       kind_names[rec->kind], why.message);
    return OFB_OK;
}

int ofb_run_open(ofb_run **out, ofb_workflow *wf, const ofb_run_opts *opts,
                 ofb_recovery *rec, ofb_error *err)
{
    ofb_recovery tmp;
    if (!rec)
        rec = &tmp;
    memset(rec, 0, sizeof *rec);
    if (!out)
        return ofb__err(err, OFB_EINVAL, "no output pointer given");
    *out = NULL;
    if (!opts || !opts->store)
        return ofb__err(err, OFB_EINVAL, "no journal store given");
    ofb_store *s = opts->store;
    /* Lock first: nobody may append while we read. */
    int rc = store_take(s, opts->lock_timeout_ms, err);
    if (rc)
        return rc;

    ofb_allocator defalloc;
    ofb__alloc_init(&defalloc, NULL);
    const ofb_allocator *a = wf ? &wf->alloc : &defalloc;
    ofb_workflow *own = NULL;
    ofb_run *run = NULL;
    ofb__journal *j = NULL;
    reader *rp = ofb__malloc(a, sizeof *rp);
    if (!rp)
        return ofb__err(err, OFB_ENOMEM, "out of memory reading the journal");
    reader_init(rp, s, a, UINT64_MAX, false);

    rc = next_record(rp, err);
    if (rc == 0) {
        rp->line = 1;
        rc = rp->torn_bytes ? corrupt(rp, err, "the header record is "
                                             "incomplete (%zu bytes, torn)",
                                    rp->torn_bytes)
                          : ofb__err(err, OFB_ECORRUPT, "journal is empty");
        goto fail;
    }
    if (rc < 0 || (rc = check_header(rp, err)) != OFB_OK)
        goto fail;

    if (wf) {
        const char *have = ofb_workflow_hash(wf);
        if (!have) {
            rc = ofb__err(err, OFB_ESEALED, "workflow '%s' is not sealed",
                          wf->id);
            goto fail;
        }
        if (strcmp(have, rp->rec.hash.s) != 0) {
            rc = ofb__err(err, OFB_EMISMATCH,
                          "journal of run '%.64s' was written for workflow "
                          "'%.64s' version %.12s (definition %.64s); this "
                          "is '%.64s' version %u (definition %s)",
                          rp->rec.run.s, rp->rec.wf.s, rp->rec.ver.s,
                          rp->rec.hash.s, wf->id, wf->version, have);
            goto fail;
        }
    } else {
        ofb_error perr;
        memset(&perr, 0, sizeof perr);
        rc = ofb_workflow_parse(&own, rp->rec.def.s, rp->rec.def.n,
                                "journal header", NULL, &perr);
        if (rc == OFB_ENOMEM) {
            rc = ofb__err(err, rc, "out of memory");
            goto fail;
        }
        if (rc) {
            rc = corrupt(rp, err, "the definition in the header does not "
                                  "parse: %s", perr.message);
            goto fail;
        }
        wf = own;
    }

    rc = ofb__run_create(&run, wf, rp->rec.run.s, opts, err);
    if (rc) {
        if (rc == OFB_EINVAL)
            rc = corrupt(rp, err, "bad run id in the header");
        goto fail;
    }
    while ((rc = next_record(rp, err)) == 1)
        if ((rc = replay_one(rp, run, err)) != OFB_OK)
            goto fail;
    if (rc < 0)
        goto fail;

    ofb__run_after_replay(run, &rec->in_doubt);
    j = journal_new(&wf->alloc, s, opts);
    if (!j) {
        rc = ofb__err(err, OFB_ENOMEM, "out of memory");
        goto fail;
    }
    j->seq = rp->seq;
    j->len = rp->good;
    memcpy(j->chain, rp->chain, CHAIN_BYTES);
    if (rp->torn_bytes) {
        rec->torn_records = 1;
        rec->torn_bytes = rp->torn_bytes;
        /* A read-only store cannot cut: it is tried again before the
         * first append. */
        if (s->truncate(s, rp->good) != OFB_OK)
            j->cut_pending = true;
    }
    rec->records = (size_t)rp->seq;
    reader_free(rp);
    ofb__free(a, rp);
    ofb__run_attach(run, j);
    if (own)
        ofb_workflow_unref(own);
    *out = run;
    return OFB_OK;

fail:
    reader_free(rp);
    ofb__free(a, rp);
    ofb_run_free(run);
    if (own)
        ofb_workflow_unref(own);
    memset(rec, 0, sizeof *rec);
    return rc;
}
