"""Similar submissions: the students' answer cells compared pair by pair
with copydetect, written to ``similarity.csv`` and ``similarity.html``.

Similarity is evidence for a person to weigh, never a verdict: the page
says so first, and shows the matching code side by side so that the
instructor can judge it.

Pipeline, per stage:

1. ``answers``: each student's answer cells (matched to the instructor's
   as grading matches them: by nbgrader id, else by the names they define),
   joined in the instructor's order into one Python text;
2. ``boilerplate``: everything a student was given, which must never count
   as shared work: the released stubs of the answer cells (the instructor's
   cells with their solution regions removed, and the release's own copy
   when the course has one), the provided cells and the test cells;
3. ``fingerprints``: copydetect tokenises each text with Pygments (names
   become ``V``/``F``/``O``, strings ``S``, comments go), takes every
   ``NOISE``-character k-gram (a window of 1, so the result does not depend
   on Python's salted string hash) and drops the boilerplate's k-grams;
4. candidate pairs share at least ``PREFILTER`` of the smaller set of
   k-grams (one matrix product over the class), a bound below which no
   pair can reach the threshold: pairs with nothing much in common are
   not compared one by one in Python;
5. ``copydetect.compare_files`` gives, for each candidate, the share of
   each student's code found in the other's and the matching regions;
   pairs whose larger share is at least ``THRESHOLD`` (and that have at
   least ``MIN_OVERLAP`` characters in common) are reported, most similar
   first.

Why copydetect rather than compare50 is said in docs/batch-grading.md.
"""
from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..files import write_atomic
from ..notebooks import ANSWER, PROVIDED, TEST, Notebook, NotebookProblem, find_submission, read_notebook
from .feedback import stage_title
from .page import document, esc, table

CSV_NAME = "similarity.csv"
HTML_NAME = "similarity.html"
CLASS_REPORT = "class-report.html"
THRESHOLD = 0.6        # a pair is reported when one student's code is at least this much in the other's
NOISE = 25             # k: characters of tokenised code a match must span (copydetect's noise threshold)
MIN_OVERLAP = 60       # characters of tokenised code in common, at least, for a pair to be reported
# Two students are compared exactly only if they share at least this share of
# the smaller k-gram set: each shared k-gram covers at most NOISE characters,
# so a pair below THRESHOLD / NOISE cannot reach THRESHOLD (halved for
# k-grams that occur more than once).
PREFILTER = THRESHOLD / NOISE / 2
SHOWN = 100            # pairs shown side by side on the page (all are in the table and the CSV)
CAVEAT = ("Similarity is evidence for a person to weigh, not a verdict. Students may write alike for "
          "innocent reasons: the task leaves little room (a few lines, one obvious formula), they "
          "followed the same hint, worked together as allowed, or learned from the same example. A copy can "
          "also be rewritten enough to escape any tool. Read the matching code side by side, weigh it with "
          "what you know, and talk with the students before you conclude anything.")


@dataclass
class Submission:
    student: str
    stage: str
    notebook: str          # the file read
    code: str              # the answer cells, joined


@dataclass
class Pair:
    stage: str
    a: Submission
    b: Submission
    a_share: float         # share of a's code (tokens, boilerplate excluded) found in b's
    b_share: float
    overlap: int           # tokenised characters in common
    a_regions: list = field(default_factory=list)   # [(start, end)] character ranges of a.code
    b_regions: list = field(default_factory=list)

    @property
    def similarity(self) -> float:
        return max(self.a_share, self.b_share)


# ------------------------------------------------------------------ inputs

def answers(instructor: Notebook, student: Notebook) -> str:
    """The student's answer cells in the instructor's order, joined."""
    by_id = {}
    for cell in student.cells:
        if cell.kind == ANSWER and cell.grade_id:
            by_id.setdefault(cell.grade_id, cell)
    texts = []
    for cell in instructor.of_kind(ANSWER):
        mine = by_id.get(cell.grade_id)
        if mine is None and cell.names:
            named = [other for other in student.cells if set(cell.names) <= set(other.names)]
            mine = named[-1] if named else None
        if mine is not None:
            texts.append(mine.source.strip("\n"))
    return "\n\n\n".join(texts) + "\n"


def _without_solutions(source: str) -> str:
    """An instructor cell with its solution regions replaced as nbgrader
    replaces them: the stub as released."""
    kept, inside = [], False
    for line in source.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        if line.strip().startswith("### BEGIN SOLUTION"):
            inside = True
            kept += [indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()"]
        elif line.strip().startswith("### END SOLUTION"):
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def boilerplate(instructor: Notebook, release: Notebook | None = None) -> list[str]:
    """Texts whose k-grams never count: the stubs of the answer cells
    (joined as ``answers`` joins a student's), the provided and test cells."""
    stubs = Notebook(instructor.path, [replace(cell, source=_without_solutions(cell.source))
                                       for cell in instructor.cells])
    texts = [answers(instructor, stubs)]
    if release is not None:
        texts.append(answers(instructor, release))
    texts += [cell.source for cell in instructor.cells if cell.kind in (PROVIDED, TEST)]
    return texts


def read_submissions(students: Iterable[tuple[str, Path]], stage: str, instructor: Notebook) -> list[Submission]:
    """Every student's answers to ``stage`` (students without a readable notebook are left out)."""
    found = []
    for student, folder in students:
        path = find_submission(Path(folder), stage)
        if path is None:
            continue
        try:
            notebook = read_notebook(path)
        except NotebookProblem:
            continue
        found.append(Submission(student, stage, str(path), answers(instructor, notebook)))
    return found


# ------------------------------------------------------------------ comparing

def _fingerprint(text: str, boiler: list):
    from copydetect import CodeFingerprint

    return CodeFingerprint("answers.py", NOISE, 1, boilerplate=boiler, fp=io.StringIO(text))


def compare(submissions: Sequence[Submission], given: Sequence[str], threshold: float = THRESHOLD) -> list[Pair]:
    """The pairs of ``submissions`` at or above ``threshold``, most similar first."""
    from copydetect import compare_files
    from copydetect.utils import filter_code, get_document_fingerprints

    boiler = set()
    for text in given:
        filtered, _ = filter_code(text, "given.py")
        boiler |= get_document_fingerprints(filtered, NOISE, 1)[0]
    boiler = list(boiler)
    prints = [_fingerprint(s.code, boiler) for s in submissions]
    pairs = []
    for i, j in candidates([p.hashes for p in prints]):
        overlap, (share_i, share_j), (slices_i, slices_j) = compare_files(prints[i], prints[j])
        if overlap < MIN_OVERLAP or max(share_i, share_j) < threshold:
            continue
        pairs.append(Pair(submissions[i].stage, submissions[i], submissions[j], float(share_i), float(share_j),
                          int(overlap), _regions(slices_i), _regions(slices_j)))
    pairs.sort(key=lambda pair: (-pair.similarity, -pair.overlap, pair.a.student, pair.b.student))
    return pairs


def candidates(hash_sets: Sequence[set], prefilter: float = PREFILTER, block: int = 4096) -> list[tuple[int, int]]:
    """Index pairs (i < j) sharing at least ``prefilter`` of the smaller
    set: shared counts from one students x k-grams product, in blocks of
    k-gram columns (memory: students x ``block`` at a time)."""
    n = len(hash_sets)
    if n < 2:
        return []
    column = {h: k for k, h in enumerate(set().union(*hash_sets))}
    rows = [np.fromiter((column[h] for h in hashes), dtype=np.int64, count=len(hashes)) for hashes in hash_sets]
    shared = np.zeros((n, n), dtype=np.float64)
    for start in range(0, len(column), block):
        dense = np.zeros((n, min(block, len(column) - start)), dtype=np.float32)
        for i, cols in enumerate(rows):
            chosen = cols[(cols >= start) & (cols < start + block)] - start
            dense[i, chosen] = 1.0
        shared += dense @ dense.T
    sizes = np.array([len(hashes) for hashes in hash_sets], dtype=np.float64)
    smaller = np.minimum.outer(sizes, sizes)
    ok = (smaller > 0) & (shared >= prefilter * smaller)
    return [(i, j) for i, j in itertools.combinations(range(n), 2) if ok[i, j]]


def _regions(slices) -> list[tuple[int, int]]:
    slices = np.asarray(slices)
    if slices.size == 0:
        return []
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]


def similar_pairs(students: Sequence[tuple[str, Path]], stages: Iterable[str], source: Path,
                  release: Path | None = None, threshold: float = THRESHOLD) -> tuple[list[Pair], dict[str, int]]:
    """Every reported pair of every stage (stages in order, pairs ranked
    within), and {stage: submissions compared}."""
    from ..course import instructor_path

    pairs, compared = [], {}
    for stage in stages:
        instructor = read_notebook(instructor_path(source, stage))
        released = None
        if release is not None and instructor_path(release, stage).is_file():
            try:
                released = read_notebook(instructor_path(release, stage))
            except NotebookProblem:
                released = None
        submissions = read_submissions(students, stage, instructor)
        compared[stage] = len(submissions)
        pairs += compare(submissions, boilerplate(instructor, released), threshold)
    return pairs, compared


# ------------------------------------------------------------------ files

def write(out: Path, pairs: Sequence[Pair], stages: Sequence[str], compared: dict[str, int],
          threshold: float = THRESHOLD) -> list[Path]:
    """``OUT/similarity.csv`` and ``OUT/similarity.html``; ``compared`` is
    {stage: submissions compared}."""
    out = Path(out)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "stage", "student_a", "student_b", "similarity", "a_share", "b_share",
                     "overlap_characters", "notebook_a", "notebook_b"])
    for rank, pair in enumerate(_ranked(pairs), start=1):
        writer.writerow([rank, pair.stage, pair.a.student, pair.b.student, f"{pair.similarity:.3f}",
                         f"{pair.a_share:.3f}", f"{pair.b_share:.3f}", pair.overlap, pair.a.notebook, pair.b.notebook])
    csv_path, html_path = out / CSV_NAME, out / HTML_NAME
    write_atomic(csv_path, buffer.getvalue())
    write_atomic(html_path, page(pairs, stages, compared, threshold))
    return [csv_path, html_path]


def _ranked(pairs: Sequence[Pair]) -> list[Pair]:
    return sorted(pairs, key=lambda pair: (-pair.similarity, -pair.overlap, pair.stage, pair.a.student,
                                           pair.b.student))


EXTRA_STYLE = """
.side-by-side { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 1rem; }
.side-by-side pre { white-space: pre; overflow: auto; max-height: 40rem; border: 1px solid #8c959f;
                    padding: .5rem; background: #f6f8fa; }
mark { background: #ffe08a; color: #1b1b1b; border-bottom: 2px solid #8a6a00; }
"""


def _marked(code: str, regions: list[tuple[int, int]]) -> str:
    """The code with its matching regions in ``<mark>``, each announced in words."""
    parts, at = [], 0
    for start, end in sorted(regions):
        start, end = max(start, at), min(end, len(code))
        if end <= start:
            continue
        parts.append(esc(code[at:start]))
        parts.append("<mark><span class=\"visually-hidden\">[matching code starts]</span>"
                     f"{esc(code[start:end])}<span class=\"visually-hidden\">[matching code ends]</span></mark>")
        at = end
    parts.append(esc(code[at:]))
    return "".join(parts)


def page(pairs: Sequence[Pair], stages: Sequence[str], compared: dict[str, int], threshold: float = THRESHOLD) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        library = f"copydetect {version('copydetect')}"
    except PackageNotFoundError:
        library = "copydetect"
    ranked = _ranked(pairs)
    counted = ", ".join(f"{compared.get(stage, 0)} for {stage_title(stage).lower()}" for stage in stages)
    parts = ["<h1>Similar submissions</h1>",
             f"<p class=\"banner\" id=\"caveat\"><strong>Please read first.</strong> {esc(CAVEAT)}</p>",
             "<section id=\"method\" aria-labelledby=\"method-title\"><h2 id=\"method-title\">How pairs were "
             "found</h2>",
             f"<p>Each student's answer cells of a stage were compared with every other student's with "
             f"{esc(library)} (winnowing over tokenised code: renaming variables, changing comments or "
             f"reordering functions does not hide a copy). The released stubs, the provided cells and the "
             f"test cells were given to every student and never count. A pair is listed when at least "
             f"{threshold:.0%} of one student's code (its own part) matches the other's in stretches of at "
             f"least {NOISE} tokenised characters. Notebooks compared: {esc(counted) or 'none'}.</p></section>"]
    rows = []
    for rank, pair in enumerate(ranked, start=1):
        link = f"<a href=\"#pair-{rank}\">{rank}</a>" if rank <= SHOWN else str(rank)
        rows.append([link, esc(stage_title(pair.stage)), esc(pair.a.student), esc(pair.b.student),
                     f"{pair.similarity:.0%}", f"{pair.a_share:.0%}", f"{pair.b_share:.0%}"])
    parts.append("<section id=\"pairs\" aria-labelledby=\"pairs-title\"><h2 id=\"pairs-title\">Pairs, most similar "
                 f"first</h2>\n<p>{len(ranked)} pair{'s' * (len(ranked) != 1)} at or above {threshold:.0%}."
                 + (f" The first {SHOWN} are shown side by side below." if len(ranked) > SHOWN else "")
                 + "</p>\n" + table("Pairs of students whose answers match, most similar first",
                                    ["Rank", "Stage", "Student A", "Student B", "Similarity", "A's code in B's",
                                     "B's code in A's"], rows, numeric=[0, 4, 5, 6], row_headers=False)
                 + "</section>")
    for rank, pair in enumerate(ranked[:SHOWN], start=1):
        sides = []
        for who, share, regions in ((pair.a, pair.a_share, pair.a_regions), (pair.b, pair.b_share, pair.b_regions)):
            sides.append(f"<div><h3>{esc(who.student)}: {share:.0%} of this code matches</h3>"
                         f"<p class=\"muted\">{esc(who.notebook)}</p>"
                         f"<pre tabindex=\"0\" role=\"region\" aria-label=\"{esc(who.student)}'s answers to "
                         f"{esc(stage_title(pair.stage).lower())}\">{_marked(who.code, regions)}</pre></div>")
        parts.append(f"<section id=\"pair-{rank}\" aria-labelledby=\"pair-{rank}-title\">"
                     f"<h2 id=\"pair-{rank}-title\">Pair {rank}: {esc(pair.a.student)} and {esc(pair.b.student)}, "
                     f"{esc(stage_title(pair.stage).lower())} ({pair.similarity:.0%})</h2>"
                     "<p>Matching code is highlighted (and announced as such by screen readers) in both.</p>"
                     f"<div class=\"side-by-side\">{''.join(sides)}</div></section>")
    return document("Similar submissions", "\n".join(parts),
                    nav=[(CLASS_REPORT, "Class report (index)"), (CSV_NAME, "The pairs (CSV)")],
                    extra_style=EXTRA_STYLE)
