"""Where a /healthz request's time goes: the same request through uvicorn's HTTP protocol,
driven in-process (no sockets, no wrk), against the site built up layer by layer.

    .venv/bin/python bench/layers.py [--requests 9600] [--repeats 5] [--required-headers-only]
        [--healthz-position first|middle|last ...]

Prints the server CPU time per request (best of the repeats, after one warm-up) for:
a bare Starlette "hello"; this site's routes with no middleware; with the
security-headers layer only; and the whole site. Variants run alternately, twice.
With --healthz-position (last unless given; several may be given) the site's variants
are measured with /healthz moved first, to the middle or last of the site's routes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

import uvloop  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from uvicorn.config import Config  # noqa: E402
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: E402
from uvicorn.server import ServerState  # noqa: E402

CONNECTIONS = 32


class Transport:
    """Just enough of an asyncio transport for uvicorn's protocol; counts the writes."""

    def __init__(self, on_write: Callable[[], None]) -> None:
        self.on_write = on_write
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5555)}.get(name, default)

    def write(self, data: bytes) -> None:
        self.on_write()

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_protocol(self, protocol: Any) -> None: ...


async def cpu_per_request(
    app: Any, path: str, requests: int, repeats: int, headers: str = ""
) -> float:
    """Server CPU µs per request: best of `repeats` runs of `requests` GETs of `path`
    (after a warm-up run), each request sending `headers` ("Name: value\\r\\n" lines)."""
    config = Config(app, http="httptools", access_log=False, log_level="warning", lifespan="off")
    config.load()
    state = ServerState()
    state.default_headers = [(b"server", b"uvicorn")]
    loop = asyncio.get_running_loop()
    pending = 0
    done = asyncio.Event()

    def on_write() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            done.set()

    protocols = []
    for _ in range(CONNECTIONS):
        protocol = HttpToolsProtocol(config, state, {}, loop)
        protocol.connection_made(Transport(on_write))  # type: ignore[arg-type]
        protocols.append(protocol)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n{headers}\r\n"
    ).encode()
    best = float("inf")
    for repeat in range(repeats + 1):  # the first is a warm-up
        started = time.process_time()
        for _ in range(requests // CONNECTIONS):
            done.clear()
            pending = 2 * CONNECTIONS  # a response is written as head and body
            for protocol in protocols:
                protocol.data_received(request)
            await done.wait()
        per_request = (time.process_time() - started) / requests * 1e6
        if repeat:
            best = min(best, per_request)
    return best


def variants(positions: list[str]) -> dict[str, tuple[Any, str]]:
    from healthz_vs_hello import place_healthz
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from intranet import middleware
    from intranet.app import create_app, render_error
    from intranet.health import HealthCheck
    from intranet.settings import load_settings

    settings = load_settings()

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    def site_with(position: str, *layers: type) -> Starlette:
        # Every route of the site (the areas' too), served as create_app serves them.
        whole = create_app(settings, manage_database=False)
        stack = [
            Middleware(layer, settings=settings, render_error=render_error) for layer in layers
        ]
        app = type(whole)(routes=list(whole.routes), middleware=stack)
        app.state.settings = settings
        app.state.health_check = HealthCheck()
        return place_healthz(app, position)

    found: dict[str, tuple[Any, str]] = {"bare hello": (Starlette(routes=[Route("/", hello)]), "/")}
    for position in positions:
        site = place_healthz(create_app(settings, manage_database=False), position)
        found |= {
            f"site routes, no middleware ({position})": (site_with(position), "/healthz"),
            f"site + security headers ({position})": (
                site_with(position, middleware.SecurityHeadersMiddleware),
                "/healthz",
            ),
            f"whole site ({position})": (site, "/healthz"),
        }
    return found


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=9600)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--required-headers-only",
        action="store_true",
        help="send only CSP, nosniff and Referrer-Policy (what the site must send at least)",
    )
    parser.add_argument(
        "--healthz-position",
        nargs="+",
        choices=("first", "middle", "last"),
        default=["last"],
        help="where /healthz stands among the site's routes (last); several may be given",
    )
    args = parser.parse_args()
    if args.required_headers_only:
        from intranet import middleware

        middleware._FORCED_HEADERS = tuple(
            header
            for header in middleware._FORCED_HEADERS
            if header[0] in (b"x-content-type-options", b"referrer-policy")
        )
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        os.environ["HUIBAO_DATA_DIR"] = data_dir
        os.environ.pop("HUIBAO_DATABASE_URL", None)
        from intranet import db
        from intranet.settings import load_settings

        settings = load_settings()
        await db.migrate(settings)
        await db.close()
        await db.init(settings)
        try:
            apps = variants(args.healthz_position)
            results: dict[str, list[float]] = {name: [] for name in apps}
            for _ in range(2):
                for name, (app, path) in apps.items():
                    results[name].append(
                        await cpu_per_request(app, path, args.requests, args.repeats)
                    )
        finally:
            await db.close()
    baseline = min(results["bare hello"])
    for name, figures in results.items():
        best = min(figures)
        print(f"{name:<38} {best:6.1f} µs/request   ratio to bare hello {baseline / best:4.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
