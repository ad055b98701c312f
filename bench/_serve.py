"""Serving and loading for the benchmarks: uvicorn with N workers pinned to CPU 0, its
log kept in a file, and wrk pinned to CPU 1 with a Lua script, read with p50 and p99.

healthz_vs_hello.py and notice_list.py run one worker and plain wrk; this adds what
bench/autosave.py needs on top of their helpers: several workers (the CPU time of the
whole process tree), a server log to search for errors, and wrk scripts whose done()
reports lines of their own.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from healthz_vs_hello import (
    _DURATION_UNITS,
    CLIENT_CPU,
    SERVER_CPU,
    free_port,
    parse_wrk,
    server_cpu_seconds,
    stop,
    wait_until_up,
)

__all__ = [
    "CLIENT_CPU",
    "SERVER_CPU",
    "Server",
    "WrkResult",
    "run_wrk_script",
    "start_server",
    "stop",
    "tree_cpu_seconds",
]


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # wrk's own count: non-2xx/3xx responses and socket errors
    cpu_us: float = 0.0  # the server's CPU time per request, all its processes
    script_lines: list[str] = field(default_factory=list)  # what the script's done() wrote
    output: str = ""


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path
    log_file: IO[bytes]
    profiled: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.profiled and self.process.poll() is None:
            # uvicorn re-raises the signal it stopped on: SIGTERM's default action would
            # end the process before cProfile writes its file, SIGINT's exception does not.
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=60)
        stop(self.process)
        self.log_file.close()


def uvicorn_command(
    target: str,
    port: int,
    *,
    factory: bool,
    app_dir: Path,
    workers: int,
    profile_to: Path | None = None,
) -> list[str]:
    """As healthz_vs_hello's (uvloop, httptools, no access log), with `workers`; with
    `profile_to`, under cProfile (the main thread; written when the server stops)."""
    profiling = ["-m", "cProfile", "-o", str(profile_to)] if profile_to else []
    command = [
        "taskset", "-c", SERVER_CPU,
        sys.executable, *profiling, "-m", "uvicorn", target,
        "--app-dir", str(app_dir),
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    return command


def start_server(
    target: str,
    *,
    factory: bool,
    app_dir: Path,
    cwd: Path,
    env: dict[str, str],
    workers: int,
    log_path: Path,
    profile_to: Path | None = None,
) -> Server:
    """Start uvicorn on a free port, its output in `log_path`; return once /healthz
    answers 200 (and, with several workers, a little later so all have started)."""
    port = free_port()
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        uvicorn_command(
            target, port, factory=factory, app_dir=app_dir, workers=workers, profile_to=profile_to
        ),
        cwd=cwd,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, port, log_path, log_file, profiled=profile_to is not None)
    try:
        wait_until_up(f"{server.url}/healthz", process, timeout=60)
        if workers > 1:
            time.sleep(3)  # the first worker up answers; give the others time to start
    except BaseException:
        server.stop()
        raise
    return server


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (uvicorn's workers)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            total += server_cpu_seconds(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(p) for p in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def parse_p50(output: str) -> float:
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    return float(p50.group(1)) * _DURATION_UNITS[p50.group(2)] if p50 else float("nan")


def run_wrk_script(
    url: str,
    script: Path,
    *,
    seconds: int,
    threads: int,
    connections: int,
    server_pid: int,
    prefix: str = "bench-",
) -> WrkResult:
    """wrk pinned to CPU 1 with a Lua script; lines the script writes that start with
    `prefix` are kept in `script_lines`."""
    command = [
        "taskset", "-c", CLIENT_CPU,
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    cpu_before = tree_cpu_seconds(server_pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    basic = parse_wrk(done.stdout)
    result = WrkResult(
        rps=basic.rps,
        p50_ms=parse_p50(done.stdout),
        p99_ms=basic.p99_ms,
        requests=basic.requests,
        bad=basic.bad,
        script_lines=[line for line in done.stdout.splitlines() if line.startswith(prefix)],
        output=done.stdout,
    )
    if result.requests:
        result.cpu_us = (tree_cpu_seconds(server_pid) - cpu_before) / result.requests * 1e6
    return result
