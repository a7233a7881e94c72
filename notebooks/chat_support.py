"""Support for the real-time chat project (09): a local server runner and test doubles for room members.

Nothing here is the chat itself: the rooms, the WebSocket handler and the clients are what the
learner writes in the notebook. This module only

* re-exports ``serve``: start an aiohttp application on 127.0.0.1 with a free port (``await serve(app)``);
* provides ``RecordingMember``: an object that behaves like a WebSocket for a ``ChatRoom``
  (``await member.send_json(obj)``) and records what it was sent, optionally slowly or failing,
  with a shared ``SendMeter`` counting how many sends were in progress at the same moment;
* provides ``ChatTestClient``: a tiny WebSocket client for the tests.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from local_server import serve as serve  # re-exported: the notebook starts its chat app with chat_support.serve(app)


@dataclass
class SendMeter:
    """Counts sends in progress across members: ``max_in_flight`` > 1 means they overlapped."""

    in_flight: int = 0
    max_in_flight: int = 0


@dataclass(eq=False)  # members are compared by identity, so they can live in a set
class RecordingMember:
    """Stands in for a WebSocket in a room: records every message it is sent.

    ``delays`` are cycled through, one per message (a slow or uneven connection); ``fail_on`` makes
    the n-th send (1-based) raise ConnectionResetError, like a client that vanished.
    """

    name: str
    delays: tuple[float, ...] = (0.0,)
    fail_on: int | None = None
    meter: SendMeter | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    sends: int = 0

    async def send_json(self, message: dict[str, Any]) -> None:
        self.sends += 1
        number = self.sends
        if self.meter is not None:
            self.meter.in_flight += 1
            self.meter.max_in_flight = max(self.meter.max_in_flight, self.meter.in_flight)
        try:
            await asyncio.sleep(self.delays[(number - 1) % len(self.delays)])
            if self.fail_on is not None and number >= self.fail_on:
                raise ConnectionResetError(f"{self.name} has gone away")
            self.received.append(json.loads(json.dumps(message)))  # a copy, as if it went over the wire
        finally:
            if self.meter is not None:
                self.meter.in_flight -= 1


class ChatTestClient:
    """A minimal WebSocket client for tests: ``await ChatTestClient.connect(url, room, user)``."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self.ws = ws

    @classmethod
    async def connect(cls, base_url: str, room: str, user: str) -> ChatTestClient:
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(f"{base_url}/ws/{room}", params={"user": user})
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def say(self, text: str) -> None:
        await self.ws.send_json({"text": text})

    async def next(self, timeout: float = 3.0) -> dict[str, Any]:
        """The next JSON frame from the server (TimeoutError if none arrives in time)."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    return json.loads(msg.data)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise ConnectionError("the server closed the connection")

    async def close(self) -> None:
        await self.ws.close()
        await self._session.close()
