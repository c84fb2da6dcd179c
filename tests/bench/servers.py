"""Serve an app with gunicorn on loopback for the benchmark, and stop it afterwards."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    pid: int  # gunicorn's master process

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process now, in MB (from /proc)."""
        sizes = []
        for pid in _children(self.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def workers_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far."""
        return sum(cpu_seconds(pid) for pid in _children(self.pid))


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL server process on this machine (its backends included)."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                total += cpu_seconds(int(comm.parent.name))
        except OSError:
            continue
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    workers: int = 2,
    log_dir: Path | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    """Run ``gunicorn app`` (sync workers, no control socket); yield the running server."""
    port = port or free_port()
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    log = open(log_dir / f"gunicorn-{port}.log", "wb") if log_dir else subprocess.DEVNULL  # noqa: SIM115
    command = [
        str(gunicorn_bin),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log is not subprocess.DEVNULL:
            log.close()


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:  # noqa: S310
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {base} within {timeout:.0f} s")
