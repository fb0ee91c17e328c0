"""Running hostile tests where a failure cannot harm the machine, and
producing a machine that refuses namespaces.

* ``contained(argv)``: the command run by ``unshare --pid --fork
  --mount-proc --mount --kill-child``: a PID namespace of its own (a
  ``kill(-1, SIGKILL)`` that escapes the sandbox ends there, and
  everything in it dies with it) and a mount namespace of its own (for
  ``bounded_disk``).  Its first process is init of that namespace, which
  ``kill(-1)`` from inside never reaches: it survives to report.
* ``bounded_disk(folder, size)``: a size-capped tmpfs over ``folder``, so
  that a disk-filling test fills that and nothing else.
* ``safety_net(tasks)``: a pids cgroup of its own for the contained run,
  where the machine allows one, removed afterwards.
* ``refuse_namespaces()``: a seccomp filter that makes ``unshare`` fail
  with EPERM for this process and its children, as Docker's default
  profile does: the kit then runs as it would where the kernel refuses
  namespaces.  ``python -m tests.support.hostile.containment
  refuse-namespaces -- COMMAND...`` runs a command so.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import shutil
import struct
import sys
import time

UNSHARE = shutil.which("unshare")
# Syscall numbers of unshare, and the audit architecture, per machine.
SECCOMP_ARCH = {"x86_64": (0xC000003E, 272), "aarch64": (0xC00000B7, 97)}
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, EPERM = 0x7FFF0000, 0x00050000, 1
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x45, 0x06
CLONE_NEWUSER = 0x10000000


def available() -> str:
    """'' where contained runs are possible here, else why not."""
    if os.getuid() != 0:
        return "contained runs need root (a PID and mount namespace of the test's own)"
    if UNSHARE is None:
        return "util-linux's unshare is not installed"
    return ""


def contained(argv: list[str]) -> list[str]:
    return [UNSHARE, "--pid", "--fork", "--mount-proc", "--mount", "--propagation", "private", "--kill-child",
            *argv]


def bounded_disk(folder: str, size: int) -> None:
    """Mount a tmpfs of ``size`` bytes over ``folder`` (in this mount namespace)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"tmpfs", os.fsencode(folder), b"tmpfs", 0, f"size={size},mode=755".encode()) != 0:
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {folder}")


@contextlib.contextmanager
def safety_net(tasks: int):
    """A pids cgroup of ``tasks`` for a contained run, removed afterwards
    with the groups the run made inside it: yields the ``preexec_fn`` that
    puts the child in it (None where the machine allows no such group)."""
    from autograder.sandbox.runner import PidsCgroups

    folder = PidsCgroups().create(tasks)
    if folder is None:
        yield None
        return

    def join() -> None:
        with open(os.path.join(folder, "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))

    try:
        yield join
    finally:
        for _ in range(100):                  # the namespace's last processes may still be exiting
            inner = sorted((root for root, _, _ in os.walk(folder)), key=len, reverse=True)
            try:
                for group in inner:
                    os.rmdir(group)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)


def refuse_namespaces(only_user: bool = False) -> None:
    """From now on, ``unshare`` fails with EPERM here and in every child
    (with ``only_user``, only when it asks for a user namespace)."""
    arch, number = SECCOMP_ARCH[platform.machine()]
    program = [(BPF_LD_W_ABS, 0, 0, 4),                       # the architecture
               (BPF_JEQ_K, 0, 5 if only_user else 3, arch),   # another one: allow
               (BPF_LD_W_ABS, 0, 0, 0),                       # the syscall number
               (BPF_JEQ_K, 0, 3 if only_user else 1, number)]
    if only_user:
        program += [(BPF_LD_W_ABS, 0, 0, 16),                 # unshare's flags (low 32 bits)
                    (BPF_JSET_K, 0, 1, CLONE_NEWUSER)]
    program += [(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM),  # refused
                (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)]
    filters = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *line) for line in program))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    prog = Program(len(program), ctypes.cast(filters, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter")


def refusing(argv: list[str], only_user: bool = False) -> list[str]:
    """``argv`` run where the kernel refuses namespaces (or only user namespaces)."""
    verb = "refuse-user-namespaces" if only_user else "refuse-namespaces"
    return [sys.executable, "-m", "tests.support.hostile.containment", verb, "--", *argv]


if __name__ == "__main__":
    verbs = {"refuse-namespaces": False, "refuse-user-namespaces": True}
    if len(sys.argv) > 3 and sys.argv[1] in verbs and sys.argv[2] == "--":
        refuse_namespaces(only_user=verbs[sys.argv[1]])
        os.execvp(sys.argv[3], sys.argv[3:])
    sys.exit("usage: python -m tests.support.hostile.containment refuse-[user-]namespaces -- COMMAND...")
