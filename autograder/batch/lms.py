"""Grades as a CSV file an LMS imports: Canvas's gradebook import and
Moodle's "Import grades from CSV file".

The student folders are not the LMS's ids, so a **roster** (a CSV file
with a header row) maps them: the column ``student`` holds the folder
name (nbgrader's student id), and the others what the LMS matches on:

* Canvas: ``name``, ``id`` (Canvas's user id), ``sis_user_id``,
  ``sis_login_id`` and ``section``; one of the three ids is needed.
  The file has Canvas's export layout: ``Student, ID, SIS User ID, SIS
  Login ID, Section``, one column per stage, then a ``Points Possible`` row
  with each stage's maximum, and a ``Notes`` column (Canvas's notes column)
  when an override or a late penalty has something to say.
* Moodle: ``email``, ``username``, ``idnumber``; one is needed, and the
  import maps it to the user field of the same name.  One column per stage
  and, when there is something to say, a ``<stage> feedback`` column to map
  to that grade item's feedback.  Moodle has no points-possible row: its
  grade items carry their maximum.

Points are the final ones (late penalties taken off, overrides applied),
written as people write them (``12``, ``10.5``).  A student the roster
lacks, or whose grade is not final (an error of the kit, grades made with
other instructor notebooks) is left out and named; written answers still
awaiting a grader are exported as they are, and named.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..reports.text import points
from .grades import AWAITING, late_note, override_note

CANVAS_IDS = ("id", "sis_user_id", "sis_login_id")
MOODLE_IDS = ("email", "username", "idnumber")
POINTS_POSSIBLE = "    Points Possible"        # Canvas's own spelling, leading spaces included


@dataclass
class Row:
    """One student's final points per stage, and what to say about them."""
    student: str
    points: dict                                   # stage -> final points
    notes: dict = field(default_factory=dict)      # stage -> a note (override reason, late penalty)


@dataclass
class Export:
    """A CSV file's text and what to say out loud about it."""
    text: str
    written: int
    left_out: list = field(default_factory=list)     # students not in the file, with why
    notes: list = field(default_factory=list)        # in the file, but to be known (awaiting manual grading)


def read_roster(path: Path, wanted: tuple[str, ...]) -> dict[str, dict]:
    """{student folder: {column: value}} from a roster CSV file; a one-line
    error for a file that cannot be read or lacks the columns."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"roster {path}: cannot be read ({error})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    if "student" not in columns or not set(wanted) & set(columns):
        raise UsageError(f"roster {path}: needs a header row with the column 'student' (the folder names) "
                         f"and one of {', '.join(wanted)}; it has {', '.join(columns) or 'none'}")
    roster = {}
    for raw in reader:
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        if row.get("student"):
            roster[row["student"]] = row
    return roster


def canvas(rows: list[Row], stages, maxima: dict, roster: dict) -> Export:
    """Canvas's gradebook import."""
    with_notes = any(row.notes for row in rows)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *stages] + (["Notes"] if with_notes else [])
    lines = [header, [POINTS_POSSIBLE, "", "", "", "", *(points(maxima[stage]) for stage in stages)]
             + ([""] if with_notes else [])]
    left_out, written = [], 0
    for row in rows:
        entry = roster.get(row.student)
        if entry is None or not any(entry.get(key) for key in CANVAS_IDS):
            left_out.append(f"{row.student}: not in the roster (or no Canvas id there): left out")
            continue
        notes = "; ".join(f"{stage}: {note}" for stage, note in row.notes.items())
        lines.append([entry.get("name") or row.student, entry.get("id", ""), entry.get("sis_user_id", ""),
                      entry.get("sis_login_id", ""), entry.get("section", ""),
                      *(points(row.points[stage]) for stage in stages)] + ([notes] if with_notes else []))
        written += 1
    return Export(_csv(lines), written, left_out)


def moodle(rows: list[Row], stages, maxima: dict, roster: dict) -> Export:
    """Moodle's grade import from a CSV file."""
    ids = [key for key in MOODLE_IDS if any(entry.get(key) for entry in roster.values())]
    feedback = [stage for stage in stages if any(stage in row.notes for row in rows)]
    header = ids + list(stages) + [f"{stage} feedback" for stage in feedback]
    lines, left_out, written = [header], [], 0
    for row in rows:
        entry = roster.get(row.student)
        if entry is None or not any(entry.get(key) for key in ids):
            left_out.append(f"{row.student}: not in the roster (or no Moodle id there): left out")
            continue
        lines.append([entry.get(key, "") for key in ids] + [points(row.points[stage]) for stage in stages]
                     + [row.notes.get(stage, "") for stage in feedback])
        written += 1
    return Export(_csv(lines), written, left_out)


FORMATS = {"canvas": (canvas, CANVAS_IDS), "moodle": (moodle, MOODLE_IDS)}


def export(kind: str, rows: list[Row], stages, maxima: dict, roster_path: Path) -> Export:
    """The file of ``kind`` ("canvas" or "moodle") for ``rows``."""
    render, ids = FORMATS[kind]
    roster = read_roster(roster_path, ids)
    result = render(sorted(rows, key=lambda row: row.student), stages, maxima, roster)
    graded = {row.student for row in rows}
    result.notes += [f"{student}: in the roster but not graded" for student in sorted(roster) if student not in graded]
    return result


def _csv(lines: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    return buffer.getvalue()


def kit_rows(grades, stages) -> tuple[list[Row], dict, list[str], list[str]]:
    """Rows from the kit's gradebook (``Gradebook.grades``): the rows, each
    stage's maximum, the students left out with why and the notes."""
    rows, maxima, left_out, notes_said = [], {}, [], []
    for grade in grades:
        if grade.status != "graded":
            left_out.append(f"{grade.student}: {grade.status}, no final grade: left out")
            continue
        notes = {}
        for stage in grade.stages:
            maxima[stage.stage] = stage.max_points
            said = []
            if stage.override is not None:
                said.append(override_note(stage.override.points, stage.override.reason))
            elif stage.penalty:
                said.append(late_note(stage.late.seconds_late, stage.penalty))
            if stage.status == AWAITING:
                notes_said.append(f"{grade.student}: {stage.stage} awaits manual grading: exported as it stands")
            if said:
                notes[stage.stage] = "; ".join(said)
        rows.append(Row(grade.student, {stage.stage: stage.final for stage in grade.stages}, notes))
    for stage in stages:
        maxima.setdefault(stage, 0.0)
    return rows, maxima, left_out, notes_said
