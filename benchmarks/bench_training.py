"""Training speed: the reference against the tutorial's own code, one run.

Trains the moons model ([2, 16, 8, 1], relu/relu/sigmoid, lr 0.1, 2000
epochs) with both implementations, alternating them so that load on the
shared machine hits both alike, and prints the median time of each and
their ratio (reference / tutorial; <= 1.0 means the reference is no slower).
The tutorial's code is read from ../shared/seed/ at run time.

    python benchmarks/bench_training.py [--repeats 7] [--epochs 2000]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import MLP  # noqa: E402
from reference.experiments import moons_data  # noqa: E402
from tests.support import tutorial_source  # noqa: E402

SIZES, ACTIVATIONS = [2, 16, 8, 1], ["relu", "relu", "sigmoid"]


def time_training(cls, data, epochs) -> tuple[float, list]:
    with contextlib.redirect_stdout(io.StringIO()):
        model = cls(SIZES, ACTIVATIONS, learning_rate=0.1, seed=42)
        start = time.perf_counter()
        losses = model.train(data.X_train, data.y_train, epochs=epochs, print_every=epochs, verbose=False)
        elapsed = time.perf_counter() - start
    return elapsed, [float(v) for v in losses]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=2000)
    args = parser.parse_args(argv)
    if not tutorial_source.available():
        print(f"bench_training: the tutorial text is not at {tutorial_source.SEED}", file=sys.stderr)
        return 2
    tutorial = tutorial_source.load()
    data = moons_data()
    contenders = {"reference": MLP, "tutorial": tutorial.MLP}
    times = {name: [] for name in contenders}
    results = {}
    time_training(MLP, data, 50)  # warm up NumPy and the caches
    for _ in range(args.repeats):
        for name, cls in contenders.items():
            elapsed, results[name] = time_training(cls, data, args.epochs)
            times[name].append(elapsed)
    same = results["reference"] == results["tutorial"]
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"moons [2, 16, 8, 1], {args.epochs} epochs, median of {args.repeats} alternating runs")
    for name in contenders:
        print(f"  {name:<10} {median[name] * 1000:8.1f} ms")
    print(f"  identical losses: {same}")
    print(f"ratio reference/tutorial: {median['reference'] / median['tutorial']:.3f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
