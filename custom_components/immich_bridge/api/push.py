"""Receive Immich's push events: a small socket.io client over one websocket.

Immich tells its web and mobile apps about uploads, deletions and new releases over
socket.io at `/api/socket.io` (Engine.IO 4, websocket transport only). The protocol
this client needs is small: the server opens with `0{json}` (its ping timing), the
client joins the default namespace with `40`, the server answers `40{json}`; events
come as `42["name", args...]`; the server pings with `2` and expects `3`.

Immich authenticates the websocket like a REST call without a route permission, so an
API key needs the permission `all`: any other key is told `error: "unauthorized"` and
disconnected. That refusal ends `run()`; every other failure is retried with capped
exponential back-off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from .errors import ImmichAuthenticationError, ImmichConnectionError

if TYPE_CHECKING:
    from .client import ImmichClient

_LOGGER: Final = logging.getLogger(__name__)

SOCKET_PATH: Final = "/api/socket.io/?EIO=4&transport=websocket"
# Waits used when the server's open packet doesn't name them (socket.io defaults).
DEFAULT_PING_INTERVAL: Final = 25.0
DEFAULT_PING_TIMEOUT: Final = 20.0
HANDSHAKE_TIMEOUT: Final = 30.0
MIN_BACKOFF: Final = 1.0
MAX_BACKOFF: Final = 300.0
# A connection that stayed up this long starts the back-off from the beginning again.
STABLE_AFTER: Final = 60.0
MAX_MESSAGE: Final = 4 * 1024 * 1024

# Engine.IO packet types, and the socket.io packets inside a message ("4").
_OPEN: Final = "0"
_CLOSE: Final = "1"
_PING: Final = "2"
_PONG: Final = "3"
_NOOP: Final = "6"
_CONNECT: Final = "40"
_DISCONNECT: Final = "41"
_EVENT: Final = "42"
_CONNECT_ERROR: Final = "44"


class PushState(StrEnum):
    """Where the push connection stands."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # waiting to reconnect
    REFUSED = "refused"  # the server refused the key: given up
    CLOSED = "closed"


@dataclass(frozen=True, kw_only=True)
class ImmichPushEvent:
    """One event the server pushed: its name and arguments (JSON)."""

    name: str
    args: tuple[Any, ...]


type PushListener = Callable[[ImmichPushEvent], None]
type StateListener = Callable[[PushState], None]


class _DroppedError(Exception):
    """The connection ended; reconnect."""


def backoff_delay(failures: int, *, minimum: float, maximum: float) -> float:
    """Return the wait before attempt `failures + 1`: doubling, capped, with jitter."""
    base: float = min(maximum, minimum * 2 ** min(failures, 32))
    return base * (0.5 + random.random() / 2)  # noqa: S311  # jitter, not security


@dataclass(eq=False, kw_only=True)
class ImmichPush:
    """Keep a socket.io connection to Immich open and hand its events to a listener."""

    client: ImmichClient = field(repr=False)
    on_event: PushListener = field(repr=False)
    on_state: StateListener | None = field(default=None, repr=False)
    min_backoff: float = MIN_BACKOFF
    max_backoff: float = MAX_BACKOFF
    state: PushState = field(default=PushState.DISCONNECTED, init=False)
    connections: int = field(default=0, init=False)  # successful connections so far
    last_event_at: float | None = field(default=None, init=False)  # time.time()
    _ws: aiohttp.ClientWebSocketResponse | None = field(
        default=None, init=False, repr=False
    )
    _refused: bool = field(default=False, init=False, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _closing: asyncio.Event = field(
        default_factory=asyncio.Event, init=False, repr=False
    )

    def _set_state(self, state: PushState) -> None:
        """Record and report a new state."""
        if state is not self.state:
            self.state = state
            if self.on_state is not None:
                self.on_state(state)

    async def run(self) -> None:
        """Stay connected until closed or refused, reconnecting with back-off."""
        failures = 0
        while not self._closing.is_set():
            self._set_state(PushState.CONNECTING)
            started = time.monotonic()
            try:
                await self._connect_and_listen()
            except ImmichAuthenticationError as err:
                _LOGGER.debug("Immich refused the push connection: %s", err)
                self._set_state(PushState.REFUSED)
                return
            except (ImmichConnectionError, _DroppedError) as err:
                if self._closing.is_set():
                    break
                if time.monotonic() - started >= STABLE_AFTER:
                    failures = 0
                delay = backoff_delay(
                    failures, minimum=self.min_backoff, maximum=self.max_backoff
                )
                failures += 1
                _LOGGER.debug(
                    "Immich push connection lost (%s); retrying in %.1f s", err, delay
                )
                self._set_state(PushState.DISCONNECTED)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay)
        self._set_state(PushState.CLOSED)

    def start(self) -> None:
        """Run `run()` in a task of its own until `close()`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self.run(), name="immich push"
            )

    async def close(self) -> None:
        """Leave the namespace, close the websocket and end `run()`."""
        self._closing.set()
        ws = self._ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, ConnectionError):
                await ws.send_str(_DISCONNECT)
            await ws.close()
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait([task])
        self._set_state(PushState.CLOSED)

    async def _connect_and_listen(self) -> None:
        """Open the websocket, join the namespace and read events until it ends."""
        ws = await self.client.open_websocket(SOCKET_PATH, max_msg_size=MAX_MESSAGE)
        self._ws = ws
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                opened = await self._receive(ws, None)
                if not opened.startswith(_OPEN):
                    msg = "no Engine.IO open packet"
                    raise _DroppedError(msg)
                timing = _json_object(opened[1:])
                wait = (
                    _seconds(timing.get("pingInterval"), DEFAULT_PING_INTERVAL)
                    + _seconds(timing.get("pingTimeout"), DEFAULT_PING_TIMEOUT)
                    + 5.0
                )
                await ws.send_str(_CONNECT)
            self._refused = False
            try:
                await self._listen(ws, wait)
            except _DroppedError as err:
                if self._refused:
                    raise _refusal() from err
                raise
        except TimeoutError as err:
            msg = "no handshake in time"
            raise _DroppedError(msg) from err
        except (aiohttp.ClientError, ConnectionError) as err:
            msg = f"sending failed ({type(err).__name__})"
            raise _DroppedError(msg) from err
        finally:
            self._ws = None
            if not ws.closed:
                await ws.close()

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse, wait: float) -> None:
        """Answer pings and hand over events until the connection ends."""
        while True:
            packet = await self._receive(ws, wait)
            if packet == _PING:
                await ws.send_str(_PONG)
            elif packet.startswith(_EVENT):
                self._dispatch(packet[len(_EVENT) :])
            elif packet.startswith(_CONNECT):
                self.connections += 1
                self._set_state(PushState.CONNECTED)
            elif packet.startswith((_DISCONNECT, _CONNECT_ERROR)):
                if self._refused or packet.startswith(_CONNECT_ERROR):
                    raise _refusal()
                msg = "the server left the namespace"
                raise _DroppedError(msg)
            elif packet == _CLOSE:
                msg = "the server closed the connection"
                raise _DroppedError(msg)
            elif packet != _NOOP:
                _LOGGER.debug("Ignoring push packet type %s", packet[:2])

    def _dispatch(self, payload: str) -> None:
        """Hand an event over (Immich's refusal of the key is not one)."""
        event = _event(payload)
        if event is None:
            return
        if event.name == "error":
            # Immich's refusal: `error: "unauthorized"`, then a disconnect.
            self._refused = True
            return
        self.last_event_at = time.time()
        self.on_event(event)

    async def _receive(
        self, ws: aiohttp.ClientWebSocketResponse, wait: float | None
    ) -> str:
        """Return the next text packet; raise _DroppedError when the connection ends."""
        while True:
            try:
                async with asyncio.timeout(wait):
                    message = await ws.receive()
            except TimeoutError as err:
                msg = "no ping from the server in time"
                raise _DroppedError(msg) from err
            if message.type is aiohttp.WSMsgType.TEXT:
                text: str = message.data
                return text
            if message.type is aiohttp.WSMsgType.BINARY:
                continue  # attachments of binary events: none that we use
            msg = f"websocket {message.type.name.lower()}"
            raise _DroppedError(msg)


def _refusal() -> ImmichAuthenticationError:
    """Return the error that ends `run()`: the server refused the key."""
    return ImmichAuthenticationError("the key may not open Immich's push connection")


def _json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object, or return an empty one."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _seconds(value: object, default: float) -> float:
    """Return a millisecond count from the open packet in seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000
    return default


def _event(text: str) -> ImmichPushEvent | None:
    """Parse an event packet's payload: `["name", args...]` (an ack id may lead)."""
    start = text.find("[")
    if start < 0:
        return None
    try:
        value = json.loads(text[start:])
    except ValueError:
        return None
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        return None
    return ImmichPushEvent(name=value[0], args=tuple(value[1:]))
