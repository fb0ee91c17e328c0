import contextlib
import io

import numpy as np
import pytest

from reference import experiments

from .support import tutorial_source


@pytest.fixture(scope="session")
def moons():
    return experiments.moons_data()


@pytest.fixture(scope="session")
def moons_run(moons):
    return experiments.moons_run(moons)


@pytest.fixture(scope="session")
def tutorial():
    """The tutorial's own code, or a skip where ../shared is absent."""
    if not tutorial_source.available():
        pytest.skip(f"tutorial text not found at {tutorial_source.SEED}")
    return tutorial_source.load()


@pytest.fixture
def quiet():
    """Swallow stdout (the tutorial's class prints a banner)."""
    return lambda: contextlib.redirect_stdout(io.StringIO())


@pytest.fixture
def rng():
    return np.random.RandomState(1234)
