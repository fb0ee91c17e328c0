"""Hostile and broken submissions of stage 01, each built from the
solution notebook.  ``{marker}`` in a source is replaced by a unique tag
carried by every process the submission starts, so a test can prove that
none survives grading."""
from . import builders
from .processes import sleeper_command

STAGE = "01_activations"

# Answer cells that return wrong values while trying to fool a comparison.
MONKEYPATCH = """
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)

def sigmoid(z):
    return np.zeros_like(z)
"""

ALWAYS_EQUAL = """
import numpy as np

class Anything:
    shape = property(lambda self: self._shape)
    dtype = np.dtype(float)
    def __init__(self, shape): self._shape = shape
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, dtype=None, copy=None): return np.zeros(self._shape)
    def __float__(self): return 0.5
    def __getattr__(self, name): return lambda *a, **k: True

def sigmoid(z):
    return Anything(np.shape(z))
"""

EQUAL_SUBCLASS = """
import numpy as np

class Agreeable(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, dtype=bool)
    def __sub__(self, other): return np.zeros(self.shape).view(Agreeable)
    def __rsub__(self, other): return np.zeros(self.shape).view(Agreeable)
    def __abs__(self): return np.zeros(self.shape).view(Agreeable)

def sigmoid(z):
    return np.zeros(np.shape(z)).view(Agreeable)
"""


def case(name, build, lost, note=None, full=False, seconds=30, needs=None):
    """lost: the checks that must fail, named without the stage (all others
    must pass; ["*"]: all fail); note: text expected among the problems."""
    return {"name": name, "build": build, "lost": lost, "note": note, "full": full, "seconds": seconds,
            "needs": needs}


def _solution():
    return builders.solution(STAGE)


CASES = [
    # The derivative is right for the (wrong) sigmoid it uses, so its checks pass: the defect costs
    # points in sigmoid's checks only (the grading policy: one defect costs once).
    case("monkeypatched comparisons", lambda: builders.replace_answer(_solution(), "sigmoid", MONKEYPATCH),
         lost=["test_sigmoid_values", "sigmoid on random and extreme inputs"]),
    case("sabotaged builtins", lambda: builders.prepend_to_answer(
        _solution(), "sigmoid", "import builtins, json\nbuiltins.isinstance = lambda obj, cls: True\n"
                                "builtins.type = lambda *a: object\njson.dumps = lambda *a, **k: '{}'\n"),
         lost=["*"]),
    case("always-equal object", lambda: builders.replace_answer(_solution(), "sigmoid", ALWAYS_EQUAL),
         lost=["test_sigmoid_values", "test_sigmoid_derivative_values", "sigmoid on random and extreme inputs",
               "sigmoid_derivative on random and extreme inputs"]),
    case("always-equal ndarray subclass", lambda: builders.replace_answer(_solution(), "sigmoid", EQUAL_SUBCLASS),
         lost=["test_sigmoid_values", "test_sigmoid_derivative_values", "sigmoid on random and extreme inputs",
               "sigmoid_derivative on random and extreme inputs"]),
    case("sys.exit in an answer cell",
         lambda: builders.prepend_to_answer(_solution(), "relu", "import sys\nsys.exit(0)\n"),
         lost=["test_relu_values", "relu on random and extreme inputs"],
         note="cell 'relu' raised SystemExit"),
    case("os._exit while loading", lambda: builders.prepend_to_answer(_solution(), "tanh", "import os\nos._exit(3)\n"),
         lost=["*"], note="could not be loaded: the student's process ended unexpectedly (exit code 3)"),
    case("os._exit inside a function",
         lambda: builders.edit_answer(_solution(), "tanh", "a = np.tanh(z)", "import os\n    os._exit(0)"),
         lost=["test_tanh_values", "tanh on random and extreme inputs"]),
    case("infinite loop ignoring signals",
         lambda: builders.edit_answer(_solution(), "relu_derivative", "dadz = (z > 0).astype(float)",
                                      "import signal\n    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):\n"
                                      "        signal.signal(s, signal.SIG_IGN)\n    while True:\n        pass"),
         lost=["test_relu_derivative_values", "test_relu_derivative_at_zero",
               "relu_derivative on random and extreme inputs"], seconds=60),
    case("infinite loop while loading", lambda: builders.prepend_to_answer(_solution(), "relu", "while True:\n    pass\n"),
         lost=["*"], note="could not be loaded: timed out"),
    case("memory hog", lambda: builders.edit_answer(_solution(), "tanh", "a = np.tanh(z)",
                                                    "hog = np.ones(2 ** 29)\n    a = np.tanh(z)"),
         lost=["test_tanh_values", "tanh on random and extreme inputs"]),
    case("flood of output", lambda: builders.prepend_to_answer(
        _solution(), "sigmoid", "import os, sys\nfor _ in range(200):\n    os.write(1, b'x' * 100000)\n"
                                "    print('y' * 100000)\n"), lost=[], full=True),
    case("background processes", lambda: builders.prepend_to_answer(
        _solution(), "sigmoid", "import os, subprocess, sys\n"
                                f"subprocess.Popen({sleeper_command('{marker}')}, start_new_session=True)\n"
                                "if os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(600)\n"
                                "    os._exit(0)\n"), lost=[], full=True),
    case("syntax error", lambda: builders.edit_answer(_solution(), "tanh_derivative", "dadz = 1.0 - t * t",
                                                      "dadz = 1.0 - t * t)"),
         lost=["test_tanh_derivative_values", "tanh_derivative on random and extreme inputs"],
         note="cell 'tanh_derivative' raised SyntaxError"),
    case("test cells edited to pass", lambda: builders.set_tests(
        builders.edit_answer(_solution(), "relu", "np.maximum(0.0, z)", "np.minimum(0.0, z)"),
        "print('all tests passed')"),
         lost=["test_relu_values", "relu on random and extreme inputs"]),
    case("test cells deleted", lambda: builders.set_tests(_solution(), None), lost=[], full=True),
    case("answer cell deleted", lambda: _without(_solution(), "sigmoid_derivative"),
         lost=["test_sigmoid_derivative_values", "sigmoid_derivative on random and extreme inputs"],
         note="answer cell 'sigmoid_derivative'"),
    case("metadata stripped by an editor", lambda: builders.strip_metadata(_solution()), lost=[], full=True),
    case("importing the kit", lambda: builders.replace_answer(
        _solution(), "relu", "import sys\nsys.path[:0] = ['{kit}', '{kit}/reference']\n"
                             "from reference import relu\n"),
         lost=["test_relu_values", "relu on random and extreme inputs"],
         note="cell 'relu' raised", needs="minimal-root"),
    case("reading the instructor notebook", lambda: builders.replace_answer(
        _solution(), "relu",
        "import json\nnotebook = json.load(open('{kit}/solutions/01_activations/01_activations.ipynb'))\n"
        "exec(''.join(c['source'] for c in notebook['cells'] if 'def relu(' in ''.join(c['source'])))\n"),
         lost=["test_relu_values", "relu on random and extreme inputs"],
         note="cell 'relu' raised FileNotFoundError", needs="minimal-root"),
]


def _without(notebook, grade_id):
    notebook["cells"].remove(builders.cell(notebook, grade_id))
    return notebook
