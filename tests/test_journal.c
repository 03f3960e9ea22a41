/*
 * test_journal.c - the journal: records read back exactly, a reopened run
 * is the same run, damage is found and placed, failures lose nothing that
 * was acknowledged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static const char WF_TEXT[] =
    "workflow journal-test 1\n"
    "title \"Offboard a customer\"\n"
    "input tier choice(basic, full) required\n"
    "input found string\n"
    "step notify \"Tell the customer\"\n"
    "  role csm\n"
    "step export \"Export the customer's data\"\n"
    "  after notify\n"
    "  retry 2 backoff 10s\n"
    "step wait_ack \"Customer acknowledges the export\"\n"
    "  after export\n"
    "  wait customer_ack timeout 1d\n"
    "step cleanup \"Remove the customer's accounts\"\n"
    "  after wait_ack\n"
    "  irreversible\n"
    "step extras \"Extra clean-up\"\n"
    "  after notify\n"
    "  optional\n"
    "  when tier == full\n"
    "step report \"Report to the account manager\"\n"
    "  after cleanup\n"
    "  manual\n";

/* Text that must never break a record. */
static const char *const HOSTILE[] = {
    "",
    "say \"hi\"",
    "tab\there",
    "line one\nline two\r\n",
    "back\\slash\\",
    "a=b=c",
    "h=00000000000000000000000000000000 c=00000000",
    "ünïcødé ✓ 🚀 日本語",
    "\xff\xfe not utf-8 \xc3",
    "\x01\x1f\x7f controls",
    "  leading and trailing  ",
    "# not a comment",
};
#define NHOSTILE (sizeof HOSTILE / sizeof HOSTILE[0])

static ofb_workflow *load_wf(const ofb_allocator *alloc)
{
    ofb_workflow *wf = NULL;
    ofb_parse_opts po = {0};
    po.alloc = alloc;
    ofb_error err;
    int rc = ofb_workflow_parse(&wf, WF_TEXT, strlen(WF_TEXT), "test.ofb",
                                &po, &err);
    if (rc)
        fail_msg("parse: %s", err.message);
    return wf;
}

/* A copy of a memory store's bytes in a fresh memory store. */
static ofb_store *mem_copy(const char *data, size_t len)
{
    ofb_store *s = NULL;
    assert_int_equal(ofb_store_memory(&s), OFB_OK);
    assert_int_equal(s->append(s, data, len), OFB_OK);
    return s;
}

typedef struct bytes {
    char *data;
    size_t len;
} bytes;

static bytes store_bytes(ofb_store *s)
{
    const char *d;
    size_t n;
    assert_int_equal(ofb_store_memory_data(s, &d, &n), OFB_OK);
    bytes b = {malloc(n + 1), n};
    memcpy(b.data, d, n);
    return b;
}

/* ------------------------------------------------------------ the story */

static int export_handler(ofb_call *call, void *payload)
{
    (void)payload;
    if (ofb_call_attempt(call) == 1) {
        ofb_call_reason(call, "API \"timeout\"\nretrying");
        return OFB_RETRY;
    }
    ofb_call_evidence(call, "archive", "s3://bucket/a=b c.tar");
    ofb_call_evidence(call, "digest", "sha256:ab\tcd");
    ofb_call_set_input(call, "found", "C:\\Users\\\"x\"\n✓");
    return OFB_DONE;
}

static int cleanup_handler(ofb_call *call, void *payload)
{
    (void)payload;
    ofb_call_evidence(call, "ticket", "T-42");
    return OFB_DONE;
}

static int bind_story(ofb_run *run)
{
    int rc = ofb_run_bind(run, OFB_BIND_STEP, "export", export_handler, NULL,
                          NULL, NULL);
    return rc ? rc : ofb_run_bind(run, OFB_BIND_STEP, "cleanup",
                                  cleanup_handler, NULL, NULL, NULL);
}

/* The offboarding, calls [from, to) of NCALLS; returns the first
 * error and, in *done, how many calls succeeded. */
#define NCALLS 12

static int story(ofb_run *run, int from, int to, int *done,
                 ofb_error *err)
{
    ofb_kv ev[] = {{"ticket", "T-1 \"urgent\""}, {"k=v", "x=y\nz"}};
    ofb_act a = {0};
    a.actor = "alice \"the admin\"";
    a.note = "customer left\ton good terms\n=ok";
    a.evidence = ev;
    a.nevidence = 2;
    int rc = OFB_OK, i;
    for (i = from; rc == OFB_OK && i < to; i++) {
        a.time = 100 + 100 * i;
        switch (i) {
        case 0: rc = ofb_run_set_input(run, "tier", "full", &a, err); break;
        case 1: rc = ofb_run_start(run, &a, err); break;
        case 2: rc = ofb_run_complete(run, "notify", &a, err); break;
        case 3: rc = ofb_run_advance(run, a.time, NULL, err); break;
        case 4: rc = ofb_run_skip(run, "extras", &a, err); break;
        case 5: rc = ofb_run_advance(run, a.time, NULL, err); break;
        case 6: rc = ofb_run_complete(run, "wait_ack", &a, err); break;
        case 7: rc = ofb_run_signal(run, "customer_ack", &a, err); break;
        case 8: rc = ofb_run_confirm(run, "cleanup", &a, err); break;
        case 9: rc = ofb_run_advance(run, a.time, NULL, err); break;
        case 10: rc = ofb_run_complete(run, "report", &a, err); break;
        case 11: rc = ofb_run_advance(run, a.time, NULL, err); break;
        }
    }
    if (done)
        *done = rc ? i - 1 : i;
    return rc;
}

typedef struct snap {
    int status;
    ofb_time now;
    ofb_step_status st[6];
    char tier[64], found[256];
} snap;

static void take(const ofb_run *run, snap *s, bool with_doubt)
{
    memset(s, 0, sizeof *s);
    s->status = ofb_run_status_get(run);
    s->now = ofb_run_now(run);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ofb_run_step_status(run, i, &s->st[i]), OFB_OK);
        s->st[i].event = NULL;
        if (!with_doubt)
            s->st[i].in_doubt = 0;
    }
    const char *t = ofb_run_input(run, "tier"), *f = ofb_run_input(run,
                                                                   "found");
    snprintf(s->tier, sizeof s->tier, "%s", t ? t : "(unset)");
    snprintf(s->found, sizeof s->found, "%s", f ? f : "(unset)");
}

static void assert_same(const snap *a, const snap *b)
{
    assert_int_equal(a->status, b->status);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(a->st[i].state, b->st[i].state);
        assert_int_equal(a->st[i].attempt, b->st[i].attempt);
        assert_int_equal(a->st[i].confirmed, b->st[i].confirmed);
        assert_int_equal(a->st[i].in_doubt, b->st[i].in_doubt);
        assert_int_equal(a->st[i].due, b->st[i].due);
    }
    assert_string_equal(a->tier, b->tier);
    assert_string_equal(a->found, b->found);
}

/* A finished story's journal, as bytes. */
static bytes story_journal(ofb_workflow *wf, snap *final)
{
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_store_memory(&s), OFB_OK);
    ofb_run_opts o = {0};
    o.store = s;
    o.durability = OFB_SYNC_NEVER;
    assert_int_equal(ofb_run_new(&run, wf, "cust-42.offboard", &o, &err),
                     OFB_OK);
    assert_int_equal(bind_story(run), OFB_OK);
    int rc = story(run, 0, NCALLS, NULL, &err);
    if (rc)
        fail_msg("story: %s", err.message);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    if (final)
        take(run, final, true);
    bytes b = store_bytes(s);
    ofb_run_free(run);
    return b;
}

/* Offsets just past each '\n'. */
static size_t line_ends(const bytes *b, size_t *ends, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len && n < max; i++)
        if (b->data[i] == '\n')
            ends[n++] = i + 1;
    return n;
}

static int open_bytes(const char *d, size_t len, ofb_workflow *wf,
                      ofb_run **run, ofb_recovery *rec, ofb_error *err)
{
    ofb_store *s = mem_copy(d, len);
    ofb_run_opts o = {0};
    o.store = s;
    o.durability = OFB_SYNC_NEVER;
    int rc = ofb_run_open(run, wf, &o, rec, err);
    if (rc)
        ofb_store_close(s);
    return rc;
}

/* --------------------------------------------------------------- codec */

typedef struct seen {
    ofb_event ev[32];
    char *str[32][6];
    ofb_kv *kv[32];
    size_t n;
} seen;

static char *copy_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    memcpy(d, s, n);
    return d;
}

static int keep(const ofb_event *e, void *payload)
{
    seen *s = payload;
    if (s->n == 32)
        return -100;
    ofb_event *c = &s->ev[s->n];
    *c = *e;
    s->str[s->n][0] = copy_str(e->step);
    s->str[s->n][1] = copy_str(e->name);
    s->str[s->n][2] = copy_str(e->value);
    s->str[s->n][3] = copy_str(e->actor);
    s->str[s->n][4] = copy_str(e->note);
    c->step = s->str[s->n][0];
    c->name = s->str[s->n][1];
    c->value = s->str[s->n][2];
    c->actor = s->str[s->n][3];
    c->note = s->str[s->n][4];
    size_t nkv = e->nevidence + e->ninputs;
    ofb_kv *kv = calloc(nkv + 1, sizeof *kv);
    for (size_t i = 0; i < nkv; i++) {
        const ofb_kv *src = i < e->nevidence ? &e->evidence[i]
                                             : &e->inputs[i - e->nevidence];
        kv[i].key = copy_str(src->key);
        kv[i].value = copy_str(src->value);
    }
    c->evidence = kv;
    c->inputs = kv + e->nevidence;
    s->kv[s->n] = kv;
    s->n++;
    return 0;
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (int k = 0; k < 5; k++)
            free(s->str[i][k]);
        size_t nkv = s->ev[i].nevidence + s->ev[i].ninputs;
        for (size_t k = 0; k < nkv; k++) {
            free((char *)s->kv[i][k].key);
            free((char *)s->kv[i][k].value);
        }
        free(s->kv[i]);
    }
    s->n = 0;
}

/* Appends one record of every kind straight through the journal, with
 * hostile text everywhere, and checks each field read back. */
static void round_trip_every_kind(ofb_store *s, ofb_store *reader)
{
    ofb_workflow *wf = load_wf(NULL);
    ofb_run *run;
    ofb_error err;
    ofb_run_opts o = {0};
    o.store = s;
    o.durability = OFB_SYNC_EVERY;
    assert_int_equal(ofb_run_new(&run, wf, "r1", &o, &err), OFB_OK);
    ofb__journal *j = ofb__run_journal(run);
    assert_non_null(j);

    ofb__ev evs[OFB_EV_VERIFY + 1];
    ofb_kv kv[NHOSTILE];
    for (size_t i = 0; i < NHOSTILE; i++) {
        kv[i].key = HOSTILE[(i + 1) % NHOSTILE];
        kv[i].value = HOSTILE[i];
    }
    for (int k = OFB_EV_INPUT; k <= OFB_EV_VERIFY; k++) {
        ofb__ev *e = &evs[k];
        memset(e, 0, sizeof *e);
        e->kind = (ofb_event_kind)k;
        e->time = k == 3 ? -5 : (k == 4 ? INT64_MAX : 1700000000 + k);
        e->step = k % 3 ? (uint32_t)(k % 6) : OFB__NONE;
        e->attempt = (uint32_t)(k * 7);
        e->outcome = k == OFB_EV_OUTCOME || k == OFB_EV_VERIFY ? k % 5 : -1;
        e->name = k % 4 ? HOSTILE[k % NHOSTILE] : NULL;
        e->value = k % 5 ? HOSTILE[(k + 3) % NHOSTILE] : NULL;
        e->actor = HOSTILE[(k + 5) % NHOSTILE];
        e->note = k == 2 ? NULL : HOSTILE[(k + 7) % NHOSTILE];
        e->evidence = kv;
        e->nevidence = (size_t)k % (NHOSTILE + 1);
        e->inputs = kv + 2;
        e->ninputs = k == OFB_EV_OUTCOME ? NHOSTILE - 2 : 0;
        assert_int_equal(ofb__journal_append(j, run, e, &err), OFB_OK);
    }

    seen got = {0};
    assert_int_equal(ofb_run_history(run, keep, &got, &err), OFB_OK);
    if (reader) {
        seen_free(&got);
        assert_int_equal(ofb_journal_read(reader, keep, &got, &err),
                         OFB_OK);
    }
    assert_int_equal(got.n, OFB_EV_VERIFY + 1);
    assert_int_equal(got.ev[0].kind, OFB_EV_CREATE);
    assert_string_equal(got.ev[0].name, "r1");
    assert_string_equal(got.ev[0].value, ofb_workflow_hash(wf));
    for (int k = OFB_EV_INPUT; k <= OFB_EV_VERIFY; k++) {
        const ofb_event *g = &got.ev[k];
        const ofb__ev *e = &evs[k];
        assert_int_equal(g->kind, k);
        assert_int_equal(g->seq, (uint64_t)k);
        assert_int_equal(g->time, e->time);
        ofb_step_info si;
        if (e->step == OFB__NONE) {
            assert_string_equal(g->step, "");
        } else {
            assert_int_equal(ofb_workflow_step(wf, e->step, &si), OFB_OK);
            assert_string_equal(g->step, si.id);
        }
        assert_int_equal(g->attempt, e->attempt);
        assert_int_equal(g->outcome, e->outcome);
        assert_string_equal(g->name, e->name ? e->name : "");
        assert_string_equal(g->value, e->value ? e->value : "");
        assert_string_equal(g->actor, e->actor);
        assert_string_equal(g->note, e->note ? e->note : "");
        assert_int_equal(g->nevidence, e->nevidence);
        for (size_t i = 0; i < e->nevidence; i++) {
            assert_string_equal(g->evidence[i].key, e->evidence[i].key);
            assert_string_equal(g->evidence[i].value, e->evidence[i].value);
        }
        assert_int_equal(g->ninputs, e->ninputs);
        for (size_t i = 0; i < e->ninputs; i++) {
            assert_string_equal(g->inputs[i].key, e->inputs[i].key);
            assert_string_equal(g->inputs[i].value, e->inputs[i].value);
        }
    }
    seen_free(&got);

    /* Whatever went in, the journal is one record a line of valid UTF-8. */
    ofb_verify_report rep;
    assert_int_equal(ofb_journal_verify(reader ? reader : s, &rep, &err),
                     OFB_OK);
    assert_int_equal(rep.records, OFB_EV_VERIFY + 1);
    assert_int_equal(rep.torn_bytes, 0);
    assert_int_equal(strlen(rep.last_hash), 32);
    if (!reader) {
        const char *d;
        size_t n, lines = 0;
        ofb_store_memory_data(s, &d, &n);
        assert_int_equal(ofb__utf8_check(d, n), n);
        for (size_t i = 0; i < n; i++)
            lines += d[i] == '\n';
        assert_int_equal(lines, OFB_EV_VERIFY + 1);
    }
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_every_record_kind_reads_back_exactly_with_hostile_text(
    void **state)
{
    (void)state;
    ofb_store *s;
    assert_int_equal(ofb_store_memory(&s), OFB_OK);
    round_trip_every_kind(s, NULL);
}

static void test_hostile_text_survives_a_file_journal(void **state)
{
    (void)state;
    char path[] = "/tmp/ofb-journal-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    ofb_store *s, *r;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, path, OFB_STORE_CREATE |
                                                  OFB_STORE_EXCL, &err),
                     OFB_OK);
    assert_int_equal(ofb_store_file(&r, path, OFB_STORE_READONLY, &err),
                     OFB_OK);
    round_trip_every_kind(s, r);
    ofb_store_close(r);
    unlink(path);
}

static void test_event_kinds_have_names(void **state)
{
    (void)state;
    assert_string_equal(ofb_event_kind_name(OFB_EV_CREATE), "create");
    assert_string_equal(ofb_event_kind_name(OFB_EV_BEGIN), "begin");
    assert_string_equal(ofb_event_kind_name(OFB_EV_VERIFY), "verify");
    assert_string_equal(ofb_event_kind_name((ofb_event_kind)99), "unknown");
}

/* -------------------------------------------------------------- replay */

static void test_a_reopened_run_is_the_same_run(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    snap want, got;
    bytes b = story_journal(wf, &want);

    /* With the definition from the header, and with the workflow given. */
    for (int given = 0; given < 2; given++) {
        ofb_run *run;
        ofb_recovery rec;
        ofb_error err;
        int rc = open_bytes(b.data, b.len, given ? wf : NULL, &run, &rec,
                            &err);
        if (rc)
            fail_msg("open: %s", err.message);
        assert_int_equal(rec.torn_records, 0);
        assert_int_equal(rec.torn_bytes, 0);
        assert_int_equal(rec.in_doubt, 0);
        take(run, &got, true);
        assert_same(&want, &got);
        assert_string_equal(ofb_run_id(run), "cust-42.offboard");
        seen h = {0};
        assert_int_equal(ofb_run_history(run, keep, &h, &err), OFB_OK);
        assert_int_equal(h.n, rec.records);
        seen_free(&h);
        ofb_run_free(run);
    }
    free(b.data);
    ofb_workflow_unref(wf);
}

static void test_a_run_resumed_from_every_point_ends_the_same(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    snap want;
    bytes full = story_journal(wf, &want);
    free(full.data);

    /* Stop the story after each call, reopen, and finish it. */
    for (int cut = 0; cut <= NCALLS; cut++) {
        ofb_store *s;
        ofb_run *run;
        ofb_error err;
        assert_int_equal(ofb_store_memory(&s), OFB_OK);
        ofb_run_opts o = {0};
        o.store = s;
        assert_int_equal(ofb_run_new(&run, wf, "cust-42.offboard", &o, &err),
                         OFB_OK);
        assert_int_equal(bind_story(run), OFB_OK);
        assert_int_equal(story(run, 0, cut, NULL, &err), OFB_OK);
        bytes part = store_bytes(s);
        ofb_run_free(run);

        ofb_recovery rec;
        assert_int_equal(open_bytes(part.data, part.len, wf, &run, &rec,
                                    &err),
                         OFB_OK);
        assert_int_equal(bind_story(run), OFB_OK);
        int rc = story(run, cut, NCALLS, NULL, &err);
        if (rc)
            fail_msg("resume after %d: %s", cut, err.message);
        snap got;
        take(run, &got, true);
        assert_same(&want, &got);
        ofb_run_free(run);
        free(part.data);
    }
    ofb_workflow_unref(wf);
}

static void test_another_definition_is_refused_with_both_hashes(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    char *other_text = malloc(sizeof WF_TEXT + 64);
    snprintf(other_text, sizeof WF_TEXT + 64, "%s  doc \"changed\"\n",
             WF_TEXT);
    ofb_workflow *other;
    ofb_error err;
    assert_int_equal(ofb_workflow_parse(&other, other_text,
                                        strlen(other_text), NULL, NULL, &err),
                     OFB_OK);
    ofb_run *run;
    ofb_recovery rec;
    assert_int_equal(open_bytes(b.data, b.len, other, &run, &rec, &err),
                     OFB_EMISMATCH);
    assert_non_null(strstr(err.message, ofb_workflow_hash(wf)));
    assert_non_null(strstr(err.message, ofb_workflow_hash(other)));
    ofb_workflow_unref(other);
    free(other_text);
    free(b.data);
    ofb_workflow_unref(wf);
}

/* --------------------------------------------------------------- damage */

static void test_a_torn_tail_at_every_byte_is_dropped_and_reported(
    void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    size_t ends[64];
    size_t n = line_ends(&b, ends, 64);
    assert_true(n > 10);

    for (size_t len = 0; len <= b.len; len++) {
        ofb_run *run;
        ofb_recovery rec;
        ofb_error err;
        ofb_store *s = mem_copy(b.data, len);
        ofb_run_opts o = {0};
        o.store = s;
        int rc = ofb_run_open(&run, wf, &o, &rec, &err);
        if (len < ends[0]) {
            /* No whole header: nothing to open. */
            assert_int_equal(rc, OFB_ECORRUPT);
            ofb_store_close(s);
            continue;
        }
        if (rc)
            fail_msg("length %zu: %s", len, err.message);
        size_t whole = 0;
        while (whole < n && ends[whole] <= len)
            whole++;
        assert_int_equal(rec.records, whole);
        assert_int_equal(rec.torn_bytes, len - ends[whole - 1]);
        assert_int_equal(rec.torn_records, rec.torn_bytes ? 1 : 0);

        /* The torn end is gone, and the next record follows the last
         * whole one. */
        rc = ofb_run_cancel(run, NULL, &err);
        assert_true(rc == OFB_OK || rc == OFB_ESTATE);
        ofb_verify_report rep;
        assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_OK);
        assert_int_equal(rep.records, whole + (rc == OFB_OK));
        assert_int_equal(rep.torn_bytes, 0);
        ofb_run_free(run);
    }
    free(b.data);
    ofb_workflow_unref(wf);
}

static void test_appending_after_a_torn_tail_cuts_it_first(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    size_t ends[64];
    line_ends(&b, ends, 64);
    /* Header, input, start and half of the next record. */
    size_t len = ends[2] + (ends[3] - ends[2]) / 2;
    ofb_store *s = mem_copy(b.data, len);
    ofb_run_opts o = {0};
    o.store = s;
    ofb_run *run;
    ofb_recovery rec;
    ofb_error err;
    assert_int_equal(ofb_run_open(&run, wf, &o, &rec, &err), OFB_OK);
    assert_int_equal(rec.records, 3);
    assert_int_equal(rec.torn_records, 1);
    assert_int_equal(ofb_run_complete(run, "notify", NULL, &err), OFB_OK);
    ofb_verify_report rep;
    assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_OK);
    assert_int_equal(rep.records, 4);
    assert_int_equal(rep.torn_bytes, 0);
    ofb_run_free(run);
    free(b.data);
    ofb_workflow_unref(wf);
}

static void test_a_flipped_bit_anywhere_is_detected(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    size_t ends[64];
    size_t n = line_ends(&b, ends, 64);
    char *d = malloc(b.len);

    for (size_t pos = 0; pos < b.len; pos++) {
        size_t line = 0;
        while (ends[line] <= pos)
            line++;
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(d, b.data, b.len);
            d[pos] = (char)(d[pos] ^ (1 << bit));
            ofb_run *run;
            ofb_recovery rec;
            ofb_error err;
            int rc = open_bytes(d, b.len, wf, &run, &rec, &err);
            if (line == n - 1) {
                /* The last line: like a write cut short, so dropped, and
                 * reported. */
                if (rc)
                    fail_msg("pos %zu bit %d: %s", pos, bit, err.message);
                assert_int_equal(rec.records, n - 1);
                assert_int_equal(rec.torn_records, 1);
                ofb_run_free(run);
            } else {
                assert_int_equal(rc, OFB_ECORRUPT);
                assert_int_equal(err.line, (int)line + 1);
            }
            ofb_verify_report rep;
            ofb_store *s = mem_copy(d, b.len);
            rc = ofb_journal_verify(s, &rep, &err);
            assert_true(rc == OFB_ECORRUPT ||
                        (line == n - 1 && rep.torn_bytes > 0));
            ofb_store_close(s);
        }
    }
    free(d);
    free(b.data);
    ofb_workflow_unref(wf);
}

/* Rebuilds a journal from its lines in another order. */
static bytes rearrange(const bytes *b, const size_t *ends, const int *order,
                       size_t n)
{
    bytes o = {malloc(b->len * 2), 0};
    for (size_t i = 0; i < n; i++) {
        size_t from = order[i] ? ends[order[i] - 1] : 0;
        size_t to = ends[order[i]];
        memcpy(o.data + o.len, b->data + from, to - from);
        o.len += to - from;
    }
    return o;
}

static void test_swapped_repeated_or_missing_records_are_corrupt_at_their_line(
    void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    size_t ends[64];
    size_t n = line_ends(&b, ends, 64);
    struct {
        int order[64];
        size_t n;
        int line;
    } cases[] = {
        {{0, 1, 3, 2, 4, 5, 6}, 7, 3},  /* swapped */
        {{0, 1, 2, 2, 3, 4, 5}, 7, 4},  /* repeated */
        {{0, 1, 3, 4, 5, 6, 7}, 7, 3},  /* missing */
        {{0, 0, 1, 2}, 4, 2},           /* a second header */
        {{1, 2, 3}, 3, 1},              /* no header */
    };
    assert_true(n > 8);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bytes o = rearrange(&b, ends, cases[c].order, cases[c].n);
        ofb_run *run;
        ofb_recovery rec;
        ofb_error err;
        assert_int_equal(open_bytes(o.data, o.len, wf, &run, &rec, &err),
                         OFB_ECORRUPT);
        assert_int_equal(err.line, cases[c].line);
        char want[32];
        snprintf(want, sizeof want, "line %d", cases[c].line);
        assert_non_null(strstr(err.message, want));
        ofb_store *s = mem_copy(o.data, o.len);
        ofb_verify_report rep;
        assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_ECORRUPT);
        assert_int_equal(err.line, cases[c].line);
        assert_int_equal(rep.records, (size_t)cases[c].line - 1);
        ofb_store_close(s);
        free(o.data);
    }
    free(b.data);
    ofb_workflow_unref(wf);
}

/* Rewrites one line's CRC so that it checks: a deliberate edit. */
static void fix_crc(char *line, size_t len)
{
    uint32_t crc = ofb__crc32(0, line, len - 11);
    snprintf(line + len - 8, 9, "%08x", (unsigned)crc);
}

static void test_an_edit_with_a_fixed_checksum_breaks_the_chain(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    size_t ends[64];
    line_ends(&b, ends, 64);
    /* "alice" becomes "alicf" in line 4; its CRC is made to fit. */
    char *line = b.data + ends[2];
    size_t len = ends[3] - ends[2] - 1;
    char *a = memchr(line, 'a', len);
    char *hit = strstr(line, "alice");
    assert_non_null(a);
    assert_true(hit && hit < line + len);
    hit[4] = 'f';
    char save = line[len];
    fix_crc(line, len);
    line[len] = save;

    /* Replay checks each line's checksum and order; the chain is the
     * auditor's check, and it finds the edit, before and after new records
     * are added. */
    ofb_store *s = mem_copy(b.data, b.len);
    ofb_verify_report rep;
    ofb_error err;
    assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_ECORRUPT);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.message, "chain"));
    assert_int_equal(rep.records, 3);
    ofb_run_opts o = {0};
    o.store = s;
    ofb_run *run;
    ofb_recovery rec;
    assert_int_equal(ofb_run_open(&run, wf, &o, &rec, &err), OFB_OK);
    assert_int_equal(ofb_run_cancel(run, NULL, &err), OFB_ESTATE);
    seen h = {0};
    assert_int_equal(ofb_run_history(run, keep, &h, &err), OFB_ECORRUPT);
    assert_int_equal(err.line, 4);
    seen_free(&h);
    assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_ECORRUPT);
    assert_int_equal(err.line, 4);
    ofb_run_free(run);
    free(b.data);
    ofb_workflow_unref(wf);
}

static void test_garbage_is_refused_without_harm(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    char *d = malloc(b.len);
    unsigned seed = 12345;
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(d, b.data, b.len);
        int edits = 1 + trial % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % b.len;
            seed = seed * 1103515245u + 12345u;
            d[pos] = (char)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        size_t len = trial % 3 ? b.len : (seed >> 8) % b.len;
        ofb_run *run = NULL;
        ofb_recovery rec;
        ofb_error err;
        int rc = open_bytes(d, len, trial % 2 ? wf : NULL, &run, &rec, &err);
        if (rc == OFB_OK)
            ofb_run_free(run);
        else
            assert_true(rc == OFB_ECORRUPT || rc == OFB_EMISMATCH);
    }
    /* A line with an escaped NUL, properly chained and checked. */
    free(d);
    free(b.data);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- failures */

/* A memory store whose append or sync fails on the Nth call; the failing
 * append writes half its record first, like a disk filling up. */
typedef struct flaky {
    ofb_store base;
    ofb_store *inner;
    int fail_append_at, fail_sync_at;
    int appends, syncs;
} flaky;

static int flaky_read(ofb_store *s, uint64_t off, void *buf, size_t cap,
                      size_t *got)
{
    flaky *f = (flaky *)s;
    return f->inner->read(f->inner, off, buf, cap, got);
}

static int flaky_append(ofb_store *s, const void *data, size_t len)
{
    flaky *f = (flaky *)s;
    if (++f->appends == f->fail_append_at) {
        f->inner->append(f->inner, data, len / 2);
        return OFB_EIO;
    }
    return f->inner->append(f->inner, data, len);
}

static int flaky_sync(ofb_store *s)
{
    flaky *f = (flaky *)s;
    return ++f->syncs == f->fail_sync_at ? OFB_EIO : OFB_OK;
}

static int flaky_truncate(ofb_store *s, uint64_t len)
{
    flaky *f = (flaky *)s;
    return f->inner->truncate(f->inner, len);
}

static int flaky_lock(ofb_store *s, int ms)
{
    (void)s;
    (void)ms;
    return OFB_OK;
}

static void flaky_close(ofb_store *s)
{
    (void)s; /* the test keeps the bytes */
}

static void flaky_init(flaky *f, ofb_store *inner)
{
    memset(f, 0, sizeof *f);
    f->base.read = flaky_read;
    f->base.append = flaky_append;
    f->base.sync = flaky_sync;
    f->base.truncate = flaky_truncate;
    f->base.lock = flaky_lock;
    f->base.close = flaky_close;
    f->inner = inner;
}

static void failing_store_loses_nothing(bool fail_sync)
{
    ofb_workflow *wf = load_wf(NULL);
    snap want;
    bytes full = story_journal(wf, &want);
    free(full.data);

    for (int at = 1; at <= 30; at++) {
        ofb_store *mem;
        assert_int_equal(ofb_store_memory(&mem), OFB_OK);
        flaky f;
        flaky_init(&f, mem);
        if (fail_sync)
            f.fail_sync_at = at;
        else
            f.fail_append_at = at;
        ofb_run_opts o = {0};
        o.store = &f.base;
        o.durability = OFB_SYNC_EVERY;
        ofb_run *run;
        ofb_error err;
        int rc = ofb_run_new(&run, wf, "cust-42.offboard", &o, &err);
        if (at == 1) {
            /* The header itself failed: no run, the caller keeps the
             * store, and it holds nothing. */
            assert_int_equal(rc, OFB_EIO);
            const char *d;
            size_t n;
            ofb_store_memory_data(mem, &d, &n);
            assert_int_equal(n, 0);
            ofb_store_close(mem);
            continue;
        }
        assert_int_equal(rc, OFB_OK);
        assert_int_equal(bind_story(run), OFB_OK);
        int done = 0;
        rc = story(run, 0, NCALLS, &done, &err);
        if (rc == OFB_OK) { /* fewer records than `at`: nothing failed */
            ofb_run_free(run);
            ofb_store_close(mem);
            break;
        }
        assert_int_equal(rc, OFB_EIO);

        /* What the store holds is exactly what the run applied. */
        snap live, back;
        take(run, &live, false);
        bytes b = store_bytes(mem);
        ofb_run *r2;
        ofb_recovery rec;
        rc = open_bytes(b.data, b.len, wf, &r2, &rec, &err);
        if (rc)
            fail_msg("reopen after failure %d: %s", at, err.message);
        assert_int_equal(rec.torn_bytes, 0);
        take(r2, &back, false);
        assert_same(&live, &back);

        /* And the reopened run finishes the offboarding. */
        assert_int_equal(bind_story(r2), OFB_OK);
        for (int i = done; i < NCALLS; i++) {
            rc = story(r2, i, NCALLS, NULL, &err);
            if (rc == OFB_OK)
                break;
            /* The call that failed may be refused now (already done): go
             * on with the next. */
        }
        ofb_run_advance(r2, 10000, NULL, &err);
        assert_int_equal(ofb_run_status_get(r2), OFB_RUN_COMPLETED);
        ofb_run_free(r2);
        free(b.data);
        ofb_run_free(run);
        ofb_store_close(mem);
    }
    ofb_workflow_unref(wf);
}

static void test_a_failed_append_reaches_the_caller_and_loses_nothing(
    void **state)
{
    (void)state;
    failing_store_loses_nothing(false);
}

static void test_a_failed_sync_reaches_the_caller_and_loses_nothing(
    void **state)
{
    (void)state;
    failing_store_loses_nothing(true);
}

/* An allocator that fails from the Nth call on and counts what is live. */
typedef struct counting {
    long calls, fail_at, live;
} counting;

static void *c_malloc(size_t n, void *ud)
{
    counting *c = ud;
    if (c->fail_at && ++c->calls >= c->fail_at)
        return NULL;
    void *p = malloc(n);
    if (p)
        c->live++;
    return p;
}

static void *c_realloc(void *p, size_t n, void *ud)
{
    counting *c = ud;
    if (c->fail_at && ++c->calls >= c->fail_at)
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        c->live++;
    return q;
}

static void c_free(void *p, void *ud)
{
    counting *c = ud;
    if (p)
        c->live--;
    free(p);
}

static void test_open_fails_cleanly_when_memory_runs_out(void **state)
{
    (void)state;
    counting c = {0, 0, 0};
    ofb_allocator a = {c_malloc, c_realloc, c_free, &c};
    ofb_workflow *wf = load_wf(&a);
    bytes b = story_journal(wf, NULL);
    long base = c.live;
    for (long at = 1; at < 400; at++) {
        c.calls = 0;
        c.fail_at = at;
        ofb_run *run;
        ofb_recovery rec;
        ofb_error err;
        int rc = open_bytes(b.data, b.len, wf, &run, &rec, &err);
        c.fail_at = 0;
        if (rc == OFB_OK) {
            ofb_run_free(run);
            assert_int_equal(c.live, base);
            break;
        }
        assert_int_equal(rc, OFB_ENOMEM);
        assert_int_equal(c.live, base);
    }
    free(b.data);
    ofb_workflow_unref(wf);
    assert_int_equal(c.live, 0);
}

static void test_a_run_without_a_store_has_no_history(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "r", NULL, &err), OFB_OK);
    seen h = {0};
    assert_int_equal(ofb_run_history(run, keep, &h, &err), OFB_OK);
    assert_int_equal(h.n, 0);
    assert_int_equal(ofb_run_flush(run, &err), OFB_OK);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_a_store_that_is_not_empty_is_refused_for_a_new_run(
    void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf(NULL);
    bytes b = story_journal(wf, NULL);
    ofb_store *s = mem_copy(b.data, b.len);
    ofb_run_opts o = {0};
    o.store = s;
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_run_new(&run, wf, "again", &o, &err), OFB_EINVAL);
    assert_non_null(strstr(err.message, "not empty"));
    ofb_store_close(s);
    /* And an empty store cannot be opened. */
    assert_int_equal(open_bytes("", 0, wf, &run, NULL, &err), OFB_ECORRUPT);
    free(b.data);
    ofb_workflow_unref(wf);
}

static void test_a_workflow_without_inputs_reopens(void **state)
{
    (void)state;
    static const char text[] = "workflow tiny 1\nstep notify \"Tell\"\n";
    ofb_workflow *wf;
    ofb_error err;
    assert_int_equal(ofb_workflow_parse(&wf, text, strlen(text), NULL, NULL,
                                        &err),
                     OFB_OK);
    ofb_store *s;
    assert_int_equal(ofb_store_memory(&s), OFB_OK);
    ofb_run_opts o = {0};
    o.store = s;
    ofb_run *run;
    assert_int_equal(ofb_run_new(&run, wf, "t1", &o, &err), OFB_OK);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_OK);
    bytes b = store_bytes(s);
    ofb_run_free(run);
    ofb_recovery rec;
    assert_int_equal(open_bytes(b.data, b.len, NULL, &run, &rec, &err),
                     OFB_OK);
    assert_int_equal(rec.records, 2);
    assert_int_equal(ofb_run_complete(run, "notify", NULL, &err), OFB_OK);
    assert_int_equal(ofb_run_status_get(run), OFB_RUN_COMPLETED);
    ofb_run_free(run);
    free(b.data);
    ofb_workflow_unref(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_every_record_kind_reads_back_exactly_with_hostile_text),
        cmocka_unit_test(test_hostile_text_survives_a_file_journal),
        cmocka_unit_test(test_event_kinds_have_names),
        cmocka_unit_test(test_a_reopened_run_is_the_same_run),
        cmocka_unit_test(test_a_run_resumed_from_every_point_ends_the_same),
        cmocka_unit_test(test_another_definition_is_refused_with_both_hashes),
        cmocka_unit_test(test_a_torn_tail_at_every_byte_is_dropped_and_reported),
        cmocka_unit_test(test_appending_after_a_torn_tail_cuts_it_first),
        cmocka_unit_test(test_a_flipped_bit_anywhere_is_detected),
        cmocka_unit_test(
            test_swapped_repeated_or_missing_records_are_corrupt_at_their_line),
        cmocka_unit_test(test_an_edit_with_a_fixed_checksum_breaks_the_chain),
        cmocka_unit_test(test_garbage_is_refused_without_harm),
        cmocka_unit_test(
            test_a_failed_append_reaches_the_caller_and_loses_nothing),
        cmocka_unit_test(
            test_a_failed_sync_reaches_the_caller_and_loses_nothing),
        cmocka_unit_test(test_open_fails_cleanly_when_memory_runs_out),
        cmocka_unit_test(test_a_run_without_a_store_has_no_history),
        cmocka_unit_test(
            test_a_store_that_is_not_empty_is_refused_for_a_new_run),
        cmocka_unit_test(test_a_workflow_without_inputs_reopens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
