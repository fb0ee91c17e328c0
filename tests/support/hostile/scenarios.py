"""The class-level hostile tests' drivers.  Each runs as init of a PID
namespace of its own (``containment.contained``), on a size-capped tmpfs,
in a pids cgroup of ``TASKS`` where the machine allows, and prints one
JSON object on stdout:

    python -m tests.support.hostile.scenarios probe MODE WORK CLASS_ROOT
    python -m tests.support.hostile.scenarios class MODE WORK

``probe`` answers each capability of docs/grading.md's isolation table
for a session of MODE; ``class`` grades a class of three with
``grade-batch`` (a hostile student between two honest ones) and reports
what became of the classmates, the gradebook and the hostile student's
results.  ``batch`` is the grade-batch run itself, a child of ``class``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from autograder.batch.planning import student_seed
from autograder.batch.run import run_batch
from autograder.course import find_course, hidden_paths
from autograder.engine import Grader
from autograder.outcomes import GradeReport
from autograder.sandbox import Limits, Remote, Sandbox

from . import builders, class_corpus, containment

# Generous times: what these scenarios prove is confinement, and a loaded
# machine must not turn the attack's 0.7 s into a time-out.
LIMITS = Limits(call_seconds=60, load_seconds=180, check_seconds=120, submission_seconds=600)
SEED = 7
DISK = 1024 ** 3            # the tmpfs every scenario lives on
TASKS = 3000                # the pids cgroup every scenario lives in, where there is one


def limits_for(mode: str) -> Limits:
    return dataclasses.replace(LIMITS, namespaces=mode != "basic", user_namespace=mode == "user-namespace")


def prepare(work: Path) -> None:
    """Bound the disk of this scenario, and keep its temporary files there
    (its processes are bounded by the test: ``containment.safety_net``)."""
    work.mkdir(parents=True, exist_ok=True)
    containment.bounded_disk(str(work), DISK)
    (work / "tmp").mkdir()
    os.environ["TMPDIR"] = str(work / "tmp")
    tempfile.tempdir = None


# ---------------------------------------------------------------- probe

def probe(mode: str, work: Path, class_root: Path) -> dict:
    prepare(work)
    class_root.mkdir(parents=True)
    marker = f"mlpkit-probe-{uuid.uuid4().hex[:12]}"
    secret = f"answer-key-{uuid.uuid4().hex}"
    key = work / "elsewhere" / "answer_key.txt"
    key.parent.mkdir()
    key.write_text(secret)
    home = Path(os.path.expanduser("~"))
    source = find_course().source
    kit_notebook = builders.SOLUTIONS / class_corpus.STAGE / f"{class_corpus.STAGE}.ipynb"
    sentinel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker])
    server = socket.create_server(("127.0.0.1", 0))
    limits = limits_for(mode)
    found = {}
    try:
        with Sandbox(limits, hide=hidden_paths(source)) as sandbox:
            remote = Remote(limits.call_seconds)
            session = sandbox.session("probe")
            remote.attach(session)
            remote.load([{"id": "probes", "source": class_corpus.PROBES}], limits.load_seconds)
            call = remote.function
            with open(f"/proc/{session.runner_pid}/status") as status:
                real_uid = int(next(line for line in status if line.startswith("Uid:")).split()[1])
            found["host-root"] = real_uid == 0
            found["finds-class"] = call("finds_class")(str(class_root))
            found["reads-elsewhere"] = secret in call("reads")(str(key))
            found["reads-shadow"] = bool(call("reads")("/etc/shadow"))
            found["reads-kit"] = bool(call("reads")(str(kit_notebook)))
            found["writes-class"] = call("writes")(str(class_root), marker) and (class_root / marker).exists()
            import numpy
            found["writes-kit"] = call("may_change")([str(builders.PROJECT / "reference" / "__init__.py"),
                                                      numpy.__file__])
            found["writes-home"] = call("writes_home")(marker) and (home / marker).exists()
            found["kernel-settings"] = call("kernel_settings")()
            found["network"] = call("network")(server.getsockname()[1])
            found["sees-processes"] = call("sees_process")(sentinel.pid, marker)
            found["processes"] = call("processes")(4 * limits.processes) >= limits.processes
            found["disk"] = call("fills")(limits.scratch_bytes) > limits.scratch_bytes
            call("kill_everything")()
            time.sleep(0.5)
            found["signals"] = sentinel.poll() is not None
    finally:
        (home / marker).unlink(missing_ok=True)
        sentinel.kill()
        server.close()
    return found


# ---------------------------------------------------------------- a class

_GRADERS: dict = {}


def _grade(mode: str, folder: Path, stages: list, seed: int, source: Path) -> GradeReport:
    from multiprocessing import util

    key = (mode, str(source), tuple(stages))
    if key not in _GRADERS:
        _GRADERS[key] = Grader(limits_for(mode), source, stages)
        util.Finalize(_GRADERS[key], _GRADERS[key].close, exitpriority=10)
    return _GRADERS[key].grade(folder, stages, seed)


def grade_in_user_namespace(folder: Path, stages: list, seed: int, source: Path) -> GradeReport:
    """grade-batch's engine, in a user namespace (a worker-process function)."""
    return _grade("user-namespace", folder, stages, seed, source)


def grade_unconfined(folder: Path, stages: list, seed: int, source: Path) -> GradeReport:
    """grade-batch's engine without namespaces, as --allow-unconfined grades where they are refused."""
    return _grade("basic", folder, stages, seed, source)


# None: grade-batch's own engine, which first checks that it can confine student code.
GRADE = {"namespaces": None, "user-namespace": grade_in_user_namespace, "basic": grade_unconfined}


def batch(mode: str, root: Path, out: Path) -> dict:
    summary = run_batch(root, out, find_course().source, stages=[class_corpus.STAGE], jobs=1, seed=SEED,
                        progress=False, grade=GRADE[mode])
    return {"graded": summary.graded, "errors": summary.errors}


def grade_class(mode: str, work: Path) -> dict:
    prepare(work)
    marker = f"mlpkit-hostile-{uuid.uuid4().hex[:12]}"
    klass = class_corpus.build_class(work, marker)
    before = class_corpus.snapshot(klass.root)
    alone = {}
    with Grader(limits_for(mode), find_course().source, [class_corpus.STAGE]) as grader:
        for name in class_corpus.CLASSMATES:
            report = grader.grade(klass.folder(name), [class_corpus.STAGE], student_seed(SEED, name))
            alone[name] = report.score
    run = subprocess.run([sys.executable, "-m", "tests.support.hostile.scenarios", "batch", mode, str(klass.root),
                          str(klass.out)], capture_output=True, text=True, timeout=600, cwd=builders.PROJECT)
    hostile = klass.out / class_corpus.HOSTILE
    shown = "".join(path.read_text(errors="replace") for path in sorted(hostile.rglob("*")) if path.is_file())
    home = Path(os.path.expanduser("~")) / marker
    outcome = {"returncode": run.returncode, "stderr": run.stderr[-3000:],
               "summary": json.loads(run.stdout.strip().splitlines()[-1]) if run.returncode == 0 else None,
               "before": before, "after": class_corpus.snapshot(klass.root), "alone": alone,
               "results": {path.parent.name: json.loads(path.read_text())
                           for path in klass.out.glob("*/results.json")},
               "shown": shown, "secrets": klass.secrets, "class": str(klass.root), "out": str(klass.out),
               "home_written": home.exists()}
    home.unlink(missing_ok=True)
    return outcome


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "probe":
        print(json.dumps(probe(arguments[0], Path(arguments[1]), Path(arguments[2]))))
    elif command == "class":
        print(json.dumps(grade_class(arguments[0], Path(arguments[1]))))
    elif command == "batch":
        print(json.dumps(batch(arguments[0], Path(arguments[1]), Path(arguments[2]))))
    else:
        sys.exit(__doc__)
