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
    notebook (run with NumPy as ``np``, the notebooks' only import it needs)."""
    namespace = {"np": np}
    exec(compile(source(cell(stage, key)), f"{stage}:{key}", "exec"), namespace)
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
