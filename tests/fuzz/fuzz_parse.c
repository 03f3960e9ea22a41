/*
 * fuzz_parse.c - the .ofb parser and sealing.
 *
 * Whatever the bytes, parsing returns a documented code with a message,
 * and never more errors than asked for. Whatever parses must round-trip:
 * its canonical text parses to a workflow with the same hash, and writing
 * that again gives the same bytes. Plans and exports of any parsed
 * workflow succeed.
 */
#include "fuzz.h"

typedef struct diag_count {
    unsigned n;
} diag_count;

static void on_diag(const ofb_error *e, void *payload)
{
    diag_count *d = payload;
    FZ_CHECK(e->code < 0 && e->message[0], "diag without a code or message");
    d->n++;
}

static int on_plan(const ofb_plan_item *it, void *payload)
{
    size_t *n = payload;
    FZ_CHECK(it->position == *n + 1, "plan position %zu after %zu",
             it->position, *n);
    FZ_CHECK(it->reason != NULL, "plan item without a reason");
    (*n)++;
    return 0;
}

static int discard(const char *d, size_t n, void *payload)
{
    (void)d;
    (void)n;
    (void)payload;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks an error bound, so that small ones are tried. */
    unsigned max_errors = size ? data[0] % 4 : 0;
    diag_count dc = {0};
    ofb_parse_opts opts = {NULL, on_diag, &dc, max_errors};
    ofb_workflow *wf = (ofb_workflow *)1;
    ofb_error err;
    memset(&err, 0, sizeof err);

    int rc = ofb_workflow_parse(&wf, (const char *)data, size, "fuzz.ofb",
                                &opts, &err);
    unsigned bound = max_errors ? max_errors : 20;
    if (rc) {
        FZ_CHECK(wf == NULL, "failed parse left *out set");
        /* The codes ofb_workflow_parse documents, the definition API's
         * OFB_ETYPE (a default that does not fit its input) and OFB_EINVAL
         * (e.g. a retry backoff without a retry count) included. */
        FZ_CHECK(rc == OFB_ESYNTAX || rc == OFB_EDEFINITION ||
                     rc == OFB_ELIMIT || rc == OFB_ETYPE || rc == OFB_EINVAL,
                 "unexpected code %d (%s)", rc, err.message);
        FZ_CHECK(err.code == rc, "err.code %d, returned %d", err.code, rc);
        FZ_CHECK(err.message[0] != '\0', "no message for code %d", rc);
        FZ_CHECK(strchr(err.message, '\n') == NULL,
                 "message of more than one line: %s", err.message);
        FZ_CHECK(dc.n >= 1 && dc.n <= bound, "%u diagnostics, bound %u",
                 dc.n, bound);
        return 0;
    }
    FZ_CHECK(dc.n == 0, "success with %u diagnostics", dc.n);
    FZ_CHECK(ofb_workflow_is_sealed(wf), "parsed workflow not sealed");
    const char *hash = ofb_workflow_hash(wf);
    FZ_CHECK(hash && strlen(hash) == 64, "bad hash");

    fz_text t1 = {0}, t2 = {0};
    FZ_CHECK(ofb_workflow_write(wf, fz_text_write, &t1) == 0, "write failed");
    ofb_workflow *again = NULL;
    rc = ofb_workflow_parse(&again, t1.data, t1.len, "canonical", NULL, &err);
    FZ_CHECK(rc == 0, "canonical text does not parse: %s\n%s", err.message,
             t1.data);
    FZ_CHECK(strcmp(ofb_workflow_hash(again), hash) == 0,
             "canonical text parses to another hash");
    FZ_CHECK(ofb_workflow_write(again, fz_text_write, &t2) == 0,
             "second write failed");
    FZ_CHECK(t1.len == t2.len && memcmp(t1.data, t2.data, t1.len) == 0,
             "canonical text is not stable");
    FZ_CHECK(ofb_workflow_step_count(again) == ofb_workflow_step_count(wf),
             "step count changed");

    size_t n = 0;
    rc = ofb_workflow_plan(wf, NULL, 0, on_plan, &n, &err);
    FZ_CHECK(rc == 0, "plan failed: %s", err.message);
    FZ_CHECK(n == ofb_workflow_step_count(wf), "plan of %zu steps, not %zu",
             n, ofb_workflow_step_count(wf));
    FZ_CHECK(ofb_export_dot(wf, NULL, discard, NULL) == 0, "dot failed");
    FZ_CHECK(ofb_export_mermaid(wf, NULL, discard, NULL) == 0,
             "mermaid failed");
    FZ_CHECK(ofb_export_checklist(wf, NULL, discard, NULL) == 0,
             "checklist failed");

    fz_text_free(&t1);
    fz_text_free(&t2);
    ofb_workflow_unref(again);
    ofb_workflow_unref(wf);
    return 0;
}
