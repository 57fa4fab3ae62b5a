"""A TCP proxy in front of the fake Immich that can cut a connection at any byte."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field

_CHUNK = 16 * 1024


_PUSH_REQUEST = b"GET /api/socket.io/"


@dataclass
class CutProxy:
    """Forward 127.0.0.1:<port> to the fake; cut the next connection when told.

    ``cut(up=n)`` closes a connection once ``n`` bytes of requests went up through it;
    ``cut(down=n)`` once ``n`` bytes of responses came down. Counts run per new
    connection (kept-alive requests included) until one cut happened; then the proxy
    is healthy again.
    """

    target_port: int
    port: int = 0
    cuts: int = 0
    _up: int | None = None
    _down: int | None = None
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _pumps: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        """Return the proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close everything."""
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for pump in list(self._pumps):
            pump.cancel()
        if self._pumps:
            await asyncio.wait(self._pumps)

    def cut(self, *, up: int | None = None, down: int | None = None) -> None:
        """Cut the next connection after so many bytes up or down."""
        self.drop_all()  # start from a fresh connection
        self._up, self._down = up, down

    def drop_all(self) -> None:
        """Close every open connection (the client then opens new ones)."""
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Connect to the fake and pump both ways."""
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        budget = {"up": self._up, "down": self._down}
        pumps = [
            asyncio.ensure_future(self._pump(reader, up_writer, budget, "up")),
            asyncio.ensure_future(self._pump(up_reader, writer, budget, "down")),
        ]
        self._pumps.update(pumps)
        with suppress(asyncio.CancelledError):
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
        await asyncio.wait(pumps)
        self._pumps.difference_update(pumps)
        for end in (writer, up_writer):
            end.close()
            self._writers.discard(end)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        budget: dict[str, int | None],
        way: str,
    ) -> None:
        """Copy bytes one way until EOF or the cut."""
        first = way == "up"
        with suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(_CHUNK):
                if first and data.startswith(_PUSH_REQUEST):
                    # Immich Bridge's push connection runs beside the requests under
                    # test (its own tests cut it): never cut it, count nothing of it.
                    budget["up"] = budget["down"] = None
                first = False
                left = budget[way]
                if left is not None and len(data) >= left:
                    writer.write(data[:left])
                    self.cuts += 1
                    self._up = self._down = None  # disarm: one cut per cut()
                    return
                if left is not None:
                    budget[way] = left - len(data)
                writer.write(data)
                await writer.drain()
