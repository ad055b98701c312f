"""The real server in a subprocess (`python -m intranet serve --demo`), for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from intranet import demo

CHEAP_HASHES = {
    "HUIBAO_ARGON2_TIME_COST": "1",
    "HUIBAO_ARGON2_MEMORY_KIB": "64",
    "HUIBAO_ARGON2_PARALLELISM": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def login_for(self, role: str) -> tuple[str, str]:
        """The demo username and password of the person holding `role`."""
        return demo.login_for(role)


@contextmanager
def live_server_running(
    data_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    port = free_port()
    env = {
        **os.environ,
        **CHEAP_HASHES,
        "HUIBAO_DATA_DIR": str(data_dir),
        "HUIBAO_DATABASE_URL": "",
        **(extra_env or {}),
    }
    log = data_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "intranet", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)


def wait_until_healthy(server: LiveServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{server.log.read_text()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout}s:\n{server.log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
