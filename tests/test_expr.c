/*
 * test_expr.c - guards: every operator, precedence, three-valued logic
 * with unset inputs, type checks against the declared inputs, syntax
 * errors with their columns, and the nesting limit.
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

/* The inputs of the Autotask and XPM/Nimbus offboardings. */
enum { TIER, CDM, DELETE_DOCS, CUSTOMER, END_DATE, NINPUTS };

static int setup(void **state)
{
    ofb_workflow *wf = NULL;
    if (ofb_workflow_new(&wf, "autotask", 1, NULL, NULL))
        return -1;
    tu_choice(wf, "tier", "fullstack premium csp", 1);
    tu_input(wf, "cdm", OFB_TYPE_BOOL, 0, NULL);
    tu_input(wf, "delete_documents", OFB_TYPE_BOOL, 0, NULL);
    tu_input(wf, "customer", OFB_TYPE_STRING, 0, NULL);
    tu_input(wf, "end_date", OFB_TYPE_DATE, 0, NULL);
    *state = wf;
    return 0;
}

static int teardown(void **state)
{
    ofb_workflow_unref(*state);
    return 0;
}

/* Values of a run: all unset until set. */
typedef struct vals {
    ofb__ival v[NINPUTS];
} vals;

static void set(ofb_workflow *wf, vals *vs, int ix, const char *text)
{
    vs->v[ix].text = text;
    assert_int_equal(ofb__input_parse(&wf->inputs[ix], text, &vs->v[ix].i,
                                      NULL),
                     OFB_OK);
}

static uint32_t compile(ofb_workflow *wf, const char *text)
{
    uint32_t root = OFB__NONE;
    ofb_error err;
    ofb__src none = {0, 0};
    if (ofb__expr_compile(wf, text, none, &root, &err))
        fail_msg("compile '%s': %s", text, err.message);
    return root;
}

static int eval(ofb_workflow *wf, const char *text, const vals *vs,
                uint32_t *missing)
{
    return ofb__expr_eval(wf, compile(wf, text), vs->v, missing);
}

/* Compiles text at line 7, column 8 of "autotask.ofb" and expects an
 * error. Returns the code; *err holds the record. */
static int compile_err(ofb_workflow *wf, const char *text, ofb_error *err)
{
    uint32_t root;
    ofb__src at = {7, 8};
    wf->file = "autotask.ofb";
    int rc = ofb__expr_compile(wf, text, at, &root, err);
    wf->file = NULL;
    if (rc == OFB_OK)
        fail_msg("'%s' compiled", text);
    return rc;
}

/* ------------------------------------------------------------ operators */

static void test_choice_equality_picks_the_csp_steps(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    set(wf, &vs, TIER, "csp");
    assert_int_equal(eval(wf, "tier == csp", &vs, NULL), 1);
    assert_int_equal(eval(wf, "tier == premium", &vs, NULL), 0);
    assert_int_equal(eval(wf, "tier != csp", &vs, NULL), 0);
    assert_int_equal(eval(wf, "tier != fullstack", &vs, NULL), 1);
    assert_int_equal(eval(wf, "tier in (premium, csp)", &vs, NULL), 1);
    assert_int_equal(eval(wf, "tier in (fullstack)", &vs, NULL), 0);
    assert_int_equal(eval(wf, "tier in(fullstack,premium,csp)", &vs, NULL), 1);
}

static void test_bare_bool_input_and_true_false(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    set(wf, &vs, CDM, "true");
    set(wf, &vs, DELETE_DOCS, "false");
    assert_int_equal(eval(wf, "cdm", &vs, NULL), 1);
    assert_int_equal(eval(wf, "delete_documents", &vs, NULL), 0);
    assert_int_equal(eval(wf, "cdm == true", &vs, NULL), 1);
    assert_int_equal(eval(wf, "cdm == false", &vs, NULL), 0);
    assert_int_equal(eval(wf, "delete_documents != true", &vs, NULL), 1);
    assert_int_equal(eval(wf, "cdm in (false, true)", &vs, NULL), 1);
}

static void test_not_and_or_follow_the_nimbus_documents_rule(void **state)
{
    ofb_workflow *wf = *state;
    /* "documents_deleted" applies to customers without CDM who decided to
     * delete their documents. */
    const char *g = "not cdm and delete_documents";
    static const struct {
        const char *cdm, *del;
        int want;
    } rows[] = {{"true", "true", 0}, {"true", "false", 0},
                {"false", "true", 1}, {"false", "false", 0}};
    for (size_t i = 0; i < 4; i++) {
        vals vs = {0};
        set(wf, &vs, CDM, rows[i].cdm);
        set(wf, &vs, DELETE_DOCS, rows[i].del);
        assert_int_equal(eval(wf, g, &vs, NULL), rows[i].want);
        assert_int_equal(eval(wf, "cdm or delete_documents", &vs, NULL),
                         rows[i].cdm[0] == 't' || rows[i].del[0] == 't');
        assert_int_equal(eval(wf, "not (cdm or delete_documents)", &vs, NULL),
                         !(rows[i].cdm[0] == 't' || rows[i].del[0] == 't'));
    }
}

static void test_precedence_is_not_then_and_then_or(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    set(wf, &vs, TIER, "csp");
    set(wf, &vs, CDM, "false");
    set(wf, &vs, DELETE_DOCS, "false");
    /* tier == csp or (cdm and delete_documents) */
    assert_int_equal(eval(wf, "tier == csp or cdm and delete_documents", &vs,
                          NULL), 1);
    /* (tier == csp or cdm) and delete_documents */
    assert_int_equal(eval(wf, "(tier == csp or cdm) and delete_documents",
                          &vs, NULL), 0);
    /* (not cdm) and (not delete_documents) */
    assert_int_equal(eval(wf, "not cdm and not delete_documents", &vs, NULL),
                     1);
    assert_int_equal(eval(wf, "not not cdm", &vs, NULL), 0);
    /* and binds tighter on both sides of or */
    assert_int_equal(eval(wf, "cdm and delete_documents or tier == csp and "
                              "not cdm", &vs, NULL), 1);

    /* The tree leans right, so the evaluator walks chains in a loop. */
    uint32_t r = compile(wf, "cdm or delete_documents or tier == csp");
    assert_int_equal(wf->expr[r].op, OFB__X_OR);
    assert_int_equal(wf->expr[wf->expr[r].a].op, OFB__X_BOOL);
    assert_int_equal(wf->expr[wf->expr[r].b].op, OFB__X_OR);
}

static void test_strings_compare_exactly_with_escapes(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    set(wf, &vs, CUSTOMER, "Acme \"West\"\\Dental");
    assert_int_equal(eval(wf, "customer == \"Acme \\\"West\\\"\\\\Dental\"",
                          &vs, NULL), 1);
    assert_int_equal(eval(wf, "customer == \"acme\"", &vs, NULL), 0);
    assert_int_equal(eval(wf, "customer in (\"x\", \"Acme \\\"West\\\"\\\\"
                              "Dental\")", &vs, NULL), 1);
    set(wf, &vs, CUSTOMER, "line\none\ttab");
    assert_int_equal(eval(wf, "customer == \"line\\none\\ttab\"", &vs, NULL),
                     1);
    /* A bare id compares as its text. */
    set(wf, &vs, CUSTOMER, "acme");
    assert_int_equal(eval(wf, "customer == acme", &vs, NULL), 1);
    assert_int_equal(eval(wf, "customer != \"\"", &vs, NULL), 1);
}

static void test_dates_compare_as_days(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    set(wf, &vs, END_DATE, "2026-11-30");
    assert_int_equal(eval(wf, "end_date == 2026-11-30", &vs, NULL), 1);
    assert_int_equal(eval(wf, "end_date != 2026-12-01", &vs, NULL), 1);
    assert_int_equal(eval(wf, "end_date in (2026-01-01, 2026-11-30)", &vs,
                          NULL), 1);
    uint32_t r = compile(wf, "end_date == 2024-02-29");
    assert_string_equal(wf->xval[wf->expr[r].a].s, "2024-02-29");
}

static void test_no_guard_always_applies(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    uint32_t m = 5;
    assert_int_equal(ofb__expr_eval(wf, OFB__NONE, vs.v, &m), 1);
    assert_int_equal(m, OFB__NONE);
}

/* ------------------------------------------------------ Kleene logic */

static void test_unset_input_makes_the_guard_unknown(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    uint32_t m = 0;
    assert_int_equal(eval(wf, "tier == csp", &vs, &m), -1);
    assert_int_equal(m, TIER);
    assert_int_equal(eval(wf, "not cdm", &vs, &m), -1);
    assert_int_equal(m, CDM);
    assert_int_equal(eval(wf, "tier in (csp)", &vs, &m), -1);
    assert_int_equal(m, TIER);
    assert_int_equal(eval(wf, "customer != \"x\"", &vs, &m), -1);
    assert_int_equal(m, CUSTOMER);
}

static void test_unset_input_does_not_matter_when_the_result_is_known(
    void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    uint32_t m = 0;
    /* The entity check found the entity deleted (cdm false): whether the
     * documents are deleted is not needed to know that "cdm and ..." is
     * false, nor that "not cdm or ..." is true. */
    set(wf, &vs, CDM, "false");
    assert_int_equal(eval(wf, "cdm and delete_documents", &vs, &m), 0);
    assert_int_equal(m, OFB__NONE);
    assert_int_equal(eval(wf, "delete_documents and cdm", &vs, &m), 0);
    assert_int_equal(eval(wf, "not cdm or delete_documents", &vs, &m), 1);
    assert_int_equal(eval(wf, "delete_documents or not cdm", &vs, &m), 1);
    /* ...but it is needed here. */
    assert_int_equal(eval(wf, "not cdm and delete_documents", &vs, &m), -1);
    assert_int_equal(m, DELETE_DOCS);
    assert_int_equal(eval(wf, "cdm or delete_documents", &vs, &m), -1);
    assert_int_equal(m, DELETE_DOCS);
    assert_int_equal(eval(wf, "not (cdm or delete_documents)", &vs, &m), -1);
}

static void test_missing_names_the_first_unset_input_read(void **state)
{
    ofb_workflow *wf = *state;
    vals vs = {0};
    uint32_t m = 0;
    assert_int_equal(eval(wf, "delete_documents or tier == csp or cdm", &vs,
                          &m), -1);
    assert_int_equal(m, DELETE_DOCS);
    assert_int_equal(eval(wf, "(tier == csp or cdm) and delete_documents",
                          &vs, &m), -1);
    assert_int_equal(m, TIER);
    set(wf, &vs, TIER, "premium");
    assert_int_equal(eval(wf, "(tier == csp or cdm) and delete_documents",
                          &vs, &m), -1);
    assert_int_equal(m, CDM);
    /* A false operand of `and` decides even after an unknown one. */
    assert_int_equal(eval(wf, "cdm and tier == csp", &vs, &m), 0);
}

/* -------------------------------------------------------- type errors */

static void test_unknown_input_is_named_with_its_column(void **state)
{
    ofb_workflow *wf = *state;
    ofb_error err;
    assert_int_equal(compile_err(wf, "cdm and entity_deleted", &err),
                     OFB_EDEFINITION);
    assert_string_equal(err.message, "autotask.ofb:7:16: error: unknown "
                                     "input 'entity_deleted'");
    assert_int_equal(err.line, 7);
    assert_int_equal(err.column, 16);
    assert_string_equal(err.file, "autotask.ofb");
}

static void test_choice_value_must_be_one_of_the_choices(void **state)
{
    ofb_workflow *wf = *state;
    ofb_error err;
    assert_int_equal(compile_err(wf, "tier == gold", &err), OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "autotask.ofb:7:16: error: input 'tier' has no value "
                        "'gold' (it is one of fullstack, premium, csp)");
    assert_int_equal(compile_err(wf, "tier in (csp, Gold)", &err),
                     OFB_ESYNTAX);
    assert_string_equal(err.message,
                        "autotask.ofb:7:22: error: 'Gold' is not a valid id "
                        "([a-z][a-z0-9_-]*, at most 64 bytes)");
    assert_int_equal(compile_err(wf, "tier == \"csp\"", &err),
                     OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "autotask.ofb:7:16: error: input 'tier' is a choice: "
                        "compare it with one of fullstack, premium, csp, not "
                        "a string");
}

static void test_values_must_fit_the_input_type(void **state)
{
    ofb_workflow *wf = *state;
    ofb_error err;
    static const struct {
        const char *text;
        int code;
        const char *msg;
    } cases[] = {
        {"cdm == yes", OFB_EDEFINITION,
         "input 'cdm' is a bool: it cannot be compared with 'yes'"},
        {"cdm == \"true\"", OFB_EDEFINITION,
         "input 'cdm' is a bool: it cannot be compared with '\"true\"'"},
        {"tier == true", OFB_EDEFINITION,
         "input 'tier' is a choice, not a bool: it cannot be compared with "
         "true"},
        {"end_date == tomorrow", OFB_EDEFINITION,
         "input 'end_date' is a date: it cannot be compared with 'tomorrow'"},
        {"customer == 2026-01-01", OFB_EDEFINITION,
         "input 'customer' is a string: it cannot be compared with "
         "'2026-01-01'"},
        {"customer == false", OFB_EDEFINITION,
         "input 'customer' is a string, not a bool: it cannot be compared "
         "with false"},
        {"end_date == 2026-02-30", OFB_ESYNTAX,
         "'2026-02-30' is not a date (YYYY-MM-DD)"},
        {"tier", OFB_EDEFINITION,
         "input 'tier' is a choice, not a bool: compare it (tier == ...)"},
        {"cdm and customer", OFB_EDEFINITION,
         "input 'customer' is a string, not a bool: compare it (customer == "
         "...)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[512];
        assert_int_equal(compile_err(wf, cases[i].text, &err), cases[i].code);
        snprintf(want, sizeof want, "autotask.ofb:7:%d: error: %s",
                 err.column, cases[i].msg);
        assert_string_equal(err.message, want);
    }
    /* The column is the offending token's. */
    assert_int_equal(compile_err(wf, "cdm and customer", &err),
                     OFB_EDEFINITION);
    assert_int_equal(err.column, 8 + 8);
    assert_int_equal(compile_err(wf, "cdm == yes", &err), OFB_EDEFINITION);
    assert_int_equal(err.column, 8 + 7);
}

/* ------------------------------------------------------- syntax errors */

static void test_syntax_errors_point_at_the_token(void **state)
{
    ofb_workflow *wf = *state;
    ofb_error err;
    static const struct {
        const char *text;
        int col; /* byte offset in the guard */
        const char *msg;
    } cases[] = {
        {"", 0, "empty guard"},
        {"   ", 0, "empty guard"},
        {"tier = csp", 5, "expected '==' (comparisons are == and !=)"},
        {"not ! cdm", 4, "expected '!=' (comparisons are == and !=)"},
        {"tier == ", 8, "expected a value, found the end"},
        {"tier ==", 7, "expected a value, found the end"},
        {"cdm and", 7, "expected an input id, found the end"},
        {"cdm or or cdm", 7, "expected an input id, found 'or'"},
        {"cdm cdm", 4, "expected 'and', 'or' or the end, found 'cdm'"},
        {"(cdm", 4, "expected ')' to close the '(' at column 8, found the end"},
        {"cdm)", 3, "expected 'and', 'or' or the end, found ')'"},
        {"tier in csp", 8, "expected '(' after 'in', found 'csp'"},
        {"tier in (csp premium)", 13,
         "expected ',' or ')' in the list, found 'premium'"},
        {"tier in ()", 9, "expected a value, found ')'"},
        {"customer == \"open", 12, "unterminated string"},
        {"customer == \"a\\qb\"", 14,
         "unknown escape '\\q' (use \\\", \\\\, \\n or \\t)"},
        {"customer == \"a\tb\"", 14,
         "raw control character in a string (use \\t or \\n)"},
        {"cdm && cdm", 4, "unexpected character '&'"},
        {"cdm and \xc3\xa9t\xc3\xa9", 8, "unexpected byte 0xc3"},
        {"Cdm", 0, "'Cdm' is not a valid id ([a-z][a-z0-9_-]*, at most 64 "
                   "bytes)"},
        {"true", 0, "expected an input id, found 'true'"},
        {"cdm # note", 4, "unexpected character '#'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[512];
        int rc = compile_err(wf, cases[i].text, &err);
        if (rc != OFB_ESYNTAX)
            fail_msg("'%s': %d %s", cases[i].text, rc, err.message);
        snprintf(want, sizeof want, "autotask.ofb:7:%d: error: %s",
                 8 + cases[i].col, cases[i].msg);
        assert_string_equal(err.message, want);
        assert_int_equal(err.column, 8 + cases[i].col);
    }
}

static void test_error_without_a_file_gives_the_column_in_the_guard(
    void **state)
{
    ofb_workflow *wf = *state;
    ofb_error err;
    uint32_t root;
    ofb__src none = {0, 0};
    assert_int_equal(ofb__expr_compile(wf, "tier == gold", none, &root, &err),
                     OFB_EDEFINITION);
    assert_string_equal(err.message,
                        "input 'tier' has no value 'gold' (it is one of "
                        "fullstack, premium, csp) (column 9)");
    assert_int_equal(err.column, 9);
    assert_int_equal(err.line, 0);
}

/* -------------------------------------------------------------- limits */

static void test_nesting_deeper_than_the_limit_is_an_error(void **state)
{
    ofb_workflow *wf = *state;
    char text[1024];
    size_t n = 0;
    ofb_error err;
    vals vs = {0};
    set(wf, &vs, CDM, "true");

    /* 64 levels of parentheses are fine... */
    for (int i = 0; i < OFB__EXPR_DEPTH; i++)
        text[n++] = '(';
    memcpy(text + n, "cdm", 3);
    n += 3;
    for (int i = 0; i < OFB__EXPR_DEPTH; i++)
        text[n++] = ')';
    text[n] = '\0';
    assert_int_equal(eval(wf, text, &vs, NULL), 1);

    /* ...65 are not. */
    memmove(text + 1, text, n + 1);
    text[0] = '(';
    strcat(text, ")");
    assert_int_equal(compile_err(wf, text, &err), OFB_ESYNTAX);
    assert_string_equal(err.message, "autotask.ofb:7:72: error: the guard "
                                     "nests deeper than 64 levels");

    /* `not` counts as a level too. */
    n = 0;
    for (int i = 0; i < 200; i++) {
        memcpy(text + n, "not ", 4);
        n += 4;
    }
    memcpy(text + n, "cdm", 4);
    assert_int_equal(compile_err(wf, text, &err), OFB_ESYNTAX);
    assert_int_equal(err.column, 8 + 64 * 4);
}

static void test_deep_nesting_is_refused_without_a_crash(void **state)
{
    ofb_workflow *wf = *state;
    /* A hostile guard: as many open parentheses as the length allows. */
    char *text = malloc(OFB_STRING_MAX + 1);
    memset(text, '(', OFB_STRING_MAX);
    text[OFB_STRING_MAX] = '\0';
    ofb_error err;
    assert_int_equal(compile_err(wf, text, &err), OFB_ESYNTAX);
    free(text);

    text = malloc(OFB_STRING_MAX + 2);
    memset(text, ' ', OFB_STRING_MAX + 1);
    text[OFB_STRING_MAX + 1] = '\0';
    assert_int_equal(compile_err(wf, text, &err), OFB_ELIMIT);
    assert_string_equal(err.message, "autotask.ofb:7:8: error: the guard is "
                                     "longer than 4096 bytes");
    free(text);
}

static void test_long_or_chain_evaluates_in_a_loop(void **state)
{
    ofb_workflow *wf = *state;
    /* 580 alternatives: a flat chain, no deeper than one level. */
    char *text = malloc(OFB_STRING_MAX + 1);
    size_t n = 0;
    for (int i = 0; i < 580; i++) {
        memcpy(text + n, i ? " or cdm" : "cdm", i ? 7 : 3);
        n += i ? 7 : 3;
    }
    text[n] = '\0';
    vals vs = {0};
    uint32_t m;
    assert_int_equal(eval(wf, text, &vs, &m), -1);
    assert_int_equal(m, CDM);
    set(wf, &vs, CDM, "false");
    assert_int_equal(eval(wf, text, &vs, &m), 0);
    /* The same with `and`. */
    n = 0;
    for (int i = 0; i < 500; i++) {
        memcpy(text + n, i ? " and cdm" : "cdm", i ? 8 : 3);
        n += i ? 8 : 3;
    }
    text[n] = '\0';
    set(wf, &vs, CDM, "true");
    assert_int_equal(eval(wf, text, &vs, &m), 1);
    free(text);
}

/* ------------------------------------------------------------- memory */

static void test_compile_failures_leak_nothing(void **state)
{
    (void)state;
    const char *g = "(tier in (premium, csp) or not cdm) and customer != "
                    "\"Acme \\\"W\\\"\" and end_date == 2026-11-30";
    long total;
    {
        tu_alloc t;
        tu_alloc_init(&t, 0);
        ofb_workflow *wf;
        assert_int_equal(ofb_workflow_new(&wf, "a", 1, &t.a, NULL), 0);
        tu_choice(wf, "tier", "fullstack premium csp", 1);
        tu_input(wf, "cdm", OFB_TYPE_BOOL, 0, NULL);
        tu_input(wf, "customer", OFB_TYPE_STRING, 0, NULL);
        tu_input(wf, "end_date", OFB_TYPE_DATE, 0, NULL);
        long before = t.calls;
        compile(wf, g);
        total = t.calls - before;
        ofb_workflow_unref(wf);
        assert_int_equal(t.live, 0);
        t.calls = before;
    }
    assert_true(total > 0);
    for (long k = 1; k <= total; k++) {
        tu_alloc t;
        tu_alloc_init(&t, 0);
        ofb_workflow *wf;
        assert_int_equal(ofb_workflow_new(&wf, "a", 1, &t.a, NULL), 0);
        tu_choice(wf, "tier", "fullstack premium csp", 1);
        tu_input(wf, "cdm", OFB_TYPE_BOOL, 0, NULL);
        tu_input(wf, "customer", OFB_TYPE_STRING, 0, NULL);
        tu_input(wf, "end_date", OFB_TYPE_DATE, 0, NULL);
        t.fail_at = t.calls + k;
        uint32_t root;
        ofb_error err;
        ofb__src none = {0, 0};
        assert_int_equal(ofb__expr_compile(wf, g, none, &root, &err),
                         OFB_ENOMEM);
        ofb_workflow_unref(wf);
        assert_int_equal(t.live, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choice_equality_picks_the_csp_steps),
        cmocka_unit_test(test_bare_bool_input_and_true_false),
        cmocka_unit_test(test_not_and_or_follow_the_nimbus_documents_rule),
        cmocka_unit_test(test_precedence_is_not_then_and_then_or),
        cmocka_unit_test(test_strings_compare_exactly_with_escapes),
        cmocka_unit_test(test_dates_compare_as_days),
        cmocka_unit_test(test_no_guard_always_applies),
        cmocka_unit_test(test_unset_input_makes_the_guard_unknown),
        cmocka_unit_test(
            test_unset_input_does_not_matter_when_the_result_is_known),
        cmocka_unit_test(test_missing_names_the_first_unset_input_read),
        cmocka_unit_test(test_unknown_input_is_named_with_its_column),
        cmocka_unit_test(test_choice_value_must_be_one_of_the_choices),
        cmocka_unit_test(test_values_must_fit_the_input_type),
        cmocka_unit_test(test_syntax_errors_point_at_the_token),
        cmocka_unit_test(
            test_error_without_a_file_gives_the_column_in_the_guard),
        cmocka_unit_test(test_nesting_deeper_than_the_limit_is_an_error),
        cmocka_unit_test(test_deep_nesting_is_refused_without_a_crash),
        cmocka_unit_test(test_long_or_chain_evaluates_in_a_loop),
    };
    const struct CMUnitTest alloc_tests[] = {
        cmocka_unit_test(test_compile_failures_leak_nothing),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed + cmocka_run_group_tests(alloc_tests, NULL, NULL);
}
