/*
 * Writes half an Intercept offboarding to a journal with the C API, so the
 * Python tests can resume a journal that Python did not write.
 * Usage: write_journal PATH
 */
#include <stdio.h>

#include "ofb.h"

static int check(int rc, const ofb_error *err)
{
    if (rc < 0)
        fprintf(stderr, "write_journal: %s\n", err->message);
    return rc;
}

int main(int argc, char **argv)
{
    ofb_workflow *wf = NULL;
    ofb_run *run = NULL;
    ofb_run_opts opts = {0};
    ofb_error err = {0};
    ofb_kv ticket = {"ticket", "T-4711"};
    ofb_act bob = {"tech:bob", "notice filed", &ticket, 1, 1700000000, NULL, 0};
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: write_journal PATH\n");
        return 2;
    }
    if (check(ofb_builtin_load(&wf, "intercept-customer", NULL, &err), &err) < 0 ||
        check(ofb_store_file(&opts.store, argv[1],
                             OFB_STORE_CREATE | OFB_STORE_EXCL, &err), &err) < 0)
        return 3;
    rc = check(ofb_run_new(&run, wf, "acme-c", &opts, &err), &err);
    if (rc < 0)
        ofb_store_close(opts.store);
    if (rc == 0)
        rc = check(ofb_run_set_input(run, "tier", "csp", &bob, &err), &err);
    if (rc == 0)
        rc = check(ofb_run_start(run, &bob, &err), &err);
    if (rc == 0)
        rc = check(ofb_run_complete(run, "notice_received", &bob, &err), &err);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    return rc < 0 ? 1 : 0;
}
