"""Load the tutorial's own MLP code from the seed text, for side-by-side
comparison (fidelity tests and the benchmark).  Nothing of it is copied into
the kit: it is read from ``../shared/seed/`` at run time, and callers skip
when that folder is not beside the repository."""
from __future__ import annotations

import types
from pathlib import Path

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "000_ef99768e1d51b355.txt"

# Code regions of the tutorial: (first line, the text that ends the region).
REGIONS = [
    ("class MLP:", 'print("\\n✅ MLP Class defined'),
    ("def make_moons_manual", "# Create a moons dataset"),
]


def available() -> bool:
    return SEED.is_file()


def load() -> types.ModuleType:
    """A module holding the tutorial's ``MLP``, ``make_moons_manual``,
    ``train_test_split_manual`` and ``standardize``."""
    text = SEED.read_text(encoding="utf-8")
    source = "import numpy as np\n"
    for start, end in REGIONS:
        begin = text.index(start)
        source += text[begin:text.index(end, begin)] + "\n"
    module = types.ModuleType("tutorial_code")
    exec(compile(source, str(SEED), "exec"), module.__dict__)
    return module
