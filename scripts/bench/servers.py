"""gunicorn servers on free loopback ports, always stopped, and their workers' memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

SCRIPTS = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # it ended meanwhile
        return 0.0
    fields = stat.rpartition(")")[2].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        # "pid (name) state ppid ...": the name may hold spaces, so split after it.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Server:
    """One gunicorn master serving ``app`` at ``url``."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    workers: int

    def worker_pids(self) -> list[int]:
        """The pids of the workers running now."""
        return children_of(self.process.pid)

    def cpu_seconds(self) -> float:
        """The CPU time the workers running now have used so far."""
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def log_tail(self, size: int = 3000) -> str:
        """The end of the server's log."""
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""

    def wait_until_serving(self, path: str, timeout: float = 120) -> None:
        """Wait for an answer to ``path`` (any status) and for every worker to have started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5):
                    pass
            except urllib.error.HTTPError:
                pass  # an answer, if not a 200
            except OSError:  # refused, reset or timed out while starting
                time.sleep(0.2)
                continue
            if len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not serving {path} after {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the master and its workers (gracefully, then by force)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Servers:
    """Starts gunicorn servers and stops every one of them on leaving the ``with`` block,
    on an error and on Ctrl-C too (SIGTERM is turned into the same exit)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Server] = []

    def __enter__(self) -> Servers:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        for server in reversed(self.started):
            server.stop()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def start(
        self, name: str, app: str, workers: int, *, env: dict[str, str], preload: bool = False
    ) -> Server:
        """Serve ``app`` (``module:factory()`` under scripts/) with ``workers`` workers and
        ``env`` added to the environment."""
        port = free_port()
        log = self.workdir / f"gunicorn-{name}.log"
        command = [
            str(GUNICORN),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--pythonpath",
            str(SCRIPTS),
            "--log-level",
            "warning",
            "--timeout",
            "120",
            *(["--preload"] if preload else []),
            app,
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Server(name, f"http://127.0.0.1:{port}", process, log, workers)
        self.started.append(server)
        return server


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    sys.exit(128 + signal.SIGTERM)
