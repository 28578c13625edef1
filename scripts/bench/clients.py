"""Concurrent HTTP clients that load one URL: wrk, or a small Python client without it.

Both keep ``connections`` keep-alive connections busy for ``seconds`` and report
requests per second, p50 and p99 latency and errors (wrk: a status of 400 or more, or a
failed connection; the Python client: any status but 200).
"""

from __future__ import annotations

import http.client
import json
import math
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from .stats import percentile

INSTALL_WRK = "apt-get install -y wrk"
USER_AGENT = "trainerpath-benchmark"  # also the one the login cookie was issued to
MARK = "BENCH-RESULT "

# wrk runs one Lua state per thread; done() sees every thread's figures.
WRK_SUMMARY = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d}\\n',
    "MARK", summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
""".replace("MARK", MARK)


@dataclass(frozen=True)
class Load:
    """How hard to push: open connections, client threads, seconds per measurement."""

    connections: int
    threads: int
    seconds: int

    def describe(self, tool: str) -> str:
        """The settings as one phrase for the report."""
        if tool == "wrk":
            return f"wrk -t{self.threads} -c{self.connections} -d{self.seconds}s"
        return f"the Python client, {self.connections} connections, {self.seconds} s"


@dataclass(frozen=True)
class Result:
    """What one load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    # The server's workers' CPU time (user + system) over the run, per request answered.
    cpu_us: float = math.nan

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds > 0 else math.nan


def wrk_path() -> str | None:
    """wrk's path, or None when it is not installed."""
    return shutil.which("wrk")


def run_wrk(url: str, headers: dict[str, str], load: Load) -> Result:
    """Load ``url`` with wrk."""
    threads = min(load.threads, load.connections)
    header_args = [
        arg
        for name, value in {"User-Agent": USER_AGENT, **headers}.items()
        for arg in ("-H", f"{name}: {value}")
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(WRK_SUMMARY)
        lua.flush()
        command = [
            wrk_path() or "wrk",
            f"-t{threads}",
            f"-c{load.connections}",
            f"-d{load.seconds}s",
            "--timeout",
            "60s",
            *header_args,
            "-s",
            lua.name,
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            return Result(**json.loads(line.removeprefix(MARK)))
    raise RuntimeError(f"wrk printed no result ({done.returncode}): {done.stderr or done.stdout}")


def run_python(url: str, headers: dict[str, str], load: Load) -> Result:
    """Load ``url`` from one thread per connection; slower than wrk, so a cheap route's
    figures are the client's limit rather than the server's."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = {"User-Agent": USER_AGENT, **headers}
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    deadline = started + load.seconds

    def connection_loop() -> None:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    connection.request("GET", path, headers=sent)
                    answer = connection.getresponse()
                    answer.read()
                    ok = answer.status == 200
                except (OSError, http.client.HTTPException):
                    connection.close()
                    ok = False
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors[0] += 1
        finally:
            connection.close()

    workers = [threading.Thread(target=connection_loop) for _ in range(load.connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    return Result(
        len(latencies) + errors[0],
        seconds,
        percentile(latencies, 50),
        percentile(latencies, 99),
        errors[0],
    )


@dataclass(frozen=True)
class Client:
    """The load tool in use and its settings."""

    tool: str  # "wrk" or "python"
    load: Load

    def run(self, url: str, headers: dict[str, str]) -> Result:
        """Load ``url`` once with these settings."""
        runner = run_wrk if self.tool == "wrk" else run_python
        return runner(url, headers, self.load)

    def run_at_least(self, url: str, headers: dict[str, str], requests: int) -> Result:
        """Load ``url`` until it has answered ``requests`` requests (a few more, likely):
        runs of ``seconds``, then of as long as the rate so far says is left (60 s at most)."""
        runs = [self.run(url, headers)]
        while (done := sum(run.requests for run in runs)) < requests:
            rate = done / sum(run.seconds for run in runs)
            left = math.ceil((requests - done) / rate) if rate > 0 else self.load.seconds
            longer = replace(self.load, seconds=max(1, min(left, 60)))  # the rate may change
            runs.append(Client(self.tool, longer).run(url, headers))
        return Result(
            sum(run.requests for run in runs),
            sum(run.seconds for run in runs),
            math.nan,  # the runs' percentiles do not combine
            math.nan,
            sum(run.errors for run in runs),
        )

    def describe(self) -> str:
        """The settings as one phrase for the report."""
        return self.load.describe(self.tool)
