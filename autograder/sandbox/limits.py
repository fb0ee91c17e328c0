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
    scratch_bytes: int = 64 * 1024 ** 2  # the private scratch folder (HOME and TMPDIR) of one session
    processes: int = 64                # processes and threads of one session, the runner included
    namespaces: bool = True            # confine with Linux namespaces and a minimal root where allowed
    user_namespace: bool = False       # take the unprivileged path (a user namespace) also when root

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
