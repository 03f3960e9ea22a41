/*
 * test_write.c - the canonical .ofb text of a workflow, its hash, and the
 * SHA-256 and CRC-32 underneath.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "ofb.h"
#include "testutil.h"

/* ------------------------------------------------------------- helpers */

typedef struct text {
    char *data;
    size_t len;
    int calls;
} text;

static int gather(const char *data, size_t len, void *payload)
{
    text *t = payload;
    t->data = realloc(t->data, t->len + len + 1);
    memcpy(t->data + t->len, data, len);
    t->len += len;
    t->data[t->len] = '\0';
    t->calls++;
    return 0;
}

static char *written(const ofb_workflow *wf)
{
    text t = {0};
    assert_int_equal(ofb_workflow_write(wf, gather, &t), OFB_OK);
    return t.data;
}

static void sha_hex(const void *p, size_t n, char out[65])
{
    ofb__sha256 c;
    unsigned char d[32];
    ofb__sha256_init(&c);
    ofb__sha256_update(&c, p, n);
    ofb__sha256_final(&c, d);
    ofb__sha256_hex(d, out);
}

/* The Pzzle offboarding, small but with every kind of attribute. */
static ofb_workflow *pzzle(void)
{
    ofb_workflow *wf;
    ofb_error err;
    assert_int_equal(ofb_workflow_new(&wf, "pzzle-customer", 2, NULL, &err),
                     OFB_OK);
    assert_int_equal(
        ofb_workflow_set_title(wf, "Offboard a customer in Pzzle", &err), 0);
    assert_int_equal(
        ofb_workflow_set_doc(wf, "In this order.\nNo exceptions.", &err), 0);

    const char *tiers[] = {"fullstack", "premium", "csp"};
    ofb_input_def inputs[] = {
        {"customer", OFB_TYPE_STRING, NULL, 0, 0, NULL,
         "The customer being removed"},
        {"tier", OFB_TYPE_CHOICE, tiers, 3, 1, "premium", NULL},
        {"notify", OFB_TYPE_BOOL, NULL, 0, 0, "true", NULL},
        {"end_date", OFB_TYPE_DATE, NULL, 0, 0, "2026-11-30", ""},
        {"note", OFB_TYPE_STRING, NULL, 0, 0, "n/a \"none\"\t#1", NULL},
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        assert_int_equal(ofb_workflow_add_input(wf, &inputs[i], &err), 0);

    const char *a1[] = {"sync_job_off"};
    const char *a2[] = {"tags_removed", "sync_job_off"};
    ofb_step_def steps[] = {
        {.id = "sync_job_off", .title = "Remove the user sync job",
         .role = "admin", .action = "pzzle_api",
         .doc = "System > Integrations > External data sources"},
        {.id = "tags_removed", .title = "Remove all tags", .role = "admin",
         .after = a1, .nafter = 1, .when = "tier != csp and  notify",
         .retry_count = 3, .retry_backoff = 5400,
         .flags = OFB_STEP_MANUAL | OFB_STEP_IRREVERSIBLE},
        {.id = "support_request",
         .title = "Ask \"Pzzle support\" to run the offboarding",
         .after = a2, .nafter = 2, .when = "customer != \"# not a comment\"",
         .wait_event = "pzzle_done", .wait_timeout = 172800,
         .flags = OFB_STEP_OPTIONAL},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        assert_int_equal(ofb_workflow_add_step(wf, &steps[i], &err), 0);
    if (ofb_workflow_seal(wf, &err))
        fail_msg("seal: %s", err.message);
    return wf;
}

static const char pzzle_text[] =
    "workflow pzzle-customer 2\n"
    "title \"Offboard a customer in Pzzle\"\n"
    "doc \"In this order.\\nNo exceptions.\"\n"
    "\n"
    "input customer string \"The customer being removed\"\n"
    "input tier choice(fullstack, premium, csp) required default premium\n"
    "input notify bool default true\n"
    "input end_date date default 2026-11-30\n"
    "input note string default \"n/a \\\"none\\\"\\t#1\"\n"
    "\n"
    "step sync_job_off \"Remove the user sync job\"\n"
    "  role admin\n"
    "  action pzzle_api\n"
    "  doc \"System > Integrations > External data sources\"\n"
    "\n"
    "step tags_removed \"Remove all tags\"\n"
    "  role admin\n"
    "  after sync_job_off\n"
    "  when tier != csp and  notify\n"
    "  retry 3 backoff 90m\n"
    "  manual\n"
    "  irreversible\n"
    "\n"
    "step support_request \"Ask \\\"Pzzle support\\\" to run the "
    "offboarding\"\n"
    "  after tags_removed sync_job_off\n"
    "  when customer != \"# not a comment\"\n"
    "  wait pzzle_done timeout 2d\n"
    "  optional\n";

/* ------------------------------------------------------ canonical text */

static void test_pzzle_workflow_is_written_canonically(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle();
    char *t = written(wf);
    assert_string_equal(t, pzzle_text);
    free(t);
    ofb_workflow_unref(wf);
}

static void test_minimal_workflow_has_only_its_header_and_steps(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "rmm-remove-contact", 1, NULL,
                                      NULL), OFB_OK);
    tu_step(wf, "contact_removed", NULL, NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    char *t = written(wf);
    assert_string_equal(t, "workflow rmm-remove-contact 1\n"
                           "\n"
                           "step contact_removed \"contact_removed\"\n");
    free(t);
    ofb_workflow_unref(wf);
}

static void test_durations_use_the_largest_exact_unit(void **state)
{
    (void)state;
    static const struct {
        int64_t secs;
        const char *text;
    } cases[] = {{45, "45s"},     {60, "1m"},      {61, "61s"},
                 {5400, "90m"},   {3600, "1h"},    {86400, "1d"},
                 {90000, "25h"},  {172800, "2d"},  {86460, "1441m"},
                 {604800, "7d"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ofb_workflow *wf;
        char want[200];
        assert_int_equal(ofb_workflow_new(&wf, "w", 1, NULL, NULL), OFB_OK);
        tu_step_full(wf, "s", NULL, NULL, 0, NULL, NULL, "e", cases[i].secs,
                     1, cases[i].secs);
        assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
        char *t = written(wf);
        snprintf(want, sizeof want,
                 "workflow w 1\n\nstep s \"s\"\n  wait e timeout %s\n"
                 "  retry 1 backoff %s\n",
                 cases[i].text, cases[i].text);
        assert_string_equal(t, want);
        free(t);
        ofb_workflow_unref(wf);
    }
}

static void test_no_timeout_and_no_backoff_are_left_out(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "w", 1, NULL, NULL), OFB_OK);
    tu_step_full(wf, "s", NULL, NULL, 0, NULL, NULL, "e", 0, 2, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    char *t = written(wf);
    assert_string_equal(t, "workflow w 1\n\nstep s \"s\"\n  wait e\n"
                           "  retry 2\n");
    free(t);
    ofb_workflow_unref(wf);
}

static void test_unsealed_workflow_is_not_written(void **state)
{
    (void)state;
    ofb_workflow *wf;
    text t = {0};
    assert_int_equal(ofb_workflow_new(&wf, "w", 1, NULL, NULL), OFB_OK);
    assert_int_equal(ofb_workflow_write(wf, gather, &t), OFB_ESEALED);
    assert_int_equal(t.calls, 0);
    assert_int_equal(ofb_workflow_write(NULL, gather, &t), OFB_EINVAL);
    ofb_workflow_unref(wf);
}

static int refuse(const char *data, size_t len, void *payload)
{
    (void)data;
    (void)len;
    ++*(int *)payload;
    return -42;
}

static void test_writer_error_comes_back_unchanged(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle();
    int calls = 0;
    assert_int_equal(ofb_workflow_write(wf, refuse, &calls), -42);
    assert_int_equal(calls, 1);
    ofb_workflow_unref(wf);
}

static void test_big_workflow_is_written_in_pieces(void **state)
{
    (void)state;
    ofb_workflow *wf;
    char id[16], prev[16];
    assert_int_equal(ofb_workflow_new(&wf, "big", 1, NULL, NULL), OFB_OK);
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "s%d", i);
        snprintf(prev, sizeof prev, "s%d", i - 1);
        tu_step(wf, id, i ? prev : NULL, NULL, 0);
    }
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    text t = {0};
    assert_int_equal(ofb_workflow_write(wf, gather, &t), OFB_OK);
    assert_true(t.calls > 1);
    char hex[65];
    sha_hex(t.data, t.len, hex);
    assert_string_equal(hex, ofb_workflow_hash(wf));
    free(t.data);
    ofb_workflow_unref(wf);
}

static void test_writing_without_memory_fails_cleanly(void **state)
{
    (void)state;
    tu_alloc ta;
    tu_alloc_init(&ta, 0);
    ofb_workflow *wf;
    assert_int_equal(ofb_workflow_new(&wf, "w", 1, &ta.a, NULL), OFB_OK);
    tu_step(wf, "s", NULL, NULL, 0);
    assert_int_equal(ofb_workflow_seal(wf, NULL), OFB_OK);
    text t = {0};
    ta.fail_at = ta.calls + 1;
    assert_int_equal(ofb_workflow_write(wf, gather, &t), OFB_ENOMEM);
    assert_int_equal(t.calls, 0);
    ofb_workflow_unref(wf);
    assert_int_equal(ta.live, 0);
}

/* ---------------------------------------------------------------- hash */

static void test_hash_is_the_sha256_of_the_canonical_text(void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle();
    char hex[65];
    sha_hex(pzzle_text, strlen(pzzle_text), hex);
    assert_string_equal(ofb_workflow_hash(wf), hex);
    ofb_workflow_unref(wf);
}

static void test_hash_is_stable_and_changes_with_the_definition(void **state)
{
    (void)state;
    ofb_workflow *a = pzzle(), *b = pzzle();
    assert_string_equal(ofb_workflow_hash(a), ofb_workflow_hash(b));
    ofb_workflow_unref(b);

    /* Pinned: journals record this value, so the canonical text of a
     * definition must not change between versions of the library. */
    assert_string_equal(
        ofb_workflow_hash(a),
        "b6b5ebbca46474f987aeaa50c0bd4344e06a289dd295cdcacbac6a98c6c834f3");

    /* One more flag is another definition. */
    ofb_workflow *c;
    assert_int_equal(ofb_workflow_new(&c, "pzzle-customer", 2, NULL, NULL),
                     OFB_OK);
    tu_step(c, "sync_job_off", NULL, NULL, 0);
    assert_int_equal(ofb_workflow_seal(c, NULL), OFB_OK);
    ofb_workflow *d;
    assert_int_equal(ofb_workflow_new(&d, "pzzle-customer", 2, NULL, NULL),
                     OFB_OK);
    tu_step(d, "sync_job_off", NULL, NULL, OFB_STEP_MANUAL);
    assert_int_equal(ofb_workflow_seal(d, NULL), OFB_OK);
    assert_string_not_equal(ofb_workflow_hash(c), ofb_workflow_hash(d));
    ofb_workflow_unref(c);
    ofb_workflow_unref(d);
    ofb_workflow_unref(a);
}

static void test_parsing_the_written_text_gives_the_same_workflow(
    void **state)
{
    (void)state;
    ofb_workflow *wf = pzzle(), *back = NULL;
    ofb_error err;
    char *t = written(wf);
    if (ofb_workflow_parse(&back, t, strlen(t), "pzzle.ofb", NULL, &err))
        fail_msg("parse: %s", err.message);
    assert_string_equal(ofb_workflow_hash(back), ofb_workflow_hash(wf));
    char *t2 = written(back);
    assert_string_equal(t2, t);
    assert_int_equal(ofb_workflow_step_count(back), 3);
    ofb_step_info info;
    assert_int_equal(ofb_workflow_step(back, 1, &info), OFB_OK);
    assert_int_equal(info.retry_backoff, 5400);
    assert_int_equal(info.flags, OFB_STEP_MANUAL | OFB_STEP_IRREVERSIBLE);
    free(t);
    free(t2);
    ofb_workflow_unref(back);
    ofb_workflow_unref(wf);
}

static void test_builtin_workflows_survive_the_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < ofb_builtin_count(); i++) {
        ofb_workflow *wf = NULL, *back = NULL;
        ofb_error err;
        const char *name = ofb_builtin_name(i);
        if (ofb_builtin_load(&wf, name, NULL, &err))
            fail_msg("%s: %s", name, err.message);
        char *t = written(wf);
        if (ofb_workflow_parse(&back, t, strlen(t), name, NULL, &err))
            fail_msg("%s written: %s", name, err.message);
        assert_string_equal(ofb_workflow_hash(back), ofb_workflow_hash(wf));
        free(t);
        ofb_workflow_unref(back);
        ofb_workflow_unref(wf);
    }
}

/* ------------------------------------------------------------ SHA-256 */

static void test_sha256_known_vectors(void **state)
{
    (void)state;
    char hex[65];
    sha_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    sha_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                             "27ae41e4649b934ca495991b7852b855");
    const char *m448 =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(m448, strlen(m448), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
                             "a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sha_hex(m896, strlen(m896), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b049237"
                             "0b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_a_million_a_in_odd_pieces(void **state)
{
    (void)state;
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    ofb__sha256 c;
    unsigned char d[32];
    char hex[65];
    size_t left = 1000000;
    ofb__sha256_init(&c);
    for (size_t piece = 1; left; piece = piece % 997 + 1) {
        size_t n = piece < left ? piece : left;
        ofb__sha256_update(&c, chunk, n);
        left -= n;
    }
    ofb__sha256_final(&c, d);
    ofb__sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
                             "f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_padding_edges(void **state)
{
    (void)state;
    /* Lengths around the 56- and 64-byte boundaries, one update vs many. */
    unsigned char msg[130];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7 + 1);
    for (size_t len = 50; len < sizeof msg; len++) {
        char one[65], many[65];
        unsigned char d[32];
        ofb__sha256 c;
        sha_hex(msg, len, one);
        ofb__sha256_init(&c);
        for (size_t i = 0; i < len; i++)
            ofb__sha256_update(&c, msg + i, 1);
        ofb__sha256_final(&c, d);
        ofb__sha256_hex(d, many);
        assert_string_equal(one, many);
    }
    char hex[65];
    sha_hex("The quick brown fox jumps over the lazy dog", 43, hex);
    assert_string_equal(hex, "d7a8fbb307d7809469ca9abcb0082e4f"
                             "8d5651e46d3cdb762d02d0bf37c9e592");
}

/* -------------------------------------------------------------- CRC-32 */

static void test_crc32_check_value_and_chaining(void **state)
{
    (void)state;
    assert_int_equal(ofb__crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(ofb__crc32(0, "", 0), 0);
    assert_int_equal(ofb__crc32(ofb__crc32(0, "12345", 5), "6789", 4),
                     0xCBF43926u);
    assert_int_equal(ofb__crc32(0, "The quick brown fox jumps over the lazy "
                                   "dog", 43),
                     0x414FA339u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pzzle_workflow_is_written_canonically),
        cmocka_unit_test(test_minimal_workflow_has_only_its_header_and_steps),
        cmocka_unit_test(test_durations_use_the_largest_exact_unit),
        cmocka_unit_test(test_no_timeout_and_no_backoff_are_left_out),
        cmocka_unit_test(test_unsealed_workflow_is_not_written),
        cmocka_unit_test(test_writer_error_comes_back_unchanged),
        cmocka_unit_test(test_big_workflow_is_written_in_pieces),
        cmocka_unit_test(test_writing_without_memory_fails_cleanly),
        cmocka_unit_test(test_hash_is_the_sha256_of_the_canonical_text),
        cmocka_unit_test(test_hash_is_stable_and_changes_with_the_definition),
        cmocka_unit_test(
            test_parsing_the_written_text_gives_the_same_workflow),
        cmocka_unit_test(test_builtin_workflows_survive_the_round_trip),
        cmocka_unit_test(test_sha256_known_vectors),
        cmocka_unit_test(test_sha256_a_million_a_in_odd_pieces),
        cmocka_unit_test(test_sha256_padding_edges),
        cmocka_unit_test(test_crc32_check_value_and_chaining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
