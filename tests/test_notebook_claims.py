"""What the notebooks' text claims, recomputed.

A claim a reader could check by running code (the moons' geometry, a loss
curve's shape, an accuracy) is computed here with ``reference`` and the
notebook's text is required to say what the numbers show, so that the text
cannot drift away from the code.  Where a notebook provides or asks for a
function that ``reference`` also has, the two are required to agree bit for
bit.
"""
from __future__ import annotations

import math
import re

import matplotlib
import numpy as np
import pytest

import reference as R
from reference import experiments

from .stage_notebooks import cells, nbgrader, solution_path, source


def notebook_cells(stage: str) -> list[dict]:
    return cells(solution_path(stage))


def markdown(stage: str) -> str:
    """Every markdown cell of a stage's solutions notebook, one text."""
    return "\n\n".join(source(c) for c in notebook_cells(stage) if c["cell_type"] == "markdown")


def flat(text: str) -> str:
    """Text with every run of white space made one space, so that a phrase
    matches across the notebook's line breaks."""
    return re.sub(r"\s+", " ", text)


def cell(stage: str, key: str) -> dict:
    """A cell by its id or its nbgrader grade_id."""
    found = [c for c in notebook_cells(stage) if c.get("id") == key or nbgrader(c).get("grade_id") == key]
    assert len(found) == 1, f"{stage}: {len(found)} cells called {key!r}"
    return found[0]


def notebook_function(stage: str, key: str, name: str):
    """The function ``name`` defined by cell ``key`` of a stage's solutions
    notebook, run after the notebook's imports cell."""
    matplotlib.use("Agg")
    namespace = {}
    for part in ("provided_imports", key):
        exec(compile(source(cell(stage, part)), f"{stage}:{part}", "exec"), namespace)
    return namespace[name]


# ------------------------------------------------------------ 05: the moons

def test_lower_moon_is_the_upper_one_upside_down_and_moved_half_up():
    X, y = R.make_moons(n_samples=202, noise=0.0, seed=0)   # t = pi / 2 is among the angles
    upper, lower = X[y == 0], X[y == 1]
    # (1 - cos t, 1/2 - sin t) = -(cos t, sin t) + (1, 1/2): centred at (1, 1/2).
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.allclose(np.sort(lower[:, 0]), np.sort(1.0 - upper[:, 0]))
    assert np.allclose(np.sort(lower[:, 1]), np.sort(0.5 - upper[:, 1]))
    assert lower[:, 1].min() == pytest.approx(-0.5) and lower[:, 1].max() == pytest.approx(0.5)
    text = flat(markdown("05_moons"))
    assert "turned upside down and moved 1 to the right and ½ up" in text
    assert "the unit circle around $(1, \\tfrac12)$" in text
    assert "½ down" not in text


# Sizes with an odd count among them: the first class gets n // 2 points.
DATA_SIZES = [(500, 0.2, 42), (7, 0.0, 0), (7, 0.3, 5), (101, 0.2, 42), (64, 0.1, 3), (3, 0.25, 11)]


@pytest.mark.parametrize("copy", [("05_moons", "make_moons"), ("06_extensions", "provided_datasets_and_plotting")],
                         ids=["05 answer", "06 provided"])
@pytest.mark.parametrize("n, noise, seed", DATA_SIZES)
def test_notebook_moons_equal_the_reference_bit_for_bit(copy, n, noise, seed):
    make_moons = notebook_function(*copy, "make_moons")
    X, y = make_moons(n_samples=n, noise=noise, seed=seed)
    X_ref, y_ref = R.make_moons(n, noise, seed)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert np.bincount(y).tolist() == [n // 2, n - n // 2]
    assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)
    assert np.issubdtype(y.dtype, np.integer)


@pytest.mark.parametrize("n, noise, seed", DATA_SIZES)
def test_notebook_circles_equal_the_reference_bit_for_bit(n, noise, seed):
    make_circles = notebook_function("06_extensions", "make_circles", "make_circles")
    for factor in (0.5, 0.3):
        X, y = make_circles(n_samples=n, noise=noise, factor=factor, seed=seed)
        X_ref, y_ref = R.make_circles(n, noise, factor, seed)
        assert X.shape == (n, 2) and np.bincount(y).tolist() == [n // 2, n - n // 2]
        assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)


def test_bit_for_bit_is_claimed_only_with_the_order_of_arithmetic():
    """Stage 5 says a student's 1/2 - sin t matches the course to 1e-6 but
    not bit for bit, because (1 - sin t) - 1/2 rounds differently for some
    angles; both halves of that must stay true."""
    angles = np.linspace(0, np.pi, 250)
    differ = int(np.sum((1 - np.sin(angles)) - 0.5 != 0.5 - np.sin(angles)))
    assert differ == 31
    X, y = R.make_moons(250 * 2, 0.0, 0)
    lower = X[y == 1]
    assert np.array_equal(np.sort(lower[:, 1]), np.sort((1 - np.sin(angles)) - 0.5))
    text = flat(markdown("05_moons"))
    assert text.count("bit for bit") == 1
    assert "Equality *bit for bit* would also need the same order of arithmetic" in text
    assert "$(1 - \\sin t) - \\tfrac12$" in text
