"""Helpers shared by the tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
import gc
import json
import os
from pathlib import Path
import re
import threading
from typing import Any, Final
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs.issue_handler import (
    RepairsFlowManager,
    async_process_repairs_platforms,
)
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.services import ACTIONS
from tests.fake_immich import FakeImmich

ENTRY_ID = "01JIMMICHBRIDGETESTENTRY00"
UNKNOWN_ID = "0badc0de-0000-4000-8000-000000000000"
BINARY = "binary_sensor.immich_admin"
"""The start of the admin entry's binary sensor ids."""
LINK_PASSWORD = "hunter2"  # noqa: S105  # a test value
STALL_BOUND_MS: Final = 100.0
"""Home Assistant warns about a callback that holds the event loop this long."""
_TICK: Final = 0.001


def make_entry(
    server: FakeImmich,
    *,
    options: dict[str, Any] | None = None,
    admin: bool = True,
) -> MockConfigEntry:
    """Return a config entry for the fake server's admin (or its user Alice)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Immich {'Admin' if admin else 'Alice'}",
        unique_id=server.admin_id if admin else server.user_id,
        data={
            CONF_URL: server.url,
            CONF_API_KEY: server.admin_key if admin else server.user_key,
            CONF_VERIFY_SSL: True,
        },
        options=options or {},
        entry_id=ENTRY_ID,
    )


async def call_action(
    hass: HomeAssistant,
    entry: MockConfigEntry | str,
    action: str,
    *,
    response: bool = True,
    **data: Any,
) -> Any:
    """Call one of our actions for an entry (or entry id); return its response."""
    entry_id = entry if isinstance(entry, str) else entry.entry_id
    return await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry_id, **data},
        blocking=True,
        return_response=response,
    )


def _cpu_wait(schedstat: int | None) -> float:
    """Return how long this thread has waited for a CPU while runnable (seconds).

    Linux counts it in /proc/self/task/<tid>/schedstat (second field); 0 elsewhere.
    """
    if schedstat is None:
        return 0.0
    return int(os.pread(schedstat, 128, 0).split()[1]) / 1e9


async def _sample(loop: asyncio.AbstractEventLoop, lateness: list[float]) -> None:
    """Sleep one tick at a time until cancelled; record how late each wake-up was.

    The time the loop's thread spent waiting for a CPU (the machine busy with other
    processes) is taken off: it is no stall of the loop. Time the thread spent running
    or blocked (a busy or a sleeping call on the loop) counts.
    """
    try:
        schedstat: int | None = os.open(
            f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY
        )
    except OSError:
        schedstat = None
    try:
        while True:
            start, waited = loop.time(), _cpu_wait(schedstat)
            await asyncio.sleep(_TICK)
            late = loop.time() - start - _TICK
            lateness.append(max(0.0, late - (_cpu_wait(schedstat) - waited)))
    finally:
        if schedstat is not None:
            os.close(schedstat)


@asynccontextmanager
async def loop_stalls(hass: HomeAssistant) -> AsyncIterator[list[float]]:
    """Sample Home Assistant's loop while the block runs; yield the stalls (s).

    A call that blocks the loop (in our code, or anything else on it) shows up as one
    wake-up that late. Only the caller's own work may run meanwhile: a stand-in in the
    same process must not be delayed on purpose, or the ticks would be its sleep's.
    The objects of earlier tests are frozen, so that a full garbage collection of a
    long test run's heap does not count either.
    """
    lateness: list[float] = []
    gc.collect()
    gc.freeze()
    sampler = hass.async_create_background_task(
        _sample(hass.loop, lateness), "loop stall sampler"
    )
    try:
        yield lateness
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        gc.unfreeze()


def stall_figures(lateness: list[float]) -> dict[str, float]:
    """Return the number of wake-ups and the longest and 99th percentile stall (ms)."""
    ordered = sorted(lateness) or [0.0]
    return {
        "wakeups": len(lateness),
        "max_stall_ms": round(ordered[-1] * 1000, 1),
        "p99_stall_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2),
    }


def assert_loop_free(lateness: list[float], **context: object) -> dict[str, object]:
    """Assert no stall reached Home Assistant's warning; return the figures."""
    figures: dict[str, object] = {**context, **stall_figures(lateness)}
    assert figures["wakeups"], f"the sampler never ran: {figures}"
    assert stall_figures(lateness)["max_stall_ms"] < STALL_BOUND_MS, (
        f"the event loop stalled for {figures['max_stall_ms']} ms "
        f"(Home Assistant warns at {STALL_BOUND_MS:.0f} ms): {figures}"
    )
    return figures


async def repairs_manager(hass: HomeAssistant) -> RepairsFlowManager:
    """Set up the repairs integration with our platform; return its flow manager."""
    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    await async_process_repairs_platforms(hass)
    manager: RepairsFlowManager = hass.data["repairs"]["flow_manager"]
    return manager


async def setup_with(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    options: dict[str, Any] | None = None,
    **data: Any,
) -> MockConfigEntry:
    """Add an entry with changed data (and options) and set it up, whatever comes."""
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, **data},
        options=options if options is not None else entry.options,
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def calendar_events(
    hass: HomeAssistant, entity_id: str, start: object, end: object
) -> list[dict[str, Any]]:
    """Return a calendar's events between two moments, by calendar.get_events."""
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return list(response[entity_id]["events"])


async def action_fails(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    action: str,
    error: type[HomeAssistantError],
    key: str,
    **data: Any,
) -> HomeAssistantError:
    """Call an action that must fail with exactly this error type and key."""
    response = ACTIONS[action].response is not SupportsResponse.NONE
    with pytest.raises(HomeAssistantError) as caught:
        await call_action(hass, entry, action, response=response, **data)
    assert type(caught.value) is error
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    return caught.value


async def setup_platforms(
    hass: HomeAssistant, entry: MockConfigEntry, platforms: list[Platform]
) -> None:
    """Set up an entry with only the given platforms, background tasks included.

    An entry set up before (and unloaded since) is set up again.
    """
    if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries()}:
        entry.add_to_hass(hass)
    with patch("custom_components.immich_bridge.PLATFORMS", platforms):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move the frozen clock on and run what the timers started."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def use_blueprint(
    hass: HomeAssistant, name: str, inputs: dict[str, Any], **automation: Any
) -> None:
    """Set up one automation from one of our installed blueprints (by file name)."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                **automation,
                "use_blueprint": {"path": f"immich_bridge/{name}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()


def scrub(value: Any, server: FakeImmich, folder: Path | None = None) -> Any:
    """Replace the server URL, the test folder and signatures: stable snapshots."""
    text = json.dumps(value).replace(server.url, "http://immich.test")
    text = re.sub(r"authSig=[\w.-]+", "authSig=SIGNATURE", text)
    if folder is not None:
        text = text.replace(str(folder), "/allowed")
    return json.loads(text)


def write_jpeg(server: FakeImmich, folder: Path, name: str) -> Path:
    """Write a new small JPEG into a folder."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(server.state.next_jpeg(name))
    return path


def album_named(server: FakeImmich, name: str) -> Any:
    """Return the fake's album with that name."""
    return next(a for a in server.state.albums.values() if a.name == name)


def busy_queues(server: FakeImmich) -> None:
    """Make some queues busy, failed and paused."""
    server.state.queues["thumbnailGeneration"].active = 3
    server.state.queues["metadataExtraction"].failed = 2
    server.state.queues["smartSearch"].is_paused = True


async def snapshot_admin_platform(
    hass: HomeAssistant,
    server: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Snapshot one platform's entities for an admin key, busy queues, an update out."""
    busy_queues(server)
    server.state.version_check_release = "v3.1.0"
    entry = make_entry(server)
    await setup_platforms(hass, entry, [platform])
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
