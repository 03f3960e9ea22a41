/*
 * fuzz_expr.c - guard expressions.
 *
 * The bytes up to the first NUL are a guard over five typed inputs; the
 * bytes after it are values for those inputs. Compiling never crashes and
 * fails only with a documented code; sealing a step with that guard
 * agrees with compiling it, and so does parsing it in a .ofb file.
 * Evaluation follows Kleene logic: once a result is decided with some
 * inputs unset, setting them cannot change it, and an unknown result names
 * an input that is unset.
 */
#include "fuzz.h"

#include "internal.h"

#define NIN 5

static const char *const decl =
    "input ok bool\n"
    "input tier choice(fullstack, premium, csp)\n"
    "input end date\n"
    "input who string\n"
    "input done bool default true\n";

static ofb_workflow *inputs_only(void)
{
    ofb_workflow *wf;
    static const char *const tiers[] = {"fullstack", "premium", "csp"};
    ofb_input_def d[NIN] = {
        {"ok", OFB_TYPE_BOOL, NULL, 0, 0, NULL, NULL},
        {"tier", OFB_TYPE_CHOICE, tiers, 3, 0, NULL, NULL},
        {"end", OFB_TYPE_DATE, NULL, 0, 0, NULL, NULL},
        {"who", OFB_TYPE_STRING, NULL, 0, 0, NULL, NULL},
        {"done", OFB_TYPE_BOOL, NULL, 0, 0, "true", NULL},
    };
    FZ_CHECK(ofb_workflow_new(&wf, "guards", 1, NULL, NULL) == 0, "new");
    for (int i = 0; i < NIN; i++)
        FZ_CHECK(ofb_workflow_add_input(wf, &d[i], NULL) == 0, "input");
    return wf;
}

static const char *const strings[] = {"", "acme", "x", "Pzzle B.V.",
                                      "fullstack"};

/* One value for input k from byte b (b == 0: unset). */
static void value_of(int k, unsigned b, ofb__ival *v)
{
    v->text = NULL;
    v->i = 0;
    if (!b)
        return;
    switch (k) {
    case 0:
    case 4:
        v->i = b & 1;
        v->text = v->i ? "true" : "false";
        break;
    case 1:
        v->i = b % 3;
        v->text = "t";
        break;
    case 2: /* around 2026-11-30 (day 20787) */
        v->i = 20785 + (int64_t)(b % 5);
        v->text = "d";
        break;
    default:
        v->text = strings[b % 5];
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *text = malloc(tlen + 1);
    FZ_CHECK(text, "malloc");
    memcpy(text, data, tlen);
    text[tlen] = '\0';
    fz_in in = {nul ? nul + 1 : data + size, nul ? size - tlen - 1 : 0};

    /* Compile directly. */
    ofb_workflow *wf = inputs_only();
    ofb_error err;
    uint32_t root = OFB__NONE;
    ofb__src base = {0, 0};
    int rc = ofb__expr_compile(wf, text, base, &root, &err);
    FZ_CHECK(rc == 0 || rc == OFB_ESYNTAX || rc == OFB_EDEFINITION ||
                 rc == OFB_ELIMIT || rc == OFB_ETYPE,
             "compile returned %d: %s", rc, err.message);
    if (rc)
        FZ_CHECK(err.code == rc && err.message[0], "no message for %d", rc);

    /* As the guard of a step, sealed. */
    ofb_workflow *wf2 = inputs_only();
    ofb_step_def sd;
    memset(&sd, 0, sizeof sd);
    sd.id = "a";
    sd.title = "A";
    sd.when = text;
    int rc2 = ofb_workflow_add_step(wf2, &sd, &err);
    if (rc2 == 0)
        rc2 = ofb_workflow_seal(wf2, &err);
    /* Blank guard text means "no guard" to add_step, and it checks UTF-8
     * before compiling. */
    int blank = strspn(text, " \t") == tlen;
    int utf8 = ofb__utf8_check(text, tlen) == tlen;
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            utf8 = 0; /* add_step refuses control characters first */
    if (!blank && utf8)
        FZ_CHECK((rc == 0) == (rc2 == 0), "compile %d but seal %d: %s", rc,
                 rc2, err.message);

    /* In a .ofb file, when the text fits on one line as it is. */
    if (!blank && utf8 && !strpbrk(text, "\n\r#")) {
        size_t cap = strlen(decl) + tlen + 64;
        char *src = malloc(cap);
        FZ_CHECK(src, "malloc");
        int n = snprintf(src, cap, "workflow guards 1\n%sstep a \"A\"\n"
                                   "  when %s\n", decl, text);
        ofb_workflow *wf3 = NULL;
        int rc3 = ofb_workflow_parse(&wf3, src, (size_t)n, "g.ofb", NULL,
                                     &err);
        FZ_CHECK((rc == 0) == (rc3 == 0), "compile %d but parse %d: %s", rc,
                 rc3, err.message);
        ofb_workflow_unref(wf3);
        free(src);
    }

    if (rc == 0 && rc2 == 0) {
        /* A partial assignment, then two completions of it. */
        ofb__ival part[NIN], full[NIN];
        for (int k = 0; k < NIN; k++)
            value_of(k, fz_byte(&in), &part[k]);
        uint32_t missing = OFB__NONE;
        int r = ofb__expr_eval(wf, root, part, &missing);
        FZ_CHECK(r == 0 || r == 1 || r == -1, "eval returned %d", r);
        if (r == -1)
            FZ_CHECK(missing < NIN && part[missing].text == NULL,
                     "unknown result names input %u, which is set",
                     (unsigned)missing);
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < NIN; k++) {
                full[k] = part[k];
                if (!full[k].text)
                    value_of(k, 1 + fz_byte(&in) % 255, &full[k]);
            }
            int rf = ofb__expr_eval(wf, root, full, &missing);
            FZ_CHECK(rf == 0 || rf == 1, "full assignment gave %d", rf);
            if (r != -1)
                FZ_CHECK(rf == r, "decided %d, then %d once set", r, rf);
            /* The sealed copy evaluates the same. */
            ofb_workflow *w = wf2;
            int rs = ofb__expr_eval(w, w->steps[0].guard, full, &missing);
            FZ_CHECK(rs == rf, "sealed copy gives %d, compiled %d", rs, rf);
        }
    }

    ofb_workflow_unref(wf2);
    ofb_workflow_unref(wf);
    free(text);
    return 0;
}
