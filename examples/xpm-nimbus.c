/*
 * xpm-nimbus.c - offboard a client entity from Nimbus after closing it in
 * the practice manager (XPM or MYOB AE), on simulated systems.
 *
 * The procedure is the built-in `xpm-nimbus-client` workflow. What makes it
 * interesting is what the systems do on their own:
 *   - Nimbus drops a client's history when the entity goes, so the history
 *     must be exported before the client is archived (refused otherwise);
 *   - only a full client sync removes the entity, and the sync leaves it in
 *     place when email jobs still hold documents awaiting signature; the
 *     check step records what the sync did (ofb_call_set_input) and the
 *     manual delete runs only when needed;
 *   - contacts with a login become editable instead of vanishing, so a
 *     second check records whether any are left to delete;
 *   - documents are archived (CDM) or deleted for good (no CDM); deleting
 *     is irreversible and waits for a confirmation.
 *
 * An integration bound to the admin role does the API work; a person
 * confirms each irreversible step before it may run, and the practice
 * owner makes the one decision the workflow leaves to a person.
 *
 * It runs twice: a CDM customer in XPM whose entity the sync cannot remove,
 * and a non-CDM customer in MYOB AE whose documents are deleted.
 *
 * Usage: xpm-nimbus
 */
#include <ofb.h>

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------- the simulated systems */

enum folder { FOLDER_CLIENT, FOLDER_GREEN, FOLDER_ARCHIVE, FOLDER_DELETED };
static const char *const folder_name[] = {"client folder", "green folder",
                                          "archive", "deleted"};

struct contact {
    const char *name;
    int login;          /* can log in to a client portal */
    int other_clients;  /* also related to another client entity */
    int present;
};

struct practice {
    int closed;         /* archived in XPM / closed in MYOB AE */
};

struct nimbus {
    int in_grid;            /* the client entity is on the client grid */
    int history;            /* client history records */
    int history_exported;   /* records saved as .csv in the client folder */
    int signature_jobs;     /* email jobs with documents for signature */
    int sync_requested;
    struct contact contacts[3];
    int files;
    enum folder folder;
};

/* Deleting the entity (by the sync or by hand) takes its history with it,
 * removes contacts nobody else needs that cannot log in, and turns the
 * client folder into a green business folder when it holds files. */
static void nimbus_delete_entity(struct nimbus *n)
{
    n->in_grid = 0;
    n->history = 0;
    for (int i = 0; i < 3; i++) {
        struct contact *c = &n->contacts[i];
        if (c->present && !c->login && !c->other_clients)
            c->present = 0;
    }
    if (n->files > 0)
        n->folder = FOLDER_GREEN;
}

/* The full client sync cycle. Returns 1 when it removed the entity. */
static int nimbus_full_sync(struct nimbus *n, const struct practice *pm)
{
    n->sync_requested = 0;
    if (!pm->closed || n->signature_jobs > 0)
        return 0;
    nimbus_delete_entity(n);
    return 1;
}

/* ------------------------------------------------------------ the office */

struct office {
    const char *client;
    struct practice pm;
    struct nimbus nimbus;
    int delete_documents;   /* the practice owner's decision (no CDM) */
    ofb_time now;
    int manual_deletes;
};

static void office_print(const struct office *o)
{
    const struct nimbus *n = &o->nimbus;
    printf("  practice manager: %s; Nimbus grid: %s; history: %d records "
           "(%d exported)\n", o->pm.closed ? "closed" : "open",
           n->in_grid ? "listed" : "gone", n->history, n->history_exported);
    printf("  contacts:");
    for (int i = 0; i < 3; i++)
        printf(" %s%s", n->contacts[i].name,
               n->contacts[i].present ? "" : " (gone)");
    if (n->folder == FOLDER_DELETED)
        printf("; documents: folder deleted\n");
    else
        printf("; documents: %d in the %s\n", n->files,
               folder_name[n->folder]);
}

/* ---------------------------------------------------------------- handlers */

/* The integration with the practice manager and Nimbus. Irreversible steps
 * reach it only once a person has confirmed them. A full sync is only
 * requested here; the step then waits for the cycle to finish (its `wait
 * nimbus_sync_done`). */
static int nimbus_api(ofb_call *call, void *payload)
{
    struct office *o = payload;
    struct nimbus *n = &o->nimbus;
    const char *step = ofb_call_step_id(call);
    char ev[48] = "";
    if (strcmp(step, "history_exported") == 0) {
        n->history_exported = n->history;
        snprintf(ev, sizeof ev, "%d rows", n->history);
    } else if (strcmp(step, "archived_in_xpm") == 0 ||
               strcmp(step, "closed_in_myob") == 0) {
        o->pm.closed = 1;
    } else if (strcmp(step, "full_sync") == 0) {
        n->sync_requested = 1;
        snprintf(ev, sizeof ev, "requested");
    } else if (strcmp(step, "entity_deleted_manually") == 0) {
        nimbus_delete_entity(n);
        o->manual_deletes++;
    } else if (strcmp(step, "contacts_deleted") == 0) {
        for (int i = 0; i < 3; i++) {
            struct contact *c = &n->contacts[i];
            if (c->present && c->login && !c->other_clients) {
                c->present = 0;
                snprintf(ev, sizeof ev, "%s", c->name);
            }
        }
    } else if (strcmp(step, "documents_archived") == 0) {
        n->folder = FOLDER_ARCHIVE;
        snprintf(ev, sizeof ev, "%d files", n->files);
    } else if (strcmp(step, "documents_deleted") == 0) {
        snprintf(ev, sizeof ev, "%d files", n->files);
        n->folder = FOLDER_DELETED;
        n->files = 0;
    } else {
        ofb_call_reason(call, "not an API step");
        return OFB_FAIL;
    }
    if (ev[0])
        ofb_call_evidence(call, "result", ev);
    printf("  auto  %-24s %s\n", step, ev);
    return OFB_DONE;
}

/* The checks look at Nimbus and record what they found; later guards read
 * these inputs. */
static int check_entity(ofb_call *call, void *payload)
{
    struct office *o = payload;
    const char *gone = o->nimbus.in_grid ? "false" : "true";
    char jobs[16];
    snprintf(jobs, sizeof jobs, "%d", o->nimbus.signature_jobs);
    ofb_call_set_input(call, "entity_deleted", gone);
    ofb_call_evidence(call, "signature_jobs", jobs);
    printf("  auto  %-24s entity_deleted=%s (%s jobs awaiting signature)\n",
           ofb_call_step_id(call), gone, jobs);
    return OFB_DONE;
}

static int check_contacts(ofb_call *call, void *payload)
{
    struct office *o = payload;
    int left = 0;
    for (int i = 0; i < 3; i++) {
        const struct contact *c = &o->nimbus.contacts[i];
        left += c->present && c->login && !c->other_clients;
    }
    ofb_call_set_input(call, "contacts_with_logins", left ? "true" : "false");
    printf("  auto  %-24s contacts_with_logins=%s\n", ofb_call_step_id(call),
           left ? "true" : "false");
    return OFB_DONE;
}

/* ---------------------------------------------------------------- the run */

static const ofb_time T0 = 1795424400; /* 2026-11-23 09:00 UTC */

static int report(const char *what, int rc, const ofb_error *err)
{
    fprintf(stderr, "xpm-nimbus: %s: %s\n", what,
            err && err->message[0] ? err->message : ofb_strerror(rc));
    return -1;
}

static int print_plan(const ofb_plan_item *it, void *payload)
{
    ofb_step_info si;
    ofb_workflow_step(payload, it->step, &si);
    /* DEPENDS reasons already say "decided during the run: ...". */
    printf("  %2zu. %-24s %s%s%s\n", it->position, si.id,
           it->kind == OFB_PLAN_RUN ? "runs"
           : it->kind == OFB_PLAN_SKIP ? "skipped" : "",
           it->kind == OFB_PLAN_SKIP ? ": " : "", it->reason);
    return 0;
}

/* The first thing the run waits on a person or the host for. */
struct todo {
    ofb_next_kind kind;
    char step[OFB_ID_MAX + 1];
    char event[OFB_ID_MAX + 1];
    char reason[128];
};

static int first_todo(const ofb_next_item *it, void *payload)
{
    struct todo *t = payload;
    if (it->kind != OFB_NEXT_DO && it->kind != OFB_NEXT_CONFIRM &&
        it->kind != OFB_NEXT_EVENT)
        return 0;
    t->kind = it->kind;
    snprintf(t->step, sizeof t->step, "%s", it->step_id);
    snprintf(t->event, sizeof t->event, "%s", it->event);
    snprintf(t->reason, sizeof t->reason, "%s", it->reason);
    return 1;
}

static int offboard(ofb_workflow *wf, struct office *o, const char *pmgr,
                    int cdm)
{
    ofb_error err;
    ofb_run *run;
    int rc, refusals = 0;
    const char *cdm_s = cdm ? "true" : "false";

    printf("Plan for %s (practice_manager=%s, cdm=%s):\n", o->client, pmgr,
           cdm_s);
    ofb_kv in[] = {{"client", o->client}, {"practice_manager", pmgr},
                   {"cdm", cdm_s}};
    if ((rc = ofb_workflow_plan(wf, in, 3, print_plan, wf, &err)))
        return report("plan", rc, &err);
    printf("Before:\n");
    office_print(o);

    if ((rc = ofb_run_new(&run, wf, cdm ? "harbour" : "kauri", NULL, &err)))
        return report("new run", rc, &err);
    ofb_act admin = {"admin:ruth", NULL, NULL, 0, o->now, NULL, 0};
    for (size_t i = 0; i < 3 && !rc; i++)
        rc = ofb_run_set_input(run, in[i].key, in[i].value, &admin, &err);
    if (rc || (rc = ofb_run_start(run, &admin, &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_ROLE, "admin", nimbus_api, o, NULL,
                           &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_STEP, "entity_checked", check_entity,
                           o, NULL, &err)) ||
        (rc = ofb_run_bind(run, OFB_BIND_STEP, "contacts_checked",
                           check_contacts, o, NULL, &err))) {
        ofb_run_free(run);
        return report("start", rc, &err);
    }

    /* The history goes with the client: closing it first is refused. */
    const char *close_step = cdm ? "archived_in_xpm" : "closed_in_myob";
    printf("\nOut of order: the client is closed before its history is "
           "exported.\n");
    rc = ofb_run_confirm(run, close_step, &admin, &err);
    printf("  refused (%s): %s\n", ofb_strerror(rc), err.message);
    refusals += rc == OFB_EPREREQ;

    printf("\nThe integration works; people confirm and decide:\n");
    for (;;) {
        o->now += 600;
        if ((rc = ofb_run_advance(run, o->now, NULL, &err)))
            break;
        struct todo t = {.kind = OFB_NEXT_BLOCKED};
        ofb_run_next(run, NULL, first_todo, &t);
        if (t.kind == OFB_NEXT_BLOCKED)
            break; /* nothing left for anyone */
        ofb_act act = {"admin:ruth", NULL, NULL, 0, o->now, NULL, 0};
        if (t.kind == OFB_NEXT_EVENT) {
            /* The sync cycle finishes an hour later. */
            o->now += 3600;
            act.actor = "nimbus";
            act.time = o->now;
            int removed = nimbus_full_sync(&o->nimbus, &o->pm);
            printf("  nimbus full sync finished: entity %s\n",
                   removed ? "removed" : "still on the grid");
            if ((rc = ofb_run_signal(run, t.event, &act, &err)))
                break;
            continue;
        }
        if (t.kind == OFB_NEXT_CONFIRM) {
            if (strcmp(t.step, "documents_deleted") == 0) {
                /* No CDM: the files are gone for good. Nothing happens
                 * until someone says so. */
                printf("  next  %-24s %s; %d files still in the %s\n",
                       t.step, t.reason, o->nimbus.files,
                       folder_name[o->nimbus.folder]);
                rc = ofb_run_complete(run, t.step, &act, &err);
                printf("  refused (%s): %s\n", ofb_strerror(rc), err.message);
                refusals += rc == OFB_ECONFIRM;
            }
            if ((rc = ofb_run_confirm(run, t.step, &act, &err)))
                break;
            printf("  confirm %-22s by %s\n", t.step, act.actor);
            continue;
        }
        /* The one manual step: the practice owner decides about the
         * documents and records it in the run before saying it is done. */
        act.actor = "owner:kim";
        const char *d = o->delete_documents ? "true" : "false";
        if ((rc = ofb_run_set_input(run, "delete_documents", d, &act, &err)) ||
            (rc = ofb_run_complete(run, t.step, &act, &err)))
            break;
        printf("  done  %-24s by %s: delete_documents=%s\n", t.step,
               act.actor, d);
    }
    if (rc) {
        ofb_run_free(run);
        return report("run", rc, &err);
    }

    size_t counts[8];
    ofb_run_counts(run, counts);
    printf("After: run %s, %zu done, %zu skipped\n",
           ofb_run_status_name(ofb_run_status_get(run)), counts[OFB_STEP_DONE],
           counts[OFB_STEP_SKIPPED]);
    office_print(o);

    const struct nimbus *n = &o->nimbus;
    int contacts_ok = 1;
    for (int i = 0; i < 3; i++) {
        const struct contact *c = &n->contacts[i];
        contacts_ok &= c->present == c->other_clients;
    }
    int ok = ofb_run_status_get(run) == OFB_RUN_COMPLETED && o->pm.closed &&
             !n->in_grid && n->history_exported > 0 && contacts_ok &&
             o->manual_deletes == (n->signature_jobs > 0) &&
             n->folder == (cdm ? FOLDER_ARCHIVE : FOLDER_DELETED) &&
             refusals == (cdm ? 1 : 2);
    ofb_run_free(run);
    return ok ? 0 : -1;
}

int main(void)
{
    ofb_error err;
    ofb_workflow *wf;
    int rc;
    if ((rc = ofb_builtin_load(&wf, "xpm-nimbus-client", NULL, &err))) {
        report("workflow", rc, &err);
        return 1;
    }
    printf("libofb %s: %s (%zu steps, built in)\n", ofb_version(),
           ofb_workflow_title(wf), ofb_workflow_step_count(wf));

    printf("\n=== 1. Harbour Accounting: XPM, CDM, two documents await "
           "signature\n\n");
    struct office cdm = {
        .client = "Harbour Accounting",
        .nimbus = {.in_grid = 1, .history = 214, .signature_jobs = 2,
                   .contacts = {{"Mia (login)", 1, 0, 1},
                                {"Tom (no login)", 0, 0, 1},
                                {"Ana (other client)", 1, 1, 1}},
                   .files = 38, .folder = FOLDER_CLIENT},
        .now = T0,
    };
    int r1 = offboard(wf, &cdm, "xpm", 1);

    printf("\n=== 2. Kauri Builders: MYOB AE, no CDM, documents to be "
           "deleted\n\n");
    struct office plain = {
        .client = "Kauri Builders",
        .nimbus = {.in_grid = 1, .history = 57, .signature_jobs = 0,
                   .contacts = {{"Hemi (login)", 1, 0, 1},
                                {"Rose (no login)", 0, 0, 1},
                                {"Ana (other client)", 1, 1, 1}},
                   .files = 12, .folder = FOLDER_CLIENT},
        .delete_documents = 1,
        .now = T0,
    };
    int r2 = offboard(wf, &plain, "myob_ae", 0);
    ofb_workflow_unref(wf);

    if (r1 == 0 && r2 == 0) {
        printf("\nxpm-nimbus: offboarding complete (CDM: entity the sync "
               "left deleted on purpose, documents archived; non-CDM: "
               "documents deleted after confirmation)\n");
        return 0;
    }
    printf("\nxpm-nimbus: offboarding did NOT complete as expected\n");
    return 1;
}
