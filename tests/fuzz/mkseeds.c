/*
 * mkseeds.c - writes the generated seeds of the fuzz corpora: journals of
 * short runs (with waits, an in-doubt step, a torn end) for fuzz_journal,
 * and the Markdown checklists of the built-ins for fuzz_import.
 *
 *   make fuzz-seeds    (rewrites tests/fuzz/corpus/{journal,import}/gen-*)
 */
#include <ofb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 ((ofb_time)1795424400)

static int collect(const char *d, size_t n, void *payload)
{
    FILE *f = payload;
    return fwrite(d, 1, n, f) == n ? 0 : OFB_EIO;
}

static void die(const char *what, const ofb_error *err)
{
    fprintf(stderr, "mkseeds: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* Mode byte 0x01 (re-seal lines) or 0x00, chunk byte, then the journal. */
static void save_journal(const char *dir, const char *name, ofb_store *s,
                         size_t cut, unsigned mode, unsigned chunk)
{
    const char *data;
    size_t len;
    char path[512];
    ofb_store_memory_data(s, &data, &len);
    snprintf(path, sizeof path, "%s/gen-%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path, NULL);
    fputc((int)mode, f);
    fputc((int)chunk, f);
    fwrite(data, 1, len - cut, f);
    fclose(f);
}

static int done(ofb_call *c, void *p)
{
    (void)p;
    ofb_call_evidence(c, "ticket", "T-1");
    return OFB_DONE;
}

static int broken(ofb_call *c, void *p)
{
    (void)c;
    (void)p;
    return OFB_EUSER; /* leaves the step in doubt */
}

static void journals(const char *dir)
{
    ofb_error err;
    ofb_workflow *wf;
    ofb_store *s;
    ofb_run *run;
    ofb_act a = {"alice", "seed", NULL, 0, T0, NULL, 0};

    /* Intercept, premium tier: people complete, confirm and skip. */
    if (ofb_builtin_load(&wf, "intercept-customer", NULL, &err))
        die("load", &err);
    ofb_store_memory(&s);
    ofb_run_opts o = {s, OFB_SYNC_NEVER, 0, NULL, NULL};
    if (ofb_run_new(&run, wf, "intercept-1", &o, &err))
        die("new", &err);
    ofb_run_set_input(run, "tier", "premium", &a, NULL);
    ofb_run_set_input(run, "contract_end", "2026-11-30", &a, NULL);
    ofb_run_start(run, &a, NULL);
    ofb_run_complete(run, "notice_received", &a, NULL);
    ofb_run_complete(run, "termination_confirmed", &a, NULL);
    ofb_run_complete(run, "meeting_setup", &a, NULL);
    ofb_run_begin(run, "migration_details", &a, NULL);
    ofb_kv ev = {"ticket", "T-42 \"x\""};
    ofb_act b = {"bob", NULL, &ev, 1, T0 + 60, NULL, 0};
    ofb_run_complete(run, "migration_details", &b, NULL);
    save_journal(dir, "intercept.journal", s, 0, 0x00, 0);
    save_journal(dir, "intercept-reseal.journal", s, 0, 0x03, 7);
    save_journal(dir, "intercept-torn.journal", s, 20, 0x00, 0);
    ofb_run_free(run);
    ofb_workflow_unref(wf);

    /* XPM: a handler, a wait with a timeout, a signal, a handler that
     * fails so that its step is left in doubt. */
    if (ofb_builtin_load(&wf, "xpm-nimbus-client", NULL, &err))
        die("load", &err);
    ofb_store_memory(&s);
    o.store = s;
    if (ofb_run_new(&run, wf, "xpm-7", &o, &err))
        die("new", &err);
    ofb_run_set_input(run, "practice_manager", "xpm", &a, NULL);
    ofb_run_set_input(run, "cdm", "false", &a, NULL);
    ofb_run_start(run, &a, NULL);
    ofb_run_complete(run, "history_exported", &a, NULL);
    ofb_run_confirm(run, "archived_in_xpm", &a, NULL);
    ofb_run_complete(run, "archived_in_xpm", &a, NULL);
    ofb_run_bind(run, OFB_BIND_STEP, "full_sync", done, NULL, NULL, NULL);
    ofb_run_bind(run, OFB_BIND_STEP, "entity_checked", broken, NULL, NULL,
                 NULL);
    ofb_run_advance(run, T0 + 100, NULL, NULL);
    ofb_run_signal(run, "nimbus_sync_done", &a, NULL);
    ofb_run_advance(run, T0 + 200, NULL, NULL);
    save_journal(dir, "xpm-in-doubt.journal", s, 0, 0x01, 0);
    save_journal(dir, "xpm-verify.journal", s, 0, 0x09, 0);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void checklists(const char *dir)
{
    for (size_t i = 0; i < ofb_builtin_count(); i++) {
        const char *name = ofb_builtin_name(i);
        ofb_workflow *wf;
        ofb_error err;
        char path[512];
        if (ofb_builtin_load(&wf, name, NULL, &err))
            die("load", &err);
        snprintf(path, sizeof path, "%s/gen-%s.md", dir, name);
        FILE *f = fopen(path, "wb");
        if (!f)
            die(path, NULL);
        ofb_export_checklist(wf, NULL, collect, f);
        fclose(f);
        ofb_workflow_unref(wf);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mkseeds JOURNAL-DIR CHECKLIST-DIR\n");
        return 2;
    }
    journals(argv[1]);
    checklists(argv[2]);
    return 0;
}
