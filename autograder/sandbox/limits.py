"""Resource limits of the student's code."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Resource limits of the student's code.  Times are wall-clock seconds."""

    call_seconds: float = 10.0         # one call into student code
    load_seconds: float = 30.0         # running the notebook's cells (nbgrader's default per cell)
    check_seconds: float = 60.0        # all the calls of one check
    submission_seconds: float = 600.0  # everything of one submission
    memory_bytes: int = 2 * 1024 ** 3  # address space of the student's process (RLIMIT_AS)
    output_bytes: int = 64 * 1024      # what the student's code prints, kept per stage
    file_bytes: int = 16 * 1024 ** 2   # largest file the student's code may write
    namespaces: bool = True            # use Linux namespaces when the kernel allows it
    user_namespace: bool = False       # also a user namespace when root (as it is when not root)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
