"""A minimal stand-in for Immich's push events (socket.io at ``/api/socket.io``).

socket.io is not in the OpenAPI spec, so this route is outside the spec validation. It
speaks only what Immich's server does with a websocket-only client, as checked against
the real Immich 2.7.5 (``tests/real/test_push.py``): ``0{...}`` on open, ``40{"sid"}``
after the client's ``40``, then ``42["on_server_version", {...}]``; a key without the
permission ``all`` (or an unknown key) gets ``42["error","unauthorized"]`` and ``41``.
Tests push events, ping, drop connections and refuse upgrades by hand.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
import json
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .state import ImmichState

PATH = "/api/socket.io/"


@dataclass
class FakeSocket:
    """One connected client."""

    ws: web.WebSocketResponse
    request: web.Request
    user_id: str
    pongs: int = 0


@dataclass
class FakeSocketIO:
    """Accept socket.io clients, record them, and let tests drive them."""

    state: ImmichState
    version: tuple[int, int, int]
    # Off by default: answer 404 like a server (or proxy) without push events, so
    # that tests not about them see no extra connection. Tests turn it on.
    enabled: bool = False
    ping_interval_ms: int = 25000
    ping_timeout_ms: int = 20000
    # Upgrade attempts (each a loop time), accepted or not: the last 64 (a soak
    # test makes thousands, and a growing list would count as a leak).
    attempts: deque[float] = field(default_factory=lambda: deque(maxlen=64))
    # Answer the next upgrades with this HTTP status instead (e.g. a proxy's 502).
    refuse_status: int | None = None
    refuse_times: int = 0
    sockets: list[FakeSocket] = field(default_factory=list)
    _changed: asyncio.Condition | None = None

    async def _notify(self) -> None:
        """Wake whoever waits for a change of the connections."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, count: int) -> None:
        """Wait until ``count`` clients are connected (and joined)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.sockets) >= count)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one websocket client."""
        self.attempts.append(asyncio.get_running_loop().time())
        if not self.enabled:
            return web.json_response(
                {"message": "Cannot GET /api/socket.io/", "statusCode": 404}, status=404
            )
        if self.refuse_times > 0 and self.refuse_status is not None:
            self.refuse_times -= 1
            return web.Response(status=self.refuse_status, text="refused")
        if request.query.get("EIO") != "4" or request.query.get("transport") != (
            "websocket"
        ):
            return web.json_response(
                {"code": 0, "message": "Transport unknown"}, status=400
            )
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        opened = {
            "sid": secrets.token_urlsafe(15),
            "upgrades": [],
            "pingInterval": self.ping_interval_ms,
            "pingTimeout": self.ping_timeout_ms,
            "maxPayload": 1000000,
        }
        await ws.send_str("0" + json.dumps(opened))
        socket: FakeSocket | None = None
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            if message.data == "3" and socket is not None:
                socket.pongs += 1
            elif message.data == "40":
                socket = await self._join(ws, request)
                if socket is None:
                    break
            elif message.data == "41":
                break
        if socket is not None and socket in self.sockets:
            self.sockets.remove(socket)
            await self._notify()
        await ws.close()
        return ws

    async def _join(
        self, ws: web.WebSocketResponse, request: web.Request
    ) -> FakeSocket | None:
        """Join the namespace; refuse like Immich a key without ``all``."""
        await ws.send_str("40" + json.dumps({"sid": secrets.token_urlsafe(15)}))
        key = self.state.api_keys.get(request.headers.get("x-api-key", ""))
        if key is None or "all" not in key.permissions:
            await ws.send_str('42["error","unauthorized"]')
            await ws.send_str("41")
            return None
        major, minor, patch = self.version
        socket = FakeSocket(ws=ws, request=request, user_id=key.user_id)
        self.sockets.append(socket)
        await self.send(
            socket,
            "on_server_version",
            {"major": major, "minor": minor, "patch": patch},
        )
        await self._notify()
        return socket

    async def send(self, socket: FakeSocket, name: str, *args: Any) -> None:
        """Send one event to one client."""
        await socket.ws.send_str("42" + json.dumps([name, *args]))

    async def emit(self, name: str, *args: Any, user_id: str | None = None) -> int:
        """Send an event to every client (of a user); return how many got it."""
        targets = [s for s in self.sockets if user_id in (None, s.user_id)]
        for socket in targets:
            await self.send(socket, name, *args)
        return len(targets)

    async def ping(self) -> None:
        """Ping every client (Engine.IO ``2``)."""
        for socket in self.sockets:
            await socket.ws.send_str("2")

    async def drop(self) -> None:
        """Cut every connection without a goodbye."""
        for socket in list(self.sockets):
            if socket.request.transport is not None:
                socket.request.transport.close()
        self.sockets.clear()
        await self._notify()
