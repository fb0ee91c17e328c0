"""The training curves and decision boundary behind the feedback plots, as
plain data: the student's (their code, run in the grading sandbox) and the
reference's (``reference.experiments``, the same set-ups).

Per stage, one set-up the student already met in the notebook:

* ``04_mlp_class``: the student's ``MLP([2, 4, 1], tanh/sigmoid, lr 0.5)``
  trained on XOR for 5000 epochs;
* ``05_moons``: the student's ``make_moons``, ``train_test_split`` and
  ``standardize`` feeding the notebook's ``MLP([2, 16, 8, 1])`` for 2000
  epochs: its loss curve and its probability over a grid around the test
  points (the decision boundary);
* ``06_extensions``: the notebook's MLP on the moons with the student's
  ``Momentum``, ``RMSprop`` and ``Adam`` (1000 epochs, lr 0.01).

The student's side runs exactly as grading does: the instructor's provided
cells and the student's answer cells are loaded into a sandboxed session,
plus one feedback cell defining ``__mlpkit_curves()``, whose single call
returns plain data (arrays, lists, numbers).  Whatever fails (a stub, a
crash, a time-out) becomes a one-line ``problem`` and no plot, never an
exception: the grade does not depend on any of this.

Stage data: ``{"losses": {label: [float]}, "boundary": {...} or None,
"problem": str}``; ``boundary`` holds ``points`` (n, 2) raw test points,
``labels`` (n,), ``mean``/``std`` (2,), ``probability`` (R, R) on
``boundary_grid(points, R)`` and ``accuracy``.
"""
from __future__ import annotations

import inspect
from functools import lru_cache
from pathlib import Path

import numpy as np

from reference.plotting import boundary_grid

from ..course import hidden_paths, instructor_path
from ..notebooks import NotebookProblem, find_submission, plan_cells, read_notebook
from ..sandbox import Limits, Remote, Sandbox, SessionLost

STAGES_WITH_CURVES = ("04_mlp_class", "05_moons", "06_extensions")
RESOLUTION = 100          # grid points per axis of the decision-boundary plots
CALL_SECONDS = 60.0       # the feedback cell's one call (training included)
OPTIMIZERS_SHOWN = ("Momentum", "RMSprop", "Adam")

# The feedback cells, run in the student's sandboxed process after their
# notebook's cells.  Each defines __mlpkit_curves() returning plain data.
# The reference's grid function itself, so the student's boundary is drawn
# on exactly the reference's grid (the sandbox cannot import the kit).
_GRID = inspect.getsource(boundary_grid).replace("def boundary_grid(", "def __mlpkit_grid(", 1)

FEEDBACK_CELLS = {
    "04_mlp_class": '''
import numpy as np

def __mlpkit_curves():
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])
    Y = np.array([[0, 1, 1, 0]])
    model = MLP([2, 4, 1], ["tanh", "sigmoid"], learning_rate=0.5, seed=42)
    losses = model.train(X, Y, epochs=5000, print_every=1000, verbose=False)
    return {"losses": {"XOR": [float(value) for value in losses]}}
''',
    "05_moons": '''
import numpy as np
''' + _GRID + '''
def __mlpkit_curves():
    X, y = make_moons(n_samples=500, noise=0.2, seed=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=42)
    X_train_s, X_test_s, mean, std = standardize(X_train, X_test)
    model = MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], learning_rate=0.1, seed=42)
    losses = model.train(np.asarray(X_train_s).T, np.asarray(y_train).reshape(1, -1), epochs=2000,
                         print_every=200, verbose=False)
    points = np.asarray(X_test, dtype=float)
    xx, yy = __mlpkit_grid(points, RESOLUTION)
    grid = (np.column_stack([xx.ravel(), yy.ravel()]) - mean) / std
    probability = np.asarray(model.forward(grid.T), dtype=float)[0].reshape(xx.shape)
    accuracy = float(model.evaluate(np.asarray(X_test_s).T, np.asarray(y_test).reshape(1, -1)))
    return {"losses": {"moons": [float(value) for value in losses]},
            "boundary": {"points": points, "labels": np.asarray(y_test).astype(int), "mean": np.asarray(mean, float),
                         "std": np.asarray(std, float), "probability": probability, "accuracy": accuracy}}
''',
    "06_extensions": '''
import numpy as np

def __mlpkit_curves():
    X, y = make_moons(n_samples=500, noise=0.2, seed=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=42)
    X_train_s, X_test_s, mean, std = standardize(X_train, X_test)
    losses, problems = {}, []
    for name in OPTIMIZERS_SHOWN:
        try:
            model = MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=0.01, seed=42,
                        optimizer=globals()[name]())
            curve = model.train(X_train_s.T, y_train.reshape(1, -1), epochs=1000, print_every=1000, verbose=False)
            losses[name] = [float(value) for value in curve]
        except NotImplementedError:
            problems.append(f"{name} is not finished yet (it raises NotImplementedError)")
        except Exception as error:
            problems.append(f"{name}: {type(error).__name__}: {error}"[:300])
    return {"losses": losses, "problem": "; ".join(problems)}
''',
}


def _feedback_cell(stage: str) -> dict:
    constants = f"RESOLUTION = {RESOLUTION}\nOPTIMIZERS_SHOWN = {OPTIMIZERS_SHOWN!r}\n"
    return {"id": "__mlpkit_feedback", "source": constants + FEEDBACK_CELLS[stage]}


def empty(problem: str = "") -> dict:
    return {"losses": {}, "boundary": None, "problem": problem}


# ------------------------------------------------------------------ students

def student_curves(folder: Path, stages, source: Path, sandbox: Sandbox | None = None) -> dict:
    """{stage: stage data} for the stages of ``stages`` that have plots, with
    the instructor notebooks of ``source``.

    sandbox: an engine ``Sandbox`` to run in (a batch worker passes its
    Grader's, so no sandbox is started per student); default: a new one."""
    wanted = [stage for stage in stages if stage in STAGES_WITH_CURVES]
    curves, plans = {}, {}
    folder, source = Path(folder), Path(source)
    for stage in wanted:
        notebook = find_submission(folder, stage)
        if notebook is None:
            curves[stage] = empty(f"no {stage}.ipynb in the submission")
            continue
        try:
            cells, _ = plan_cells(read_notebook(instructor_path(source, stage)), read_notebook(notebook))
        except NotebookProblem as problem:
            curves[stage] = empty(str(problem))
            continue
        plans[stage] = cells + [_feedback_cell(stage)]
    if not plans:
        return curves
    hide = [(folder if folder.is_dir() else folder.parent).resolve()]
    if sandbox is not None:
        for stage, cells in plans.items():
            curves[stage] = _run_feedback_cell(sandbox, stage, cells, hide)
    else:
        with Sandbox(Limits(), hide=hidden_paths(source)) as own:
            for stage, cells in plans.items():
                curves[stage] = _run_feedback_cell(own, stage, cells, hide)
    return curves


def _run_feedback_cell(sandbox, stage: str, cells: list, hide: list) -> dict:
    remote = Remote(CALL_SECONDS)
    try:
        session = sandbox.session(f"feedback-{stage}", hide=hide)
    except Exception as error:  # noqa: BLE001 - SandboxError and friends: no plot, never no page
        return empty(f"the sandbox did not start for the plots ({type(error).__name__}: {error})"[:400])
    try:
        remote.attach(session)
        remote.load(cells, CALL_SECONDS)
        data = remote.function("__mlpkit_curves")()
        return _plain(data)
    except SessionLost as lost:
        return empty(f"your code's process stopped while training: {lost.reason}")
    except Exception as error:  # noqa: BLE001 - the student's error, re-raised here
        label = getattr(error, "student_type", type(error).__name__)
        text = str(error).strip()
        if label == "NotImplementedError":
            return empty("not finished yet: a function still raises NotImplementedError")
        return empty(f"training did not run: {label}: {text}"[:400])
    finally:
        session.close()


def _plain(data) -> dict:
    """Check the shape of what came back: anything unexpected is dropped."""
    if type(data) is not dict:
        return empty("the feedback run returned no data")
    losses = {}
    raw = data.get("losses")
    if type(raw) is dict:
        for label, values in raw.items():
            try:
                array = np.asarray(values, dtype=float).ravel()
            except (TypeError, ValueError):
                continue
            if array.size:
                losses[str(label)] = array.tolist()
    boundary = data.get("boundary")
    if type(boundary) is dict:
        try:
            boundary = {"points": np.asarray(boundary["points"], float).reshape(-1, 2),
                        "labels": np.asarray(boundary["labels"]).astype(int).ravel(),
                        "mean": np.asarray(boundary["mean"], float).reshape(2),
                        "std": np.asarray(boundary["std"], float).reshape(2),
                        "probability": np.asarray(boundary["probability"], float).reshape(RESOLUTION, RESOLUTION),
                        "accuracy": float(boundary.get("accuracy", float("nan")))}
        except (KeyError, TypeError, ValueError):
            boundary = None
    else:
        boundary = None
    problem = data.get("problem")
    return {"losses": losses, "boundary": boundary, "problem": problem if type(problem) is str else ""}


# ----------------------------------------------------------------- reference

@lru_cache(maxsize=None)
def reference_curves(stage: str) -> dict:
    """The reference's data for ``stage`` (computed once per process), or {}."""
    from reference import experiments
    from reference.mlp import MLP

    if stage == "04_mlp_class":
        return {"losses": {"XOR": [float(v) for v in experiments.xor_run().losses]}, "boundary": None, "problem": ""}
    if stage == "05_moons":
        data = experiments.moons_data()
        moons = experiments.moons_run(data)
        xx, yy = boundary_grid(data.raw_test, RESOLUTION)
        grid = (np.column_stack([xx.ravel(), yy.ravel()]) - data.mean) / data.std
        probability = moons.model.forward(grid.T)[0].reshape(xx.shape)
        return {"losses": {"moons": [float(v) for v in moons.losses]}, "problem": "",
                "boundary": {"points": data.raw_test, "labels": data.y_test[0].astype(int), "mean": data.mean,
                             "std": data.std, "probability": probability, "accuracy": moons.test_accuracy}}
    if stage == "06_extensions":
        data = experiments.moons_data()
        losses = {}
        for name in OPTIMIZERS_SHOWN:
            model = MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=0.01, seed=42,
                        optimizer=name.lower())
            losses[name] = [float(v) for v in model.train(data.X_train, data.y_train, epochs=1000, verbose=False)]
        return {"losses": losses, "boundary": None, "problem": ""}
    return {}
