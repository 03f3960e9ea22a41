/*
 * main.c - the `ofb` command: verbs, options, help, exit statuses.
 *
 * For a technician with no integration: the journal file is the
 * offboarding's record, and every verb is one short-lived process. The
 * command reads the clock and the user name; the library never does.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Options a verb accepts. */
enum {
    O_SET = 1 << 0,
    O_BY = 1 << 1,
    O_NOTE = 1 << 2,
    O_EVIDENCE = 1 << 3,
    O_WHY = 1 << 4,
    O_ROLE = 1 << 5,
    O_JSON = 1 << 6,
    O_VERIFY = 1 << 7,
    O_ID = 1 << 8
};

typedef struct verb {
    const char *name;
    cli_fn fn;
    int min, max;       /* positional arguments */
    unsigned opts;
    const char *usage;
    const char *help;
} verb;

static int cmd_help(cli_args *a);

static const verb verbs[] = {
    {"list", cmd_list, 0, 0, 0, "ofb list",
     "Lists the built-in workflows: name, version, step count and title.\n"},
    {"show", cmd_show, 1, 1, 0, "ofb show WF",
     "Shows a workflow: its inputs with their types, and its steps in the\n"
     "order they run, each with its role, prerequisites (after), guard\n"
     "(when), wait event and timeout, retry policy and flags.\n"},
    {"check", cmd_check, 1, 16, 0, "ofb check FILE.ofb ...",
     "Validates workflow definitions. Every error is printed as\n"
     "FILE:LINE:COL: error: MESSAGE. Exit status 1 when a definition is\n"
     "invalid, 3 when a file cannot be read.\n"},
    {"dot", cmd_dot, 1, 1, 0, "ofb dot WF|JOURNAL",
     "Prints the workflow as a Graphviz graph (render it with\n"
     "`dot -Tsvg`). Irreversible steps are red octagons, optional ones\n"
     "dashed. Given a journal, steps are coloured by state: done green,\n"
     "skipped grey, ready or running yellow, waiting blue, failed red,\n"
     "blocked white.\n"},
    {"mermaid", cmd_mermaid, 1, 1, 0, "ofb mermaid WF|JOURNAL",
     "Prints the workflow as a Mermaid flowchart (GitHub renders it in\n"
     "Markdown). Same conventions as `ofb dot`.\n"},
    {"plan", cmd_plan, 1, 1, O_SET, "ofb plan WF [--set K=V ...]",
     "Prints the concrete, ordered step list for these inputs without\n"
     "running anything: steps that run, steps skipped and why, and steps\n"
     "whose guard reads an input not set yet.\n"},
    {"checklist", cmd_checklist, 1, 1, O_SET,
     "ofb checklist WF|JOURNAL [--set K=V ...]",
     "Prints a Markdown checklist (a GitHub issue template):\n"
     "\"- [ ] Role >> Step\" lines, one section per stage, and one section\n"
     "per value of a choice input that guards steps (\"### tier: csp\").\n"
     "Given a journal, settled steps are ticked with who and when; with\n"
     "--set, steps that do not apply are struck out.\n"},
    {"import-checklist", cmd_import, 1, 1, 0, "ofb import-checklist FILE.md",
     "Turns a Markdown checklist into a .ofb definition on stdout. Roles\n"
     "come from \"Role >> Step\", ids from the text, each list's order\n"
     "becomes a chain, and alternative sections (tiers) become guards on a\n"
     "choice input. Every guess made is printed on stderr, one per line.\n"},
    {"start", cmd_start, 2, 2, O_SET | O_BY | O_NOTE | O_ID,
     "ofb start WF JOURNAL [--set K=V ...] [--by WHO] [--id RUN-ID]",
     "Begins an offboarding: creates the journal file JOURNAL (it must not\n"
     "exist), records the inputs and starts the run. The run id defaults to\n"
     "the journal's file name without its extension.\n"},
    {"status", cmd_status, 1, 1, O_JSON, "ofb status JOURNAL [--json]",
     "Shows progress, what is next and who must act, and what the rest is\n"
     "blocked on. --json prints the same as one JSON object (fields in\n"
     "ofb(1) and docs/cli.md).\n"},
    {"next", cmd_next, 1, 1, O_ROLE, "ofb next JOURNAL [--role R]",
     "Lists the steps that can be acted on now, one per line:\n"
     "KIND STEP ROLE TITLE, where KIND is do, confirm, event, retry or\n"
     "failed. --role keeps the steps of one role.\n"},
    {"done", cmd_done, 2, 2, O_BY | O_NOTE | O_EVIDENCE | O_SET,
     "ofb done JOURNAL STEP [--by WHO] [--note TEXT] [--evidence K=V ...]"
     " [--set K=V ...]",
     "Records that STEP was done. Refused (exit 1) when the step is not\n"
     "ready: the message says what must happen first. Evidence (a ticket\n"
     "number, an export's digest) is kept in the journal. --set records\n"
     "what a check found into inputs, in the same journal record.\n"},
    {"skip", cmd_skip, 2, 2, O_WHY | O_BY,
     "ofb skip JOURNAL STEP --why TEXT [--by WHO]",
     "Skips an optional step; the reason is required and journaled.\n"},
    {"confirm", cmd_confirm, 2, 2, O_BY | O_NOTE,
     "ofb confirm JOURNAL STEP [--by WHO] [--note TEXT]",
     "Confirms an irreversible step, so that it may be done.\n"},
    {"signal", cmd_signal, 2, 2, O_BY | O_NOTE,
     "ofb signal JOURNAL EVENT [--by WHO] [--note TEXT]",
     "Records that EVENT happened; steps waiting for it are done. Signals\n"
     "are latched: one that comes before the step waits still counts.\n"},
    {"set", cmd_set, 2, 16, O_BY, "ofb set JOURNAL K=V ... [--by WHO]",
     "Sets inputs of the run (values are checked against their types).\n"},
    {"retry", cmd_retry, 2, 2, O_BY | O_NOTE,
     "ofb retry JOURNAL STEP [--by WHO] [--note TEXT]",
     "Makes a failed step (a wait that timed out) ready again.\n"},
    {"log", cmd_log, 1, 1, O_VERIFY, "ofb log JOURNAL [--verify]",
     "Prints the audit trail: time (UTC), actor, event, step, outcome,\n"
     "note and evidence of every record. --verify checks the hash chain\n"
     "and prints the record count and the last hash; a broken chain exits\n"
     "with status 3 and names the line.\n"},
    {"help", cmd_help, 0, 1, 0, "ofb help [VERB]",
     "Shows the help of the command or of one verb.\n"},
};

#define NVERBS (sizeof verbs / sizeof verbs[0])

static const char common_help[] =
    "WF is a built-in workflow name (see `ofb list`) or a .ofb file.\n"
    "JOURNAL is the offboarding's journal file.\n"
    "\n"
    "Options:\n"
    "  --set K=V        an input value (repeatable)\n"
    "  --by WHO         who acts (default: $USER, else \"technician\")\n"
    "  --note TEXT      a note kept in the journal\n"
    "  --evidence K=V   proof of what was done (repeatable)\n"
    "  --why TEXT       the reason for a skip\n"
    "  --role R         only the steps of role R\n"
    "  --json           machine-readable output\n"
    "  --verify         check the journal's hash chain\n"
    "  -h, --help       this help\n"
    "\n"
    "Environment: OFB_NOW (seconds since the epoch) fixes the time;\n"
    "OFB_LOCK_TIMEOUT_MS is how long to wait for another writer (2000).\n"
    "\n"
    "Exit status: 0 success; 1 refused by the workflow's rules (out of\n"
    "order, not applicable, missing input, invalid definition); 2 usage\n"
    "error; 3 I/O error, damaged journal or journal in use.\n";

static void print_overview(FILE *f)
{
    fputs("usage: ofb VERB [ARGS] [OPTIONS]\n\n"
          "Runs IT customer-offboarding procedures as explicit state "
          "machines.\n\n",
          f);
    for (size_t i = 0; i < NVERBS; i++)
        fprintf(f, "  %s\n", verbs[i].usage);
    fputs("\n", f);
    fputs(common_help, f);
}

static const verb *find_verb(const char *name)
{
    for (size_t i = 0; i < NVERBS; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

static void print_verb_help(const verb *v)
{
    printf("usage: %s\n\n%s\n%s", v->usage, v->help, common_help);
}

static int cmd_help(cli_args *a)
{
    if (a->npos == 0) {
        print_overview(stdout);
        return EXIT_OK;
    }
    const verb *v = find_verb(a->pos[0]);
    if (!v) {
        cli_usage_error(NULL, "no verb '%s'", a->pos[0]);
        return EXIT_USAGE;
    }
    print_verb_help(v);
    return EXIT_OK;
}

/* ------------------------------------------------------------- shared */

ofb_time cli_now(void)
{
    const char *s = getenv("OFB_NOW");
    if (s && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0' && v > 0)
            return (ofb_time)v;
        fprintf(stderr, "ofb: OFB_NOW: '%s' is not a time in seconds since "
                        "the epoch; using the clock\n", s);
    }
    return (ofb_time)time(NULL);
}

const char *cli_actor(const cli_args *a)
{
    if (a->by && *a->by)
        return a->by;
    const char *u = getenv("USER");
    return u && *u ? u : "technician";
}

int cli_exit_for(int code)
{
    switch (code) {
    case OFB_OK:
        return EXIT_OK;
    case OFB_EINVAL:
        return EXIT_USAGE;
    case OFB_EIO:
    case OFB_ECORRUPT:
    case OFB_EBUSY:
    case OFB_EMISMATCH:
    case OFB_ENOMEM:
    case OFB_EUSER:
        return EXIT_IO;
    default:
        return EXIT_REFUSED;
    }
}

int cli_fail(const char *what, int rc, const ofb_error *err)
{
    const char *msg = err && err->message[0] ? err->message
                                             : ofb_strerror(rc);
    if (what)
        fprintf(stderr, "ofb: %s: %s\n", what, msg);
    else
        fprintf(stderr, "ofb: %s\n", msg);
    return cli_exit_for(rc);
}

void cli_usage_error(const char *verb_name, const char *fmt, ...)
{
    va_list ap;
    fputs("ofb: ", stderr);
    if (verb_name)
        fprintf(stderr, "%s: ", verb_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (verb_name)
        fprintf(stderr, "\nusage: %s\n(see `ofb help %s`)\n",
                find_verb(verb_name) ? find_verb(verb_name)->usage : "ofb",
                verb_name);
    else
        fputs("\n(see `ofb --help`)\n", stderr);
}

int cli_write_file(const char *data, size_t len, void *payload)
{
    return fwrite(data, 1, len, (FILE *)payload) == len ? 0 : OFB_EIO;
}

void cli_print_role(FILE *f, const char *role)
{
    const char *p = role;
    while (*p) {
        const char *e = p;
        while (*e && *e != '-' && *e != '_')
            e++;
        size_t n = (size_t)(e - p);
        int vowel = 0;
        for (const char *q = p; q < e; q++)
            if (strchr("aeiouy", *q))
                vowel = 1;
        for (size_t k = 0; k < n; k++) {
            char c = p[k];
            if ((k == 0 || (n <= 3 && !vowel)) && c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            fputc(c, f);
        }
        if (!*e)
            break;
        p = e + 1;
        if (*p)
            fputc(' ', f);
    }
}

/* ------------------------------------------------------------- parsing */

static int add_kv(const char *verb_name, const char *opt, const char *text,
                  ofb_kv **arr, size_t *n)
{
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) {
        cli_usage_error(verb_name, "%s wants KEY=VALUE, not '%s'", opt, text);
        return EXIT_USAGE;
    }
    ofb_kv *p = realloc(*arr, sizeof *p * (*n + 1));
    char *key = malloc((size_t)(eq - text) + 1);
    if (!p || !key) {
        free(key);
        if (p)
            *arr = p;
        fprintf(stderr, "ofb: out of memory\n");
        return EXIT_IO;
    }
    memcpy(key, text, (size_t)(eq - text));
    key[eq - text] = '\0';
    *arr = p;
    p[*n].key = key;
    p[*n].value = eq + 1;
    (*n)++;
    return EXIT_OK;
}

static void free_args(cli_args *a)
{
    for (size_t i = 0; i < a->nsets; i++)
        free((char *)a->sets[i].key);
    for (size_t i = 0; i < a->nevidence; i++)
        free((char *)a->evidence[i].key);
    free(a->sets);
    free(a->evidence);
}

typedef struct opt_def {
    const char *name;
    unsigned bit;
    int takes_arg;
} opt_def;

static const opt_def opt_defs[] = {
    {"set", O_SET, 1},     {"by", O_BY, 1},      {"note", O_NOTE, 1},
    {"evidence", O_EVIDENCE, 1}, {"why", O_WHY, 1}, {"role", O_ROLE, 1},
    {"json", O_JSON, 0},   {"verify", O_VERIFY, 0}, {"id", O_ID, 1},
};

/* Options may come anywhere after the verb; "--" ends them. */
static int parse_args(const verb *v, int argc, char **argv, cli_args *a,
                      int *help)
{
    int rc;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || s[1] == '\0') {
            if (a->npos >= v->max || a->npos >= 16) {
                cli_usage_error(v->name, "unexpected argument '%s'", s);
                return EXIT_USAGE;
            }
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            *help = 1;
            return EXIT_OK;
        }
        if (s[1] != '-') {
            cli_usage_error(v->name, "unknown option '%s'", s);
            return EXIT_USAGE;
        }
        const char *name = s + 2, *val = NULL;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const opt_def *od = NULL;
        for (size_t k = 0; k < sizeof opt_defs / sizeof opt_defs[0]; k++)
            if (strlen(opt_defs[k].name) == nl &&
                memcmp(opt_defs[k].name, name, nl) == 0)
                od = &opt_defs[k];
        if (!od || !(v->opts & od->bit)) {
            cli_usage_error(v->name, "%s '%.*s'",
                            od ? "this verb takes no option" :
                                 "unknown option", (int)nl + 2, s);
            return EXIT_USAGE;
        }
        if (od->takes_arg) {
            if (eq) {
                val = eq + 1;
            } else if (i + 1 < argc) {
                val = argv[++i];
            } else {
                cli_usage_error(v->name, "--%s needs a value", od->name);
                return EXIT_USAGE;
            }
        } else if (eq) {
            cli_usage_error(v->name, "--%s takes no value", od->name);
            return EXIT_USAGE;
        }
        switch (od->bit) {
        case O_SET:
            if ((rc = add_kv(v->name, "--set", val, &a->sets, &a->nsets)))
                return rc;
            break;
        case O_EVIDENCE:
            if ((rc = add_kv(v->name, "--evidence", val, &a->evidence,
                             &a->nevidence)))
                return rc;
            break;
        case O_BY: a->by = val; break;
        case O_NOTE: a->note = val; break;
        case O_WHY: a->why = val; break;
        case O_ROLE: a->role = val; break;
        case O_ID: a->id = val; break;
        case O_JSON: a->json = 1; break;
        case O_VERIFY: a->verify = 1; break;
        default: break;
        }
    }
    if (a->npos < v->min) {
        cli_usage_error(v->name, "missing argument%s",
                        v->min - a->npos > 1 ? "s" : "");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        print_overview(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("ofb %s (libofb %s)\n", OFB_VERSION_STRING, ofb_version());
        return EXIT_OK;
    }
    const verb *v = find_verb(name);
    if (!v) {
        cli_usage_error(NULL, "no verb '%s'", name);
        return EXIT_USAGE;
    }
    cli_args a;
    memset(&a, 0, sizeof a);
    a.verb = v->name;
    int help = 0;
    int rc = parse_args(v, argc - 2, argv + 2, &a, &help);
    if (rc == EXIT_OK && help)
        print_verb_help(v);
    else if (rc == EXIT_OK)
        rc = v->fn(&a);
    free_args(&a);
    if (fflush(stdout) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "ofb: cannot write the output: %s\n",
                strerror(errno));
        rc = EXIT_IO;
    }
    return rc;
}
