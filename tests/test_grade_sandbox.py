"""The sandbox against hostile code, in both modes: with Linux namespaces
(where the kernel allows them) and without ("basic").  Each test states
the exact effect: the grader gets an answer or a SessionLost in bounded
time, and nothing the student's code started is left running."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from autograder.sandbox import Limits, Remote, Sandbox, SessionLost, StudentError

from .support.hostile import processes

LIMITS = dict(call_seconds=2.0, memory_bytes=1024 ** 3, output_bytes=4096)
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
    if sandbox.mode == "basic":
        assert "pid-namespace" not in isolation
    elif "pid-namespace" not in isolation:
        pytest.skip("this kernel refuses unprivileged namespaces: only basic mode is available")
    else:
        assert {"mount-namespace", "no-network", "private-proc", "kit-hidden"} <= set(isolation)
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
        assert end.killed >= 2


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
