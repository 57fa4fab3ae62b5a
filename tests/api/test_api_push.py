"""Tests for the push-event client (socket.io) against the stand-in."""

from __future__ import annotations

import asyncio
import itertools
import logging

import aiohttp
import pytest

from custom_components.immich_bridge.api import (
    ImmichClient,
    ImmichPush,
    ImmichPushEvent,
    PushState,
)
from custom_components.immich_bridge.api.push import backoff_delay
from tests.fake_immich import FakeImmich
from tests.fake_immich.socketio import FakeSocketIO


async def _until(condition: object, *, within: float = 5.0) -> None:
    """Wait until a condition (a callable) holds."""
    async with asyncio.timeout(within):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110  # polls state
            await asyncio.sleep(0.01)


@pytest.fixture
def sockets(
    immich_server: FakeImmich, caplog: pytest.LogCaptureFixture
) -> FakeSocketIO:
    """Return the stand-in's socket.io, turned on; log everything (for key checks)."""
    caplog.set_level(logging.DEBUG)
    immich_server.socketio.enabled = True
    return immich_server.socketio


def _push(client: ImmichClient, events: list[ImmichPushEvent]) -> ImmichPush:
    """Return a push client with a short back-off that records its events."""
    return ImmichPush(
        client=client, on_event=events.append, min_backoff=0.02, max_backoff=0.08
    )


async def test_push_receives_events_answers_pings_and_closes(
    immich_server: FakeImmich,
    sockets: FakeSocketIO,
    client: ImmichClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Connect, get the server version and pushed events, answer pings, close."""
    events: list[ImmichPushEvent] = []
    states: list[PushState] = []
    push = _push(client, events)
    push.on_state = states.append
    push.start()
    await sockets.wait_for(1)
    await _until(lambda: events)
    major, minor, patch = immich_server.spec.version
    assert events == [
        ImmichPushEvent(
            name="on_server_version",
            args=({"major": major, "minor": minor, "patch": patch},),
        )
    ]
    assert push.state is PushState.CONNECTED
    assert await sockets.emit("on_upload_success", {"id": "a1"}) == 1
    assert await sockets.emit("on_asset_delete", "a2", user_id="someone") == 0
    await sockets.ping()
    await _until(lambda: len(events) == 2 and sockets.sockets[0].pongs == 1)
    assert events[1] == ImmichPushEvent(name="on_upload_success", args=({"id": "a1"},))
    assert push.last_event_at is not None

    await push.close()
    assert push.state is PushState.CLOSED
    await _until(lambda: not sockets.sockets)
    assert states == [PushState.CONNECTING, PushState.CONNECTED, PushState.CLOSED]
    assert len(sockets.attempts) == 1
    assert immich_server.admin_key not in caplog.text


async def test_push_key_without_all_is_refused_once(
    immich_server: FakeImmich, sockets: FakeSocketIO, session: aiohttp.ClientSession
) -> None:
    """Immich refuses a key without `all`: run() ends and never retries."""
    key = immich_server.state.add_api_key(
        immich_server.user_id, permissions=("asset.read", "asset.view")
    )
    events: list[ImmichPushEvent] = []
    push = _push(ImmichClient(session, immich_server.url, key), events)
    async with asyncio.timeout(5):
        await push.run()
    assert push.state is PushState.REFUSED
    assert events == []
    await asyncio.sleep(0.2)  # several back-off periods: no second attempt
    assert len(sockets.attempts) == 1


async def test_push_reconnects_with_capped_backoff(
    immich_server: FakeImmich,
    sockets: FakeSocketIO,
    client: ImmichClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refused upgrades and dropped connections are retried, waits doubling to a cap."""
    sockets.refuse_status, sockets.refuse_times = 502, 5
    events: list[ImmichPushEvent] = []
    push = _push(client, events)
    push.start()
    try:
        await sockets.wait_for(1)
        assert len(sockets.attempts) == 6
        waits = [b - a for a, b in itertools.pairwise(sockets.attempts)]
        # Jitter keeps each wait at least half of 0.02, 0.04, 0.08, 0.08, 0.08: a
        # sleep never ends early. Its upper end is a busy machine's, not ours: the
        # cap itself is checked exactly in test_backoff_delay_doubles_up_to_the_cap.
        for wait, cap in zip(waits, (0.02, 0.04, 0.08, 0.08, 0.08), strict=True):
            assert wait >= cap / 2 - 0.005, waits
        assert "HTTP 502" in caplog.text
        await _until(lambda: push.connections == 1)

        # The server goes away without a goodbye: back again on its own.
        await sockets.drop()
        await sockets.wait_for(1)
        await _until(lambda: push.connections == 2)
        assert push.state is PushState.CONNECTED
        assert await sockets.emit("on_upload_success", {"id": "a3"}) == 1
        await _until(lambda: events[-1].name == "on_upload_success")
    finally:
        await push.close()
    assert immich_server.admin_key not in caplog.text


async def test_push_server_without_socket_keeps_retrying(
    immich_server: FakeImmich, client: ImmichClient
) -> None:
    """A server (or proxy) that answers 404 is retried; close() ends the waits."""
    events: list[ImmichPushEvent] = []
    push = _push(client, events)
    push.start()
    await _until(lambda: len(immich_server.socketio.attempts) >= 3)
    assert push.state in {PushState.CONNECTING, PushState.DISCONNECTED}
    async with asyncio.timeout(2):
        await push.close()
    assert push.state is PushState.CLOSED
    attempts = len(immich_server.socketio.attempts)
    await asyncio.sleep(0.2)
    assert len(immich_server.socketio.attempts) == attempts


@pytest.mark.parametrize("failures", [0, 1, 5, 40, 10_000])
def test_backoff_delay_doubles_up_to_the_cap(failures: int) -> None:
    """The wait doubles per failure, with jitter, and never passes the cap."""
    for _ in range(50):
        delay = backoff_delay(failures, minimum=1.0, maximum=300.0)
        base = min(300.0, 2.0 ** min(failures, 32))
        assert base / 2 <= delay <= base
