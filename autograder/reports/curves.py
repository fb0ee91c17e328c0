"""The training curves and decision boundary behind the feedback plots, as
plain data: the student's (recorded while their work is graded, by
``CurveRecorder``, the engine's ``StageRecorder``) and the reference's
(``reference.experiments``, the same set-ups).

Per stage, one set-up the student already met in the notebook:

* ``04_mlp_class``: the student's ``MLP([2, 4, 1], tanh/sigmoid, lr 0.5)``
  trained on XOR for 5000 epochs: the losses the instructor's test
  ``test_mlp_train_xor`` got back from that very training (the recorder
  listens to the checks' calls), so the model is not trained again;
* ``05_moons``: the student's ``make_moons``, ``train_test_split`` and
  ``standardize`` feeding the notebook's ``MLP([2, 16, 8, 1])`` for 2000
  epochs: its loss curve and its probability over a grid around the test
  points (the decision boundary);
* ``06_extensions``: the notebook's MLP on the moons with the student's
  ``Momentum``, ``RMSprop`` and ``Adam`` (1000 epochs, lr 0.01).

No check trains the last two, so the recorder adds one feedback cell to
the cells the grading session loads (it only defines
``__mlpkit_curves()``) and calls it once, after the checks, in that same
session: nothing is loaded or run a second time.  A stage where the
student's code timed out is not run again for plots (a hang costs one time
limit, see ``engine.py``).  Whatever fails (a stub, a crash) becomes a
one-line ``problem`` and no plot, never an exception: the grade does not
depend on any of this.

Stage data: ``{"losses": {label: [float]}, "boundary": {...} or None,
"problem": str}``; ``boundary`` holds ``points`` (n, 2) raw test points,
``labels`` (n,), ``mean``/``std`` (2,), ``probability`` (R, R) on
``boundary_grid(points, R)`` and ``accuracy``.  ``pack``/``unpack`` turn
a student's curves into bytes for the gradebook (float32, compressed), so
their pages can be written again without grading.
"""
from __future__ import annotations

import copy
import inspect
import io
import json
import time
from functools import lru_cache

import numpy as np

from reference.plotting import boundary_grid

from ..sandbox import CheckTimeLimit, SessionLost

STAGES_WITH_CURVES = ("04_mlp_class", "05_moons", "06_extensions")
RESOLUTION = 100          # grid points per axis of the decision-boundary plots
OPTIMIZERS_SHOWN = ("Momentum", "RMSprop", "Adam")

# The feedback cells, loaded in the student's grading session after their
# notebook's cells and called once after the checks.  Each defines
# __mlpkit_curves() returning plain data.
# The reference's grid function itself, so the student's boundary is drawn
# on exactly the reference's grid (the sandbox cannot import the kit).
_GRID = inspect.getsource(boundary_grid).replace("def boundary_grid(", "def __mlpkit_grid(", 1)

FEEDBACK_CELLS = {
    "05_moons": '''
import numpy as np
''' + _GRID + '''
def __mlpkit_moons():
    X, y = make_moons(n_samples=500, noise=0.2, seed=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=42)
    X_train_s, X_test_s, mean, std = standardize(X_train, X_test)
    return {"X_train": X_train_s, "y_train": y_train, "X_test": X_test_s, "y_test": y_test, "raw_test": X_test,
            "mean": mean, "std": std}

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

XOR_X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])
XOR_Y = np.array([[0, 1, 1, 0]])
XOR_EPOCHS = 5000
NOT_FINISHED = "not finished yet: a function still raises NotImplementedError"


def _error_problem(error: BaseException) -> str:
    label = getattr(error, "student_type", type(error).__name__)
    if label == "NotImplementedError":
        return NOT_FINISHED
    return f"training did not run: {label}: {str(error).strip()}"[:400]


class CurveRecorder:
    """The engine's ``StageRecorder`` for the feedback plots: after
    ``Grader.grade(..., recorder=this)``, ``curves`` holds the stage data of
    every graded stage that has plots."""

    def __init__(self):
        self.curves: dict[str, dict] = {}

    def cells(self, stage: str) -> list[dict]:
        return [_feedback_cell(stage)] if stage in FEEDBACK_CELLS else []

    def listener(self, stage: str):
        if stage != "04_mlp_class":
            return None
        self.curves[stage] = empty("your MLP was not trained on XOR while it was graded (an earlier step failed)")

        def heard(label, args, kwargs, result, error):
            if label != "MLP.train" or not _is_xor_training(args, kwargs):
                if error is not None and getattr(error, "student_type", type(error).__name__) == \
                        "NotImplementedError" and not self.curves[stage]["losses"]:
                    self.curves[stage] = empty(NOT_FINISHED)
                return
            if error is not None:
                self.curves[stage] = empty(_error_problem(error))
            elif isinstance(result, (list, tuple, np.ndarray)):
                self.curves[stage] = _plain({"losses": {"XOR": result}})
            else:
                self.curves[stage] = empty(f"train returned {type(result).__name__}, not the list of losses")
        return heard

    def finish(self, stage: str, remote, seconds: float) -> None:
        if stage not in FEEDBACK_CELLS:
            return
        saved = remote.call_seconds
        remote.call_seconds = max(seconds, 0.001)
        remote.begin_check(time.monotonic() + seconds, "the time limit of the plots' training was reached")
        try:
            if stage == "05_moons" and _reference_moons(remote.function("__mlpkit_moons")()):
                # The notebook's network trained on the reference's very numbers is the reference's run
                # (tests/test_provided_copies.py: stage 5's MLP trains as the reference): not run again.
                self.curves[stage] = copy.deepcopy(reference_curves(stage))
                return
            self.curves[stage] = _plain(remote.function("__mlpkit_curves")())
        except SessionLost as lost:
            self.curves[stage] = empty(f"your code's process stopped while training: {lost.reason}")
        except CheckTimeLimit as limit:
            self.curves[stage] = empty(f"training did not finish: {limit}")
        except Exception as error:  # noqa: BLE001 - the student's error, re-raised here
            self.curves[stage] = empty(_error_problem(error))
        finally:
            remote.end_check()
            remote.call_seconds = saved

    def skip(self, stage: str, why: str) -> None:
        if stage in STAGES_WITH_CURVES:
            self.curves[stage] = empty(why)


def _reference_moons(data) -> bool:
    """Whether the student's moons data (``__mlpkit_moons``) are exactly the
    reference's: the same arrays, value for value."""
    from reference import experiments

    if type(data) is not dict:
        return False
    expected = experiments.moons_data()
    wanted = {"X_train": expected.X_train.T, "y_train": expected.y_train[0], "X_test": expected.X_test.T,
              "y_test": expected.y_test[0], "raw_test": expected.raw_test, "mean": expected.mean,
              "std": expected.std}
    return all(type(data.get(name)) is np.ndarray and np.array_equal(data[name], value)
               for name, value in wanted.items())


def _is_xor_training(args: tuple, kwargs: dict) -> bool:
    """Whether a call of ``MLP.train`` is the notebook's XOR set-up."""
    named = dict(zip(("X", "Y", "epochs"), args))
    named.update(kwargs)
    try:
        return (int(named.get("epochs", -1)) == XOR_EPOCHS
                and np.array_equal(np.asarray(named.get("X")), XOR_X)
                and np.array_equal(np.asarray(named.get("Y")), XOR_Y))
    except (TypeError, ValueError):
        return False


def pack(curves: dict) -> bytes:
    """A student's curves ({stage: stage data}) as compressed bytes: arrays
    in float32 (what a plot needs), the rest as JSON."""
    arrays, plain = {}, {}
    for stage, data in curves.items():
        losses = {}
        for label, values in (data.get("losses") or {}).items():
            key = f"{len(arrays)}"
            arrays[key] = np.asarray(values, dtype=np.float32)
            losses[label] = key
        boundary = None
        if data.get("boundary"):
            boundary = {}
            for name, value in data["boundary"].items():
                if name == "accuracy":
                    boundary[name] = float(value)
                else:
                    key = f"{len(arrays)}"
                    arrays[key] = np.asarray(value, dtype=np.int32 if name == "labels" else np.float32)
                    boundary[name] = key
        plain[stage] = {"losses": losses, "boundary": boundary, "problem": data.get("problem", "")}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, __plain__=np.frombuffer(json.dumps(plain).encode(), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def unpack(data: bytes) -> dict:
    """The curves ``pack`` gave bytes of."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        plain = json.loads(arrays["__plain__"].tobytes().decode())
        curves = {}
        for stage, item in plain.items():
            boundary = None
            if item["boundary"]:
                boundary = {name: value if name == "accuracy" else
                            (arrays[value].astype(int) if name == "labels" else arrays[value].astype(float))
                            for name, value in item["boundary"].items()}
            curves[stage] = {"losses": {label: arrays[key].astype(float).tolist()
                                        for label, key in item["losses"].items()},
                             "boundary": boundary, "problem": item["problem"]}
    return curves


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
