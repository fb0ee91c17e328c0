"""Hidden checks of stage 02: one layer with every activation, whole
networks with a different activation per layer, parameter counts."""
from __future__ import annotations

import reference as ref
from .base import CheckFailed, hidden
from .expect import expect_array, expect_int, expect_keys, expect_unchanged
from ..plaindata import copy_tree
from .inputs import HIDDEN, describe_network, network

STAGE = "02_forward_pass"
CHECKS = []


def expect_pair(label, got):
    if type(got) is not tuple or len(got) != 2:
        raise CheckFailed(f"{label} should return the tuple (z, a); it returned {type(got).__name__}"
                          + (f" of length {len(got)}" if type(got) in (tuple, list) else "") + ".")


@hidden(STAGE, CHECKS, "layer_forward on random layers", 2,
        "layer_forward with each activation on random shapes: (z, a) of floats, right values, inputs unchanged")
def layer_forward_random(student, rng):
    for activation in HIDDEN:
        n_prev, n, m = (int(v) for v in rng.integers(1, 7, size=3))
        a_prev, W, b = rng.normal(0, 1.5, (n_prev, m)), rng.normal(0, 1, (n, n_prev)), rng.normal(0, 1, (n, 1))
        before = copy_tree((a_prev, W, b))
        label = f"layer_forward(a_prev {a_prev.shape}, W {W.shape}, b {b.shape}, {activation!r})"
        got = student.layer_forward(a_prev, W, b, activation)
        expect_pair(label, got)
        z, a = ref.layer_forward(*before, activation)
        expect_array(f"z of {label}", got[0], z, hint="z = W @ a_prev + b, before the activation.")
        expect_array(f"a of {label}", got[1], a, hint=f"a = {activation}(z).")
        expect_unchanged(label, before, (a_prev, W, b))


@hidden(STAGE, CHECKS, "forward with mixed activations per layer", 2,
        "forward through random networks (1 to 4 layers, a different activation per layer): "
        "output, every cache entry, inputs unchanged")
def forward_random(student, rng):
    for _ in range(3):
        sizes, activations, params, x, _ = network(rng, output=str(rng.choice(HIDDEN)))
        before = copy_tree((x, params, activations))
        label = f"forward on {describe_network(sizes, activations)}, m = {x.shape[1]}"
        got = student.forward(x, params, activations)
        if type(got) is not tuple or len(got) != 2:
            raise CheckFailed(f"{label} should return the tuple (a_L, cache); it returned {type(got).__name__}.")
        a_L, cache = ref.forward(*before)
        expect_array(f"a_L of {label}", got[0], a_L,
                     hint="layer l uses activations[l - 1] and the previous layer's output.")
        expect_keys(f"the cache of {label}", got[1], cache)
        for key in cache:
            expect_array(f"cache[{key!r}] of {label}", got[1][key], cache[key])
        expect_unchanged(label, before, (x, params, activations))


@hidden(STAGE, CHECKS, "count_parameters of random architectures", 1,
        "count_parameters on random layer sizes (2 to 6 layers): an int, the right count")
def count_random(student, rng):
    for _ in range(4):
        sizes = [int(v) for v in rng.integers(1, 60, size=int(rng.integers(2, 7)))]
        got = student.count_parameters(list(sizes))
        expect_int(f"count_parameters({sizes})", got, ref.count_parameters(sizes))
