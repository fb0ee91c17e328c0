"""Checks of stage 02: one layer with every activation, whole networks with
a different activation per layer, parameter counts.

``forward`` is meant to call the student's ``layer_forward``: when that is
wrong, a forward that chains it correctly passes its own checks (the
defect costs points in layer_forward's checks only)."""
from __future__ import annotations

import reference as ref
from .base import hidden
from .expect import expect_array, expect_int, expect_keys, expect_tuple, expect_unchanged
from ..plaindata import close, copy_tree
from .inputs import HIDDEN, describe_network, network

STAGE = "02_forward_pass"
CHECKS = []

PUBLIC = {
    "test_layer_forward_hand_calc": "layer_forward",
    "test_layer_forward_batch": "layer_forward",
    "test_forward_hand_calc": "forward",
    "test_forward_practice_problem": "forward",
    "test_forward_cache_and_batch": "forward",
    "test_count_parameters": "count_parameters",
}


@hidden(STAGE, CHECKS, "layer_forward on random layers", 2,
        "layer_forward with each activation on random shapes: (z, a) of floats, right values, inputs unchanged",
        "layer_forward")
def layer_forward_random(student, rng):
    for activation in HIDDEN:
        n_prev, n, m = (int(v) for v in rng.integers(1, 7, size=3))
        a_prev, W, b = rng.normal(0, 1.5, (n_prev, m)), rng.normal(0, 1, (n, n_prev)), rng.normal(0, 1, (n, 1))
        before = copy_tree((a_prev, W, b))
        label = f"layer_forward(a_prev {a_prev.shape}, W {W.shape}, b {b.shape}, {activation!r})"
        got = expect_tuple(label, student.layer_forward(a_prev, W, b, activation), 2, "arrays (z, a)")
        z, a = ref.layer_forward(*before, activation)
        expect_array(f"z of {label}", got[0], z, hint="z = W @ a_prev + b, before the activation.")
        expect_array(f"a of {label}", got[1], a, hint=f"a = {activation}(z).")
        expect_unchanged(label, before, (a_prev, W, b))


def chained(student, x, params, activations):
    """What forward gives when it chains the student's own layer_forward,
    (a_L, cache), or None when that cannot be computed."""
    cache, a = {"A0": x}, x
    for l in range(1, len(activations) + 1):
        result = student.layer_forward(a, params[f"W{l}"], params[f"b{l}"], activations[l - 1])
        if type(result) not in (tuple, list) or len(result) != 2:
            return None
        cache[f"Z{l}"], a = result
        cache[f"A{l}"] = a
    return a, cache


def same_pass(got, expected) -> bool:
    """Whether forward's (a_L, cache) holds the values of ``expected``
    (more cache keys allowed)."""
    a_L, cache = expected
    return (type(got[1]) is dict and close(got[0], a_L) and set(cache) <= set(got[1])
            and all(close(got[1][key], value) for key, value in cache.items()))


@hidden(STAGE, CHECKS, "forward with mixed activations per layer", 2,
        "forward through random networks (1 to 4 layers, a different activation per layer): "
        "output, every cache entry, inputs unchanged", "forward")
def forward_random(student, rng):
    for _ in range(3):
        sizes, activations, params, x, _ = network(rng, output=str(rng.choice(HIDDEN)))
        before = copy_tree((x, params, activations))
        label = f"forward on {describe_network(sizes, activations)}, m = {x.shape[1]}"
        got = expect_tuple(label, student.forward(x, params, activations), 2, "items (a_L, cache)")
        expect_unchanged(label, before, (x, params, activations))
        expected = ref.forward(*copy_tree(before))
        if not same_pass(got, expected):
            try:
                own = chained(student, *copy_tree(before))
            except Exception:  # noqa: BLE001 - their layer_forward fails: it costs points in its own checks
                own = None
            if own is not None and not same_pass(own, expected) and same_pass(got, own):
                continue   # forward chains their layer_forward right; layer_forward's checks say what is wrong
        a_L, cache = expected
        expect_array(f"a_L of {label}", got[0], a_L,
                     hint="layer l uses activations[l - 1] and the previous layer's output.")
        expect_keys(f"the cache of {label}", got[1], cache)
        for key in cache:
            expect_array(f"cache[{key!r}] of {label}", got[1][key], cache[key])


@hidden(STAGE, CHECKS, "count_parameters of random architectures", 1,
        "count_parameters on random layer sizes (2 to 6 layers): an int, the right count", "count_parameters")
def count_random(student, rng):
    for _ in range(4):
        sizes = [int(v) for v in rng.integers(1, 60, size=int(rng.integers(2, 7)))]
        got = student.count_parameters(list(sizes))
        expect_int(f"count_parameters({sizes})", got, ref.count_parameters(sizes))
