"""Small text helpers shared by the renderers."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def points(value: float) -> str:
    """Points as a person writes them: 2, 0.5, 118 (never 2.0 or 1e+02)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.6g}"


def number(value: float) -> int | float:
    """A number for JSON as people write it: 12, not 12.0; 0.5 stays 0.5."""
    value = float(value)
    return int(value) if value.is_integer() else value


def first_line(text: str, width: int) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def align_arrays(text: str) -> str:
    """Multi-row arrays printed after a label, re-indented so that their
    rows line up under the first one::

          expected: [[1., 2.],          expected: [[1., 2.],
         [3., 4.]]                ->              [3., 4.]]

    NumPy starts each further row with one space, counting from the
    array's first bracket; after a label that bracket is further right.  A
    row continues the array while its brackets are not yet balanced."""
    lines, out, indent, depth = text.split("\n"), [], "", 0
    for line in lines:
        if depth > 0:
            out.append(indent + line if line else line)
            depth += line.count("[") - line.count("]")
            continue
        start = line.find("[[")
        if start >= 0:
            depth = line[start:].count("[") - line[start:].count("]")
            indent = " " * start
        out.append(line)
    return "\n".join(out)


def clean(text: str) -> str:
    """Text safe for JSON viewers and XML 1.0 (no control characters)."""
    return _CONTROL.sub("?", text)
