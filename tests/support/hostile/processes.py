"""Finding processes by a marker in their command line (from the host's
/proc, which sees into every PID namespace)."""
import os
import time
import uuid


def new_marker() -> str:
    return f"mlpkit-hostile-{uuid.uuid4().hex[:12]}"


def sleeper_command(marker: str) -> str:
    """Python source for a list argv that sleeps ten minutes, tagged with the marker."""
    return f"[sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}]"


def matching(marker: str) -> list:
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                cmdline = handle.read()
            with open(f"/proc/{name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != b"Z":
            pids.append(int(name))
    return pids


def wait_until_gone(marker: str, seconds: float = 5.0) -> list:
    """The pids still alive with the marker after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = matching(marker)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def wait_until_present(marker: str, seconds: float = 5.0, count: int = 1) -> list:
    """The pids alive with the marker, waiting up to ``seconds`` for ``count`` of them."""
    deadline = time.monotonic() + seconds
    while True:
        alive = matching(marker)
        if len(alive) >= count or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)
