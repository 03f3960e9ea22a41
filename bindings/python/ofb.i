/*
 * ofb.i - the low-level Python module `_ofb` (SWIG).
 *
 * This layer stays thin and mechanical: it turns ofb.h calls into functions
 * on plain Python values (str, int, tuples, lists, dicts) and capsules, and
 * raises through an exception factory the `ofb` package installs. The
 * idiomatic API (Workflow, Run, outcomes, decorators) lives in ofb/__init__.py.
 *
 * Ownership:
 *   - a workflow capsule holds one reference (ofb_workflow_unref on collect);
 *   - a run capsule holds a small box owning the ofb_run and the verify
 *     callable; run_close frees the run early, later use raises ValueError;
 *   - every handler binding holds a strong reference to its Python callable,
 *     released by the library's payload_free hook on replace and on free.
 *
 * Threads: long C calls (advance, journal writes, open) release the GIL; every
 * callback into Python takes it back with PyGILState_Ensure.
 */
%module(docstring="Low-level libofb bindings. Use the `ofb` package instead.") ofb

%{
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "ofb.h"

#define WF_CAPSULE "ofb.workflow"
#define RUN_CAPSULE "ofb.run"
#define CALL_CAPSULE "ofb.call"
/* A call capsule is renamed to this once its handler returns, so keeping it
 * and using it later raises instead of touching a freed ofb_call. */
#define CALL_EXPIRED "ofb.call.expired"

/* Builds the package's exception for an error code; set once at import. */
static PyObject *pyofb_error_factory;

/* A run and what must live exactly as long as it. */
typedef struct pyofb_run {
    ofb_run *run;
    PyObject *verify; /* strong; the run may call it on any advance */
} pyofb_run;

/*
 * An exception raised by a callback that must not be turned into a step
 * outcome (KeyboardInterrupt, SystemExit, any error in verify) is parked
 * here, the callback returns OFB_EUSER to unwind the C call, and the wrapper
 * that made the call raises it again. Per thread, because runs in different
 * threads advance at once.
 */
static _Thread_local PyObject *pyofb_pending;

static void pending_park(void)
{
    PyObject *exc;
#if PY_VERSION_HEX >= 0x030C0000
    exc = PyErr_GetRaisedException();
#else
    PyObject *type, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    PyErr_NormalizeException(&type, &exc, &tb);
    if (exc && tb)
        PyException_SetTraceback(exc, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
#endif
    if (pyofb_pending) /* the first one wins; the C call is unwinding */
        Py_XDECREF(exc);
    else
        pyofb_pending = exc;
}

/* Raises the parked exception, if any. Returns 1 when it did. */
static int pending_raise(void)
{
    PyObject *exc = pyofb_pending;
    if (!exc)
        return 0;
    pyofb_pending = NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return 1;
}

/* C string to str, never failing on bad UTF-8 (messages may quote input
 * bytes); NULL becomes None. */
static PyObject *str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

/* Same, but "" (the API's "absent") also becomes None. */
static PyObject *opt_str(const char *s)
{
    if (!s || !*s)
        Py_RETURN_NONE;
    return str_or_none(s);
}

static PyObject *time_or_none(ofb_time t)
{
    if (t == OFB_NEVER)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)t);
}

/* Raises the package's exception for code, using err's details when set.
 * errors (may be NULL) is the list of every diagnostic of a parse. Always
 * returns NULL so callers can `return raise_error(...)`. */
static PyObject *raise_error(int code, const ofb_error *err, PyObject *errors)
{
    static const ofb_error none;
    PyObject *msg, *exc;

    if (pending_raise())
        return NULL;
    if (!err)
        err = &none;
    msg = str_or_none(err->message[0] ? err->message : ofb_strerror(code));
    if (!msg)
        return NULL;
    if (!pyofb_error_factory) {
        PyErr_SetObject(PyExc_RuntimeError, msg);
        Py_DECREF(msg);
        return NULL;
    }
    exc = PyObject_CallFunction(pyofb_error_factory, "iNNiiNNiO", code, msg,
                                str_or_none(err->file), err->line, err->column,
                                str_or_none(err->step), str_or_none(err->detail),
                                err->count, errors ? errors : Py_None);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* ---- capsules ---------------------------------------------------------- */

static void wf_capsule_free(PyObject *cap)
{
    ofb_workflow_unref(PyCapsule_GetPointer(cap, WF_CAPSULE));
}

/* Takes over one reference to wf. */
static PyObject *wf_wrap(ofb_workflow *wf)
{
    PyObject *cap = PyCapsule_New(wf, WF_CAPSULE, wf_capsule_free);
    if (!cap)
        ofb_workflow_unref(wf);
    return cap;
}

static ofb_workflow *wf_from(PyObject *o)
{
    return PyCapsule_GetPointer(o, WF_CAPSULE);
}

static void run_box_free(pyofb_run *box)
{
    ofb_run_free(box->run); /* releases the handlers' callables */
    box->run = NULL;
    Py_CLEAR(box->verify);
}

static void run_capsule_free(PyObject *cap)
{
    pyofb_run *box = PyCapsule_GetPointer(cap, RUN_CAPSULE);
    if (box) {
        run_box_free(box);
        PyMem_Free(box);
    }
}

/* Takes over run and a reference to verify (may be NULL). */
static PyObject *run_wrap(ofb_run *run, PyObject *verify)
{
    PyObject *cap;
    pyofb_run *box = PyMem_Malloc(sizeof *box);
    if (!box) {
        ofb_run_free(run);
        Py_XDECREF(verify);
        return PyErr_NoMemory();
    }
    box->run = run;
    box->verify = verify;
    cap = PyCapsule_New(box, RUN_CAPSULE, run_capsule_free);
    if (!cap) {
        run_box_free(box);
        PyMem_Free(box);
    }
    return cap;
}

static ofb_run *run_from(PyObject *o)
{
    pyofb_run *box = PyCapsule_GetPointer(o, RUN_CAPSULE);
    if (!box)
        return NULL;
    if (!box->run) {
        PyErr_SetString(PyExc_ValueError, "the run is closed");
        return NULL;
    }
    return box->run;
}

/* ---- small conversions ------------------------------------------------- */

/* A sequence of (str, str) pairs as an ofb_kv array (PyMem). The strings are
 * borrowed from seq, which the caller keeps alive while the array is used. */
static int kv_from(PyObject *seq, ofb_kv **out, size_t *n)
{
    PyObject *fast;
    Py_ssize_t i, len;

    *out = NULL;
    *n = 0;
    if (!seq || seq == Py_None)
        return 0;
    fast = PySequence_Fast(seq, "expected a sequence of (key, value) pairs");
    if (!fast)
        return -1;
    len = PySequence_Fast_GET_SIZE(fast);
    if (len > 0) {
        *out = PyMem_Calloc((size_t)len, sizeof **out);
        if (!*out) {
            Py_DECREF(fast);
            PyErr_NoMemory();
            return -1;
        }
    }
    for (i = 0; i < len; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyArg_ParseTuple(pair, "ss", &(*out)[i].key, &(*out)[i].value)) {
            PyMem_Free(*out);
            *out = NULL;
            Py_DECREF(fast);
            return -1;
        }
    }
    *n = (size_t)len;
    Py_DECREF(fast); /* items stay alive through seq */
    return 0;
}

static PyObject *kv_dict(const ofb_kv *kv, size_t n)
{
    size_t i;
    PyObject *d = PyDict_New();
    for (i = 0; d && i < n; i++) {
        PyObject *k = str_or_none(kv[i].key), *v = str_or_none(kv[i].value);
        if (!k || !v || PyDict_SetItem(d, k, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return d;
}

/* Appends a new reference to list and drops it; NULL item = failure. */
static int append_new(PyObject *list, PyObject *item)
{
    int rc;
    if (!item)
        return -1;
    rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

/* Callback payload for the list-building iterations below. A Python error
 * stops the iteration with this code and is then raised as is. */
#define PYERR_STOP (-1000)

/* A growable text buffer for the exporters. */
typedef struct pyofb_text {
    char *data;
    size_t len, cap;
} pyofb_text;

static int text_write(const char *data, size_t len, void *payload)
{
    pyofb_text *t = payload;
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        char *p;
        while (cap < t->len + len + 1)
            cap *= 2;
        p = PyMem_Realloc(t->data, cap);
        if (!p)
            return OFB_ENOMEM;
        t->data = p;
        t->cap = cap;
    }
    memcpy(t->data + t->len, data, len);
    t->len += len;
    return 0;
}

static PyObject *text_result(pyofb_text *t, int rc)
{
    PyObject *s = NULL;
    if (rc < 0)
        raise_error(rc, NULL, NULL);
    else
        s = PyUnicode_DecodeUTF8(t->data ? t->data : "", (Py_ssize_t)t->len,
                                 "replace");
    PyMem_Free(t->data);
    return s;
}

/* ---- callbacks into Python --------------------------------------------- */

/* A handler's return value: None (done), an int outcome, or a tuple
 * (outcome, text) where text is the WAIT event or the FAIL/SKIP/RETRY
 * reason. Returns the outcome, or -1 with a Python error set. */
static int apply_result(ofb_call *call, PyObject *res)
{
    int outcome = OFB_DONE;
    const char *text = NULL;

    if (res == Py_None)
        return OFB_DONE;
    if (PyLong_Check(res)) {
        outcome = (int)PyLong_AsLong(res);
        if (outcome == -1 && PyErr_Occurred())
            return -1;
    } else if (!PyArg_ParseTuple(res, "iz;a handler returns None, an outcome "
                                      "or (outcome, text)",
                                 &outcome, &text)) {
        return -1;
    }
    if (outcome < OFB_DONE || outcome > OFB_SKIP) {
        PyErr_Format(PyExc_ValueError, "unknown outcome %d", outcome);
        return -1;
    }
    if (outcome == OFB_WAIT && text && ofb_call_wait(call, text) < 0) {
        PyErr_Format(PyExc_ValueError, "cannot wait for '%s'", text);
        return -1;
    }
    if (outcome != OFB_WAIT && text)
        ofb_call_reason(call, text); /* only fails on memory: reason lost */
    return outcome;
}

/* The exception text, cut at a character boundary below the library's
 * string limit. */
static void reason_from_exception(ofb_call *call)
{
    PyObject *exc, *s = NULL;
    const char *text = NULL;
    Py_ssize_t len = 0;
#if PY_VERSION_HEX >= 0x030C0000
    exc = PyErr_GetRaisedException();
#else
    PyObject *type, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    PyErr_NormalizeException(&type, &exc, &tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
#endif
    if (exc)
        s = PyObject_Str(exc);
    if (s)
        text = PyUnicode_AsUTF8AndSize(s, &len);
    if (!text || len == 0) {
        PyErr_Clear(); /* str() itself failed: the type's name will do */
        text = exc ? Py_TYPE(exc)->tp_name : "handler failed";
        len = (Py_ssize_t)strlen(text);
    }
    if (len >= OFB_STRING_MAX) {
        char buf[OFB_STRING_MAX];
        Py_ssize_t cut = OFB_STRING_MAX - 1;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(buf, text, (size_t)cut);
        buf[cut] = '\0';
        ofb_call_reason(call, buf);
    } else {
        ofb_call_reason(call, text);
    }
    Py_XDECREF(s);
    Py_XDECREF(exc);
}

/*
 * The one C handler for every Python callable: payload is the callable
 * (a strong reference owned by the binding). It is called as
 * fn(call_capsule, step_id, attempt, key, time). An ordinary exception
 * becomes a FAIL whose reason is its text, so the run goes on and the
 * journal says why; KeyboardInterrupt and SystemExit stop the advance and
 * surface in the caller (the step stays in doubt, rerun with the same key).
 */
static int pyofb_handler(ofb_call *call, void *payload)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *cap, *args = NULL, *res = NULL;
    int outcome = -1;

    cap = PyCapsule_New(call, CALL_CAPSULE, NULL);
    if (cap)
        args = Py_BuildValue("(OsIsL)", cap, ofb_call_step_id(call),
                             ofb_call_attempt(call), ofb_call_key(call),
                             (long long)ofb_call_time(call));
    if (args)
        res = PyObject_CallObject((PyObject *)payload, args);
    if (cap)
        PyCapsule_SetName(cap, CALL_EXPIRED);
    if (res)
        outcome = apply_result(call, res);
    if (outcome < 0) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            reason_from_exception(call);
            outcome = OFB_FAIL;
        } else {
            pending_park();
            outcome = OFB_EUSER;
        }
    }
    Py_XDECREF(res);
    Py_XDECREF(args);
    Py_XDECREF(cap);
    PyGILState_Release(gil);
    return outcome;
}

/* payload_free of a binding: drops the callable's reference. The library
 * may call it from a thread without the GIL (a run freed elsewhere). */
static void pyofb_release(void *payload)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    Py_DECREF((PyObject *)payload);
    PyGILState_Release(gil);
}

/* verify(step_index, key) -> truthy when the step did happen. Any
 * exception stops the call that asked, and is raised from it. */
static int pyofb_verify(ofb_run *run, size_t step, const char *key,
                        void *payload)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *res;
    int verdict;

    (void)run;
    res = PyObject_CallFunction((PyObject *)payload, "ns", (Py_ssize_t)step,
                                key);
    verdict = res ? PyObject_IsTrue(res) : -1;
    Py_XDECREF(res);
    if (verdict < 0) {
        pending_park();
        verdict = OFB_EUSER;
    } else {
        verdict = verdict ? OFB_VERIFY_DONE : OFB_VERIFY_RERUN;
    }
    PyGILState_Release(gil);
    return verdict;
}

/* Collects every diagnostic of a parse as (line, column, message). */
static void diag_collect(const ofb_error *e, void *payload)
{
    PyObject *list = payload;
    if (PyErr_Occurred())
        return; /* keep the first failure */
    append_new(list, Py_BuildValue("(iiN)", e->line, e->column,
                                   str_or_none(e->message)));
}

static int plan_collect(const ofb_plan_item *it, void *payload)
{
    ofb_workflow *wf = ((void **)payload)[0];
    PyObject *list = ((void **)payload)[1];
    ofb_step_info info;
    static const char *const kinds[] = {"run", "skip", "depends"};

    if (ofb_workflow_step(wf, it->step, &info) < 0)
        info.id = "";
    if (append_new(list, Py_BuildValue(
            "{s:N,s:n,s:s,s:N}", "step", str_or_none(info.id),
            "position", (Py_ssize_t)it->position, "kind",
            (unsigned)it->kind < 3 ? kinds[it->kind] : "?", "reason",
            opt_str(it->reason))) < 0)
        return PYERR_STOP;
    return 0;
}

static const char *const next_kinds[] = {
    "do", "confirm", "auto", "running", "event", "retry", "failed",
    "blocked", "input"};

static int next_collect(const ofb_next_item *it, void *payload)
{
    PyObject *list = payload;
    const char *kind = (unsigned)it->kind < 9 ? next_kinds[it->kind] : "?";
    if (append_new(list, Py_BuildValue(
            "{s:N,s:N,s:N,s:s,s:N,s:N,s:N,s:N}",
            "step", str_or_none(it->step_id), "title", str_or_none(it->title),
            "role", opt_str(it->role), "kind", kind,
            "event", opt_str(it->event), "detail", opt_str(it->detail),
            "due", time_or_none(it->due), "reason", opt_str(it->reason))) < 0)
        return PYERR_STOP;
    return 0;
}

static const char *const outcome_names[] = {"done", "wait", "retry", "fail",
                                            "skip"};

static int event_collect(const ofb_event *ev, void *payload)
{
    PyObject *list = payload, *outcome;
    if (ev->outcome >= 0 && ev->outcome <= OFB_SKIP)
        outcome = PyUnicode_FromString(outcome_names[ev->outcome]);
    else
    {
        Py_INCREF(Py_None);
        outcome = Py_None;
    }
    if (append_new(list, Py_BuildValue(
            "{s:N,s:K,s:L,s:N,s:I,s:N,s:N,s:N,s:N,s:N,s:N,s:N}",
            "kind", str_or_none(ofb_event_kind_name(ev->kind)),
            "seq", (unsigned long long)ev->seq, "time", (long long)ev->time,
            "step", opt_str(ev->step), "attempt", ev->attempt,
            "outcome", outcome, "name", opt_str(ev->name),
            "value", opt_str(ev->value), "actor", opt_str(ev->actor),
            "note", opt_str(ev->note),
            "evidence", kv_dict(ev->evidence, ev->nevidence),
            "inputs", kv_dict(ev->inputs, ev->ninputs))) < 0)
        return PYERR_STOP;
    return 0;
}

static PyObject *list_result(PyObject *list, int rc, const ofb_error *err)
{
    if (rc == PYERR_STOP || (rc < 0 && PyErr_Occurred())) {
        Py_DECREF(list);
        return NULL;
    }
    if (rc < 0) {
        Py_DECREF(list);
        return raise_error(rc, err, NULL);
    }
    return list;
}

/* The call behind a handler's capsule; raises once the handler returned. */
static ofb_call *call_from(PyObject *cap)
{
    return PyCapsule_GetPointer(cap, CALL_CAPSULE);
}

static int durability_from(const char *name, ofb_durability *out)
{
    if (!name || strcmp(name, "every") == 0)
        *out = OFB_SYNC_EVERY;
    else if (strcmp(name, "flush") == 0)
        *out = OFB_SYNC_FLUSH;
    else if (strcmp(name, "never") == 0)
        *out = OFB_SYNC_NEVER;
    else {
        PyErr_Format(PyExc_ValueError,
                     "durability must be 'every', 'flush' or 'never', not '%s'",
                     name);
        return -1;
    }
    return 0;
}
%}

/* Capsules in, checked by type: a wrong or closed object raises before any C
 * call. The *_opt forms also accept None. */
%typemap(in) ofb_workflow *wf {
    $1 = wf_from($input);
    if (!$1) SWIG_fail;
}
%typemap(in) ofb_workflow *wf_opt {
    $1 = NULL;
    if ($input != Py_None && !($1 = wf_from($input))) SWIG_fail;
}
%typemap(in) ofb_run *run {
    $1 = run_from($input);
    if (!$1) SWIG_fail;
}
%typemap(in) ofb_run *run_opt {
    $1 = NULL;
    if ($input != Py_None && !($1 = run_from($input))) SWIG_fail;
}

/* Named so in Python; the C name avoids libc's strerror. */
%rename(strerror) pyofb_strerror;

%{
/* Installs factory(code, message, file, line, column, step, detail, count,
 * errors) -> exception instance, used for every library error. */
static PyObject *set_error_factory(PyObject *factory)
{
    PyObject *old = pyofb_error_factory;
    Py_INCREF(factory);
    pyofb_error_factory = factory;
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *version(void) { return str_or_none(ofb_version()); }

static PyObject *pyofb_strerror(int code) { return str_or_none(ofb_strerror(code)); }

/* ---- workflows --------------------------------------------------------- */

static PyObject *builtin_names(void)
{
    size_t i, n = ofb_builtin_count();
    PyObject *list = PyList_New(0);
    for (i = 0; list && i < n; i++)
        if (append_new(list, str_or_none(ofb_builtin_name(i))) < 0)
            Py_CLEAR(list);
    return list;
}

static PyObject *builtin_source(const char *name)
{
    return str_or_none(ofb_builtin_source(name));
}

static PyObject *builtin_load(const char *name)
{
    ofb_workflow *wf = NULL;
    ofb_error err;
    int rc;
    memset(&err, 0, sizeof err);
    rc = ofb_builtin_load(&wf, name, NULL, &err);
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    return wf_wrap(wf);
}

/* Parses text (str or bytes) or, when is_path, loads the file text names. */
static PyObject *workflow_parse(PyObject *text, const char *name, int is_path)
{
    ofb_workflow *wf = NULL;
    ofb_parse_opts opts;
    ofb_error err;
    PyObject *errors, *res = NULL;
    const char *data = NULL;
    Py_ssize_t len = 0;
    int rc;

    if (PyUnicode_Check(text))
        data = PyUnicode_AsUTF8AndSize(text, &len);
    else if (PyBytes_AsStringAndSize(text, (char **)&data, &len) < 0)
        data = NULL;
    if (!data)
        return NULL;
    errors = PyList_New(0);
    if (!errors)
        return NULL;
    memset(&opts, 0, sizeof opts);
    memset(&err, 0, sizeof err);
    opts.diag = diag_collect;
    opts.payload = errors;
    if (is_path)
        rc = ofb_workflow_load_file(&wf, data, &opts, &err);
    else
        rc = ofb_workflow_parse(&wf, data, (size_t)len, name, &opts, &err);
    if (PyErr_Occurred()) {
        ofb_workflow_unref(wf); /* a diagnostic could not be kept */
    } else if (rc < 0) {
        raise_error(rc, &err, errors);
    } else {
        res = wf_wrap(wf);
    }
    Py_DECREF(errors);
    return res;
}

static PyObject *workflow_info(ofb_workflow *wf)
{
    return Py_BuildValue("{s:N,s:I,s:N,s:N,s:N,s:O}",
                         "id", str_or_none(ofb_workflow_id(wf)),
                         "version", ofb_workflow_version(wf),
                         "title", str_or_none(ofb_workflow_title(wf)),
                         "doc", str_or_none(ofb_workflow_doc(wf)),
                         "hash", str_or_none(ofb_workflow_hash(wf)),
                         "sealed", ofb_workflow_is_sealed(wf) ? Py_True : Py_False);
}

/* Steps in definition order: (id, title, role, action, after, when,
 * wait_event, wait_timeout, retry_count, retry_backoff, flags, doc). */
static PyObject *workflow_steps(ofb_workflow *wf)
{
    size_t i, j, n = ofb_workflow_step_count(wf);
    PyObject *list = PyList_New(0);

    for (i = 0; list && i < n; i++) {
        ofb_step_info s;
        PyObject *after;
        if (ofb_workflow_step(wf, i, &s) < 0)
            break;
        after = PyTuple_New((Py_ssize_t)s.nafter);
        for (j = 0; after && j < s.nafter; j++) {
            PyObject *a = str_or_none(s.after[j]);
            if (!a) {
                Py_CLEAR(after);
                break;
            }
            PyTuple_SET_ITEM(after, (Py_ssize_t)j, a);
        }
        if (!after || append_new(list, Py_BuildValue(
                "(NNNNNNNLILIN)", str_or_none(s.id), str_or_none(s.title),
                opt_str(s.role), opt_str(s.action), after, opt_str(s.when),
                opt_str(s.wait_event), (long long)s.wait_timeout,
                s.retry_count, (long long)s.retry_backoff, s.flags,
                str_or_none(s.doc))) < 0)
            Py_CLEAR(list);
    }
    return list;
}

/* Inputs: (id, type, choices, required, default, description). */
static PyObject *workflow_inputs(ofb_workflow *wf)
{
    static const char *const types[] = {"string", "bool", "date", "choice"};
    size_t i, j, n = ofb_workflow_input_count(wf);
    PyObject *list = PyList_New(0);

    for (i = 0; list && i < n; i++) {
        ofb_input_info in;
        PyObject *choices;
        if (ofb_workflow_input(wf, i, &in) < 0)
            break;
        choices = PyTuple_New((Py_ssize_t)in.nchoices);
        for (j = 0; choices && j < in.nchoices; j++) {
            PyObject *c = str_or_none(in.choices[j]);
            if (!c) {
                Py_CLEAR(choices);
                break;
            }
            PyTuple_SET_ITEM(choices, (Py_ssize_t)j, c);
        }
        if (!choices || append_new(list, Py_BuildValue(
                "(NsNONN)", str_or_none(in.id),
                (unsigned)in.type < 4 ? types[in.type] : "?", choices,
                in.required ? Py_True : Py_False,
                str_or_none(in.default_value),
                opt_str(in.description))) < 0)
            Py_CLEAR(list);
    }
    return list;
}

/* Step indexes in topological order. */
static PyObject *workflow_order(ofb_workflow *wf)
{
    size_t i, step, n = ofb_workflow_step_count(wf);
    PyObject *list = PyList_New(0);
    for (i = 0; list && i < n; i++) {
        int rc = ofb_workflow_order(wf, i, &step);
        if (rc < 0) {
            Py_DECREF(list);
            return raise_error(rc, NULL, NULL);
        }
        if (append_new(list, PyLong_FromSize_t(step)) < 0)
            Py_CLEAR(list);
    }
    return list;
}

/* inputs: a sequence of (id, text value) pairs. */
static PyObject *workflow_plan(ofb_workflow *wf, PyObject *inputs)
{
    ofb_kv *kv;
    size_t n;
    ofb_error err;
    void *payload[2];
    PyObject *list;
    int rc;

    if (kv_from(inputs, &kv, &n) < 0)
        return NULL;
    list = PyList_New(0);
    if (!list) {
        PyMem_Free(kv);
        return NULL;
    }
    memset(&err, 0, sizeof err);
    payload[0] = wf;
    payload[1] = list;
    rc = ofb_workflow_plan(wf, kv, n, plan_collect, payload, &err);
    PyMem_Free(kv);
    return list_result(list, rc, &err);
}

/* what: "text" (canonical .ofb), "dot", "mermaid", "checklist". */
static PyObject *workflow_export(ofb_workflow *wf, ofb_run *run_opt, const char *what)
{
    pyofb_text t = {NULL, 0, 0};
    int rc;
    if (strcmp(what, "text") == 0)
        rc = ofb_workflow_write(wf, text_write, &t);
    else if (strcmp(what, "dot") == 0)
        rc = ofb_export_dot(wf, run_opt, text_write, &t);
    else if (strcmp(what, "mermaid") == 0)
        rc = ofb_export_mermaid(wf, run_opt, text_write, &t);
    else if (strcmp(what, "checklist") == 0)
        rc = ofb_export_checklist(wf, run_opt, text_write, &t);
    else {
        PyErr_Format(PyExc_ValueError, "no export named '%s'", what);
        return NULL;
    }
    return text_result(&t, rc);
}

/* A Markdown checklist turned into .ofb text: (text, notes). */
static PyObject *import_checklist(PyObject *md, const char *name)
{
    pyofb_text t = {NULL, 0, 0}, notes = {NULL, 0, 0};
    ofb_error err;
    const char *data;
    Py_ssize_t len;
    PyObject *text, *res = NULL;
    int rc;

    data = PyUnicode_AsUTF8AndSize(md, &len);
    if (!data)
        return NULL;
    memset(&err, 0, sizeof err);
    rc = ofb_import_checklist(data, (size_t)len, name, text_write, &t,
                              text_write, &notes, &err);
    if (rc < 0) {
        PyMem_Free(t.data);
        PyMem_Free(notes.data);
        return raise_error(rc, &err, NULL);
    }
    text = text_result(&t, 0);
    if (text)
        res = Py_BuildValue("(NN)", text, text_result(&notes, 0));
    else
        PyMem_Free(notes.data);
    return res;
}

/* ---- runs -------------------------------------------------------------- */

/* A new run; with a journal path the file must not exist yet. */
static PyObject *run_new(ofb_workflow *wf, const char *run_id, const char *path,
                  const char *durability, int lock_timeout_ms)
{
    ofb_run_opts opts;
    ofb_run *run = NULL;
    ofb_error err;
    int rc = 0;

    memset(&opts, 0, sizeof opts);
    memset(&err, 0, sizeof err);
    if (durability_from(durability, &opts.durability) < 0)
        return NULL;
    opts.lock_timeout_ms = lock_timeout_ms;
    Py_BEGIN_ALLOW_THREADS
    if (path)
        rc = ofb_store_file(&opts.store, path,
                            OFB_STORE_CREATE | OFB_STORE_EXCL, &err);
    if (rc == 0) {
        rc = ofb_run_new(&run, wf, run_id, &opts, &err);
        if (rc < 0)
            ofb_store_close(opts.store); /* still ours on failure */
    }
    Py_END_ALLOW_THREADS
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    return run_wrap(run, NULL);
}

/* Opens a run from its journal: (run, (records, torn_records, torn_bytes,
 * in_doubt)). verify (or None) decides in-doubt steps. */
static PyObject *run_open(const char *path, ofb_workflow *wf_opt, PyObject *verify,
                   const char *durability, int lock_timeout_ms, int readonly)
{
    ofb_run_opts opts;
    ofb_recovery rec;
    ofb_run *run = NULL;
    ofb_error err;
    int rc;

    memset(&opts, 0, sizeof opts);
    memset(&rec, 0, sizeof rec);
    memset(&err, 0, sizeof err);
    if (durability_from(durability, &opts.durability) < 0)
        return NULL;
    if (verify != Py_None) {
        if (!PyCallable_Check(verify)) {
            PyErr_SetString(PyExc_TypeError, "verify must be callable");
            return NULL;
        }
        opts.verify = pyofb_verify;
        opts.verify_payload = verify;
    }
    opts.lock_timeout_ms = lock_timeout_ms;
    Py_BEGIN_ALLOW_THREADS
    rc = ofb_store_file(&opts.store, path,
                        readonly ? OFB_STORE_READONLY : 0, &err);
    if (rc == 0) {
        rc = ofb_run_open(&run, wf_opt, &opts, &rec, &err);
        if (rc < 0)
            ofb_store_close(opts.store);
    }
    Py_END_ALLOW_THREADS
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    if (verify != Py_None)
        Py_INCREF(verify); /* the box owns it from here */
    return Py_BuildValue("(N(nnnn))",
                         run_wrap(run, verify != Py_None ? verify : NULL),
                         (Py_ssize_t)rec.records, (Py_ssize_t)rec.torn_records,
                         (Py_ssize_t)rec.torn_bytes, (Py_ssize_t)rec.in_doubt);
}

/* Frees the run now (syncs and closes its journal, releases handlers). */
static PyObject *run_close(PyObject *cap)
{
    pyofb_run *box = PyCapsule_GetPointer(cap, RUN_CAPSULE);
    if (!box)
        return NULL;
    if (box->run) {
        ofb_run *run = box->run;
        PyObject *verify = box->verify;
        box->run = NULL;
        box->verify = NULL;
        ofb_run_free(run);
        Py_XDECREF(verify);
    }
    Py_RETURN_NONE;
}

static PyObject *run_id(ofb_run *run) { return str_or_none(ofb_run_id(run)); }

static PyObject *run_workflow(ofb_run *run)
{
    return wf_wrap(ofb_workflow_ref(ofb_run_workflow(run)));
}

static PyObject *run_state(ofb_run *run)
{
    return str_or_none(ofb_run_status_name(ofb_run_status_get(run)));
}

static PyObject *run_now(ofb_run *run)
{
    return PyLong_FromLongLong((long long)ofb_run_now(run));
}

static PyObject *run_input(ofb_run *run, const char *id)
{
    return str_or_none(ofb_run_input(run, id));
}

static PyObject *run_signalled(ofb_run *run, const char *event)
{
    return PyBool_FromLong(ofb_run_signalled(run, event));
}

/*
 * Every action of a person, one entry point:
 *   what     "complete", "begin", "skip", "confirm", "fail", "retry",
 *            "signal" (target = event), "input" (target = input id,
 *            value), "start", "cancel" (target ignored)
 *   evidence a sequence of (key, value) pairs, or None
 *   at       the time of the act (0 = the run's latest time)
 */
static PyObject *run_act(ofb_run *run, const char *what, const char *target,
                  const char *value, const char *by, const char *note,
                  PyObject *evidence, PyObject *inputs, long long at)
{
    int (*fn)(ofb_run *, const char *, const ofb_act *, ofb_error *) = NULL;
    int input = 0, whole = 0, rc = 0;
    ofb_kv *kv;
    size_t n;
    ofb_act act;
    ofb_error err;

    if (strcmp(what, "complete") == 0) fn = ofb_run_complete;
    else if (strcmp(what, "begin") == 0) fn = ofb_run_begin;
    else if (strcmp(what, "skip") == 0) fn = ofb_run_skip;
    else if (strcmp(what, "confirm") == 0) fn = ofb_run_confirm;
    else if (strcmp(what, "fail") == 0) fn = ofb_run_fail;
    else if (strcmp(what, "retry") == 0) fn = ofb_run_retry;
    else if (strcmp(what, "signal") == 0) fn = ofb_run_signal;
    else if (strcmp(what, "input") == 0) input = 1;
    else if (strcmp(what, "start") == 0) whole = 1;
    else if (strcmp(what, "cancel") == 0) whole = 2;
    else {
        PyErr_Format(PyExc_ValueError, "no action named '%s'", what);
        return NULL;
    }
    if (!whole && !target) {
        PyErr_SetString(PyExc_TypeError, "a step, event or input is needed");
        return NULL;
    }
    if (input && !value) {
        PyErr_SetString(PyExc_TypeError, "a value is needed");
        return NULL;
    }
    ofb_kv *in = NULL;
    size_t nin = 0;
    if (kv_from(evidence, &kv, &n) < 0)
        return NULL;
    if (kv_from(inputs, &in, &nin) < 0) {
        PyMem_Free(kv);
        return NULL;
    }
    memset(&act, 0, sizeof act);
    act.inputs = in;
    act.ninputs = nin;
    memset(&err, 0, sizeof err);
    act.actor = by;
    act.note = note;
    act.evidence = kv;
    act.nevidence = n;
    act.time = (ofb_time)at;
    /* Journal writes may fsync: let other threads run meanwhile. */
    Py_BEGIN_ALLOW_THREADS
    if (fn)
        rc = fn(run, target, &act, &err);
    else if (input)
        rc = ofb_run_set_input(run, target, value, &act, &err);
    else if (whole == 1)
        rc = ofb_run_start(run, &act, &err);
    else
        rc = ofb_run_cancel(run, &act, &err);
    Py_END_ALLOW_THREADS
    PyMem_Free(kv);
    PyMem_Free(in);
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    Py_RETURN_NONE;
}

/* Binds a callable: kind is an ofb_bind value, key ignored for DEFAULT. */
static PyObject *run_bind(ofb_run *run, int kind, const char *key, PyObject *fn)
{
    ofb_error err;
    int rc;

    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "a handler must be callable");
        return NULL;
    }
    memset(&err, 0, sizeof err);
    Py_INCREF(fn); /* owned by the binding; pyofb_release drops it */
    rc = ofb_run_bind(run, (ofb_bind)kind, key, pyofb_handler, fn,
                      pyofb_release, &err);
    if (rc < 0) {
        Py_DECREF(fn); /* on failure the library did not take it */
        return raise_error(rc, &err, NULL);
    }
    Py_RETURN_NONE;
}

/* Runs what can run at now (one handler at most when once). Returns the
 * next time to advance, or None when only people or events can move it. */
static PyObject *run_advance(ofb_run *run, long long now, int once)
{
    ofb_time next = OFB_NEVER;
    ofb_error err;
    int rc;

    memset(&err, 0, sizeof err);
    /* Handlers take the GIL back themselves; other threads run meanwhile. */
    Py_BEGIN_ALLOW_THREADS
    if (once)
        rc = ofb_run_step(run, (ofb_time)now, &next, &err);
    else
        rc = ofb_run_advance(run, (ofb_time)now, &next, &err);
    Py_END_ALLOW_THREADS
    if (pending_raise())
        return NULL;
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    return time_or_none(next);
}

static PyObject *run_flush(ofb_run *run)
{
    ofb_error err;
    int rc;
    memset(&err, 0, sizeof err);
    Py_BEGIN_ALLOW_THREADS
    rc = ofb_run_flush(run, &err);
    Py_END_ALLOW_THREADS
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    Py_RETURN_NONE;
}

/* {status, now, counts: {state: n}, steps: {id: {...}}, inputs: {id: text}} */
static PyObject *run_status(ofb_run *run)
{
    ofb_workflow *wf = ofb_run_workflow(run);
    size_t i, n, counts[8];
    PyObject *res, *c, *steps, *inputs;

    ofb_run_counts(run, counts);
    c = PyDict_New();
    steps = PyDict_New();
    inputs = PyDict_New();
    res = Py_BuildValue("{s:N,s:N,s:L,s:O,s:O,s:O}",
                        "run", str_or_none(ofb_run_id(run)),
                        "status", str_or_none(ofb_run_status_name(
                                      ofb_run_status_get(run))),
                        "now", (long long)ofb_run_now(run),
                        "counts", c ? c : Py_None, "steps",
                        steps ? steps : Py_None, "inputs",
                        inputs ? inputs : Py_None);
    if (!res || !c || !steps || !inputs)
        goto fail;
    for (i = 0; i < 8; i++) {
        PyObject *v = PyLong_FromSize_t(counts[i]);
        int rc = v ? PyDict_SetItemString(
                         c, ofb_step_state_name((ofb_step_state)i), v) : -1;
        Py_XDECREF(v);
        if (rc < 0)
            goto fail;
    }
    n = ofb_workflow_step_count(wf);
    for (i = 0; i < n; i++) {
        ofb_step_info info;
        ofb_step_status st;
        PyObject *d;
        int rc;
        if (ofb_workflow_step(wf, i, &info) < 0 ||
            ofb_run_step_status(run, i, &st) < 0)
            continue;
        d = Py_BuildValue("{s:N,s:I,s:O,s:O,s:N,s:N}",
                          "state", str_or_none(ofb_step_state_name(st.state)),
                          "attempt", st.attempt,
                          "confirmed", st.confirmed ? Py_True : Py_False,
                          "in_doubt", st.in_doubt ? Py_True : Py_False,
                          "due", time_or_none(st.due),
                          "event", opt_str(st.event));
        rc = d ? PyDict_SetItemString(steps, info.id, d) : -1;
        Py_XDECREF(d);
        if (rc < 0)
            goto fail;
    }
    n = ofb_workflow_input_count(wf);
    for (i = 0; i < n; i++) {
        ofb_input_info in;
        PyObject *v;
        int rc;
        if (ofb_workflow_input(wf, i, &in) < 0)
            continue;
        v = str_or_none(ofb_run_input(run, in.id));
        rc = v ? PyDict_SetItemString(inputs, in.id, v) : -1;
        Py_XDECREF(v);
        if (rc < 0)
            goto fail;
    }
    Py_DECREF(c);
    Py_DECREF(steps);
    Py_DECREF(inputs);
    return res;
fail:
    Py_XDECREF(res);
    Py_XDECREF(c);
    Py_XDECREF(steps);
    Py_XDECREF(inputs);
    return NULL;
}

static PyObject *run_next(ofb_run *run, const char *role)
{
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    return list_result(list, ofb_run_next(run, role, next_collect, list), NULL);
}

static PyObject *run_history(ofb_run *run)
{
    ofb_error err;
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    memset(&err, 0, sizeof err);
    return list_result(list, ofb_run_history(run, event_collect, list, &err),
                       &err);
}

/* ---- journals, read only ----------------------------------------------- */

static PyObject *journal_read(const char *path)
{
    ofb_store *store = NULL;
    ofb_error err;
    PyObject *list;
    int rc;

    memset(&err, 0, sizeof err);
    rc = ofb_store_file(&store, path, OFB_STORE_READONLY, &err);
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    list = PyList_New(0);
    if (!list) {
        ofb_store_close(store);
        return NULL;
    }
    rc = ofb_journal_read(store, event_collect, list, &err);
    ofb_store_close(store);
    return list_result(list, rc, &err);
}

/* (records, torn_bytes, last_hash); a broken chain raises. */
static PyObject *journal_verify(const char *path)
{
    ofb_store *store = NULL;
    ofb_verify_report rep;
    ofb_error err;
    int rc;

    memset(&err, 0, sizeof err);
    memset(&rep, 0, sizeof rep);
    rc = ofb_store_file(&store, path, OFB_STORE_READONLY, &err);
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    Py_BEGIN_ALLOW_THREADS
    rc = ofb_journal_verify(store, &rep, &err);
    Py_END_ALLOW_THREADS
    ofb_store_close(store);
    if (rc < 0)
        return raise_error(rc, &err, NULL);
    return Py_BuildValue("(nns)", (Py_ssize_t)rep.records,
                         (Py_ssize_t)rep.torn_bytes, rep.last_hash);
}

/* ---- inside a handler -------------------------------------------------- */

static PyObject *call_evidence(PyObject *cap, const char *key, const char *value)
{
    ofb_call *call = call_from(cap);
    int rc;
    if (!call)
        return NULL;
    rc = ofb_call_evidence(call, key, value);
    if (rc < 0)
        return raise_error(rc, NULL, NULL);
    Py_RETURN_NONE;
}

static PyObject *call_set_input(PyObject *cap, const char *id, const char *value)
{
    ofb_call *call = call_from(cap);
    ofb_error err;
    int rc;
    if (!call)
        return NULL;
    rc = ofb_call_set_input(call, id, value);
    if (rc < 0) {
        memset(&err, 0, sizeof err);
        err.code = rc;
        snprintf(err.message, sizeof err.message,
                 "cannot set input '%s' to '%s': %s", id, value,
                 ofb_strerror(rc));
        snprintf(err.detail, sizeof err.detail, "%s", id);
        return raise_error(rc, &err, NULL);
    }
    Py_RETURN_NONE;
}
%}

/* The module: every function SWIG wraps (defined above). */
static PyObject *set_error_factory(PyObject *factory);
static PyObject *version(void);
static PyObject *pyofb_strerror(int code);
static PyObject *builtin_names(void);
static PyObject *builtin_source(const char *name);
static PyObject *builtin_load(const char *name);
static PyObject *workflow_parse(PyObject *text, const char *name, int is_path);
static PyObject *workflow_info(ofb_workflow *wf);
static PyObject *workflow_steps(ofb_workflow *wf);
static PyObject *workflow_inputs(ofb_workflow *wf);
static PyObject *workflow_order(ofb_workflow *wf);
static PyObject *workflow_plan(ofb_workflow *wf, PyObject *inputs);
static PyObject *workflow_export(ofb_workflow *wf, ofb_run *run_opt, const char *what);
static PyObject *import_checklist(PyObject *md, const char *name);
static PyObject *run_new(ofb_workflow *wf, const char *run_id, const char *path, const char *durability, int lock_timeout_ms);
static PyObject *run_open(const char *path, ofb_workflow *wf_opt, PyObject *verify, const char *durability, int lock_timeout_ms, int readonly);
static PyObject *run_close(PyObject *cap);
static PyObject *run_id(ofb_run *run);
static PyObject *run_workflow(ofb_run *run);
static PyObject *run_state(ofb_run *run);
static PyObject *run_now(ofb_run *run);
static PyObject *run_input(ofb_run *run, const char *id);
static PyObject *run_signalled(ofb_run *run, const char *event);
static PyObject *run_act(ofb_run *run, const char *what, const char *target, const char *value, const char *by, const char *note, PyObject *evidence, PyObject *inputs, long long at);
static PyObject *run_bind(ofb_run *run, int kind, const char *key, PyObject *fn);
static PyObject *run_advance(ofb_run *run, long long now, int once);
static PyObject *run_flush(ofb_run *run);
static PyObject *run_status(ofb_run *run);
static PyObject *run_next(ofb_run *run, const char *role);
static PyObject *run_history(ofb_run *run);
static PyObject *journal_read(const char *path);
static PyObject *journal_verify(const char *path);
static PyObject *call_evidence(PyObject *cap, const char *key, const char *value);
static PyObject *call_set_input(PyObject *cap, const char *id, const char *value);

/* The library's constants (error codes, states, kinds), and nothing else:
 * every function above is the interface. */
%rename("$ignore", %$isfunction) "";
%rename("$ignore", %$isclass) "";
%include "ofb.h"
