"""The site's p99 while campaign workbooks are being built, against idle, in one run.

Exports run in the export process (surveys.export.jobs), not on the event loop, so a light
page keeps its p99 within 3× of idle while a 52-round campaign workbook (200 societies,
bench/export.py's data) is built again and again. Goal: ratio ≤ 3.

One uvicorn worker (uvloop, httptools) on CPU 0 with its export worker (spawned by it,
so on the same CPU, at lower priority); wrk (-t1) on CPU 1; a client thread in this
process asks for the campaign workbook over and over during the loaded runs. Idle and
loaded are measured alternately, A/B/A/B, and the medians compared. SQLite.

    .venv/bin/python bench/export_load.py [--duration 15] [--rounds 2] [--path /healthz]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from export import generate
from healthz_vs_hello import (
    free_port,
    parse_wrk,
    stop,
    uvicorn_command,
    wait_until_up,
)
from notice_data import environment

CLIENT_CPU = "1"
GOAL = 3.0


async def _session(env: dict[str, str]) -> str:
    """A staff member of the association, signed in: the session cookie's token."""
    from intranet import db
    from intranet.accounts import start_session
    from intranet.models import Membership, Organisation, Role, User
    from intranet.settings import load_settings

    settings = load_settings(env)
    await db.init(settings)
    try:
        user = await User.create(username="bench-staff", display_name="bench", password_hash="!")
        association = await Organisation.get(id=1)
        await Membership.create(user=user, organisation=association, role=Role.STAFF)
        return await start_session(settings, user, "127.0.0.1", "wrk")
    finally:
        await db.close()


def wrk(url: str, seconds: int, cookie: str) -> tuple[float, float, int]:
    command = [
        "taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c8", f"-d{seconds}s", "--latency",
        "-H", f"Cookie: {cookie}", url,
    ]  # fmt: skip
    result = parse_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    return result.p99_ms, result.rps, result.requests


class Exporter(threading.Thread):
    """Downloads the campaign workbook again and again until stopped."""

    def __init__(self, url: str, cookie: str) -> None:
        super().__init__(daemon=True)
        self.url, self.cookie = url, cookie
        self.running = threading.Event()
        self.done = 0
        self.seconds: list[float] = []
        self.size = 0

    def run(self) -> None:
        while True:
            self.running.wait()
            started = time.monotonic()
            request = urllib.request.Request(self.url, headers={"Cookie": self.cookie})
            with urllib.request.urlopen(request, timeout=600) as response:
                self.size = len(response.read())
            self.seconds.append(time.monotonic() - started)
            self.done += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--path", default="/healthz")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="huibao-export-load-"))
    info = generate(data_dir, None)
    env = {**environment(data_dir, None), "HUIBAO_SCHEDULER": "0", "HUIBAO_DEBUG": "0"}
    token = asyncio.run(_session(env))
    cookie = f"huibao_session={token}; huibao_visitor=bench-visitor"
    campaign = info["campaigns"]["52"]["campaign"]

    port = free_port()
    # Pinned to CPU 0 (its export worker, a child, too).
    command = uvicorn_command("intranet.app:create_app", port, factory=True, app_dir=Path.cwd())
    server = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", server)
        page = base + args.path
        exporter = Exporter(f"{base}/reports/campaigns/{campaign}/trend.xlsx", cookie)
        exporter.start()
        exporter.running.set()  # warm up the pool and the caches
        while exporter.done < 1:
            time.sleep(0.2)
        exporter.running.clear()
        wrk(page, 3, cookie)
        idle: list[float] = []
        loaded: list[float] = []
        for _ in range(args.rounds):
            time.sleep(max(exporter.seconds) + 1)  # let the last export finish
            idle.append(wrk(page, args.duration, cookie)[0])
            exporter.running.set()
            time.sleep(1)  # an export under way
            loaded.append(wrk(page, args.duration, cookie)[0])
            exporter.running.clear()
        p_idle, p_loaded = statistics.median(idle), statistics.median(loaded)
        print(f"page {args.path}, campaign {campaign} (52 rounds, 200 societies), SQLite")
        print(f"exports built: {exporter.done}, {statistics.median(exporter.seconds):.2f} s each "
              f"(median), {exporter.size / 1e6:.1f} MB")  # fmt: skip
        print(f"p99 idle   : {p_idle:.2f} ms  (runs: {', '.join(f'{v:.2f}' for v in idle)})")
        print(f"p99 loaded : {p_loaded:.2f} ms  (runs: {', '.join(f'{v:.2f}' for v in loaded)})")
        ratio = p_loaded / p_idle
        verdict = "OK" if ratio <= GOAL else "MISSED"
        print(f"ratio      : {ratio:.2f}x (goal <= {GOAL:.0f}x) {verdict}")
        return 0 if ratio <= GOAL else 1
    finally:
        stop(server)


if __name__ == "__main__":
    sys.exit(main())
