"""Local aiohttp servers for the project notebooks: bound to 127.0.0.1 on a free port, stopped on request.

``serve(app)`` runs any aiohttp application; ``LocalServer`` is the base of the projects' fake sites
and APIs (``await X.start(...)``/``await x.stop()``, or ``async with X.running(...) as x:`` in a test).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

S = TypeVar("S", bound="LocalServer")


@dataclass
class AppServer:
    """An aiohttp application served on 127.0.0.1; ``await server.stop()`` when done."""

    runner: web.AppRunner
    url: str  # http://127.0.0.1:PORT

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve(app: web.Application) -> AppServer:
    """Start `app` on 127.0.0.1 with a free port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return AppServer(runner, f"http://127.0.0.1:{port}")


class LocalServer:
    """A server object with routes; subclasses implement ``add_routes``."""

    url: str = ""
    _server: AppServer | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @classmethod
    async def start(cls: type[S], **options: Any) -> S:
        server = cls(**options)
        app = web.Application()
        server.add_routes(app)
        server._server = await serve(app)
        server.url = server._server.url
        return server

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls: type[S], **options: Any) -> AsyncIterator[S]:
        server = await cls.start(**options)
        try:
            yield server
        finally:
            await server.stop()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None
