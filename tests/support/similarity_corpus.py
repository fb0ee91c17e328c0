"""Submissions for testing the similarity report: copies in disguise and
independent correct work.

Built from the solution notebooks of ``03_backprop`` and ``04_mlp_class``
(so they follow any change to the notebooks' text):

* ``solution``: the solution's answers, as written;
* ``disguise(...)``: a copy with every local name renamed, comments
  dropped or reworded, and (optionally) the functions or methods of a cell
  in another order: what a student hiding a copy does;
* ``INDEPENDENT``: correct answers written in other styles (another loop,
  ``np.dot`` or ``@``, comprehensions, helper variables...), each of which
  must earn every point (tests/test_similarity.py grades them).

A student's notebook is the released stub with its solution regions
replaced, saved as a student would hand it in (no solution markers).
"""
from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
STAGES = ("03_backprop", "04_mlp_class")
REGION = re.compile(r"(?P<indent>[ \t]*)### BEGIN SOLUTION\n(?P<body>.*?)[ \t]*### END SOLUTION\n?", re.S)

# Correct answers in other styles: {stage: {style: {grade_id: [body of each solution region, in order]}}}.
# Bodies are written at indent 0 and indented to the region's own indent.
INDEPENDENT = {
    "03_backprop": {
        "loops": {
            "binary_cross_entropy": ["""\
eps = 1e-15
clipped = np.minimum(np.maximum(y_hat, eps), 1 - eps)
m = y.shape[1]
total = 0.0
for j in range(m):
    total += y[0, j] * np.log(clipped[0, j]) + (1 - y[0, j]) * np.log(1 - clipped[0, j])
loss = float(-total / m)
"""],
            "backward": ["""\
error = cache["A" + str(L)] - y
layer = L
while layer >= 1:
    previous = cache["A" + str(layer - 1)]
    grads["dW" + str(layer)] = np.dot(error, previous.T) * (1.0 / m)
    grads["db" + str(layer)] = error.sum(axis=1).reshape(-1, 1) * (1.0 / m)
    if layer == 1:
        break
    weights = params["W" + str(layer)]
    derivative = DERIVATIVES[activations[layer - 2]]
    error = np.dot(weights.T, error) * derivative(cache["Z" + str(layer - 1)])
    layer = layer - 1
"""],
            "update_parameters": ["""\
for key in list(params.keys()):
    step = learning_rate * grads["d" + key]
    new_params[key] = params[key] - step
"""],
        },
        "comprehensions": {
            "binary_cross_entropy": ["""\
safe = np.clip(y_hat, 1e-15, 1 - 1e-15)
losses = np.where(y == 1, -np.log(safe), -np.log(1 - safe))
loss = float(losses.sum() / losses.size)
"""],
            "backward": ["""\
deltas = {L: cache[f"A{L}"] - y}
for l in reversed(range(2, L + 1)):
    g_prime = DERIVATIVES[activations[l - 2]](cache[f"Z{l - 1}"])
    deltas[l - 1] = (params[f"W{l}"].T @ deltas[l]) * g_prime
grads.update({f"dW{l}": deltas[l] @ cache[f"A{l - 1}"].T / m for l in deltas})
grads.update({f"db{l}": deltas[l].mean(axis=1, keepdims=True) for l in deltas})
"""],
            "update_parameters": ["""\
new_params = {name: value - learning_rate * grads[f"d{name}"] for name, value in params.items()}
"""],
        },
    },
    "04_mlp_class": {
        "loops": {
            "mlp_class": [
                """\
generator = np.random.RandomState(seed)
for index in range(1, len(self.layer_sizes)):
    fan_in = self.layer_sizes[index - 1]
    fan_out = self.layer_sizes[index]
    scale = np.sqrt(2.0 / fan_in)
    self.params["W" + str(index)] = generator.randn(fan_out, fan_in) * scale
    self.params["b" + str(index)] = np.zeros((fan_out, 1))
""",
                """\
index = 1
while index <= self.L:
    weights = self.params["W" + str(index)]
    bias = self.params["b" + str(index)]
    pre = np.dot(weights, A) + bias
    A = ACTIVATIONS[self.activations[index - 1]](pre)
    self.cache["Z" + str(index)] = pre
    self.cache["A" + str(index)] = A
    index += 1
""",
                """\
clipped = np.clip(Y_pred, 1e-15, 1 - 1e-15)
terms = Y_true * np.log(clipped) + (1 - Y_true) * np.log(1 - clipped)
loss = float(-terms.sum() / Y_true.shape[1])
""",
                """\
error = self.cache["A" + str(self.L)] - Y
index = self.L
while index > 0:
    before = self.cache["A" + str(index - 1)]
    self.grads["dW" + str(index)] = np.dot(error, before.T) / m
    self.grads["db" + str(index)] = error.sum(axis=1).reshape(-1, 1) / m
    if index > 1:
        back = np.dot(self.params["W" + str(index)].T, error)
        error = back * DERIVATIVES[self.activations[index - 2]](self.cache["Z" + str(index - 1)])
    index -= 1
""",
                """\
for key in list(self.params.keys()):
    self.params[key] -= self.lr * self.grads["d" + key]
""",
                """\
epoch = 0
while epoch < epochs:
    output = self.forward(X)
    current = self.compute_loss(output, Y)
    losses.append(current)
    self.backward(Y)
    self.update_parameters()
    last = epoch == epochs - 1
    if verbose and (last or epoch % print_every == 0):
        score = self.evaluate(X, Y)
        print(f"Epoch {epoch:5d} | Loss: {current:.6f} | Accuracy: {score:.2%}")
    epoch += 1
""",
                """\
labels = np.where(probabilities >= threshold, 1, 0).astype(int)
""",
                """\
predicted = self.predict(X)
correct = int(np.sum(predicted == Y))
accuracy = correct / float(Y.shape[1])
""",
            ],
        },
        "functional": {
            "mlp_class": [
                """\
rng = np.random.RandomState(seed)
shapes = list(zip(self.layer_sizes[1:], self.layer_sizes[:-1]))
for layer, (rows, cols) in enumerate(shapes, start=1):
    self.params.update({f"W{layer}": rng.randn(rows, cols) * (2 / cols) ** 0.5,
                        f"b{layer}": np.zeros(rows)[:, None]})
""",
                """\
for layer, name in enumerate(self.activations, start=1):
    self.cache[f"Z{layer}"] = self.params[f"W{layer}"] @ self.cache[f"A{layer - 1}"] + self.params[f"b{layer}"]
    self.cache[f"A{layer}"] = ACTIVATIONS[name](self.cache[f"Z{layer}"])
A = self.cache[f"A{self.L}"]
""",
                """\
loss = binary_cross_entropy(Y_pred, Y_true)
""",
                """\
delta = self.cache[f"A{self.L}"] - Y
for layer in reversed(range(1, self.L + 1)):
    self.grads[f"dW{layer}"] = delta @ self.cache[f"A{layer - 1}"].T / m
    self.grads[f"db{layer}"] = delta.mean(axis=1, keepdims=True)
    delta = (self.params[f"W{layer}"].T @ delta
             * DERIVATIVES[self.activations[layer - 2]](self.cache[f"Z{layer - 1}"])) if layer > 1 else None
""",
                """\
self.params = {key: value - self.lr * self.grads[f"d{key}"] for key, value in self.params.items()}
""",
                """\
for epoch in range(epochs):
    losses.append(self.compute_loss(self.forward(X), Y))
    self.backward(Y)
    self.update_parameters()
    if verbose and epoch in {*range(0, epochs, print_every), epochs - 1}:
        print("Epoch {:5d} | Loss: {:.6f} | Accuracy: {:.2%}".format(epoch, losses[-1], self.evaluate(X, Y)))
""",
                """\
labels = 1 * (probabilities >= threshold)
""",
                """\
accuracy = float((self.predict(X) == Y).mean())
""",
            ],
        },
    },
}


def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _indent(body: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in body.splitlines(keepends=True))


def solution_answers(stage: str) -> dict[str, str]:
    """{grade_id: source} of the solution's answer cells, markers removed."""
    notebook = json.loads((SOLUTIONS / stage / f"{stage}.ipynb").read_text(encoding="utf-8"))
    return {cell["metadata"]["nbgrader"]["grade_id"]: REGION.sub(lambda m: m.group("body"), _source(cell))
            for cell in notebook["cells"] if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}


def independent_answers(stage: str, style: str) -> dict[str, str]:
    """{grade_id: source}: the solution's cells with every region replaced by ``style``'s bodies."""
    notebook = json.loads((SOLUTIONS / stage / f"{stage}.ipynb").read_text(encoding="utf-8"))
    answers = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution"):
            continue
        bodies = iter(INDEPENDENT[stage][style][meta["grade_id"]])
        answers[meta["grade_id"]] = REGION.sub(lambda m: _indent(next(bodies), m.group("indent")), _source(cell))
    return answers


# Names a copier renames (everything local; not the API the grader calls).
RENAMES = {
    "p": "probs", "per_example": "each_loss", "delta": "err", "a_prev": "act_before", "da_prev": "back_err",
    "name": "key_name", "value": "arr", "l": "k", "rng": "gen", "n_prev": "inputs", "n_here": "outputs",
    "Z": "pre_act", "A_prev": "act_in", "dZ": "grad_z", "slope": "deriv", "epoch": "ep", "loss": "cost",
    "losses": "history", "labels": "preds", "accuracy": "acc", "probabilities": "probas",
}


def disguise(source: str, renames: dict | None = None, reorder: bool = False) -> str:
    """``source`` as a copier hands it in: names renamed (local ones only),
    comments dropped, blank lines added, and with ``reorder`` the
    top-level functions (or a class's methods) in reverse order."""
    renames = RENAMES if renames is None else renames
    if reorder:
        source = _reordered(source)
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in renames:
            token = token._replace(string=renames[token.string])
        elif token.type == tokenize.STRING and "f" in token.string.partition(token.string[-1])[0].lower():
            token = token._replace(string=re.sub(r"\{([^{}]*)\}", lambda m: "{" + _renamed(m.group(1), renames) + "}",
                                                 token.string))
        elif token.type == tokenize.COMMENT:
            token = token._replace(string="")
        tokens.append(token)
    text = tokenize.untokenize(tokens)
    return re.sub(r"\n(\s*)return ", r"\n\n\1return ", text)


def _renamed(expression: str, renames: dict) -> str:
    return re.sub(r"\b[A-Za-z_]\w*\b", lambda m: renames.get(m.group(0), m.group(0)), expression)


def _reordered(source: str) -> str:
    """Reverse the order of the definitions of a cell, or of a class's methods."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)

    def block(node) -> str:
        start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno) - 1
        return "".join(lines[start:node.end_lineno])

    top = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    if len(top) == 1 and isinstance(top[0], ast.ClassDef):
        klass = top[0]
        methods = [node for node in klass.body if isinstance(node, ast.FunctionDef)]
        head = "".join(lines[klass.lineno - 1:methods[0].lineno - 1])
        return head + "\n".join(block(method) for method in reversed(methods)) + "".join(lines[klass.end_lineno:])
    return "\n\n".join(block(node) for node in reversed(top)) + "\n"


def write_student(root: Path, student: str, stage: str, answers: dict[str, str]) -> Path:
    """The released stub of ``stage`` with ``answers`` in its answer cells,
    saved as ``root/student/stage/stage.ipynb``."""
    notebook = json.loads((ROOT / "assignments" / stage / f"{stage}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and grade_id in answers:
            cell["source"] = answers[grade_id]
    path = root / student / stage / f"{stage}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    return path


def make_class(root: Path, stages=STAGES) -> dict[str, set]:
    """Write the similarity class under ``root``; returns, per stage, the
    pairs (sorted tuples of students) that are copies of each other."""
    copies = {}
    for stage in stages:
        original = solution_answers(stage)
        styles = sorted(INDEPENDENT[stage])
        students = {
            "ada": original,
            "bea": {gid: disguise(src) for gid, src in original.items()},
            "cyd": {gid: disguise(src, reorder=True) for gid, src in original.items()},
            "stub": {},                                   # handed in the release as it is
        }
        for number, style in enumerate(styles):
            students[f"indie{number + 1}"] = independent_answers(stage, style)
        # dan copies the first independent author, renamed and reordered.
        students["dan"] = {gid: disguise(src, reorder=True) for gid, src in students["indie1"].items()}
        for student, answers in students.items():
            write_student(root, student, stage, answers)
        copies[stage] = {("ada", "bea"), ("ada", "cyd"), ("bea", "cyd"), ("dan", "indie1")}
    return copies
