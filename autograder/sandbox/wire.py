"""Messages between the grader and the sandboxed child process.

A message is one JSON object sent as a frame: an 8-byte big-endian length,
then that many bytes of UTF-8 JSON.  Values inside a message are tagged
trees (``{"t": "float", "v": 0.5}``); NumPy arrays travel as base64 of the
``.npy`` bytes written and read with ``allow_pickle=False``, so nothing on
either side ever unpickles.  Only exact built-in types cross: a subclass of
``ndarray``, ``float``, ``list`` or ``dict`` (and so any object whose ``==``
is always true) is not data and is sent as an opaque handle, which the
grading side treats as a wrong type.

This module must stand alone (standard library and NumPy only): the child
loads it from its source text, with the kit's packages out of reach.
"""
from __future__ import annotations

import base64
import functools
import io
import json
import select
import socket
import struct
import time

import numpy as np
from numpy.lib import format as npy_format

HEADER = struct.Struct("!Q")
MAX_FRAME = 16 * 1024 * 1024  # bytes of JSON in one message (the checks need well under 1 MiB)
MAX_DEPTH = 40                # nesting of lists, tuples and dicts
ARRAY_KINDS = "biufc"         # bool, int, unsigned, float, complex: no objects, no strings

# Exact NumPy scalar types that cross as numbers (np.float64(0.5), np.int64(3), ...).
NUMPY_SCALARS = {t for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                             np.uint32, np.uint64, np.float16, np.float32, np.float64,
                             np.longdouble, np.complex64, np.complex128)}


class WireError(Exception):
    """A frame or value that breaks the protocol (garbage, too big, wrong tags)."""


# ---------------------------------------------------------------- frames

def send(sock: socket.socket, message: dict) -> None:
    """Send one message as a frame (blocking)."""
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise WireError(f"message of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
    sock.sendall(HEADER.pack(len(data)) + data)


def _read_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                raise TimeoutError("no reply before the time limit")
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, deadline: float | None = None, max_bytes: int = MAX_FRAME) -> dict:
    """Receive one message.  ``deadline`` is a ``time.monotonic()`` value.

    Raises TimeoutError, EOFError, or WireError for an oversized or
    malformed frame."""
    (length,) = HEADER.unpack(_read_exact(sock, HEADER.size, deadline))
    if length > max_bytes:
        raise WireError(f"a frame of {length} bytes exceeds the {max_bytes}-byte limit")
    data = _read_exact(sock, length, deadline)
    try:
        message = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise WireError(f"a frame is not valid JSON: {error}") from None
    if type(message) is not dict:
        raise WireError("a frame is not a JSON object")
    return message


# ---------------------------------------------------------------- arrays and scalars

def array_to_text(array: np.ndarray) -> str:
    """base64 of the .npy bytes of a plain numeric array."""
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"not a plain numeric array: {type(array).__name__}")
    buffer = io.BytesIO()
    npy_format.write_array(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def array_from_text(text) -> np.ndarray:
    """The plain, writeable array encoded by ``array_to_text``."""
    if type(text) is not str:
        raise WireError("array data must be a string")
    try:
        raw = base64.b64decode(text, validate=True)
        end = _header_end(raw)
        shape, fortran, dtype = _npy_header(raw[:end])
        count = int(np.prod(shape, dtype=np.int64))
        if len(raw) - end != count * dtype.itemsize:
            raise ValueError(f"{len(raw) - end} bytes of data for {count} values of {dtype}")
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=end).reshape(shape, order="F" if fortran else "C")
    except WireError:
        raise
    except Exception as error:  # malformed base64 or .npy header
        raise WireError(f"unreadable array data: {error}") from None
    return array.copy(order="K")   # writeable, and no view of the message


def _header_end(raw: bytes) -> int:
    """Where the data of .npy bytes start: after the magic string, the
    version, the header's length and the header."""
    if raw[:6] != npy_format.MAGIC_PREFIX or len(raw) < 10:
        raise ValueError("not .npy data")
    if raw[6] == 1:
        return 10 + int.from_bytes(raw[8:10], "little")
    if raw[6] == 2 and len(raw) >= 12:
        return 12 + int.from_bytes(raw[8:12], "little")
    raise ValueError(f".npy version {raw[6]}")


@functools.lru_cache(maxsize=512)
def _npy_header(header: bytes) -> tuple:
    """(shape, Fortran order, dtype) of a .npy header, read by NumPy's own
    reader once per distinct header (most arrays of a run share a few)."""
    stream = io.BytesIO(header)
    major, _ = npy_format.read_magic(stream)
    read = npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0
    shape, fortran, dtype = read(stream)
    if dtype.hasobject or dtype.kind not in ARRAY_KINDS:
        raise WireError(f"array of unsupported dtype {dtype}")
    return tuple(shape), bool(fortran), dtype


def _scalar_to_node(value) -> dict:
    dtype = np.dtype(type(value))
    return {"t": "np", "dtype": dtype.str,
            "b64": base64.b64encode(np.asarray(value, dtype=dtype).tobytes()).decode("ascii")}


def _scalar_from_node(node: dict):
    try:
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in ARRAY_KINDS:
            raise ValueError(dtype)
        raw = base64.b64decode(node["b64"], validate=True)
        if len(raw) != dtype.itemsize:
            raise ValueError("size")
        return np.frombuffer(raw, dtype=dtype)[0]
    except Exception:
        raise WireError("malformed NumPy scalar") from None


# ---------------------------------------------------------------- value trees

class Codec:
    """Encodes Python values as tagged JSON trees and decodes them back.

    Scalars, strings and exact lists, tuples and dicts are copied by value.
    Arrays and everything else go through the hooks, which each side
    implements: the grader mirrors arrays by token and refuses opaque
    objects it did not expect; the child hands out handles.
    """

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        kind = type(value)
        if value is None:
            return {"t": "none"}
        if kind is bool:
            return {"t": "bool", "v": value}
        if kind is int:
            return {"t": "int", "v": value}
        if kind is float:
            return {"t": "float", "v": value}
        if kind is str:
            return {"t": "str", "v": value}
        if kind in NUMPY_SCALARS:
            return _scalar_to_node(value)
        if kind is np.ndarray and value.dtype.kind in ARRAY_KINDS:
            return self.encode_array(value)
        if kind is list or kind is tuple:
            return {"t": "list" if kind is list else "tuple",
                    "v": [self.encode(item, depth + 1) for item in value]}
        if kind is dict:
            return {"t": "dict", "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                       for k, v in value.items()]}
        return self.encode_other(value)

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if type(node) is not dict or type(node.get("t")) is not str:
            raise WireError("malformed value")
        tag, v = node["t"], node.get("v")
        if tag == "none":
            return None
        if tag == "bool" and type(v) is bool:
            return v
        if tag == "int" and type(v) is int:
            return v
        if tag == "float" and type(v) in (float, int):
            return float(v)
        if tag == "str" and type(v) is str:
            return self.decode_str(v)
        if tag == "np":
            return _scalar_from_node(node)
        if tag in ("list", "tuple") and type(v) is list:
            items = [self.decode(item, depth + 1) for item in v]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and type(v) is list:
            result = {}
            for pair in v:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("malformed dict entry")
                key = self.decode(pair[0], depth + 1)
                try:
                    result[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise WireError("unhashable dict key") from None
            return result
        if tag == "array":
            return self.decode_array(node)
        if tag == "handle":
            return self.decode_handle(node)
        if tag == "global":
            return self.decode_global(node)
        if tag == "export":
            return self.decode_export(node)
        if tag == "figure":
            return self.decode_figure(node, depth)
        raise WireError(f"unknown or malformed value tag {tag!r}")

    # hooks -------------------------------------------------------------
    def decode_str(self, text: str) -> str:
        return text

    def encode_array(self, array: np.ndarray) -> dict:
        return {"t": "array", "npy": array_to_text(array)}

    def decode_array(self, node: dict) -> np.ndarray:
        return array_from_text(node.get("npy"))

    def encode_other(self, value) -> dict:
        raise WireError(f"cannot send a {type(value).__name__}")

    def decode_handle(self, node: dict):
        raise WireError("unexpected handle")

    def decode_global(self, node: dict):
        raise WireError("unexpected reference to a global name")

    def decode_export(self, node: dict):
        raise WireError("unexpected object of the grader")

    def decode_figure(self, node: dict, depth: int):
        raise WireError("unexpected figure")


def rng_state_to_node(state) -> dict:
    """NumPy's legacy global random state (np.random.get_state()) as a tree."""
    name, keys, pos, has_gauss, gauss = state
    return {"name": str(name), "keys": array_to_text(np.asarray(keys, dtype=np.uint32)),
            "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)}


def rng_state_from_node(node) -> tuple:
    try:
        keys = array_from_text(node["keys"])
        if node["name"] != "MT19937" or keys.shape != (624,) or keys.dtype != np.uint32:
            raise ValueError
        return ("MT19937", keys, int(node["pos"]), int(node["has_gauss"]), float(node["gauss"]))
    except Exception:
        raise WireError("malformed random state") from None


def rng_states_equal(a, b) -> bool:
    return (a is not None and b is not None and a[0] == b[0] and np.array_equal(a[1], b[1])
            and tuple(a[2:]) == tuple(b[2:]))
