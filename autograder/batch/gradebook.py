"""The class gradebook of ``mlpkit grade-batch``: one SQLite file that loses
nothing, and the ``grades.csv`` written from it.

* One transaction per student: a student's row, stage scores and check
  results are committed together or not at all, so a run killed at any
  moment leaves every student either fully recorded or absent.
* ``student`` is the primary key: recording a student again replaces the
  earlier record, a student is never there twice.
* WAL journal: readers (a second terminal watching progress, the kill test)
  never block the writer.
* ``meta`` holds what the scores depend on (the stages, the seed, the
  instructor notebooks); a resumed run must use the same, or it would mix
  two gradings in one book.

Only the batch's main process writes; workers hand it plain data.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import GradebookMismatch
from ..files import write_atomic
from ..outcomes import GradeReport
from ..reports.text import points

SCHEMA_VERSION = "2"
GRADED, ERROR = "graded", "error"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    student   TEXT PRIMARY KEY,
    status    TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    score     REAL,
    max_score REAL,
    seed      INTEGER NOT NULL,
    error     TEXT NOT NULL DEFAULT '',
    seconds   REAL NOT NULL DEFAULT 0,
    graded_at TEXT NOT NULL,
    report    TEXT NOT NULL DEFAULT ''   -- the student's GradeReport (to_dict), as JSON
);
CREATE TABLE IF NOT EXISTS stage_scores (
    student   TEXT NOT NULL REFERENCES students (student) ON DELETE CASCADE,
    stage     TEXT NOT NULL,
    score     REAL NOT NULL,
    max_score REAL NOT NULL,
    PRIMARY KEY (student, stage)
);
CREATE TABLE IF NOT EXISTS checks (
    student    TEXT NOT NULL REFERENCES students (student) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    name       TEXT NOT NULL,
    stage      TEXT NOT NULL,
    visibility TEXT NOT NULL,
    status     TEXT NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    PRIMARY KEY (student, number)
);
"""


@dataclass
class StudentRecord:
    """What one student's grading produced, ready to commit: the report
    itself when graded, the reason when the kit failed."""
    student: str
    status: str                        # GRADED or ERROR
    seed: int
    report: GradeReport | None = None
    error: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float | None:
        return self.report.score if self.report is not None else None

    @property
    def max_score(self) -> float | None:
        return self.report.max_score if self.report is not None else None


class Gradebook:
    """The SQLite gradebook of one batch output folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---------------------------------------------------------------- meta
    def settings(self) -> dict:
        return {key: json.loads(value) for key, value in self.db.execute("SELECT key, value FROM meta")}

    def adopt_settings(self, wanted: dict) -> dict:
        """Record ``wanted`` in a new gradebook, or check that an existing
        one was made with the same; keys whose wanted value is None take the
        recorded value (a resumed run without --seed keeps the first seed).
        Returns the settings in force."""
        recorded = self.settings()
        if not recorded:
            settings = dict(wanted, schema=SCHEMA_VERSION)
            with self._transaction():
                self.db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                    [(key, json.dumps(value)) for key, value in settings.items()])
            return settings
        if recorded.get("schema") != SCHEMA_VERSION:
            raise GradebookMismatch(f"{self.path} has gradebook schema {recorded.get('schema')!r}, "
                                    f"this kit writes {SCHEMA_VERSION!r}")
        for key, value in wanted.items():
            if value is not None and recorded.get(key) != value:
                raise GradebookMismatch(
                    f"{self.path} was started with {key} = {_show(recorded.get(key))}, not {_show(value)}; "
                    "resume with the same options, or write to a new --out folder")
        return recorded

    # ------------------------------------------------------------- records
    def _transaction(self):
        return _Transaction(self.db)

    def commit(self, record: StudentRecord) -> None:
        """Replace everything recorded about ``record.student`` in one transaction."""
        report = record.report
        data = json.dumps(report.to_dict(), sort_keys=True) if report is not None else ""
        stages = [(record.student, stage.stage, stage.score, stage.max_score) for stage in report.stages] \
            if report is not None else []
        checks = [(record.student, number, check.name, check.stage, check.visibility,
                   "passed" if check.passed else "failed", check.points, check.max_points)
                  for number, check in enumerate(report.checks(), start=1)] if report is not None else []
        with self._transaction():
            self.db.execute("DELETE FROM students WHERE student = ?", (record.student,))
            self.db.execute(
                "INSERT INTO students (student, status, score, max_score, seed, error, seconds, graded_at, report)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.student, record.status, record.score, record.max_score, record.seed, record.error,
                 record.seconds, time.strftime("%Y-%m-%dT%H:%M:%S%z"), data))
            self.db.executemany(
                "INSERT INTO stage_scores (student, stage, score, max_score) VALUES (?, ?, ?, ?)", stages)
            self.db.executemany(
                "INSERT INTO checks (student, number, name, stage, visibility, status, score, max_score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", checks)

    def report(self, student: str) -> GradeReport | None:
        """The GradeReport recorded for ``student``, None if none is."""
        row = self.db.execute("SELECT report FROM students WHERE student = ?", (student,)).fetchone()
        return GradeReport.from_dict(json.loads(row[0])) if row and row[0] else None

    def statuses(self) -> dict:
        """{student: status} of everyone recorded."""
        return dict(self.db.execute("SELECT student, status FROM students"))

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.db.execute("SELECT COUNT(*) FROM students").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM students WHERE status = ?", (status,)).fetchone()[0]

    def errors(self) -> dict:
        return dict(self.db.execute("SELECT student, error FROM students WHERE status = 'error' ORDER BY student"))

    def rows(self, stages) -> list:
        """One row per student, sorted: (student, status, {stage: score}, total)."""
        scores = {}
        for student, stage, score in self.db.execute("SELECT student, stage, score FROM stage_scores"):
            scores.setdefault(student, {})[stage] = score
        return [(student, status, scores.get(student, {}), total) for student, status, total in
                self.db.execute("SELECT student, status, score FROM students ORDER BY student")]

    def snapshot(self) -> dict:
        """Everything graded, without timings: equal for two runs that gave
        the same grades (the kill-and-resume test compares these)."""
        return {
            "meta": self.settings(),
            "students": self.db.execute(
                "SELECT student, status, score, max_score, seed, error FROM students ORDER BY student").fetchall(),
            "stages": self.db.execute(
                "SELECT student, stage, score, max_score FROM stage_scores ORDER BY student, stage").fetchall(),
            "checks": self.db.execute(
                "SELECT student, number, name, stage, visibility, status, score, max_score FROM checks"
                " ORDER BY student, number").fetchall(),
        }

    def write_csv(self, path: Path, stages) -> Path:
        """``grades.csv``: student, each stage's points, total, status; written
        to a temporary file and moved into place."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["student", *stages, "total", "status"])
        for student, status, scores, total in self.rows(stages):
            if status == GRADED:
                writer.writerow([student, *(_points(scores.get(stage)) for stage in stages), _points(total), status])
            else:
                writer.writerow([student, *([""] * len(stages)), "", status])
        write_atomic(Path(path), buffer.getvalue())
        return Path(path)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _points(value) -> str:
    return "" if value is None else points(value)


def _show(value) -> str:
    return ", ".join(value) if isinstance(value, list) else repr(value)
