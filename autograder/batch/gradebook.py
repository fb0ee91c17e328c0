"""The class gradebook of ``mlpkit grade-batch``: one SQLite file that loses
nothing, and the ``grades.csv`` written from it.

* One transaction per student: a student's row, stage scores and check
  results are committed together or not at all, so a run killed at any
  moment leaves every student either fully recorded or absent.
* ``student`` is the primary key: recording a student again replaces the
  earlier record, a student is never there twice.  The record replaced is
  kept in ``history`` with when and why it was replaced.
* Each record keeps the digest of the notebooks it graded and the
  fingerprint of the instructor notebooks and checks it was graded with
  (``digests.py``): a rerun regrades exactly the students whose work
  changed, and grades made with other instructor notebooks are never
  mixed with the rest.
* What people add is kept beside what the kit computed: the scores given
  by hand in formgrader (``human``), late penalties (``late``) and the
  instructor's overrides (``overrides``).  ``report(student)`` is the
  student's ``GradeReport`` with the scores given by hand; ``grades``
  adds penalties and overrides: what every export shows.
* WAL journal: readers (a second terminal watching progress, the kill test)
  never block the writer.
* A record half there (rows edited by hand with the ``sqlite3`` shell,
  which does not enforce the foreign keys) is repaired when the gradebook
  is opened: the student is removed, said so, and graded again.

Only the batch's main process writes; workers hand it plain data.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..errors import GradebookMismatch
from ..files import write_atomic
from ..outcomes import GradeReport
from ..reports.text import points
from .grades import HumanGrade, Late, Override, StudentGrade, merge, student_grade

SCHEMA_VERSION = "3"
GRADED, ERROR = "graded", "error"
OUTDATED = "outdated"        # graded with other instructor notebooks than the gradebook's

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    student    TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    score      REAL,
    max_score  REAL,
    seed       INTEGER NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    seconds    REAL NOT NULL DEFAULT 0,
    graded_at  TEXT NOT NULL,
    report     TEXT NOT NULL DEFAULT '',   -- the student's GradeReport (to_dict), as JSON
    digest     TEXT NOT NULL DEFAULT '',   -- of the notebooks graded (submissions.py)
    instructor TEXT NOT NULL DEFAULT '',   -- fingerprint of the instructor notebooks and checks (digests.py)
    why        TEXT NOT NULL DEFAULT ''    -- why this grading was made
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
CREATE TABLE IF NOT EXISTS history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    student     TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    replaced_by TEXT NOT NULL,   -- why the record was replaced
    status      TEXT NOT NULL,
    score       REAL,
    max_score   REAL,
    seed        INTEGER,
    error       TEXT NOT NULL DEFAULT '',
    graded_at   TEXT NOT NULL,
    why         TEXT NOT NULL DEFAULT '',
    digest      TEXT NOT NULL DEFAULT '',
    instructor  TEXT NOT NULL DEFAULT '',
    report      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS human (
    student      TEXT NOT NULL,
    stage        TEXT NOT NULL,
    check_name   TEXT NOT NULL,
    score        REAL,
    extra_credit REAL NOT NULL DEFAULT 0,
    comment      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, check_name)
);
CREATE TABLE IF NOT EXISTS late (
    student      TEXT NOT NULL,
    stage        TEXT NOT NULL,
    submitted    TEXT NOT NULL,
    due          TEXT NOT NULL,
    seconds_late REAL NOT NULL,
    penalty      REAL NOT NULL,
    PRIMARY KEY (student, stage)
);
CREATE TABLE IF NOT EXISTS overrides (
    student TEXT NOT NULL,
    stage   TEXT NOT NULL,
    points  REAL NOT NULL,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (student, stage)
);
CREATE TABLE IF NOT EXISTS curves (        -- the feedback plots' data recorded while grading (curves.pack)
    student TEXT PRIMARY KEY REFERENCES students (student) ON DELETE CASCADE,
    data    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS stage_grades (   -- what the exports show, rewritten after every change
    student    TEXT NOT NULL,
    stage      TEXT NOT NULL,
    status     TEXT NOT NULL,
    points     REAL,
    max_points REAL,
    penalty    REAL NOT NULL DEFAULT 0,
    override   REAL,
    final      REAL,
    PRIMARY KEY (student, stage)
);
"""

# Columns a schema-2 gradebook (mlpkit before digests) lacks.
MIGRATIONS_FROM_2 = ("ALTER TABLE students ADD COLUMN digest TEXT NOT NULL DEFAULT ''",
                     "ALTER TABLE students ADD COLUMN instructor TEXT NOT NULL DEFAULT ''",
                     "ALTER TABLE students ADD COLUMN why TEXT NOT NULL DEFAULT ''")


class Why(str, Enum):
    """Why a student is graded (again)."""

    NEW = "first grading"
    WORK_CHANGED = "their notebooks changed"
    ASKED = "a regrade was asked for"
    INSTRUCTOR = "the instructor notebooks or checks changed"
    RETRY = "the previous grading failed"
    REPAIRED = "their record was half-written"
    NO_DIGEST = "graded by an earlier mlpkit, which kept no digest of their work"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


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
    digest: str = ""                   # of the notebooks graded
    instructor: str = ""               # fingerprint of the instructor notebooks and checks
    why: str = Why.NEW.value

    @property
    def score(self) -> float | None:
        return self.report.score if self.report is not None else None

    @property
    def max_score(self) -> float | None:
        return self.report.max_score if self.report is not None else None


@dataclass(frozen=True)
class Recorded:
    """What planning needs to know of a student already in the gradebook."""
    status: str
    digest: str
    instructor: str


class Gradebook:
    """The SQLite gradebook of one batch output folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as error:
            raise GradebookMismatch(f"{self.path} is not a gradebook ({error}); "
                                    "write to another --out folder") from None
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _migrate(self) -> None:
        """Bring a schema-2 gradebook to this schema (columns added, nothing
        lost); its students, which have no digest, are graded again."""
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            return
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        schema = json.loads(row[0]) if row else None
        if schema == "2":
            with self._transaction():
                for statement in MIGRATIONS_FROM_2:
                    self.db.execute(statement)
                self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (json.dumps(SCHEMA_VERSION),))
        elif schema not in (None, SCHEMA_VERSION):
            raise GradebookMismatch(f"{self.path} has gradebook schema {schema!r}, this kit reads "
                                    f"{SCHEMA_VERSION!r}: write to a new --out folder")

    # ---------------------------------------------------------------- meta
    def settings(self) -> dict:
        return {key: json.loads(value) for key, value in self.db.execute("SELECT key, value FROM meta")}

    def meta(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                        (key, json.dumps(value), json.dumps(value)))

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
            if key not in recorded and value is not None:
                self.set_meta(key, value)
                recorded[key] = value
            elif value is not None and recorded.get(key) != value:
                raise GradebookMismatch(
                    f"{self.path} was started with {key} = {_show(recorded.get(key))}, not {_show(value)}; "
                    "resume with the same options, or write to a new --out folder")
        return recorded

    # ----------------------------------------------------------- repairing
    def repair(self) -> list[str]:
        """Remove students recorded only in part (their rows in one table and
        not another, or a report that cannot be read); returns one line per
        student repaired.  They are graded again by the next run."""
        lines = []
        orphans = sorted({row[0] for row in self.db.execute(
            "SELECT student FROM stage_scores WHERE student NOT IN (SELECT student FROM students) UNION "
            "SELECT student FROM checks WHERE student NOT IN (SELECT student FROM students)")})
        self.db.execute("DELETE FROM curves WHERE student NOT IN (SELECT student FROM students)")
        for student in orphans:
            with self._transaction():
                self.db.execute("DELETE FROM stage_scores WHERE student = ?", (student,))
                self.db.execute("DELETE FROM checks WHERE student = ?", (student,))
            lines.append(f"{student}: their grade had been deleted by hand but not their scores; the scores "
                         "left behind were removed and they are graded again")
        for student, report, stages in self.db.execute(
                "SELECT student, report, (SELECT COUNT(*) FROM stage_scores s WHERE s.student = students.student)"
                " FROM students WHERE status = 'graded'").fetchall():
            problem = _unreadable(report, stages)
            if problem:
                self._remove(student, Why.REPAIRED.value)
                lines.append(f"{student}: their record was half-written ({problem}); it was removed (kept in "
                             "the history) and they are graded again")
        return lines

    # ------------------------------------------------------------- records
    def _transaction(self):
        return _Transaction(self.db)

    def _remove(self, student: str, why: str) -> None:
        with self._transaction():
            self._keep_history(student, why)
            for table in ("curves", "checks", "stage_scores", "students"):
                self.db.execute(f"DELETE FROM {table} WHERE student = ?", (student,))

    def _keep_history(self, student: str, why: str) -> None:
        self.db.execute(
            "INSERT INTO history (student, replaced_at, replaced_by, status, score, max_score, seed, error, "
            "graded_at, why, digest, instructor, report) SELECT student, ?, ?, status, score, max_score, seed, "
            "error, graded_at, why, digest, instructor, report FROM students WHERE student = ?",
            (now(), why, student))

    def commit(self, record: StudentRecord, curves: bytes | None = None) -> None:
        """Replace everything recorded about ``record.student`` in one
        transaction; the record replaced goes to the history.  ``curves``:
        the feedback plots' data recorded while grading, kept so that the
        pages can be written again without grading."""
        report = record.report
        data = json.dumps(report.to_dict(), sort_keys=True) if report is not None else ""
        stages = [(record.student, stage.stage, stage.score, stage.max_score) for stage in report.stages] \
            if report is not None else []
        checks = [(record.student, number, check.name, check.stage, check.visibility,
                   "pending" if check.pending else "passed" if check.passed else "failed", check.points,
                   check.max_points)
                  for number, check in enumerate(report.checks(), start=1)] if report is not None else []
        with self._transaction():
            self._keep_history(record.student, record.why)
            for table in ("curves", "checks", "stage_scores", "students"):
                self.db.execute(f"DELETE FROM {table} WHERE student = ?", (record.student,))
            self.db.execute(
                "INSERT INTO students (student, status, score, max_score, seed, error, seconds, graded_at, report,"
                " digest, instructor, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.student, record.status, record.score, record.max_score, record.seed, record.error,
                 record.seconds, now(), data, record.digest, record.instructor, record.why))
            self.db.executemany(
                "INSERT INTO stage_scores (student, stage, score, max_score) VALUES (?, ?, ?, ?)", stages)
            self.db.executemany(
                "INSERT INTO checks (student, number, name, stage, visibility, status, score, max_score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", checks)
            if curves is not None:
                self.db.execute("INSERT INTO curves (student, data) VALUES (?, ?)", (record.student, curves))

    def curves(self, student: str) -> bytes | None:
        """The feedback plots' data recorded when ``student`` was graded, if kept."""
        row = self.db.execute("SELECT data FROM curves WHERE student = ?", (student,)).fetchone()
        return bytes(row[0]) if row else None

    def raw_report(self, student: str) -> GradeReport | None:
        """The GradeReport the kit computed for ``student``, None if none is."""
        row = self.db.execute("SELECT report FROM students WHERE student = ?", (student,)).fetchone()
        return GradeReport.from_dict(json.loads(row[0])) if row and row[0] else None

    def report(self, student: str) -> GradeReport | None:
        """The student's GradeReport with the scores given by hand in
        formgrader (written answers, checks re-scored), None if none is
        recorded: the student's grade, before late penalties and overrides."""
        report = self.raw_report(student)
        return merge(report, self.human(student)) if report is not None else None

    def recorded(self) -> dict[str, Recorded]:
        """{student: Recorded} of everyone in the gradebook."""
        return {student: Recorded(status, digest, instructor) for student, status, digest, instructor in
                self.db.execute("SELECT student, status, digest, instructor FROM students")}

    def statuses(self) -> dict:
        """{student: status} of everyone recorded."""
        return dict(self.db.execute("SELECT student, status FROM students"))

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.db.execute("SELECT COUNT(*) FROM students").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM students WHERE status = ?", (status,)).fetchone()[0]

    def errors(self) -> dict:
        return dict(self.db.execute("SELECT student, error FROM students WHERE status = 'error' ORDER BY student"))

    def current(self, student: str) -> dict | None:
        """The student's record: status, score, max_score, graded_at, why,
        error and report (JSON); None if they have none."""
        keys = ("status", "score", "max_score", "graded_at", "why", "error", "report")
        row = self.db.execute(f"SELECT {', '.join(keys)} FROM students WHERE student = ?", (student,)).fetchone()
        return dict(zip(keys, row)) if row else None

    def history(self, student: str) -> list[dict]:
        """The student's earlier records, oldest first: when each was made
        and why, when it was replaced and why, and its scores."""
        rows = self.db.execute(
            "SELECT graded_at, why, replaced_at, replaced_by, status, score, max_score, error, report FROM history"
            " WHERE student = ? ORDER BY id", (student,)).fetchall()
        keys = ("graded_at", "why", "replaced_at", "replaced_by", "status", "score", "max_score", "error", "report")
        return [dict(zip(keys, row)) for row in rows]

    # ------------------------------------------------ what people add
    def human(self, student: str) -> list[HumanGrade]:
        return [HumanGrade(stage, check, score, extra, comment) for stage, check, score, extra, comment in
                self.db.execute("SELECT stage, check_name, score, extra_credit, comment FROM human"
                                " WHERE student = ? ORDER BY stage, check_name", (student,))]

    def set_human(self, student: str, grades: list[HumanGrade]) -> bool:
        """Record the scores given by hand to ``student``; True if they changed."""
        grades = sorted(grades, key=lambda grade: (grade.stage, grade.check))
        if grades == self.human(student):
            return False
        with self._transaction():
            self.db.execute("DELETE FROM human WHERE student = ?", (student,))
            self.db.executemany(
                "INSERT INTO human (student, stage, check_name, score, extra_credit, comment) VALUES (?, ?, ?, ?, ?, ?)",
                [(student, g.stage, g.check, g.score, g.extra_credit, g.comment) for g in grades])
        return True

    def late(self, student: str) -> dict[str, Late]:
        return {row[0]: Late(*row) for row in self.db.execute(
            "SELECT stage, submitted, due, seconds_late, penalty FROM late WHERE student = ?", (student,))}

    def set_late(self, student: str, late: list[Late]) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM late WHERE student = ?", (student,))
            self.db.executemany(
                "INSERT INTO late (student, stage, submitted, due, seconds_late, penalty) VALUES (?, ?, ?, ?, ?, ?)",
                [(student, item.stage, item.submitted, item.due, item.seconds_late, item.penalty) for item in late])

    def overrides(self, student: str | None = None) -> dict:
        """{stage: Override} of ``student``, or {student: {stage: Override}} of everyone."""
        rows = self.db.execute("SELECT student, stage, points, reason, at FROM overrides ORDER BY student, stage")
        found: dict = {}
        for who, stage, value, reason, at in rows:
            found.setdefault(who, {})[stage] = Override(stage, value, reason, at)
        return found.get(student, {}) if student is not None else found

    def set_override(self, student: str, override: Override) -> Override | None:
        """Record an instructor's grade for one stage; returns the override it replaces."""
        previous = self.overrides(student).get(override.stage)
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO overrides (student, stage, points, reason, at) VALUES (?, ?, ?, ?, ?)",
                            (student, override.stage, override.points, override.reason, override.at or now()))
        return previous

    def remove_override(self, student: str, stage: str) -> Override | None:
        previous = self.overrides(student).get(stage)
        with self._transaction():
            self.db.execute("DELETE FROM overrides WHERE student = ? AND stage = ?", (student, stage))
        return previous

    # -------------------------------------------------------------- grades
    def grades(self, stages) -> list[StudentGrade]:
        """Every student's grade, sorted by name: what the exports show.  A
        student graded with other instructor notebooks than the gradebook's
        is ``outdated``, with no points."""
        current = self.meta("instructor_fingerprint", "")
        grades = []
        for student, status, error, instructor in self.db.execute(
                "SELECT student, status, error, instructor FROM students ORDER BY student").fetchall():
            if status != GRADED:
                grades.append(StudentGrade(student, ERROR, error=error))
            elif current and instructor != current:
                grades.append(StudentGrade(student, OUTDATED))
            else:
                grades.append(student_grade(student, self.report(student), stages, self.late(student),
                                            self.overrides(student)))
        return grades

    def store_grades(self, grades: list[StudentGrade]) -> None:
        """``stage_grades``: the grades as exported, for SQL readers."""
        rows = [(grade.student, stage.stage, stage.status, stage.points, stage.max_points, stage.penalty,
                 stage.override.points if stage.override else None, stage.final)
                for grade in grades for stage in grade.stages]
        with self._transaction():
            self.db.execute("DELETE FROM stage_grades")
            self.db.executemany("INSERT INTO stage_grades (student, stage, status, points, max_points, penalty,"
                                " override, final) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

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
        """``grades.csv``: student, each stage's final points, total, the late
        penalty taken off, status and notes (penalties, overrides, stages
        awaiting manual grading); written to a temporary file and moved
        into place."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["student", *stages, "total", "late_penalty", "status", "notes"])
        grades = self.grades(stages)
        for grade in grades:
            if grade.status == GRADED:
                notes = grade.notes() + [f"{stage} awaits manual grading" for stage in grade.awaiting]
                writer.writerow([grade.student, *(points(grade.stage(stage).final) for stage in stages),
                                 points(grade.total), points(sum(s.penalty for s in grade.stages)), grade.label,
                                 "; ".join(notes)])
            else:
                why = (grade.error.strip().splitlines() or [""])[-1] if grade.status == ERROR else \
                    "graded with earlier instructor notebooks: run grade-batch again to regrade"
                writer.writerow([grade.student, *([""] * len(stages)), "", "", grade.status, why])
        write_atomic(Path(path), buffer.getvalue())
        self.store_grades(grades)
        return Path(path)


def open_gradebook(out: Path, name: str = "gradebook.sqlite") -> Gradebook:
    """The gradebook of an existing ``grade-batch`` output folder; a
    one-line error when there is none."""
    path = Path(out) / name
    if not path.is_file():
        raise GradebookMismatch(f"{out} holds no {name}: give the --out folder of a grade-batch run")
    return Gradebook(path)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _unreadable(report: str, stages: int) -> str:
    """Why a graded student's record is not whole, "" if it is."""
    if not report:
        return "no report"
    try:
        parsed = GradeReport.from_dict(json.loads(report))
    except (ValueError, KeyError, TypeError) as error:
        return f"its report cannot be read: {type(error).__name__}"
    if len(parsed.stages) != stages:
        return f"{len(parsed.stages)} stages in its report, {stages} in stage_scores"
    return ""


def _show(value) -> str:
    return ", ".join(value) if isinstance(value, list) else repr(value)

