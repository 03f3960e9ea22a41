/*
 * rmm-contact.c - remove a contact of an RMM customer, across processes.
 *
 * The procedure is the built-in `rmm-remove-contact` workflow. Saving the
 * ticket with the removal template emails the user-offboarding form to the
 * customer's ticket contact; the contact is removed only once the form is
 * back. That can take days, so the process that saved the ticket does not
 * stay around: the run lives in its journal file.
 *
 * The program starts two copies of itself (fork + exec), one after the
 * other, and waits for each:
 *   1. `--open JOURNAL`: the PSA integration prepares and saves the ticket;
 *      removing the contact is refused while the form is not in; the
 *      process exits;
 *   2. `--form-submitted JOURNAL`: two days later the customer submits the
 *      form; a new process reopens the run from the journal, delivers the
 *      signal, and the integration removes the contact.
 * Then it verifies the journal's hash chain and prints the audit trail and
 * the ticket system's final state.
 *
 * The ticket system is simulated in a file mapped by every process, like a
 * remote PSA that outlives the programs talking to it.
 *
 * Usage: rmm-contact [JOURNAL]   (default: rmm-contact-demo.journal, replaced)
 */
#include <ofb.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------- the simulated ticket system */

struct contact {
    char name[48];
    char email[64];
    int active;
    int removed_at;  /* the system's change counter when removed, or 0 */
};

struct psa {
    struct contact contacts[4];
    int ncontacts;
    int ticket;
    char ticket_contact[48];
    char category[48];
    char template_name[80];
    char checklist[64];
    int saved;
    char outbox[4][96];
    int nmail;
    int form_in;          /* the customer's form has been submitted */
    int form_in_at;       /* change counter when it arrived */
    char form_answers[160];
    int changes;          /* counts every change, to prove their order */
};

static const char *const TEMPLATE =
    "[Current Customer] Remove Contact/User for Current RMM Customer";

/* Maps the ticket system's file, creating it when create is set. */
static struct psa *psa_map(const char *path, int create)
{
    int fd = open(path, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);
    if (fd < 0)
        return NULL;
    void *p = MAP_FAILED;
    if (ftruncate(fd, sizeof(struct psa)) == 0)
        p = mmap(NULL, sizeof(struct psa), PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

static void psa_init(struct psa *p)
{
    memset(p, 0, sizeof *p);
    p->contacts[0] = (struct contact){"Sam Ortiz", "sam@acme.example", 1, 0};
    p->contacts[1] = (struct contact){"Dana Whitfield", "dana@acme.example", 1,
                                      0};
    p->contacts[2] = (struct contact){"Lee Park", "lee@acme.example", 1, 0};
    p->ncontacts = 3;
    p->ticket = 20871;
    snprintf(p->ticket_contact, sizeof p->ticket_contact, "Sam Ortiz");
}

static struct contact *psa_contact(struct psa *p, const char *name)
{
    for (int i = 0; i < p->ncontacts; i++)
        if (strcmp(p->contacts[i].name, name) == 0)
            return &p->contacts[i];
    return NULL;
}

/* Saving with the removal template sends the form: that is the template's
 * notification ("[External] Send User Offboarding Form to ticket contact"),
 * to the ticket contact and the primary resource. */
static int psa_save_ticket(struct psa *p)
{
    if (!p->ticket_contact[0] || strcmp(p->template_name, TEMPLATE) != 0)
        return -1;
    p->saved = 1;
    snprintf(p->outbox[p->nmail++], sizeof p->outbox[0],
             "to %s: User offboarding form (T%d)", p->ticket_contact,
             p->ticket);
    snprintf(p->outbox[p->nmail++], sizeof p->outbox[0],
             "to primary resource: User offboarding form sent (T%d)",
             p->ticket);
    p->changes++;
    return 0;
}

static void psa_print(const struct psa *p)
{
    printf("  ticket T%d: saved %s, form submitted %s\n", p->ticket,
           p->saved ? "yes" : "no", p->form_in ? "yes" : "no");
    printf("  contacts:");
    for (int i = 0; i < p->ncontacts; i++)
        printf(" %s%s", p->contacts[i].name,
               p->contacts[i].active ? "" : " (removed)");
    printf("\n");
}

/* ---------------------------------------------------------------- common */

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */
static const char *const RUN_ID = "acme-remove-dana";
static const char *const LEAVER = "Dana Whitfield";

static int fail(const char *what, int rc, const ofb_error *err)
{
    fprintf(stderr, "rmm-contact: %s: %s\n", what,
            err && err->message[0] ? err->message : ofb_strerror(rc));
    return 1;
}

static void refusal(int rc, const ofb_error *err)
{
    printf("  refused (%s): %s\n", ofb_strerror(rc), err->message);
}

static char *psa_path(const char *journal)
{
    size_t n = strlen(journal) + 5;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.psa", journal);
    return p;
}

static void print_time(ofb_time t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* ------------------------------------------------- the PSA integration */

/* Every step is a call on the ticket system's API. Saving the ticket sends
 * the form; the workflow's step then waits for it, so DONE there means
 * "sent", not "finished". */
static int psa_integration(ofb_call *call, void *payload)
{
    struct psa *p = payload;
    const char *step = ofb_call_step_id(call);
    char proof[64] = "";
    if (strcmp(step, "category_set") == 0) {
        snprintf(p->category, sizeof p->category,
                 "Administrative Change/Request");
    } else if (strcmp(step, "contact_confirmed") == 0) {
        if (!p->ticket_contact[0]) {
            ofb_call_reason(call, "the ticket contact field is empty");
            return OFB_FAIL;
        }
        snprintf(proof, sizeof proof, "%s", p->ticket_contact);
    } else if (strcmp(step, "template_applied") == 0) {
        snprintf(p->template_name, sizeof p->template_name, "%s", TEMPLATE);
    } else if (strcmp(step, "generic_checklist") == 0 ||
               strcmp(step, "customer_checklist") == 0) {
        snprintf(p->checklist, sizeof p->checklist, "%s user removal",
                 step[0] == 'g' ? "Generic" : "Acme");
        snprintf(proof, sizeof proof, "%s", p->checklist);
    } else if (strcmp(step, "ticket_saved") == 0) {
        if (psa_save_ticket(p) != 0) {
            ofb_call_reason(call, "no ticket contact or removal template");
            return OFB_FAIL;
        }
        snprintf(proof, sizeof proof, "form sent to %s", p->ticket_contact);
    } else if (strcmp(step, "contact_removed") == 0) {
        const char *user = ofb_run_input(ofb_call_run(call), "user");
        struct contact *c = user ? psa_contact(p, user) : NULL;
        if (!c) {
            ofb_call_reason(call, "no such contact");
            return OFB_FAIL;
        }
        c->active = 0;
        c->removed_at = ++p->changes;
        snprintf(proof, sizeof proof, "%s", c->email);
    }
    if (proof[0])
        ofb_call_evidence(call, "result", proof);
    printf("  auto  %-20s T%d %s\n", step, p->ticket, proof);
    return OFB_DONE;
}

/* ------------------------------------------- process 1: save the ticket */

static int open_phase(const char *journal)
{
    ofb_error err;
    ofb_workflow *wf;
    ofb_store *store;
    ofb_run *run;
    int rc;
    char *pp = psa_path(journal);
    struct psa *p = pp ? psa_map(pp, 0) : NULL;
    free(pp);
    if (!p)
        return fail("ticket system", OFB_EIO, NULL);
    printf("[process 1, pid %ld] prepares the ticket\n", (long)getpid());

    if ((rc = ofb_builtin_load(&wf, "rmm-remove-contact", NULL, &err)))
        return fail("workflow", rc, &err);
    if ((rc = ofb_store_file(&store, journal, OFB_STORE_CREATE | OFB_STORE_EXCL,
                             &err)))
        return fail("journal", rc, &err);
    ofb_run_opts opts = {store, OFB_SYNC_EVERY, 0, NULL, NULL};
    if ((rc = ofb_run_new(&run, wf, RUN_ID, &opts, &err))) {
        ofb_store_close(store);
        return fail("new run", rc, &err);
    }
    ofb_workflow_unref(wf); /* the run holds its own reference */
    ofb_act tech = {"tech:jordan", NULL, NULL, 0, T0, NULL, 0};
    if ((rc = ofb_run_set_input(run, "user", LEAVER, &tech, &err)) ||
        (rc = ofb_run_set_input(run, "checklist", "customer_specific", &tech,
                                &err)) ||
        (rc = ofb_run_start(run, &tech, &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_ROLE, "technician", psa_integration,
                           p, NULL, &err)))
        goto out;

    ofb_time next;
    if ((rc = ofb_run_advance(run, T0 + 300, &next, &err)))
        goto out;
    size_t i;
    ofb_step_status st;
    ofb_workflow_find_step(ofb_run_workflow(run), "ticket_saved", &i);
    ofb_run_step_status(run, i, &st);
    char due[32];
    print_time(st.due, due, sizeof due);
    printf("  ticket_saved is %s for '%s' (follow-up if nothing by %s)\n",
           ofb_step_state_name(st.state), st.event, due);

    printf("  The technician tries to remove %s now:\n", LEAVER);
    rc = ofb_run_complete(run, "contact_removed", &tech, &err);
    refusal(rc, &err);
    if (rc != OFB_EPREREQ) {
        rc = 1;
        goto out_quiet;
    }
    printf("  %s is still a contact: %s\n", LEAVER,
           psa_contact(p, LEAVER)->active ? "yes" : "no");
    printf("[process 1] closes the run and exits; the journal holds it\n\n");
    rc = 0;
    goto out_quiet;
out:
    rc = fail("run", rc, &err);
out_quiet:
    ofb_run_free(run);
    munmap(p, sizeof *p);
    return rc ? 1 : 0;
}

/* ------------------------------- process 2: the form arrives, days later */

static int form_phase(const char *journal)
{
    ofb_error err;
    ofb_workflow *wf;
    ofb_store *store;
    ofb_run *run;
    ofb_recovery rec;
    int rc;
    char *pp = psa_path(journal);
    struct psa *p = pp ? psa_map(pp, 0) : NULL;
    free(pp);
    if (!p)
        return fail("ticket system", OFB_EIO, NULL);
    ofb_time later = T0 + 2 * 86400;

    printf("[process 2, pid %ld] two days later, Sam submits the form\n",
           (long)getpid());
    p->form_in = 1;
    p->form_in_at = ++p->changes;
    snprintf(p->form_answers, sizeof p->form_answers,
             "remove %s; mailbox to shared, forwarded to Lee Park", LEAVER);

    if ((rc = ofb_builtin_load(&wf, "rmm-remove-contact", NULL, &err)))
        return fail("workflow", rc, &err);
    if ((rc = ofb_store_file(&store, journal, 0, &err))) {
        ofb_workflow_unref(wf);
        return fail("journal", rc, &err);
    }
    ofb_run_opts opts = {store, OFB_SYNC_EVERY, 0, NULL, NULL};
    /* Passing wf makes the open refuse a journal of another definition. */
    rc = ofb_run_open(&run, wf, &opts, &rec, &err);
    ofb_workflow_unref(wf);
    if (rc) {
        ofb_store_close(store);
        return fail("reopen", rc, &err);
    }
    size_t counts[8];
    ofb_run_counts(run, counts);
    printf("  reopened run %s: %zu records replayed, %zu steps done, %zu "
           "waiting, user %s\n", ofb_run_id(run), rec.records,
           counts[OFB_STEP_DONE], counts[OFB_STEP_WAITING],
           ofb_run_input(run, "user"));

    ofb_kv form = {"form", "F-20871-1"};
    ofb_act customer = {"customer:sam.ortiz", p->form_answers, &form, 1, later, NULL, 0};
    if ((rc = ofb_run_signal(run, "offboarding_form_submitted", &customer,
                             &err)))
        goto out;
    printf("  signal offboarding_form_submitted: ticket_saved is done\n");
    /* Handlers are code, not data: a new process binds them again. */
    if ((rc = ofb_run_bind(run, OFB_BIND_ROLE, "technician", psa_integration,
                           p, NULL, &err)) ||
        (rc = ofb_run_advance(run, later + 1800, NULL, &err)))
        goto out;
    printf("[process 2] run is %s\n\n",
           ofb_run_status_name(ofb_run_status_get(run)));
    rc = 0;
    goto out_quiet;
out:
    rc = fail("run", rc, &err);
out_quiet:
    ofb_run_free(run);
    munmap(p, sizeof *p);
    return rc ? 1 : 0;
}

/* ------------------------------------------- process 0: start and check */

static int spawn(const char *self, const char *mode, const char *journal)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *args[] = {(char *)self, (char *)mode, (char *)journal, NULL};
        execvp(self, args);
        fprintf(stderr, "rmm-contact: exec %s: %s\n", self, strerror(errno));
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct trail {
    int records;
    int removals[2];    /* contact_removed settled before / after the form */
    int signal_seen;
};

static int print_event(const ofb_event *ev, void *payload)
{
    struct trail *t = payload;
    char when[32];
    t->records++;
    if (ev->kind == OFB_EV_SIGNAL)
        t->signal_seen = 1;
    if ((ev->kind == OFB_EV_COMPLETE || ev->kind == OFB_EV_OUTCOME) &&
        strcmp(ev->step, "contact_removed") == 0)
        t->removals[t->signal_seen]++;
    if (ev->kind == OFB_EV_CREATE || ev->kind == OFB_EV_BEGIN)
        return 0;
    print_time(ev->time, when, sizeof when);
    printf("  %3llu %s  %-8s %-26s %s", (unsigned long long)ev->seq, when,
           ofb_event_kind_name(ev->kind), *ev->step ? ev->step : ev->name,
           *ev->actor ? ev->actor : "(integration)");
    for (size_t i = 0; i < ev->nevidence; i++)
        printf("  %s=%s", ev->evidence[i].key, ev->evidence[i].value);
    printf("\n");
    return 0;
}

static int coordinator(const char *self, const char *journal)
{
    ofb_error err;
    int rc;
    char *pp = psa_path(journal);
    struct psa *p = pp ? psa_map(pp, 1) : NULL;
    if (!p) {
        free(pp);
        return fail("ticket system", OFB_EIO, NULL);
    }
    psa_init(p);
    unlink(journal);
    printf("libofb %s: remove a contact of an RMM customer\n", ofb_version());
    printf("Ticket system before:\n");
    psa_print(p);
    printf("\n");

    int ok = spawn(self, "--open", journal) == 0;
    ok = ok && spawn(self, "--form-submitted", journal) == 0;

    /* Read-only: the audit trail can be checked by anyone, at any time. */
    ofb_store *store = NULL;
    ofb_verify_report vr;
    struct trail t = {0};
    if (ok && (rc = ofb_store_file(&store, journal, OFB_STORE_READONLY, &err)))
        ok = !fail("journal", rc, &err);
    if (ok && (rc = ofb_journal_verify(store, &vr, &err)))
        ok = !fail("verify", rc, &err);
    if (ok) {
        printf("Journal %s: %zu records, hash chain intact (last %.16s...)\n",
               journal, vr.records, vr.last_hash);
        if ((rc = ofb_journal_read(store, print_event, &t, &err)))
            ok = !fail("read", rc, &err);
    }
    ofb_store_close(store);

    printf("\nTicket system after:\n");
    psa_print(p);
    for (int i = 0; i < p->nmail; i++)
        printf("  outbox: %s\n", p->outbox[i]);
    const struct contact *c = psa_contact(p, LEAVER);
    ok = ok && p->saved && p->form_in && !c->active &&
         c->removed_at > p->form_in_at && t.removals[0] == 0 &&
         t.removals[1] == 1 &&
         psa_contact(p, "Sam Ortiz")->active && t.signal_seen;
    munmap(p, sizeof *p);
    unlink(pp);
    free(pp);
    if (ok) {
        printf("\nrmm-contact: contact removed after the form came in (run "
               "resumed in a new process)\n");
        return 0;
    }
    printf("\nrmm-contact: the removal did NOT go as expected\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--open") == 0)
        return open_phase(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--form-submitted") == 0)
        return form_phase(argv[2]);
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: rmm-contact [JOURNAL]\n");
        return 2;
    }
    return coordinator(argv[0],
                       argc == 2 ? argv[1] : "rmm-contact-demo.journal");
}
