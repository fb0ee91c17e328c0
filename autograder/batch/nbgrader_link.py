"""The kit's grades in the course's nbgrader gradebook, through nbgrader's
own API (``nbgrader.api.Gradebook``), and what people enter there read back.

nbgrader records each stage as an assignment named after the stage (``mlpkit
release`` does, with ``generate_assignment``) whose notebook ``<stage>``
holds the public test cells and the written questions.  nbgrader has no
place for the hidden checks, so the kit adds one notebook to each
assignment, ``mlpkit_grading``: a grade cell per hidden check and a task
cell worth 0 points, ``instructor_override``, that carries an override
(as extra credit, with the reason as its comment).  With them, nbgrader's
totals are the kit's, stage by stage, and formgrader, ``nbgrader export``
and its plugins show them; students nbgrader never collected (a flat
upload) are added as students with their submissions.

Per student and stage, ``write``:

* records the submission with nbgrader's timestamp (``timestamp.txt``);
* sets every public and hidden check's ``auto_score`` to the kit's verdict,
  keeping what a person entered (``manual_score``, extra credit): as
  nbgrader's own autograde does, a grade re-scored by hand whose verdict
  changed is flagged for review;
* leaves the written answers to formgrader (a stage whose notebook is
  missing gets 0 for them, as nbgrader's autograde gives);
* computes the late penalty with nbgrader's late submission plugin (the
  course's ``AssignLatePenalties.plugin_class``) from the submission's
  time and the due date (with any extension), on the stage's points, and
  stores it where ``nbgrader export`` reads it;
* writes the notebooks formgrader shows: the student's, sanitised by
  nbgrader's own preprocessors (not executed: the kit never runs student
  code outside its sandbox), and the kit's ``mlpkit_grading.ipynb``.

``human_grades`` reads back the scores, extra credit and comments people
gave in formgrader.

``mlpkit release`` regenerates only each stage's own notebook, so the
kit's notebook survives a new release; nbgrader's ``generate_assignment``
without ``--notebook STAGE`` would refuse to touch a stage with
submissions, seeing a notebook it did not make.
"""
from __future__ import annotations

import re
import secrets
import shutil
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..course import Course
from ..errors import BatchError
from ..outcomes import HIDDEN, GradeReport, StageStatus
from .grades import HumanGrade, Late, Override

KIT_NOTEBOOK = "mlpkit_grading"
SECRET_NAME = "submission_secret.txt"      # written by nbgrader submit; release_feedback names the feedback by it
OVERRIDE_CELL = "instructor_override"


def cell_name(check_name: str, stage: str) -> str:
    """A hidden check's grade cell in the kit's notebook: its title in
    lower case, words joined by "_"."""
    title = check_name[len(stage) + 1:] if check_name.startswith(stage + " ") else check_name
    return re.sub(r"[^0-9a-z]+", "_", title.lower()).strip("_")[:120]


@dataclass
class StageLink:
    """How one stage's checks map to nbgrader's cells."""
    stage: str
    public: dict          # check name -> grade cell of the stage's notebook
    manual: dict          # check name -> grade or task cell of the stage's notebook
    hidden: dict          # check name -> grade cell of the kit's notebook
    points: dict          # check name -> points

    def cell(self, check: str) -> tuple[str, str | None]:
        """(notebook, cell) of a check in nbgrader's gradebook."""
        if check in self.hidden:
            return KIT_NOTEBOOK, self.hidden[check]
        return self.stage, self.public.get(check) or self.manual.get(check)


class NbgraderGradebook:
    """The course's nbgrader gradebook, open."""

    def __init__(self, course: Course):
        from nbgrader.api import Gradebook
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        self.course = course
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
        config.CourseDirectory.root = str(course.root)
        self.config = config
        self.coursedir = CourseDirectory(config=config)
        self.db_url = self.coursedir.db_url
        if self.db_url.startswith("sqlite:///") and not Path(self.db_url[len("sqlite:///"):]).is_file():
            raise BatchError(f"the course has no nbgrader gradebook yet ({self.db_url[len('sqlite:///'):]}): run "
                             "mlpkit release in the course, which records the stages in it")
        self.gb = Gradebook(self.db_url, self.coursedir.course_id)
        self.links: dict[str, StageLink] = {}
        self._plugin = None

    def close(self) -> None:
        self.gb.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def where(self) -> str:
        return self.db_url[len("sqlite:///"):] if self.db_url.startswith("sqlite:///") else self.db_url

    # ----------------------------------------------------------- the stages
    def prepare(self, stages, source: Path) -> None:
        """Check that nbgrader records every stage as the course's
        instructor notebooks define it, and give each the kit's notebook."""
        from ..checks import hidden_checks, public_checks
        from ..course import instructor_path
        from ..notebooks import read_notebook
        from nbgrader.api import MissingEntry

        for stage in stages:
            try:
                notebook = self.gb.find_notebook(stage, stage)
            except MissingEntry:
                raise BatchError(f"nbgrader's gradebook ({self.where}) has no assignment {stage} with a notebook "
                                 f"{stage}: run mlpkit release, which records it") from None
            instructor = read_notebook(instructor_path(source, stage))
            public = {check.name: check.grade_id for check in public_checks(stage, instructor)}
            manual = {f"{stage} {cell.grade_id}": cell.grade_id for cell in instructor.manual}
            hidden = {check.name: cell_name(check.name, stage) for check in hidden_checks(stage)}
            points = {check.name: check.points for check in public_checks(stage, instructor) + hidden_checks(stage)}
            points.update({f"{stage} {cell.grade_id}": cell.points for cell in instructor.manual})
            recorded = {cell.name: cell.max_score for cell in notebook.grade_cells + notebook.task_cells}
            wanted = {cell: points[name] for name, cell in {**public, **manual}.items()}
            if recorded != wanted:
                differ = sorted(set(recorded.items()) ^ set(wanted.items()))
                raise BatchError(f"nbgrader's gradebook records {stage} with other graded cells than "
                                 f"{instructor_path(source, stage)} ({differ[0][0]}...): run mlpkit release")
            if len(set(hidden.values())) != len(hidden):
                raise BatchError(f"two hidden checks of {stage} have the same name once written as a cell name")
            self._kit_notebook(stage, {hidden[name]: points[name] for name in hidden})
            self.links[stage] = StageLink(stage, public, manual, hidden, points)
        self.gb.db.commit()

    def _kit_notebook(self, stage: str, cells: dict) -> None:
        """The kit's notebook of ``stage``: a grade cell per hidden check
        (cells of checks that no longer exist are removed) and the override
        task cell; every submission gets grades for them."""
        from nbgrader.api import MissingEntry, SubmittedNotebook

        try:
            notebook = self.gb.find_notebook(KIT_NOTEBOOK, stage)
        except MissingEntry:
            notebook = self.gb.add_notebook(KIT_NOTEBOOK, stage)
        for cell in list(notebook.grade_cells):
            if cell.name not in cells:
                for grade in list(cell.grades):
                    self.gb.db.delete(grade)
                self.gb.db.delete(cell)
        for name, points in cells.items():
            self.gb.update_or_create_grade_cell(name, KIT_NOTEBOOK, stage, max_score=float(points), cell_type="code")
        self.gb.update_or_create_task_cell(OVERRIDE_CELL, KIT_NOTEBOOK, stage, max_score=0.0, cell_type="markdown")
        self.gb.db.flush()
        for submission in self.gb.find_assignment(stage).submissions:
            if not any(nb.notebook_id == notebook.id for nb in submission.notebooks):
                self.gb.db.add(SubmittedNotebook(notebook=notebook, assignment=submission))
            self.gb.db.flush()
            for submitted in submission.notebooks:
                _complete(self.gb.db, submitted)

    def due(self, stage: str) -> datetime | None:
        return self.gb.find_assignment(stage).duedate

    # ------------------------------------------------------------- reading
    def human_grades(self, student: str) -> list[HumanGrade]:
        """What people entered in formgrader for ``student``: scores given by
        hand, extra credit, comments on written answers."""
        from nbgrader.api import MissingEntry

        found = []
        for stage, link in self.links.items():
            try:
                submission = self.gb.find_submission(stage, student)
            except MissingEntry:
                continue
            names = {(stage, cell): name for name, cell in {**link.public, **link.manual}.items()}
            names.update({(KIT_NOTEBOOK, cell): name for name, cell in link.hidden.items()})
            for notebook in submission.notebooks:
                comments = {comment.cell.name: comment.manual_comment for comment in notebook.comments}
                for grade in notebook.grades:
                    name = names.get((notebook.notebook.name, grade.cell.name))
                    if name is None:
                        continue
                    comment = comments.get(grade.cell.name) or ""
                    if grade.manual_score is not None or grade.extra_credit:
                        found.append(HumanGrade(stage, name, grade.manual_score, grade.extra_credit or 0.0, comment))
        return found

    # ------------------------------------------------------------- writing
    def write(self, student: str, report: GradeReport, timestamps: dict, overrides: dict, notebooks: dict,
              hidden_details: str = "full") -> tuple[list[Late], list[str]]:
        """Record ``student``'s grades (the kit's ``report``, as computed)
        in every stage; returns their late penalties and one line per problem
        (an unreadable timestamp).  ``notebooks``: {stage: the student's
        notebook to show in formgrader, or None to keep the one there}."""
        from nbgrader.utils import parse_utc

        self.gb.update_or_create_student(student)
        late, problems = [], []
        for stage, link in self.links.items():
            result = report.stage(stage)
            if result is None:
                continue
            submission = self._submission(stage, student)
            stamp = timestamps.get(stage)
            if stamp:
                try:
                    submission.timestamp = parse_utc(stamp)
                except (ValueError, OverflowError):
                    problems.append(f"{student}: {stage}: timestamp.txt cannot be read ({stamp[:40]!r}); "
                                    "the submission is taken as on time")
            grades = self._grades(submission)
            missing = result.status is not StageStatus.GRADED
            for check in result.checks:
                grade = grades.get(link.cell(check.name))
                if grade is None:
                    continue
                if check.manual and not missing:
                    if stage in notebooks and grade.manual_score is not None:
                        grade.needs_manual_grade = True   # the answer changed: review it, as nbgrader's autograde asks
                    continue    # formgrader's to grade
                if grade.auto_score != float(check.points):
                    # nbgrader's rule: a new autograder score over a score given by hand asks for a review
                    grade.auto_score = float(check.points)
                    grade.needs_manual_grade = grade.manual_score is not None
            points = sum(_score(grade) for (notebook, name), grade in grades.items() if name != OVERRIDE_CELL)
            override = overrides.get(stage)
            self._override(grades[(KIT_NOTEBOOK, OVERRIDE_CELL)], submission, override, points)
            penalty = self._late_penalty(student, submission, points if override is None else 0.0)
            own = next(nb for nb in submission.notebooks if nb.notebook.name == stage)
            kit = next(nb for nb in submission.notebooks if nb.notebook.name == KIT_NOTEBOOK)
            own.late_submission_penalty, kit.late_submission_penalty = (penalty if override is None else None), None
            if submission.timestamp is not None and submission.duedate is not None and \
                    submission.total_seconds_late > 0:
                late.append(Late(stage, submission.timestamp.isoformat(), submission.duedate.isoformat(),
                                 submission.total_seconds_late, penalty or 0.0))
            self.gb.db.commit()
            if result.status is not StageStatus.MISSING:   # as nbgrader's autograde: no notebook, no folder
                self._write_notebooks(student, stage, result, notebooks.get(stage), stamp, override, hidden_details)
        return late, problems

    def _submission(self, stage: str, student: str):
        from nbgrader.api import MissingEntry
        from sqlalchemy.exc import SAWarning

        try:
            submission = self.gb.find_submission(stage, student)
        except MissingEntry:
            with warnings.catch_warnings():
                # nbgrader's add_submission builds its objects with autoflush on, which SQLAlchemy 2 warns
                # about ("not in session"); the submission is then added and committed whole.
                warnings.simplefilter("ignore", SAWarning)
                submission = self.gb.add_submission(stage, student)
        for notebook in submission.notebooks:
            _complete(self.gb.db, notebook)
        return submission

    def _grades(self, submission) -> dict:
        """{(notebook, cell): Grade} of a submission."""
        return {(notebook.notebook.name, grade.cell.name): grade for notebook in submission.notebooks
                for grade in notebook.grades}

    def _override(self, grade, submission, override: Override | None, points: float) -> None:
        comment = next(c for nb in submission.notebooks for c in nb.comments if c.cell.name == OVERRIDE_CELL)
        grade.auto_score, grade.needs_manual_grade = 0.0, False
        grade.extra_credit = None if override is None else float(override.points) - points
        comment.auto_comment = None if override is None else override.reason

    def _late_penalty(self, student: str, submission, points: float) -> float | None:
        """nbgrader's: the plugin's penalty for the stage's points, kept
        between 0 and those points; None when on time."""
        if submission.timestamp is None or submission.duedate is None or submission.total_seconds_late <= 0:
            return None
        penalty = self.plugin().late_submission_penalty(student, points, submission.total_seconds_late)
        if penalty is None:
            return None
        return min(max(float(penalty), 0.0), points)

    def plugin(self):
        if self._plugin is None:
            from nbgrader.preprocessors import AssignLatePenalties

            assigner = AssignLatePenalties(config=self.config)
            assigner.init_plugin()
            self._plugin = assigner.plugin_inst
        return self._plugin

    # ----------------------------------------------------------- notebooks
    def _write_notebooks(self, student: str, stage: str, result, notebook: Path | None, stamp: str | None,
                         override: Override | None, hidden_details: str) -> None:
        """``autograded/<student>/<stage>/``, as nbgrader's autograde leaves
        it: the student's notebook (when it changed or is not there yet),
        the kit's notebook, and the two files nbgrader's ``release_feedback``
        needs, ``timestamp.txt`` and ``submission_secret.txt``, from the
        student's submission (a notebook nbgrader did not collect is dated by
        its file and gets a secret of its own, as ``nbgrader submit`` makes)."""
        import nbformat

        folder = Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, stage))
        folder.mkdir(parents=True, exist_ok=True)
        own = folder / f"{stage}.ipynb"
        handed_in = Path(notebook or result.notebook) if (notebook or result.notebook) else None
        if notebook is not None or (not own.exists() and handed_in is not None):
            sanitised = self._sanitised(handed_in, stage, student)
            if sanitised is not None:
                nbformat.write(sanitised, own)
        nbformat.write(self._kit_page(stage, result, override, hidden_details), folder / f"{KIT_NOTEBOOK}.ipynb")
        timestamp = folder / "timestamp.txt"
        if stamp:
            timestamp.write_text(stamp + "\n", encoding="utf-8")
        elif not timestamp.exists():
            when = handed_in.stat().st_mtime if handed_in is not None and handed_in.exists() else time.time()
            timestamp.write_text(datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
                                 + "\n", encoding="utf-8")
        secret = folder / SECRET_NAME
        theirs = handed_in.parent / SECRET_NAME if handed_in is not None else None
        if theirs is not None and theirs.is_file():
            shutil.copyfile(theirs, secret)
        elif not secret.exists():
            secret.write_text(secrets.token_hex(64), encoding="utf-8")

    def _sanitised(self, path: Path, stage: str, student: str):
        """The student's notebook as nbgrader's autograde prepares it before
        running it (outputs cleared, ids made unique, locked cells restored
        from the gradebook), not run; None if it cannot be read."""
        import nbformat
        from nbgrader.converters import Autograde

        try:
            notebook = nbformat.read(str(path), as_version=4)
        except Exception:  # noqa: BLE001 - the kit's report already says the notebook is unreadable
            return None
        resources = {"nbgrader": {"notebook": stage, "assignment": stage, "student": student,
                                  "db_url": self.db_url}}
        try:
            for klass in Autograde.sanitize_preprocessors.default_value:
                notebook, resources = klass(config=self.config).preprocess(notebook, resources)
        except Exception:  # noqa: BLE001 - a notebook nbgrader cannot sanitise is shown as handed in
            notebook = nbformat.read(str(path), as_version=4)
        return notebook

    def _kit_page(self, stage: str, result, override: Override | None, hidden_details: str):
        """``mlpkit_grading.ipynb``: the hidden checks' verdicts, one graded
        cell each, and the override; what formgrader and nbgrader's
        feedback show of them."""
        from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

        link = self.links[stage]
        cells = [new_markdown_cell(f"# {stage}: the kit's hidden checks\n\nGraded by mlpkit in its sandbox. "
                                   "Each cell below is one hidden check with its points.")]
        for check in result.checks:
            if check.visibility != HIDDEN or check.name not in link.hidden:
                continue
            title = check.name[len(stage) + 1:]
            source = f"# {title} ({check.max_points:g} points)"
            text = "passed" if check.passed else "failed"
            if hidden_details == "full":
                source += f"\n# {check.description}"
                text = check.description if check.passed else f"{check.message}\n\nChecked: {check.description}"
            cell = new_code_cell(source, outputs=[new_output("stream", name="stdout", text=text + "\n")])
            cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "task": False,
                                         "grade_id": link.hidden[check.name], "points": check.max_points,
                                         "schema_version": 3}
            cells.append(cell)
        said = "No override." if override is None else f"Overridden to {override.points:g} points: {override.reason}"
        task = new_markdown_cell(f"**The instructor's override of {stage}.** {said}")
        task.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "task": True,
                                     "grade_id": OVERRIDE_CELL, "points": 0, "schema_version": 3}
        cells.append(task)
        notebook = new_notebook(cells=cells)
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        return notebook


def _complete(db, submitted) -> None:
    """Give a submitted notebook a grade (and comment) for every cell its
    notebook has: a cell added after the submission was recorded (a new
    hidden check, the kit's notebook itself) has none yet."""
    from nbgrader.api import Comment, Grade

    graded = {grade.cell_id for grade in submitted.grades}
    commented = {comment.cell_id for comment in submitted.comments}
    notebook = submitted.notebook
    for cell in list(notebook.grade_cells) + list(notebook.task_cells):
        if cell.id not in graded:
            db.add(Grade(cell_id=cell.id, notebook=submitted))
    for cell in list(notebook.solution_cells) + list(notebook.task_cells):
        if cell.id not in commented:
            db.add(Comment(cell_id=cell.id, notebook=submitted))
    db.flush()


def _score(grade) -> float:
    """nbgrader's score of a grade: the person's score, else the
    autograder's, plus extra credit."""
    base = grade.manual_score if grade.manual_score is not None else (grade.auto_score or 0.0)
    return float(base) + float(grade.extra_credit or 0.0)

