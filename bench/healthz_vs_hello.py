"""Throughput of the full site's /healthz against a bare Starlette "hello" app.

Both servers run under uvicorn (uvloop, httptools, no access log, one worker) pinned
to CPU 0; wrk runs pinned to CPU 1. The two are measured alternately, A/B/A/B, after
a short warm-up, and the medians are compared.

    .venv/bin/python bench/healthz_vs_hello.py [--duration 10] [--rounds 3]
        [--healthz-position first|middle|last]

The site runs on a fresh SQLite database in a temporary HUIBAO_DATA_DIR, migrated
first. /healthz goes through the whole middleware stack (security headers, body
limit, sessions, CSRF) and runs a live `SELECT 1`. --healthz-position moves its route
first, to the middle or last (the default) of the site's routes, to show that routing
costs the same wherever a route is declared.

Run as a script it measures; imported (by uvicorn) it is the bare hello app.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SERVER_CPU = "0"
CLIENT_CPU = "1"
GOAL = 0.75  # wherever /healthz sits among the routes (the hot-paths goal)
POSITIONS = ("first", "middle", "last")
# Read by site_app(), the factory uvicorn calls in the server process.
POSITION_VARIABLE = "BENCH_HEALTHZ_POSITION"


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/", hello)])


def place_healthz(site: Starlette, position: str) -> Starlette:
    """Move the site's /healthz route first, to the middle or last of its routes."""
    others = [route for route in site.routes if getattr(route, "path", None) != "/healthz"]
    healthz = [route for route in site.routes if getattr(route, "path", None) == "/healthz"]
    at = {"first": 0, "middle": len(others) // 2, "last": len(others)}[position]
    site.router.routes = [*others[:at], *healthz, *others[at:]]
    return site


def site_app() -> Starlette:
    """The site, with /healthz where the measuring script asked (uvicorn's factory)."""
    from intranet.app import create_app

    return place_healthz(create_app(), os.environ.get(POSITION_VARIABLE, "last"))


@dataclass
class Result:
    rps: float
    p99_ms: float
    requests: int
    bad: int
    cpu_us: float = 0.0  # the server's CPU time per request (user + system)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uvicorn_command(target: str, port: int, *, factory: bool, app_dir: Path) -> list[str]:
    command = [
        "taskset", "-c", SERVER_CPU,
        sys.executable, "-m", "uvicorn", target,
        "--app-dir", str(app_dir),
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--workers", "1", "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    return command


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server for {url} exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")


def site_environment(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUIBAO_")}
    env["HUIBAO_DATA_DIR"] = str(data_dir)
    env["HUIBAO_DEBUG"] = "0"
    return env


def migrate(env: dict[str, str]) -> None:
    # The connections are closed afterwards: an open aiosqlite thread keeps the process alive.
    code = (
        "import asyncio\n"
        "from intranet import db\n"
        "from intranet.settings import load_settings\n"
        "async def main():\n"
        "    try:\n"
        "        await db.migrate(load_settings())\n"
        "    finally:\n"
        "        await db.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_DIR, check=True, timeout=120)


_DURATION_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> Result:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p99 and total):
        raise SystemExit("could not read wrk's output:\n" + output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        bad += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Result(
        rps=float(rps.group(1)),
        p99_ms=float(p99.group(1)) * _DURATION_UNITS[p99.group(2)],
        requests=int(total.group(1)),
        bad=bad,
    )


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, seconds: int, connections: int, server_pid: int) -> Result:
    command = [
        "taskset", "-c", CLIENT_CPU,
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url,
    ]  # fmt: skip
    cpu_before = server_cpu_seconds(server_pid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result = parse_wrk(done.stdout)
    if result.requests:
        result.cpu_us = (server_cpu_seconds(server_pid) - cpu_before) / result.requests * 1e6
    return result


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (3)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per app (3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument(
        "--healthz-position",
        choices=POSITIONS,
        default="last",
        help="where /healthz stands among the site's routes (last)",
    )
    args = parser.parse_args()

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install wrk util-linux)")
    if not {0, 1} <= os.sched_getaffinity(0):
        raise SystemExit("needs at least 2 CPUs: server on CPU 0, wrk on CPU 1")

    servers: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        try:
            env = site_environment(Path(data_dir))
            migrate(env)
            env[POSITION_VARIABLE] = args.healthz_position

            hello_port = free_port()
            servers.append(
                subprocess.Popen(
                    uvicorn_command(
                        "healthz_vs_hello:app", hello_port, factory=False, app_dir=BENCH_DIR
                    ),
                    cwd=REPO_DIR,
                )
            )
            site_port = free_port()
            servers.append(
                subprocess.Popen(
                    uvicorn_command(
                        "healthz_vs_hello:site_app", site_port, factory=True, app_dir=BENCH_DIR
                    ),
                    cwd=REPO_DIR,
                    env=env,
                )
            )
            targets = {
                "hello": f"http://127.0.0.1:{hello_port}/",
                "healthz": f"http://127.0.0.1:{site_port}/healthz",
            }
            for name, server in zip(targets, servers, strict=True):
                wait_until_up(targets[name], server)

            print(f"load average before: {load_average()}")
            print(
                f"uvicorn (uvloop, httptools, 1 worker) on CPU {SERVER_CPU}; "
                f"wrk -t1 -c{args.connections} on CPU {CLIENT_CPU}; "
                f"{args.rounds} rounds x {args.duration} s, warm-up {args.warmup} s each; "
                f"/healthz {args.healthz_position} of the site's routes"
            )
            pids = {name: server.pid for name, server in zip(targets, servers, strict=True)}
            for name, url in targets.items():
                run_wrk(url, args.warmup, args.connections, pids[name])
                print(f"  warmed up {name:<8} {url}")

            results: dict[str, list[Result]] = {name: [] for name in targets}
            for round_number in range(1, args.rounds + 1):
                for name, url in targets.items():
                    result = run_wrk(url, args.duration, args.connections, pids[name])
                    results[name].append(result)
                    errors = f"  ERRORS {result.bad}" if result.bad else ""
                    print(
                        f"  round {round_number}  {name:<8} {result.rps:>10.0f} req/s"
                        f"  p99 {result.p99_ms:7.2f} ms"
                        f"  server CPU {result.cpu_us:5.1f} µs/req{errors}"
                    )
        finally:
            for server in servers:
                stop(server)

    medians = {name: statistics.median(r.rps for r in runs) for name, runs in results.items()}
    p99s = {name: statistics.median(r.p99_ms for r in runs) for name, runs in results.items()}
    cpus = {name: statistics.median(r.cpu_us for r in runs) for name, runs in results.items()}
    print()
    labels = {"hello": "bare hello  GET /       ", "healthz": "full stack  GET /healthz"}
    for name, label in labels.items():
        print(
            f"{label}  median {medians[name]:>10.0f} req/s  p99 {p99s[name]:6.2f} ms"
            f"  server CPU {cpus[name]:5.1f} µs/req"
        )
    ratio = medians["healthz"] / medians["hello"]
    verdict = "PASS" if ratio >= GOAL else "FAIL"
    print(f"ratio (full stack /healthz ÷ bare hello): {ratio:.2f}  goal ≥ {GOAL}  {verdict}")
    print(f"  by server CPU per request (hello ÷ healthz): {cpus['hello'] / cpus['healthz']:.2f}")
    print(f"load average after: {load_average()} (other work on CPU 0/1 skews the figures)")
    if any(r.bad for runs in results.values() for r in runs):
        print("warning: some requests failed (see ERRORS above); the figures are suspect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
