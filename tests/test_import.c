/*
 * test_import.c - Markdown checklists, as MSPs keep them in GitHub issue
 * templates, turned into workflows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofb.h"
#include "testutil.h"

typedef struct text {
    char *data;
    size_t len;
    int lines;
} text;

static int gather(const char *data, size_t len, void *payload)
{
    text *t = payload;
    char *p = realloc(t->data, t->len + len + 1);
    assert_non_null(p);
    t->data = p;
    memcpy(t->data + t->len, data, len);
    t->len += len;
    t->data[t->len] = '\0';
    for (size_t i = 0; i < len; i++)
        t->lines += data[i] == '\n';
    return 0;
}

static int stop(const char *data, size_t len, void *payload)
{
    (void)data;
    (void)len;
    (void)payload;
    return -7;
}

/* Imports md; the result must parse. Returns the workflow, notes in *notes
 * (may be NULL). */
static ofb_workflow *import(const char *md, size_t len, text *notes)
{
    text out = {0}, tmp = {0};
    ofb_error err;
    int rc = ofb_import_checklist(md, len, "test.md", gather, &out, gather,
                                  notes ? notes : &tmp, &err);
    if (rc)
        fail_msg("import: %s", err.message);
    ofb_workflow *wf = NULL;
    rc = ofb_workflow_parse(&wf, out.data, out.len, "imported", NULL, &err);
    if (rc)
        fail_msg("%s\n%s", err.message, out.data);
    free(out.data);
    free(tmp.data);
    return wf;
}

static ofb_workflow *import_s(const char *md, text *notes)
{
    return import(md, strlen(md), notes);
}

static ofb_step_info step(const ofb_workflow *wf, const char *id)
{
    size_t i;
    ofb_step_info si;
    if (ofb_workflow_find_step(wf, id, &i) != OFB_OK)
        fail_msg("no step '%s'", id);
    assert_int_equal(ofb_workflow_step(wf, i, &si), 0);
    return si;
}

static void assert_after(const ofb_workflow *wf, const char *id,
                         const char *list)
{
    ofb_step_info si = step(wf, id);
    char buf[1024] = "";
    for (size_t k = 0; k < si.nafter; k++) {
        if (k)
            strcat(buf, " ");
        strcat(buf, si.after[k]);
    }
    assert_string_equal(buf, list);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* The plan's steps that run, as "id id id". */
typedef struct planned {
    const ofb_workflow *wf;
    char ids[4096];
} planned;

static int on_plan(const ofb_plan_item *it, void *payload)
{
    planned *p = payload;
    ofb_step_info si;
    if (it->kind != OFB_PLAN_RUN)
        return 0;
    assert_int_equal(ofb_workflow_step(p->wf, it->step, &si), 0);
    if (p->ids[0])
        strcat(p->ids, " ");
    strcat(p->ids, si.id);
    return 0;
}

static const char *plan(const ofb_workflow *wf, const char *tier,
                        planned *p)
{
    ofb_kv kv = {"tier", tier};
    p->wf = wf;
    p->ids[0] = '\0';
    assert_int_equal(ofb_workflow_plan(wf, &kv, 1, on_plan, p, NULL), 0);
    return p->ids;
}

/* ------------------------------------------------------------- the seed */

static void test_intercept_checklist_becomes_one_workflow_with_tiers(
    void **state)
{
    (void)state;
    size_t len = 0;
    char *md = read_file("tests/data/intercept-checklist.md", &len);
    if (!md)
        skip();
    text notes = {0};
    ofb_workflow *wf = import(md, len, &notes);
    assert_string_equal(ofb_workflow_id(wf),
                        "intercept-offboarding-customer");
    assert_string_equal(ofb_workflow_title(wf),
                        "Intercept | Offboarding customer");

    /* the tiers are the sections, described by the detail line */
    size_t ix;
    ofb_input_info in;
    assert_int_equal(ofb_workflow_find_input(wf, "tier", &ix), 0);
    assert_int_equal(ofb_workflow_input(wf, ix, &in), 0);
    assert_int_equal(in.type, OFB_TYPE_CHOICE);
    assert_int_equal(in.nchoices, 3);
    assert_string_equal(in.choices[0], "full_stack");
    assert_string_equal(in.choices[1], "premium");
    assert_string_equal(in.choices[2], "csp");
    assert_true(in.required);
    assert_string_equal(in.description, "Support Tier that will end");
    assert_int_equal(ofb_workflow_find_input(wf, "contract_enddate", &ix), 0);
    assert_int_equal(ofb_workflow_input(wf, ix, &in), 0);
    assert_int_equal(in.type, OFB_TYPE_DATE);

    /* 2 steps of stage 0 and 16 distinct steps over the three tiers */
    assert_int_equal(ofb_workflow_step_count(wf), 18);
    ofb_step_info si = step(wf, "accept_transfer_of_csp_move");
    assert_string_equal(si.role, "practice-lead-managed-services");
    assert_string_equal(si.when, "");  /* in every tier */
    si = step(wf, "setup_meeting_with_customer_and_new_msp");
    assert_string_equal(si.role, "csm");
    assert_string_equal(si.when, "tier in (full_stack, premium)");
    si = step(wf, "create_export_of_all_resources");
    assert_string_equal(si.when, "tier == full_stack");
    si = step(wf, "customer_has_send_a_notice_of_contract_termination");
    assert_string_equal(si.role, "");
    si = step(wf, "terminate_contract_in_topdesk");
    assert_true(si.flags & OFB_STEP_IRREVERSIBLE);

    /* each tier's list keeps its order, after stage 0 */
    assert_after(wf, "provide_details_for_migration_csp_to_new_msp",
                 "a_confirmation_of_contract_termination_is_sent_to_the_"
                 "customer setup_meeting_with_customer_and_new_msp");
    planned p;
    assert_string_equal(
        plan(wf, "csp", &p),
        "customer_has_send_a_notice_of_contract_termination "
        "a_confirmation_of_contract_termination_is_sent_to_the_customer "
        "provide_details_for_migration_csp_to_new_msp "
        "remove_all_intercept_policies remove_all_intercept_resources "
        "remove_azure_lighthouse accept_transfer_of_csp_move "
        "disable_access_to_reassure remove_articals_in_reassure "
        "terminate_contract_in_topdesk");
    assert_non_null(strstr(plan(wf, "full_stack", &p),
                           "create_export_of_all_resources"));
    assert_null(strstr(plan(wf, "premium", &p),
                       "create_export_of_all_resources"));

    /* every guess is one line and says so */
    assert_non_null(strstr(notes.data, "are alternatives"));
    assert_non_null(strstr(notes.data, "has no role"));
    assert_non_null(strstr(notes.data, "is in 2 tiers"));
    for (const char *l = notes.data; *l;) {
        assert_non_null(strstr(l, "guess: "));
        const char *e = strchr(l, '\n');
        assert_non_null(e);
        assert_true(strstr(l, "guess: ") < e);
        l = e + 1;
    }
    free(notes.data);
    free(md);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- details */

static void test_roles_come_from_the_prefix_and_ids_from_the_text(void **state)
{
    (void)state;
    ofb_workflow *wf = import_s("## Stage 1\n"
                                "- [ ] Account Manager >> Call the customer\n"
                                "* [x] CSM >> Call the customer\n"
                                "1. [ ] Call the customer!\n",
                                NULL);
    assert_int_equal(ofb_workflow_step_count(wf), 3);
    assert_string_equal(step(wf, "call_the_customer").role,
                        "account-manager");
    assert_string_equal(step(wf, "call_the_customer_2").role, "csm");
    assert_string_equal(step(wf, "call_the_customer_3").role, "");
    assert_after(wf, "call_the_customer_2", "call_the_customer");
    assert_after(wf, "call_the_customer_3", "call_the_customer_2");
    ofb_workflow_unref(wf);
}

static void test_long_titles_give_ids_of_at_most_64_bytes(void **state)
{
    (void)state;
    char md[2048] = "- [ ] Engineer >> ";
    for (int i = 0; i < 40; i++)
        strcat(md, "remove everything ");
    strcat(md, "\n");
    ofb_workflow *wf = import_s(md, NULL);
    ofb_step_info si;
    assert_int_equal(ofb_workflow_step(wf, 0, &si), 0);
    assert_true(strlen(si.id) <= OFB_ID_MAX);
    assert_true(strlen(si.id) > 32);
    assert_int_not_equal(si.id[strlen(si.id) - 1], '_');
    ofb_workflow_unref(wf);
}

static void test_numbered_stages_are_a_sequence_not_tiers(void **state)
{
    (void)state;
    ofb_workflow *wf = import_s("## Stage 1\n- [ ] CSM >> Notify\n"
                                "- [ ] CSM >> Confirm\n"
                                "## Stage 2\n- [ ] Engineer >> Remove\n",
                                NULL);
    assert_int_equal(ofb_workflow_input_count(wf), 0);
    assert_after(wf, "remove", "confirm");
    assert_string_equal(step(wf, "remove").when, "");
    ofb_workflow_unref(wf);
}

static void test_shared_steps_of_alternatives_become_one_step(void **state)
{
    (void)state;
    ofb_workflow *wf = import_s("### Windows clients\n"
                                "- [ ] Tech >> Uninstall agent\n"
                                "- [ ] Tech >> Remove from domain\n"
                                "### Mac clients\n"
                                "- [ ] Tech >> Remove profile\n"
                                "- [ ] Tech >> Uninstall agent\n"
                                "### Wrap up\n"
                                "- [ ] CSM >> Close ticket\n",
                                NULL);
    /* "clients" is shared: the two sections are alternatives */
    ofb_input_info in;
    size_t ix;
    assert_int_equal(ofb_workflow_find_input(wf, "tier", &ix), 0);
    assert_int_equal(ofb_workflow_input(wf, ix, &in), 0);
    assert_string_equal(in.choices[0], "windows");
    assert_string_equal(in.choices[1], "mac");
    assert_int_equal(ofb_workflow_step_count(wf), 4);
    assert_string_equal(step(wf, "uninstall_agent").when, "");
    assert_string_equal(step(wf, "remove_profile").when, "tier == mac");
    /* the order of each list is kept: the merge places the Mac-only step
     * before the shared one */
    assert_after(wf, "uninstall_agent", "remove_profile");
    assert_after(wf, "close_ticket", "uninstall_agent remove_from_domain");
    planned p;
    assert_string_equal(plan(wf, "mac", &p),
                        "remove_profile uninstall_agent close_ticket");
    assert_string_equal(plan(wf, "windows", &p),
                        "uninstall_agent remove_from_domain close_ticket");
    ofb_workflow_unref(wf);
}

static void test_detail_lines_become_inputs(void **state)
{
    (void)state;
    text notes = {0};
    ofb_workflow *wf = import_s("- [ ] CSM >> Start\n"
                                "- [ ] Contract enddate: \"\"\n"
                                "- [ ] Go-live date: \"2026-12-01\"\n"
                                "- [ ] Keep backups: \"true\"\n"
                                "- [ ] Region: \"EU, US\"\n"
                                "- [ ] New supplier is \"\"\n",
                                &notes);
    assert_int_equal(ofb_workflow_step_count(wf), 1);
    assert_int_equal(ofb_workflow_input_count(wf), 5);
    ofb_input_info in;
    assert_int_equal(ofb_workflow_input(wf, 0, &in), 0);
    assert_string_equal(in.id, "contract_enddate");
    assert_int_equal(in.type, OFB_TYPE_DATE);
    assert_null(in.default_value);
    assert_int_equal(ofb_workflow_input(wf, 1, &in), 0);
    assert_int_equal(in.type, OFB_TYPE_DATE);
    assert_string_equal(in.default_value, "2026-12-01");
    assert_int_equal(ofb_workflow_input(wf, 2, &in), 0);
    assert_int_equal(in.type, OFB_TYPE_BOOL);
    assert_int_equal(ofb_workflow_input(wf, 3, &in), 0);
    assert_int_equal(in.type, OFB_TYPE_CHOICE);
    assert_string_equal(in.choices[1], "us");
    assert_int_equal(ofb_workflow_input(wf, 4, &in), 0);
    assert_string_equal(in.id, "new_supplier_is");
    assert_int_equal(in.type, OFB_TYPE_STRING);
    assert_non_null(strstr(notes.data, "becomes input 'contract_enddate'"));
    free(notes.data);
    ofb_workflow_unref(wf);
}

static void test_exported_checklist_reads_back(void **state)
{
    (void)state;
    ofb_workflow *wf;
    assert_int_equal(ofb_builtin_load(&wf, "intercept-customer", NULL, NULL),
                     0);
    text md = {0};
    assert_int_equal(ofb_export_checklist(wf, NULL, gather, &md), 0);
    ofb_workflow *back = import(md.data, md.len, NULL);
    /* the same steps, roles and tiers */
    assert_int_equal(ofb_workflow_step_count(back),
                     ofb_workflow_step_count(wf));
    size_t ix;
    ofb_input_info in;
    assert_int_equal(ofb_workflow_find_input(back, "tier", &ix), 0);
    assert_int_equal(ofb_workflow_input(back, ix, &in), 0);
    /* csp has no section of its own (no step is for csp alone): the
     * detail line listing the tiers brings it back */
    assert_int_equal(in.nchoices, 3);
    assert_string_equal(in.choices[2], "csp");
    assert_string_equal(
        step(back, "create_an_export_of_all_resources").when,
        "tier == fullstack");
    assert_true(step(back, "remove_azure_lighthouse").flags &
                OFB_STEP_IRREVERSIBLE);
    assert_string_equal(step(back, "accept_the_transfer_of_the_csp_move").role,
                        "practice-lead");
    free(md.data);
    ofb_workflow_unref(back);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- hostile */

static void test_nothing_usable_is_a_syntax_error(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "", "# Just a heading\n", "Some prose.\n\nMore prose.\n",
        "- [ ] Contract enddate: \"\"\n", "- [ ] CSM >>\n", "```\n- [ ] a\n```\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        text out = {0};
        ofb_error err;
        int rc = ofb_import_checklist(inputs[i], strlen(inputs[i]), "x.md",
                                      gather, &out, NULL, NULL, &err);
        assert_int_equal(rc, OFB_ESYNTAX);
        assert_non_null(strstr(err.message, "x.md"));
        assert_null(out.data);
    }
    assert_int_equal(ofb_import_checklist(NULL, 0, NULL, gather, NULL, NULL,
                                          NULL, NULL),
                     OFB_ESYNTAX);
    assert_int_equal(ofb_import_checklist("x", 1, NULL, NULL, NULL, NULL,
                                          NULL, NULL),
                     OFB_EINVAL);
}

static void test_a_writer_error_stops_the_import(void **state)
{
    (void)state;
    const char md[] = "- [ ] CSM >> Notify\n";
    assert_int_equal(ofb_import_checklist(md, strlen(md), NULL, stop, NULL,
                                          NULL, NULL, NULL),
                     -7);
    text out = {0};
    assert_int_equal(ofb_import_checklist(md, strlen(md), NULL, gather, &out,
                                          stop, NULL, NULL),
                     -7);
    free(out.data);
}

static void test_hostile_text_never_breaks_the_import(void **state)
{
    (void)state;
    /* invalid UTF-8, control characters, quotes and backslashes, NULs */
    static const char odd[] =
        "- [ ] \xff\xfe >> \x01 a \"quoted\" \\ title\t\n"
        "- [ ] R\xc3\xa9le >> caf\xc3\xa9 \xed\xa0\x80 x\n"
        "- [ ] 123 >> 456\n"
        "## \n- [ ] >> only a title\n"
        "- [ ] a\0b >> c\n";
    ofb_workflow *wf = import(odd, sizeof odd - 1, NULL);
    assert_true(ofb_workflow_step_count(wf) >= 4);
    ofb_workflow_unref(wf);

    /* random bytes: either a valid definition or a syntax error */
    srand(4511);
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    assert_non_null(buf);
    /* A piece that does not fit ends a round early: the rest of the input
     * is then left over from earlier rounds, never uninitialised. */
    memset(buf, 'x', cap);
    static const char *const pieces[] = {"- [ ] ", ">>", "\n", "### ", "\"",
                                         ": \"\"", " offboarding", "x",
                                         "CSM", "---\n", "1. ", "~~"};
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)rand() % cap;
        for (size_t i = 0; i < n;) {
            if (rand() % 3 == 0) {
                const char *p = pieces[rand() % 12];
                size_t l = strlen(p);
                if (i + l > n)
                    break;
                memcpy(buf + i, p, l);
                i += l;
            } else {
                buf[i++] = (char)(rand() & 0xff);
            }
        }
        text out = {0};
        ofb_error err;
        int rc = ofb_import_checklist(buf, n, "noise.md", gather, &out, NULL,
                                      NULL, &err);
        assert_true(rc == OFB_OK || rc == OFB_ESYNTAX);
        if (rc == OFB_OK) {
            ofb_workflow *w = NULL;
            rc = ofb_workflow_parse(&w, out.data, out.len, "noise", NULL,
                                    &err);
            if (rc)
                fail_msg("%s", err.message);
            ofb_workflow_unref(w);
        }
        free(out.data);
    }
    free(buf);
}

static void test_many_equal_lines_stay_fast(void **state)
{
    (void)state;
    /* 20000 identical lines in two alternative sections: ids stay unique
     * and the merge stays linear. */
    size_t cap = 2 * 20000 * 24 + 64, n = 0;
    char *md = malloc(cap);
    assert_non_null(md);
    for (int s = 0; s < 2; s++) {
        n += (size_t)sprintf(md + n, "### %s offboarding\n", s ? "B" : "A");
        for (int i = 0; i < 20000; i++)
            n += (size_t)sprintf(md + n, "- [ ] X >> same\n");
    }
    ofb_workflow *wf = import(md, n, NULL);
    assert_int_equal(ofb_workflow_step_count(wf), 20000);
    assert_string_equal(step(wf, "same_20000").when, "");
    ofb_workflow_unref(wf);
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_intercept_checklist_becomes_one_workflow_with_tiers),
        cmocka_unit_test(test_roles_come_from_the_prefix_and_ids_from_the_text),
        cmocka_unit_test(test_long_titles_give_ids_of_at_most_64_bytes),
        cmocka_unit_test(test_numbered_stages_are_a_sequence_not_tiers),
        cmocka_unit_test(test_shared_steps_of_alternatives_become_one_step),
        cmocka_unit_test(test_detail_lines_become_inputs),
        cmocka_unit_test(test_exported_checklist_reads_back),
        cmocka_unit_test(test_nothing_usable_is_a_syntax_error),
        cmocka_unit_test(test_a_writer_error_stops_the_import),
        cmocka_unit_test(test_hostile_text_never_breaks_the_import),
        cmocka_unit_test(test_many_equal_lines_stay_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
