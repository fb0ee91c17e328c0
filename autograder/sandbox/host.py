"""The grader's side of the sandbox: start the child processes, talk to
them, time them out and kill them (see ``runner.py`` for the far side and
``docs/grading.md`` for what is guaranteed).

One ``Sandbox`` per grading run starts a zygote (``python -I -S -B``,
scrubbed environment, a ``sys.path`` of the standard library plus a folder
of links to NumPy, Matplotlib and their dependencies only).  Each
``Session`` is one supervised runner process in which one notebook's cells
run; the grader sends it requests on a socket pair, reads what it prints
through a pipe (keeping at most ``Limits.output_bytes``), and ends it by
closing a control socket, upon which the supervisor kills the runner and
everything below it and reports back.  Each runner is confined to a
minimal root of its own (``rootfs.py`` plans it, ``runner.py`` builds it);
``Session.isolation`` says what was in force, ``CONFINEMENT`` what
confinement needs, and ``probe_confinement`` what this machine gives.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from . import rootfs, wire
from .limits import Limits

RUNNER_SCRIPT = Path(__file__).with_name("runner.py")
# Modules the runner loads from their source (it cannot import the kit).
RUNNER_SOURCES = {"wire": Path(__file__).with_name("wire.py"), "mirror": Path(__file__).with_name("mirror.py")}
# What must be in force for student code to be confined: its own file
# system (the minimal root, with a capped scratch folder), its own processes
# (signals reach nothing outside), no network, and capped processes.
CONFINEMENT = ("minimal-root", "scratch-limit", "pid-namespace", "no-network", "process-limit")


class LossReason(str, Enum):
    """Why a session can no longer be used."""

    TIMED_OUT = "timed-out"        # a request got no reply in time
    ENDED = "ended"                # the runner process died
    UNREADABLE = "unreadable"      # the runner broke the protocol
    CLOSED = "closed"              # the grader ended the session (or used an object of an ended one)


class SessionLost(BaseException):
    """The student's process timed out, crashed or broke the protocol.

    ``why`` says which (a ``LossReason``), ``reason`` in words.  A
    ``BaseException`` on purpose: instructor test code that catches
    ``Exception`` around a student call must not swallow it."""

    def __init__(self, why: LossReason, reason: str):
        super().__init__(reason)
        self.why = why
        self.reason = reason


class SandboxError(Exception):
    """The sandbox itself could not be started (not the student's fault)."""


# ------------------------------------------------------------------ sandbox

def _matplotlib_config(folder: Path) -> Path:
    """A private MPLCONFIGDIR seeded with the grader's font cache (building
    it from scratch costs about half a second per run)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for cache in _matplotlib_cachedir().glob("fontlist-*.json"):
            shutil.copy(cache, folder / cache.name)
    except Exception:  # noqa: BLE001 - a missing cache only costs time
        pass
    return folder


def _matplotlib_cachedir() -> Path:
    """Where Matplotlib keeps its font cache (``matplotlib.get_cachedir()``
    on Linux), found without importing it: the sandbox starts sooner."""
    if os.environ.get("MPLCONFIGDIR"):
        return Path(os.environ["MPLCONFIGDIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "matplotlib"


def confinement_gaps(isolation: list[str]) -> list[str]:
    """What of ``CONFINEMENT`` is missing from a session's isolation."""
    return [item for item in CONFINEMENT if item not in isolation]


@dataclass(frozen=True)
class Confinement:
    """What a session of this machine gets: its isolation, what of
    ``CONFINEMENT`` is missing, and why (in words, "" when nothing is)."""
    isolation: list[str]
    missing: list[str]
    why: str


def probe_confinement(limits: Limits | None = None) -> Confinement:
    """Start a sandbox and one session to see what confinement this
    machine gives student code (about half a second)."""
    with Sandbox(limits) as sandbox:
        session = sandbox.session("probe")
        session.close()
        missing = confinement_gaps(session.isolation)
        return Confinement(list(session.isolation), missing, session.unconfined if missing else "")


class Sandbox:
    """The zygote process and the temporary folders of one grading run."""

    def __init__(self, limits: Limits | None = None, hide: tuple = (), wait: bool = True):
        """Start the zygote.  ``wait=False`` returns as soon as it is
        spawned: its start (importing NumPy and Matplotlib, a few tenths of a
        second) then overlaps what the caller does until the first session,
        which waits for it (``ready``)."""
        self.limits = limits or Limits()
        self.root = Path(tempfile.mkdtemp(prefix="mlpkit-grade-"))
        self.links = rootfs.allowed_top_levels()
        self.link_folder = self.root / "site"
        self.plan = rootfs.root_plan(self.links, self.link_folder, self.limits.scratch_bytes)
        self.hide = [str(path) for path in hide]   # folders never to be seen (rootfs.hide_in decides where)
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.log_path = self.root / "zygote.log"
        self.zygote_pid: int | None = None
        self.pids_cgroups = ""   # the folder holding each session's pids cgroup, "" where none can be made
        self.started = False     # the zygote said it is ready
        self.spare: tuple | None = None   # (root plan, Session) started ahead for the next ``session``
        try:
            self._spawn()
            if wait:
                self.ready()
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> None:
        links = rootfs.build_link_folder(self.link_folder, self.links)
        home = self.root / "home"
        home.mkdir()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home),
               "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": str(_matplotlib_config(self.root / "matplotlib")),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.control, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(RUNNER_SCRIPT), "zygote", str(child_end.fileno())],
                pass_fds=[child_end.fileno()], env=env, cwd=home, stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True)
        child_end.close()
        sources = {name: path.read_text() for name, path in RUNNER_SOURCES.items()}
        self.control.sendall(json.dumps({"path": str(links), "sources": sources,
                                         "grader_pid": os.getpid()}).encode())

    def ready(self) -> None:
        """Wait until the zygote has started (once)."""
        if self.started:
            return
        try:
            reply = self._control_reply(30.0)
            if not reply.get("ready"):
                raise SandboxError(f"the sandbox did not start: {self._log_tail()}")
        except BaseException:
            self.close()
            raise
        self.started = True
        self.zygote_pid = reply["pid"]
        self.pids_cgroups = str(reply.get("pids_cgroups", ""))

    def _control_reply(self, timeout: float) -> dict:
        self.control.settimeout(timeout)
        try:
            data = self.control.recv(1 << 16)
        except (TimeoutError, OSError):
            data = b""
        if not data:
            raise SandboxError(f"the sandbox stopped answering: {self._log_tail()}")
        return json.loads(data)

    def fork_supervisor(self, request: dict, fds: list[int]) -> int:
        """Ask the zygote for a supervisor serving ``request``, handing it
        ``fds`` (protocol socket, output pipe, control socket); returns its pid."""
        self.ready()
        socket.send_fds(self.control, [json.dumps(request).encode()], fds)
        return int(self._control_reply(30.0)["supervisor"])

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:].strip() or "(no output)"
        except OSError:
            return "(no log)"

    def root_plan(self, hide=()) -> list[dict]:
        """The steps of a session's minimal root (``rootfs.root_plan``);
        ``hide`` adds folders to hide from this session."""
        return rootfs.hide_in(self.plan, self.hide + [str(path) for path in hide])

    def session(self, name: str = "session", hide=(), spare: bool = False) -> "Session":
        """A new runner; ``hide`` adds folders to hide from this one only.
        ``spare``: also start the next one now (same ``hide``), so that
        it is ready when asked for (the next stage of a submission) while
        this one is used; a spare that is not asked for is closed."""
        self.ready()
        plan = self.root_plan(hide)
        session = self._take_spare(plan)
        if session is None:
            session = Session(self, name, plan)
        else:
            session.name = name
        if spare:
            self.spare = (plan, Session(self, "spare", plan, wait=False))
        return session

    def _take_spare(self, plan: list[dict]) -> "Session | None":
        if self.spare is None:
            return None
        (planned, session), self.spare = self.spare, None
        if planned != plan:
            session.close()
            return None
        try:
            session.ready()
        except SandboxError:
            return None
        return session

    def close(self) -> None:
        if self.spare is not None:
            self.spare[1].close()
            self.spare = None
        if self.process is not None:
            try:
                self.control.close()
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class SessionEnd:
    """How a session ended: the runner's exit, how many stray processes the
    supervisor had to kill, and what the student's code printed."""
    exit: str
    killed: int
    output: str


class Session:
    """One runner process: load cells, make requests, end it."""

    def __init__(self, sandbox: Sandbox, name: str, root_plan: list[dict], wait: bool = True):
        """Start the runner; ``wait=False`` returns once it is forked, and
        ``ready`` waits for it to say hello (in its minimal root, limits
        set)."""
        self.name, self.limits = name, sandbox.limits
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=sandbox.root))
        self.proto, proto_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ctl, ctl_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        output_read, output_write = os.pipe()
        self.ended: SessionEnd | None = None
        self.lost: SessionLost | None = None  # set once the runner is unusable
        self.last_cell: str | None = None
        self.next_id = 1
        self.runner_pid: int | None = None
        self.supervisor_pid: int | None = None
        self.isolation: list[str] = []   # what was in force (see CONFINEMENT)
        self.unconfined = ""             # why the student's code is not confined, "" when it is
        self._output, self._dropped = bytearray(), 0
        self._drain = threading.Thread(target=self._drain_output, args=(output_read,), daemon=True)
        self._drain.start()
        request = {"workdir": str(self.workdir), "root": root_plan, "confine": self.limits.namespaces,
                   "user_namespace": self.limits.user_namespace,
                   "limits": {"memory_bytes": self.limits.memory_bytes, "file_bytes": self.limits.file_bytes,
                              "cpu_seconds": math.ceil(self.limits.submission_seconds) + 5,
                              "processes": self.limits.processes}}
        try:
            self.supervisor_pid = sandbox.fork_supervisor(request, [proto_child.fileno(), output_write,
                                                                    ctl_child.fileno()])
        finally:
            proto_child.close()
            ctl_child.close()
            os.close(output_write)
        self.greeted = False
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait until the runner has started (once)."""
        if self.greeted:
            return
        started = self._control_message(30.0)
        self.runner_pid = started.get("runner")
        try:
            hello = wire.recv(self.proto, time.monotonic() + 30.0)
        except (TimeoutError, EOFError, OSError, wire.WireError):
            self.close()
            raise SandboxError(f"the sandbox's runner did not start: {self.output()[-2000:]}")
        self.isolation = [str(item) for item in hello.get("isolation", [])]
        self.unconfined = str(hello.get("unconfined", ""))
        self.greeted = True

    # ------------------------------------------------------------- output
    def _drain_output(self, fd: int) -> None:
        cap = self.limits.output_bytes
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    return
                room = cap - len(self._output)
                if room > 0:
                    self._output += chunk[:room]
                self._dropped += max(0, len(chunk) - max(room, 0))

    def output(self) -> str:
        text = self._output.decode(errors="replace")
        if self._dropped:
            text += f"\n[... {self._dropped} more bytes of output not kept]"
        return text

    # ------------------------------------------------------------ control
    def _control_message(self, timeout: float) -> dict:
        self.ctl.settimeout(timeout)
        try:
            data = self.ctl.recv(1 << 16)
        except (TimeoutError, OSError):
            return {}
        return json.loads(data) if data else {}

    # ------------------------------------------------------------ requests
    def request(self, message: dict, timeout: float, on_callback=None) -> dict:
        """Send one request and wait for its reply, at most ``timeout``
        seconds.  Meanwhile the runner may ask for callbacks (a method of an
        object the grader passed in): ``on_callback(message)`` answers them.
        Raises SessionLost (and ends the session) on a timeout, a crash or a
        broken reply."""
        if self.lost:
            raise self.lost
        message = dict(message, id=self.next_id)
        self.next_id += 1
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            wire.send(self.proto, message)
            while True:
                reply = wire.recv(self.proto, deadline)
                if reply.get("op") == "progress":
                    self.last_cell = str(reply.get("cell"))
                    continue
                if reply.get("op") == "callback" and on_callback is not None:
                    answer = on_callback(reply)
                    if self.lost:
                        raise self.lost
                    wire.send(self.proto, dict(answer, op="callback_reply", cb=reply.get("cb")))
                    continue
                if reply.get("id") == message["id"]:
                    return reply
        except TimeoutError:
            self.lose(LossReason.TIMED_OUT, f"timed out after {timeout:g} s")
        except (EOFError, ConnectionError, BrokenPipeError):
            self.lose(LossReason.ENDED, "the student's process ended unexpectedly")
        except (OSError, wire.WireError) as error:
            self.lose(LossReason.UNREADABLE, f"the student's process sent an unreadable reply ({error})")
        raise self.lost

    def lose(self, why: LossReason, reason: str) -> SessionLost:
        """End the session as unusable, for ``why``; returns the SessionLost
        that every later request raises."""
        if self.lost is None:
            end = self.close()
            if why is LossReason.ENDED and end.exit:
                reason = f"{reason} ({end.exit})"
            self.lost = SessionLost(why, reason)
        return self.lost

    # ---------------------------------------------------------------- end
    def close(self) -> SessionEnd:
        """Kill the runner and everything it started; idempotent."""
        if self.ended:
            return self.ended
        exit_status, killed = "", 0
        try:
            self.ctl.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        deadline = time.monotonic() + 15
        done = False
        while time.monotonic() < deadline:
            message = self._control_message(max(deadline - time.monotonic(), 0.01))
            if not message:
                break
            if "exited" in message:
                exit_status = message["exited"]
            if message.get("done"):
                exit_status = exit_status or message.get("exit", "")
                killed = int(message.get("killed", 0))
                done = True
                break
        if not done:  # the supervisor is gone or stuck: kill what we know of directly
            for pid in (self.runner_pid, self.supervisor_pid):
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        for sock in (self.proto, self.ctl):
            sock.close()
        self._drain.join(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.ended = SessionEnd(exit_status or "killed", killed, self.output())
        return self.ended

    @property
    def usable(self) -> bool:
        return self.lost is None and self.ended is None
