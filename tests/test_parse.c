/*
 * test_parse.c - the .ofb format: every statement, every error with its
 * line and column, the limits, hostile input, and the round trip through
 * the canonical writer.
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
#include "ofb.h"

/* ------------------------------------------------------------- helpers */

/* Every error a parse reports through diag. */
typedef struct diags {
    int n;
    ofb_error e[64];
} diags;

static void collect(const ofb_error *e, void *payload)
{
    diags *d = payload;
    if (d->n < 64)
        d->e[d->n] = *e;
    d->n++;
}

static int parse(const char *text, ofb_workflow **wf, ofb_error *err)
{
    return ofb_workflow_parse(wf, text, strlen(text), NULL, NULL, err);
}

static ofb_workflow *parse_ok(const char *text)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    int rc = parse(text, &wf, &err);
    if (rc != OFB_OK)
        fail_msg("unexpected error %d: %s", rc, err.message);
    assert_non_null(wf);
    return wf;
}

/* Parses text that must fail: code, the whole first message, and the
 * line and column on the record. */
static void parse_fails_at(const char *text, int code, int line, int col,
                           const char *message)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    char full[600];
    int rc = parse(text, &wf, &err);

    snprintf(full, sizeof full, "<text>:%d:%d: error: %s", line, col,
             message);
    if (rc != code || strcmp(err.message, full) != 0)
        fail_msg("got %d \"%s\", expected %d \"%s\"", rc, err.message, code,
                 full);
    assert_null(wf);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, col);
    assert_string_equal(err.file, "<text>");
}

static const ofb_step_info *step_info(const ofb_workflow *wf, const char *id,
                                      ofb_step_info *info)
{
    size_t i;
    assert_int_equal(ofb_workflow_find_step(wf, id, &i), OFB_OK);
    assert_int_equal(ofb_workflow_step(wf, i, info), OFB_OK);
    return info;
}

/* A growing text buffer for generated files and written workflows. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void add(text *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->s = realloc(t->s, cap);
        assert_non_null(t->s);
        t->cap = cap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void adds(text *t, const char *s) { add(t, s, strlen(s)); }

static void addf(text *t, const char *fmt, ...) OFB__PRINTF(2, 3);
static void addf(text *t, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof buf);
    add(t, buf, (size_t)n);
}

static int write_to_text(const char *data, size_t len, void *payload)
{
    add(payload, data, len);
    return 0;
}

static char *canonical(const ofb_workflow *wf)
{
    text t = {0};
    assert_int_equal(ofb_workflow_write(wf, write_to_text, &t), OFB_OK);
    assert_non_null(t.s);
    return t.s;
}

/* parse -> write -> parse gives the same canonical text and hash. */
static void check_round_trip(const char *src, size_t len, const char *name)
{
    ofb_workflow *a = NULL, *b = NULL;
    ofb_error err;
    char *ta, *tb;

    if (ofb_workflow_parse(&a, src, len, name, NULL, &err))
        fail_msg("%s: %s", name, err.message);
    ta = canonical(a);
    if (ofb_workflow_parse(&b, ta, strlen(ta), name, NULL, &err))
        fail_msg("%s (canonical): %s\n%s", name, err.message, ta);
    tb = canonical(b);
    assert_string_equal(ta, tb);
    assert_string_equal(ofb_workflow_hash(a), ofb_workflow_hash(b));
    assert_int_equal(ofb_workflow_step_count(a), ofb_workflow_step_count(b));
    assert_int_equal(ofb_workflow_input_count(a),
                     ofb_workflow_input_count(b));
    free(ta);
    free(tb);
    ofb_workflow_unref(a);
    ofb_workflow_unref(b);
}

/* A small deterministic generator (no global state: the seed is passed). */
static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* ------------------------------------------------------------ grammar */

static void test_smallest_workflow(void **state)
{
    ofb_workflow *wf = parse_ok("workflow a 1\n");
    (void)state;
    assert_string_equal(ofb_workflow_id(wf), "a");
    assert_int_equal(ofb_workflow_version(wf), 1);
    assert_string_equal(ofb_workflow_title(wf), "");
    assert_int_equal(ofb_workflow_step_count(wf), 0);
    assert_true(ofb_workflow_is_sealed(wf));
    assert_non_null(ofb_workflow_hash(wf));
    ofb_workflow_unref(wf);

    /* No final newline, comments and blank lines first, free indentation. */
    wf = parse_ok("# offboarding\n\n   \t\n  # more\n\t workflow b-2_x 42");
    assert_string_equal(ofb_workflow_id(wf), "b-2_x");
    assert_int_equal(ofb_workflow_version(wf), 42);
    ofb_workflow_unref(wf);
}

static void test_every_statement(void **state)
{
    static const char src[] =
        "workflow full 3  # trailing comment\n"
        "title \"Full \\\"example\\\"\"\n"
        "doc \"Line one\\nLine\\ttwo \\\\ # not a comment\"\n"
        "input name string\n"
        "input flag bool required default true \"A flag\"\n"
        "input end date default 2026-11-30\n"
        "input tier choice(fullstack, premium,csp) required\n"
        "input who string default \"someone # here\" \"Who it is\"\n"
        "input kind choice (a) default a\n"
        "step first \"First step\"\n"
        "  role csm\n"
        "  action notify\n"
        "  doc \"Do it.\"\n"
        "step second \"Second\"\n"
        "  after first\n"
        "  after third   # forward reference, and after repeats\n"
        "  when flag and tier in (fullstack, premium) and who != \"a#b\" # c\n"
        "  wait confirmed timeout 3d\n"
        "  retry 2 backoff 30m\n"
        "  manual optional\n"
        "  irreversible\n"
        "step third \"Third\"\n"
        "  wait other\n"
        "  retry 5\n";
    ofb_workflow *wf = parse_ok(src);
    ofb_step_info si;
    ofb_input_info ii;
    size_t i;

    (void)state;
    assert_string_equal(ofb_workflow_id(wf), "full");
    assert_int_equal(ofb_workflow_version(wf), 3);
    assert_string_equal(ofb_workflow_title(wf), "Full \"example\"");
    assert_string_equal(ofb_workflow_doc(wf),
                        "Line one\nLine\ttwo \\ # not a comment");
    assert_int_equal(ofb_workflow_input_count(wf), 6);
    assert_int_equal(ofb_workflow_step_count(wf), 3);

    assert_int_equal(ofb_workflow_find_input(wf, "name", &i), OFB_OK);
    assert_int_equal(ofb_workflow_input(wf, i, &ii), OFB_OK);
    assert_int_equal(ii.type, OFB_TYPE_STRING);
    assert_false(ii.required);
    assert_null(ii.default_value);
    assert_string_equal(ii.description, "");

    assert_int_equal(ofb_workflow_find_input(wf, "flag", &i), OFB_OK);
    assert_int_equal(ofb_workflow_input(wf, i, &ii), OFB_OK);
    assert_int_equal(ii.type, OFB_TYPE_BOOL);
    assert_true(ii.required);
    assert_string_equal(ii.default_value, "true");
    assert_string_equal(ii.description, "A flag");

    assert_int_equal(ofb_workflow_find_input(wf, "end", &i), OFB_OK);
    assert_int_equal(ofb_workflow_input(wf, i, &ii), OFB_OK);
    assert_int_equal(ii.type, OFB_TYPE_DATE);
    assert_string_equal(ii.default_value, "2026-11-30");

    assert_int_equal(ofb_workflow_find_input(wf, "tier", &i), OFB_OK);
    assert_int_equal(ofb_workflow_input(wf, i, &ii), OFB_OK);
    assert_int_equal(ii.type, OFB_TYPE_CHOICE);
    assert_int_equal(ii.nchoices, 3);
    assert_string_equal(ii.choices[0], "fullstack");
    assert_string_equal(ii.choices[1], "premium");
    assert_string_equal(ii.choices[2], "csp");
    assert_true(ii.required);

    assert_int_equal(ofb_workflow_find_input(wf, "who", &i), OFB_OK);
    assert_int_equal(ofb_workflow_input(wf, i, &ii), OFB_OK);
    assert_string_equal(ii.default_value, "someone # here");
    assert_string_equal(ii.description, "Who it is");

    step_info(wf, "first", &si);
    assert_string_equal(si.title, "First step");
    assert_string_equal(si.role, "csm");
    assert_string_equal(si.action, "notify");
    assert_string_equal(si.doc, "Do it.");
    assert_int_equal(si.nafter, 0);
    assert_int_equal(si.flags, 0);

    step_info(wf, "second", &si);
    assert_int_equal(si.nafter, 2);
    assert_string_equal(si.after[0], "first");
    assert_string_equal(si.after[1], "third");
    assert_string_equal(si.when, "flag and tier in (fullstack, premium) and "
                                 "who != \"a#b\"");
    assert_string_equal(si.wait_event, "confirmed");
    assert_int_equal(si.wait_timeout, 3 * 86400);
    assert_int_equal(si.retry_count, 2);
    assert_int_equal(si.retry_backoff, 30 * 60);
    assert_int_equal(si.flags, OFB_STEP_MANUAL | OFB_STEP_OPTIONAL |
                                   OFB_STEP_IRREVERSIBLE);
    assert_string_equal(si.role, "");

    step_info(wf, "third", &si);
    assert_string_equal(si.wait_event, "other");
    assert_int_equal(si.wait_timeout, 0);
    assert_int_equal(si.retry_count, 5);
    assert_int_equal(si.retry_backoff, 0);
    ofb_workflow_unref(wf);
}

static void test_durations_in_every_unit(void **state)
{
    ofb_workflow *wf = parse_ok("workflow d 1\n"
                                "step a \"A\"\n wait e timeout 45s\n"
                                "step b \"B\"\n wait e timeout 2m\n"
                                "step c \"C\"\n wait e timeout 7h\n"
                                "step d \"D\"\n wait e timeout 10d\n"
                                "  retry 1 backoff 0s\n");
    ofb_step_info si;
    (void)state;
    assert_int_equal(step_info(wf, "a", &si)->wait_timeout, 45);
    assert_int_equal(step_info(wf, "b", &si)->wait_timeout, 120);
    assert_int_equal(step_info(wf, "c", &si)->wait_timeout, 7 * 3600);
    assert_int_equal(step_info(wf, "d", &si)->wait_timeout, 10 * 86400);
    ofb_workflow_unref(wf);
}

static void test_crlf_lines_and_byte_order_mark(void **state)
{
    ofb_workflow *wf =
        parse_ok("\xEF\xBB\xBFworkflow w 1\r\ntitle \"T\"\r\n"
                 "step a \"A\" # x\r\n  role csm\r\n");
    ofb_step_info si;
    (void)state;
    assert_string_equal(ofb_workflow_title(wf), "T");
    assert_string_equal(step_info(wf, "a", &si)->role, "csm");
    ofb_workflow_unref(wf);
}

static void test_utf8_text_is_kept(void **state)
{
    ofb_workflow *wf = parse_ok("workflow u 1\n"
                                "title \"Überweisung – 完了 ✓\"  # ½\n");
    (void)state;
    assert_string_equal(ofb_workflow_title(wf), "Überweisung – 完了 ✓");
    ofb_workflow_unref(wf);
}

static void test_string_of_exactly_4096_bytes_is_accepted(void **state)
{
    text t = {0};
    ofb_workflow *wf;
    ofb_error err;
    int i;

    (void)state;
    adds(&t, "workflow s 1\ntitle \"");
    /* 4095 plain bytes and one escape: 4096 after unescaping. */
    for (i = 0; i < 4095; i++)
        adds(&t, "x");
    adds(&t, "\\n\"\n");
    assert_int_equal(parse(t.s, &wf, &err), OFB_OK);
    assert_int_equal(strlen(ofb_workflow_title(wf)), 4096);
    ofb_workflow_unref(wf);
    free(t.s);
}

static void test_id_of_exactly_64_bytes_is_accepted(void **state)
{
    char src[200];
    ofb_workflow *wf;
    (void)state;
    snprintf(src, sizeof src, "workflow w 1\nstep %s \"T\"\n",
             "a123456789012345678901234567890123456789012345678901234567890123");
    wf = parse_ok(src);
    assert_int_equal(ofb_workflow_step_count(wf), 1);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- errors */

static void test_workflow_must_come_first(void **state)
{
    (void)state;
    parse_fails_at("# c\n\n  step a \"A\"\nworkflow w 1\n", OFB_ESYNTAX, 3, 3,
                   "expected 'workflow ID VERSION' as the first statement, "
                   "found 'step'");
    parse_fails_at("", OFB_ESYNTAX, 1, 1,
                   "no 'workflow ID VERSION' statement");
    parse_fails_at("# only a comment\n", OFB_ESYNTAX, 1, 1,
                   "no 'workflow ID VERSION' statement");
    parse_fails_at("workflow a 1\nworkflow b 1\n", OFB_ESYNTAX, 2, 1,
                   "'workflow' must be the first statement, and only one");
}

static void test_bad_workflow_line(void **state)
{
    (void)state;
    parse_fails_at("workflow\n", OFB_ESYNTAX, 1, 9,
                   "expected workflow id, found end of line");
    parse_fails_at("workflow Offb 1\n", OFB_ESYNTAX, 1, 10,
                   "invalid workflow id 'Offb' (ids are [a-z][a-z0-9_-]*)");
    parse_fails_at("workflow a\n", OFB_ESYNTAX, 1, 11,
                   "expected a version (a positive integer), found end of "
                   "line");
    parse_fails_at("workflow a 0\n", OFB_ESYNTAX, 1, 12,
                   "invalid version '0' (a positive integer)");
    parse_fails_at("workflow a -1\n", OFB_ESYNTAX, 1, 12,
                   "invalid version '-1' (a positive integer)");
    parse_fails_at("workflow a 99999999999\n", OFB_ELIMIT, 1, 12,
                   "version '99999999999' is too large");
    parse_fails_at("workflow a 1 2\n", OFB_ESYNTAX, 1, 14,
                   "unexpected '2' at the end of the 'workflow' line");
}

static void test_unknown_keyword_is_named(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\n  titel \"x\"\n", OFB_ESYNTAX, 2, 3,
                   "unknown keyword 'titel'");
    parse_fails_at("workflow a 1\n\"x\"\n", OFB_ESYNTAX, 2, 1,
                   "expected a keyword, found a string");
    parse_fails_at("workflow a 1\n(\n", OFB_ESYNTAX, 2, 1,
                   "expected a keyword, found '('");
}

static void test_attributes_need_a_step(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\n  role csm\n", OFB_ESYNTAX, 2, 3,
                   "'role' outside a step (step attributes follow a 'step' "
                   "line)");
    parse_fails_at("workflow a 1\nmanual\n", OFB_ESYNTAX, 2, 1,
                   "'manual' outside a step (step attributes follow a "
                   "'step' line)");
    /* An input line ends the step before it. */
    parse_fails_at("workflow a 1\nstep s \"S\"\ninput x bool\nafter s\n",
                   OFB_ESYNTAX, 4, 1,
                   "'after' outside a step (step attributes follow a "
                   "'step' line)");
    parse_fails_at("workflow a 1\nstep s \"S\"\ntitle \"T\"\n", OFB_ESYNTAX,
                   3, 1,
                   "'title' of the workflow must come before its steps (a "
                   "step's title is on its 'step' line)");
}

static void test_string_errors(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\ntitle \"abc\n", OFB_ESYNTAX, 2, 7,
                   "unterminated string");
    parse_fails_at("workflow a 1\ntitle \"abc\\\n", OFB_ESYNTAX, 2, 7,
                   "unterminated string");
    parse_fails_at("workflow a 1\ntitle \"a\\qb\"\n", OFB_ESYNTAX, 2, 9,
                   "unknown escape '\\q' in a string (use \\\", \\\\, \\n or "
                   "\\t)");
    parse_fails_at("workflow a 1\ntitle \"a\tb\"\n", OFB_ESYNTAX, 2, 9,
                   "raw TAB in a string (write \\t)");
    parse_fails_at("workflow a 1\ntitle\n", OFB_ESYNTAX, 2, 6,
                   "expected a \"string\", found end of line");
    parse_fails_at("workflow a 1\ntitle x\n", OFB_ESYNTAX, 2, 7,
                   "expected a \"string\", found 'x'");
    parse_fails_at("workflow a 1\ntitle \"a\"\ntitle \"b\"\n", OFB_ESYNTAX,
                   3, 1, "duplicate 'title'");
    parse_fails_at("workflow a 1\ndoc \"a\"\ndoc \"b\"\n", OFB_ESYNTAX, 3, 1,
                   "duplicate 'doc'");
}

static void test_string_limit(void **state)
{
    text t = {0};
    ofb_workflow *wf = NULL;
    ofb_error err;
    int i;

    (void)state;
    adds(&t, "workflow s 1\nstep a \"A\"\n  doc \"");
    for (i = 0; i < 4097; i++)
        adds(&t, "x");
    adds(&t, "\"\n");
    assert_int_equal(parse(t.s, &wf, &err), OFB_ELIMIT);
    assert_null(wf);
    assert_string_equal(err.message,
                        "<text>:3:7: error: string longer than 4096 bytes");
    free(t.s);
}

static void test_id_limit(void **state)
{
    (void)state;
    parse_fails_at("workflow w 1\nstep "
                   "a1234567890123456789012345678901234567890123456789012345"
                   "678901234 \"T\"\n",
                   OFB_ELIMIT, 2, 6,
                   "step id 'a123456789012345678901234567890123456789...' is "
                   "longer than 64 bytes");
    parse_fails_at("workflow w 1\nstep a \"A\"\nstep b \"B\"\n after a "
                   "a1234567890123456789012345678901234567890123456789012345"
                   "678901234\n",
                   OFB_ELIMIT, 4, 10,
                   "prerequisite step id "
                   "'a123456789012345678901234567890123456789...' is longer "
                   "than 64 bytes");
}

static void test_control_characters_and_nul(void **state)
{
    static const char nul[] = "workflow a 1\ntitle \"a\0b\"\n";
    ofb_workflow *wf = NULL;
    ofb_error err;

    (void)state;
    assert_int_equal(ofb_workflow_parse(&wf, nul, sizeof nul - 1, "n.ofb",
                                        NULL, &err),
                     OFB_ESYNTAX);
    assert_null(wf);
    assert_string_equal(err.message, "n.ofb:2:9: error: NUL byte");
    assert_string_equal(err.file, "n.ofb");

    parse_fails_at("workflow a 1\n# a bell \a in a comment\n", OFB_ESYNTAX, 2,
                   10, "raw control character 0x07");
    parse_fails_at("workflow a 1\ntitle \"a\x1b[0m\"\n", OFB_ESYNTAX, 2, 9,
                   "raw control character 0x1B");
    parse_fails_at("workflow a 1\ntitle \"a\x7f\"\n", OFB_ESYNTAX, 2, 9,
                   "raw control character 0x7F");
    /* A CR that does not end a line. */
    parse_fails_at("workflow a 1\ntitle \"a\rb\"\n", OFB_ESYNTAX, 2, 9,
                   "raw control character 0x0D");
    /* TAB outside strings is only space. */
    wf = parse_ok("workflow\ta\t1\t# tabbed\nstep\ts\t\"S\"\n\trole\tcsm\n");
    ofb_workflow_unref(wf);
}

static void test_invalid_utf8_gives_the_byte_position(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\ntitle \"caf\xe9\"\n", OFB_ESYNTAX, 2, 11,
                   "invalid UTF-8 (byte 0xE9)");
    parse_fails_at("workflow a 1\n# \xc0\xaf overlong slash\n", OFB_ESYNTAX,
                   2, 3, "invalid UTF-8 (byte 0xC0)");
    parse_fails_at("workflow a 1\n# \xed\xa0\x80 surrogate\n", OFB_ESYNTAX, 2,
                   3, "invalid UTF-8 (byte 0xED)");
    /* Cut short at the end of the file. */
    parse_fails_at("workflow a 1\n# \xe2\x82", OFB_ESYNTAX, 2, 3,
                   "invalid UTF-8 (byte 0xE2)");
}

static void test_step_line_errors(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\nstep\n", OFB_ESYNTAX, 2, 5,
                   "expected step id, found end of line");
    parse_fails_at("workflow a 1\nstep a\n", OFB_ESYNTAX, 2, 7,
                   "expected a \"title\" after the step id, found end of "
                   "line");
    parse_fails_at("workflow a 1\nstep 1a \"A\"\n", OFB_ESYNTAX, 2, 6,
                   "invalid step id '1a' (ids are [a-z][a-z0-9_-]*)");
    parse_fails_at("workflow a 1\nstep a \"A\" x\n", OFB_ESYNTAX, 2, 12,
                   "unexpected 'x' at the end of the 'step' line");
    parse_fails_at("workflow a 1\nstep a \"A\"\nstep a \"B\"\n",
                   OFB_EDEFINITION, 3, 6,
                   "duplicate step 'a' (first defined at line 2, column 6)");
}

static void test_attribute_errors(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\nstep a \"A\"\n role\n", OFB_ESYNTAX, 3, 6,
                   "expected role, found end of line");
    parse_fails_at("workflow a 1\nstep a \"A\"\n role csm\n role x\n",
                   OFB_ESYNTAX, 4, 2, "duplicate 'role' in a step");
    parse_fails_at("workflow a 1\nstep a \"A\"\n action Send\n", OFB_ESYNTAX,
                   3, 9, "invalid action 'Send' (ids are [a-z][a-z0-9_-]*)");
    parse_fails_at("workflow a 1\nstep a \"A\"\n after\n", OFB_ESYNTAX, 3, 7,
                   "expected a prerequisite step id after 'after', found "
                   "end of line");
    parse_fails_at("workflow a 1\nstep a \"A\"\n after b, c\n", OFB_ESYNTAX,
                   3, 9,
                   "expected prerequisite step id, found ','");
    parse_fails_at("workflow a 1\nstep a \"A\"\n when   # nothing\n",
                   OFB_ESYNTAX, 3, 9,
                   "expected a guard expression after 'when'");
    parse_fails_at("workflow a 1\ninput x bool\nstep a \"A\"\n when x\n"
                   " when x\n",
                   OFB_ESYNTAX, 5, 2, "duplicate 'when' in a step");
    parse_fails_at("workflow a 1\nstep a \"A\"\n when x == \"a\tb\"\n",
                   OFB_ESYNTAX, 3, 14, "raw TAB in a string (write \\t)");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait\n", OFB_ESYNTAX, 3, 6,
                   "expected event id, found end of line");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e after 3d\n",
                   OFB_ESYNTAX, 3, 9,
                   "expected 'timeout' or end of line, found 'after'");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e timeout\n",
                   OFB_ESYNTAX, 3, 16,
                   "expected a duration (e.g. 30m, 3d), found end of line");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e timeout 3w\n",
                   OFB_ESYNTAX, 3, 17,
                   "invalid timeout '3w' (an integer followed by s, m, h or "
                   "d, e.g. 3d)");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e timeout d\n",
                   OFB_ESYNTAX, 3, 17,
                   "invalid timeout 'd' (an integer followed by s, m, h or "
                   "d, e.g. 3d)");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e timeout -3d\n",
                   OFB_ESYNTAX, 3, 17,
                   "invalid timeout '-3d' (an integer followed by s, m, h or "
                   "d, e.g. 3d)");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e timeout "
                   "106751991167301d\n",
                   OFB_ELIMIT, 3, 17, "timeout '106751991167301d' is too "
                                      "large");
    parse_fails_at("workflow a 1\nstep a \"A\"\n wait e\n wait f\n",
                   OFB_ESYNTAX, 4, 2, "duplicate 'wait' in a step");
    parse_fails_at("workflow a 1\nstep a \"A\"\n retry\n", OFB_ESYNTAX, 3, 7,
                   "expected a retry count, found end of line");
    parse_fails_at("workflow a 1\nstep a \"A\"\n retry x\n", OFB_ESYNTAX, 3,
                   8, "invalid retry count 'x' (a whole number)");
    parse_fails_at("workflow a 1\nstep a \"A\"\n retry 99999999999\n",
                   OFB_ELIMIT, 3, 8,
                   "retry count '99999999999' is too large");
    parse_fails_at("workflow a 1\nstep a \"A\"\n retry 2 backoff 9999999999999"
                   "999999999m\n",
                   OFB_ELIMIT, 3, 18,
                   "backoff '9999999999999999999999m' is too large");
    parse_fails_at("workflow a 1\nstep a \"A\"\n retry 2 every 1m\n",
                   OFB_ESYNTAX, 3, 10,
                   "expected 'backoff' or end of line, found 'every'");
    parse_fails_at("workflow a 1\nstep a \"A\"\n retry 1\n retry 2\n",
                   OFB_ESYNTAX, 4, 2, "duplicate 'retry' in a step");
    parse_fails_at("workflow a 1\nstep a \"A\"\n manual sometimes\n",
                   OFB_ESYNTAX, 3, 9,
                   "expected manual, optional or irreversible, found "
                   "'sometimes'");
    parse_fails_at("workflow a 1\nstep a \"A\"\n doc \"x\"\n doc \"y\"\n",
                   OFB_ESYNTAX, 4, 2, "duplicate 'doc' in a step");
}

static void test_input_errors(void **state)
{
    (void)state;
    parse_fails_at("workflow a 1\ninput\n", OFB_ESYNTAX, 2, 6,
                   "expected input id, found end of line");
    parse_fails_at("workflow a 1\ninput x\n", OFB_ESYNTAX, 2, 8,
                   "expected a type (string, bool, date or choice), found "
                   "end of line");
    parse_fails_at("workflow a 1\ninput x int\n", OFB_ESYNTAX, 2, 9,
                   "unknown type 'int' (string, bool, date or choice(a, b, "
                   "...))");
    parse_fails_at("workflow a 1\ninput x choice a, b\n", OFB_ESYNTAX, 2, 16,
                   "expected '(' after 'choice', found 'a'");
    parse_fails_at("workflow a 1\ninput x choice()\n", OFB_ESYNTAX, 2, 16,
                   "expected choice value, found ')'");
    parse_fails_at("workflow a 1\ninput x choice(a b)\n", OFB_ESYNTAX, 2, 18,
                   "expected ',' or ')' in the choice list, found 'b'");
    parse_fails_at("workflow a 1\ninput x choice(a, B)\n", OFB_ESYNTAX, 2, 19,
                   "invalid choice value 'B' (ids are [a-z][a-z0-9_-]*)");
    parse_fails_at("workflow a 1\ninput x bool default\n", OFB_ESYNTAX, 2, 21,
                   "expected a default value, found end of line");
    parse_fails_at("workflow a 1\ninput x bool \"d\" required\n",
                   OFB_ESYNTAX, 2, 18,
                   "unexpected 'required' in 'input' (input ID TYPE "
                   "[required] [default VALUE] [\"description\"])");
    /* Checked by the workflow, reported at the input. */
    parse_fails_at("workflow a 1\ninput x bool default maybe\n", OFB_ETYPE,
                   2, 7,
                   "input 'x': 'maybe' is not a bool (true or false) (the "
                   "default)");
    parse_fails_at("workflow a 1\ninput x bool\ninput x string\n",
                   OFB_EDEFINITION, 3, 7,
                   "duplicate input 'x' (first declared at line 2, column "
                   "7)");
}

static void test_definition_errors_carry_positions(void **state)
{
    (void)state;
    /* Found while sealing, still at the right place. */
    parse_fails_at("workflow a 1\nstep a \"A\"\n  after b\n", OFB_EDEFINITION,
                   3, 9, "step 'a': unknown prerequisite 'b'");
    {
        ofb_workflow *wf = NULL;
        ofb_error err;
        assert_int_equal(parse("workflow a 1\nstep a \"A\"\n after b\n"
                               "step b \"B\"\n after a\n",
                               &wf, &err),
                         OFB_EDEFINITION);
        assert_non_null(strstr(err.message, "cycle"));
        assert_non_null(strstr(err.message, "a -> b -> a") ? err.message
                                                           : strstr(
                                                                 err.message,
                                                                 "b -> a -> "
                                                                 "b"));
    }
    {
        /* A guard error points into the guard text. */
        ofb_workflow *wf = NULL;
        ofb_error err;
        assert_int_equal(parse("workflow a 1\ninput t choice(x, y)\n"
                               "step a \"A\"\n  when t == z\n",
                               &wf, &err),
                         OFB_EDEFINITION);
        assert_int_equal(err.line, 4);
        assert_int_equal(err.column, 13);
        assert_non_null(strstr(err.message, "<text>:4:13: error: "));
    }
}

static void test_several_errors_in_one_file(void **state)
{
    static const char src[] = "workflow w 1\n"
                              "titel \"x\"\n"           /* 2:1 */
                              "step a \"A\"\n"
                              "  role Csm\n"            /* 4:8 */
                              "  after\n"               /* 5:8 */
                              "step b\n"                /* 6:7 */
                              "  role csm\n"            /* attribute of b */
                              "step c \"C\"\n"
                              "  wait e timeout 5y\n"   /* 9:18 */
                              "input t typo\n";         /* 10:9 */
    ofb_workflow *wf = NULL;
    ofb_error err;
    diags d = {0};
    ofb_parse_opts opts = {NULL, collect, &d, 0};
    static const int where[][2] = {{2, 1}, {4, 8}, {5, 8}, {6, 7},
                                   {9, 18}, {10, 9}};
    int i;

    (void)state;
    assert_int_equal(ofb_workflow_parse(&wf, src, sizeof src - 1, "w.ofb",
                                        &opts, &err),
                     OFB_ESYNTAX);
    assert_null(wf);
    assert_int_equal(d.n, 6);
    assert_int_equal(err.count, 6);
    for (i = 0; i < 6; i++) {
        assert_int_equal(d.e[i].line, where[i][0]);
        assert_int_equal(d.e[i].column, where[i][1]);
        assert_string_equal(d.e[i].file, "w.ofb");
    }
    /* The first one is the record returned. */
    assert_string_equal(err.message, d.e[0].message);
    assert_string_equal(err.message, "w.ofb:2:1: error: unknown keyword "
                                     "'titel'");

    /* max_errors stops early. */
    memset(&d, 0, sizeof d);
    opts.max_errors = 2;
    assert_int_equal(ofb_workflow_parse(&wf, src, sizeof src - 1, "w.ofb",
                                        &opts, &err),
                     OFB_ESYNTAX);
    assert_int_equal(d.n, 2);
    assert_int_equal(err.count, 2);
}

static void test_default_error_cap_is_twenty(void **state)
{
    text t = {0};
    ofb_workflow *wf = NULL;
    ofb_error err;
    diags d = {0};
    ofb_parse_opts opts = {NULL, collect, &d, 0};
    int i;

    (void)state;
    adds(&t, "workflow w 1\n");
    for (i = 0; i < 50; i++)
        adds(&t, "bogus\n");
    assert_int_equal(ofb_workflow_parse(&wf, t.s, t.len, NULL, &opts, &err),
                     OFB_ESYNTAX);
    assert_int_equal(d.n, 20);
    assert_int_equal(err.count, 20);
    assert_int_equal(d.e[19].line, 21);
    free(t.s);
}

/* ------------------------------------------------------------- limits */

static void test_file_over_64_mib_is_refused_by_length(void **state)
{
    static const char small[] = "workflow a 1\n";
    ofb_workflow *wf = NULL;
    ofb_error err;

    (void)state;
    /* Refused on its length alone: not a byte is read. */
    assert_int_equal(ofb_workflow_parse(&wf, small, (size_t)OFB_FILE_MAX + 1,
                                        "big.ofb", NULL, &err),
                     OFB_ELIMIT);
    assert_null(wf);
    assert_string_equal(err.message,
                        "big.ofb: error: 67108865 bytes, more than the "
                        "67108864-byte limit of a .ofb file");
}

static void test_load_file_checks_size_before_reading(void **state)
{
    char path[] = "/tmp/ofb-test-XXXXXX";
    ofb_workflow *wf = NULL;
    ofb_error err;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    /* A sparse file: no memory and almost no disk. */
    assert_int_equal(ftruncate(fd, (off_t)OFB_FILE_MAX + 1), 0);
    close(fd);
    assert_int_equal(ofb_workflow_load_file(&wf, path, NULL, &err),
                     OFB_ELIMIT);
    assert_null(wf);
    assert_non_null(strstr(err.message, "67108865 bytes, more than the "
                                        "67108864-byte limit"));
    assert_string_equal(err.file, path);
    unlink(path);
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/ofb-test-XXXXXX";
    static const char src[] = "workflow f 1\nstep a \"A\"\n  bad\n";
    ofb_workflow *wf = NULL;
    ofb_error err;
    char msg[600];
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, src, sizeof src - 1), (ssize_t)sizeof src - 1);
    close(fd);
    assert_int_equal(ofb_workflow_load_file(&wf, path, NULL, &err),
                     OFB_ESYNTAX);
    snprintf(msg, sizeof msg, "%s:3:3: error: unknown keyword 'bad'", path);
    assert_string_equal(err.message, msg);
    unlink(path);

    assert_int_equal(ofb_workflow_load_file(&wf, path, NULL, &err), OFB_EIO);
    assert_non_null(strstr(err.message, "cannot open"));
    assert_int_equal(ofb_workflow_load_file(&wf, "/tmp", NULL, &err),
                     OFB_EIO);
    assert_non_null(strstr(err.message, "is a directory"));
}

/* 1,000,000 steps are allowed; the next one is refused as soon as it is
 * read (before any sealing). Cheap steps keep this well under a second. */
static void test_step_limit(void **state)
{
    const size_t n = (size_t)OFB_STEPS_MAX + 1;
    text t = {0};
    ofb_workflow *wf = NULL;
    ofb_error err;
    char line[64];
    size_t i;

    (void)state;
    adds(&t, "workflow big 1\n");
    for (i = 0; i < n; i++) {
        int k = snprintf(line, sizeof line, "step s%zu \"S\"\n", i);
        add(&t, line, (size_t)k);
    }
    assert_int_equal(ofb_workflow_parse(&wf, t.s, t.len, NULL, NULL, &err),
                     OFB_ELIMIT);
    assert_null(wf);
    snprintf(line, sizeof line, "<text>:%zu:1: error: more than 1000000 "
                                "steps",
             n + 1);
    assert_string_equal(err.message, line);
    free(t.s);
}

/* Guards nested far deeper than any real one: an error, not a crash. */
static void nested_guard(int depth, const char *open, const char *close,
                         int *rc, ofb_error *err)
{
    text t = {0};
    ofb_workflow *wf = (ofb_workflow *)&wf;
    int i;

    adds(&t, "workflow n 1\ninput x bool\nstep a \"A\"\n  when ");
    for (i = 0; i < depth; i++)
        adds(&t, open);
    adds(&t, "x");
    for (i = 0; i < depth; i++)
        adds(&t, close);
    adds(&t, "\n");
    *rc = ofb_workflow_parse(&wf, t.s, t.len, NULL, NULL, err);
    assert_null(wf);
    free(t.s);
}

static void test_deeply_nested_guard_is_a_clean_error(void **state)
{
    ofb_error err;
    int rc;

    (void)state;
    /* 10,000 parentheses: longer than a guard may be. */
    nested_guard(10000, "(", ")", &rc, &err);
    assert_true(rc < 0);
    assert_true(err.line == 3 || err.line == 4);
    assert_non_null(strstr(err.message, "<text>:"));
    nested_guard(10000, "not ", "", &rc, &err);
    assert_true(rc < 0);

    /* 1,000 fit in the text; the expression compiler refuses the depth,
     * at the guard's line. */
    nested_guard(1000, "(", ")", &rc, &err);
    assert_int_equal(rc, OFB_ESYNTAX);
    assert_int_equal(err.line, 4);
    assert_true(err.column > 8);
    nested_guard(900, "not ", "", &rc, &err);
    assert_int_equal(rc, OFB_ESYNTAX);
    assert_int_equal(err.line, 4);
}

static void test_huge_lines(void **state)
{
    text t = {0};
    ofb_workflow *wf = NULL;
    ofb_error err;
    size_t i;

    (void)state;
    /* A 4 MiB comment is fine. */
    adds(&t, "workflow h 1\n#");
    for (i = 0; i < (4u << 20); i++)
        adds(&t, "x");
    adds(&t, "\nstep a \"A\"\n");
    assert_int_equal(ofb_workflow_parse(&wf, t.s, t.len, NULL, NULL, &err),
                     OFB_OK);
    ofb_workflow_unref(wf);

    /* A 4 MiB word is an id that is too long. */
    t.len = 0;
    adds(&t, "workflow h 1\nstep ");
    for (i = 0; i < (4u << 20); i++)
        adds(&t, "x");
    adds(&t, " \"A\"\n");
    assert_int_equal(ofb_workflow_parse(&wf, t.s, t.len, NULL, NULL, &err),
                     OFB_ELIMIT);

    /* A 4 MiB string is too long. */
    t.len = 0;
    adds(&t, "workflow h 1\ntitle \"");
    for (i = 0; i < (4u << 20); i++)
        adds(&t, "x");
    adds(&t, "\"\n");
    assert_int_equal(ofb_workflow_parse(&wf, t.s, t.len, NULL, NULL, &err),
                     OFB_ELIMIT);

    /* One step after 20,000 others on a single line. */
    t.len = 0;
    adds(&t, "workflow h 1\n");
    for (i = 0; i < 20000; i++)
        addf(&t, "step p%zu \"P\"\n", i);
    adds(&t, "step last \"L\"\n  after");
    for (i = 0; i < 20000; i++)
        addf(&t, " p%zu", i);
    adds(&t, "\n");
    assert_int_equal(ofb_workflow_parse(&wf, t.s, t.len, NULL, NULL, &err),
                     OFB_OK);
    {
        ofb_step_info si;
        assert_int_equal(step_info(wf, "last", &si)->nafter, 20000);
    }
    ofb_workflow_unref(wf);
    free(t.s);
}

/* Random bytes and mutated real workflows: always a clean answer. */
static void test_binary_junk_never_crashes(void **state)
{
    uint64_t seed = 20240611;
    char buf[512];
    size_t b, i;

    (void)state;
    for (i = 0; i < 3000; i++) {
        size_t len = rnd(&seed) % sizeof buf;
        ofb_workflow *wf = NULL;
        ofb_error err;
        int rc;
        for (b = 0; b < len; b++)
            buf[b] = (char)rnd(&seed);
        if (i % 2 == 0 && len > 14)
            memcpy(buf, "workflow j 1\n", 13); /* get past the first line */
        rc = ofb_workflow_parse(&wf, buf, len, "junk", NULL, &err);
        if (rc == OFB_OK)
            ofb_workflow_unref(wf);
        else
            assert_true(strlen(err.message) > 0 && err.count >= 1);
    }
    for (i = 0; i < ofb_builtin_count(); i++) {
        const char *src = ofb_builtin_source(ofb_builtin_name(i));
        size_t len = strlen(src), k;
        char *m = malloc(len);
        assert_non_null(m);
        for (k = 0; k < 300; k++) {
            ofb_workflow *wf = NULL;
            ofb_error err;
            int flips = 1 + (int)(rnd(&seed) % 4);
            memcpy(m, src, len);
            while (flips--) {
                size_t at = rnd(&seed) % len;
                static const char some[] = "\"#()\\ \t\n,az09_-\x80\xff";
                m[at] = rnd(&seed) % 2 ? (char)rnd(&seed)
                                       : some[rnd(&seed) % (sizeof some - 1)];
            }
            if (ofb_workflow_parse(&wf, m, len, "mutant", NULL, &err) ==
                OFB_OK)
                ofb_workflow_unref(wf);
        }
        free(m);
    }
}

/* ----------------------------------------------------- memory failures */

typedef struct failing {
    long left;  /* allocations that succeed before the first failure */
    long live;  /* blocks not yet freed */
} failing;

static void *f_malloc(size_t n, void *ud)
{
    failing *f = ud;
    void *p;
    if (f->left-- <= 0)
        return NULL;
    p = malloc(n);
    if (p)
        f->live++;
    return p;
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    failing *f = ud;
    void *q;
    if (f->left-- <= 0)
        return NULL;
    q = realloc(p, n);
    if (q && !p)
        f->live++;
    return q;
}

static void f_free(void *p, void *ud)
{
    failing *f = ud;
    if (p)
        f->live--;
    free(p);
}

static void test_out_of_memory_is_reported_without_leaks(void **state)
{
    const char *src = ofb_builtin_source("intercept-customer");
    long n;

    (void)state;
    assert_non_null(src);
    for (n = 0;; n++) {
        failing f = {n, 0};
        ofb_allocator a = {f_malloc, f_realloc, f_free, &f};
        ofb_parse_opts opts = {&a, NULL, NULL, 0};
        ofb_workflow *wf = NULL;
        ofb_error err;
        int rc = ofb_workflow_parse(&wf, src, strlen(src), "oom", &opts,
                                    &err);
        if (rc == OFB_OK) {
            ofb_workflow_unref(wf);
            assert_int_equal(f.live, 0);
            break;
        }
        assert_int_equal(rc, OFB_ENOMEM);
        assert_null(wf);
        assert_int_equal(f.live, 0);
        assert_true(n < 100000);
    }
}

/* ----------------------------------------------------------- round trip */

static void test_builtins_round_trip(void **state)
{
    size_t i;
    (void)state;
    assert_int_equal(ofb_builtin_count(), 5);
    for (i = 0; i < ofb_builtin_count(); i++) {
        const char *name = ofb_builtin_name(i);
        const char *src = ofb_builtin_source(name);
        assert_non_null(src);
        check_round_trip(src, strlen(src), name);
    }
}

/* A random but valid workflow: a DAG (prerequisites point backwards, in
 * random definition order), inputs of every type, guards, waits, retries,
 * flags and strings with escapes. */
static void random_workflow(text *t, uint64_t *seed)
{
    static const char *const words[] = {"alpha", "tags", "\\\"quoted\\\"",
                                        "tab\\there", "line\\nbreak",
                                        "back\\\\slash", "ümlaut", "#hash"};
    int nsteps = 1 + (int)(rnd(seed) % 40), i, k;
    uint32_t order[64];

    t->len = 0;
    addf(t, "# generated\nworkflow gen-%u %u\n", rnd(seed) % 1000,
         1 + rnd(seed) % 9);
    if (rnd(seed) % 2)
        addf(t, "title \"%s %s\"\n", words[rnd(seed) % 8],
             words[rnd(seed) % 8]);
    if (rnd(seed) % 2)
        addf(t, "doc \"%s\"\n", words[rnd(seed) % 8]);
    addf(t, "input flag bool%s\n", rnd(seed) % 2 ? " default false" : "");
    addf(t, "input tier choice(gold, silver, bronze)%s%s\n",
         rnd(seed) % 2 ? " required" : "",
         rnd(seed) % 2 ? " default silver" : "");
    addf(t, "input due date%s \"%s\"\n",
         rnd(seed) % 2 ? " default 2026-02-28" : "", words[rnd(seed) % 8]);
    addf(t, "input who string%s\n",
         rnd(seed) % 2 ? " default \"a \\\"b\\\" c\"" : "");
    /* Steps are written in a shuffled order; ids keep the DAG order. */
    for (i = 0; i < nsteps; i++)
        order[i] = (uint32_t)i;
    for (i = nsteps - 1; i > 0; i--) {
        int j = (int)(rnd(seed) % (uint32_t)(i + 1));
        uint32_t x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (k = 0; k < nsteps; k++) {
        int s = (int)order[k];
        addf(t, "step s%d \"Step %d %s\"\n", s, s, words[rnd(seed) % 8]);
        if (rnd(seed) % 2)
            addf(t, "  role r%u\n", rnd(seed) % 3);
        if (rnd(seed) % 4 == 0)
            addf(t, "  action act-%u\n", rnd(seed) % 3);
        for (i = 0; i < s; i++)
            if (rnd(seed) % 4 == 0)
                addf(t, "  after s%d\n", i);
        switch (rnd(seed) % 6) {
        case 0: addf(t, "  when flag\n"); break;
        case 1: addf(t, "  when tier in (gold, bronze) or not flag\n"); break;
        case 2: addf(t, "  when who == \"x # y\"  # c\n"); break;
        case 3: addf(t, "  when due != 2026-01-01 and tier != gold\n"); break;
        default: break;
        }
        if (rnd(seed) % 3 == 0)
            addf(t, "  wait ev%u%s\n", rnd(seed) % 3,
                 rnd(seed) % 2 ? " timeout 2h" : "");
        if (rnd(seed) % 4 == 0)
            addf(t, "  retry %u backoff %um\n", 1 + rnd(seed) % 5,
                 1 + rnd(seed) % 60);
        if (rnd(seed) % 3 == 0)
            addf(t, "  manual\n");
        if (rnd(seed) % 3 == 0)
            addf(t, "  optional irreversible\n");
        if (rnd(seed) % 2)
            addf(t, "  doc \"%s\"\n", words[rnd(seed) % 8]);
    }
}

static void test_random_workflows_round_trip(void **state)
{
    uint64_t seed = 42;
    text t = {0};
    int i;

    (void)state;
    for (i = 0; i < 300; i++) {
        random_workflow(&t, &seed);
        check_round_trip(t.s, t.len, "generated");
    }
    free(t.s);
}

/* ------------------------------------------------------------ built-ins */

static void test_builtins_are_sorted_and_load(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < ofb_builtin_count(); i++) {
        ofb_workflow *wf = NULL;
        ofb_error err;
        const char *name = ofb_builtin_name(i);
        if (i > 0)
            assert_true(strcmp(ofb_builtin_name(i - 1), name) < 0);
        if (ofb_builtin_load(&wf, name, NULL, &err))
            fail_msg("%s", err.message);
        assert_string_equal(ofb_workflow_id(wf), name);
        ofb_workflow_unref(wf);
    }
    assert_null(ofb_builtin_name(ofb_builtin_count()));
    assert_null(ofb_builtin_source("nope"));
    assert_non_null(ofb_builtin_source("pzzle-customer"));
}

static void test_unknown_builtin_lists_the_names(void **state)
{
    ofb_workflow *wf = (ofb_workflow *)&wf;
    ofb_error err;
    (void)state;
    assert_int_equal(ofb_builtin_load(&wf, "pzle", NULL, &err),
                     OFB_ENOTFOUND);
    assert_null(wf);
    assert_string_equal(err.message,
                        "no built-in workflow 'pzle' (built-ins: "
                        "autotask-msp-customer, intercept-customer, "
                        "pzzle-customer, rmm-remove-contact, "
                        "xpm-nimbus-client)");
    assert_string_equal(err.detail, "pzle");
}

static void test_arguments(void **state)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    (void)state;
    assert_int_equal(ofb_workflow_parse(NULL, "", 0, NULL, NULL, &err),
                     OFB_EINVAL);
    assert_int_equal(ofb_workflow_parse(&wf, NULL, 3, NULL, NULL, &err),
                     OFB_EINVAL);
    assert_int_equal(ofb_workflow_load_file(&wf, NULL, NULL, &err),
                     OFB_EINVAL);
    /* No error record at all is fine. */
    assert_int_equal(ofb_workflow_parse(&wf, "x", 1, NULL, NULL, NULL),
                     OFB_ESYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smallest_workflow),
        cmocka_unit_test(test_every_statement),
        cmocka_unit_test(test_durations_in_every_unit),
        cmocka_unit_test(test_crlf_lines_and_byte_order_mark),
        cmocka_unit_test(test_utf8_text_is_kept),
        cmocka_unit_test(test_string_of_exactly_4096_bytes_is_accepted),
        cmocka_unit_test(test_id_of_exactly_64_bytes_is_accepted),
        cmocka_unit_test(test_workflow_must_come_first),
        cmocka_unit_test(test_bad_workflow_line),
        cmocka_unit_test(test_unknown_keyword_is_named),
        cmocka_unit_test(test_attributes_need_a_step),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_string_limit),
        cmocka_unit_test(test_id_limit),
        cmocka_unit_test(test_control_characters_and_nul),
        cmocka_unit_test(test_invalid_utf8_gives_the_byte_position),
        cmocka_unit_test(test_step_line_errors),
        cmocka_unit_test(test_attribute_errors),
        cmocka_unit_test(test_input_errors),
        cmocka_unit_test(test_definition_errors_carry_positions),
        cmocka_unit_test(test_several_errors_in_one_file),
        cmocka_unit_test(test_default_error_cap_is_twenty),
        cmocka_unit_test(test_file_over_64_mib_is_refused_by_length),
        cmocka_unit_test(test_load_file_checks_size_before_reading),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_step_limit),
        cmocka_unit_test(test_deeply_nested_guard_is_a_clean_error),
        cmocka_unit_test(test_huge_lines),
        cmocka_unit_test(test_binary_junk_never_crashes),
        cmocka_unit_test(test_out_of_memory_is_reported_without_leaks),
        cmocka_unit_test(test_builtins_round_trip),
        cmocka_unit_test(test_random_workflows_round_trip),
        cmocka_unit_test(test_builtins_are_sorted_and_load),
        cmocka_unit_test(test_unknown_builtin_lists_the_names),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
