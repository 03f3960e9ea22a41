/*
 * cli.h - the `ofb` command's shared declarations.
 *
 * The command sees only the public header: everything it does, a host
 * program can do too.
 */
#ifndef OFB_CLI_H
#define OFB_CLI_H

#include "ofb.h"

#include <stdio.h>

/* Exit statuses (SPEC section 4). */
enum {
    EXIT_OK = 0,
    EXIT_REFUSED = 1, /* the workflow's rules refuse it */
    EXIT_USAGE = 2,
    EXIT_IO = 3       /* I/O error or damaged data */
};

/* The parsed command line of one verb. */
typedef struct cli_args {
    const char *verb;
    const char *pos[16];
    int npos;
    ofb_kv *sets;       /* --set K=V, in order */
    size_t nsets;
    ofb_kv *evidence;   /* --evidence K=V */
    size_t nevidence;
    const char *by, *note, *why, *role, *id;
    int json, verify;
} cli_args;

/* Every verb's handler returns an exit status. */
typedef int (*cli_fn)(cli_args *a);

/* main.c: the clock, the actor, messages and exit statuses. */
ofb_time cli_now(void);
const char *cli_actor(const cli_args *a);
int cli_exit_for(int code);
/* "ofb: WHAT: MESSAGE" on stderr; returns the exit status for rc. */
int cli_fail(const char *what, int rc, const ofb_error *err);
void cli_usage_error(const char *verb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Loads WF: a built-in name or a .ofb file. Prints errors; returns an exit
 * status (EXIT_OK with *out set). */
int cli_load_workflow(const char *name, ofb_workflow **out);
/* Whether path names a journal rather than a workflow (by its content). */
int cli_is_journal(const char *path);
/* Opens a run from its journal; readonly verbs take no lock. */
int cli_open_run(const char *path, int readonly, ofb_run **out);
/* Writes to a FILE * (ofb_write_fn). */
int cli_write_file(const char *data, size_t len, void *payload);
/* A role as people write it: "csm" -> "CSM", "practice-lead" ->
 * "Practice Lead" (the checklist export's form). */
void cli_print_role(FILE *f, const char *role);

/* cmd_def.c: verbs about definitions. */
int cmd_list(cli_args *a);
int cmd_show(cli_args *a);
int cmd_check(cli_args *a);
int cmd_dot(cli_args *a);
int cmd_mermaid(cli_args *a);
int cmd_plan(cli_args *a);
int cmd_checklist(cli_args *a);
int cmd_import(cli_args *a);

/* cmd_run.c: verbs about one offboarding (a journal). */
int cmd_start(cli_args *a);
int cmd_status(cli_args *a);
int cmd_next(cli_args *a);
int cmd_done(cli_args *a);
int cmd_skip(cli_args *a);
int cmd_confirm(cli_args *a);
int cmd_signal(cli_args *a);
int cmd_set(cli_args *a);
int cmd_retry(cli_args *a);
int cmd_log(cli_args *a);

#endif /* OFB_CLI_H */
