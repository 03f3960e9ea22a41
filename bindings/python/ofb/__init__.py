"""libofb for Python: customer-offboarding procedures as explicit state machines.

A :class:`Workflow` says what must happen and in which order; a :class:`Run`
is one offboarding of one customer, journaled to a file; your handlers say how
each step is done::

    import ofb

    wf = ofb.Workflow.builtin("intercept-customer")
    with ofb.Run(wf, "acme-2026", journal="acme.journal", tier="csp") as run:

        @run.handler(action="remove_policies")
        def remove(call):
            ticket = psa.close_policies(call.key)     # idempotency key
            return ofb.Done(evidence={"ticket": ticket})

        run.start()
        run.advance()
        for item in run.next():
            print(item["step"], item["kind"], item["reason"])

A handler returns ``None`` (done), :class:`Done`, :class:`Wait`,
:class:`Retry`, :class:`Fail` or :class:`Skip`. An exception raised by a
handler fails the step with the exception's text as the reason; the run goes
on and the journal records why.

Time is the host's: every method that acts takes it from the run's ``clock``
(``time.time`` unless you pass another), so tests can drive time by hand.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading as _threading
import time as _time
import weakref as _weakref
from typing import (Any, Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Tuple, TypeVar, Union)

from . import _ofb

__all__ = [
    "Workflow", "Run", "Step", "Input", "Call",
    "Outcome", "Done", "Wait", "Retry", "Fail", "Skip",
    "Error", "DefinitionError", "RefusedError", "NeedInputError",
    "JournalError", "InputError", "NotFoundError",
    "read_journal", "verify_journal", "import_checklist", "version",
    "strerror",
]

__version__: str = _ofb.OFB_VERSION_STRING


def version() -> str:
    """The version of the C library linked into this module."""
    return _ofb.version()


def strerror(code: int) -> str:
    """A short description of a libofb error code."""
    return _ofb.strerror(code)


# Error codes, as ofb.EPREREQ etc., for comparing with Error.code.
for _name in dir(_ofb):
    if _name.startswith("OFB_E") or _name == "OFB_OK":
        globals()[_name[4:]] = getattr(_ofb, _name)
del _name


# --------------------------------------------------------------------------
# Errors

class Error(Exception):
    """A libofb error.

    Attributes: ``code`` (a negative ``ofb.E...`` value), ``message`` (one
    line a person can act on), ``file``, ``line``, ``column`` (definitions),
    ``step`` and ``detail`` (the prerequisite, input or event concerned).
    """

    def __init__(self, code: int, message: str, file: Optional[str] = None,
                 line: int = 0, column: int = 0, step: Optional[str] = None,
                 detail: Optional[str] = None, count: int = 0,
                 errors: Optional[List[Tuple[int, int, str]]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file or None
        self.line = line
        self.column = column
        self.step = step or None
        self.detail = detail or None
        self.count = count
        self.errors = list(errors or [])

    @property
    def name(self) -> str:
        """The code's short description ("prerequisite not settled")."""
        return _ofb.strerror(self.code)


class DefinitionError(Error):
    """A workflow does not parse or is inconsistent.

    ``file``, ``line`` and ``column`` locate the first error; ``errors``
    holds every one found, as ``(line, column, message)``.
    """


class RefusedError(Error):
    """The workflow's rules refuse this action now (out of order, does not
    apply, not confirmed, already done...). ``step`` is the step refused and
    ``prerequisite`` the unsettled step or unmet condition it names."""

    @property
    def prerequisite(self) -> Optional[str]:
        return self.detail


class InputError(Error):
    """A value does not fit an input's type, or an input is missing."""


class NeedInputError(RefusedError, InputError):
    """Refused until an input is set: ``detail`` names the input."""


class JournalError(Error, OSError):
    """The journal could not be read or written, is damaged, is in use by
    another writer, or belongs to another definition."""


class NotFoundError(Error, LookupError):
    """No such step, input, event or built-in workflow."""


_CLASSES = {
    _ofb.OFB_ESYNTAX: DefinitionError,
    _ofb.OFB_EDEFINITION: DefinitionError,
    _ofb.OFB_ELIMIT: DefinitionError,
    _ofb.OFB_EPREREQ: RefusedError,
    _ofb.OFB_EGUARD: RefusedError,
    _ofb.OFB_ENOTREADY: RefusedError,
    _ofb.OFB_ENOTOPTIONAL: RefusedError,
    _ofb.OFB_ECONFIRM: RefusedError,
    _ofb.OFB_ESTATE: RefusedError,
    _ofb.OFB_ENEEDINPUT: NeedInputError,
    _ofb.OFB_ETYPE: InputError,
    _ofb.OFB_EIO: JournalError,
    _ofb.OFB_ECORRUPT: JournalError,
    _ofb.OFB_EBUSY: JournalError,
    _ofb.OFB_EMISMATCH: JournalError,
    _ofb.OFB_ENOTFOUND: NotFoundError,
}


def _make_error(code: int, message: str, file: Optional[str], line: int,
                column: int, step: Optional[str], detail: Optional[str],
                count: int, errors: Optional[list]) -> Error:
    cls = _CLASSES.get(code, Error)
    return cls(code, message, file, line, column, step, detail, count, errors)


_ofb.set_error_factory(_make_error)


# --------------------------------------------------------------------------
# Values

def _text(value: Any) -> str:
    """An input value as the library's text form."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _pairs(mapping: Optional[Mapping[str, Any]]) -> Optional[tuple]:
    if not mapping:
        return None
    return tuple((str(k), _text(v)) for k, v in mapping.items())


# --------------------------------------------------------------------------
# Workflows

class Step(NamedTuple):
    """A step as defined in its workflow."""
    id: str
    title: str
    role: Optional[str]
    action: Optional[str]
    after: Tuple[str, ...]
    when: Optional[str]
    wait_event: Optional[str]
    wait_timeout: int
    retry_count: int
    retry_backoff: int
    manual: bool
    optional: bool
    irreversible: bool
    doc: str


class Input(NamedTuple):
    """An input of a workflow's runs."""
    id: str
    type: str                 # "string", "bool", "date" or "choice"
    choices: Tuple[str, ...]
    required: bool
    default: Optional[str]
    description: Optional[str]


class Workflow:
    """A sealed, immutable workflow definition, shareable between runs and
    threads. Make one with :meth:`load`, :meth:`parse` or :meth:`builtin`."""

    __slots__ = ("_wf", "_info", "_steps", "_index", "__weakref__")

    def __init__(self, _capsule: Any) -> None:
        self._wf = _capsule
        self._info = _ofb.workflow_info(_capsule)
        self._steps: Optional[List[Step]] = None
        self._index: Optional[Dict[str, int]] = None

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Workflow":
        """Reads and parses a ``.ofb`` file. Raises DefinitionError (with
        every error in ``.errors``) or JournalError when it cannot be read."""
        return cls(_ofb.workflow_parse(os.fsdecode(path), None, 1))

    @classmethod
    def parse(cls, text: Union[str, bytes], name: Optional[str] = None
              ) -> "Workflow":
        """Parses ``.ofb`` text; ``name`` is used in error messages."""
        return cls(_ofb.workflow_parse(text, name, 0))

    @classmethod
    def builtin(cls, name: str) -> "Workflow":
        """One of the shipped workflows (see :meth:`builtins`)."""
        return cls(_ofb.builtin_load(name))

    @staticmethod
    def builtins() -> List[str]:
        """The names of the shipped workflows."""
        return _ofb.builtin_names()

    @staticmethod
    def builtin_source(name: str) -> Optional[str]:
        """The ``.ofb`` text of a shipped workflow, or None."""
        return _ofb.builtin_source(name)

    @classmethod
    def _resolve(cls, wf: Union["Workflow", str]) -> "Workflow":
        if isinstance(wf, Workflow):
            return wf
        if isinstance(wf, str) and wf in cls.builtins():
            return cls.builtin(wf)
        return cls.load(wf)

    @property
    def id(self) -> str:
        return self._info["id"]

    @property
    def version(self) -> int:
        return self._info["version"]

    @property
    def title(self) -> str:
        return self._info["title"]

    @property
    def doc(self) -> str:
        return self._info["doc"]

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical text: identifies the definition."""
        return self._info["hash"]

    @property
    def steps(self) -> List[Step]:
        """Every step, in definition order."""
        if self._steps is None:
            steps = []
            for (sid, title, role, action, after, when, wait, timeout, rcount,
                 backoff, flags, doc) in _ofb.workflow_steps(self._wf):
                steps.append(Step(
                    sid, title, role, action, after, when, wait, timeout,
                    rcount, backoff, bool(flags & _ofb.OFB_STEP_MANUAL),
                    bool(flags & _ofb.OFB_STEP_OPTIONAL),
                    bool(flags & _ofb.OFB_STEP_IRREVERSIBLE), doc))
            self._steps = steps
            self._index = {s.id: i for i, s in enumerate(steps)}
        return list(self._steps)

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when there is none)."""
        self.steps
        assert self._steps is not None and self._index is not None
        return self._steps[self._index[step_id]]

    def _step_id(self, index: int) -> str:
        self.steps
        assert self._steps is not None
        return self._steps[index].id

    @property
    def order(self) -> List[str]:
        """Step ids in topological order (the order a run settles them)."""
        return [self._step_id(i) for i in _ofb.workflow_order(self._wf)]

    @property
    def inputs(self) -> List[Input]:
        """The inputs a run of this workflow takes."""
        return [Input(*i) for i in _ofb.workflow_inputs(self._wf)]

    def plan(self, **inputs: Any) -> List[Dict[str, Any]]:
        """What a run would do for these inputs, nothing run: one dict per
        step in order, ``{step, position, kind, reason}`` where kind is
        ``"run"``, ``"skip"`` (its guard is false) or ``"depends"`` (its
        guard reads an input that is not set)."""
        return _ofb.workflow_plan(self._wf, _pairs(inputs))

    def to_text(self) -> str:
        """The canonical ``.ofb`` text (parsing it gives this workflow)."""
        return _ofb.workflow_export(self._wf, None, "text")

    def to_dot(self) -> str:
        """The workflow as a Graphviz graph."""
        return _ofb.workflow_export(self._wf, None, "dot")

    def to_mermaid(self) -> str:
        """The workflow as a Mermaid flowchart."""
        return _ofb.workflow_export(self._wf, None, "mermaid")

    def checklist(self) -> str:
        """A Markdown checklist (``- [ ] Role >> Step``)."""
        return _ofb.workflow_export(self._wf, None, "checklist")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workflow) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        return "<ofb.Workflow %s v%d, %d steps>" % (
            self.id, self.version, len(self.steps))


def import_checklist(markdown: str, name: Optional[str] = None
                     ) -> Tuple[str, List[str]]:
    """Turns a Markdown checklist into ``.ofb`` text. Returns the text and
    the guesses made, one line each."""
    text, notes = _ofb.import_checklist(markdown, name)
    return text, [n for n in notes.splitlines() if n]


# --------------------------------------------------------------------------
# Outcomes

class Outcome:
    """What a handler returns. Use the subclasses."""

    code: int = _ofb.OFB_DONE
    __slots__ = ("text", "evidence")

    def __init__(self, text: Optional[str] = None,
                 evidence: Optional[Mapping[str, Any]] = None) -> None:
        self.text = text
        self.evidence = dict(evidence or {})

    def __repr__(self) -> str:
        return "ofb.%s(%r)" % (type(self).__name__, self.text)


class Done(Outcome):
    """The work is done; evidence (short key=value proof) is journaled."""
    code = _ofb.OFB_DONE
    __slots__ = ()

    def __init__(self, evidence: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(None, evidence)


class Wait(Outcome):
    """Done on our side; the step waits for ``event`` to be signalled."""
    code = _ofb.OFB_WAIT
    __slots__ = ()

    def __init__(self, event: str,
                 evidence: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(event, evidence)


class Retry(Outcome):
    """Try again after the step's backoff (fails when no attempt is left)."""
    code = _ofb.OFB_RETRY
    __slots__ = ()

    def __init__(self, why: Optional[str] = None,
                 evidence: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(why, evidence)


class Fail(Outcome):
    """The step failed, for this reason."""
    code = _ofb.OFB_FAIL
    __slots__ = ()

    def __init__(self, why: str,
                 evidence: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(why, evidence)


class Skip(Outcome):
    """Not needed (optional steps only), for this reason."""
    code = _ofb.OFB_SKIP
    __slots__ = ()

    def __init__(self, why: str,
                 evidence: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(why, evidence)


class Call:
    """One invocation of a handler.

    ``run`` (the :class:`Run`), ``step`` (its id), ``attempt`` (from 1),
    ``key`` (``"<run>/<step>/<attempt>"``, stable across crashes: pass it to
    the systems you call so a rerun does not act twice) and ``time``. Valid
    only while the handler runs.
    """

    __slots__ = ("run", "step", "attempt", "key", "time", "_cap")

    def __init__(self, run: Optional["Run"], cap: Any, step: str,
                 attempt: int, key: str, time: int) -> None:
        self.run = run
        self.step = step
        self.attempt = attempt
        self.key = key
        self.time = time
        self._cap = cap

    def _capsule(self) -> Any:
        if self._cap is None:
            raise Error(_ofb.OFB_ESTATE,
                        "the call of '%s' is over: use it inside its handler"
                        % self.step)
        return self._cap

    def evidence(self, key: str, value: Any) -> None:
        """Attaches proof to the outcome (a ticket number, a digest)."""
        _ofb.call_evidence(self._capsule(), str(key), _text(value))

    def set_input(self, key: str, value: Any) -> None:
        """Records a finding into an input of the run, applied with the
        outcome; later guards read it. InputError when it does not fit."""
        _ofb.call_set_input(self._capsule(), str(key), _text(value))

    def __repr__(self) -> str:
        return "<ofb.Call %s>" % self.key


Handler = Callable[[Call], Any]
H = TypeVar("H", bound=Handler)


def _dispatcher(run: "Run", fn: Handler) -> Callable[..., Any]:
    """Wraps a user handler for the C trampoline: builds the Call, turns the
    return value into (outcome, text). The run is held weakly, so a handler
    bound to a run does not keep the run alive through C."""
    ref = _weakref.ref(run)

    def dispatch(cap: Any, step: str, attempt: int, key: str, time: int
                 ) -> Tuple[int, Optional[str]]:
        owner = ref()
        call = Call(owner, cap, step, attempt, key, time)
        if owner is not None:
            owner._in_handler += 1
        try:
            out = fn(call)
            if out is Done:
                out = Done()
            if out is None or out is True:
                return (_ofb.OFB_DONE, None)
            if not isinstance(out, Outcome):
                raise TypeError("handler for '%s' returned %r, not an outcome"
                                % (step, out))
            for k, v in out.evidence.items():
                call.evidence(k, v)
            return (out.code, out.text)
        finally:
            call._cap = None
            if owner is not None:
                owner._in_handler -= 1

    dispatch.__wrapped__ = fn  # type: ignore[attr-defined]
    return dispatch


# --------------------------------------------------------------------------
# Runs

_BIND = {"step": _ofb.OFB_BIND_STEP, "action": _ofb.OFB_BIND_ACTION,
         "role": _ofb.OFB_BIND_ROLE}


class Run:
    """One offboarding: a run of a workflow, journaled when ``journal`` is a
    path (which must not exist yet; use :meth:`open` to resume one).

    ``Run(workflow, run_id, journal=None, durability="every", **inputs)``
    where workflow is a :class:`Workflow`, a built-in name or a ``.ofb``
    path, and durability is ``"every"`` (fsync each record), ``"flush"``
    (on :meth:`flush`) or ``"never"``. Keyword inputs are set at once
    (None leaves one unset).

    A run is used by one thread at a time; calls from other threads wait.
    Close it (or use ``with``) to release its journal and handlers.
    """

    def __init__(self, workflow: Union[Workflow, str], run_id: str,
                 journal: Optional[Union[str, "os.PathLike[str]"]] = None,
                 durability: str = "every", *, lock_timeout: float = 0,
                 clock: Callable[[], float] = _time.time,
                 **inputs: Any) -> None:
        wf = Workflow._resolve(workflow)
        path = os.fsdecode(journal) if journal is not None else None
        cap = _ofb.run_new(wf._wf, run_id, path, durability,
                           int(lock_timeout * 1000))
        self._setup(cap, wf, clock)
        for k, v in inputs.items():
            if v is not None:  # None: leave unset
                self[k] = v

    def _setup(self, cap: Any, wf: Workflow, clock: Callable[[], float]
               ) -> None:
        self._run = cap
        self._wf = wf
        self._clock = clock
        self._lock = _threading.RLock()
        self._in_handler = 0
        self._closed = False
        self.recovery: Optional[Dict[str, int]] = None

    @classmethod
    def open(cls, path: Union[str, "os.PathLike[str]"],
             workflow: Optional[Union[Workflow, str]] = None,
             verify: Optional[Callable[[str, str], bool]] = None,
             durability: str = "every", *, lock_timeout: float = 0,
             clock: Callable[[], float] = _time.time) -> "Run":
        """Resumes a run from its journal. The definition comes from the
        journal; pass ``workflow`` to insist on a given one (JournalError
        when it differs). ``verify(step_id, key) -> bool`` decides steps
        found begun with no outcome (a crash mid-handler): True if the work
        did happen, False to run the handler again with the same key.
        ``run.recovery`` tells what was found."""
        wf = Workflow._resolve(workflow) if workflow is not None else None
        self = cls.__new__(cls)
        holder: Dict[str, Workflow] = {}

        def verify_step(index: int, key: str) -> bool:
            assert verify is not None
            return bool(verify(holder["wf"]._step_id(index), key))

        cap, rec = _ofb.run_open(os.fsdecode(path),
                                 wf._wf if wf is not None else None,
                                 verify_step if verify else None, durability,
                                 int(lock_timeout * 1000), 0)
        real = wf or Workflow(_ofb.run_workflow(cap))
        holder["wf"] = real
        self._setup(cap, real, clock)
        self.recovery = dict(zip(
            ("records", "torn_records", "torn_bytes", "in_doubt"), rec))
        return self

    # -- plumbing ---------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _act(self, what: str, target: Optional[str] = None,
             value: Optional[str] = None, by: Optional[str] = None,
             note: Optional[str] = None,
             evidence: Optional[Mapping[str, Any]] = None,
             at: Optional[int] = None,
             inputs: Optional[Mapping[str, Any]] = None) -> None:
        with self._lock:
            if self._in_handler:
                raise Error(_ofb.OFB_ESTATE,
                            "cannot %s from inside a handler: return an "
                            "outcome, or use call.set_input" % what)
            _ofb.run_act(self._run, what, target, value, by, note,
                         _pairs(evidence), _pairs(inputs),
                         self._now() if at is None else int(at))

    # -- identity ---------------------------------------------------------

    @property
    def id(self) -> str:
        return _ofb.run_id(self._run)

    @property
    def workflow(self) -> Workflow:
        return self._wf

    @property
    def state(self) -> str:
        """``"new"``, ``"active"``, ``"completed"`` or ``"cancelled"``."""
        with self._lock:
            return _ofb.run_state(self._run)

    @property
    def now(self) -> int:
        """The latest time the run has seen."""
        with self._lock:
            return _ofb.run_now(self._run)

    # -- inputs -----------------------------------------------------------

    def set(self, key: str, value: Any, by: Optional[str] = None,
            note: Optional[str] = None) -> None:
        """Sets an input (journaled, with who set it)."""
        self._act("input", key, _text(value), by, note)

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __getitem__(self, key: str) -> Optional[str]:
        """An input's value as text, or None when unset. KeyError for an
        input the workflow does not have."""
        if key not in {i.id for i in self._wf.inputs}:
            raise KeyError(key)
        with self._lock:
            return _ofb.run_input(self._run, key)

    # -- the run as a whole -----------------------------------------------

    def start(self, by: Optional[str] = None, note: Optional[str] = None
              ) -> None:
        """new -> active. NeedInputError names a required input not set."""
        self._act("start", None, None, by, note)

    def cancel(self, by: Optional[str] = None, note: Optional[str] = None
               ) -> None:
        """active -> cancelled."""
        self._act("cancel", None, None, by, note)

    # -- handlers ---------------------------------------------------------

    def bind(self, fn: Handler, *, step: Optional[str] = None,
             action: Optional[str] = None, role: Optional[str] = None
             ) -> None:
        """Binds a handler for a step id, an action, a role, or (none
        given) as the default. The most specific binding wins; binding the
        same key again replaces the previous handler."""
        if not callable(fn):
            raise TypeError("a handler must be callable, not %r" % (fn,))
        given = [(k, v) for k, v in (("step", step), ("action", action),
                                     ("role", role)) if v is not None]
        if len(given) > 1:
            raise TypeError("bind to one of step, action or role")
        kind, key = (_BIND[given[0][0]], given[0][1]) if given else (
            _ofb.OFB_BIND_DEFAULT, None)
        with self._lock:
            _ofb.run_bind(self._run, kind, key, _dispatcher(self, fn))

    def handler(self, *, step: Optional[str] = None,
                action: Optional[str] = None, role: Optional[str] = None
                ) -> Callable[[H], H]:
        """The decorator form of :meth:`bind`::

            @run.handler(action="export_secrets")
            def export(call): ...
        """
        def register(fn: H) -> H:
            self.bind(fn, step=step, action=action, role=role)
            return fn
        return register

    # -- driving ----------------------------------------------------------

    def advance(self, now: Optional[int] = None, *, once: bool = False
                ) -> Optional[int]:
        """Runs every ready step that has a handler, fires due retries and
        timeouts, until nothing more can happen at ``now`` (default: the
        clock). With ``once``, runs one handler at most. Returns the next
        time to call it, or None when only people or events can move the
        run. Other Python threads run while it works."""
        with self._lock:
            if self._in_handler:
                raise Error(_ofb.OFB_ESTATE,
                            "cannot advance from inside a handler")
            return _ofb.run_advance(self._run,
                                    self._now() if now is None else int(now),
                                    1 if once else 0)

    def complete(self, step: str, by: Optional[str] = None,
                 note: Optional[str] = None,
                 evidence: Optional[Mapping[str, Any]] = None,
                 at: Optional[int] = None,
                 inputs: Optional[Mapping[str, Any]] = None) -> None:
        """A person did the step. RefusedError (with ``step`` and
        ``prerequisite``) when it is out of order or does not apply.
        ``inputs`` records what a check found, in the same journal record."""
        self._act("complete", step, None, by, note, evidence, at, inputs)

    def begin(self, step: str, by: Optional[str] = None,
              note: Optional[str] = None, at: Optional[int] = None) -> None:
        """A person starts a ready step (ready -> running)."""
        self._act("begin", step, None, by, note, None, at)

    def skip(self, step: str, why: str, by: Optional[str] = None,
             at: Optional[int] = None) -> None:
        """Skips a ready optional step, for a reason."""
        self._act("skip", step, None, by, why, None, at)

    def confirm(self, step: str, by: Optional[str] = None,
                note: Optional[str] = None, at: Optional[int] = None) -> None:
        """Confirms an irreversible step so that it may run."""
        self._act("confirm", step, None, by, note, None, at)

    def fail(self, step: str, why: Optional[str] = None,
             by: Optional[str] = None, at: Optional[int] = None) -> None:
        """A person reports a running step failed."""
        self._act("fail", step, None, by, why, None, at)

    def retry(self, step: str, by: Optional[str] = None,
              note: Optional[str] = None, at: Optional[int] = None) -> None:
        """A failed step becomes ready again (attempts go on counting)."""
        self._act("retry", step, None, by, note, None, at)

    def signal(self, event: str, by: Optional[str] = None,
               note: Optional[str] = None, at: Optional[int] = None) -> None:
        """Latches an event; steps waiting on it are done."""
        self._act("signal", event, None, by, note, None, at)

    def signalled(self, event: str) -> bool:
        """Whether the event has been signalled."""
        with self._lock:
            return _ofb.run_signalled(self._run, event)

    def flush(self) -> None:
        """Makes the journal durable now (durability "flush")."""
        with self._lock:
            _ofb.run_flush(self._run)

    # -- questions --------------------------------------------------------

    def next(self, role: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every step not settled, in order: ``{step, title, role, kind,
        event, detail, due, reason}``. kind is one of ``do`` (a person),
        ``confirm``, ``auto`` (runs on the next advance), ``running``,
        ``event``, ``retry``, ``failed``, ``blocked`` or ``input``."""
        with self._lock:
            return _ofb.run_next(self._run, role)

    def status(self) -> Dict[str, Any]:
        """``{run, status, now, counts, steps, inputs}``: counts per state,
        and per step its state, attempt, confirmed, in_doubt, due, event."""
        with self._lock:
            return _ofb.run_status(self._run)

    def history(self) -> List[Dict[str, Any]]:
        """The journal's records, oldest first (empty without a journal):
        ``{kind, seq, time, step, attempt, outcome, name, value, actor,
        note, evidence, inputs}``."""
        with self._lock:
            return _ofb.run_history(self._run)

    def to_dot(self) -> str:
        """The workflow as a Graphviz graph, coloured by this run's states."""
        with self._lock:
            return _ofb.workflow_export(self._wf._wf, self._run, "dot")

    def to_mermaid(self) -> str:
        with self._lock:
            return _ofb.workflow_export(self._wf._wf, self._run, "mermaid")

    def checklist(self) -> str:
        """The Markdown checklist, settled steps ticked with who and when."""
        with self._lock:
            return _ofb.workflow_export(self._wf._wf, self._run, "checklist")

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Syncs and closes the journal and releases the handlers. Using
        the run afterwards raises ValueError. Closing twice is harmless."""
        with self._lock:
            if self._in_handler:
                raise Error(_ofb.OFB_ESTATE,
                            "cannot close a run from inside its handler")
            if not self._closed:
                self._closed = True
                _ofb.run_close(self._run)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._closed:
            return "<ofb.Run closed>"
        return "<ofb.Run %s of %s: %s>" % (self.id, self._wf.id, self.state)


# --------------------------------------------------------------------------
# Journals, read only

def read_journal(path: Union[str, "os.PathLike[str]"]
                 ) -> List[Dict[str, Any]]:
    """Every record of a journal file, as :meth:`Run.history` gives them,
    without taking the writer's lock."""
    return _ofb.journal_read(os.fsdecode(path))


def verify_journal(path: Union[str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """Walks the journal's hash chain: ``{records, torn_bytes, last_hash}``.
    JournalError (``line`` set) at the first record that does not fit."""
    records, torn, last = _ofb.journal_verify(os.fsdecode(path))
    return {"records": records, "torn_bytes": torn, "last_hash": last}

