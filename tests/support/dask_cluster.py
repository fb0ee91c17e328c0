"""A real Dask cluster on 127.0.0.1 for the tests and the benchmark: one
``dask scheduler`` and ``dask worker`` processes (each with its nanny, in a
session of its own so that a test can kill a whole worker), started by the
test itself and stopped afterwards.

Workers import the kit from this checkout (PYTHONPATH), as a worker on
another machine imports the installed kit; ``wrap`` runs a worker's
command inside another (``containment.refusing``: a worker that cannot
confine student code).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
DASK_WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DaskCluster:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = dict(os.environ, PYTHONPATH=str(PROJECT), DASK_DISTRIBUTED__WORKER__DAEMON="False")
        self.scheduler = None
        self.workers: dict[str, subprocess.Popen] = {}

    def start(self, workers: int = 2) -> "DaskCluster":
        self.scheduler = self._spawn("scheduler", DASK + ["--host", "127.0.0.1", "--port", str(self.port),
                                                          "--no-dashboard"])
        for number in range(workers):
            self.add_worker(f"w{number + 1}")
        self.wait_for(workers)
        return self

    def add_worker(self, name: str, wrap=None) -> None:
        command = DASK_WORKER + [self.address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                 "--name", name, "--local-directory", str(self.folder / name),
                                 "--death-timeout", "120"]
        self.workers[name] = self._spawn(name, wrap(command) if wrap else command)

    def _spawn(self, name: str, command: list) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=PROJECT,
                                start_new_session=True)

    def wait_for(self, count: int) -> None:
        """Until the scheduler knows ``count`` workers."""
        from distributed import Client

        with Client(self.address, timeout=START_SECONDS, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=START_SECONDS)

    def worker_count(self) -> int:
        from distributed import Client

        with Client(self.address, timeout=START_SECONDS, set_as_default=False) as client:
            return len(client.scheduler_info(n_workers=-1)["workers"])

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker and its nanny: the worker is lost, not closed."""
        process = self.workers.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in [*self.workers.values(), self.scheduler]:
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.workers.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
