/*
 * fuzz_import.c - the Markdown checklist importer.
 *
 * Whatever the Markdown, import fails only with a documented code and a
 * message, or produces .ofb text that the parser accepts as it is; that
 * workflow then round-trips through its canonical text.
 */
#include "fuzz.h"

static int count_notes(const char *d, size_t n, void *payload)
{
    (void)d;
    FZ_CHECK(n > 0, "empty note");
    (*(size_t *)payload)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_text out = {0};
    size_t notes = 0;
    ofb_error err;
    memset(&err, 0, sizeof err);
    int rc = ofb_import_checklist((const char *)data, size, "fuzz.md",
                                  fz_text_write, &out, count_notes, &notes,
                                  &err);
    if (rc) {
        FZ_CHECK(rc == OFB_ESYNTAX || rc == OFB_ELIMIT,
                 "import returned %d: %s", rc, err.message);
        FZ_CHECK(err.code == rc && err.message[0], "no message for %d", rc);
        fz_text_free(&out);
        return 0;
    }
    FZ_CHECK(out.len > 0, "import succeeded with no text");

    ofb_workflow *wf = NULL;
    rc = ofb_workflow_parse(&wf, out.data, out.len, "imported.ofb", NULL,
                            &err);
    FZ_CHECK(rc == 0, "imported text does not parse: %s\n--- text:\n%s",
             err.message, out.data);

    fz_text canon = {0};
    FZ_CHECK(ofb_workflow_write(wf, fz_text_write, &canon) == 0, "write");
    ofb_workflow *again = NULL;
    rc = ofb_workflow_parse(&again, canon.data, canon.len, "canonical", NULL,
                            &err);
    FZ_CHECK(rc == 0, "canonical text of an import does not parse: %s",
             err.message);
    FZ_CHECK(strcmp(ofb_workflow_hash(wf), ofb_workflow_hash(again)) == 0,
             "canonical text of an import parses to another hash");

    ofb_workflow_unref(again);
    ofb_workflow_unref(wf);
    fz_text_free(&canon);
    fz_text_free(&out);
    return 0;
}
