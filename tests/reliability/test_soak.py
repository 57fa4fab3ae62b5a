"""Soak: a simulated week of polling under a frozen clock while the server flaps.

The frozen clock moves in 30-second steps and the coordinators refresh on their own
cadence: the job queues every step, the watcher every minute and the server every
five minutes, so a week is 20,160 + 10,080 + 2,016 = 32,256 refreshes. They are
called directly (``async_refresh``) rather than through HA's timer helpers, whose
per-call mocking would cost more than the refreshes; the timer path, including
Retry-After, is covered by the fault matrix. Every six simulated hours the
stand-in switches between healthy and the next fault of the list. At the end the
entities are available with the server's values, and the number of tasks, bus
listeners, coordinator listeners and allocated memory blocks did not grow beyond
the bounds. Memory is sampled as ``sys.getallocatedblocks()`` after a full garbage
collection at the end of each simulated day (tracemalloc would triple the run time).

The fake server runs without its openapi-core checks here (``no_validation``): they
cost milliseconds per request, and the fault matrix runs them on every request. For
the same reason asyncio's debug mode is off during the polling and coverage is not
measured for this test.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
import gc
import os
import sys
import time
from typing import Any

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import advance, make_entry
from tests.fake_immich import FakeImmich
from tests.reliability.conftest import LONG, with_retry_after
from tests.reliability.faults import STATUS_FAULTS, forbidden, port_of
from tests.reliability.guards import keep_out_of_capture

STEP = timedelta(seconds=30)
FLAP = timedelta(hours=6)
DAYS = int(os.environ.get("SOAK_DAYS", "28" if LONG else "7"))
# Bounds, checked between the end of the first simulated day and the end of the run.
MAX_TASK_GROWTH = 0
MAX_LISTENER_GROWTH = 0
MAX_BLOCK_GROWTH = 2_000  # Python memory blocks (sys.getallocatedblocks)

PREFIX = "immich_admin"


def _faults(server: FakeImmich) -> list[tuple[str, Callable[[], Any]]]:
    """Return the faults to cycle through, each as (name, inject)."""

    def everywhere(**fault: Any) -> Callable[[], None]:
        def inject() -> None:
            for operation in ("getStorage", "getQueues", "searchAssets"):
                server.set_fault(operation, **fault)

        return inject

    async def down() -> None:
        await server.stop()

    faults: list[tuple[str, Callable[[], Any]]] = [
        (name, everywhere(**fault)) for name, fault in STATUS_FAULTS.items()
    ]
    faults.append(("forbidden_source", everywhere(**forbidden("server.storage"))))
    faults.append(("slow", everywhere(delay=0.002)))
    faults.append(("server_down", down))
    return faults


def _tasks() -> list[str]:
    """Name the running tasks, as "file:function".

    The fake server's per-connection handlers (aiohttp's web_protocol) are left out:
    they live as long as a keep-alive connection, which is the server's business.
    """
    names = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        code = getattr(coro, "cr_code", None)
        where = code.co_filename if code is not None else type(coro).__name__
        if where.endswith("web_protocol.py"):
            continue
        names.append(f"{where.rsplit('/', 1)[-1]}:{getattr(coro, '__qualname__', '')}")
    return sorted(names)


def _counts(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, int]:
    """Count tasks, bus listeners and coordinator listeners."""
    runtime = entry.runtime_data
    coordinators = [runtime.server, runtime.queues]
    if runtime.photos is not None and runtime.photos.watcher is not None:
        coordinators.append(runtime.photos.watcher)
    return {
        "tasks": len(_tasks()),
        "bus_listeners": sum(hass.bus.async_listeners().values()),
        "coordinator_listeners": sum(
            len(c._listeners) for c in coordinators if c is not None
        ),
    }


@dataclass
class _Soak:
    """The state of a soak run: the server, its faults and what was measured."""

    hass: HomeAssistant
    server: FakeImmich
    entry: MockConfigEntry
    port: int
    started: float
    faults: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)
    refreshes: dict[str, int] = field(default_factory=dict)
    flaps: int = 0
    unavailable_steps: int = 0
    baseline: dict[str, int] = field(default_factory=dict)
    baseline_tasks: list[str] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)  # at the end of each day
    cpu: list[float] = field(default_factory=list)  # CPU seconds of each day

    async def heal(self) -> None:
        """Bring the server back up and clear its faults."""
        if self.server._runner is None:
            await self.server.start(port=self.port)
        self.server.clear_faults()

    async def flap(self) -> None:
        """Start the next period: healthy, or (every other one) the next fault."""
        self.flaps += 1
        await self.heal()
        if self.flaps % 2:
            result = self.faults[(self.flaps // 2) % len(self.faults)][1]()
            if asyncio.iscoroutine(result):
                await result

    async def sample(self, *, first_day: bool) -> None:
        """Settle, collect garbage and record the allocated blocks (and baseline)."""
        self.server.requests.clear()  # the fake's own log, not the integration's
        await self.hass.async_block_till_done(wait_background_tasks=True)
        gc.collect()
        self.blocks.append(sys.getallocatedblocks())
        self.cpu.append(round(time.process_time() - sum(self.cpu) - self.started, 1))
        if first_day:
            self.baseline = _counts(self.hass, self.entry)
            self.baseline_tasks = _tasks()

    async def run(self, freezer: FrozenDateTimeFactory, days: int) -> None:
        """Poll for ``days`` simulated days at each coordinator's own cadence."""
        runtime = self.entry.runtime_data
        cadence = {  # name -> (coordinator, refresh every N steps)
            "queues": (runtime.queues, 1),
            "watcher": (runtime.photos.watcher, 2),
            "server": (runtime.server, 10),
        }
        self.refreshes = dict.fromkeys(cadence, 0)
        steps_per_flap = FLAP // STEP
        steps_per_day = timedelta(days=1) // STEP
        disk = f"sensor.{PREFIX}_disk_size"
        for step in range(1, days * steps_per_day + 1):
            if step % steps_per_flap == 0:
                await self.flap()
            freezer.tick(STEP)
            for name, (coordinator, every) in cadence.items():
                if step % every == 0:
                    await coordinator.async_refresh()
                    self.refreshes[name] += 1
            if self.hass.states.get(disk).state == STATE_UNAVAILABLE:
                self.unavailable_steps += 1
            if step % steps_per_day == 0:
                await self.sample(first_day=step == steps_per_day)
            elif step % 240 == 0:
                self.server.requests.clear()
                await self.hass.async_block_till_done(wait_background_tasks=True)


# Coverage tracing would double the run time; the fault matrix covers the same code.
@pytest.mark.no_cover
async def test_week_of_flapping(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    freezer: FrozenDateTimeFactory,
    no_validation: Callable[[FakeImmich], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Poll a flapping server for a simulated week; end healthy, with no leaks."""
    server = immich_server_v3
    no_validation(server)
    # Nor trim responses to the spec's fields: the client ignores unknown fields.
    monkeypatch.setattr(server.spec, "prune", lambda _schema, value: value)
    with_retry_after(server, monkeypatch, 60)
    # Every record kept by pytest's log capture would count as growth: ours stay out
    # of it, still made at DEBUG level and read by the secrets guard.
    keep_out_of_capture(monkeypatch)
    state = server.state
    assets = [state.add_asset(server.admin_id, filename=f"s{n}.jpg") for n in range(5)]
    state.add_album(server.admin_id, "Soak", asset_ids=assets)
    state.queues["thumbnailGeneration"].active = 3
    entry = make_entry(server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    soak = _Soak(
        hass, server, entry, port_of(server), time.process_time(), _faults(server)
    )

    # freezegun inspects the call stack on every clock read to let some modules see
    # the real time; none of them matter here.
    inspection_limit = freezegun.api.call_stack_inspection_limit
    freezegun.api.call_stack_inspection_limit = 0
    # The frozen clock jumps 30 s a step, past aiohttp's 15 s keep-alive: without this
    # every request would open a new connection.
    connector = entry.runtime_data.client._session().connector
    monkeypatch.setattr(connector, "_keepalive_timeout", 3600.0)
    # asyncio's debug mode (on in every HA test) costs more than the refreshes; the
    # rest of the suite keeps it on.
    hass.loop.set_debug(False)
    try:
        await soak.run(freezer, DAYS)
    finally:  # pytest's own clock reads need the real time again
        freezegun.api.call_stack_inspection_limit = inspection_limit
    await soak.heal()  # and healthy for a while
    for _ in range(2):
        await advance(hass, freezer, timedelta(minutes=5))
    server.requests.clear()
    gc.collect()
    block_growth = sys.getallocatedblocks() - soak.blocks[0]
    counts = _counts(hass, entry)
    cpu = time.process_time() - soak.started
    hass.loop.set_debug(True)

    figures = {
        "days": DAYS,
        "refreshes": soak.refreshes,
        "flaps": soak.flaps,
        "unavailable_steps": soak.unavailable_steps,
        "baseline": soak.baseline,
        "end": counts,
        "new_tasks": sorted(
            (Counter(_tasks()) - Counter(soak.baseline_tasks)).elements()
        ),
        "blocks_per_day": soak.blocks,
        "cpu_per_day": soak.cpu,
        "block_growth": block_growth,
        "cpu_seconds": round(cpu, 1),
    }
    print(f"\nSOAK {figures}")  # noqa: T201  # the figures for the report
    assert sum(soak.refreshes.values()) >= 20_000, figures
    assert soak.unavailable_steps > 0, figures  # the faults were seen
    assert entry.state is ConfigEntryState.LOADED
    for key in ("tasks", "bus_listeners", "coordinator_listeners"):
        bound = MAX_TASK_GROWTH if key == "tasks" else MAX_LISTENER_GROWTH
        assert counts[key] - soak.baseline[key] <= bound, figures
    assert block_growth <= MAX_BLOCK_GROWTH, figures
    expected = {
        f"sensor.{PREFIX}_photos": str(len(state.assets)),
        f"sensor.{PREFIX}_albums": "1",
        f"binary_sensor.{PREFIX}_library_busy": "on",
    }
    for entity_id, value in expected.items():
        assert hass.states.get(entity_id).state == value, entity_id
    assert all(
        s.state != STATE_UNAVAILABLE
        for s in hass.states.async_all()
        if s.entity_id.startswith(("sensor.", "binary_sensor."))
        and PREFIX in s.entity_id
    )
