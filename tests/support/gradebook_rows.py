"""Watching a ``grade-batch`` run from outside: how many rows its gradebook
holds so far, read-only (the run may be writing), and waiting until it holds
enough to interrupt or kill the run half way."""
from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path


def row_count(gradebook: Path, table: str = "students") -> int:
    """Rows of ``table`` in the gradebook file; 0 before it is created."""
    try:
        with sqlite3.connect(f"file:{gradebook}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:   # not created yet
        return 0


def wait_for_rows(gradebook: Path, count: int, process: subprocess.Popen | None = None, seconds: float = 120,
                  table: str = "students") -> None:
    """Wait until ``table`` holds ``count`` rows; fail if ``process`` (the
    run) ended first, with its output, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while row_count(gradebook, table) < count:
        assert process is None or process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"fewer than {count} rows in {table} after {seconds} s"
        time.sleep(0.05)
