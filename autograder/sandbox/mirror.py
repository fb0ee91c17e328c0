"""Arrays shared by token between the grader and the student's process.

Both ends of the sandbox hold one ``ArrayMirror``.  Every numeric array
that crosses gets a token, made by the side that sends it first (``p3`` by
the grader, ``c7`` by the runner): the first crossing carries its data, the
later ones only the token, so that

* identity survives the round trip (a function that returns its input
  returns the caller's own array);
* an array changed in place on one side is changed on the other before the
  next message is handled: each side keeps a snapshot of every mirrored
  array and sends the arrays that differ from it (``changes``), which the
  other side copies into its own (``apply``).

The grader holds its arrays weakly (``weak=True``): an array it no longer
uses is forgotten, and its token is sent to the runner to be released.
The runner holds its arrays strongly until the grader releases them.

A weak reference's callback runs whenever the garbage collector decides,
including in the middle of ``changes`` iterating over the mirror.  So the
callback only appends the token to a list; the mirror's dictionaries are
changed by its own methods alone, at the start of each (``_sweep``).

This module must stand alone (standard library and NumPy; the wire module
is passed in): the runner loads it from its source text.
"""
from __future__ import annotations

import weakref

import numpy as np


class ArrayMirror:
    """One side's arrays, by token; ``prefix`` marks the tokens it makes."""

    def __init__(self, prefix: str, wire, weak: bool):
        self.prefix = prefix
        self.wire = wire
        self.weak = weak
        self._held: dict[str, object] = {}          # token -> array, or a weak reference to it
        self._snapshots: dict[str, np.ndarray] = {}  # token -> copy as last synchronised
        self._tokens: dict[int, str] = {}            # id(array) -> token
        self._ids: dict[str, int] = {}               # token -> id(array)
        self._dead: list[str] = []                   # appended to by weak-reference callbacks only
        self._released: list[str] = []               # tokens the other side may forget
        self._next = 1

    def __len__(self) -> int:
        self._sweep()
        return len(self._held)

    # ---------------------------------------------------------- crossing
    def encode(self, array: np.ndarray) -> dict:
        """The wire node of ``array``: its token, with its data the first time."""
        self._sweep()
        token = self._tokens.get(id(array))
        if token is not None and self._array(token) is array:
            return {"t": "array", "token": token}
        token = f"{self.prefix}{self._next}"
        self._next += 1
        self._register(token, array)
        node = {"t": "array", "token": token, "npy": self.wire.array_to_text(array)}
        if not array.flags.writeable:
            node["readonly"] = True
        return node

    def decode(self, node: dict) -> np.ndarray:
        """The array of a wire node: a new one made by the other side, or
        one already mirrored here."""
        self._sweep()
        token = node.get("token")
        if type(token) is not str or not token:
            raise self.wire.WireError("array without a token")
        existing = self._array(token)
        if "npy" not in node:
            if existing is None:
                raise self.wire.WireError(f"unknown array token {token}")
            return existing
        if token.startswith(self.prefix) or existing is not None:
            raise self.wire.WireError(f"array token {token} sent twice")
        array = self.wire.array_from_text(node["npy"])
        if node.get("readonly"):
            array.flags.writeable = False
        self._register(token, array)
        return array

    # ------------------------------------------------------ in-place changes
    def changes(self) -> list[dict]:
        """The arrays changed here since they were last synchronised, as
        ``{"token", "npy"}`` entries; their snapshots are updated."""
        self._sweep()
        found = []
        for token in list(self._held):
            array = self._array(token)
            if array is None:
                continue
            before = self._snapshots[token]
            if array.shape != before.shape or array.dtype != before.dtype or array.tobytes() != before.tobytes():
                self._snapshots[token] = array.copy()
                if array.dtype.kind in self.wire.ARRAY_KINDS:
                    found.append({"token": token, "npy": self.wire.array_to_text(np.ascontiguousarray(array))})
        return found

    def apply(self, changes) -> None:
        """Copy the other side's changes into the arrays mirrored here (an
        array of another shape, or read-only here, is left as it is)."""
        self._sweep()
        if type(changes) is not list:
            raise self.wire.WireError("malformed changes")
        for change in changes:
            if type(change) is not dict:
                raise self.wire.WireError("malformed sync entry")
            token = change.get("token")
            new = self.wire.array_from_text(change.get("npy"))
            array = self._array(token) if type(token) is str else None
            if array is not None and array.shape == new.shape and array.flags.writeable:
                np.copyto(array, new, casting="unsafe")
                self._snapshots[token] = array.copy()

    # ------------------------------------------------------------ releasing
    def take_released(self) -> list[str]:
        """Tokens forgotten here since the last call, for the other side to forget too."""
        self._sweep()
        released, self._released = self._released, []
        return released

    def release(self, tokens) -> None:
        """Forget the tokens the other side has forgotten."""
        self._sweep()
        if type(tokens) is not list:
            raise self.wire.WireError("malformed release")
        for token in tokens:
            if type(token) is str:
                self._forget(token)

    # ------------------------------------------------------------- internals
    def _array(self, token: str):
        held = self._held.get(token)
        if held is None or not self.weak:
            return held
        return held()

    def _register(self, token: str, array: np.ndarray) -> None:
        if self.weak:
            dead = self._dead
            self._held[token] = weakref.ref(array, lambda _, token=token: dead.append(token))
        else:
            self._held[token] = array
        self._snapshots[token] = array.copy()
        self._tokens[id(array)] = token
        self._ids[token] = id(array)

    def _forget(self, token: str) -> None:
        self._held.pop(token, None)
        self._snapshots.pop(token, None)
        number = self._ids.pop(token, None)
        if number is not None and self._tokens.get(number) == token:
            del self._tokens[number]

    def _sweep(self) -> None:
        """Forget the arrays collected since the last sweep."""
        while self._dead:
            token = self._dead.pop()
            held = self._held.get(token)
            if held is not None and held() is None:
                self._forget(token)
                self._released.append(token)
