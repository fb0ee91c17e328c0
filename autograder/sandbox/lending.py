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

* arrays are mirrored by token: an argument the student modifies in place
  is modified here too, an array read from a student object
  (``model.params["W1"]``) and modified here (a numerical-gradient loop) is
  modified there before the next call, and identity survives the round
  trip (a function that returns its input returns the caller's array);
* NumPy's global random state is carried to the child and back;
* NumPy's ``errstate`` is applied to the call, the student's warnings are
  re-issued here (so ``warnings.simplefilter("error")`` still fails the
  test), and what the call printed is written to this process's
  ``sys.stdout`` and ``sys.stderr`` (so ``redirect_stdout`` captures it);
* an exception raised by the student's code is raised here as the same
  built-in type with the same message, or as ``StudentError``.
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
from .host import LossReason, SessionLost

MAX_RECORDED = 400


class StudentError(Exception):
    """An exception of the student's code that has no built-in equivalent
    (a custom class, ``SystemExit``, ``KeyboardInterrupt``...)."""


class CheckTimeLimit(BaseException):
    """A check used up its time (``Limits.check_seconds``) or the
    submission's; the session itself is still usable."""


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


class RemoteObject:
    """An object that lives in the student's process."""

    __slots__ = ("_remote", "_epoch", "_handle", "_type", "_callable", "_ndarray_subclass", "__weakref__")

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return object.__getattribute__(self, "_remote").getattr(self, attr)

    def __setattr__(self, attr, value):
        if attr == "__class__":
            object.__setattr__(self, attr, value)
        else:
            object.__getattribute__(self, "_remote").setattr(self, attr, value)

    def __call__(self, *args, **kwargs):
        if not object.__getattribute__(self, "_callable"):
            raise TypeError(f"'{object.__getattribute__(self, '_type')}' object is not callable")
        remote = object.__getattribute__(self, "_remote")
        return remote.call(self, args, kwargs, label=object.__getattribute__(self, "_type"))

    def __repr__(self):
        return f"<{object.__getattribute__(self, '_type')} object in the student's notebook>"

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __bool__(self):
        return True


class RemoteMethod:
    """A method of a student object: one request per call."""

    __slots__ = ("obj", "attr", "label", "__weakref__")

    def __init__(self, obj, attr, label):
        self.obj, self.attr, self.label = obj, attr, label

    def __call__(self, *args, **kwargs):
        remote = object.__getattribute__(self.obj, "_remote")
        return remote.call(self, args, kwargs, label=self.label)

    def __repr__(self):
        return f"<method {self.label} of an object in the student's notebook>"


def type_name(value) -> str:
    """What the student's value is, in words, for messages."""
    if isinstance(value, RemoteObject):
        name = object.__getattribute__(value, "_type")
        if object.__getattribute__(value, "_ndarray_subclass"):
            return f"{name} (a subclass of numpy.ndarray, not a plain array)"
        return name
    return type(value).__name__


class _ParentCodec(wire.Codec):
    def __init__(self, remote: "Remote"):
        self.remote = remote

    def encode_array(self, array):
        return self.remote._encode_array(array)

    def decode_array(self, node):
        return self.remote._decode_array(node)

    def encode_other(self, value):
        remote = self.remote
        if isinstance(value, RemoteObject):
            if object.__getattribute__(value, "_epoch") != remote.epoch:
                raise SessionLost(LossReason.CLOSED, "an object from an earlier, ended session was used")
            return {"t": "handle", "v": object.__getattribute__(value, "_handle")}
        name = getattr(value, "_mlpkit_global", None)
        if name is not None and getattr(value, "_mlpkit_remote", None) is remote:
            return {"t": "global", "v": name}
        if remote.plain_only:
            raise TypeError(f"a {type(value).__name__} cannot be sent to the student's code")
        return remote._export(value)

    def decode_handle(self, node):
        return self.remote._decode_handle(node)

    def decode_export(self, node):
        number = node.get("v")
        if type(number) is not int or number not in self.remote.exports:
            raise wire.WireError("unknown object of the grader")
        return self.remote.exports[number]

    def decode_figure(self, node, depth):
        from .figures import rebuild
        return rebuild(self.decode(node.get("v"), depth + 1))


class Remote:
    """The student's notebook, reached through a ``Session``.

    ``attach`` points it at a (new) session; stand-ins made by
    ``function``/``klass`` follow it.  ``calls`` records every call of a
    student function by name during the current check."""

    def __init__(self, call_seconds: float = 10.0, transcript: list | None = None):
        self.call_seconds = call_seconds
        self.session = None
        self.epoch = 0
        self.deadline: float | None = None   # time.monotonic() by which the current check must end
        self.deadline_reason = ""
        self.calls: list[dict] = []
        self.codec = _ParentCodec(self)
        self.transcript = transcript         # a list to record requests and replies in (mutation testing)
        self.inflight = ""                   # what the last request called, for messages
        self.recording: dict | None = None   # the transcript entry of the request in flight
        self._reset()

    def _reset(self) -> None:
        """The per-session state: mirrored arrays, handles, lent objects."""
        self.arrays, self.snapshots, self.ids = {}, {}, {}
        self.released, self.released_handles = [], []
        self.next_token = 1
        self.rng_synced = None
        self.exports, self.export_ids = {}, {}
        self.plain_only = False
        self.methods = set()   # (type name, attribute) known to be methods of the student's objects

    # ------------------------------------------------------------ sessions
    def attach(self, session) -> None:
        self.session = session
        self.epoch += 1
        self._reset()

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
        message = {"op": "call", "target": self._target(target),
                   "args": [self.codec.encode(a) for a in args],
                   "kwargs": {str(k): self.codec.encode(v) for k, v in kwargs.items()}}
        try:
            result = self._request(message, label, (args, kwargs))
        except Exception as error:
            if record is not None:
                record["error"] = error
            raise
        if record is not None:
            record["result"] = copy_tree(result)
        return result

    def getattr(self, obj: RemoteObject, attr: str):
        kind = object.__getattribute__(obj, "_type")
        label = f"{kind}.{attr}"
        if (kind, attr) in self.methods:
            return RemoteMethod(obj, attr, label)
        message = {"op": "getattr", "target": self._target(obj), "attr": attr}
        value = self._request(message, label)
        if message.get("method_reply"):
            self.methods.add((kind, attr))
            return RemoteMethod(obj, attr, label)
        return value

    def setattr(self, obj: RemoteObject, attr: str, value) -> None:
        label = f"{object.__getattribute__(obj, '_type')}.{attr} = ..."
        self._request({"op": "setattr", "target": self._target(obj), "attr": attr,
                       "value": self.codec.encode(value)}, label)

    def _target(self, target) -> dict:
        if isinstance(target, str):
            return {"name": target}
        if isinstance(target, RemoteMethod):
            return dict(self._target(target.obj), method=target.attr)
        if object.__getattribute__(target, "_epoch") != self.epoch:
            raise SessionLost(LossReason.CLOSED, "an object from an earlier, ended session was used")
        return {"handle": object.__getattribute__(target, "_handle")}

    def _request(self, message: dict, label: str, arguments=None):
        if self.session is None:
            raise SessionLost(LossReason.CLOSED, "no session")
        timeout = self.call_seconds
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise CheckTimeLimit(self.deadline_reason)
            timeout = min(timeout, left)
        message.update(self._outgoing_state())
        self.inflight = label
        entry = None
        if self.transcript is not None:
            entry = {"kind": "request", "label": label, "message": copy.deepcopy(message), "callbacks": []}
            self.transcript.append(entry)
        self.recording = entry
        reply = self.session.request(message, timeout, on_callback=self._callback)
        if entry is not None:
            entry["reply"] = reply
        if reply.get("method") is True:
            message["method_reply"] = True
        try:
            self._incoming_state(reply)
            if arguments is not None:
                self._write_back(reply.get("mutated", []), *arguments)
            if reply.get("ok"):
                return self.codec.decode(reply.get("value", {"t": "none"}))
        except wire.WireError as error:
            raise self.session.lose(LossReason.UNREADABLE,
                                    f"the student's process sent an unreadable reply ({error})") from None
        raise _student_exception(reply.get("error") or {}, label)

    # ----------------------------------------------------------- callbacks
    def _export(self, value) -> dict:
        """Lend an object of the grader (say, a model that records its
        inputs) to the student's code, which may call its public methods."""
        number = self.export_ids.get(id(value))
        if number is None or self.exports.get(number) is not value:
            number = len(self.exports) + 1
            self.exports[number] = value
            self.export_ids[id(value)] = number
        return {"t": "export", "v": number, "type": type(value).__name__, "callable": callable(value)}

    def _callback(self, message: dict) -> dict:
        """Run a method of a lent object for the student's code.  Only
        public attributes of objects lent explicitly, and their bound
        methods, are reachable; what goes back is plain data."""
        answer = self._answer_callback(message)
        if self.recording is not None:
            self.recording["callbacks"].append({"request": copy.deepcopy(message), "answer": answer})
        return answer

    def _answer_callback(self, message: dict) -> dict:
        try:
            target = self.exports.get(message.get("export"))
            if target is None:
                raise LookupError("no such object of the grader")
            if "attr" in message:
                attr = message["attr"]
                if type(attr) is not str or attr.startswith("_"):
                    raise AttributeError(f"{type(target).__name__} has no public attribute {attr!r}")
                value = getattr(target, attr)
                if inspect.ismethod(value) and value.__self__ is target:
                    return {"ok": True, "value": self._export(value)}
            else:
                if not callable(target):
                    raise TypeError(f"'{type(target).__name__}' object is not callable")
                args = [self.codec.decode(node) for node in message.get("args", [])]
                kwargs = {str(k): self.codec.decode(v) for k, v in message.get("kwargs", {}).items()}
                value = target(*args, **kwargs)
            self.plain_only = True
            try:
                return {"ok": True, "value": self.codec.encode(value)}
            finally:
                self.plain_only = False
        except Exception as error:  # noqa: BLE001 - reported to the student's code as its exception
            return {"ok": False, "error": {"type": type(error).__name__, "message": str(error)[:2000]}}

    # ---------------------------------------------------- mirrored state
    def _outgoing_state(self) -> dict:
        state = {"errstate": np.geterr()}
        sync = []
        for token, ref in list(self.arrays.items()):
            array = ref()
            if array is None:
                continue
            before = self.snapshots[token]
            if array.shape != before.shape or array.tobytes() != before.tobytes():
                if array.dtype.kind in wire.ARRAY_KINDS:
                    sync.append({"token": token, "npy": wire.array_to_text(np.ascontiguousarray(array))})
                self.snapshots[token] = array.copy()
        if sync:
            state["sync"] = sync
        if self.released:
            state["release"], self.released = self.released, []
        if self.released_handles:
            state["release_handles"], self.released_handles = self.released_handles, []
        rng = np.random.get_state()
        if not wire.rng_states_equal(rng, self.rng_synced):
            state["rng"] = wire.rng_state_to_node(rng)
            self.rng_synced = rng
        return state

    def _incoming_state(self, reply: dict) -> None:
        for change in reply.get("sync", []):
            if type(change) is not dict:
                raise wire.WireError("malformed sync entry")
            ref = self.arrays.get(change.get("token"))
            array = ref() if ref is not None else None
            new = wire.array_from_text(change.get("npy"))
            if array is not None and array.shape == new.shape and array.flags.writeable:
                np.copyto(array, new, casting="unsafe")
                self.snapshots[change["token"]] = array.copy()
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

    def _write_back(self, mutated: list, args: tuple, kwargs: dict) -> None:
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

    def _forget(self, token: str) -> None:
        self.arrays.pop(token, None)
        self.snapshots.pop(token, None)
        self.released.append(token)

    def _register(self, token: str, array: np.ndarray) -> None:
        epoch = self.epoch

        def forget(_, remote=weakref.ref(self), token=token):
            owner = remote()
            if owner is not None and owner.epoch == epoch:
                owner._forget(token)

        self.arrays[token] = weakref.ref(array, forget)
        self.snapshots[token] = array.copy()
        self.ids[id(array)] = token

    def _encode_array(self, array: np.ndarray) -> dict:
        token = self.ids.get(id(array))
        ref = self.arrays.get(token) if token else None
        if ref is not None and ref() is array:
            return {"t": "array", "token": token}
        token = f"p{self.next_token}"
        self.next_token += 1
        self._register(token, array)
        node = {"t": "array", "token": token, "npy": wire.array_to_text(array)}
        if not array.flags.writeable:
            node["readonly"] = True
        return node

    def _decode_array(self, node: dict) -> np.ndarray:
        token = node.get("token")
        if type(token) is not str:
            raise wire.WireError("array without a token")
        ref = self.arrays.get(token)
        existing = ref() if ref is not None else None
        if "npy" not in node:
            if existing is None:
                raise wire.WireError(f"unknown array token {token}")
            return existing
        if not token.startswith("c") or existing is not None:
            raise wire.WireError(f"array token {token} sent twice")
        array = wire.array_from_text(node["npy"])
        self._register(token, array)
        return array

    def _decode_handle(self, node: dict) -> RemoteObject:
        number = node.get("v")
        if type(number) is not int:
            raise wire.WireError("malformed handle")
        obj = object.__new__(RemoteObject)
        for key, value in (("_remote", self), ("_epoch", self.epoch), ("_handle", number),
                           ("_type", str(node.get("type", "object"))[:80]),
                           ("_callable", bool(node.get("callable"))),
                           ("_ndarray_subclass", bool(node.get("ndarray_subclass")))):
            object.__setattr__(obj, key, value)
        epoch = self.epoch

        def release(remote=weakref.ref(self), number=number):
            owner = remote()
            if owner is not None and owner.epoch == epoch:
                owner.released_handles.append(number)

        weakref.finalize(obj, release)
        return obj
