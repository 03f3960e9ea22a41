/*
 * test_export.c - a workflow, and a run of it, as a Graphviz graph, a
 * Mermaid flowchart and a Markdown checklist.
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

/* 2026-11-23 14:02 UTC */
#define T0 ((ofb_time)1795442520)

static const char intercept_like[] =
    "workflow small-intercept 1\n"
    "title \"Offboard a \\\"small\\\" customer\"\n"
    "input tier choice(fullstack, premium, csp) required \"Support tier\"\n"
    "input cdm bool default false\n"
    "step notice \"Customer has sent a notice\"\n"
    "  role csm\n"
    "step meeting \"Set up a meeting with the new MSP\"\n"
    "  role csm\n"
    "  after notice\n"
    "  when tier in (fullstack, premium)\n"
    "step export \"Create an export of all resources\"\n"
    "  role engineer\n"
    "  after meeting\n"
    "  when tier == fullstack\n"
    "step archive \"Archive documents\"\n"
    "  role engineer\n"
    "  after export\n"
    "  when cdm\n"
    "  optional\n"
    "step lighthouse \"Remove Azure Lighthouse\"\n"
    "  role practice-lead-managed-services\n"
    "  after archive\n"
    "  irreversible\n"
    "step handover \"Hand over to the new MSP\"\n"
    "  role csm\n"
    "  after lighthouse\n"
    "  wait accepted timeout 2d\n";

typedef struct text {
    char *data;
    size_t len;
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
    return 0;
}

static int refuse(const char *data, size_t len, void *payload)
{
    (void)data;
    (void)len;
    (void)payload;
    return -42;
}

static ofb_workflow *load(const char *src, const ofb_allocator *alloc)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    ofb_parse_opts opts = {alloc, NULL, NULL, 0};
    int rc = ofb_workflow_parse(&wf, src, strlen(src), "test.ofb", &opts,
                                &err);
    if (rc)
        fail_msg("%s", err.message);
    return wf;
}

static void assert_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle))
        fail_msg("unexpected \"%s\" in:\n%s", needle, hay);
}

/* The line of `text` that contains `needle`, copied into buf. */
static const char *line_with(const char *hay, const char *needle, char *buf,
                             size_t cap)
{
    const char *p = strstr(hay, needle);
    if (!p)
        fail_msg("no line with \"%s\" in:\n%s", needle, hay);
    const char *s = p, *e = p;
    while (s > hay && s[-1] != '\n')
        s--;
    while (*e && *e != '\n')
        e++;
    size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* ------------------------------------------------------------- dot */

static void test_dot_shows_roles_guards_waits_and_prerequisites(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    text t = {0};
    assert_int_equal(ofb_export_dot(wf, NULL, gather, &t), 0);
    assert_has(t.data, "digraph \"small-intercept\" {");
    assert_has(t.data, "role: csm");
    assert_has(t.data, "when: tier in (fullstack, premium)");
    assert_has(t.data, "wait: accepted (timeout 2d)");
    assert_has(t.data, "\"notice\" -> \"meeting\";");
    assert_has(t.data, "\"lighthouse\" -> \"handover\";");
    /* The title's quotes are escaped for dot. */
    assert_has(t.data, "Offboard a \\\"small\\\" customer");
    assert_has(t.data, "}\n");
    free(t.data);
    ofb_workflow_unref(wf);
}

static void test_dot_irreversible_steps_stand_out(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    text t = {0};
    char buf[1024];
    assert_int_equal(ofb_export_dot(wf, NULL, gather, &t), 0);
    const char *l = line_with(t.data, "\"lighthouse\" [", buf, sizeof buf);
    assert_has(l, "shape=octagon");
    assert_has(l, "IRREVERSIBLE");
    l = line_with(t.data, "\"notice\" [", buf, sizeof buf);
    assert_lacks(l, "octagon");
    l = line_with(t.data, "\"archive\" [", buf, sizeof buf);
    assert_has(l, "dashed");
    free(t.data);
    ofb_workflow_unref(wf);
}

static void test_dot_colours_steps_by_the_state_of_a_run(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    ofb_run *run;
    ofb_act act = {"alice", NULL, NULL, 0, T0, NULL, 0};
    char buf[1024];
    assert_int_equal(ofb_run_new(&run, wf, "acme", NULL, NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "tier", "csp", &act, NULL), 0);
    assert_int_equal(ofb_run_start(run, &act, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "notice", &act, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    text t = {0};
    assert_int_equal(ofb_export_dot(wf, run, gather, &t), 0);
    /* done green, skipped grey, ready yellow, blocked white */
    assert_has(line_with(t.data, "\"notice\" [", buf, sizeof buf),
               "fillcolor=\"#b7e4b0\"");
    assert_has(line_with(t.data, "\"meeting\" [", buf, sizeof buf),
               "fillcolor=\"#d9d9d9\"");
    assert_has(line_with(t.data, "\"handover\" [", buf, sizeof buf),
               "fillcolor=\"#ffffff\"");
    assert_has(line_with(t.data, "\"notice\" [", buf, sizeof buf),
               "state: done");
    free(t.data);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* A run colours the graph of its own definition, even through another
 * workflow object with the same hash; a run of another definition is an
 * error, not a silently uncoloured graph. */
static void test_a_run_of_another_definition_is_refused(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    ofb_workflow *same = load(intercept_like, NULL);
    ofb_workflow *other = NULL;
    ofb_error err;
    assert_int_equal(ofb_builtin_load(&other, "pzzle-customer", NULL, &err),
                     0);
    ofb_run *run;
    assert_int_equal(ofb_run_new(&run, other, "acme", NULL, NULL), 0);
    text t = {0};
    assert_int_equal(ofb_export_dot(wf, run, gather, &t), OFB_EINVAL);
    assert_int_equal(ofb_export_mermaid(wf, run, gather, &t), OFB_EINVAL);
    assert_int_equal(ofb_export_checklist(wf, run, gather, &t), OFB_EINVAL);
    assert_null(t.data);
    ofb_run_free(run);

    ofb_act act = {"alice", NULL, NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_run_new(&run, same, "acme", NULL, NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "tier", "csp", &act, NULL), 0);
    assert_int_equal(ofb_run_start(run, &act, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "notice", &act, NULL), 0);
    assert_int_equal(ofb_export_dot(wf, run, gather, &t), 0);
    assert_non_null(strstr(t.data, "state: done"));
    free(t.data);
    ofb_run_free(run);
    ofb_workflow_unref(other);
    ofb_workflow_unref(same);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- mermaid */

static void test_mermaid_flowchart_with_classes(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    text t = {0};
    assert_int_equal(ofb_export_mermaid(wf, NULL, gather, &t), 0);
    assert_has(t.data, "flowchart TD\n");
    assert_has(t.data, "  s0 --> s1\n");
    /* Irreversible steps are hexagons with a red border. */
    assert_has(t.data, "  s4{{\"Remove Azure Lighthouse");
    assert_has(t.data, "class s4 irreversible");
    assert_has(t.data, "class s3 optional");
    assert_has(t.data, "wait: accepted (timeout 2d)");
    assert_has(t.data, "title: \"Offboard a \\\"small\\\" customer");
    assert_lacks(t.data, "classDef done");
    free(t.data);
    ofb_workflow_unref(wf);

    /* Quotes and angle brackets in labels would end them or turn into
     * HTML: written as Mermaid entities. */
    wf = load("workflow q 1\nstep end \"Add the \\\"done\\\" <tag> #1\"\n",
              NULL);
    t.data = NULL;
    t.len = 0;
    assert_int_equal(ofb_export_mermaid(wf, NULL, gather, &t), 0);
    assert_has(t.data, "s0(\"Add the #quot;done#quot; #lt;tag#gt; #35;1<br/>"
                       "[end]\")");
    free(t.data);
    ofb_workflow_unref(wf);
}

static void test_mermaid_colours_steps_by_state(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    ofb_run *run;
    ofb_act act = {"alice", NULL, NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_run_new(&run, wf, "acme", NULL, NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "tier", "fullstack", &act, NULL),
                     0);
    assert_int_equal(ofb_run_start(run, &act, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    text t = {0};
    assert_int_equal(ofb_export_mermaid(wf, run, gather, &t), 0);
    assert_has(t.data, "classDef done fill:");
    assert_has(t.data, "class s0 ready");
    assert_has(t.data, "class s1 blocked");
    free(t.data);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- checklist */

static void test_checklist_has_a_section_per_tier(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    text t = {0};
    assert_int_equal(ofb_export_checklist(wf, NULL, gather, &t), 0);
    assert_has(t.data, "---\nname: \"Offboard a \\\"small\\\" customer\"\n");
    assert_has(t.data, "### Stage 1\n- [ ] CSM >> Customer has sent a "
                       "notice\n");
    /* meeting is in two tiers and shows in both sections */
    assert_has(t.data, "### tier: fullstack\n"
                       "- [ ] CSM >> Set up a meeting with the new MSP\n"
                       "- [ ] Engineer >> Create an export of all "
                       "resources\n");
    assert_has(t.data, "### tier: premium\n"
                       "- [ ] CSM >> Set up a meeting with the new MSP\n");
    /* a bool guard is no tier: the step stays in a stage, with its guard */
    assert_has(t.data, "### Stage 2\n- [ ] Engineer >> Archive documents "
                       "(when cdm) (optional)\n");
    assert_has(t.data, "- [ ] Practice Lead Managed Services >> Remove "
                       "Azure Lighthouse (irreversible)\n");
    assert_has(t.data, "- [ ] Support tier: \"fullstack, premium, csp\"\n");
    free(t.data);
    ofb_workflow_unref(wf);
}

static void test_checklist_ticks_settled_steps_with_who_and_when(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    ofb_store *store;
    ofb_run *run;
    assert_int_equal(ofb_store_memory(&store), 0);
    ofb_run_opts opts = {store, OFB_SYNC_NEVER, 0, NULL, NULL};
    assert_int_equal(ofb_run_new(&run, wf, "acme", &opts, NULL), 0);
    ofb_act alice = {"alice", NULL, NULL, 0, T0, NULL, 0};
    ofb_act bob = {"bob", "no CDM at this customer", NULL, 0, T0 + 3600, NULL, 0};
    assert_int_equal(ofb_run_set_input(run, "tier", "fullstack", &alice,
                                       NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "cdm", "true", &alice, NULL), 0);
    assert_int_equal(ofb_run_start(run, &alice, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "notice", &alice, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "meeting", &alice, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "export", &alice, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    assert_int_equal(ofb_run_skip(run, "archive", &bob, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0 + 3600, NULL, NULL), 0);
    text t = {0};
    assert_int_equal(ofb_export_checklist(wf, run, gather, &t), 0);
    assert_has(t.data, "- [x] CSM >> Customer has sent a notice (done by "
                       "alice, 2026-11-23 14:02 UTC)\n");
    assert_has(t.data, "- [x] ~~Engineer >> Archive documents~~ (skipped by "
                       "bob, 2026-11-23 15:02 UTC: no CDM at this "
                       "customer)\n");
    assert_has(t.data, "- [ ] Practice Lead Managed Services >> Remove Azure "
                       "Lighthouse (irreversible)\n");
    assert_has(t.data, "title: \"[Offboarding] acme\"");
    assert_has(t.data, "- [x] Support tier: \"fullstack\"\n");
    free(t.data);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_checklist_strikes_out_steps_that_do_not_apply(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    ofb_run *run;
    ofb_act act = {"alice", NULL, NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_run_new(&run, wf, "acme", NULL, NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "tier", "csp", &act, NULL), 0);
    assert_int_equal(ofb_run_start(run, &act, NULL), 0);
    assert_int_equal(ofb_run_advance(run, T0, NULL, NULL), 0);
    text t = {0};
    assert_int_equal(ofb_export_checklist(wf, run, gather, &t), 0);
    /* export is not reached yet, but tier == csp already rules it out */
    assert_has(t.data, "- [x] ~~Engineer >> Create an export of all "
                       "resources~~ (does not apply: ");
    assert_has(t.data, "- [ ] CSM >> Customer has sent a notice\n");
    free(t.data);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* ------------------------------------------------------------- contract */

static void test_exports_refuse_an_unsealed_workflow(void **state)
{
    (void)state;
    ofb_workflow *wf;
    text t = {0};
    assert_int_equal(ofb_workflow_new(&wf, "draft", 1, NULL, NULL), 0);
    tu_step(wf, "a", NULL, NULL, 0);
    assert_int_equal(ofb_export_dot(wf, NULL, gather, &t), OFB_ESEALED);
    assert_int_equal(ofb_export_mermaid(wf, NULL, gather, &t), OFB_ESEALED);
    assert_int_equal(ofb_export_checklist(wf, NULL, gather, &t), OFB_ESEALED);
    assert_null(t.data);
    ofb_workflow_unref(wf);
}

static void test_a_writer_error_comes_back_unchanged(void **state)
{
    (void)state;
    ofb_workflow *wf = load(intercept_like, NULL);
    assert_int_equal(ofb_export_dot(wf, NULL, refuse, NULL), -42);
    assert_int_equal(ofb_export_mermaid(wf, NULL, refuse, NULL), -42);
    assert_int_equal(ofb_export_checklist(wf, NULL, refuse, NULL), -42);
    assert_int_equal(ofb_export_dot(NULL, NULL, refuse, NULL), OFB_EINVAL);
    assert_int_equal(ofb_export_dot(wf, NULL, NULL, NULL), OFB_EINVAL);
    ofb_workflow_unref(wf);
}

static void test_exports_fail_cleanly_when_memory_runs_out(void **state)
{
    (void)state;
    tu_alloc ta;
    tu_alloc_init(&ta, 0);
    ofb_workflow *wf = load(intercept_like, &ta.a);
    ofb_run *run;
    ofb_store *store;
    ofb_act act = {"alice", NULL, NULL, 0, T0, NULL, 0};
    assert_int_equal(ofb_store_memory(&store), 0);
    ofb_run_opts opts = {store, OFB_SYNC_NEVER, 0, NULL, NULL};
    assert_int_equal(ofb_run_new(&run, wf, "acme", &opts, NULL), 0);
    assert_int_equal(ofb_run_set_input(run, "tier", "premium", &act, NULL), 0);
    assert_int_equal(ofb_run_start(run, &act, NULL), 0);
    assert_int_equal(ofb_run_complete(run, "notice", &act, NULL), 0);
    for (int kind = 0; kind < 3; kind++) {
        int ok = 0;
        for (long k = 1; k < 10000 && !ok; k++) {
            long live = ta.live;
            ta.fail_at = ta.calls + k;
            text t = {0};
            int rc = kind == 0   ? ofb_export_dot(wf, run, gather, &t)
                     : kind == 1 ? ofb_export_mermaid(wf, run, gather, &t)
                                 : ofb_export_checklist(wf, run, gather, &t);
            ta.fail_at = 0;
            assert_true(rc == OFB_OK || rc == OFB_ENOMEM);
            assert_int_equal(ta.live, live);
            ok = rc == OFB_OK;
            free(t.data);
        }
        assert_true(ok);
    }
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    assert_int_equal(ta.live, 0);
}

static void test_every_built_in_exports(void **state)
{
    (void)state;
    for (size_t i = 0; i < ofb_builtin_count(); i++) {
        ofb_workflow *wf;
        assert_int_equal(ofb_builtin_load(&wf, ofb_builtin_name(i), NULL,
                                          NULL), 0);
        text a = {0}, b = {0}, c = {0};
        assert_int_equal(ofb_export_dot(wf, NULL, gather, &a), 0);
        assert_int_equal(ofb_export_mermaid(wf, NULL, gather, &b), 0);
        assert_int_equal(ofb_export_checklist(wf, NULL, gather, &c), 0);
        /* every step is in the checklist at least once */
        for (size_t s = 0; s < ofb_workflow_step_count(wf); s++) {
            ofb_step_info si;
            assert_int_equal(ofb_workflow_step(wf, s, &si), 0);
            assert_has(c.data, si.title);
            assert_has(a.data, si.id);
        }
        free(a.data);
        free(b.data);
        free(c.data);
        ofb_workflow_unref(wf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_shows_roles_guards_waits_and_prerequisites),
        cmocka_unit_test(test_dot_irreversible_steps_stand_out),
        cmocka_unit_test(test_dot_colours_steps_by_the_state_of_a_run),
        cmocka_unit_test(test_a_run_of_another_definition_is_refused),
        cmocka_unit_test(test_mermaid_flowchart_with_classes),
        cmocka_unit_test(test_mermaid_colours_steps_by_state),
        cmocka_unit_test(test_checklist_has_a_section_per_tier),
        cmocka_unit_test(test_checklist_ticks_settled_steps_with_who_and_when),
        cmocka_unit_test(test_checklist_strikes_out_steps_that_do_not_apply),
        cmocka_unit_test(test_exports_refuse_an_unsealed_workflow),
        cmocka_unit_test(test_a_writer_error_comes_back_unchanged),
        cmocka_unit_test(test_exports_fail_cleanly_when_memory_runs_out),
        cmocka_unit_test(test_every_built_in_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
