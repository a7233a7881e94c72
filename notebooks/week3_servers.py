"""Local servers for week 3 (async I/O): everything binds 127.0.0.1 on port 0, nothing needs the internet.

``ShopServer`` is a small aiohttp application the notebook starts inside its own event loop:

* ``GET /items/{id}``   a JSON item after a short delay (``?delay=0.2`` overrides it);
* ``GET /flaky/{key}``  answers 503 for the first ``?fail=N`` requests of each key, then 200;
* ``GET /ws``           a WebSocket that echoes every text message as ``"echo: <text>"``.

It counts what a client did to it (requests, requests in flight at once, distinct client connections),
so an exercise can be checked from the server's side too.

``Mailer`` is the FastAPI exercise's slow receipt sender, and ``max_overlap`` counts how many of the
PostgreSQL exercise's orders the server ran at the same time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterable
from typing import Any

from aiohttp import WSMsgType, web


def expected_item(item_id: int) -> dict[str, Any]:
    """The JSON body ``/items/{item_id}`` returns (tests compare against it)."""
    return {"id": item_id, "name": f"item-{item_id}", "price": round(2.5 + 1.25 * item_id, 2)}


@dataclasses.dataclass
class ServerStats:
    """What the server saw since the last ``reset_stats()``."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    peers: set[tuple[str, int]] = dataclasses.field(default_factory=set)

    @property
    def connections(self) -> int:
        """Distinct client connections (a session that reuses connections opens few)."""
        return len(self.peers)


class ShopServer:
    """An aiohttp server on 127.0.0.1:<free port>; use ``async with ShopServer() as server:`` or start()/stop()."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.stats = ServerStats()
        self.flaky_attempts: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def reset_stats(self) -> None:
        self.stats = ServerStats()
        self.flaky_attempts.clear()

    async def start(self) -> ShopServer:
        app = web.Application()
        app.add_routes(
            [
                web.get("/items/{item_id}", self._item),
                web.get("/flaky/{key}", self._flaky),
                web.get("/ws", self._websocket),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ShopServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _count(self, request: web.Request) -> None:
        self.stats.requests += 1
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.stats.peers.add((peer[0], peer[1]))

    async def _item(self, request: web.Request) -> web.Response:
        self._count(request)
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        try:
            await asyncio.sleep(float(request.query.get("delay", self.delay)))
            return web.json_response(expected_item(int(request.match_info["item_id"])))
        finally:
            self.stats.in_flight -= 1

    async def _flaky(self, request: web.Request) -> web.Response:
        self._count(request)
        key = request.match_info["key"]
        self.flaky_attempts[key] += 1
        attempt = self.flaky_attempts[key]
        if attempt <= int(request.query.get("fail", "2")):
            return web.json_response({"error": "try again later"}, status=503)
        return web.json_response({"key": key, "attempts": attempt})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        self._count(request)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(f"echo: {msg.data}")
        return ws


async def _shout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One client of the shout server: every line comes back in capitals, until the client closes."""
    try:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


async def start_shout_server() -> tuple[asyncio.Server, int]:
    """A line-based TCP server (asyncio streams) on 127.0.0.1:<free port>; returns (server, port)."""
    server = await asyncio.start_server(_shout, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


class Mailer:
    """Sends order receipts slowly. With ``hold=True`` every receipt waits until ``release()`` is called."""

    def __init__(self, hold: bool = False) -> None:
        self.sent: list[int] = []
        self._numbers = itertools.count(1)
        self._gate = asyncio.Event()
        if not hold:
            self._gate.set()

    def next_order_id(self) -> int:
        return next(self._numbers)

    async def send(self, order_id: int) -> None:
        await self._gate.wait()
        await asyncio.sleep(0.05)  # talking to a mail server
        self.sent.append(order_id)

    def release(self) -> None:
        self._gate.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` receipts have been sent."""
        async with asyncio.timeout(timeout):
            while len(self.sent) < count:
                await asyncio.sleep(0.01)


def max_overlap(intervals: Iterable[tuple[Any, Any]]) -> int:
    """The most (start, end) intervals that contain one same moment (touching ends do not overlap)."""
    events = sorted(itertools.chain.from_iterable(((start, 1), (end, -1)) for start, end in intervals))
    most = now = 0
    for _, step in events:  # at equal times -1 sorts first: an end before a start
        now += step
        most = max(most, now)
    return most
