/*
 * event-loop.c - embed libofb in a host's poll() loop.
 *
 * The library never sleeps, reads no clock and starts no thread, so a host
 * with its own event loop drives many runs at once:
 *   - ofb_run_advance(run, now, &next) runs what is ready and says when the
 *     run next needs the host: the poll() timeout is min(next) - now;
 *   - a handler that starts slow work returns OFB_WAIT with an event name;
 *     when the result arrives on a file descriptor, the host calls
 *     ofb_run_signal and advances that run again;
 *   - a handler that hits a transient error returns OFB_RETRY; the retry's
 *     due time (backoff doubling) comes back through `next`.
 *
 * Here 50 customers' SaaS tenants are removed at once, with a workflow
 * given inline (ofb_workflow_parse). The SaaS provider is simulated: its
 * mailbox exports finish after a few seconds and their completions arrive
 * on a pipe (standing in for a socket); its licensing API rate-limits some
 * calls. Time is a simulated clock running 100 times faster than real time
 * (one simulated second is 10 ms), so the whole thing takes well under two
 * seconds while every timeout really is waited for in poll().
 *
 * Usage: event-loop
 */
#include <ofb.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NRUNS 50
#define MS_PER_SECOND 10 /* real milliseconds per simulated second */

static const char WORKFLOW[] =
    "workflow saas-tenant-removal 1\n"
    "title \"Remove a customer's SaaS tenant\"\n"
    "input customer string required\n"
    "step sessions_revoked \"Revoke every session\"\n"
    "  action api\n"
    "step mailboxes_exported \"Export the mailboxes for the customer\"\n"
    "  action export\n"
    "  after sessions_revoked\n"
    "step licences_released \"Release the licences\"\n"
    "  action api\n"
    "  after sessions_revoked\n"
    "  retry 4 backoff 1s\n"
    "step tenant_deleted \"Delete the tenant\"\n"
    "  action api\n"
    "  after mailboxes_exported licences_released\n";

/* ---------------------------------------------------------------- clock */

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */
static long long start_ms;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ofb_time sim_now(void)
{
    return T0 + (mono_ms() - start_ms) / MS_PER_SECOND;
}

/* Milliseconds from now until simulated time t (0 if already passed). */
static int ms_until(ofb_time t)
{
    long long due = start_ms + (long long)(t - T0) * MS_PER_SECOND;
    long long d = due - mono_ms();
    return d < 0 ? 0 : (int)d;
}

/* ------------------------------------------------ the simulated provider */

struct job {
    int run;
    int id;
    ofb_time done_at;
    int sent;
};

/* What travels on the pipe: whole records, smaller than PIPE_BUF, so each
 * write arrives in one piece. */
struct completion {
    int run;
    int job;
};

struct provider {
    struct job jobs[NRUNS];
    int njobs;
    int licence_calls[NRUNS];
    int exported[NRUNS], released[NRUNS], deleted[NRUNS];
    int refused;  /* deletions it had to refuse: an order broken */
    int wire;     /* the pipe's write end */
};

/* Sends the completions that are due; returns when the next one is. */
static ofb_time provider_tick(struct provider *p, ofb_time now)
{
    ofb_time next = OFB_NEVER;
    for (int i = 0; i < p->njobs; i++) {
        struct job *j = &p->jobs[i];
        if (j->sent)
            continue;
        if (j->done_at <= now) {
            struct completion c = {j->run, j->id};
            if (write(p->wire, &c, sizeof c) == (ssize_t)sizeof c) {
                p->exported[j->run] = 1;
                j->sent = 1;
            }
        } else if (j->done_at < next) {
            next = j->done_at;
        }
    }
    return next;
}

/* ------------------------------------------------------------ the host */

struct host;

struct slot {
    struct host *host;
    int i;
    ofb_run *run;
    ofb_time wake;   /* when the run next needs advancing */
};

struct host {
    struct slot slots[NRUNS];
    struct provider provider;
    int retries, waits, signals, timer_wakeups, io_wakeups;
};

/* Runs 0 to 2 tell their story; the rest only count. */
static void trace(const struct slot *s, ofb_time now, const char *step,
                  const char *what)
{
    if (s->i < 3)
        printf("  t=+%2llds  %s  %-20s %s\n", (long long)(now - T0),
               ofb_run_id(s->run), step, what);
}

static int api(ofb_call *call, void *payload)
{
    struct slot *s = payload;
    struct provider *p = &s->host->provider;
    const char *step = ofb_call_step_id(call);
    ofb_time now = ofb_call_time(call);
    if (strcmp(step, "licences_released") == 0) {
        /* Run i is rate-limited on its first i % 3 calls. */
        if (++p->licence_calls[s->i] <= s->i % 3) {
            ofb_call_reason(call, "429 Too Many Requests");
            s->host->retries++;
            trace(s, now, step, "429 Too Many Requests: retry after backoff");
            return OFB_RETRY;
        }
        p->released[s->i] = 1;
    } else if (strcmp(step, "tenant_deleted") == 0) {
        if (!p->exported[s->i] || !p->released[s->i]) {
            p->refused++;
            ofb_call_reason(call, "mailboxes or licences still there");
            return OFB_FAIL;
        }
        p->deleted[s->i] = 1;
    }
    trace(s, now, step, "done");
    return OFB_DONE;
}

/* Starts an export job and returns at once: the run waits for the job's
 * own event, which the host signals when the provider reports it done. */
static int export_start(ofb_call *call, void *payload)
{
    struct slot *s = payload;
    struct provider *p = &s->host->provider;
    if (p->njobs == NRUNS) {
        ofb_call_reason(call, "provider busy");
        return OFB_FAIL;
    }
    struct job *j = &p->jobs[p->njobs++];
    j->run = s->i;
    j->id = 100 + p->njobs;
    j->done_at = ofb_call_time(call) + 2 + s->i % 7;
    j->sent = 0;
    char event[16], id[16];
    snprintf(event, sizeof event, "job-%d", j->id);
    snprintf(id, sizeof id, "%d", j->id);
    ofb_call_wait(call, event);
    ofb_call_evidence(call, "job", id);
    s->host->waits++;
    char what[64];
    snprintf(what, sizeof what, "export started, waits for event %s", event);
    trace(s, ofb_call_time(call), ofb_call_step_id(call), what);
    return OFB_WAIT;
}

static int setup(struct host *h, ofb_workflow *wf)
{
    ofb_error err;
    for (int i = 0; i < NRUNS; i++) {
        struct slot *s = &h->slots[i];
        char id[32], customer[32];
        snprintf(id, sizeof id, "cust-%02d", i);
        snprintf(customer, sizeof customer, "Customer %02d", i);
        s->host = h;
        s->i = i;
        s->wake = T0;
        if (ofb_run_new(&s->run, wf, id, NULL, &err) ||
            ofb_run_set_input(s->run, "customer", customer, NULL, &err) ||
            ofb_run_start(s->run, NULL, &err) ||
            ofb_run_bind(s->run, OFB_BIND_ACTION, "api", api, s, NULL, &err) ||
            ofb_run_bind(s->run, OFB_BIND_ACTION, "export", export_start, s,
                         NULL, &err)) {
            fprintf(stderr, "event-loop: %s: %s\n", id, err.message);
            return -1;
        }
    }
    return 0;
}

/* Reads every completion on the pipe and signals its run. */
static int receive(struct host *h, int fd, ofb_time now)
{
    struct completion c[64];
    ssize_t n;
    while ((n = read(fd, c, sizeof c)) > 0) {
        for (size_t k = 0; k < (size_t)n / sizeof *c; k++) {
            struct slot *s = &h->slots[c[k].run];
            char event[16];
            ofb_error err;
            snprintf(event, sizeof event, "job-%d", c[k].job);
            ofb_act provider = {"provider", NULL, NULL, 0, now, NULL, 0};
            if (ofb_run_signal(s->run, event, &provider, &err)) {
                fprintf(stderr, "event-loop: signal: %s\n", err.message);
                return -1;
            }
            h->signals++;
            char what[64];
            snprintf(what, sizeof what, "event %s arrived: export done",
                     event);
            trace(s, now, "mailboxes_exported", what);
            s->wake = now; /* what follows the export can run now */
        }
    }
    return n < 0 && errno != EAGAIN ? -1 : 0;
}

int main(void)
{
    static struct host h;
    ofb_error err;
    ofb_workflow *wf;
    int fds[2], rc = 1;

    if (ofb_workflow_parse(&wf, WORKFLOW, sizeof WORKFLOW - 1, "inline.ofb",
                           NULL, &err)) {
        fprintf(stderr, "event-loop: %s\n", err.message);
        return 1;
    }
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        perror("event-loop: pipe");
        ofb_workflow_unref(wf);
        return 1;
    }
    h.provider.wire = fds[1];
    printf("libofb %s: %d runs of '%s' in one poll() loop\n", ofb_version(),
           NRUNS, ofb_workflow_title(wf));
    printf("(one simulated second = %d ms; only cust-00 to cust-02 are "
           "traced)\n", MS_PER_SECOND);

    start_ms = mono_ms();
    if (setup(&h, wf))
        goto out;

    int completed = 0, turns = 0;
    while (completed < NRUNS) {
        ofb_time now = sim_now();
        ofb_time next = provider_tick(&h.provider, now);
        completed = 0;
        for (int i = 0; i < NRUNS; i++) {
            struct slot *s = &h.slots[i];
            if (s->wake <= now &&
                ofb_run_advance(s->run, now, &s->wake, &err)) {
                fprintf(stderr, "event-loop: %s: %s\n", ofb_run_id(s->run),
                        err.message);
                goto out;
            }
            completed += ofb_run_status_get(s->run) == OFB_RUN_COMPLETED;
            if (s->wake < next)
                next = s->wake;
        }
        if (completed == NRUNS)
            break;
        if (next == OFB_NEVER && h.signals == h.provider.njobs) {
            fprintf(stderr, "event-loop: stuck: nothing will wake a run\n");
            goto out;
        }
        if (mono_ms() - start_ms > 5000) {
            fprintf(stderr, "event-loop: too slow, giving up\n");
            goto out;
        }

        /* The host's one wait: its file descriptors, or the earliest time
         * the library or the provider needs it, whichever comes first. */
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int timeout = next == OFB_NEVER ? -1 : ms_until(next);
        int n = poll(&pfd, 1, timeout);
        turns++;
        if (n < 0 && errno != EINTR) {
            perror("event-loop: poll");
            goto out;
        }
        if (n > 0) {
            h.io_wakeups++;
            if (receive(&h, fds[0], sim_now()))
                goto out;
        } else if (n == 0) {
            h.timer_wakeups++;
        }
    }

    long long elapsed = mono_ms() - start_ms;
    int expected_retries = 0, deleted = 0;
    for (int i = 0; i < NRUNS; i++) {
        expected_retries += i % 3;
        deleted += h.provider.deleted[i];
    }
    printf("\n%d runs completed, %d tenants deleted, %d refused\n", completed,
           deleted, h.provider.refused);
    printf("%d exports waited for and signalled (%d), %d retries after 429\n",
           h.waits, h.signals, h.retries);
    printf("%d poll() turns: %d woken by the pipe, %d by a timeout; %lld "
           "simulated seconds in %lld ms\n", turns, h.io_wakeups,
           h.timer_wakeups, (long long)(sim_now() - T0), elapsed);
    int ok = completed == NRUNS && deleted == NRUNS && !h.provider.refused &&
             h.waits == NRUNS && h.signals == NRUNS &&
             h.retries == expected_retries && elapsed < 2000;
    if (ok)
        printf("\nevent-loop: %d runs complete in one poll() loop (%d async "
               "waits, %d retries)\n", NRUNS, h.waits, h.retries);
    else
        printf("\nevent-loop: the runs did NOT complete as expected\n");
    rc = ok ? 0 : 1;
out:
    for (int i = 0; i < NRUNS; i++)
        ofb_run_free(h.slots[i].run);
    ofb_workflow_unref(wf);
    close(fds[0]);
    close(fds[1]);
    return rc;
}
