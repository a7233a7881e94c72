"""A local JSON API for the API-client project (10): fast, flaky and slow endpoints, fully offline.

Endpoints (all GET, all JSON):

* ``/items/{id}`` - ``{"id": id, "name": "item-<id>", "price": ...}`` after ``delay`` seconds;
* ``/flaky/{id}`` - ``503`` on the first ``fail_times`` requests for each id, then the item;
* ``/slow/{id}`` - the item after ``slow_delay`` seconds (longer than a sensible client timeout),
  or nothing at all if the client hangs up first (counted in ``stats.abandoned``);
* more than ``max_concurrent`` requests in flight at once: ``429 Too Many Requests``.

``api.stats`` records what the server saw, so a test can check the client from the outside:
requests per path, statuses, the most requests in flight at once, the distinct TCP connections
used (connection pooling reuses a few; a session per request opens one each time), and how many
slow requests the client had already abandoned when the answer was ready (a timeout honoured).

    api = await LocalAPI.start()      # api.url == "http://127.0.0.1:<port>"
    ...
    await api.stop()
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web
from local_server import LocalServer


@dataclass
class APIStats:
    requests: Counter = field(default_factory=Counter)  # path -> requests (429s included)
    statuses: Counter = field(default_factory=Counter)  # status -> responses
    connections: set = field(default_factory=set)  # client (host, port) pairs seen: one per TCP connection
    in_flight: int = 0
    max_in_flight: int = 0
    abandoned: int = 0  # slow requests whose client hung up (timed out) before the answer was ready

    def reset(self) -> None:
        self.requests.clear()
        self.statuses.clear()
        self.connections.clear()
        self.in_flight = self.max_in_flight = self.abandoned = 0


def item(item_id: int) -> dict:
    """The JSON body the API returns for item ``item_id``."""
    return {"id": item_id, "name": f"item-{item_id}", "price": round(1 + (item_id * 37 % 100) / 4, 2)}


class LocalAPI(LocalServer):
    def __init__(
        self, delay: float = 0.02, slow_delay: float = 1.0, fail_times: int = 2, max_concurrent: int = 8
    ) -> None:
        self.delay = delay
        self.slow_delay = slow_delay
        self.fail_times = fail_times
        self.max_concurrent = max_concurrent
        self.stats = APIStats()
        self._flaky_seen: Counter = Counter()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/{kind}/{item_id}", self._handle)

    def reset(self) -> None:
        """Forget the statistics and the flaky endpoints' memory (they fail again)."""
        self.stats.reset()
        self._flaky_seen.clear()

    async def _handle(self, request: web.Request) -> web.Response:
        stats = self.stats
        stats.requests[request.path] += 1
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            stats.connections.add(tuple(peer[:2]))
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        status = 499
        try:
            kind = request.match_info["kind"]
            try:
                item_id = int(request.match_info["item_id"])
            except ValueError:
                item_id = -1
            if stats.in_flight > self.max_concurrent:
                await asyncio.sleep(self.delay)
                status = 429
                return web.json_response({"error": "too many requests"}, status=429, headers={"Retry-After": "0.05"})
            if kind not in ("items", "flaky", "slow") or item_id < 0:
                status = 404
                return web.json_response({"error": "not found"}, status=404)
            if kind == "slow":
                # Take slow_delay seconds, unless the client hangs up first (its timeout fired).
                deadline = asyncio.get_running_loop().time() + self.slow_delay
                while asyncio.get_running_loop().time() < deadline:
                    if request.transport is None or request.transport.is_closing():
                        stats.abandoned += 1
                        status = 499
                        return web.Response(status=499)  # nobody is listening any more
                    await asyncio.sleep(0.01)
            else:
                await asyncio.sleep(self.delay)
            if kind == "flaky":
                self._flaky_seen[item_id] += 1
                if self._flaky_seen[item_id] <= self.fail_times:
                    status = 503
                    return web.json_response({"error": "temporarily unavailable"}, status=503)
            status = 200
            return web.json_response(item(item_id))
        finally:
            stats.in_flight -= 1
            stats.statuses[status] += 1
