"""Support for the real-time chat project (09): a local server runner and test doubles for room members.

Nothing here is the chat itself: the rooms, the WebSocket handler and the clients are what the
learner writes in the notebook. This module only

* re-exports ``serve``: start an aiohttp application on 127.0.0.1 with a free port (``await serve(app)``);
* provides ``RecordingMember``: an object that behaves like a WebSocket for a ``ChatRoom``
  (``await member.send_json(obj)``) and records what it was sent, optionally slowly or failing,
  with a shared ``SendMeter`` counting how many sends were in progress at the same moment;
* provides ``ChatTestClient``: a tiny WebSocket client for the tests, for the open endpoint
  (``/ws/{room}?user=NAME``) and the authenticated one (``/secure/{room}``, then an auth frame);
* provides ``TokenBook``: the server's tokens, one per user, compared in constant time.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# re-exported (the `as` keeps linters from removing it): the notebook starts its chat app with chat_support.serve(app)
from local_server import serve as serve


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


class TokenBook:
    """The server's secrets: one random token per user, issued once and checked in constant time."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def issue(self, user: str) -> str:
        """A new token for `user` (replacing any earlier one)."""
        self._tokens[user] = secrets.token_urlsafe(16)
        return self._tokens[user]

    def valid(self, user: object, token: object) -> bool:
        """Whether `token` is `user`'s token. compare_digest takes as long for a near miss as for a wild
        guess, so the time an answer takes tells an attacker nothing about how close the guess was."""
        if not isinstance(user, str) or not isinstance(token, str) or user not in self._tokens:
            return False
        return hmac.compare_digest(self._tokens[user].encode(), token.encode())


class ChatTestClient:
    """A minimal WebSocket client for tests: ``await ChatTestClient.connect(url, room, user)``.

    ``endpoint="secure"`` connects to ``/secure/{room}`` without a user in the URL: the client then
    proves who it is with ``await client.auth(user, token)``.
    """

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self.ws = ws

    @classmethod
    async def connect(cls, base_url: str, room: str, user: str | None = None, endpoint: str = "ws") -> ChatTestClient:
        session = aiohttp.ClientSession()
        params = {"user": user} if user is not None else {}
        try:
            ws = await session.ws_connect(f"{base_url}/{endpoint}/{room}", params=params)
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def auth(self, user: str, token: str) -> None:
        """Send the handshake frame of the authenticated endpoint."""
        await self.ws.send_json({"type": "auth", "user": user, "token": token})

    async def say(self, text: str) -> None:
        await self.ws.send_json({"text": text})

    async def closed(self, timeout: float = 3.0) -> int | None:
        """Wait until the server closes the connection; its close code (e.g. 4401)."""
        async with asyncio.timeout(timeout):
            while not self.ws.closed:
                await self.ws.receive()
        return self.ws.close_code

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
