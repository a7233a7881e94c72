"""Serve an ASGI app (FastAPI, Starlette) with uvicorn on the notebook's own event loop, on 127.0.0.1.

    async with serving(app) as url:        # http://127.0.0.1:<free port>; the app's lifespan has started
        ...                                # talk to it with httpx or aiohttp
    # here uvicorn has finished its requests and background tasks and run the lifespan's shutdown

uvicorn normally owns its process (``uvicorn main:app``). In a notebook the kernel already runs an event
loop, so the server runs as one more task on it, like the course's aiohttp servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn


class LifespanError(RuntimeError):
    """The app's lifespan start-up raised: uvicorn printed the traceback above."""


class NotebookServer(uvicorn.Server):
    """uvicorn as a task: no signal handlers (Ctrl-C belongs to the kernel), no exiting the process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().serve(sockets)
        except SystemExit as exit_:  # uvicorn's way to report a failed start-up: it would end the kernel
            raise LifespanError("the app's lifespan start-up failed: see uvicorn's traceback above") from exit_


@contextlib.asynccontextmanager
async def serving(app: Any, startup_timeout: float = 10.0) -> AsyncIterator[str]:
    """Run `app` under uvicorn on 127.0.0.1:<free port> for the length of the block; yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))  # port 0: the system picks a free one
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = NotebookServer(config)
    task = asyncio.create_task(server.serve(sockets=[listener]), name="uvicorn")
    try:
        async with asyncio.timeout(startup_timeout):
            while not server.started:
                if task.done():
                    task.result()  # LifespanError, or another exception of uvicorn's
                    raise LifespanError("uvicorn stopped before it started serving")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True  # a graceful shutdown: open requests and background tasks finish first
        try:
            if not task.done():
                await task
        finally:
            listener.close()
