"""The processes on the far side of the sandbox: zygote, supervisor, runner.

Run as ``python -I -S runner.py zygote FD`` by ``host.py``; never
imported by the grader.  ``-I -S`` keep the script's folder, user site and
``.pth`` files off ``sys.path``; the grader then sends the one folder of
links (NumPy, Matplotlib and what they need) to append.  This file uses the
standard library only until that message arrives, and never imports the
kit: the kit's packages are hidden from the student's process.

Three roles, one per process:

* **zygote** (one per grading run): imports NumPy and Matplotlib once, then
  forks a supervisor per stage session on the grader's request.  It runs no
  student code.  It is a child subreaper and kills any process that lands
  on it other than its supervisors (escapees whose supervisor was killed).
* **supervisor** (one per session): tries to unshare mount, PID, network,
  IPC and UTS namespaces, forks the runner and waits.  When the grader
  closes its control socket (or dies) it SIGKILLs the runner, then every
  process left below it, and reports.  In a PID namespace the kernel kills
  every process in it when the runner (its init) dies.
* **runner** (one per session, the only one that runs student code): hides
  the kit, limits itself (address space, CPU, file size, no core dumps),
  drops every capability, and answers the grader's requests on fd 3.
"""
import ctypes
import os
import select
import signal
import socket
import sys
import time
import traceback

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 24, 28
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 36, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# SECBIT_NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED, NO_CAP_AMBIENT_RAISE and their locks:
# uid 0 regains no capability through execve, ever.
SECUREBITS = 0b11101111
PROTOCOL_FD = 3
OUTPUT_CAP = 16 * 1024  # characters of print() output returned with one reply

_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option, arg=0):
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0))


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


# ====================================================================== zygote

def zygote(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    init = _recv_packet(control)
    sys.path.append(init["path"])
    wire = _load_module("mlpkit_wire", init["wire"])
    import numpy  # noqa: F401  (imported once here, shared by every forked runner)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != init["grader_pid"]:
        os._exit(1)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _send_packet(control, {"ready": True, "pid": os.getpid()})
    supervisors = set()
    while True:
        ready = select.select([control], [], [], 0.2)[0]
        _reap(supervisors)
        if not ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
        except OSError:
            message, fds = b"", []
        if not message:
            break
        import json
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            control.close()
            supervisor(request, fds, wire)  # never returns
        for fd in fds:
            os.close(fd)
        supervisors.add(pid)
        _send_packet(control, {"supervisor": pid})
    for pid in supervisors:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while supervisors and time.monotonic() < deadline:
        time.sleep(0.02)
        _reap(supervisors)
    for pid in _children_of(os.getpid()):
        _signal(pid, signal.SIGKILL)
    os._exit(0)


def _reap(supervisors: set) -> None:
    """Collect exited children; SIGKILL any child that is not a supervisor
    (a student process orphaned onto this subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        supervisors.discard(pid)
    for pid in _children_of(os.getpid()):
        if pid not in supervisors:
            _signal(pid, signal.SIGKILL)


def _children_of(parent: int) -> list:
    children = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(name))
    return children


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _send_packet(sock, message: dict) -> None:
    import json
    sock.sendall(json.dumps(message).encode())


def _recv_packet(sock) -> dict:
    import json
    data = sock.recv(1 << 22)
    if not data:
        os._exit(0)
    return json.loads(data)


def _load_module(name: str, source: str):
    import types
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


# ================================================================== supervisor

def supervisor(request: dict, fds: list, wire) -> None:
    """Own one runner: start it, wait, and kill everything when told."""
    try:
        proto_fd, output_fd, control_fd = fds
        control = socket.socket(fileno=control_fd)
        terminate = []
        signal.signal(signal.SIGTERM, lambda *_: terminate.append(True))
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        namespaces = request.get("namespaces", False) and _enter_namespaces(request.get("user_namespace", False))
        runner_pid = os.fork()
        if runner_pid == 0:
            control.close()
            runner(request, proto_fd, output_fd, namespaces, wire)  # never returns
        os.close(proto_fd)
        os.close(output_fd)
        _send_packet(control, {"runner": runner_pid, "namespaces": bool(namespaces)})
        status = None
        while not terminate:
            try:
                ready = select.select([control], [], [], 0.1)[0]
            except InterruptedError:
                continue
            if ready and not control.recv(1 << 16):
                break  # the grader is done with this session, or has died
            while True:  # reap the runner and, without a PID namespace, any orphan
                try:
                    pid, code = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if pid == runner_pid and status is None:
                    status = code
                    _send_packet(control, {"exited": _describe_status(code)})
        killed, reaped = _kill_everything(runner_pid, status is None)
        status = status if status is not None else reaped
        try:
            _send_packet(control, {"done": True, "killed": killed,
                                   "exit": _describe_status(status) if status is not None else "killed"})
        except OSError:
            pass
    except BaseException:  # noqa: BLE001 - the zygote's log is the only place to say it
        traceback.print_exc()
    finally:
        os._exit(0)


def _kill_everything(runner_pid: int, runner_alive: bool) -> tuple:
    """SIGKILL the runner's process group, the runner, and every process
    left below this subreaper, until none remains.  Returns how many
    processes other than the runner were killed, and the runner's wait
    status if it was reaped here (its own exit if it had already ended)."""
    status = None
    if runner_alive:
        try:  # a runner that has just ended on its own: keep its exit status
            pid, code = os.waitpid(runner_pid, os.WNOHANG)
            if pid == runner_pid:
                status, runner_alive = code, False
        except ChildProcessError:
            runner_alive = False
    if runner_alive:
        _signal(-runner_pid, signal.SIGKILL)
        _signal(runner_pid, signal.SIGKILL)
    others = set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = _children_of(os.getpid())
        if not children:
            break
        for pid in children:
            # Stop before kill, so that a process cannot fork between the scans.
            _signal(pid, signal.SIGSTOP)
        for pid in children:
            _signal(pid, signal.SIGKILL)
            if pid != runner_pid:
                others.add(pid)
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)
                break
            if pid == runner_pid and status is None:
                status = code
    while status is None and time.monotonic() < deadline:  # an init still tearing its namespace down
        try:
            pid, code = os.waitpid(runner_pid, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == runner_pid:
            status = code
        else:
            time.sleep(0.005)
    return len(others), status


def _describe_status(code: int) -> str:
    if os.WIFSIGNALED(code):
        number = os.WTERMSIG(code)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.WEXITSTATUS(code)}"


def _enter_namespaces(user_namespace: bool = False) -> list:
    """Unshare mount, PID, network, IPC and UTS namespaces, inside a new
    user namespace when not root (or when asked: the tests exercise that
    path as root).  Returns the list of what was achieved, or []."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    uid, gid = os.getuid(), os.getgid()
    user_namespace = user_namespace or uid != 0
    if user_namespace:
        flags |= CLONE_NEWUSER
    if _libc.unshare(ctypes.c_int(flags)) != 0:
        return []
    if user_namespace:
        try:
            for path, text in [("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"0 {uid} 1"),
                               ("/proc/self/gid_map", f"0 {gid} 1")]:
                with open(path, "w") as handle:
                    handle.write(text)
        except OSError:
            return []
    return ["pid-namespace", "mount-namespace", "no-network"]


# ====================================================================== runner

def runner(request: dict, proto_fd: int, output_fd: int, namespaces, wire) -> None:
    """Confine this process, then serve the grader's requests on fd 3."""
    try:
        isolation = list(namespaces or [])
        os.setsid()
        if namespaces:
            isolation += _mount_private(request["hide"], request["workdir"])
        isolation += _set_limits(request["limits"])
        isolation += _drop_privileges()
        os.chdir(request["workdir"])
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.dup2(proto_fd, PROTOCOL_FD)
        os.closerange(PROTOCOL_FD + 1, 1 << 16)
        for number in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
    except BaseException:  # noqa: BLE001 - report anything, then stop
        os.write(output_fd, traceback.format_exc().encode())
        os._exit(70)
    Runner(wire, isolation).serve(socket.socket(fileno=PROTOCOL_FD))
    os._exit(0)


def _mount_private(hide: list, workdir: str) -> list:
    achieved = []
    if _libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0:
        return achieved  # mounting now could propagate to the grader's own namespace
    if _libc.mount(b"proc", b"/proc", b"proc", ctypes.c_ulong(MS_NOSUID | MS_NODEV | MS_NOEXEC), None) == 0:
        achieved.append("private-proc")
    hidden = bool(hide)
    for path in hide:
        flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
        if not os.path.isdir(path) or _libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", ctypes.c_ulong(flags),
                                                  b"size=4k,mode=000") != 0:
            hidden = False  # say so rather than stop: the report lists what was in force
    if hidden:
        achieved.append("kit-hidden")
    return achieved


def _set_limits(limits: dict) -> list:
    import resource
    memory = int(limits["memory_bytes"])
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["file_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    return ["rlimits"]


def _drop_privileges() -> list:
    """Drop every capability (as root, or inside a user namespace) so that
    the limits cannot be raised and the mounts cannot be undone."""
    achieved = []
    with open("/proc/self/status") as status:
        effective = next(line for line in status if line.startswith("CapEff:")).split()[1]
    if int(effective, 16):
        _check(_prctl(PR_SET_SECUREBITS, SECUREBITS), "set securebits")
        for cap in range(64):
            if _prctl(PR_CAPBSET_DROP, cap) != 0 and ctypes.get_errno() != 22:  # EINVAL: past the last cap
                _check(-1, f"drop capability {cap}")
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]

        header, data = Header(0x20080522, 0), (Data * 2)()
        _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "drop capabilities")
        achieved.append("no-capabilities")
    _check(_prctl(PR_SET_NO_NEW_PRIVS, 1), "set no_new_privs")
    return achieved


class _CappedText:
    """A text stream that keeps the first OUTPUT_CAP characters."""

    def __init__(self):
        self.parts, self.size, self.dropped = [], 0, 0

    def write(self, text):
        text = str(text)
        room = OUTPUT_CAP - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def getvalue(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters not kept]\n"
        return text


class Runner:
    """Executes the notebook's cells and answers call requests.

    Arrays are mirrored by token between the two sides: every array that
    crosses keeps its token, so an array passed in and modified in place,
    or an array the grader holds and modifies, stays in step on both sides
    (see ``autograder.remote``).  Objects that are not plain data stay here
    as numbered handles."""

    def __init__(self, wire, isolation):
        import numpy as np
        self.np = np
        self.wire = wire
        self.isolation = isolation
        import types
        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main
        self.namespace = main.__dict__
        self.handles, self.next_handle = {}, 1
        self.arrays, self.snapshots, self.tokens, self.next_token = {}, {}, {}, 1
        runner = self

        class ChildCodec(wire.Codec):
            def encode_array(self, array):
                return runner._encode_array(array)

            def decode_array(self, node):
                return runner._decode_array(node)

            def encode_other(self, value):
                export = type(value).__dict__.get("_mlpkit_export")
                if export is not None:
                    return {"t": "export", "v": export}
                figure = runner._figure(value)
                if figure is not None:
                    return {"t": "figure", "v": self.encode(figure)}
                return runner._encode_handle(value)

            def decode_export(self, node):
                return runner._parent_object(node)

            def decode_handle(self, node):
                if node.get("v") not in runner.handles:
                    raise wire.WireError("unknown handle")
                return runner.handles[node["v"]]

            def decode_global(self, node):
                return runner._target({"name": str(node.get("v"))})

        self.codec = ChildCodec()

    # --------------------------------------------------------------- mirroring
    def _register(self, token, array):
        self.arrays[token] = array
        self.snapshots[token] = array.copy()
        self.tokens[id(array)] = token

    def _encode_array(self, array):
        token = self.tokens.get(id(array))
        if token is not None and self.arrays.get(token) is array:
            return {"t": "array", "token": token}
        token = f"c{self.next_token}"
        self.next_token += 1
        self._register(token, array)
        return {"t": "array", "token": token, "npy": self.wire.array_to_text(array)}

    def _decode_array(self, node):
        token = node.get("token")
        if type(token) is not str:
            raise self.wire.WireError("array without a token")
        if "npy" in node:
            array = self.wire.array_from_text(node["npy"])
            if node.get("readonly"):
                array.flags.writeable = False
            self._register(token, array)
            return array
        if token not in self.arrays:
            raise self.wire.WireError(f"unknown array token {token}")
        return self.arrays[token]

    def _encode_handle(self, value):
        number = self.next_handle
        self.next_handle += 1
        self.handles[number] = value
        kind = type(value)
        return {"t": "handle", "v": number, "callable": callable(value),
                "type": str(getattr(kind, "__qualname__", "object"))[:80],
                "module": str(getattr(kind, "__module__", ""))[:80],
                "ndarray_subclass": isinstance(value, self.np.ndarray)}

    def _figure(self, value):
        """A Matplotlib figure as plain data (see autograder/figures.py), or None."""
        from matplotlib.figure import Figure
        if not isinstance(value, Figure):
            return None
        try:
            return _describe_figure(value, self.np)
        except Exception:  # noqa: BLE001 - a broken figure travels as a handle
            return None

    # ------------------------------------------------------------- callbacks
    def _parent_object(self, node):
        """A stand-in for an object of the grader passed to the student's
        code (a model whose forward method records its inputs, say)."""
        runner = self

        class ParentObject:
            __slots__ = ()

            def __getattr__(self, attr):
                if attr.startswith("_"):
                    raise AttributeError(attr)
                return runner.callback({"export": node.get("v"), "attr": attr})

            def __call__(self, *args, **kwargs):
                return runner.callback({"export": node.get("v"),
                                        "args": [runner.codec.encode(a) for a in args],
                                        "kwargs": {str(k): runner.codec.encode(v) for k, v in kwargs.items()}})

            def __repr__(self):
                return f"<{node.get('type')} object of the grader>"

        ParentObject.__name__ = ParentObject.__qualname__ = str(node.get("type", "object"))[:80]
        ParentObject._mlpkit_export = node.get("v")
        if not node.get("callable"):
            del ParentObject.__call__
        return ParentObject()

    def callback(self, message: dict):
        """Ask the grader to run a method of one of its objects; serve any
        request that arrives meanwhile (the grader may call back in)."""
        wire = self.wire
        self.next_callback = getattr(self, "next_callback", 0) + 1
        number = self.next_callback
        wire.send(self.sock, dict(message, op="callback", cb=number))
        while True:
            request = wire.recv(self.sock)
            if request.get("op") == "callback_reply" and request.get("cb") == number:
                break
            self.answer(request)
        if request.get("ok"):
            return self.codec.decode(request.get("value", {"t": "none"}))
        error = request.get("error") or {}
        import builtins
        kind = getattr(builtins, str(error.get("type")), None)
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            kind = RuntimeError
        raise kind(str(error.get("message", "")))

    def _changed_arrays(self) -> list:
        changes = []
        for token, array in self.arrays.items():
            before = self.snapshots[token]
            if array.shape != before.shape or array.dtype != before.dtype or array.tobytes() != before.tobytes():
                self.snapshots[token] = array.copy()
                changes.append({"token": token, "npy": self.wire.array_to_text(array)})
        return changes

    def _apply(self, request):
        np = self.np
        for token in request.get("release", []):
            array = self.arrays.pop(token, None)
            self.snapshots.pop(token, None)
            if array is not None and self.tokens.get(id(array)) == token:
                del self.tokens[id(array)]
        for number in request.get("release_handles", []):
            self.handles.pop(number, None)
        for change in request.get("sync", []):
            array = self.arrays.get(change["token"])
            new = self.wire.array_from_text(change["npy"])
            if array is not None and array.shape == new.shape:
                np.copyto(array, new, casting="unsafe")
                self.snapshots[change["token"]] = array.copy()
        if "rng" in request:
            np.random.set_state(self.wire.rng_state_from_node(request["rng"]))

    # ----------------------------------------------------------------- serving
    def serve(self, sock) -> None:
        wire = self.wire
        self.sock = sock
        wire.send(sock, {"op": "hello", "isolation": self.isolation, "pid": os.getpid()})
        while True:
            try:
                request = wire.recv(sock)
            except (EOFError, OSError, wire.WireError):
                return
            self.answer(request)

    def answer(self, request: dict) -> None:
        wire = self.wire
        try:
            reply = self.handle(request)
        except BaseException as error:  # noqa: BLE001 - a broken request or a hostile cell
            reply = {"ok": False, "error": self._describe(error)}
        reply["id"] = request.get("id")
        try:
            wire.send(self.sock, reply)
        except wire.WireError as error:
            wire.send(self.sock, {"id": request.get("id"), "ok": False,
                                  "error": {"type": "WireError", "module": "mlpkit", "message": str(error)}})

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "load":
            return self.load(request["cells"])
        if op in ("call", "getattr", "setattr"):
            return self.call(request)
        if op == "ping":
            return {"ok": True}
        raise ValueError(f"unknown request {op!r}")

    def load(self, cells: list) -> dict:
        import linecache
        import matplotlib.pyplot as plt
        results = []
        out, err = _CappedText(), _CappedText()
        import warnings
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            for cell in cells:
                self.wire.send(self.sock, {"op": "progress", "cell": cell["id"]})
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        source = _strip_magics(cell["source"])
                        filename = f"<cell {cell['id']}>"
                        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
                        code = compile(source, filename, "exec")
                        exec(code, self.namespace)
                    results.append({"id": cell["id"], "ok": True})
                except BaseException as error:  # noqa: BLE001 - SystemExit included
                    results.append({"id": cell["id"], "ok": False, "error": self._describe(error)})
        finally:
            sys.stdout, sys.stderr = saved
            try:
                plt.close("all")
            except Exception:  # noqa: BLE001 - a cell may have broken pyplot
                pass
        return {"ok": True, "cells": results, "stdout": out.getvalue(), "stderr": err.getvalue(),
                "defined": sorted(name for name in self.namespace if not name.startswith("_"))}

    def call(self, request: dict) -> dict:
        import inspect
        import warnings
        np, wire, codec = self.np, self.wire, self.codec
        self._apply(request)
        out, err = _CappedText(), _CappedText()
        rng_before = np.random.get_state()
        reply = {"ok": True}
        saved = sys.stdout, sys.stderr
        caught = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with np.errstate(**_errstate(request.get("errstate"))):
                    sys.stdout, sys.stderr = out, err
                    try:
                        target = self._target(request["target"])
                        if request["op"] == "getattr":
                            value = getattr(target, request["attr"])
                            if inspect.ismethod(value) and value.__self__ is target:
                                reply["method"] = True  # the grader calls it by name from now on
                                value = None
                        elif request["op"] == "setattr":
                            setattr(target, request["attr"], codec.decode(request["value"]))
                            value = None
                        else:
                            args = [codec.decode(node) for node in request.get("args", [])]
                            kwargs = {str(k): codec.decode(v) for k, v in request.get("kwargs", {}).items()}
                            containers = [(key, value) for key, value in list(enumerate(args)) + list(kwargs.items())
                                          if type(value) in (dict, list)]
                            shapes = [_container_shape(value) for _, value in containers]
                            value = target(*args, **kwargs)
                            reply["mutated"] = [{"arg": key, "value": codec.encode(container)}
                                                for (key, container), shape in zip(containers, shapes)
                                                if _container_shape(container) != shape]
                    finally:
                        sys.stdout, sys.stderr = saved
            reply["value"] = codec.encode(value)
        except wire.WireError:
            raise
        except BaseException as error:  # noqa: BLE001 - student code may raise anything
            reply = {"ok": False, "error": self._describe(error)}
        reply["warnings"] = [{"category": w.category.__name__, "module": w.category.__module__,
                              "message": str(w.message)[:500]} for w in list(caught)[:20]]
        reply["stdout"], reply["stderr"] = out.getvalue(), err.getvalue()
        reply["sync"] = self._changed_arrays()
        rng_after = np.random.get_state()
        if not wire.rng_states_equal(rng_before, rng_after):
            reply["rng"] = wire.rng_state_to_node(rng_after)
        return reply

    def _target(self, target: dict):
        if "name" in target:
            name = target["name"]
            if name not in self.namespace:
                raise NameError(f"name {name!r} is not defined: its answer cell is missing, was renamed, "
                                "or failed to run (see the notebook's problems)")
            return self.namespace[name]
        if target.get("handle") not in self.handles:
            raise LookupError("this object no longer exists in the sandbox")
        if "method" in target:
            return getattr(self.handles[target["handle"]], str(target["method"]))
        return self.handles[target["handle"]]

    def _describe(self, error: BaseException) -> dict:
        kind = type(error)
        try:
            message = str(error)[:2000]
        except BaseException:  # noqa: BLE001 - a hostile __str__
            message = "<the exception's message could not be printed>"
        lines = []
        try:
            for frame in traceback.extract_tb(error.__traceback__):
                if frame.filename.startswith("<cell "):
                    lines.append(f"{frame.filename[1:-1]}, line {frame.lineno}: {(frame.line or '').strip()}"[:300])
        except BaseException:  # noqa: BLE001
            pass
        builtin = next((c.__name__ for c in type.mro(kind) if c.__module__ == "builtins"), "BaseException")
        return {"type": str(getattr(kind, "__name__", "Exception"))[:80],
                "module": str(getattr(kind, "__module__", ""))[:80], "builtin": builtin,
                "message": message, "where": lines[-5:]}


def _describe_figure(fig, np) -> dict:
    """What tests look at in a figure: per axes its title, labels, limits,
    scales, lines, collections (contour sets with their paths, scatter
    points with their colour values), images and texts."""
    from matplotlib.contour import ContourSet

    def floats(values):
        return np.array(np.ma.getdata(values), dtype=float)

    axes = []
    for ax in list(fig.axes)[:20]:
        entry = {"title": str(ax.get_title()), "xlabel": str(ax.get_xlabel()), "ylabel": str(ax.get_ylabel()),
                 "xlim": [float(v) for v in ax.get_xlim()], "ylim": [float(v) for v in ax.get_ylim()],
                 "xscale": str(ax.get_xscale()), "yscale": str(ax.get_yscale()), "label": str(ax.get_label()),
                 "position": [float(v) for v in ax.get_position().bounds],
                 "texts": [str(text.get_text()) for text in list(ax.texts)[:50]],
                 "lines": [], "collections": [], "images": []}
        for line in list(ax.get_lines())[:100]:
            entry["lines"].append({"x": floats(line.get_xdata()), "y": floats(line.get_ydata()),
                                   "label": str(line.get_label()), "linestyle": str(line.get_linestyle())})
        for collection in list(ax.collections)[:100]:
            if isinstance(collection, ContourSet):
                entry["collections"].append({
                    "kind": "contour", "filled": bool(collection.filled), "levels": floats(collection.levels),
                    "paths": [[floats(path.vertices),
                               None if path.codes is None else np.array(path.codes, dtype=np.uint8)]
                              for path in collection.get_paths()]})
            else:
                values = collection.get_array()
                entry["collections"].append({
                    "kind": "collection", "offsets": floats(collection.get_offsets()).reshape(-1, 2),
                    "array": None if values is None else floats(values), "label": str(collection.get_label())})
        for image in list(ax.get_images())[:10]:
            entry["images"].append({"array": floats(image.get_array()),
                                    "extent": [float(v) for v in image.get_extent()]})
        axes.append(entry)
    suptitle = getattr(fig, "_suptitle", None)
    return {"size": [float(v) for v in fig.get_size_inches()], "axes": axes,
            "suptitle": str(suptitle.get_text()) if suptitle is not None else ""}


def _container_shape(container) -> list:
    """What a dict or list argument holds, by identity: a student function
    that assigns ``params[name] = ...`` changes it."""
    items = container.items() if type(container) is dict else enumerate(container)
    return [(key, id(value)) for key, value in items]


def _errstate(state) -> dict:
    allowed = {"ignore", "warn", "raise", "call", "print", "log"}
    if type(state) is not dict:
        return {}
    return {key: value for key, value in state.items()
            if key in ("divide", "over", "under", "invalid") and value in allowed - {"call", "log"}}


def _strip_magics(source: str) -> str:
    """Comment out IPython magics and shell escapes, which plain Python cannot run."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line.replace(stripped, "# " + stripped, 1) if stripped[:1] in ("%", "!") else line)
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "zygote":
        zygote(int(sys.argv[2]))
    else:
        print("autograder/sandbox/runner.py is started by the grader, not by hand", file=sys.stderr)
        sys.exit(2)
