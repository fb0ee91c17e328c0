"""The student's file system: what its process may import, and the minimal
root it sees when it is confined.

Two things, computed here in the grader, where the paths are known:

* ``allowed_top_levels`` and ``build_link_folder``: the folder of links
  (NumPy, Matplotlib and their dependencies, nothing else) that is the
  runner's only ``sys.path`` entry besides the standard library;
* ``root_plan``: the minimal root, as a list of steps (plain data) that
  ``runner.py`` carries out in a mount namespace of its own before any
  student code runs, then makes its root with ``pivot_root``:

  ======================  ==============================================
  ``/usr`` (and the       read-only: the system's programs and shared
  ``/bin``, ``/lib``...   libraries (the usual links kept as links)
  links)
  the Python              read-only, with its ``site-packages`` replaced
  installation            by an empty folder holding the allowed
                          distributions only
  ``/etc``                ``passwd``, ``group`` and ``hosts`` written for
                          the sandbox, and the linker's cache; nothing
                          else
  ``/dev``                ``null``, ``zero``, ``full``, ``random``,
                          ``urandom`` and the usual links
  ``/proc``               the PID namespace's own; ``/proc/sys``,
                          ``sysrq-trigger``, ``irq`` and ``bus`` read-only
  ``/home/student``       the private scratch folder: a tmpfs of
  and ``/tmp``            ``Limits.scratch_bytes``, writable, shown as
                          two folders; ``/home/student`` is ``HOME``,
                          ``TMPDIR`` and the working folder, ``/tmp``
                          (and ``/dev/shm``) hold the rest
  ======================  ==============================================

Nothing else exists in it: not the class, the output folder, the kit, the
instructor notebooks, the host's ``/tmp``, ``/root``, ``/home`` or the rest
of ``/etc``.  Each session builds its own from scratch, so nothing of one
student is ever in another's view.  Paths are the host's resolved paths,
so the steps never pass through a symbolic link.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import site
import sys
from pathlib import Path
from typing import Iterable

# Distributions the student's process may import (with their dependencies).
ALLOWED_DISTRIBUTIONS = ("numpy", "matplotlib")
SCRATCH = "/home/student"                       # HOME, TMPDIR and the working folder
SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus")
LINKER_CACHE = "/etc/ld.so.cache"
SCRATCH_INODES = 16384                          # files and folders the scratch folder may hold
ETC_FILES = {
    # The student is uid 0 in its own user namespace (or 65534 where there is none).
    "/etc/passwd": f"student:x:0:0:student:{SCRATCH}:/bin/sh\nnobody:x:65534:65534:nobody:{SCRATCH}:/bin/sh\n",
    "/etc/group": "student:x:0:\nnogroup:x:65534:\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
}


# ------------------------------------------------------------------ imports

def _requirement_names(distribution: importlib.metadata.Distribution) -> list[str]:
    names = []
    for requirement in distribution.requires or []:
        if ";" in requirement and "extra" in requirement.split(";", 1)[1]:
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if match:
            names.append(match.group(0))
    return names


def allowed_top_levels() -> dict[str, Path]:
    """{name: path} of every top-level entry (package, module, ``*.libs``
    folder, dist-info) of the allowed distributions and their dependencies."""
    entries, seen, queue = {}, set(), list(ALLOWED_DISTRIBUTIONS)
    while queue:
        name = queue.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        queue.extend(_requirement_names(distribution))
        for file in distribution.files or []:
            first = file.parts[0]
            if first in ("..", "__pycache__") or first.endswith(".pth"):
                continue
            if len(file.parts) == 1 and not first.endswith((".py", ".so")):
                continue
            entries.setdefault(first, Path(distribution.locate_file(first)))
    for forbidden in ("reference", "autograder"):
        entries.pop(forbidden, None)
    return entries


def build_link_folder(folder: Path, links: dict[str, Path]) -> Path:
    """A folder of symbolic links, one per allowed top-level entry."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in links.items():
        if target.exists():
            (folder / name).symlink_to(target)
    return folder


# ------------------------------------------------------------------ the root

def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _real(path) -> str:
    return os.path.realpath(path)


def python_installation() -> list[str]:
    """The folders of the Python that runs the student's code (resolved)."""
    folders = [_real(sys.base_prefix), _real(sys.prefix), str(Path(_real(sys.executable)).parent.parent)]
    return list(dict.fromkeys(folder for folder in folders if os.path.isdir(folder)))


def _site_folders() -> list[str]:
    folders = list(site.getsitepackages())
    user = site.getusersitepackages()
    if isinstance(user, str):
        folders.append(user)
    return list(dict.fromkeys(_real(folder) for folder in folders if os.path.isdir(folder)))


class _Builder:
    """Collects the steps; knows which host paths they have made visible."""

    def __init__(self):
        self.steps: list[dict] = []
        self.bound: list[str] = []     # host folders bound read-only (visible with their contents)
        self.masked: list[str] = []    # folders shown empty, then filled with chosen entries

    def visible(self, path: str) -> bool:
        """Whether ``path`` is already in the root through a bound folder."""
        if any(_inside(path, mask) for mask in self.masked):
            return False
        return any(_inside(path, folder) for folder in self.bound)

    def bind(self, source: str) -> None:
        if not self.visible(source):
            folder = os.path.isdir(source)
            self.steps.append({"op": "bind", "source": source, "path": source, "folder": folder})
            if folder:
                self.bound.append(source)

    def mask(self, folder: str) -> None:
        self.steps.append({"op": "tmpfs", "path": folder})
        self.masked.append(folder)


def root_plan(links: dict[str, Path], link_folder: Path, scratch_bytes: int = 64 * 1024 ** 2) -> list[dict]:
    """The steps that build the minimal root (see the module's docstring).

    links: the allowed top-level entries (``allowed_top_levels``);
    link_folder: the folder of links on ``sys.path`` (recreated inside)."""
    build = _Builder()
    for name in SYSTEM:
        path = f"/{name}"
        if os.path.islink(path):
            target = os.readlink(path)
            if os.path.isabs(target):
                target = os.path.relpath(target, "/")
            build.steps.append({"op": "symlink", "path": path, "to": target})
        elif os.path.isdir(path):
            build.bind(_real(path))
    # The scratch folders come before the Python installation: a Python (a
    # virtual environment, say) that lives under /tmp is then bound inside
    # the scratch tmpfs instead of being covered by it.
    build.steps.append({"op": "scratch", "folders": {"home": SCRATCH, "tmp": "/tmp"}, "bytes": int(scratch_bytes),
                        "inodes": SCRATCH_INODES})
    installation = python_installation()
    for folder in installation:
        build.bind(folder)
    sites = [folder for folder in _site_folders() if build.visible(folder)]
    for folder in sites:
        build.mask(folder)
    for name, target in links.items():
        if target.exists():
            build.bind(_real(target))
    for folder in sites:
        build.steps.append({"op": "seal", "path": folder})
    build.steps.append({"op": "dir", "path": "/etc"})
    for path, text in ETC_FILES.items():
        build.steps.append({"op": "file", "path": path, "text": text})
    if os.path.isfile(LINKER_CACHE):
        build.steps.append({"op": "bind", "source": _real(LINKER_CACHE), "path": LINKER_CACHE, "folder": False})
    build.steps.append({"op": "dir", "path": "/dev"})
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            build.steps.append({"op": "device", "source": f"/dev/{name}", "path": f"/dev/{name}"})
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2"), ("shm", "../tmp")):
        build.steps.append({"op": "symlink", "path": f"/dev/{name}", "to": target})
    build.steps.append({"op": "proc", "path": "/proc", "read_only": list(PROC_READ_ONLY)})
    build.steps.append({"op": "links", "path": str(link_folder),
                        "entries": {name: str(target) for name, target in links.items() if target.exists()}})
    return build.steps


def planned_paths(plan: list[dict]) -> list[str]:
    """Every path inside the root that ``plan`` makes."""
    paths = []
    for step in plan:
        if "path" in step:
            paths.append(step["path"])
        paths += list(step.get("folders", {}).values())
    return paths


def hide_in(plan: list[dict], hide: Iterable[str | Path]) -> list[dict]:
    """``plan`` with an empty, read-only folder over each of ``hide`` (the
    kit, the course, the submission) that one of its bound folders would
    show; a folder holding something the plan binds is left alone."""
    bound = [step["source"] for step in plan if step["op"] == "bind" and step["folder"]]
    masked = [step["path"] for step in plan if step["op"] == "tmpfs"]
    sources = [step["source"] for step in plan if step["op"] == "bind"]
    masks = []
    for path in dict.fromkeys(_real(path) for path in hide):
        if (os.path.isdir(path) and any(_inside(path, folder) for folder in bound)
                and not any(_inside(path, mask) for mask in masked)
                and not any(_inside(source, path) for source in sources)):
            masks.append({"op": "tmpfs", "path": path, "readonly": True})
    return plan + masks
