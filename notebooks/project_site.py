"""A small local website for the scraper project (07): rate-limited, flaky on purpose, fully offline.

The site serves ``pages`` HTML pages that link to each other like a tiny wiki. It behaves like the
sites a real scraper meets, but deterministically:

* **rate limit** - when more than ``max_concurrent`` requests are in flight at once, the extra ones
  get ``429 Too Many Requests`` (with a ``Retry-After`` header);
* **flaky pages** - every page whose number is a multiple of ``flaky_every`` fails with
  ``503 Service Unavailable`` on its *first* request and works afterwards;
* **broken pages** - paths listed in ``broken`` always answer ``500``.

It keeps honest books (``site.stats``) so tests can check what a crawler really did: requests per
path, status counts, and the largest number of requests it ever had in flight at once.

Usage in a notebook (top-level ``await``)::

    site = await FlakySite.start(pages=20, max_concurrent=4)
    ...  # site.url is "http://127.0.0.1:<port>"
    await site.stop()

or ``async with FlakySite.running(...) as site:`` inside a test.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from local_server import LocalServer


@dataclass
class SiteStats:
    """What the site saw. Reset with ``site.stats.reset()``."""

    requests: Counter = field(default_factory=Counter)  # path -> requests received (429s included)
    visits: Counter = field(default_factory=Counter)  # path -> requests served (not rate-limited)
    statuses: Counter = field(default_factory=Counter)  # HTTP status -> responses sent
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests being served at one moment (429s included)

    def reset(self) -> None:
        self.requests.clear()
        self.visits.clear()
        self.statuses.clear()
        self.in_flight = 0
        self.max_in_flight = 0


def page_title(number: int) -> str:
    """The title of page ``number`` (the scraper's job is to collect these)."""
    return f"Page {number}: {_WORDS[number % len(_WORDS)]} {_WORDS[(number * 7 + 3) % len(_WORDS)]}"


_WORDS = (
    "threads",
    "tasks",
    "locks",
    "queues",
    "futures",
    "events",
    "loops",
    "cores",
    "pipes",
    "pools",
    "signals",
    "timeouts",
    "retries",
    "sockets",
    "streams",
    "workers",
)


def page_links(number: int, pages: int) -> list[int]:
    """Pages that page ``number`` links to: a deterministic little web where every page is reachable from 0."""
    if pages <= 1:
        return []
    children = [n for n in (2 * number + 1, 2 * number + 2) if n < pages]  # a binary tree reaches everything
    extra = (number * 5 + 1) % pages  # plus one cross-link, so pages are linked more than once
    return sorted(set(children + [extra]) - {number})


class FlakySite(LocalServer):
    """A local aiohttp site on 127.0.0.1 with a random free port."""

    def __init__(
        self,
        pages: int = 20,
        max_concurrent: int = 4,
        delay: float = 0.05,
        flaky_every: int = 3,
        broken: tuple[str, ...] = ("/broken",),
    ) -> None:
        self.pages = pages
        self.max_concurrent = max_concurrent
        self.delay = delay
        self.flaky_every = flaky_every
        self.broken = set(broken)
        self.stats = SiteStats()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_get("/page/{number}", self._page)
        app.router.add_get("/{tail:.*}", self._other)

    # ---- what a crawler should find ----------------------------------------------------------
    def expected_titles(self) -> dict[str, str]:
        """Every path reachable from the index and its title: what a complete crawl collects."""
        return {"/": "Index", **{f"/page/{n}": page_title(n) for n in range(self.pages)}}

    def flaky_paths(self) -> list[str]:
        return [f"/page/{n}" for n in range(self.pages) if n % self.flaky_every == 0]

    # ---- handlers -----------------------------------------------------------------------------
    def _enter(self, path: str) -> int:
        """Count the request; return its visit number for this path, or 0 when it breaks the rate limit."""
        self.stats.requests[path] += 1
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        if self.stats.in_flight > self.max_concurrent:
            return 0
        self.stats.visits[path] += 1
        return self.stats.visits[path]

    async def _respond(self, path: str, decide: Callable[[int], tuple[int, str]]) -> web.Response:
        """Serve one request: wait a little, then answer 429 if over the limit, else what ``decide`` says."""
        visit = self._enter(path)
        status = 499  # the client went away before we answered
        try:
            await asyncio.sleep(self.delay)  # a little network and server time
            if not visit:
                status = 429
                return web.Response(status=429, text="Too Many Requests: slow down", headers={"Retry-After": "0.05"})
            status, body = decide(visit)
            ctype = "text/html" if status == 200 else "text/plain"
            return web.Response(status=status, text=body, content_type=ctype)
        finally:
            self.stats.in_flight -= 1
            self.stats.statuses[status] += 1

    async def _index(self, request: web.Request) -> web.Response:
        return await self._respond("/", lambda visit: (200, _html("Index", [0])))

    async def _page(self, request: web.Request) -> web.Response:
        path = request.path
        try:
            number = int(request.match_info["number"])
        except ValueError:
            number = -1

        def decide(visit: int) -> tuple[int, str]:
            if not 0 <= number < self.pages:
                return 404, "Not Found"
            if number % self.flaky_every == 0 and visit == 1:
                return 503, "Service Unavailable: try again"  # each flaky page fails its first visit
            return 200, _html(page_title(number), page_links(number, self.pages))

        return await self._respond(path, decide)

    async def _other(self, request: web.Request) -> web.Response:
        path = request.path
        return await self._respond(
            path, lambda visit: (500, "Internal Server Error") if path in self.broken else (404, "Not Found")
        )


def _html(title: str, links: list[int]) -> str:
    items = "".join(f'<li><a href="/page/{n}">page {n}</a></li>' for n in links)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><ul>{items}</ul></body></html>"
