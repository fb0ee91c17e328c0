"""The sandbox against hostile code, in three modes: namespaces as root,
the user-namespace path (taken as root here: ``Limits.user_namespace``)
and none ("basic").  Each test states the exact effect: the grader gets an
answer or a SessionLost in bounded time, nothing the student's code
started is left running, the student's file system is exactly the
planned root, its scratch folder and processes are capped; and the
student's code behaves as in its notebook (strings interned as literals
are, errors located in its own functions and cell lines, arrays mirrored
whatever the garbage collector does)."""
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import venv
from pathlib import Path

import numpy as np
import pytest

from autograder.engine import Grader
from autograder.sandbox import Limits, Remote, Sandbox, SessionLost, StudentError, confinement_gaps

from autograder.sandbox import rootfs, runner
from autograder.sandbox.rootfs import planned_paths

from .support.hostile import builders, processes

ROOT = Path(__file__).resolve().parents[1]

LIMITS = dict(call_seconds=2.0, memory_bytes=1024 ** 3, output_bytes=4096, scratch_bytes=16 * 1024 ** 2)
# "user-namespace" takes the path a non-root grader takes, also when the tests run as root.
MODES = ["namespaces", "user-namespace", "basic"]


@pytest.fixture(scope="module", params=MODES)
def sandbox(request):
    limits = Limits(namespaces=request.param != "basic", user_namespace=request.param == "user-namespace", **LIMITS)
    with Sandbox(limits, hide=[os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]) as box:
        box.mode = request.param
        yield box


def open_session(sandbox, source):
    remote = Remote(call_seconds=sandbox.limits.call_seconds)
    remote.attach(sandbox.session("test"))
    reply = remote.load([{"id": "cell", "source": textwrap.dedent(source)}], 10)
    assert all(cell["ok"] for cell in reply["cells"]), reply
    return remote


def test_plain_calls_work_and_the_namespaces_are_used_when_available(sandbox):
    remote = open_session(sandbox, """
        import numpy as np
        def double(x):
            return 2 * x
    """)
    assert np.array_equal(remote.function("double")(np.arange(3.0)), [0.0, 2.0, 4.0])
    isolation = remote.session.isolation
    assert "rlimits" in isolation
    if os.getuid() == 0:
        assert "no-capabilities" in isolation
        assert "process-limit" in isolation or not sandbox.pids_cgroups   # a pids cgroup, or RLIMIT_NPROC
    if sandbox.mode == "basic":
        assert "pid-namespace" not in isolation and "minimal-root" not in isolation
        assert "Limits.namespaces" in remote.session.unconfined
    elif "pid-namespace" not in isolation:
        pytest.skip(f"this kernel refuses namespaces here ({remote.session.unconfined}): only basic mode")
    else:
        assert {"mount-namespace", "no-network", "private-proc", "kit-hidden", "minimal-root",
                "scratch-limit"} <= set(isolation)
        assert confinement_gaps(isolation) == [] and remote.session.unconfined == ""
        # As root, the student's code is not host root: uid 0 of its own user namespace, 65534 outside.
        assert ("unprivileged-user" in isolation) == (os.getuid() == 0 and sandbox.mode == "namespaces")
    remote.session.close()


def test_the_kit_cannot_be_imported(sandbox):
    remote = open_session(sandbox, """
        import importlib, os, sys
        def attempt(name, path=None):
            if path:
                sys.path.insert(0, path)
            try:
                importlib.import_module(name)
                return "imported"
            except Exception as error:
                return type(error).__name__
        def can_read(path):
            try:
                with open(path) as handle:
                    return len(handle.read()) > 0
            except OSError:
                return False
    """)
    attempt, can_read = remote.function("attempt"), remote.function("can_read")
    assert attempt("reference") == "ModuleNotFoundError"
    assert attempt("autograder") == "ModuleNotFoundError"
    assert attempt("numpy") == "imported" and attempt("matplotlib.pyplot") == "imported"
    kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if "kit-hidden" in remote.session.isolation:
        # Even knowing where the kit is, the student's process cannot read it.
        assert attempt("reference", kit) != "imported"
        assert not can_read(os.path.join(kit, "reference", "activations.py"))
        assert not can_read(os.path.join(kit, "solutions", "01_activations", "01_activations.ipynb"))
    remote.session.close()


def test_a_loop_that_ignores_signals_is_killed_at_the_call_time_limit(sandbox):
    remote = open_session(sandbox, """
        import signal
        def spin():
            for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU):
                signal.signal(number, signal.SIG_IGN)
            while True:
                try:
                    pass
                except BaseException:
                    pass
    """)
    runner = remote.session.runner_pid
    started = time.monotonic()
    with pytest.raises(SessionLost, match="timed out after 2 s"):
        remote.function("spin")()
    assert time.monotonic() - started < 10  # 2 s limit, then the kill; generous for a loaded machine
    assert remote.session.ended is not None
    assert not os.path.exists(f"/proc/{runner}") or _is_zombie_or_gone(runner)


def _is_zombie_or_gone(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


def test_memory_hogs_hit_the_limit_and_the_session_survives(sandbox):
    remote = open_session(sandbox, """
        import numpy as np
        def hog():
            return np.ones(2 * 1024 ** 3 // 8).sum()
        def grow():
            chunks = []
            while True:
                chunks.append(bytearray(64 * 1024 * 1024))
        def fine():
            return 1.5
    """)
    remote.call_seconds = 15  # touching 1 GiB page by page takes a few seconds on a slow machine
    started = time.monotonic()
    with pytest.raises(MemoryError):
        remote.function("hog")()
    with pytest.raises(MemoryError):
        remote.function("grow")()
    assert time.monotonic() - started < 30
    assert remote.function("fine")() == 1.5
    remote.session.close()


def test_sys_exit_is_an_exception_and_os_exit_ends_only_the_session(sandbox):
    remote = open_session(sandbox, """
        import os, sys
        def polite():
            sys.exit(0)
        def brutal():
            os._exit(0)
    """)
    with pytest.raises(StudentError, match=r"called sys.exit\(0\)"):
        remote.function("polite")()
    with pytest.raises(SessionLost, match="ended unexpectedly"):
        remote.function("brutal")()


def test_background_processes_are_killed_when_the_session_ends(sandbox):
    marker = processes.new_marker()
    remote = open_session(sandbox, f"""
        import os, subprocess, sys
        def spawn():
            subprocess.Popen({processes.sleeper_command(marker)})             # a plain child
            if os.fork() == 0:                                               # a daemon: double fork + setsid
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, {processes.sleeper_command(marker)})
                os._exit(0)
            return len(os.listdir("/proc"))
    """)
    remote.function("spawn")()
    # Both sleepers must be running before the session ends: the daemon's
    # exec can lag behind the plain child's on a loaded machine.
    assert len(processes.wait_until_present(marker, count=2)) == 2
    started = time.monotonic()
    end = remote.session.close()
    assert processes.wait_until_gone(marker, 5.0) == []
    assert time.monotonic() - started < 10
    if "pid-namespace" not in remote.session.isolation:
        # Exactly the two sleepers: counted as the supervisor reaps them, so the
        # plain child killed with the runner's process group counts even when
        # no scan saw it; the daemon's first fork, which had exited on its own,
        # does not.
        assert end.killed == 2


def test_killing_the_supervisor_does_not_free_the_student_process(sandbox):
    marker = processes.new_marker()
    remote = open_session(sandbox, f"""
        import os, signal, subprocess, sys
        def escape():
            subprocess.Popen({processes.sleeper_command(marker)}, start_new_session=True)
            parent = os.getppid()
            if parent > 1:
                os.kill(parent, signal.SIGKILL)
            return parent
    """)
    parent = remote.function("escape")()
    if "pid-namespace" in remote.session.isolation:
        assert parent == 0  # the supervisor is outside the student's PID namespace: invisible
    remote.session.close()
    assert processes.wait_until_gone(marker, 3.0) == []


def test_floods_of_output_are_truncated(sandbox):
    remote = open_session(sandbox, """
        import os, sys
        def flood():
            for _ in range(20000):
                print("x" * 1000)
            chunk = b"y" * (1 << 20)
            for _ in range(50):
                os.write(1, chunk)
            return 42
    """)
    started = time.monotonic()
    import io
    import contextlib
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert remote.function("flood")() == 42
    assert len(printed.getvalue()) < 20 * 1024          # print() output, capped per call
    end = remote.session.close()
    assert len(end.output) < 4096 + 200                 # fd-level output, capped per session
    assert "more bytes of output not kept" in end.output
    assert time.monotonic() - started < 20


def test_limits_cannot_be_raised(sandbox):
    remote = open_session(sandbox, """
        import resource
        def raise_limit():
            try:
                resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
                return "raised"
            except (ValueError, OSError) as error:
                return type(error).__name__
    """)
    assert remote.function("raise_limit")() != "raised"
    remote.session.close()


def test_the_plan_hides_a_folder_only_where_a_bound_folder_would_show_it(tmp_path):
    plan = rootfs.root_plan(rootfs.allowed_top_levels(), tmp_path / "site")
    installation = rootfs.python_installation()[0]
    kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    hidden = rootfs.hide_in(plan, ["/usr/share", os.path.dirname(installation), kit, tmp_path / "absent"])
    masks = [step["path"] for step in hidden[len(plan):]]
    # /usr/share is bound with /usr: hidden.  The folder holding the Python
    # installation is needed: left alone.  The kit is not in the root at all.
    assert masks == (["/usr/share"] if not installation.startswith("/usr/share") else [])
    assert all(step["op"] == "tmpfs" and step["readonly"] for step in hidden[len(plan):])
    assert not any(kit in path for path in planned_paths(plan))


def test_paths_of_the_plan_resolve_inside_the_new_root(tmp_path):
    """A link in the new root, even an absolute one or one climbing with
    "..", never leads a step to the host's file system."""
    root = tmp_path / "root"
    (root / "usr" / "lib").mkdir(parents=True)
    os.symlink("usr/lib", root / "lib")
    os.symlink("/usr/lib", root / "absolute")
    os.symlink("/../../../../etc", root / "climbing")
    os.symlink("loop", root / "loop")
    builder = runner.RootBuilder(str(root), None)
    inside = lambda path: builder.locate(path)[len(str(root.resolve())):]  # noqa: E731
    assert inside("/lib/libc.so") == inside("/absolute/libc.so") == "/usr/lib/libc.so"
    assert inside("/climbing/shadow") == "/etc/shadow"
    assert inside("/lib") == "/lib"                          # the last component is never followed
    with pytest.raises(OSError, match="too many links"):
        builder.locate("/loop/x")


VIEW = """
    import errno, os, pwd
    def listing(path):
        try:
            return sorted(os.listdir(path))
        except OSError as error:
            return errno.errorcode[error.errno]
    def write(path):
        try:
            with open(path, "w") as handle:
                handle.write("x")
            return "written"
        except OSError as error:
            return errno.errorcode[error.errno]
    def places():
        return [os.environ["HOME"], os.environ["TMPDIR"], os.getcwd(), pwd.getpwuid(os.getuid()).pw_dir,
                os.path.realpath("/tmp"), os.path.realpath("/dev/shm")]
    def kernel_settings_writable():
        return [os.access(path, os.W_OK) for path in ("/proc/sys/kernel/pid_max", "/proc/sysrq-trigger")]
    def fill(folder):
        written, chunk = 0, b"z" * (1 << 20)
        for number in range(10000):
            try:
                with open(os.path.join(folder, f"fill-{number}"), "wb") as handle:
                    handle.write(chunk)
            except OSError as error:
                return written, errno.errorcode[error.errno]
            written += len(chunk)
        return written, ""
"""


def test_the_students_file_system_is_the_minimal_root(sandbox):
    remote = open_session(sandbox, VIEW)
    if "minimal-root" not in remote.session.isolation:
        pytest.skip(f"no minimal root in this mode: {remote.session.unconfined}")
    listing, write = remote.function("listing"), remote.function("write")
    planned = {path.split("/")[1] for path in planned_paths(sandbox.root_plan())}
    assert listing("/") == sorted(planned)               # nothing at the top but what the plan put there
    assert listing("/etc") == sorted(["group", "hosts", "passwd"] + (["ld.so.cache"] * os.path.isfile("/etc/ld.so.cache")))
    assert listing("/dev") == ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom", "zero"]
    kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for absent in (kit, "/etc/shadow", str(sandbox.root / "home")):
        assert listing(absent) == "ENOENT", absent
    home = os.path.realpath(os.path.expanduser("~"))      # only what leads to the Python installation, if anything
    leading = sorted({path[len(home) + 1:].split("/")[0] for path in planned_paths(sandbox.root_plan())
                      if path.startswith(home + "/")})
    assert listing(home) == (leading or "ENOENT")
    site = [step["path"] for step in sandbox.root_plan() if step["op"] == "tmpfs" and not step.get("readonly")]
    for folder in site:                                  # site-packages holds the allowed distributions only
        assert set(listing(folder)) == {name for name, path in sandbox.links.items() if path.exists()}
    # HOME, TMPDIR, the working folder and the passwd entry's home are the scratch folder; /tmp is its sibling.
    assert remote.function("places")() == ["/home/student"] * 4 + ["/tmp", "/tmp"]
    for path in ("/x", "/etc/x", "/usr/x", "/proc/sys/kernel/pid_max"):   # "x" would be refused anyway
        assert write(path) in ("EROFS", "EACCES"), path
    assert write("/home/student/x") == "written" and listing("/home/student") == ["x"]
    assert write("/tmp/y") == "written"
    assert remote.function("kernel_settings_writable")() == [False, False]
    written, error = remote.function("fill")("/home/student")
    assert error == "ENOSPC" and written <= sandbox.limits.scratch_bytes
    assert write("/tmp/z") == "ENOSPC"                    # one cap for both folders
    remote.session.close()


def test_each_session_starts_with_an_empty_scratch_folder(sandbox):
    first = open_session(sandbox, VIEW)
    if "minimal-root" not in first.session.isolation:
        pytest.skip(f"no minimal root in this mode: {first.session.unconfined}")
    assert first.function("write")("/home/student/left-behind") == "written"
    second = open_session(sandbox, VIEW)                  # while the first still runs
    assert second.function("listing")("/home/student") == []
    first.session.close()
    second.session.close()


SPAWN = """
    import os, threading, time
    def spawn(count):
        children = 0
        for _ in range(count):
            try:
                pid = os.fork()
            except OSError as error:
                return children, type(error).__name__
            if pid == 0:
                time.sleep(600)
                os._exit(0)
            children += 1
        return children, ""
    def threads(count):
        started, event, error = 0, threading.Event(), ""
        try:
            for _ in range(count):
                threading.Thread(target=event.wait, daemon=True).start()
                started += 1
        except RuntimeError as raised:
            error = type(raised).__name__
        event.set()
        return started, error
"""


def test_processes_and_threads_are_capped(sandbox):
    remote = open_session(sandbox, SPAWN)
    if "process-limit" not in remote.session.isolation:
        pytest.skip("no process limit in force here (no pids cgroup, and the student's user is root)")
    cap = sandbox.limits.processes
    started, error = remote.function("threads")(4 * cap)
    assert started < cap and error == "RuntimeError"
    children, error = remote.function("spawn")(4 * cap)
    assert children < cap and error == "BlockingIOError"
    remote.session.close()


def test_strings_from_the_grader_are_interned_as_literals_would_be(sandbox):
    """``activation is "relu"`` holds in a notebook (both literals are the
    same interned string); it must hold when the grader passes "relu"."""
    remote = open_session(sandbox, """
        def branch(activation):
            if activation is "relu":
                return "relu"
            if activation is "sigmoid":
                return "sigmoid"
            return "none"
        def same(text):
            return text is "two words"
    """)
    branch = remote.function("branch")
    assert [branch("relu"), branch("sigmoid"), branch("tanh")] == ["relu", "sigmoid", "none"]
    assert remote.function("same")("two words") is False   # not an identifier: not interned locally either
    remote.session.close()


def test_an_error_names_the_students_function_and_its_line(sandbox):
    remote = open_session(sandbox, """
        import numpy as np
        def helper(x):
            return x @ np.ones((5, 5))
        def backward(x):
            y = 2 * x
            return helper(y)
        class MLP:
            def forward(self, x):
                return backward(x)
    """)
    with pytest.raises(ValueError) as raised:
        remote.function("backward")(np.ones((2, 3)))
    assert raised.value.student_where == ["in your backward, line 7: return helper(y)",
                                          "in your helper, line 4: return x @ np.ones((5, 5))"]
    with pytest.raises(ValueError) as raised:
        remote.klass("MLP")().forward(np.ones((2, 3)))
    assert raised.value.student_where[0] == "in your MLP.forward, line 10: return backward(x)"
    remote.session.close()


def test_collections_during_calls_leave_the_mirrored_arrays_intact(sandbox):
    """Weak references to the grader's arrays die at any moment; with the
    collector forced at almost every allocation, every call still gets the
    right arrays and every dead one is released."""
    remote = open_session(sandbox, "def total(x, y):\n    return float(x.sum() + y.sum())\n")
    total, kept = remote.function("total"), np.ones(4)
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for number in range(300):
            array = np.full(3, float(number))
            cycle = [array]
            cycle.append(cycle)
            assert total(array, kept) == 3.0 * number + 4.0
            del array, cycle
    finally:
        gc.set_threshold(*thresholds)
    gc.collect()
    assert len(remote.shared.arrays) == 1 and remote.shared.arrays.encode(kept)["token"] == "p2"
    remote.session.close()


def test_nothing_survives_the_grader_being_killed(tmp_path):
    marker = processes.new_marker()
    script = tmp_path / "grader.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        from autograder.sandbox import Remote, Sandbox
        sandbox = Sandbox()
        remote = Remote()
        remote.attach(sandbox.session("victim"))
        remote.load([{{"id": "c", "source": "import subprocess, sys\\n"
                       "def spawn():\\n"
                       "    subprocess.Popen({processes.sleeper_command(marker)}, start_new_session=True)\\n"}}], 10)
        remote.function("spawn")()
        print("ready", flush=True)
        time.sleep(600)
    """))
    grader = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        assert grader.stdout.readline().strip() == "ready"
        assert processes.wait_until_present(marker)
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    assert processes.wait_until_gone(marker, 5.0) == []


LAYER = "g = get_activation(activation)\n    z = W @ a_prev + b\n    a = g(z)"


def grade_layer_forward(tmp_path, body: str):
    notebook = builders.edit_answer(builders.solution("02_forward_pass"), "layer_forward", LAYER, body)
    builders.write(notebook, tmp_path, "02_forward_pass")
    source = "".join(builders.cell(notebook, "layer_forward")["source"])
    with Grader(stages=["02_forward_pass"]) as grader:
        return grader.grade(tmp_path, stages=["02_forward_pass"], seed=1).stages[0], source


def test_activation_is_relu_earns_every_point_as_it_does_in_the_notebook(tmp_path):
    """The student's code of issue 10, item 8: it passes every public check
    in the student's pytest, where the literals are one interned string."""
    stage, _ = grade_layer_forward(tmp_path, 'z = W @ a_prev + b\n'
                                             '    if activation is "relu":\n        a = get_activation("relu")(z)\n'
                                             '    elif activation is "sigmoid":\n        a = get_activation("sigmoid")(z)\n'
                                             '    elif activation is "tanh":\n        a = get_activation("tanh")(z)')
    assert stage.score == stage.max_score > 0, [(c.name, c.message) for c in stage.checks if not c.passed]


def test_a_failing_check_points_to_the_students_function_and_line(tmp_path):
    stage, source = grade_layer_forward(tmp_path, "g = get_activation(activation)\n    z = W.T @ a_prev + b\n"
                                                  "    a = g(z)")
    line = source.splitlines().index("    z = W.T @ a_prev + b") + 1
    where = f"(in your layer_forward, line {line}: z = W.T @ a_prev + b)"
    failed = [check for check in stage.checks if not check.passed]
    assert failed and all(where in check.message for check in failed
                          if "raised ValueError" in check.message), [c.message for c in failed]
    assert any(where in check.message for check in failed)


@pytest.mark.slow
def test_a_python_environment_under_tmp_is_importable_inside_the_sandbox():
    """Inside the sandbox /tmp is the student's scratch folder; a virtual
    environment that lives in the host's /tmp (a CI job's, say) must still
    be there.  (It once was covered by the scratch folder, and numpy.random
    could not be imported.)"""
    base = Path(tempfile.mkdtemp(prefix="mlpkit-venv-", dir="/tmp"))
    try:
        environment = base / "venv"
        venv.EnvBuilder(with_pip=False).create(environment)
        python = environment / "bin" / "python"
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "numpy",
                        "matplotlib"], check=True, capture_output=True, text=True, timeout=900)
        script = textwrap.dedent("""
            import json
            from autograder.sandbox import Remote, Sandbox
            with Sandbox() as sandbox:
                remote = Remote()
                remote.attach(sandbox.session("venv"))
                remote.load([{"id": "c", "source": "import numpy, matplotlib.pyplot\\n"
                                                     "def where():\\n"
                                                     "    import numpy.random\\n"
                                                     "    return numpy.__file__, float(numpy.random.RandomState(0).rand())\\n"}], 30)
                print(json.dumps({"where": remote.function("where")(), "isolation": remote.session.isolation}))
        """)
        result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=300,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0, result.stderr[-3000:]
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        assert seen["where"][1] == np.random.RandomState(0).rand(), seen   # numpy.random imported in there
        assert "minimal-root" in seen["isolation"], seen
    finally:
        shutil.rmtree(base, ignore_errors=True)
