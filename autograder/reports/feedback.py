"""Feedback pages a student wants to read: one self-contained HTML file per
student and stage, plus an index.

A page lists every check of the stage with its points and its teaching
message and, for the stages that train a network, shows the student's loss
curve (and, for the moons, decision boundary) beside the reference's.
Plots are PNGs drawn with Matplotlib and embedded as base64 ``data:`` URIs;
the page has no script and loads nothing, so it can be mailed, uploaded to
an LMS or opened offline.

Input is plain data: the student's ``GradeReport`` and the curves of
``curves.py``.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from ..files import write_atomic
from ..outcomes import GradeReport, StageResult
from .text import points as _points
from .visibility import HiddenDetails, shown, withheld, withheld_note

DPI = 72
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
header { border-bottom: 2px solid #d0d7de; margin-bottom: 1rem; }
h1 { margin-bottom: .2rem; }
.score { font-size: 1.2rem; }
table.checks { border-collapse: collapse; width: 100%; }
table.checks th, table.checks td { border-bottom: 1px solid #d0d7de; padding: .45rem .5rem; text-align: left;
                                   vertical-align: top; }
tr.check.passed td.result { color: #1a7f37; font-weight: 600; }
tr.check.failed td.result { color: #cf222e; font-weight: 600; }
td.points { white-space: nowrap; }
td.message pre { white-space: pre-wrap; margin: 0; font-family: ui-monospace, monospace; font-size: .9rem; }
.kind { font-size: .8rem; color: #57606a; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; }
figcaption { font-size: .9rem; color: #57606a; max-width: 36rem; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem .75rem; border-radius: 4px; }
"""


# ------------------------------------------------------------------ files

def write_student(folder: Path, student: str, report: GradeReport, curves: dict, stages,
                  hidden: HiddenDetails | str = HiddenDetails.FULL) -> list[Path]:
    """Write ``folder/feedback/<stage>.html`` for every stage and
    ``folder/feedback/index.html``; returns the paths written.  ``hidden``
    says what the pages show of the hidden checks (``visibility.py``)."""
    written, whole, report = [], report, shown(report, hidden)
    for stage in stages:
        note = withheld(whole.stage(stage) or StageResult(stage), hidden)
        page = stage_page(student, stage, report.stage(stage) or StageResult(stage), curves.get(stage),
                          _reference(stage), withheld_note(note) if note else "")
        path = Path(folder) / "feedback" / f"{stage}.html"
        write_atomic(path, page)
        written.append(path)
    index = Path(folder) / "feedback" / "index.html"
    write_atomic(index, index_page(student, report, stages))
    return written + [index]


def _reference(stage: str) -> dict:
    from .curves import reference_curves

    try:
        return reference_curves(stage)
    except Exception:  # noqa: BLE001 - pages without the reference's plots rather than none
        return {}


# ------------------------------------------------------------------ pages

def stage_title(stage: str) -> str:
    number, _, words = stage.partition("_")
    return f"Stage {int(number)}: {words.replace('_', ' ')}" if number.isdigit() else stage


def _document(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def stage_page(student: str, stage: str, result: StageResult, curves: dict | None, reference: dict | None,
               withheld: str = "") -> str:
    """The HTML page of one student's stage; ``withheld`` is the line saying
    that hidden checks are left out until grades are published."""
    esc = html.escape
    parts = [f"<header>\n<h1>{esc(stage_title(stage))}</h1>\n"
             f"<p class=\"score\">Feedback for <strong class=\"student\">{esc(student)}</strong>: "
             f"<strong id=\"stage-score\">{_points(result.score)} / {_points(result.max_score)}</strong> points</p>\n"
             "</header>"]
    if withheld:
        parts.append(f"<p class=\"note\" id=\"withheld\">{esc(withheld)}</p>")
    if result.awaiting_manual:
        parts.append("<p class=\"note\" id=\"awaiting\">Your written answers are not graded yet: the points "
                     "above will grow once your instructor has read them.</p>")
    if result.problems:
        parts.append("<section id=\"notes\">\n<h2>Notes</h2>\n"
                     + "\n".join(f"<p class=\"note\">{esc(note)}</p>" for note in result.problems) + "\n</section>")
    rows = []
    for number, check in enumerate(result.checks, start=1):
        short = check.name[len(stage) + 1:] if check.name.startswith(stage + " ") else check.name
        verdict = "awaiting grading" if check.pending else "passed" if check.passed else "failed"
        text = check.description if check.passed or not check.message \
            else f"{check.message}\n\nChecked: {check.description}"
        rows.append(
            f"<tr class=\"check {verdict.split()[0]}\" id=\"check-{number}\" "
            f"data-check=\"{esc(check.name)}\" data-points=\"{_points(check.points)}\" "
            f"data-max-points=\"{_points(check.max_points)}\">"
            f"<td class=\"name\">{esc(short)}<br><span class=\"kind\">{'written answer' if check.manual else check.visibility + ' check'}</span></td>"
            f"<td class=\"points\">{_points(check.points)} / {_points(check.max_points)}</td>"
            f"<td class=\"result\">{verdict}</td>"
            f"<td class=\"message\"><pre>{esc(text.strip())}</pre></td></tr>")
    if not rows:
        rows.append("<tr><td colspan=\"4\">No check of this stage was graded.</td></tr>")
    parts.append("<section id=\"checks\">\n<h2>Checks</h2>\n<table class=\"checks\">\n<thead><tr><th>check</th>"
                 "<th>points</th><th>result</th><th>what was checked, and what to fix</th></tr></thead>\n<tbody>\n"
                 + "\n".join(rows) + "\n</tbody>\n</table>\n</section>")
    plots = plot_section(stage, curves, reference)
    if plots:
        parts.append(plots)
    return _document(f"{stage_title(stage)} - feedback for {student}", "\n".join(parts))


def index_page(student: str, report: GradeReport, stages) -> str:
    esc = html.escape
    rows, total, total_max = [], 0.0, 0.0
    for stage in stages:
        result = report.stage(stage) or StageResult(stage)
        total, total_max = total + result.score, total_max + result.max_score
        rows.append(f"<tr class=\"stage\"><td><a href=\"{esc(stage)}.html\">{esc(stage_title(stage))}</a></td>"
                    f"<td class=\"points\">{_points(result.score)} / {_points(result.max_score)}</td></tr>")
    body = (f"<header>\n<h1>Feedback for {esc(student)}</h1>\n<p class=\"score\">Total: <strong id=\"total\">"
            f"{_points(total)} / {_points(total_max)}</strong> points</p>\n</header>\n"
            "<table class=\"checks\">\n<thead><tr><th>stage</th><th>points</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>")
    return _document(f"Feedback for {student}", body)


# ------------------------------------------------------------------ plots

PLOT_INTRO = {
    "04_mlp_class": "Your <code>MLP</code> trained on XOR (2-4-1, tanh/sigmoid, learning rate 0.5, 5000 epochs), "
                    "beside the reference's. A correct class gives the same curve, point for point.",
    "05_moons": "Your data functions feeding the notebook's network (2-16-8-1, learning rate 0.1, 2000 epochs): "
                "the decision boundary on the test points and the training loss, beside the reference's.",
    "06_extensions": "The notebook's network on the moons (learning rate 0.01, 1000 epochs) with your "
                     "optimisers (solid) and the reference's (dashed).",
}


def plot_section(stage: str, curves: dict | None, reference: dict | None) -> str:
    """The plots of a stage, or "" for a stage without plots."""
    from .curves import STAGES_WITH_CURVES

    if stage not in STAGES_WITH_CURVES or (not curves and not reference):
        return ""
    curves, reference = curves or {}, reference or {}
    figures, notes = [], []
    if curves.get("problem"):
        notes.append(f"Your curves: {curves['problem']}")
    elif not curves:
        notes.append("Your curves were not computed for this report.")
    try:
        if stage == "05_moons":
            for label, data in (("Your decision boundary", curves.get("boundary")),
                                ("The reference's decision boundary", reference.get("boundary"))):
                if data is not None:
                    accuracy = data.get("accuracy")
                    title = label + (f" (test accuracy {accuracy:.0%})" if accuracy == accuracy else "")
                    if data is reference.get("boundary"):   # the same picture on every page: drawn once
                        image = _cached(("boundary", id(data), title), lambda: image_tag(boundary_figure(data, title), title))
                    else:
                        image = image_tag(boundary_figure(data, title), title)
                    figures.append((image, title, "boundary"))
        if curves.get("losses") or reference.get("losses"):
            title = "Training loss: yours and the reference's"
            caption = title + coincidence(curves.get("losses", {}), reference.get("losses", {}))
            figure = loss_figure(curves.get("losses", {}), reference.get("losses", {}), title)
            figures.append((image_tag(figure, caption), caption, "loss"))
    except Exception as error:  # noqa: BLE001 - a page without a plot rather than no page
        notes.append(f"A plot could not be drawn ({type(error).__name__}: {error}).")
    esc = html.escape
    blocks = [f"<figure class=\"plot {kind}\">{image}<figcaption>{esc(alt)}</figcaption></figure>"
              for image, alt, kind in figures]
    return ("<section id=\"plots\">\n<h2>Your model beside the reference</h2>\n"
            f"<p>{PLOT_INTRO.get(stage, '')}</p>\n"
            + "".join(f"<p class=\"note\">{esc(note)}</p>\n" for note in notes)
            + "<div class=\"plots\">\n" + "\n".join(blocks) + "\n</div>\n</section>")


def coincidence(student: dict, reference: dict) -> str:
    """A caption's ending saying which of the student's curves lie on the
    reference's (then the dashed line hides under the solid one)."""
    same = [label for label in student if label in reference and len(student[label]) == len(reference[label])
            and np.allclose(student[label], reference[label], rtol=1e-6, atol=1e-9)]
    if not same:
        return ""
    if len(same) == len(reference) == 1:
        return ". Your curve lies on the reference's: same numbers, epoch after epoch."
    return f". Yours lie on the reference's for {', '.join(same)}."


_IMAGES = {}


def _cached(key, make) -> str:
    if key not in _IMAGES:
        _IMAGES[key] = make()
    return _IMAGES[key]


class _Precomputed:
    """A 'model' whose forward returns probabilities computed elsewhere (in
    the student's sandbox), so ``reference.plot_decision_boundary`` draws them."""

    def __init__(self, probability: np.ndarray):
        self.probability = np.asarray(probability, dtype=float)

    def forward(self, grid: np.ndarray) -> np.ndarray:
        if grid.shape[1] != self.probability.size:
            raise ValueError(f"grid of {grid.shape[1]} points for {self.probability.size} probabilities")
        return self.probability.reshape(1, -1)


def boundary_figure(data: dict, title: str):
    from reference.plotting import plot_decision_boundary
    from .curves import RESOLUTION

    probability = np.clip(np.nan_to_num(np.asarray(data["probability"], float), nan=0.5), 0.0, 1.0)
    figure = plot_decision_boundary(_Precomputed(probability), np.asarray(data["points"], float),
                                    np.asarray(data["labels"]), np.asarray(data["mean"], float),
                                    np.asarray(data["std"], float), title=title, resolution=RESOLUTION)
    figure.set_size_inches(6.5, 5.2)
    return figure


def loss_figure(student: dict, reference: dict, title: str):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.5), layout="constrained")
    axes = figure.subplots()
    labels = list(dict.fromkeys([*reference, *student]))
    positive = True
    for index, label in enumerate(labels):
        color = f"C{index}"
        suffix = f" ({label})" if len(labels) > 1 else ""
        if label in student:
            values = np.asarray(student[label], dtype=float)
            positive &= bool(np.all(values[np.isfinite(values)] > 0))
            axes.plot(values, color=color, linewidth=2.2, label=f"yours{suffix}")
        if label in reference:
            values = np.asarray(reference[label], dtype=float)
            positive &= bool(np.all(values > 0))
            axes.plot(values, color=color, linewidth=1.4, linestyle="--", label=f"reference{suffix}")
    if positive:
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    return figure


def png_bytes(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def image_tag(figure, alt: str) -> str:
    width, height = (int(round(size * DPI)) for size in figure.get_size_inches())
    data = base64.b64encode(png_bytes(figure)).decode("ascii")
    return (f"<img src=\"data:image/png;base64,{data}\" alt=\"{html.escape(alt)}\" "
            f"width=\"{width}\" height=\"{height}\">")
