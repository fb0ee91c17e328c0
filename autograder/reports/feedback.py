"""Feedback pages a student wants to read: one self-contained HTML file per
student and stage, plus an index.

A page lists every check of the stage with its points and its teaching
message and, for the stages that train a network, shows the student's loss
curve (and, for the moons, decision boundary) beside the reference's.
Plots are PNGs embedded as ``data:`` URIs (``charts.py``), each with a text
alternative that says what it shows; the page has no script and loads
nothing, so it can be mailed, uploaded to an LMS or opened offline.  The
scaffolding (language, landmarks, the link back to the index, colours and
focus) is ``page.py``'s, built to WCAG 2.1 AA.

Input is plain data: the student's ``GradeReport`` and the curves of
``curves.py``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..files import write_atomic
from ..outcomes import CheckResult, GradeReport, StageResult, StageStatus
from . import charts
from .page import document, esc, figure_block, table, verdict
from .text import align_arrays, points as _points
from .visibility import HiddenDetails, shown, withheld, withheld_note

INDEX = "index.html"

# What the banner of a stage whose notebook could not be graded says (the
# reason a check did not run is then the same for every check: said once).
NOT_GRADED = {
    StageStatus.MISSING: "No {stage}.ipynb was found in your submission, so none of this stage's checks "
                         "could run: each scores 0.",
    StageStatus.INVALID: "Your {stage}.ipynb could not be read ({problem}), so none of this stage's checks "
                         "could run: each scores 0.",
}
NOT_RUN = "Not run: see the note at the top of the page."

EXTRA_STYLE = """
table.checks { table-layout: fixed; }
table.checks col.name { width: 26%; } table.checks col.points { width: 8rem; }
table.checks col.result { width: 7rem; }
"""


# ------------------------------------------------------------------ files

def write_student(folder: Path, student: str, report: GradeReport, curves: dict, stages,
                  hidden: HiddenDetails | str = HiddenDetails.FULL) -> list[Path]:
    """Write ``folder/feedback/<stage>.html`` for every stage and
    ``folder/feedback/index.html``; returns the paths written.  ``hidden``
    says what the pages show of the hidden checks (``visibility.py``)."""
    written = []
    for name, text in render_student(student, report, curves, stages, hidden).items():
        path = Path(folder) / name
        write_atomic(path, text)
        written.append(path)
    return written


def render_student(student: str, report: GradeReport, curves: dict, stages,
                   hidden: HiddenDetails | str = HiddenDetails.FULL) -> dict[str, str]:
    """The pages ``write_student`` writes, as {path under the student's
    folder: HTML}: ``feedback/<stage>.html`` per stage, then
    ``feedback/index.html``."""
    pages, whole, report = {}, report, shown(report, hidden)
    for stage in stages:
        note = withheld(whole.stage(stage) or StageResult(stage), hidden)
        pages[f"feedback/{stage}.html"] = stage_page(
            student, stage, report.stage(stage) or StageResult(stage), curves.get(stage), _reference(stage),
            withheld_note(note) if note else "")
    pages[f"feedback/{INDEX}"] = index_page(student, report, stages)
    return pages


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


def short_name(check: CheckResult) -> str:
    """The check's name without its stage."""
    prefix = check.stage + " "
    return check.name[len(prefix):] if check.name.startswith(prefix) else check.name


def not_graded_banner(result: StageResult) -> str:
    """The one sentence that replaces a reason repeated on every check, or ""."""
    template = NOT_GRADED.get(result.status)
    if template is None:
        return ""
    return template.format(stage=result.stage, problem=result.problems[0] if result.problems else "unknown reason")


def check_text(check: CheckResult, graded: bool) -> str:
    """What a check's row says: what was checked and, if it failed, why and
    what to fix (multi-row arrays kept aligned)."""
    if not graded:
        return NOT_RUN
    described = check.description if check.description not in ("", short_name(check), check.name) else ""
    if check.passed:
        return described or "Passed."
    message = align_arrays(check.message.strip())
    return f"{message}\n\nChecked: {described}" if described else message


def stage_page(student: str, stage: str, result: StageResult, curves: dict | None, reference: dict | None,
               withheld: str = "") -> str:
    """The HTML page of one student's stage; ``withheld`` is the line saying
    that hidden checks are left out until grades are published."""
    graded = result.status is StageStatus.GRADED
    passed = sum(check.passed for check in result.checks)
    parts = [f"<h1>{esc(stage_title(stage))}</h1>",
             f"<p class=\"lead\">Feedback for <strong class=\"student\">{esc(student)}</strong>: "
             f"<strong id=\"stage-score\">{_points(result.score)} / {_points(result.max_score)}</strong> points, "
             f"{passed} of {len(result.checks)} checks passed.</p>"]
    banner = not_graded_banner(result)
    if banner:
        parts.append(f"<p class=\"banner\" id=\"not-graded\"><strong>Not graded.</strong> {esc(banner)}</p>")
    if withheld:
        parts.append(f"<p class=\"note\" id=\"withheld\">{esc(withheld)}</p>")
    if result.awaiting_manual:
        parts.append("<p class=\"note\" id=\"awaiting\">Your written answers are not graded yet: the points "
                     "above will grow once your instructor has read them.</p>")
    notes = result.problems if graded else result.problems[1:]
    if notes:
        parts.append("<section id=\"notes\" aria-labelledby=\"notes-title\">\n"
                     "<h2 id=\"notes-title\">Notes about your notebook</h2>\n"
                     + "\n".join(f"<p class=\"note\">{esc(note)}</p>" for note in notes) + "\n</section>")
    rows, attributes = [], []
    for number, check in enumerate(result.checks, start=1):
        kind = "written answer" if check.manual else f"{check.visibility} check"
        rows.append([f"{esc(short_name(check))}<br><span class=\"kind\">{esc(kind)}</span>",
                     f"{_points(check.points)} / {_points(check.max_points)}",
                     verdict(check.passed, pending=check.pending),
                     f"<pre>{esc(check_text(check, graded))}</pre>"])
        state = "awaiting" if check.pending else "passed" if check.passed else "failed"
        attributes.append(f"class=\"check {state}\" id=\"check-{number}\" "
                          f"data-check=\"{esc(check.name)}\" data-points=\"{_points(check.points)}\" "
                          f"data-max-points=\"{_points(check.max_points)}\"")
    checks = table(f"The {len(result.checks)} checks of {stage_title(stage).lower()}, with your points",
                   ["Check", "Points", "Result", "What was checked, and what to fix"], rows, numeric=[1],
                   attributes="class=\"checks\"", row_attributes=attributes)
    checks = checks.replace("<caption>", "<colgroup><col class=\"name\"><col class=\"points\"><col class=\"result\">"
                                         "<col></colgroup>\n<caption>", 1)
    parts.append(f"<section id=\"checks\" aria-labelledby=\"checks-title\">\n<h2 id=\"checks-title\">Checks</h2>\n"
                 f"{checks}\n</section>")
    plots = plot_section(stage, curves, reference)
    if plots:
        parts.append(plots)
    return document(f"{stage_title(stage)} - feedback for {student}", "\n".join(parts),
                    nav=[(INDEX, f"All stages for {student} (index)")], extra_style=EXTRA_STYLE)


def index_page(student: str, report: GradeReport, stages) -> str:
    rows, total, total_max = [], 0.0, 0.0
    for stage in stages:
        result = report.stage(stage) or StageResult(stage)
        total, total_max = total + result.score, total_max + result.max_score
        status = "handed in" if result.status is StageStatus.GRADED else f"not graded ({result.status.value})"
        rows.append([f"<a href=\"{esc(stage)}.html\">{esc(stage_title(stage))}</a>",
                     f"{_points(result.score)} / {_points(result.max_score)}",
                     f"{sum(check.passed for check in result.checks)} of {len(result.checks)}",
                     esc(status)])
    body = (f"<h1>Feedback for {esc(student)}</h1>\n<p class=\"lead\">Total: <strong id=\"total\">"
            f"{_points(total)} / {_points(total_max)}</strong> points.</p>\n"
            + table("Your points per stage; each stage's page lists its checks",
                    ["Stage", "Points", "Checks passed", "Notebook"], rows, numeric=[1, 2],
                    attributes="class=\"stages\""))
    return document(f"Feedback for {student}", body)


# ------------------------------------------------------------------ plots

PLOT_INTRO = {
    "04_mlp_class": "Your <code>MLP</code> trained on XOR (2-4-1, tanh/sigmoid, learning rate 0.5, 5000 epochs), "
                    "beside the reference's. A correct class gives the same curve, point for point.",
    "05_moons": "Your data functions feeding the notebook's network (2-16-8-1, learning rate 0.1, 2000 epochs): "
                "the decision boundary on the test points and the training loss, beside the reference's.",
    "06_extensions": "The notebook's network on the moons (learning rate 0.01, 1000 epochs) with your "
                     "optimisers (solid lines) and the reference's (dashed lines).",
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
        with charts.style():
            if stage == "05_moons":
                for whose, data in (("Your", curves.get("boundary")), ("The reference's", reference.get("boundary"))):
                    if data is None:
                        continue
                    title = f"{whose} decision boundary"
                    alt = describe_boundary(whose, data)
                    make = lambda data=data, title=title, alt=alt: charts.image(boundary_figure(data, title), alt)
                    image = _cached(("boundary", _digest(data), title, alt), make)
                    figures.append((image, title + _accuracy(data), "boundary"))
            if curves.get("losses") or reference.get("losses"):
                mine, theirs = curves.get("losses", {}), reference.get("losses", {})
                title = "Training loss: yours and the reference's"
                alt = describe_losses(mine, theirs)
                make = lambda: charts.image(loss_figure(mine, theirs, title), alt)
                image = _cached(("loss", _digest(mine), _digest(theirs), title, alt), make)
                figures.append((image, title + coincidence(mine, theirs), "loss"))
    except Exception as error:  # noqa: BLE001 - a page without a plot rather than no page
        notes.append(f"A plot could not be drawn ({type(error).__name__}: {error}).")
    blocks = [figure_block(image, caption, kind) for image, caption, kind in figures]
    return ("<section id=\"plots\" aria-labelledby=\"plots-title\">\n"
            "<h2 id=\"plots-title\">Your model beside the reference</h2>\n"
            f"<p>{PLOT_INTRO.get(stage, '')}</p>\n"
            + "".join(f"<p class=\"note\">{esc(note)}</p>\n" for note in notes)
            + "<div class=\"plots\">\n" + "\n".join(blocks) + "\n</div>\n</section>")


def _accuracy(data: dict) -> str:
    accuracy = data.get("accuracy")
    return f" (test accuracy {accuracy:.0%})" if accuracy is not None and accuracy == accuracy else ""


def _same(a, b) -> bool:
    return len(a) == len(b) and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def coincidence(student: dict, reference: dict) -> str:
    """A caption's ending saying which of the student's curves lie on the
    reference's (then the dashed line hides under the solid one)."""
    same = [label for label in student if label in reference and _same(student[label], reference[label])]
    if not same:
        return ""
    if len(same) == len(reference) == 1:
        return ". Your curve lies on the reference's: same numbers, epoch after epoch."
    return f". Yours lie on the reference's for {', '.join(same)}."


def _course(values) -> str:
    """How one loss curve goes, in words: "falls from 0.693 to 0.0012 in 5000 epochs"."""
    values = np.asarray(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        return (f"starts at {charts.number(values[0])} and becomes {charts.number(values[bad[0]])} at epoch "
                f"{bad[0]}" if bad[0] else f"is {charts.number(values[0])} from the first epoch")
    first, last = values[0], values[-1]
    verb = "falls" if last < first else "rises" if last > first else "stays"
    return f"{verb} from {charts.number(first)} to {charts.number(last)} in {values.size} epochs"


def describe_losses(student: dict, reference: dict) -> str:
    """The text alternative of a loss plot: what each curve does."""
    sentences = []
    for label in dict.fromkeys([*reference, *student]):
        name = f"{label}: " if len(set(student) | set(reference)) > 1 else ""
        if label in student and label in reference:
            if _same(student[label], reference[label]):
                sentences.append(f"{name}your loss {_course(student[label])} and lies on the reference's.")
            else:
                sentences.append(f"{name}your loss {_course(student[label])}; the reference's "
                                 f"{_course(reference[label])}.")
        elif label in student:
            sentences.append(f"{name}your loss {_course(student[label])} (no reference curve).")
        else:
            sentences.append(f"{name}the reference's loss {_course(reference[label])}; yours was not computed.")
    return "Line chart of the training loss per epoch. " + " ".join(s[0].upper() + s[1:] for s in sentences)


def describe_boundary(whose: str, data: dict) -> str:
    """The text alternative of a decision-boundary plot."""
    labels = np.asarray(data["labels"])
    probability = np.nan_to_num(np.asarray(data["probability"], float), nan=0.5)
    accuracy = data.get("accuracy")
    scored = (f" {'it' if whose == 'Your' else 'the reference'} labels {accuracy:.0%} of them correctly."
              if accuracy is not None and accuracy == accuracy else "")
    return (f"{whose} model's predicted probability of class 1 over the plane, with the {labels.size} test "
            f"points ({int(np.sum(labels == 0))} of class 0 as white circles, {int(np.sum(labels == 1))} of "
            f"class 1 as black triangles):{scored} The dashed line, where the probability is 0.5, "
            f"separates the {np.mean(probability >= 0.5):.0%} of the plane predicted as class 1 from the rest.")


_IMAGES: dict = {}
IMAGES_KEPT = 64


def _cached(key, make) -> str:
    """A plot drawn once per process for the same data: the reference's,
    and the many students whose curves are the same numbers (drawing is
    most of a feedback page's cost).  Keeps the last ``IMAGES_KEPT``."""
    if key in _IMAGES:
        _IMAGES[key] = _IMAGES.pop(key)   # most recently used last
    else:
        _IMAGES[key] = make()
        while len(_IMAGES) > IMAGES_KEPT:
            del _IMAGES[next(iter(_IMAGES))]
    return _IMAGES[key]


def _digest(data) -> str:
    """A digest of plain data holding arrays (what a plot is drawn from)."""
    sha = hashlib.sha256()

    def feed(value):
        if isinstance(value, dict):
            for key in sorted(value):
                sha.update(str(key).encode() + b"\0")
                feed(value[key])
        elif isinstance(value, (list, tuple, np.ndarray)):
            array = np.asarray(value)
            sha.update(f"{array.dtype}{array.shape}".encode())
            sha.update(np.ascontiguousarray(array).tobytes())
        else:
            sha.update(repr(value).encode())
    feed(data)
    return sha.hexdigest()


def boundary_figure(data: dict, title: str):
    """The predicted probability over the reference's grid, its 0.5 contour
    and the test points, classes told apart by marker as well as colour.

    data: ``points`` (n, 2) raw, ``labels`` (n,), ``probability`` (R, R) on
    ``reference.plotting.boundary_grid(points, R)``."""
    from reference.plotting import boundary_grid

    points = np.asarray(data["points"], float)
    labels = np.asarray(data["labels"]).astype(int)
    probability = np.clip(np.nan_to_num(np.asarray(data["probability"], float), nan=0.5), 0.0, 1.0)
    xx, yy = boundary_grid(points, probability.shape[0])
    figure, axes = charts.figure(5.5, 4.4)
    filled = axes.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.75)
    figure.colorbar(filled, ax=axes, label="P(class 1)")
    axes.contour(xx, yy, probability, levels=[0.5], colors="black", linewidths=2, linestyles="--")
    for label, marker, face in ((0, "o", "white"), (1, "^", "black")):
        chosen = labels == label
        axes.scatter(points[chosen, 0], points[chosen, 1], marker=marker, facecolor=face, edgecolor="black",
                     s=36, linewidths=1, label=f"class {label}")
    axes.grid(False)
    axes.legend(loc="upper right", framealpha=0.9)
    axes.set_xlabel("feature 1")
    axes.set_ylabel("feature 2")
    axes.set_title(title)
    return figure


def loss_figure(student: dict, reference: dict, title: str):
    """The student's loss curves (solid) over the reference's (dashed), one
    colour and marker per label."""
    figure, axes = charts.figure(7.5, 4.2)
    labels = list(dict.fromkeys([*reference, *student]))
    positive = True
    for index, label in enumerate(labels):
        color, marker = charts.PALETTE[index % len(charts.PALETTE)], charts.MARKERS[index % len(charts.MARKERS)]
        suffix = f" ({label})" if len(labels) > 1 else ""
        for whose, curves, style, width in (("yours", student, "-", 2.4), ("reference", reference, "--", 1.6)):
            if label not in curves:
                continue
            values = np.asarray(curves[label], dtype=float)
            positive &= bool(np.all(values[np.isfinite(values)] > 0))
            axes.plot(values, color=color, linestyle=style, linewidth=width, marker=marker,
                      markevery=max(1, values.size // 8), markersize=6 if whose == "yours" else 4,
                      label=f"{whose}{suffix}")
    if positive:
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss" + (" (log scale)" if positive else ""))
    axes.set_title(title)
    axes.legend()
    return figure
