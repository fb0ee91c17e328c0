"""The student release: it equals a fresh ``mlpkit release``, and it leaks
nothing (no solution code, no hidden tests, nothing of ``reference/``).

The leak tests read the committed ``assignments/`` (what students get); the
slow tests make a fresh release with the real nbgrader and require the
committed one to be identical to it, byte for byte.  nbgrader's output was
checked to be byte-stable: the same source gives the same bytes, run after
run, in-process or from the command line.
"""
from __future__ import annotations

import ast
import difflib
import inspect
import json
import re
import subprocess
import sys
import textwrap

import pytest

import reference
from autograder import release
from autograder.errors import UserError

from .support import sample_course
from .support.stage_notebooks import (
    ASSIGNMENTS, IGNORED, KIT_FILES, ROOT, STAGES, STUDENT_KIT, cells, existing_stages, files_under,
    need_solution, regions, release_path, source,
)

# What students write in each stage (docs/authoring-notebooks.md): the
# reference's code for these must not reach that stage's release.
STUDENT_CODE = {
    "01_activations": ["sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative"],
    "02_forward_pass": ["layer_forward", "forward", "count_parameters"],
    "03_backprop": ["binary_cross_entropy", "backward", "update_parameters"],
    "04_mlp_class": ["MLP"],
    "05_moons": ["make_moons", "train_test_split", "standardize", "plot_decision_boundary"],
    "06_extensions": ["softmax", "one_hot", "categorical_cross_entropy", "l2_penalty", "l2_gradient",
                      "Momentum.step", "RMSprop.step", "Adam.step", "inverse_time_decay", "make_circles"],
}
# A line shorter than this (spaces removed) is too common to prove a leak:
# `else:`, `a = g(z)`, `if l > 1:`.  `z = W @ a_prev + b` is long enough.
MIN_LEAK_LENGTH = 8
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")
# Solution lines a stage shows elsewhere on purpose (reviewed): stage -> lines.
GIVEN_ON_PURPOSE = {
    # The provided SGD class shows the loop every optimiser's step repeats.
    "06_extensions": {"for name, value in params.items():"},
}
IMPORT_OF_KIT = re.compile(r"^\s*(?:from|import)\s+(?:reference|autograder|tests)\b", re.M)


def squeeze(line: str) -> str:
    return re.sub(r"\s+", "", line)


def constant_call(line: str) -> bool:
    """A call whose arguments are all constants, ``ax.grid(True, alpha=0.3)``
    or ``ax.set_xlabel("feature 1")``: it computes nothing, so finding it
    both in an answer and in a plot the notebook gives proves no leak."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    call = tree.body[0].value
    if not isinstance(call, ast.Call):
        return False
    values = [*call.args, *(keyword.value for keyword in call.keywords)]
    return all(isinstance(v, ast.Constant)
               or (isinstance(v, ast.UnaryOp) and isinstance(v.operand, ast.Constant)) for v in values)


def significant(lines) -> set[str]:
    """The lines that would give something away if a student saw them."""
    found = {squeeze(line): line for line in lines}
    return {squeezed for squeezed, line in found.items()
            if len(squeezed) >= MIN_LEAK_LENGTH and not squeezed.startswith("#") and not constant_call(line)}


def released(stage: str):
    """The committed release notebook of a stage that has a solution."""
    need_solution(stage)
    path = release_path(ASSIGNMENTS, stage)
    if not path.is_file():
        pytest.fail(f"{stage} has a solutions notebook but no release: run `mlpkit release`")
    return path


def release_lines(stage: str) -> set[str]:
    return {squeeze(line) for cell in cells(released(stage)) for line in source(cell).splitlines()}


def leaked(candidates: set[str], stage: str) -> list[str]:
    present = release_lines(stage)
    return sorted(line for line in candidates if line in present)


def student_functions(stage: str) -> list[str]:
    """The stage's student functions, a class as its methods: "MLP.forward"."""
    names = []
    for name in STUDENT_CODE[stage]:
        target = getattr(reference, name.split(".")[0])
        if inspect.isclass(target) and "." not in name:
            names += [f"{name}.{method}" for method, value in vars(target).items()
                      if inspect.isfunction(value)]
        else:
            names.append(name)
    return names


def reference_code(name: str) -> list[str]:
    """Source lines of a reference function or method, without its
    docstrings, comments and signature."""
    target = reference
    for part in name.split("."):
        target = getattr(target, part)
    tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            body[0] = ast.Pass()
    lines = ast.unparse(tree).splitlines()
    return [line for line in lines if not line.lstrip().startswith(("def ", "class ", "@"))]


# ---------------------------------------------------------------- leaks

@pytest.mark.parametrize("stage", STAGES)
def test_no_grading_markers_reach_the_release(stage):
    released(stage)
    for name, data in files_under(ASSIGNMENTS / stage).items():
        text = data.decode("utf-8", errors="replace")
        found = [marker for marker in MARKERS if marker in text]
        assert not found, f"assignments/{stage}/{name} still holds {found}"


@pytest.mark.parametrize("stage", STAGES)
def test_no_line_of_solution_code_reaches_the_release(stage):
    solution = cells(need_solution(stage))
    answers = significant(line for cell in solution
                          for line in regions(source(cell), "BEGIN SOLUTION", "END SOLUTION"))
    assert answers or not any("BEGIN SOLUTION" in source(c) for c in solution)
    answers -= {squeeze(line) for line in GIVEN_ON_PURPOSE.get(stage, ())}
    assert leaked(answers, stage) == [], f"solution lines found in the {stage} release"


@pytest.mark.parametrize("stage", STAGES)
def test_no_hidden_test_reaches_the_release(stage):
    hidden = significant(line for cell in cells(need_solution(stage))
                         for line in regions(source(cell), "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
    assert leaked(hidden, stage) == [], f"hidden test lines found in the {stage} release"


@pytest.mark.parametrize("stage", STAGES)
def test_the_reference_answer_is_not_in_the_release(stage):
    """No student function of the stage has more than half of the lines of
    its reference implementation in the release.  Some lines may be there
    on purpose: a stub keeps the scaffolding that fixes the interface (the
    04 MLP keeps its argument checks and ``return self.grads``)."""
    given_away = {}
    for name in student_functions(stage):
        lines = significant(reference_code(name))
        found = leaked(lines, stage)
        if lines and len(found) > len(lines) / 2:
            given_away[name] = found
    assert given_away == {}, f"the reference's answers appear in the {stage} release"


@pytest.mark.parametrize("stage", STAGES)
def test_the_release_imports_nothing_of_the_kit(stage):
    for cell in cells(released(stage)):
        if cell["cell_type"] == "code":
            assert not IMPORT_OF_KIT.search(source(cell)), source(cell)


@pytest.mark.parametrize("stage", STAGES)
def test_no_python_file_in_the_solutions_folder(stage):
    need_solution(stage)
    code = [p for p in (ROOT / "solutions" / stage).rglob("*.py") if not IGNORED.intersection(p.parts)]
    assert code == [], "nbgrader would copy these to students verbatim"


def test_the_student_kit_needs_only_its_requirements():
    """The kit's Python files import the standard library, each other,
    pytest, matplotlib and numpy only; requirements.txt names those three
    and Jupyter (notebook), which opens the notebooks."""
    own = {name[:-3] for name in KIT_FILES if name.endswith(".py")}
    for name in KIT_FILES:
        if not name.endswith(".py"):
            continue
        tree = ast.parse((STUDENT_KIT / name).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
        outside = imported - set(sys.stdlib_module_names) - {"__future__"} - own
        assert outside <= {"pytest", "matplotlib", "numpy"}, (name, outside)
    lines = (STUDENT_KIT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    names = {re.split(r"[<>=!~ ]", line)[0] for line in lines if line and not line.startswith("#")}
    assert names == {"numpy", "matplotlib", "pytest", "notebook"}


def test_the_committed_kit_is_the_package_kit():
    for name in KIT_FILES:
        assert (ASSIGNMENTS / name).read_bytes() == (STUDENT_KIT / name).read_bytes(), (
            f"assignments/{name} differs from autograder/student_kit/{name}: run `mlpkit release`")
    for text in (STUDENT_KIT / name for name in KIT_FILES):
        assert not IMPORT_OF_KIT.search(text.read_text(encoding="utf-8")), text


def test_the_committed_release_holds_only_the_kit_and_released_stages():
    entries = {p.name for p in ASSIGNMENTS.iterdir() if p.name not in IGNORED}
    assert entries == set(KIT_FILES) | set(existing_stages()), (
        "assignments/ must be exactly what `mlpkit release` writes")


# ---------------------------------------------------------------- a fresh release

@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory):
    """Every stage released with the real nbgrader, once per session."""
    out = tmp_path_factory.mktemp("release") / "assignments"
    made = release.make_release(ROOT, out=out)
    return made


def differences(fresh: dict[str, bytes], committed: dict[str, bytes]) -> list[str]:
    lines = []
    for name in sorted(set(fresh) | set(committed)):
        if name not in committed:
            lines.append(f"{name}: missing from the committed release")
        elif name not in fresh:
            lines.append(f"{name}: not written by a fresh release")
        elif fresh[name] != committed[name]:
            diff = difflib.unified_diff(committed[name].decode(errors="replace").splitlines(),
                                        fresh[name].decode(errors="replace").splitlines(),
                                        "committed", "fresh", n=1, lineterm="")
            lines.append(f"{name} differs:\n" + "\n".join(list(diff)[:30]))
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_committed_stage_equals_a_fresh_release(stage, fresh_release):
    need_solution(stage)
    fresh = files_under(fresh_release.out / stage)
    assert fresh, f"nbgrader wrote nothing for {stage}"
    problems = differences(fresh, files_under(ASSIGNMENTS / stage))
    assert problems == [], "run `mlpkit release` and commit assignments/:\n" + "\n".join(problems)


@pytest.mark.slow
def test_committed_root_equals_a_fresh_release(fresh_release):
    fresh = {p.name for p in fresh_release.out.iterdir()}
    committed = {p.name for p in ASSIGNMENTS.iterdir() if p.name not in IGNORED}
    assert committed == fresh
    for name in KIT_FILES:
        assert (ASSIGNMENTS / name).read_bytes() == (fresh_release.out / name).read_bytes(), name


@pytest.mark.slow
def test_the_nbgrader_command_writes_the_same_notebook(tmp_path, fresh_release):
    """What an instructor types at the repository root gives the very file
    ``mlpkit release`` wrote (``--no-db`` keeps the course gradebook as it is)."""
    stage = fresh_release.stages[0]
    subprocess.run(["nbgrader", "generate_assignment", stage, "--force", "--no-db",
                    f"--CourseDirectory.release_directory={tmp_path}"],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    assert (release_path(tmp_path, stage).read_bytes()
            == release_path(fresh_release.out, stage).read_bytes())


# ---------------------------------------------------------------- the pipeline

def test_an_unknown_stage_is_a_user_error(tmp_path):
    course = sample_course.make_course(tmp_path / "course")
    with pytest.raises(UserError, match=r"unknown stage '07_nope'; the stages are: 01_activations"):
        release.make_release(course, stages=["07_nope"])


def test_a_stage_without_its_notebook_is_a_user_error(tmp_path):
    course = sample_course.make_course(tmp_path / "course")
    with pytest.raises(UserError, match=r"stage 03_backprop has no solutions notebook"):
        release.make_release(course, stages=["03_backprop"])


def test_a_python_file_beside_a_solution_is_refused(tmp_path):
    course = sample_course.make_course(tmp_path / "course")
    (course / "solutions" / sample_course.STAGE / "helpers.py").write_text("def square(z): return z * z\n")
    with pytest.raises(UserError, match=r"helpers.py would be copied to students"):
        release.make_release(course, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_reports_a_user_error_in_one_line():
    result = subprocess.run([sys.executable, "-m", "autograder", "release", "--stage", "07_nope"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2
    course, error = result.stderr.splitlines()   # the course in use, then one line of error
    assert course == f"mlpkit: course: {ROOT}"
    assert error.startswith("mlpkit: error: unknown stage '07_nope'")


@pytest.mark.slow
def test_release_into_the_course_records_the_gradebook_and_elsewhere_not(tmp_path):
    course = sample_course.make_course(tmp_path / "course")
    elsewhere = release.make_release(course, out=tmp_path / "preview")
    assert not (course / "gradebook.db").exists()
    into_course = release.make_release(course)
    assert (course / "gradebook.db").exists()
    stage = sample_course.STAGE
    assert into_course.out == course / "assignments"
    assert (release_path(into_course.out, stage).read_bytes()
            == release_path(elsewhere.out, stage).read_bytes())
    assert sorted(p.name for p in into_course.out.iterdir()) == sorted([stage, *KIT_FILES])


@pytest.mark.slow
def test_a_full_release_drops_stages_whose_solution_is_gone(tmp_path):
    course = sample_course.make_course(tmp_path / "course")
    out = tmp_path / "out"
    (out / "00_gone").mkdir(parents=True)
    (out / "00_gone" / "00_gone.ipynb").write_text("{}")
    (out / "notes").mkdir()
    release.make_release(course, out=out, stages=[sample_course.STAGE])
    assert (out / "00_gone").exists(), "a --stage release leaves other stages alone"
    made = release.make_release(course, out=out)
    assert made.removed == [out / "00_gone"]
    assert (out / "notes").exists(), "only folders that look like a stage are removed"


@pytest.mark.slow
def test_an_nbgrader_failure_is_one_line_naming_the_cause(tmp_path):
    course = sample_course.make_course(tmp_path / "course")
    path = course / "solutions" / sample_course.STAGE / f"{sample_course.STAGE}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "test_twice":
            cell["metadata"]["nbgrader"]["grade_id"] = "test_square"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    with pytest.raises(UserError) as raised:
        release.make_release(course, out=tmp_path / "out")
    assert str(raised.value) == ("nbgrader could not generate 01_sample: "
                                 "ValidationError: Duplicate grade id: test_square")
