/*
 * test_store.c - journal stores: the file (append, read back, truncate,
 * one writer at a time, across processes and within one) and memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static const char WF_TEXT[] =
    "workflow store-test 1\n"
    "input customer string\n"
    "step notify \"Tell the customer\"\n"
    "step export \"Export the data\"\n"
    "  after notify\n"
    "step cleanup \"Remove the accounts\"\n"
    "  after export\n";

static void temp_path(char *path, size_t n)
{
    snprintf(path, n, "/tmp/ofb-store-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
}

static ofb_workflow *load_wf(void)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    if (ofb_workflow_parse(&wf, WF_TEXT, strlen(WF_TEXT), NULL, NULL, &err))
        fprintf(stderr, "parse: %s\n", err.message);
    return wf;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_a_file_store_appends_reads_back_and_truncates(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    ofb_store *s;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, path, OFB_STORE_CREATE, &err),
                     OFB_OK);
    assert_int_equal(s->lock(s, 0), OFB_OK);
    assert_int_equal(s->append(s, "hello ", 6), OFB_OK);
    assert_int_equal(s->append(s, "world\n", 6), OFB_OK);
    assert_int_equal(s->sync(s), OFB_OK);
    char buf[32];
    size_t got;
    assert_int_equal(s->read(s, 0, buf, sizeof buf, &got), OFB_OK);
    assert_int_equal(got, 12);
    assert_memory_equal(buf, "hello world\n", 12);
    assert_int_equal(s->read(s, 6, buf, 3, &got), OFB_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "wor", 3);
    assert_int_equal(s->read(s, 12, buf, sizeof buf, &got), OFB_OK);
    assert_int_equal(got, 0);
    assert_int_equal(s->truncate(s, 5), OFB_OK);
    assert_int_equal(s->append(s, "!\n", 2), OFB_OK);
    assert_int_equal(s->read(s, 0, buf, sizeof buf, &got), OFB_OK);
    assert_int_equal(got, 7);
    assert_memory_equal(buf, "hello!\n", 7);
    /* Not a memory store. */
    const char *d;
    size_t n;
    assert_int_equal(ofb_store_memory_data(s, &d, &n), OFB_EINVAL);
    ofb_store_close(s);
    unlink(path);
}

static void test_opening_names_the_file_and_the_reason(void **state)
{
    (void)state;
    ofb_store *s;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, "/nonexistent-dir/j.log", 0, &err),
                     OFB_EIO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/j.log"));
    assert_non_null(strstr(err.message, "No such file"));

    char path[64];
    temp_path(path, sizeof path);
    assert_int_equal(ofb_store_file(&s, path, OFB_STORE_CREATE |
                                                  OFB_STORE_EXCL, &err),
                     OFB_OK);
    ofb_store_close(s);
    assert_int_equal(ofb_store_file(&s, path, OFB_STORE_CREATE |
                                                  OFB_STORE_EXCL, &err),
                     OFB_EIO);
    assert_non_null(strstr(err.message, "already exists"));
    assert_int_equal(ofb_store_file(&s, "/tmp", 0, &err), OFB_EIO);
    assert_int_equal(ofb_store_file(NULL, path, 0, &err), OFB_EINVAL);
    ofb_store_close(NULL);
    unlink(path);
}

static void test_a_read_only_store_never_writes(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    ofb_store *w, *r;
    ofb_error err;
    assert_int_equal(ofb_store_file(&w, path, OFB_STORE_CREATE, &err),
                     OFB_OK);
    assert_int_equal(w->lock(w, 0), OFB_OK);
    assert_int_equal(w->append(w, "x\n", 2), OFB_OK);
    assert_int_equal(ofb_store_file(&r, path, OFB_STORE_READONLY, &err),
                     OFB_OK);
    /* Reading needs no lock, so a reader works beside the writer. */
    assert_int_equal(r->lock(r, 0), OFB_OK);
    assert_int_equal(r->append(r, "y\n", 2), OFB_EIO);
    assert_int_equal(r->truncate(r, 0), OFB_EIO);
    char buf[8];
    size_t got;
    assert_int_equal(r->read(r, 0, buf, sizeof buf, &got), OFB_OK);
    assert_int_equal(got, 2);
    /* Closing the reader leaves the writer's lock alone. */
    ofb_store_close(r);
    ofb_store *w2;
    assert_int_equal(ofb_store_file(&w2, path, 0, &err), OFB_OK);
    assert_int_equal(w2->lock(w2, 0), OFB_EBUSY);
    ofb_store_close(w2);
    ofb_store_close(w);
    unlink(path);
}

static void test_a_second_writer_in_the_same_process_is_refused(void **state)
{
    (void)state;
    ofb_workflow *wf = load_wf();
    char path[64];
    temp_path(path, sizeof path);
    ofb_store *s1, *s2;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s1, path, OFB_STORE_CREATE, &err),
                     OFB_OK);
    ofb_run_opts o = {0};
    o.store = s1;
    ofb_run *run, *run2;
    assert_int_equal(ofb_run_new(&run, wf, "cust-1", &o, &err), OFB_OK);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_OK);

    assert_int_equal(ofb_store_file(&s2, path, 0, &err), OFB_OK);
    o.store = s2;
    assert_int_equal(ofb_run_open(&run2, NULL, &o, NULL, &err), OFB_EBUSY);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "in use by another writer"));
    ofb_store_close(s2);

    /* Once the first run is gone, the journal opens. */
    ofb_run_free(run);
    assert_int_equal(ofb_store_file(&s2, path, 0, &err), OFB_OK);
    o.store = s2;
    ofb_recovery rec;
    assert_int_equal(ofb_run_open(&run2, NULL, &o, &rec, &err), OFB_OK);
    assert_int_equal(rec.records, 2);
    ofb_run_free(run2);
    ofb_workflow_unref(wf);
    unlink(path);
}

/* A child that holds the journal open as a writer until told to go. */
static pid_t hold_in_child(const char *path, int *go_fd, int ms_then_exit)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        /* No cmocka here: the child only reports through its exit. */
        ofb_workflow *wf = load_wf();
        ofb_store *s;
        ofb_run *run;
        ofb_recovery rec;
        ofb_error e;
        if (!wf || ofb_store_file(&s, path, 0, &e))
            _exit(2);
        ofb_run_opts o = {0};
        o.store = s;
        if (ofb_run_open(&run, wf, &o, &rec, &e)) {
            fprintf(stderr, "child: %s\n", e.message);
            _exit(3);
        }
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        if (ms_then_exit > 0) {
            struct timespec ts = {0, ms_then_exit * 1000000L};
            nanosleep(&ts, NULL);
            _exit(0);
        }
        char c;
        if (read(go[0], &c, 1) < 0)
            _exit(5);
        ofb_run_complete(run, "notify", NULL, NULL);
        ofb_run_free(run);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    *go_fd = go[1];
    return pid;
}

static void make_journal(const char *path)
{
    ofb_workflow *wf = load_wf();
    ofb_store *s;
    ofb_error err;
    ofb_run *run;
    assert_int_equal(ofb_store_file(&s, path, OFB_STORE_CREATE, &err),
                     OFB_OK);
    ofb_run_opts o = {0};
    o.store = s;
    assert_int_equal(ofb_run_new(&run, wf, "cust-1", &o, &err), OFB_OK);
    assert_int_equal(ofb_run_start(run, NULL, &err), OFB_OK);
    ofb_run_free(run);
    ofb_workflow_unref(wf);
}

static void test_a_second_writer_process_gets_ebusy_and_the_file_stays_whole(
    void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    make_journal(path);
    int go;
    pid_t pid = hold_in_child(path, &go, 0);

    ofb_workflow *wf = load_wf();
    ofb_store *s;
    ofb_error err;
    ofb_run *run;
    assert_int_equal(ofb_store_file(&s, path, 0, &err), OFB_OK);
    ofb_run_opts o = {0};
    o.store = s;
    assert_int_equal(ofb_run_open(&run, wf, &o, NULL, &err), OFB_EBUSY);
    assert_non_null(strstr(err.message, "is in use by another writer"));
    assert_non_null(strstr(err.message, path));
    /* The refused writer wrote nothing; the holder goes on. */
    assert_int_equal(write(go, "g", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ofb_verify_report rep;
    assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_OK);
    assert_int_equal(rep.records, 3);
    assert_int_equal(rep.torn_bytes, 0);
    ofb_recovery rec;
    assert_int_equal(ofb_run_open(&run, wf, &o, &rec, &err), OFB_OK);
    assert_int_equal(rec.records, 3);
    ofb_run_free(run);
    close(go);
    ofb_workflow_unref(wf);
    unlink(path);
}

static void test_a_bounded_lock_wait_gives_up_after_about_the_timeout(
    void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    make_journal(path);
    int go;
    pid_t pid = hold_in_child(path, &go, 0);

    ofb_store *s;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, path, 0, &err), OFB_OK);
    double t0 = now_ms();
    assert_int_equal(s->lock(s, 0), OFB_EBUSY);
    assert_true(now_ms() - t0 < 50);
    t0 = now_ms();
    assert_int_equal(s->lock(s, 300), OFB_EBUSY);
    double took = now_ms() - t0;
    assert_true(took >= 300 && took < 1000);
    assert_int_equal(write(go, "g", 1), 1);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(s->lock(s, 0), OFB_OK);
    ofb_store_close(s);
    close(go);
    unlink(path);
}

static void test_a_lock_wait_succeeds_when_the_writer_leaves(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    make_journal(path);
    int go;
    pid_t pid = hold_in_child(path, &go, 150);

    ofb_store *s;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, path, 0, &err), OFB_OK);
    double t0 = now_ms();
    assert_int_equal(s->lock(s, 5000), OFB_OK);
    assert_true(now_ms() - t0 < 2000);
    int status;
    waitpid(pid, &status, 0);
    ofb_store_close(s);
    close(go);
    unlink(path);
}

static void test_a_memory_store_keeps_its_bytes(void **state)
{
    (void)state;
    ofb_store *s;
    assert_int_equal(ofb_store_memory(&s), OFB_OK);
    const char *d;
    size_t n;
    assert_int_equal(ofb_store_memory_data(s, &d, &n), OFB_OK);
    assert_int_equal(n, 0);
    char big[10000];
    memset(big, 'x', sizeof big);
    for (int i = 0; i < 10; i++)
        assert_int_equal(s->append(s, big, sizeof big), OFB_OK);
    assert_int_equal(s->lock(s, 0), OFB_OK);
    assert_int_equal(s->sync(s), OFB_OK);
    assert_int_equal(ofb_store_memory_data(s, &d, &n), OFB_OK);
    assert_int_equal(n, 100000);
    assert_int_equal(s->truncate(s, 10), OFB_OK);
    char buf[32];
    size_t got;
    assert_int_equal(s->read(s, 5, buf, sizeof buf, &got), OFB_OK);
    assert_int_equal(got, 5);
    assert_int_equal(s->read(s, 50, buf, sizeof buf, &got), OFB_OK);
    assert_int_equal(got, 0);
    ofb_store_close(s);
}

static void test_a_journal_file_is_made_durable_with_its_directory(
    void **state)
{
    (void)state;
    /* A journal created in the current directory (a bare file name). */
    char dir[] = "/tmp/ofb-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char old[4096];
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(dir), 0);
    make_journal("journal.log");
    ofb_store *s;
    ofb_error err;
    assert_int_equal(ofb_store_file(&s, "journal.log", OFB_STORE_READONLY,
                                    &err),
                     OFB_OK);
    ofb_verify_report rep;
    assert_int_equal(ofb_journal_verify(s, &rep, &err), OFB_OK);
    assert_int_equal(rep.records, 2);
    ofb_store_close(s);
    unlink("journal.log");
    assert_int_equal(chdir(old), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_file_store_appends_reads_back_and_truncates),
        cmocka_unit_test(test_opening_names_the_file_and_the_reason),
        cmocka_unit_test(test_a_read_only_store_never_writes),
        cmocka_unit_test(test_a_second_writer_in_the_same_process_is_refused),
        cmocka_unit_test(
            test_a_second_writer_process_gets_ebusy_and_the_file_stays_whole),
        cmocka_unit_test(
            test_a_bounded_lock_wait_gives_up_after_about_the_timeout),
        cmocka_unit_test(test_a_lock_wait_succeeds_when_the_writer_leaves),
        cmocka_unit_test(test_a_memory_store_keeps_its_bytes),
        cmocka_unit_test(
            test_a_journal_file_is_made_durable_with_its_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
