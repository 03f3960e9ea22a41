/*
 * autotask.c - offboard a managed-services customer in a simulated Autotask.
 *
 * The procedure is the built-in `autotask-msp-customer` workflow: open a
 * ticket, categorise it, attach the offboarding checklist, fill in the
 * required fields, then send the customer the offboarding letter, their
 * runbook and - only if they want one - a link to book a remote appointment.
 *
 * The ticket system below holds real state (tickets, categories, a checklist
 * library, an outbox) and refuses what a real one would refuse. A PSA
 * integration, bound to the technician's role, does every step it can
 * through the ticket system's API; filling in the required fields is a
 * manual step, so the run waits for the technician there. The scheduling
 * link goes out only when the input remote_appointment says so.
 *
 * The offboarding runs twice: with the appointment and without it.
 *
 * Usage: autotask
 */
#include <ofb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------- the simulated ticket system */

#define MAX_TICKETS 4
#define MAX_MAIL 8

struct ticket {
    int number;
    char account[64];
    char category[48];
    char checklist[64];
    int checklist_items;
    char contact[64];   /* a required field: the mail goes to this person */
    char end_date[16];  /* a required field: the end of the agreement */
};

struct mail {
    int ticket;
    char to[64];
    char subject[96];
};

struct psa {
    struct ticket tickets[MAX_TICKETS];
    int ntickets;
    struct mail outbox[MAX_MAIL];
    int nmail;
    int next_number;
    char error[128];  /* why the last call was refused */
};

static const char *const categories[] = {
    "Standard", "Administrative Change/Request",
    "Curr MSA, add/del device/service",
};

static const struct {
    const char *name;
    int items;
} checklist_library[] = {
    {"[OFFBOARDING] Offboard Managed Services Customer", 12},
    {"[Current Customer] Remove Contact/User", 6},
};

static struct ticket *psa_ticket_new(struct psa *p, const char *account)
{
    if (p->ntickets == MAX_TICKETS)
        return NULL;
    struct ticket *t = &p->tickets[p->ntickets++];
    memset(t, 0, sizeof *t);
    t->number = p->next_number++;
    snprintf(t->account, sizeof t->account, "%s", account);
    return t;
}

static int psa_set_category(struct psa *p, struct ticket *t, const char *name)
{
    for (size_t i = 0; i < sizeof categories / sizeof *categories; i++) {
        if (strcmp(categories[i], name) == 0) {
            snprintf(t->category, sizeof t->category, "%s", name);
            return 0;
        }
    }
    snprintf(p->error, sizeof p->error, "no category \"%s\"", name);
    return -1;
}

static int psa_add_checklist(struct psa *p, struct ticket *t, const char *name)
{
    for (size_t i = 0; i < sizeof checklist_library / sizeof *checklist_library;
         i++) {
        if (strcmp(checklist_library[i].name, name) == 0) {
            snprintf(t->checklist, sizeof t->checklist, "%s", name);
            t->checklist_items = checklist_library[i].items;
            return 0;
        }
    }
    snprintf(p->error, sizeof p->error, "no checklist \"%s\"", name);
    return -1;
}

/* Mail goes out from a ticket, to its contact: a ticket without one has
 * nobody to send to. */
static int psa_send(struct psa *p, struct ticket *t, const char *subject)
{
    if (!t->contact[0]) {
        snprintf(p->error, sizeof p->error, "ticket T%d has no contact",
                 t->number);
        return -1;
    }
    if (p->nmail == MAX_MAIL) {
        snprintf(p->error, sizeof p->error, "outbox full");
        return -1;
    }
    struct mail *m = &p->outbox[p->nmail++];
    m->ticket = t->number;
    snprintf(m->to, sizeof m->to, "%s", t->contact);
    snprintf(m->subject, sizeof m->subject, "%s", subject);
    return 0;
}

static int psa_sent(const struct psa *p, int ticket, const char *subject)
{
    for (int i = 0; i < p->nmail; i++)
        if (p->outbox[i].ticket == ticket &&
            strcmp(p->outbox[i].subject, subject) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ the office */

struct office {
    struct psa psa;
    struct ticket *ticket;  /* this offboarding's ticket, once created */
    const char *customer;
    const char *contact;
    ofb_time now;
};

static const char *const SUBJ_LETTER = "Your transition to a new IT provider";
static const char *const SUBJ_RUNBOOK = "Your runbook (IT Glue export)";
static const char *const SUBJ_LINK =
    "Book your remote appointment with Matthew";

/* The PSA integration: every step but the required fields is an API call
 * on the ticket. A refusal by the ticket system fails the step with its
 * reason; nothing is retried blindly. */
static int psa_integration(ofb_call *call, void *payload)
{
    struct office *o = payload;
    struct psa *p = &o->psa;
    const char *step = ofb_call_step_id(call);
    const char *mail = NULL;
    int rc = -1;
    if (strcmp(step, "ticket_created") == 0) {
        o->ticket = psa_ticket_new(p, o->customer);
        rc = o->ticket ? 0 : -1;
    } else if (strcmp(step, "category_set") == 0) {
        rc = psa_set_category(p, o->ticket, "Administrative Change/Request");
    } else if (strcmp(step, "checklist_added") == 0) {
        rc = psa_add_checklist(p, o->ticket,
                               "[OFFBOARDING] Offboard Managed Services "
                               "Customer");
    } else if (strcmp(step, "scheduling_link_sent") == 0) {
        rc = psa_send(p, o->ticket, mail = SUBJ_LINK);
    } else if (strcmp(step, "offboarding_letter_sent") == 0) {
        rc = psa_send(p, o->ticket, mail = SUBJ_LETTER);
    } else if (strcmp(step, "runbook_sent") == 0) {
        rc = psa_send(p, o->ticket, mail = SUBJ_RUNBOOK);
    }
    if (rc != 0) {
        ofb_call_reason(call, p->error);
        return OFB_FAIL;
    }
    char ticket[16];
    snprintf(ticket, sizeof ticket, "T%d", o->ticket->number);
    ofb_call_evidence(call, "ticket", ticket);
    if (mail)
        printf("  auto  %-24s %s: mail to %s: \"%s\"\n", step, ticket,
               o->ticket->contact, mail);
    else
        printf("  auto  %-24s %s\n", step, ticket);
    return OFB_DONE;
}

/* ---------------------------------------------------------------- the run */

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

static int report(const char *what, int rc, const ofb_error *err)
{
    fprintf(stderr, "autotask: %s: %s\n", what,
            err && err->message[0] ? err->message : ofb_strerror(rc));
    return -1;
}

static int print_plan(const ofb_plan_item *it, void *payload)
{
    const ofb_workflow *wf = payload;
    ofb_step_info si;
    ofb_workflow_step(wf, it->step, &si);
    printf("  %zu. %-24s %s%s%s\n", it->position, si.id,
           it->kind == OFB_PLAN_RUN ? "runs" : "skipped",
           *it->reason ? ": " : "", it->reason);
    return 0;
}

static int print_next(const ofb_next_item *it, void *payload)
{
    printf("  next  %-24s %s\n", it->step_id, it->reason);
    return 0;
}

static int print_evidence(const ofb_event *ev, void *payload)
{
    int *n = payload;
    (*n)++;
    if (ev->nevidence == 0 ||
        (ev->kind != OFB_EV_COMPLETE && ev->kind != OFB_EV_OUTCOME))
        return 0;
    printf("  %3llu %-9s %-24s by %-10s", (unsigned long long)ev->seq,
           ofb_event_kind_name(ev->kind), ev->step,
           *ev->actor ? ev->actor : "(integration)");
    for (size_t i = 0; i < ev->nevidence; i++)
        printf(" %s=%s", ev->evidence[i].key, ev->evidence[i].value);
    printf("\n");
    return 0;
}

/* One offboarding. Returns 0 when it completed and the ticket system shows
 * exactly what the workflow asked for. */
static int offboard(ofb_workflow *wf, const char *customer, const char *contact,
                    int appointment)
{
    struct office o = {.customer = customer, .contact = contact, .now = T0};
    o.psa.next_number = appointment ? 1042 : 1043;
    const char *appt = appointment ? "true" : "false";
    ofb_error err = {0};
    ofb_store *store;
    ofb_run *run;
    int rc;

    printf("Plan for %s (remote_appointment=%s):\n", customer, appt);
    ofb_kv in[] = {{"customer", customer}, {"remote_appointment", appt}};
    if ((rc = ofb_workflow_plan(wf, in, 2, print_plan, wf, &err)))
        return report("plan", rc, &err);

    if ((rc = ofb_store_memory(&store)))
        return report("store", rc, NULL);
    ofb_run_opts opts = {store, OFB_SYNC_NEVER, 0, NULL, NULL};
    if ((rc = ofb_run_new(&run, wf, appointment ? "northwind" : "contoso",
                          &opts, &err))) {
        ofb_store_close(store);
        return report("new run", rc, &err);
    }
    ofb_act tech = {"tech:maria", NULL, NULL, 0, T0, NULL, 0};
    if ((rc = ofb_run_set_input(run, "customer", customer, &tech, &err)) ||
        (rc = ofb_run_set_input(run, "remote_appointment", appt, &tech,
                                &err)) ||
        (rc = ofb_run_start(run, &tech, &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_ROLE, "technician", psa_integration,
                           &o, NULL, &err))) {
        ofb_run_free(run);
        return report("start", rc, &err);
    }

    int refused = 0;
    printf("\nOut of order: the runbook is sent before the ticket is ready.\n");
    rc = ofb_run_complete(run, "runbook_sent", &tech, &err);
    printf("  refused (%s): %s\n", ofb_strerror(rc), err.message);
    refused += rc == OFB_EPREREQ;

    printf("\nThe integration opens the ticket; the fields need a person:\n");
    if ((rc = ofb_run_advance(run, o.now += 60, NULL, &err)))
        goto fail;
    ofb_run_next(run, NULL, print_next, NULL);

    /* The technician fills in the required fields, then says so. */
    struct ticket *t = o.ticket;
    if (!t) {
        rc = OFB_EUSER;
        goto fail;
    }
    snprintf(t->contact, sizeof t->contact, "%s", o.contact);
    snprintf(t->end_date, sizeof t->end_date, "2026-12-31");
    ofb_kv fields[] = {{"contact", t->contact}, {"end_date", t->end_date}};
    ofb_act filled = {"tech:maria", NULL, fields, 2, o.now += 600, NULL, 0};
    if ((rc = ofb_run_complete(run, "required_info", &filled, &err)))
        goto fail;
    printf("  done  %-24s by tech:maria, contact %s\n", "required_info",
           t->contact);

    /* Without an appointment the link does not apply: a person who tries
     * to send it anyway is told why not. */
    if (!appointment) {
        rc = ofb_run_complete(run, "scheduling_link_sent", &tech, &err);
        printf("  refused (%s): %s\n", ofb_strerror(rc), err.message);
        refused += rc == OFB_EGUARD;
    }

    printf("\nThe integration sends what the customer gets:\n");
    if ((rc = ofb_run_advance(run, o.now += 60, NULL, &err)))
        goto fail;

    size_t counts[8];
    ofb_run_counts(run, counts);
    printf("\nTicket T%d (%s): category \"%s\", checklist \"%s\" (%d items), "
           "contact %s\n", t->number, t->account, t->category, t->checklist,
           t->checklist_items, t->contact);
    for (int i = 0; i < o.psa.nmail; i++)
        printf("  outbox: to %s: \"%s\"\n", o.psa.outbox[i].to,
               o.psa.outbox[i].subject);
    printf("Audit trail, records with evidence:\n");
    int nrec = 0;
    ofb_run_history(run, print_evidence, &nrec, &err);
    printf("Run %s: %zu done, %zu skipped, %d journal records\n",
           ofb_run_status_name(ofb_run_status_get(run)),
           counts[OFB_STEP_DONE], counts[OFB_STEP_SKIPPED], nrec);

    int ok = ofb_run_status_get(run) == OFB_RUN_COMPLETED &&
             o.psa.ntickets == 1 &&
             strcmp(t->category, "Administrative Change/Request") == 0 &&
             t->checklist_items > 0 &&
             psa_sent(&o.psa, t->number, SUBJ_LETTER) &&
             psa_sent(&o.psa, t->number, SUBJ_RUNBOOK) &&
             psa_sent(&o.psa, t->number, SUBJ_LINK) == appointment &&
             o.psa.nmail == (appointment ? 3 : 2) &&
             refused == (appointment ? 1 : 2);
    ofb_run_free(run);
    return ok ? 0 : -1;
fail:
    report("run", rc, &err);
    ofb_run_free(run);
    return -1;
}

int main(void)
{
    ofb_error err;
    ofb_workflow *wf;
    int rc;
    if ((rc = ofb_builtin_load(&wf, "autotask-msp-customer", NULL, &err))) {
        report("workflow", rc, &err);
        return 1;
    }
    printf("libofb %s: %s (%zu steps, built in)\n", ofb_version(),
           ofb_workflow_title(wf), ofb_workflow_step_count(wf));

    printf("\n=== 1. Northwind Dental wants a remote appointment\n\n");
    int with = offboard(wf, "Northwind Dental", "jane@northwind.example", 1);
    printf("\n=== 2. Contoso Legal does not\n\n");
    int without = offboard(wf, "Contoso Legal", "raj@contoso.example", 0);
    ofb_workflow_unref(wf);

    if (with == 0 && without == 0) {
        printf("\nautotask: offboarding complete (with appointment, without "
               "appointment)\n");
        return 0;
    }
    printf("\nautotask: offboarding did NOT complete as expected (%s)\n",
           with ? "with appointment" : "without appointment");
    return 1;
}
