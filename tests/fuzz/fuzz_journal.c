/*
 * fuzz_journal.c - reading, verifying and replaying journals.
 *
 * Byte 0 chooses how the rest is served:
 *   bit 0     re-seal every line (recompute its chain hash and CRC), so
 *             that mutations reach the record parser and the replay
 *             instead of stopping at the checksum
 *   bit 1     also recompute the header's definition hash
 *   bit 2     open against a built-in workflow (bits 4-7 pick it) rather
 *             than the definition in the header
 *   bit 3     in-doubt steps are verified done (else run again)
 *   byte 1    bits 0-6: reads return at most this many bytes (0: no
 *             limit); bit 7: cancel the run after advancing it
 *
 * Checks: verify, read and open agree; a journal that opens replays to a
 * run that, once advanced, writes a journal that verifies and reopens to
 * exactly the same run.
 */
#include "fuzz.h"

#include "internal.h"

#define CHAIN_BYTES 16
#define TAIL_LEN 46

static const char hexd[] = "0123456789abcdef";

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Decodes the quoted def="..." value of a header line, the way the journal
 * writes it, into out; returns its length or -1. */
static long decode_def(const char *p, const char *end, char *out)
{
    size_t n = 0;
    if (p >= end || *p != '"')
        return -1;
    for (p++; p < end && *p != '"'; p++) {
        if (*p != '\\') {
            out[n++] = *p;
            continue;
        }
        if (end - p < 2)
            return -1;
        p++;
        switch (*p) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case 'x': {
            if (end - p < 3)
                return -1;
            const char *h = strchr(hexd, p[1]), *l = strchr(hexd, p[2]);
            if (!h || !l || !p[1] || !p[2])
                return -1;
            out[n++] = (char)((h - hexd) << 4 | (l - hexd));
            p += 2;
            break;
        }
        default: out[n++] = *p; break;
        }
    }
    return p < end ? (long)n : -1;
}

/* Puts the header's hash= in line with its def= (both must be there). */
static void fix_header_hash(char *line, size_t len)
{
    char *end = line + len;
    char *h = NULL, *d = NULL;
    for (char *p = line; p + 6 < end; p++) {
        if (!h && memcmp(p, " hash=", 6) == 0)
            h = p + 6;
        if (!d && memcmp(p, " def=", 5) == 0)
            d = p + 5;
    }
    if (!h || !d || end - h < 64)
        return;
    char *def = malloc(len + 1);
    FZ_CHECK(def, "malloc");
    long n = decode_def(d, end, def);
    if (n >= 0) {
        ofb__sha256 c;
        unsigned char dg[32];
        char hex[65];
        ofb__sha256_init(&c);
        ofb__sha256_update(&c, def, (size_t)n);
        ofb__sha256_final(&c, dg);
        ofb__sha256_hex(dg, hex);
        memcpy(h, hex, 64);
    }
    free(def);
}

/* Rewrites every line's " h=CHAIN c=CRC" tail (adding one where there is
 * none) so that the lines chain and check. */
static void reseal(fz_text *out, const uint8_t *d, size_t n, int fix_hash)
{
    unsigned char chain[CHAIN_BYTES] = {0};
    size_t at = 0, line = 0;
    while (at < n) {
        const uint8_t *nl = memchr(d + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - d) : n;
        size_t body = end - at;
        const char *s = (const char *)d + at;
        if (body >= TAIL_LEN && memcmp(s + body - TAIL_LEN, " h=", 3) == 0 &&
            memcmp(s + body - 11, " c=", 3) == 0 &&
            is_hex(s + body - TAIL_LEN + 3, 32) && is_hex(s + body - 8, 8))
            body -= TAIL_LEN;
        char *b = malloc(body + TAIL_LEN + 1);
        FZ_CHECK(b, "malloc");
        memcpy(b, s, body);
        if (line == 0 && fix_hash)
            fix_header_hash(b, body);
        ofb__sha256 c;
        unsigned char dg[32];
        ofb__sha256_init(&c);
        ofb__sha256_update(&c, chain, CHAIN_BYTES);
        ofb__sha256_update(&c, b, body);
        ofb__sha256_final(&c, dg);
        memcpy(chain, dg, CHAIN_BYTES);
        char *t = b + body;
        memcpy(t, " h=", 3);
        for (int i = 0; i < CHAIN_BYTES; i++) {
            t[3 + 2 * i] = hexd[chain[i] >> 4];
            t[4 + 2 * i] = hexd[chain[i] & 15];
        }
        memcpy(t + 35, " c=", 3);
        uint32_t crc = ofb__crc32(ofb__crc32(0, b, body), t, 35);
        for (int i = 0; i < 8; i++)
            t[38 + i] = hexd[(crc >> (28 - 4 * i)) & 15];
        fz_text_write(b, body + TAIL_LEN, out);
        if (nl)
            fz_text_write("\n", 1, out);
        free(b);
        at = nl ? end + 1 : n;
        line++;
    }
}

typedef struct seen {
    uint64_t next;
} seen;

static int on_record(const ofb_event *ev, void *payload)
{
    seen *s = payload;
    FZ_CHECK(ev->seq == s->next, "record %llu after %llu",
             (unsigned long long)ev->seq, (unsigned long long)s->next);
    FZ_CHECK(ev->step && ev->name && ev->value && ev->actor && ev->note,
             "NULL string in an event");
    FZ_CHECK(ev->nevidence == 0 || ev->evidence, "evidence");
    for (size_t i = 0; i < ev->nevidence; i++)
        FZ_CHECK(ev->evidence[i].key && ev->evidence[i].value, "evidence kv");
    for (size_t i = 0; i < ev->ninputs; i++)
        FZ_CHECK(ev->inputs[i].key && ev->inputs[i].value, "input kv");
    s->next++;
    return 0;
}

static int done_handler(ofb_call *call, void *payload)
{
    (void)payload;
    (void)ofb_call_key(call);
    return OFB_DONE;
}

static int verdict(ofb_run *run, size_t step, const char *key, void *payload)
{
    (void)run;
    (void)step;
    FZ_CHECK(key && *key, "no idempotency key");
    return *(const int *)payload;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned mode = data[0];
    size_t chunk = data[1] & 0x7f;
    int cancel = data[1] >> 7;
    data += 2;
    size -= 2;

    fz_text bytes = {0};
    if (mode & 1)
        reseal(&bytes, data, size, mode & 2);
    else
        fz_text_write((const char *)data, size, &bytes);

    fz_store st;
    fz_store_init(&st, bytes.data, bytes.len, chunk);
    fz_text_free(&bytes);

    ofb_verify_report rep;
    ofb_error err;
    int vrc = ofb_journal_verify(&st.base, &rep, &err);
    FZ_CHECK(vrc == 0 || vrc == OFB_ECORRUPT, "verify returned %d: %s", vrc,
             err.message);
    if (vrc)
        FZ_CHECK(err.line >= 1 && err.message[0], "corruption without a line");

    seen sn = {0};
    int rrc = ofb_journal_read(&st.base, on_record, &sn, &err);
    FZ_CHECK(rrc == vrc, "read %d but verify %d", rrc, vrc);
    if (vrc == 0)
        FZ_CHECK(sn.next == rep.records, "read %llu records, verify %zu",
                 (unsigned long long)sn.next, rep.records);

    ofb_workflow *wf = NULL;
    if (mode & 4) {
        size_t nb = ofb_builtin_count();
        FZ_CHECK(ofb_builtin_load(&wf, ofb_builtin_name((mode >> 4) % nb),
                                  NULL, NULL) == 0, "builtin");
    }
    int vdone = (mode & 8) ? OFB_VERIFY_DONE : OFB_VERIFY_RERUN;
    ofb_run_opts opts = {&st.base, OFB_SYNC_EVERY, 0, verdict, &vdone};
    ofb_recovery rec;
    ofb_run *run = NULL;
    int orc = ofb_run_open(&run, wf, &opts, &rec, &err);
    FZ_CHECK(orc == 0 || orc == OFB_ECORRUPT || orc == OFB_EMISMATCH,
             "open returned %d: %s", orc, err.message);
    if (vrc)
        FZ_CHECK(orc, "verify failed (%d) but open succeeded", vrc);
    if (orc) {
        FZ_CHECK(run == NULL && !st.closed, "failed open kept the store");
        goto done;
    }
    FZ_CHECK(rec.records == rep.records, "opened %zu records, verified %zu",
             rec.records, rep.records);
    FZ_CHECK(rec.torn_bytes == rep.torn_bytes, "torn %zu vs %zu",
             rec.torn_bytes, rep.torn_bytes);

    /* Go on from where the journal ends, then read it all back. */
    ofb_time now = ofb_run_now(run) + 1;
    ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, done_handler, NULL, NULL, NULL);
    ofb_time next;
    (void)ofb_run_advance(run, now, &next, NULL);
    if (cancel)
        (void)ofb_run_cancel(run, NULL, NULL);
    fz_snap before;
    fz_snap_take(&before, run);
    ofb_run_free(run);
    FZ_CHECK(st.closed, "run did not close its store");
    st.closed = 0;

    ofb_verify_report rep2;
    int rc = ofb_journal_verify(&st.base, &rep2, &err);
    FZ_CHECK(rc == 0 && rep2.torn_bytes == 0,
             "journal written after recovery does not verify: %s",
             err.message);
    FZ_CHECK(rep2.records >= rep.records, "records lost");

    rc = ofb_run_open(&run, wf, &opts, &rec, &err);
    FZ_CHECK(rc == 0, "journal written after recovery does not open: %s",
             err.message);
    fz_snap after;
    fz_snap_take(&after, run);
    fz_snap_same(&before, &after, "reopened");
    fz_snap_free(&before);
    fz_snap_free(&after);
    ofb_run_free(run);

done:
    ofb_workflow_unref(wf);
    fz_store_free(&st);
    return 0;
}
