"""The student's notebook as Python stand-ins in the grading process.

Checks and the instructor's test cells run here, in the grader, and call
the student's functions through stand-ins: ``sigmoid(z)`` sends ``z`` to
the sandboxed runner and returns the decoded result, which is plain data
(an exact ``ndarray``, ``float``, ``list``, ``dict``... never a student
object).  Anything else the student's code returns stays in the sandbox and
arrives as a ``RemoteObject``: its attributes and methods are reachable,
but it has no ``==``, no ``__array__``, no arithmetic, so it cannot pass a
comparison.

To keep the instructor's tests meaning what they mean in a notebook, a
call behaves as if it ran in this process:

* arrays are mirrored by token (``mirror.ArrayMirror``, the same code on
  both sides): an argument the student modifies in place is modified here
  too, an array read from a student object (``model.params["W1"]``) and
  modified here (a numerical-gradient loop) is modified there before the
  next call, and identity survives the round trip (a function that
  returns its input returns the caller's array);
* NumPy's global random state is carried to the child and back;
* NumPy's ``errstate`` is applied to the call, the student's warnings are
  re-issued here (so ``warnings.simplefilter("error")`` still fails the
  test), and what the call printed is written to this process's
  ``sys.stdout`` and ``sys.stderr`` (so ``redirect_stdout`` captures it);
* an exception raised by the student's code is raised here as the same
  built-in type with the same message, or as ``StudentError``.

The parts, each with one job:

* ``Remote``        the stand-ins, the requests (time limits, the record of
                    calls, the transcript) -- the engine's interface;
* ``SharedState``   what one session shares with the grader: mirrored
                    arrays, handles, lent objects, random state;
* ``Handles``       ``RemoteObject``s for the runner's numbered objects;
* ``Lender``        the grader's objects lent to the student's code, and
                    the callbacks that use them;
* ``GraderCodec``   values to and from the wire, through the parts above.
"""
from __future__ import annotations

import builtins
import copy
import inspect
import sys
import time
import warnings
import weakref

import numpy as np

from ..plaindata import copy_tree
from . import wire
from .host import LossReason, Session, SessionLost
from .mirror import ArrayMirror

MAX_RECORDED = 400


class StudentError(Exception):
    """An exception of the student's code that has no built-in equivalent
    (a custom class, ``SystemExit``, ``KeyboardInterrupt``...)."""


class CheckTimeLimit(BaseException):
    """A check used up its time (``Limits.check_seconds``) or the
    submission's; the session itself is still usable."""


class HangLimit(CheckTimeLimit):
    """A call not made because the stage's code already hung: the function
    did not return earlier in this stage, or the stage's allowance of time
    for calls that do not return is spent (``Remote.hang_allowance``)."""


_BUILTIN_EXCEPTIONS = {name: value for name, value in vars(builtins).items()
                       if isinstance(value, type) and issubclass(value, Exception)}


def _student_exception(error: dict, label: str) -> Exception:
    name = str(error.get("type", "Exception"))
    message = str(error.get("message", ""))
    exception = None
    builtin = name if error.get("module") == "builtins" else str(error.get("builtin", ""))
    if builtin in _BUILTIN_EXCEPTIONS:
        try:
            exception = _BUILTIN_EXCEPTIONS[builtin](message)
        except Exception:  # noqa: BLE001 - constructors with other signatures
            exception = None
    if exception is None:
        if name == "SystemExit":
            message = f"called sys.exit({message})"
        exception = StudentError(f"{name}: {message}" if message else name)
    exception.student_type = name
    exception.student_where = [str(line) for line in error.get("where", [])][:5]
    exception.student_call = label
    return exception


def _warning_category(entry: dict):
    name, module = str(entry.get("category", "")), str(entry.get("module", ""))
    candidate = _BUILTIN_EXCEPTIONS.get(name) if module == "builtins" else None
    if candidate is None and module.startswith("numpy"):
        candidate = getattr(np.exceptions, name, None)
    if isinstance(candidate, type) and issubclass(candidate, Warning):
        return candidate
    return UserWarning


# ------------------------------------------------------------------ remote objects

class RemoteObject:
    """An object that lives in the student's process.  Its own fields are
    kept out of reach of ``getattr`` (every attribute is the student's), so
    the few functions of this module read them with ``_field``."""

    __slots__ = ("_remote", "_epoch", "_handle", "_type", "_callable", "_ndarray_subclass", "__weakref__")

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _field(self, "_remote").getattr(self, attr)

    def __setattr__(self, attr, value):
        if attr == "__class__":
            object.__setattr__(self, attr, value)
        else:
            _field(self, "_remote").setattr(self, attr, value)

    def __call__(self, *args, **kwargs):
        if not _field(self, "_callable"):
            raise TypeError(f"'{_field(self, '_type')}' object is not callable")
        return _field(self, "_remote").call(self, args, kwargs, label=_field(self, "_type"))

    def __repr__(self):
        return f"<{_field(self, '_type')} object in the student's notebook>"

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __bool__(self):
        return True


def _field(obj: RemoteObject, name: str):
    return object.__getattribute__(obj, name)


class RemoteMethod:
    """A method of a student object: one request per call."""

    __slots__ = ("obj", "attr", "label", "__weakref__")

    def __init__(self, obj: RemoteObject, attr: str, label: str):
        self.obj, self.attr, self.label = obj, attr, label

    def __call__(self, *args, **kwargs):
        return _field(self.obj, "_remote").call(self, args, kwargs, label=self.label)

    def __repr__(self):
        return f"<method {self.label} of an object in the student's notebook>"


def type_name(value) -> str:
    """What the student's value is, in words, for messages."""
    if isinstance(value, RemoteObject):
        name = _field(value, "_type")
        if _field(value, "_ndarray_subclass"):
            return f"{name} (a subclass of numpy.ndarray, not a plain array)"
        return name
    return type(value).__name__


class Handles:
    """``RemoteObject``s for the runner's numbered objects of one session.
    An object collected here is released there with the next request (the
    finalizer only appends to a list: it may run in the middle of anything)."""

    def __init__(self, remote: "Remote", epoch: int):
        self.remote = remote
        self.epoch = epoch
        self._released: list[int] = []

    def make(self, node: dict) -> RemoteObject:
        number = node.get("v")
        if type(number) is not int:
            raise wire.WireError("malformed handle")
        obj = object.__new__(RemoteObject)
        for key, value in (("_remote", self.remote), ("_epoch", self.epoch), ("_handle", number),
                           ("_type", str(node.get("type", "object"))[:80]),
                           ("_callable", bool(node.get("callable"))),
                           ("_ndarray_subclass", bool(node.get("ndarray_subclass")))):
            object.__setattr__(obj, key, value)
        weakref.finalize(obj, self._released.append, number)
        return obj

    def number(self, obj: RemoteObject) -> int:
        """The runner's number for ``obj``; SessionLost if it belongs to an ended session."""
        if _field(obj, "_epoch") != self.epoch:
            raise SessionLost(LossReason.CLOSED, "an object from an earlier, ended session was used")
        return _field(obj, "_handle")

    def take_released(self) -> list[int]:
        released = []
        while self._released:   # pop, never replace: a finalizer may append meanwhile
            released.append(self._released.pop())
        return released


class Lender:
    """The grader's objects lent to the student's code (say, a model that
    records its inputs): the student's code may call their public methods,
    with plain data in and out, and reach nothing else of them."""

    def __init__(self):
        self._lent: dict[int, object] = {}
        self._numbers: dict[int, int] = {}   # id(object) -> number

    def lend(self, value) -> dict:
        number = self._numbers.get(id(value))
        if number is None or self._lent.get(number) is not value:
            number = len(self._lent) + 1
            self._lent[number] = value
            self._numbers[id(value)] = number
        return {"t": "export", "v": number, "type": type(value).__name__, "callable": callable(value)}

    def lent(self, node: dict):
        number = node.get("v")
        if type(number) is not int or number not in self._lent:
            raise wire.WireError("unknown object of the grader")
        return self._lent[number]

    def answer(self, message: dict, codec: "GraderCodec") -> dict:
        """Run a method of a lent object for the student's code.  Only
        public attributes of objects lent explicitly, and their bound
        methods, are reachable; what goes back is plain data."""
        try:
            target = self._lent.get(message.get("export"))
            if target is None:
                raise LookupError("no such object of the grader")
            if "attr" in message:
                attr = message["attr"]
                if type(attr) is not str or attr.startswith("_"):
                    raise AttributeError(f"{type(target).__name__} has no public attribute {attr!r}")
                value = getattr(target, attr)
                if inspect.ismethod(value) and value.__self__ is target:
                    return {"ok": True, "value": self.lend(value)}
            else:
                if not callable(target):
                    raise TypeError(f"'{type(target).__name__}' object is not callable")
                args = [codec.decode(node) for node in message.get("args", [])]
                kwargs = {str(k): codec.decode(v) for k, v in message.get("kwargs", {}).items()}
                value = target(*args, **kwargs)
            return {"ok": True, "value": codec.encode_plain(value)}
        except Exception as error:  # noqa: BLE001 - reported to the student's code as its exception
            return {"ok": False, "error": {"type": type(error).__name__, "message": str(error)[:2000]}}


class GraderCodec(wire.Codec):
    """Values to and from the runner as the grader sees them: arrays
    through the mirror, the runner's objects as ``RemoteObject``s, the
    grader's own objects lent, figures rebuilt."""

    def __init__(self, remote: "Remote", arrays: ArrayMirror, handles: Handles, lender: Lender):
        self.remote = remote
        self.arrays = arrays
        self.handles = handles
        self.lender = lender
        self.plain_only = False   # while answering a callback: nothing may be lent

    def encode_plain(self, value) -> dict:
        """Encode ``value``, refusing anything that would have to be lent."""
        self.plain_only = True
        try:
            return self.encode(value)
        finally:
            self.plain_only = False

    def encode_array(self, array):
        return self.arrays.encode(array)

    def decode_array(self, node):
        return self.arrays.decode(node)

    def encode_other(self, value):
        if isinstance(value, RemoteObject):
            return {"t": "handle", "v": self.handles.number(value)}
        name = getattr(value, "_mlpkit_global", None)
        if name is not None and getattr(value, "_mlpkit_remote", None) is self.remote:
            return {"t": "global", "v": name}
        if self.plain_only:
            raise TypeError(f"a {type(value).__name__} cannot be sent to the student's code")
        return self.lender.lend(value)

    def decode_handle(self, node):
        return self.handles.make(node)

    def decode_export(self, node):
        return self.lender.lent(node)

    def decode_figure(self, node, depth):
        from .figures import rebuild
        return rebuild(self.decode(node.get("v"), depth + 1))


class SharedState:
    """What one session shares with the grader, and the messages that keep
    it in step: ``outgoing`` adds to a request what changed here (arrays
    modified in place, arrays and handles released, the random state,
    NumPy's errstate); ``incoming`` applies what a reply says changed
    there, and re-issues the student's printing and warnings here."""

    def __init__(self, remote: "Remote", session: Session, epoch: int):
        self.session = session
        self.arrays = ArrayMirror("p", wire, weak=True)
        self.handles = Handles(remote, epoch)
        self.lender = Lender()
        self.codec = GraderCodec(remote, self.arrays, self.handles, self.lender)
        self.methods: set[tuple[str, str]] = set()   # (type, attribute) known to be methods of student objects
        self.rng_synced = None

    def outgoing(self) -> dict:
        state = {"errstate": np.geterr()}
        changes = self.arrays.changes()
        if changes:
            state["sync"] = changes
        released = self.arrays.take_released()
        if released:
            state["release"] = released
        handles = self.handles.take_released()
        if handles:
            state["release_handles"] = handles
        rng = np.random.get_state()
        if not wire.rng_states_equal(rng, self.rng_synced):
            state["rng"] = wire.rng_state_to_node(rng)
            self.rng_synced = rng
        return state

    def incoming(self, reply: dict) -> None:
        self.arrays.apply(reply.get("sync", []))
        if "rng" in reply:
            state = wire.rng_state_from_node(reply["rng"])
            np.random.set_state(state)
            self.rng_synced = state
        for stream, key in ((sys.stdout, "stdout"), (sys.stderr, "stderr")):
            text = reply.get(key)
            if type(text) is str and text:
                stream.write(text)
        for entry in reply.get("warnings", [])[:20]:
            if type(entry) is dict:
                warnings.warn_explicit(str(entry.get("message", "")), _warning_category(entry),
                                       "<student code>", 0, module="student")

    def write_back(self, mutated: list, args: tuple, kwargs: dict) -> None:
        """Dicts and lists passed in and changed by the student's code
        (``params[name] = ...``) change here too, in place."""
        for entry in mutated[:50]:
            if type(entry) is not dict:
                raise wire.WireError("malformed mutation")
            key = entry.get("arg")
            if type(key) is int and 0 <= key < len(args):
                target = args[key]
            elif type(key) is str and key in kwargs:
                target = kwargs[key]
            else:
                raise wire.WireError("mutation of an unknown argument")
            value = self.codec.decode(entry.get("value"))
            if type(target) is dict and type(value) is dict:
                target.clear()
                target.update(value)
            elif type(target) is list and type(value) is list:
                target[:] = value


# ------------------------------------------------------------------ the remote

class Remote:
    """The student's notebook, reached through a ``Session``.

    ``attach`` points it at a (new) session; stand-ins made by
    ``function``/``klass`` follow it.  ``calls`` records every call of a
    student function by name during the current check.

    The time-limit policy: a call that does not return within its limit
    loses the session (the engine starts another for the next check), and
    its function or method is not called again through this ``Remote``
    (one stage): later calls of it fail at once (``HangLimit``).  Calls
    that end by their time limit share ``hang_allowance`` seconds in all;
    once it is spent, no call is made.  So code that loops forever costs at
    most one time limit per stage, however many checks call it.

    ``listener``, if set, is told of every completed call of the student's
    code: ``listener(label, args, kwargs, result, error)`` (the feedback
    recorder of ``reports/curves.py`` takes its curves from it)."""

    def __init__(self, call_seconds: float = 10.0, transcript: list | None = None,
                 hang_allowance: float | None = None):
        self.call_seconds = call_seconds
        self.shared: SharedState | None = None   # the current session's shared state
        self.epoch = 0
        self.deadline: float | None = None   # time.monotonic() by which the current check must end
        self.deadline_reason = ""
        self.calls: list[dict] = []
        self.transcript = transcript         # a list to record requests and replies in (mutation testing)
        self.inflight = ""                   # what the last request called, for messages
        self.recording: dict | None = None   # the transcript entry of the request in flight
        self.hang_allowance = hang_allowance  # seconds that calls ending by their time limit may take in all
        self.hang_spent = 0.0
        self.hung: dict[str, float] = {}     # label -> the time limit it did not return within
        self.listener = None                 # told of every completed call (see the class's docstring)

    @property
    def session(self) -> Session | None:
        return self.shared.session if self.shared is not None else None

    # ------------------------------------------------------------ sessions
    def attach(self, session: Session) -> None:
        self.epoch += 1
        self.shared = SharedState(self, session, self.epoch)

    def begin_check(self, deadline: float, reason: str) -> None:
        """A check starts: record its calls afresh, and stop every request
        at ``deadline`` (a ``time.monotonic()`` value) with ``reason``."""
        self.calls = []
        self.deadline, self.deadline_reason = deadline, reason

    def end_check(self) -> None:
        self.deadline = None

    def load(self, cells: list, timeout: float) -> dict:
        reply = self.session.request({"op": "load", "cells": cells}, timeout)
        if self.transcript is not None:
            self.transcript.append({"kind": "load", "reply": reply})
        return reply

    # ----------------------------------------------------------- stand-ins
    def function(self, name: str):
        """A stand-in for the student's function ``name``."""
        remote = self

        def stand_in(*args, **kwargs):
            return remote.call(name, args, kwargs, label=name)

        stand_in.__name__ = stand_in.__qualname__ = name
        stand_in._mlpkit_global, stand_in._mlpkit_remote = name, self
        return stand_in

    def klass(self, name: str):
        """A stand-in for the student's class ``name``: calling it builds the
        object in the sandbox and returns a RemoteObject of this class."""
        remote = self

        def __new__(cls, *args, **kwargs):
            value = remote.call(name, args, kwargs, label=name)
            if isinstance(value, RemoteObject):
                object.__setattr__(value, "__class__", cls)
            return value

        def __init__(self, *args, **kwargs):
            pass

        cls = type(name, (RemoteObject,), {"__slots__": (), "__new__": __new__, "__init__": __init__,
                                            "__module__": "student"})
        cls._mlpkit_global, cls._mlpkit_remote = name, self
        return cls

    # ------------------------------------------------------------ requests
    def call(self, target, args=(), kwargs=None, label=""):
        kwargs = kwargs or {}
        record = None
        if isinstance(target, str):
            record = {"name": target, "args": copy_tree(args), "kwargs": copy_tree(kwargs)}
            self.calls.append(record)
            del self.calls[:-MAX_RECORDED]
        try:
            shared = self._shared()
            message = {"op": "call", "target": self._target(target),
                       "args": [shared.codec.encode(a) for a in args],
                       "kwargs": {str(k): shared.codec.encode(v) for k, v in kwargs.items()}}
            reply = self._exchange(message, label)
            self._unreadable_as_lost(shared.write_back, reply.get("mutated", []), args, kwargs)
            result = self._result(reply, label)
        except Exception as error:
            if record is not None:
                record["error"] = error
            if self.listener is not None:
                self.listener(label, args, kwargs, None, error)
            raise
        if record is not None:
            record["result"] = copy_tree(result)
        if self.listener is not None:
            self.listener(label, args, kwargs, result, None)
        return result

    @property
    def timed_out(self) -> bool:
        """Whether a call through this Remote ended by its time limit."""
        return bool(self.hung)

    def getattr(self, obj: RemoteObject, attr: str):
        kind = _field(obj, "_type")
        label = f"{kind}.{attr}"
        shared = self._shared()
        if (kind, attr) in shared.methods:
            return RemoteMethod(obj, attr, label)
        reply = self._exchange({"op": "getattr", "target": self._target(obj), "attr": attr}, label)
        if reply.get("method") is True:
            shared.methods.add((kind, attr))
            return RemoteMethod(obj, attr, label)
        return self._result(reply, label)

    def setattr(self, obj: RemoteObject, attr: str, value) -> None:
        label = f"{_field(obj, '_type')}.{attr} = ..."
        shared = self._shared()
        message = {"op": "setattr", "target": self._target(obj), "attr": attr, "value": shared.codec.encode(value)}
        self._result(self._exchange(message, label), label)

    def _shared(self) -> SharedState:
        if self.shared is None:
            raise SessionLost(LossReason.CLOSED, "no session")
        return self.shared

    def _target(self, target) -> dict:
        if isinstance(target, str):
            return {"name": target}
        if isinstance(target, RemoteMethod):
            return dict(self._target(target.obj), method=target.attr)
        return {"handle": self._shared().handles.number(target)}

    def _exchange(self, message: dict, label: str) -> dict:
        """Send one request (with the state that changed here) within the
        time left, wait for its reply and apply the state it brings."""
        shared = self._shared()
        timeout = self.call_seconds
        if label in self.hung:
            raise HangLimit(f"{label} did not return earlier in this stage (time limit {self.hung[label]:g} s), "
                            "so it is not called again: look for a loop that never ends")
        if self.hang_allowance is not None:
            left = self.hang_allowance - self.hang_spent
            if left <= 0:
                raise HangLimit(f"not run: calls that did not return used up this stage's "
                                f"{self.hang_allowance:g} s for them (loops that never end?)")
            timeout = min(timeout, left)
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise CheckTimeLimit(self.deadline_reason)
            timeout = min(timeout, left)
        message.update(shared.outgoing())
        self.inflight = label
        entry = None
        if self.transcript is not None:
            entry = {"kind": "request", "label": label, "message": copy.deepcopy(message), "callbacks": []}
            self.transcript.append(entry)
        self.recording = entry
        sent = time.monotonic()
        try:
            reply = shared.session.request(message, timeout, on_callback=self._callback)
        except SessionLost as lost:
            if lost.why is LossReason.TIMED_OUT:
                self.hung.setdefault(label, round(timeout, 1))
                self.hang_spent += time.monotonic() - sent
            raise
        if entry is not None:
            entry["reply"] = reply
        self._unreadable_as_lost(shared.incoming, reply)
        return reply

    def _result(self, reply: dict, label: str):
        """The value a reply carries, or the student's exception raised here."""
        if reply.get("ok"):
            return self._unreadable_as_lost(self._shared().codec.decode, reply.get("value", {"t": "none"}))
        raise _student_exception(reply.get("error") or {}, label)

    def _unreadable_as_lost(self, function, *args):
        """Run ``function``; a reply that breaks the protocol ends the session."""
        try:
            return function(*args)
        except wire.WireError as error:
            raise self._shared().session.lose(
                LossReason.UNREADABLE, f"the student's process sent an unreadable reply ({error})") from None

    def _callback(self, message: dict) -> dict:
        """Answer the student's code using an object lent to it."""
        shared = self._shared()
        answer = shared.lender.answer(message, shared.codec)
        if self.recording is not None:
            self.recording["callbacks"].append({"request": copy.deepcopy(message), "answer": answer})
        return answer
