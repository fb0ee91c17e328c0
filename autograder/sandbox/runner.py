"""The processes on the far side of the sandbox: zygote, supervisor, runner.

Run as ``python -I -S runner.py zygote FD`` by ``host.py``; never
imported by the grader.  ``-I -S`` keep the script's folder, user site and
``.pth`` files off ``sys.path``; the grader then sends the one folder of
links (NumPy, Matplotlib and what they need) to append, and the sources of
``wire.py`` and ``mirror.py``.  This file uses the standard library only
until that message arrives, and never imports the kit: the kit is out of
the student's reach.

Three roles, one per process:

* **zygote** (one per grading run): imports NumPy and Matplotlib once, then
  forks a supervisor per session on the grader's request.  It runs no
  student code.  It is a child subreaper and kills any process that lands
  on it other than its supervisors (escapees whose supervisor was killed).
  Where it may, it makes a pids cgroup per session (``PidsCgroups``).
* **supervisor** (one per session): joins the session's pids cgroup,
  unshares PID, network, IPC and UTS namespaces (inside a new user
  namespace when not root), forks the runner and waits.  When the grader
  closes its control socket (or dies) it SIGKILLs the runner, then every
  process left below it, and reports.  In a PID namespace the kernel kills
  every process in it when the runner (its init) dies.
* **runner** (one per session, the only one that runs student code): in a
  mount namespace of its own, builds the minimal root that the grader
  planned (``rootfs.py``) and moves into it with ``pivot_root``; limits
  itself (address space, CPU, file size, processes, no core dumps); as
  root, becomes uid 0 of a user namespace of its own that maps to the
  unprivileged uid 65534; drops every capability; and answers the
  grader's requests on fd 3 (``Runner``).
"""
import ctypes
import errno
import os
import platform
import select
import signal
import socket
import sys
import time
import traceback

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 0x4000, 1 << 18, 1 << 21, 1 << 24
ST_NOEXEC, ST_NOATIME, ST_NODIRATIME, ST_RELATIME = 8, 1024, 2048, 4096
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 4, 24, 28
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 36, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# SECBIT_NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED, NO_CAP_AMBIENT_RAISE and their locks:
# uid 0 regains no capability through execve, ever.
SECUREBITS = 0b11101111
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217, "armv7l": 218}
SANDBOX_ID = 65534       # the host uid and gid of a root grader's student code ("nobody")
PROTOCOL_FD = 3
OUTPUT_CAP = 16 * 1024   # characters of print() output returned with one reply
SCRATCH = "/home/student"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _prctl(option, arg=0):
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0))


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source, target, fstype, flags, data=None, what="mount"):
    encode = lambda value: None if value is None else os.fsencode(value)  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"{what} {target}")


def _unshare(flags: int) -> str:
    """'' on success, else why not."""
    if _libc.unshare(ctypes.c_int(flags)) == 0:
        return ""
    return f"unshare: {os.strerror(ctypes.get_errno())}"


# ====================================================================== zygote

def zygote(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    init = _recv_packet(control)
    sys.path.append(init["path"])
    modules = {name: _load_module(f"mlpkit_{name}", source) for name, source in init["sources"].items()}
    import numpy  # noqa: F401  (imported once here, shared by every forked runner)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != init["grader_pid"]:
        os._exit(1)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    cgroups = PidsCgroups()
    _send_packet(control, {"ready": True, "pid": os.getpid(), "pids_cgroups": cgroups.base or ""})
    supervisors = set()
    while True:
        ready = select.select([control], [], [], 0.2)[0]
        _reap(supervisors, cgroups)
        if not ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 22, 3)
        except OSError:
            message, fds = b"", []
        if not message:
            break
        import json
        request = json.loads(message)
        group = cgroups.create(int(request["limits"]["processes"]) + 1)  # + 1: the supervisor
        pid = os.fork()
        if pid == 0:
            control.close()
            supervisor(request, fds, modules, group)  # never returns
        for fd in fds:
            os.close(fd)
        supervisors.add(pid)
        cgroups.adopt(pid, group)
        _send_packet(control, {"supervisor": pid})
    for pid in supervisors:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while supervisors and time.monotonic() < deadline:
        time.sleep(0.02)
        _reap(supervisors, cgroups)
    stray = _children_of(os.getpid())
    for pid in stray:
        _signal(pid, signal.SIGKILL)
    if stray:
        time.sleep(0.05)
    _reap(supervisors, cgroups)
    cgroups.remove_all()
    os._exit(0)


def _reap(supervisors: set, cgroups) -> None:
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
        cgroups.remove(pid)
    for pid in _children_of(os.getpid()):
        if pid not in supervisors:
            _signal(pid, signal.SIGKILL)
    cgroups.retry()


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


class PidsCgroups:
    """A pids cgroup per session, where this process may make them: its
    ``pids.max`` caps the processes and threads of the session (root
    included, which RLIMIT_NPROC does not cap).  cgroup v1's pids
    hierarchy, or cgroup v2 where the pids controller can be enabled for
    a folder this process may write (usually only as root)."""

    PREFIX = "mlpkit-"
    STALE_SECONDS = 30      # an empty group this old is a leftover of a zygote that was killed

    def __init__(self):
        self.base = self._find_base()
        self.name = f"{self.PREFIX}{os.urandom(6).hex()}"   # pids repeat across PID namespaces: not in the name
        self.groups: dict[int, str] = {}     # supervisor pid -> its cgroup folder
        self.leftovers: list[str] = []       # folders not yet empty when their supervisor ended
        self.made = 0
        self._sweep()

    def _sweep(self) -> None:
        """Remove the empty groups that killed zygotes left (a group in use
        holds its supervisor, and the kernel refuses to remove it)."""
        if self.base is None:
            return
        now = time.time()
        for name in os.listdir(self.base):
            folder = os.path.join(self.base, name)
            try:
                if name.startswith(self.PREFIX) and now - os.stat(folder).st_ctime > self.STALE_SECONDS:
                    os.rmdir(folder)
            except OSError:
                pass

    @staticmethod
    def _candidates() -> list:
        own = {}
        try:
            with open("/proc/self/cgroup") as handle:
                for line in handle:
                    number, controllers, path = line.rstrip("\n").split(":", 2)
                    for controller in controllers.split(",") if controllers else [""]:
                        own[controller] = path
            with open("/proc/self/mountinfo") as handle:
                mounts = [line.split() for line in handle]
        except OSError:
            return []
        found = []
        for fields in mounts:
            separator = fields.index("-")
            point, fstype, options = fields[4], fields[separator + 1], fields[separator + 3].split(",")
            if fstype == "cgroup" and "pids" in options and "pids" in own:
                found += [point + own["pids"].rstrip("/"), point]
            elif fstype == "cgroup2" and "" in own:
                found += [point + own[""].rstrip("/"), point]
        return found

    def _find_base(self):
        for base in self._candidates():
            if not os.path.isdir(base) or not os.access(base, os.W_OK):
                continue
            controls = os.path.join(base, "cgroup.subtree_control")
            if os.path.exists(controls):  # cgroup v2: the controller must be on for the children
                try:
                    with open(controls) as handle:
                        enabled = handle.read().split()
                    if "pids" not in enabled:
                        with open(controls, "w") as handle:
                            handle.write("+pids")
                except OSError:
                    continue
            probe = os.path.join(base, f"mlpkit-probe-{os.urandom(6).hex()}")
            try:
                os.mkdir(probe)
            except OSError:
                continue
            usable = os.path.exists(os.path.join(probe, "pids.max"))
            try:
                os.rmdir(probe)
            except OSError:
                pass
            if usable:
                return base
        return None

    def create(self, limit: int):
        """A new cgroup allowing ``limit`` tasks, or None."""
        if self.base is None:
            return None
        self.made += 1
        folder = os.path.join(self.base, f"{self.name}-{self.made}")
        try:
            os.mkdir(folder)
            with open(os.path.join(folder, "pids.max"), "w") as handle:
                handle.write(str(limit))
        except OSError:
            self._rmdir(folder)
            return None
        return folder

    def adopt(self, pid: int, folder) -> None:
        if folder:
            self.groups[pid] = folder

    def remove(self, pid: int) -> None:
        folder = self.groups.pop(pid, None)
        if folder and not self._rmdir(folder):
            self.leftovers.append(folder)

    def retry(self) -> None:
        self.leftovers = [folder for folder in self.leftovers if not self._rmdir(folder)]

    def remove_all(self) -> None:
        for pid in list(self.groups):
            self.remove(pid)
        self.retry()

    @staticmethod
    def _rmdir(folder: str) -> bool:
        try:
            os.rmdir(folder)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            return False


# ================================================================== supervisor

def supervisor(request: dict, fds: list, modules: dict, group) -> None:
    """Own one runner: start it, wait, and kill everything when told."""
    try:
        proto_fd, output_fd, control_fd = fds
        control = socket.socket(fileno=control_fd)
        terminate = []
        signal.signal(signal.SIGTERM, lambda *_: terminate.append(True))
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        setup = {"pids_cgroup": bool(group) and _join_cgroup(group), "host_uid": os.getuid(),
                 "namespaces": [], "user_namespace": False, "unconfined": ""}
        if request["confine"]:
            setup.update(_enter_namespaces(request["user_namespace"]))
        else:
            setup["unconfined"] = "confinement was turned off (Limits.namespaces)"
        to_runner = os.pipe()
        from_runner = os.pipe()
        runner_pid = os.fork()
        if runner_pid == 0:
            control.close()
            os.close(to_runner[1])
            os.close(from_runner[0])
            runner(request, proto_fd, output_fd, setup, (from_runner[1], to_runner[0]), modules)  # never returns
        for fd in (proto_fd, output_fd, to_runner[0], from_runner[1]):
            os.close(fd)
        _answer_runner(runner_pid, from_runner[0], to_runner[1])
        _send_packet(control, {"runner": runner_pid})
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


def _join_cgroup(folder: str) -> bool:
    try:
        with open(os.path.join(folder, "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
        return True
    except OSError:
        return False


def _enter_namespaces(user_namespace: bool) -> dict:
    """Unshare PID, network, IPC and UTS namespaces, inside a new user
    namespace when not root (or when asked: the tests take that path as
    root).  The mount namespace is the runner's own (its new root must not
    become the supervisor's)."""
    flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    uid, gid = os.getuid(), os.getgid()
    user_namespace = user_namespace or uid != 0
    if user_namespace:
        flags |= CLONE_NEWUSER
    why = _unshare(flags)
    if why:
        return {"unconfined": f"the kernel refused namespaces ({why})"}
    if user_namespace:
        try:
            for path, text in [("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"0 {uid} 1"),
                               ("/proc/self/gid_map", f"0 {gid} 1")]:
                with open(path, "w") as handle:
                    handle.write(text)
        except OSError as error:
            return {"unconfined": f"the user namespace could not be set up ({error.strerror})"}
    return {"namespaces": ["pid-namespace", "no-network"], "user_namespace": user_namespace}


def _answer_runner(runner_pid: int, from_runner: int, to_runner: int) -> None:
    """The runner's one question, asked once its root is built: ``m`` (map
    my new user namespace to the sandbox's uid, which only this process,
    outside it, may do) or ``-`` (nothing to do)."""
    try:
        ready = select.select([from_runner], [], [], 30)[0]
        question = os.read(from_runner, 1) if ready else b""
        if question == b"m":
            answer = b"k"
            try:
                for name in ("uid_map", "gid_map"):
                    with open(f"/proc/{runner_pid}/{name}", "w") as handle:
                        handle.write(f"0 {SANDBOX_ID} 1")
            except OSError:
                answer = b"x"
            os.write(to_runner, answer)
    finally:
        os.close(from_runner)
        os.close(to_runner)


def _kill_everything(runner_pid: int, runner_alive: bool) -> tuple:
    """SIGKILL the runner's process group, the runner, and every process
    left below this subreaper, until none remains.  Returns how many
    processes other than the runner this killed (counted as they are
    reaped: a process killed with the runner's group may be reaped before
    any scan sees it), and the runner's wait status if it was reaped here
    (its own exit if it had already ended)."""
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
    killed = set()
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
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)
                break
            if pid == runner_pid:
                status = code if status is None else status
            elif os.WIFSIGNALED(code) and os.WTERMSIG(code) == signal.SIGKILL:
                killed.add(pid)  # not a process that had ended on its own (an exited fork parent)
    while status is None and time.monotonic() < deadline:  # an init still tearing its namespace down
        try:
            pid, code = os.waitpid(runner_pid, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == runner_pid:
            status = code
        else:
            time.sleep(0.005)
    return len(killed), status


def _describe_status(code: int) -> str:
    if os.WIFSIGNALED(code):
        number = os.WTERMSIG(code)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.WEXITSTATUS(code)}"


# ====================================================================== runner

def runner(request: dict, proto_fd: int, output_fd: int, setup: dict, sync: tuple, modules: dict) -> None:
    """Confine this process, then serve the grader's requests on fd 3."""
    try:
        isolation = list(setup["namespaces"])
        unconfined = setup["unconfined"]
        os.setsid()
        confined = False
        if isolation:
            achieved, unconfined = _confine_files(request["root"], request["workdir"],
                                                  owner=SANDBOX_ID if not setup["user_namespace"] else None)
            isolation += achieved
            confined = "minimal-root" in achieved
        switched = False
        if confined and not setup["user_namespace"]:
            isolation += _become_sandbox_user(sync)
            switched = True
        else:
            os.write(sync[0], b"-")
        for fd in sync:
            os.close(fd)
        host_uid = SANDBOX_ID if switched else setup["host_uid"]
        processes = int(request["limits"]["processes"])
        if setup["user_namespace"]:
            processes += 1              # the supervisor is in the same user namespace
        elif not setup["namespaces"] and host_uid != 0:
            processes += _tasks_of(host_uid)   # RLIMIT_NPROC counts every process of this user
        isolation += _set_limits(request["limits"], processes)
        if setup["pids_cgroup"] or host_uid != 0:
            isolation.append("process-limit")
        isolation += _drop_privileges()
        if confined:
            os.chdir(SCRATCH)
            os.environ.update(HOME=SCRATCH, TMPDIR=SCRATCH, MPLCONFIGDIR=f"{SCRATCH}/.matplotlib")
            import tempfile
            tempfile.tempdir = None
        else:
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
    service = Runner(socket.socket(fileno=PROTOCOL_FD), modules["wire"], modules["mirror"])
    service.serve({"op": "hello", "isolation": isolation, "unconfined": "" if confined else unconfined,
                   "pid": os.getpid()})
    os._exit(0)


def _confine_files(plan: list, staging: str, owner) -> tuple:
    """In a new mount namespace, build the planned root on a tmpfs mounted
    at ``staging`` and make it this process's root.  Returns (what was
    achieved, why the root could not be built or '')."""
    why = _unshare(CLONE_NEWNS)
    if why:
        return [], f"no mount namespace ({why})"
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE, what="make private")
    except OSError as error:  # mounting now could propagate to the grader's own namespace
        return ["mount-namespace"], str(error)
    builder = RootBuilder(staging, owner)
    try:
        achieved = builder.build(plan)
        builder.enter()
    except OSError as error:
        builder.abandon()
        return ["mount-namespace"], f"the minimal root could not be built ({error})"
    return ["mount-namespace", "minimal-root", "kit-hidden", "scratch-limit"] + achieved, ""


class RootBuilder:
    """Carries out the steps of ``rootfs.root_plan`` under ``staging``.

    Paths of the plan are paths inside the new root: each is located by
    resolving its symbolic links inside the new root (an absolute link
    target starts again from the new root, never from the host's), so no
    step can reach outside it; a mount never lands on a symbolic link."""

    def __init__(self, staging: str, owner):
        self.root = os.path.realpath(staging)
        self.owner = owner          # host uid and gid of the scratch folder, None for this process's own
        self.mounted = False
        self.entered = False
        self.folders: dict[str, str] = {}   # folder inside the new root -> its staging path, once it exists

    # ------------------------------------------------------------ locating
    def locate(self, path: str) -> str:
        """The staging path of ``path``, its parents' links resolved (the
        last component is never followed: a mount must not land through a
        link)."""
        parent, name = os.path.split(os.path.normpath("/" + path.lstrip("/")))
        return os.path.join(self.folder(parent), name) if name else self.root

    def folder(self, path: str, hops: int = 0) -> str:
        """The staging path of the folder ``path`` (an absolute path inside
        the new root), every link on the way resolved inside the new root.
        Folders that exist are remembered: every step resolves the same
        long prefixes (the Python installation's)."""
        if path == "/":
            return self.root
        known = self.folders.get(path)
        if known is not None:
            return known
        if hops > 40:
            raise OSError(errno.ELOOP, f"too many links in {path}")
        parent, name = os.path.split(path)
        base = self.folder(parent, hops)
        candidate = os.path.join(base, name)
        if os.path.islink(candidate):
            inside = "/" + os.path.relpath(base, self.root) if base != self.root else "/"
            target = os.path.join(inside, os.readlink(candidate))      # an absolute target: from the new root
            return self.folder(os.path.normpath("/" + target.lstrip("/")), hops + 1)
        if os.path.isdir(candidate):
            self.folders[path] = candidate
        return candidate

    def make_dirs(self, located: str) -> None:
        missing = []
        while not os.path.lexists(located):
            missing.append(located)
            located = os.path.dirname(located)
        for folder in reversed(missing):
            os.mkdir(folder, 0o755)
            os.chmod(folder, 0o755)

    def mount_point(self, path: str, directory: bool) -> str:
        located = self.locate(path)
        self.make_dirs(os.path.dirname(located))
        if os.path.islink(located):
            raise OSError(errno.ELOOP, f"{path} is a symbolic link")
        if not os.path.lexists(located):
            if directory:
                os.mkdir(located, 0o755)
                os.chmod(located, 0o755)
            else:
                os.close(os.open(located, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        return located

    # ------------------------------------------------------------- building
    def build(self, plan: list) -> list:
        """Carry out every step; returns what was achieved beyond the root
        itself ("private-proc")."""
        _mount("tmpfs", self.root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=4m", what="root tmpfs")
        self.mounted = True
        achieved = []
        for step in plan:
            op = step["op"]
            if op == "proc":
                achieved += self.proc(step["path"], step["read_only"])
            else:
                getattr(self, f"do_{op}")(step)
        _mount(None, self.root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, what="seal the root")
        return achieved

    def do_dir(self, step: dict) -> None:
        self.make_dirs(self.locate(step["path"]))

    def do_bind(self, step: dict) -> None:
        source = step["source"]
        target = self.mount_point(step["path"], step["folder"])
        _mount(source, target, None, MS_BIND, what="bind")
        self.read_only(target, source)

    def do_device(self, step: dict) -> None:
        target = self.mount_point(step["path"], directory=False)
        _mount(step["source"], target, None, MS_BIND, what="bind device")

    def do_tmpfs(self, step: dict) -> None:
        target = self.mount_point(step["path"], directory=True)
        flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if step.get("readonly") else 0)
        _mount("tmpfs", target, "tmpfs", flags, "mode=755,size=1m", what="tmpfs")

    def do_seal(self, step: dict) -> None:
        _mount(None, self.locate(step["path"]), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, what="seal")

    def do_file(self, step: dict) -> None:
        located = self.locate(step["path"])
        self.make_dirs(os.path.dirname(located))
        descriptor = os.open(located, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(step["text"])
        os.chmod(located, 0o644)

    def do_symlink(self, step: dict) -> None:
        located = self.locate(step["path"])
        self.make_dirs(os.path.dirname(located))
        os.symlink(step["to"], located)

    def do_scratch(self, step: dict) -> None:
        """One size-capped tmpfs, shown as several folders (its own
        subfolders bound in place): they share the one cap."""
        staging = self.mount_point("/.scratch", directory=True)
        data = f"mode=755,size={int(step['bytes'])},nr_inodes={int(step['inodes'])}"
        if self.owner is not None:
            data += f",uid={self.owner},gid={self.owner}"
        _mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, data, what="scratch")
        try:
            for name, path in step["folders"].items():
                inner = os.path.join(staging, name)
                os.mkdir(inner, 0o700)
                if self.owner is not None:
                    os.chown(inner, self.owner, self.owner)
                _mount(inner, self.mount_point(path, directory=True), None, MS_BIND, what="bind scratch")
        finally:
            _check(_libc.umount2(os.fsencode(staging), MNT_DETACH), "detach the scratch staging")
            os.rmdir(staging)

    def do_links(self, step: dict) -> None:
        folder = self.locate(step["path"])
        self.make_dirs(folder)
        for name, target in step["entries"].items():
            os.symlink(target, os.path.join(folder, name))

    def proc(self, path: str, read_only: list) -> list:
        """The PID namespace's own /proc, with the kernel's settings
        read-only (uid 0 may write /proc/sys without any capability).
        Without it (a kernel that refuses, as in most containers) the root
        has an empty /proc: nothing is lost but the student's view of its
        own processes."""
        target = self.mount_point(path, directory=True)
        try:
            _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, what="proc")
        except OSError:
            return []
        try:
            for name in read_only:
                inner = os.path.join(target, name)
                if os.path.exists(inner):
                    _mount(inner, inner, None, MS_BIND | MS_REC, what="bind")
                    _mount(None, inner, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           what="read-only")
        except OSError:
            _libc.umount2(os.fsencode(target), MNT_DETACH)
            return []
        return ["private-proc"]

    @staticmethod
    def read_only(target: str, source: str) -> None:
        """Remount a bind read-only, keeping the flags a user namespace may
        not change (the source's noexec and access-time flags)."""
        flags = os.statvfs(source).f_flag
        keep = MS_NOEXEC if flags & ST_NOEXEC else 0
        keep |= MS_NODIRATIME if flags & ST_NODIRATIME else 0
        keep |= MS_NOATIME if flags & ST_NOATIME else (MS_RELATIME if flags & ST_RELATIME else MS_STRICTATIME)
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | keep,
               what="read-only")

    # ------------------------------------------------------------ entering
    def enter(self) -> None:
        """Make the new root this process's root and let go of the old one."""
        number = SYS_PIVOT_ROOT.get(platform.machine())
        if number is None:
            raise OSError(errno.ENOSYS, f"pivot_root: unknown on {platform.machine()}")
        os.chdir(self.root)
        _check(_libc.syscall(ctypes.c_long(number), b".", b"."), "pivot_root")
        self.entered = True
        _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
        os.chdir("/")

    def abandon(self) -> None:
        """Undo a root half built (the old root is still there to fall back to)."""
        if self.mounted and not self.entered:
            _libc.umount2(os.fsencode(self.root), MNT_DETACH)


def _become_sandbox_user(sync: tuple) -> list:
    """Root's student code never runs as host root: in a user namespace of
    its own, the runner becomes uid 0 there, which is uid 65534 outside
    (the supervisor writes that map: only a process outside may).  Then
    RLIMIT_NPROC counts this session's processes (it never limits host
    root), and no host file is the student's own.  Where root may not make
    user namespaces, the runner becomes uid 65534 directly."""
    to_supervisor, from_supervisor = sync
    if not _unshare(CLONE_NEWUSER):
        os.write(to_supervisor, b"m")
        if os.read(from_supervisor, 1) != b"k":
            raise OSError(errno.EPERM, "the supervisor could not map the sandbox's user")
        os.setresgid(0, 0, 0)
        os.setgroups([])
        os.setresuid(0, 0, 0)
    else:
        os.write(to_supervisor, b"-")
        os.setgroups([])
        os.setresgid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID)
        os.setresuid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID)
    _prctl(PR_SET_DUMPABLE, 1)  # a change of uid clears it: the process could not read its own /proc/self
    return ["unprivileged-user"]


def _tasks_of(uid: int) -> int:
    """Processes and threads of ``uid`` now (what RLIMIT_NPROC counts)."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid == uid:
                count += len(os.listdir(f"/proc/{name}/task"))
        except OSError:
            continue
    return count


def _set_limits(limits: dict, processes: int) -> list:
    import resource
    memory = int(limits["memory_bytes"])
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["file_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
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


# ===================================================================== serving

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


class Handles:
    """The student's objects that are not plain data: they stay here, and
    the grader holds them by number."""

    def __init__(self, np):
        self.np = np
        self.objects: dict = {}
        self.next_number = 1

    def add(self, value) -> dict:
        number = self.next_number
        self.next_number += 1
        self.objects[number] = value
        kind = type(value)
        return {"t": "handle", "v": number, "callable": callable(value),
                "type": str(getattr(kind, "__qualname__", "object"))[:80],
                "module": str(getattr(kind, "__module__", ""))[:80],
                "ndarray_subclass": isinstance(value, self.np.ndarray)}

    def get(self, number):
        if type(number) is not int or number not in self.objects:
            raise LookupError("this object no longer exists in the sandbox")
        return self.objects[number]

    def release(self, numbers) -> None:
        for number in numbers if type(numbers) is list else []:
            self.objects.pop(number, None)


class GraderObjects:
    """Stand-ins for the grader's objects passed to the student's code (a
    model whose forward method records its inputs, say): every use is a
    callback to the grader, which may itself call back in."""

    def __init__(self, runner):
        self.runner = runner
        self.next_callback = 0

    def stand_in(self, node: dict):
        objects = self

        class GraderObject:
            __slots__ = ()

            def __getattr__(self, attr):
                if attr.startswith("_"):
                    raise AttributeError(attr)
                return objects.callback({"export": node.get("v"), "attr": attr})

            def __call__(self, *args, **kwargs):
                codec = objects.runner.codec
                return objects.callback({"export": node.get("v"), "args": [codec.encode(a) for a in args],
                                         "kwargs": {str(k): codec.encode(v) for k, v in kwargs.items()}})

            def __repr__(self):
                return f"<{node.get('type')} object of the grader>"

        GraderObject.__name__ = GraderObject.__qualname__ = str(node.get("type", "object"))[:80]
        GraderObject._mlpkit_export = node.get("v")
        if not node.get("callable"):
            del GraderObject.__call__
        return GraderObject()

    def callback(self, message: dict):
        """Ask the grader to run a method of one of its objects; serve any
        request that arrives meanwhile."""
        runner = self.runner
        self.next_callback += 1
        number = self.next_callback
        runner.wire.send(runner.sock, dict(message, op="callback", cb=number))
        while True:
            request = runner.wire.recv(runner.sock)
            if request.get("op") == "callback_reply" and request.get("cb") == number:
                break
            runner.answer(request)
        if request.get("ok"):
            return runner.codec.decode(request.get("value", {"t": "none"}))
        error = request.get("error") or {}
        import builtins
        kind = getattr(builtins, str(error.get("type")), None)
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            kind = RuntimeError
        raise kind(str(error.get("message", "")))


def _name_like(text: str) -> bool:
    """Whether CPython interns ``text`` when it is a literal in source code
    (ASCII letters, digits and underscores only)."""
    return text.isascii() and text.replace("_", "a").isalnum()


def _runner_codec(wire, arrays, handles, grader_objects, names: dict):
    """The runner's codec: arrays through the mirror, opaque objects as
    handles, the grader's objects as stand-ins, figures as descriptions,
    and strings interned as the same literal in the student's code would be
    (so ``activation is "relu"`` behaves as it does in the notebook)."""
    import numpy as np

    class RunnerCodec(wire.Codec):
        def encode_array(self, array):
            return arrays.encode(array)

        def decode_array(self, node):
            return arrays.decode(node)

        def decode_str(self, text):
            return sys.intern(text) if _name_like(text) else text

        def encode_other(self, value):
            export = type(value).__dict__.get("_mlpkit_export")
            if export is not None:
                return {"t": "export", "v": export}
            figure = _figure(value, np)
            if figure is not None:
                return {"t": "figure", "v": self.encode(figure)}
            return handles.add(value)

        def decode_export(self, node):
            return grader_objects.stand_in(node)

        def decode_handle(self, node):
            try:
                return handles.get(node.get("v"))
            except LookupError:
                raise wire.WireError("unknown handle") from None

        def decode_global(self, node):
            return _student_name(names, str(node.get("v")))

    return RunnerCodec()


def _student_name(names: dict, name: str):
    if name not in names:
        raise NameError(f"name {name!r} is not defined: its answer cell is missing, was renamed, "
                        "or failed to run (see the notebook's problems)")
    return names[name]


class Runner:
    """Executes the notebook's cells and answers the grader's requests:
    ``load`` (run cells), ``call``, ``getattr``, ``setattr``, ``ping``.

    The state it shares with the grader lives in its parts: the arrays in
    an ``ArrayMirror`` (``mirror.py``), the student's other objects in
    ``Handles``, the grader's objects as ``GraderObjects`` stand-ins."""

    def __init__(self, sock, wire, mirror):
        import types

        import numpy as np
        self.np = np
        self.sock = sock
        self.wire = wire
        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main
        self.namespace = main.__dict__
        self.arrays = mirror.ArrayMirror("c", wire, weak=False)
        self.handles = Handles(np)
        self.grader_objects = GraderObjects(self)
        self.codec = _runner_codec(wire, self.arrays, self.handles, self.grader_objects, self.namespace)

    # ----------------------------------------------------------------- serving
    def serve(self, hello: dict) -> None:
        wire = self.wire
        wire.send(self.sock, hello)
        while True:
            try:
                request = wire.recv(self.sock)
            except (EOFError, OSError, wire.WireError):
                return
            self.answer(request)

    def answer(self, request: dict) -> None:
        wire = self.wire
        try:
            reply = self.handle(request)
        except BaseException as error:  # noqa: BLE001 - a broken request or a hostile cell
            reply = {"ok": False, "error": describe_error(error)}
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

    # ------------------------------------------------------------------ cells
    def load(self, cells: list) -> dict:
        import linecache
        import warnings

        import matplotlib.pyplot as plt
        results = []
        out, err = _CappedText(), _CappedText()
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
                    results.append({"id": cell["id"], "ok": False, "error": describe_error(error)})
        finally:
            sys.stdout, sys.stderr = saved
            try:
                plt.close("all")
            except Exception:  # noqa: BLE001 - a cell may have broken pyplot
                pass
        return {"ok": True, "cells": results, "stdout": out.getvalue(), "stderr": err.getvalue(),
                "defined": sorted(name for name in self.namespace if not name.startswith("_"))}

    # ------------------------------------------------------------------ calls
    def call(self, request: dict) -> dict:
        import inspect
        import warnings
        np, wire, codec = self.np, self.wire, self.codec
        self.receive_state(request)
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
                        target = self.target(request["target"])
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
            reply = {"ok": False, "error": describe_error(error)}
        reply["warnings"] = [{"category": w.category.__name__, "module": w.category.__module__,
                              "message": str(w.message)[:500]} for w in list(caught)[:20]]
        reply["stdout"], reply["stderr"] = out.getvalue(), err.getvalue()
        reply["sync"] = self.arrays.changes()
        rng_after = np.random.get_state()
        if not wire.rng_states_equal(rng_before, rng_after):
            reply["rng"] = wire.rng_state_to_node(rng_after)
        return reply

    def receive_state(self, request: dict) -> None:
        """What the grader changed since the last request: released arrays
        and handles, arrays modified in place, NumPy's random state."""
        self.arrays.release(request.get("release", []))
        self.handles.release(request.get("release_handles", []))
        self.arrays.apply(request.get("sync", []))
        if "rng" in request:
            self.np.random.set_state(self.wire.rng_state_from_node(request["rng"]))

    def target(self, target: dict):
        if "name" in target:
            return _student_name(self.namespace, target["name"])
        value = self.handles.get(target.get("handle"))
        if "method" in target:
            return getattr(value, str(target["method"]))
        return value


def describe_error(error: BaseException) -> dict:
    """An exception of the student's code as plain data: its type, the
    built-in type it derives from, its message, and where it happened in
    the student's own code ("in your backward, line 31: ...", the line
    number counted in the student's cell)."""
    kind = type(error)
    try:
        message = str(error)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "<the exception's message could not be printed>"
    where = []
    try:
        import linecache
        for frame, line in traceback.walk_tb(error.__traceback__):
            code = frame.f_code
            if code.co_filename.startswith("<cell "):
                text = linecache.getline(code.co_filename, line).strip()
                where.append(_location(code.co_filename, getattr(code, "co_qualname", code.co_name), line, text))
        if isinstance(error, SyntaxError) and str(error.filename or "").startswith("<cell "):
            message = str(error.msg)[:2000]
            where.append(_location(error.filename, "<module>", error.lineno or 0, (error.text or "").strip()))
    except BaseException:  # noqa: BLE001
        pass
    builtin = next((c.__name__ for c in type.mro(kind) if c.__module__ == "builtins"), "BaseException")
    return {"type": str(getattr(kind, "__name__", "Exception"))[:80],
            "module": str(getattr(kind, "__module__", ""))[:80], "builtin": builtin,
            "message": message, "where": where[-5:]}


def _location(filename: str, function: str, line: int, text: str) -> str:
    cell = filename[len("<cell "):-1]
    place = f"in cell {cell!r}" if function == "<module>" else f"in your {function}"
    return f"{place}, line {line}: {text}"[:300] if text else f"{place}, line {line}"


def _figure(value, np):
    """A Matplotlib figure as plain data (see figures.py), or None."""
    from matplotlib.figure import Figure
    if not isinstance(value, Figure):
        return None
    try:
        return _describe_figure(value, np)
    except Exception:  # noqa: BLE001 - a broken figure travels as a handle
        return None


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
