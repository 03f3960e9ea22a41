/*
 * test_crash.c - real processes killed at random moments. A child runs an
 * offboarding with OFB_SYNC_EVERY and tells the parent, over a pipe, each
 * thing the library acknowledged; the parent kills it with SIGKILL, reopens
 * the journal, and checks that nothing acknowledged was lost. A new child
 * resumes until the offboarding completes; every handler's side effect must
 * then have happened once per idempotency key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define NSTEPS 8
#define KILLS 300

static const char WF_TEXT[] =
    "workflow crash-test 1\n"
    "input customer string required\n"
    "step disable_sync \"Disable the directory sync job\"\n"
    "step export_mail \"Export the mailboxes\"\n"
    "  after disable_sync\n"
    "step export_files \"Export the file shares\"\n"
    "  after disable_sync\n"
    "step handover \"Hand the exports to the customer\"\n"
    "  after export_mail export_files\n"
    "  manual\n"
    "step remove_users \"Remove the user accounts\"\n"
    "  after handover\n"
    "step remove_tags \"Remove the customer tags\"\n"
    "  after remove_users\n"
    "step revoke_access \"Revoke our admin access\"\n"
    "  after remove_tags\n"
    "step close_ticket \"Close the offboarding ticket\"\n"
    "  after revoke_access\n";

typedef struct child_ctx {
    int report;           /* pipe to the parent */
    const char *effects;  /* side file: one line per effect, by key */
    const char *calls;    /* side file: one line per handler call */
} child_ctx;

static void say(int fd, const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, line, (size_t)n) != n)
        _exit(9);
}

static void append_line(const char *path, const char *line)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        _exit(10);
    size_t n = strlen(line);
    if (write(fd, line, n) != (ssize_t)n)
        _exit(11);
    close(fd);
}

static bool file_has_line(const char *path, const char *line)
{
    FILE *f = fopen(path, "r");
    char buf[256];
    bool found = false;
    if (!f)
        return false;
    while (!found && fgets(buf, sizeof buf, f))
        found = strcmp(buf, line) == 0;
    fclose(f);
    return found;
}

/* An idempotent handler: the effect happens once per key, however often
 * it is called with that key. */
static int handler(ofb_call *call, void *payload)
{
    child_ctx *c = payload;
    char line[256];
    snprintf(line, sizeof line, "%s\n", ofb_call_key(call));
    say(c->report, "B %zu\n", ofb_call_step(call));
    append_line(c->calls, line);
    if (!file_has_line(c->effects, line))
        append_line(c->effects, line);
    return OFB_DONE;
}

static unsigned done_mask(const ofb_run *run)
{
    unsigned m = 0;
    for (size_t i = 0; i < NSTEPS; i++) {
        ofb_step_status st;
        if (ofb_run_step_status(run, i, &st) == OFB_OK &&
            st.state == OFB_STEP_DONE)
            m |= 1u << i;
    }
    return m;
}

static int first_manual(const ofb_next_item *it, void *payload)
{
    if (it->kind == OFB_NEXT_DO) {
        *(size_t *)payload = it->step;
        return 1;
    }
    return 0;
}

/* The child: resume the journal and drive it to the end, reporting every
 * acknowledged change. Exits 0 once the run is complete. */
static void child_main(const char *journal, child_ctx *c)
{
    ofb_workflow *wf;
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    if (ofb_workflow_parse(&wf, WF_TEXT, strlen(WF_TEXT), NULL, NULL, &err))
        _exit(2);
    if (ofb_store_file(&s, journal, 0, &err))
        _exit(3);
    ofb_run_opts o = {0};
    o.store = s;
    o.durability = OFB_SYNC_EVERY;
    if (ofb_run_open(&run, wf, &o, NULL, &err)) {
        fprintf(stderr, "child open: %s\n", err.message);
        _exit(4);
    }
    if (ofb_run_bind(run, OFB_BIND_DEFAULT, NULL, handler, c, NULL, &err))
        _exit(5);
    for (ofb_time now = 1000; ofb_run_status_get(run) == OFB_RUN_ACTIVE;
         now++) {
        int rc = ofb_run_step(run, now, NULL, &err);
        if (rc) {
            fprintf(stderr, "child step: %s\n", err.message);
            _exit(6);
        }
        size_t manual = SIZE_MAX;
        ofb_run_next(run, NULL, first_manual, &manual);
        if (manual != SIZE_MAX) {
            ofb_step_info si;
            ofb_workflow_step(wf, manual, &si);
            ofb_act act = {0};
            act.actor = "tech:bob";
            act.note = "exports handed over";
            if (ofb_run_complete(run, si.id, &act, &err))
                _exit(7);
        }
        say(c->report, "D %u\n", done_mask(run));
    }
    say(c->report, "C\n");
    ofb_run_free(run);
    ofb_workflow_unref(wf);
    _exit(0);
}

static void new_journal(const char *journal)
{
    ofb_workflow *wf;
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    assert_int_equal(ofb_workflow_parse(&wf, WF_TEXT, strlen(WF_TEXT), NULL,
                                        NULL, &err),
                     OFB_OK);
    unlink(journal);
    assert_int_equal(ofb_store_file(&s, journal, OFB_STORE_CREATE, &err),
                     OFB_OK);
    ofb_run_opts o = {0};
    o.store = s;
    assert_int_equal(ofb_run_new(&run, wf, "acme-2026", &o, &err), OFB_OK);
    assert_int_equal(ofb_run_set_input(run, "customer", "Acme Ltd", NULL,
                                       &err),
                     OFB_OK);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_OK);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Every acknowledged change is in the reopened journal. */
static void check_journal(const char *journal, unsigned acked_done,
                          unsigned begun, size_t *records)
{
    ofb_workflow *wf;
    ofb_store *s;
    ofb_run *run;
    ofb_error err;
    ofb_recovery rec;
    assert_int_equal(ofb_workflow_parse(&wf, WF_TEXT, strlen(WF_TEXT), NULL,
                                        NULL, &err),
                     OFB_OK);
    assert_int_equal(ofb_store_file(&s, journal, 0, &err), OFB_OK);
    ofb_run_opts o = {0};
    o.store = s;
    int rc = ofb_run_open(&run, wf, &o, &rec, &err);
    if (rc)
        fail_msg("reopen after kill: %s", err.message);
    unsigned have = done_mask(run);
    assert_int_equal(have & acked_done, acked_done);
    for (size_t i = 0; i < NSTEPS; i++) {
        ofb_step_status st;
        assert_int_equal(ofb_run_step_status(run, i, &st), OFB_OK);
        if (begun & (1u << i))
            assert_true(st.state == OFB_STEP_RUNNING ||
                        st.state == OFB_STEP_DONE);
        if (st.state == OFB_STEP_RUNNING)
            assert_true(st.in_doubt);
    }
    /* Records never go backwards between kills. */
    assert_true(rec.records >= *records);
    *records = rec.records;
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

/* Returns how many handler calls were reruns of an in-doubt step. */
static int check_effects(const char *effects, const char *calls)
{
    int neffects = 0, ncalls = 0;
    char line[256];
    int seen[NSTEPS] = {0};
    FILE *f = fopen(effects, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        neffects++;
        /* acme-2026/<step>/<attempt>: always the first attempt. */
        assert_true(strncmp(line, "acme-2026/", 10) == 0);
        assert_non_null(strstr(line, "/1\n"));
        static const char *const ids[NSTEPS] = {
            "disable_sync", "export_mail", "export_files", "handover",
            "remove_users", "remove_tags", "revoke_access", "close_ticket"};
        for (int i = 0; i < NSTEPS; i++)
            if (strncmp(line + 10, ids[i], strlen(ids[i])) == 0 &&
                line[10 + strlen(ids[i])] == '/')
                seen[i]++;
    }
    fclose(f);
    for (int i = 0; i < NSTEPS; i++)
        assert_int_equal(seen[i], i == 3 ? 0 : 1); /* handover is manual */
    /* A rerun after a crash used the same key. */
    f = fopen(calls, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        assert_non_null(strstr(line, "/1\n"));
        ncalls++;
    }
    fclose(f);
    return ncalls - neffects;
}

static void test_killed_writers_lose_nothing_acknowledged(void **state)
{
    (void)state;
    char dir[] = "/tmp/ofb-crash-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char journal[64], effects[64], calls[64];
    snprintf(journal, sizeof journal, "%s/journal.log", dir);
    snprintf(effects, sizeof effects, "%s/effects", dir);
    snprintf(calls, sizeof calls, "%s/calls", dir);

    unsigned seed = 20261123;
    int kills = 0, completions = 0, lives = 0, reruns = 0;
    unsigned acked = 0, begun = 0;
    size_t records = 0;
    bool fresh = true;
    while (kills < KILLS) {
        if (fresh) {
            new_journal(journal);
            unlink(effects);
            unlink(calls);
            acked = begun = 0;
            records = 0;
            fresh = false;
        }
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_ctx c = {p[1], effects, calls};
            child_main(journal, &c);
        }
        close(p[1]);
        lives++;
        /* Let it live from nothing to a few milliseconds. Every tenth
         * child is spared and runs to the end, so that offboardings
         * complete however slow a loaded machine makes the children. */
        long us = (long)(next_rand(&seed) % 4000);
        struct timespec ts = {0, us * 1000};
        if (lives % 10 != 0) {
            nanosleep(&ts, NULL);
            kill(pid, SIGKILL);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);

        /* Everything the child said before it died. */
        FILE *f = fdopen(p[0], "r");
        char line[64];
        bool completed = false;
        while (fgets(line, sizeof line, f)) {
            unsigned v;
            if (sscanf(line, "D %u", &v) == 1)
                acked = v;
            else if (sscanf(line, "B %u", &v) == 1)
                begun |= 1u << v;
            else if (line[0] == 'C')
                completed = true;
        }
        fclose(f);
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            fail_msg("child failed with status %d", WEXITSTATUS(status));
        if (WIFSIGNALED(status))
            kills++;

        check_journal(journal, acked, begun, &records);
        if (completed) {
            reruns += check_effects(effects, calls);
            completions++;
            fresh = true;
        }
    }
    /* The trials must have reached the end of the offboarding often. */
    assert_true(completions > 5);
    print_message("%d kills, %d completed offboardings, %d processes, %d "
                  "in-doubt reruns\n", kills, completions, lives, reruns);
    unlink(journal);
    unlink(effects);
    unlink(calls);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_killed_writers_lose_nothing_acknowledged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
