"""Fault matrix: setup, both coordinators and every action against a failing Immich.

Each case asserts Home Assistant's behaviour while the fault lasts (setup retried,
entities unavailable, reauth started, a translated error) and that everything
recovers on its own once the fault is gone, without restarting Home Assistant.
Timers are fired with real-time offsets rather than a frozen clock, because the
timeout cases need asyncio's timeouts to run.
"""

# Small test files are written straight from the tests; that is fine in a test.

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.immich_bridge.const import CONF_FRAMES, DOMAIN
from custom_components.immich_bridge.services import ACTIONS
from tests.common import make_entry
from tests.fake_immich import FakeImmich
from tests.reliability.conftest import setup_entry, with_retry_after
from tests.reliability.faults import (
    FAKE_HOST,
    STATUS_FAULTS,
    Dns,
    fault_everything,
    forbidden,
    port_of,
)

PREFIX = "immich_admin"
DISK = f"sensor.{PREFIX}_disk_size"
PHOTOS = f"sensor.{PREFIX}_photos"
BUSY = f"binary_sensor.{PREFIX}_library_busy"
# Seconds. The slow cases answer after 0.3 s (under) or 3 s (over): the margin under the
# timeout absorbs the spec checks that now run before the delay on a loaded machine.
TIMEOUT = 1.0
UNDER, OVER = 0.3, 3.0


async def fire(hass: HomeAssistant, seconds: float) -> None:
    """Run the timers due within `seconds` from now (real clock) and wait for them."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


def reauth_flows(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the reauth flows in progress for Immich Bridge."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def finish_reauth(hass: HomeAssistant, server: FakeImmich) -> None:
    """Complete the reauth flow with a fresh key of the same user."""
    (flow,) = reauth_flows(hass)
    new_key = server.state.add_api_key(server.admin_id, name="new key")
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: new_key}
    )
    assert result["reason"] == "reauth_successful", result
    await hass.async_block_till_done(wait_background_tasks=True)


# ----------------------------------------------------------------------- setup

# Fault name -> (operation, fault); every one leaves setup retrying (not ready).
SETUP_FAULTS: dict[str, tuple[str, dict[str, Any]]] = {
    **{
        f"{name}_{op}": (op, fault)
        for name, fault in STATUS_FAULTS.items()
        for op in ("getServerVersion", "getStorage")
    },
    "truncated_json_getMyUser": ("getMyUser", {"body": b'{"id": "'}),
}


@pytest.mark.parametrize("name", sorted(SETUP_FAULTS))
async def test_setup_fault_retries_and_recovers(
    hass: HomeAssistant, immich_server_v3: FakeImmich, name: str
) -> None:
    """Leave setup not-ready with a clear reason, then load on HA's own retry."""
    server = immich_server_v3
    operation, fault = SETUP_FAULTS[name]
    server.set_fault(operation, **fault)
    entry = make_entry(server)
    assert await setup_entry(hass, entry) is ConfigEntryState.SETUP_RETRY
    assert entry.reason
    assert "cannot" in entry.reason.lower() or "server" in entry.reason.lower()
    server.clear_faults()
    await fire(hass, 600)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(DISK).state != STATE_UNAVAILABLE


async def test_setup_server_down_then_up(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Retry setup while nothing listens (connection refused); load once it's back."""
    server = immich_server_v3
    port = port_of(server)
    await server.stop()
    entry = make_entry(server)
    assert await setup_entry(hass, entry) is ConfigEntryState.SETUP_RETRY
    await fire(hass, 600)  # still down: still retrying
    assert entry.state is ConfigEntryState.SETUP_RETRY
    await server.start(port=port)
    await fire(hass, 600)
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_dns_failure(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Retry setup while the host name doesn't resolve; load once it does."""
    server = immich_server_v3
    entry = make_entry(server)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_URL: f"http://{FAKE_HOST}:{port_of(server)}"}
    )
    dns = Dns()
    with dns.installed():
        dns.broken = True
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert dns.lookups
        dns.broken = False
        await fire(hass, 600)
        assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(("delay", "loaded"), [(UNDER, True), (OVER, False)])
async def test_setup_slow_server(
    hass: HomeAssistant, immich_server_v3: FakeImmich, delay: float, loaded: bool
) -> None:
    """Load with a server just under the timeout; retry one just over it."""
    server = immich_server_v3
    # One slow answer before the entry's first refresh, one during it.
    server.set_fault("getServerVersion", delay=delay, times=1)
    server.set_fault("getStorage", delay=delay, times=1)
    entry = make_entry(server)
    with patch("custom_components.immich_bridge.account.REQUEST_TIMEOUT", TIMEOUT):
        state = await setup_entry(hass, entry)
        if loaded:
            assert state is ConfigEntryState.LOADED
            return
        assert state is ConfigEntryState.SETUP_RETRY
        await fire(hass, 600)
        assert entry.state is ConfigEntryState.SETUP_RETRY  # the second slow answer
        await fire(hass, 600)
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_rate_limited(
    hass: HomeAssistant, immich_server_v3: FakeImmich, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retry setup after a 429 with Retry-After, and load."""
    server = immich_server_v3
    with_retry_after(server, monkeypatch, 30)
    server.set_fault("getServerVersion", status=429, times=1)
    entry = make_entry(server)
    assert await setup_entry(hass, entry) is ConfigEntryState.SETUP_RETRY
    await fire(hass, 600)
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_401_starts_reauth_and_recovers(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Stop at a refused key with a reauth flow; finishing it loads the entry."""
    server = immich_server_v3
    server.set_fault("getServerVersion", status=401)
    entry = make_entry(server)
    assert await setup_entry(hass, entry) is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass)) == 1
    server.clear_faults()
    await finish_reauth(hass, server)
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_403_on_one_source(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Load with one refused source; its entities come once the source is allowed."""
    server = immich_server_v3
    server.set_fault("getStorage", **forbidden("server.storage"))
    entry = make_entry(server)
    assert await setup_entry(hass, entry) is ConfigEntryState.LOADED
    assert hass.states.get(PHOTOS).state == "0"
    disk = hass.states.get(DISK)
    assert disk is None or disk.state == STATE_UNAVAILABLE
    server.clear_faults()
    await fire(hass, 301)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.server.data.storage is not None


# ---------------------------------------------------------------- coordinators

# Coordinator -> (entity it feeds, operation its refresh needs, refresh interval).
COORDINATORS = {
    "server": (DISK, "getStorage", 301),
    "queues": (BUSY, "getQueues", 61),  # idle queues: polled every minute
    "watcher": (f"event.{PREFIX}_new_upload", "searchAssets", 61),
    # The slideshows (one per kind of source), each every 5 minutes.
    "frame_album": (f"image.{PREFIX}_frame_album_slideshow", "getTimeBuckets", 301),
    "frame_favorites": (f"image.{PREFIX}_favorites_slideshow", "searchRandom", 301),
    "frame_memories": (f"image.{PREFIX}_on_this_day_slideshow", "searchMemories", 301),
    "frame_person": (f"image.{PREFIX}_frame_person_slideshow", "searchRandom", 301),
    "frame_search": (f"image.{PREFIX}_beach_slideshow", "searchSmart", 301),
}


def coordinator_of(entry: MockConfigEntry, name: str) -> Any:
    """Return one of the entry's coordinators by name."""
    runtime = entry.runtime_data
    if name == "watcher":
        return runtime.photos.watcher
    if name.startswith("frame_"):
        kind = name.removeprefix("frame_")
        return next(
            frame
            for frame in runtime.photos.frames.values()
            if frame.source.kind == kind
        )
    return getattr(runtime, name)


def with_slideshows(server: FakeImmich) -> dict[str, Any]:
    """Give the server photos for every kind of slideshow; return the options."""
    state, owner = server.state, server.admin_id
    photos = [
        state.add_asset(owner, filename=f"beach{n}.jpg", favorite=True)
        for n in range(3)
    ]
    album = state.add_album(owner, "Frame album", asset_ids=photos)
    person = state.add_person(owner, "Frame person")
    for photo in photos:
        state.assets[photo].person_ids.append(person)
    state.add_memory(owner, 2020, photos[:1])
    sources = ["favorites", "memories", "search:beach"]
    return {CONF_FRAMES: [f"album:{album}", f"person:{person}", *sources]}


@asynccontextmanager
async def loaded(
    hass: HomeAssistant,
    server: FakeImmich,
    options: dict[str, Any] | None = None,
    **entry_data: Any,
) -> AsyncIterator[MockConfigEntry]:
    """Set up the admin's entry (with these options) and hand it out."""
    entry = make_entry(server, options=options)
    entry.add_to_hass(hass)
    if entry_data:
        hass.config_entries.async_update_entry(entry, data={**entry.data, **entry_data})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    yield entry


def _available(hass: HomeAssistant, entity_id: str) -> bool:
    """Return whether an entity has a state other than unavailable."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state != STATE_UNAVAILABLE


@pytest.mark.parametrize("coordinator", sorted(COORDINATORS))
@pytest.mark.parametrize("name", sorted(STATUS_FAULTS))
async def test_refresh_fault_unavailable_then_recovered(
    hass: HomeAssistant, immich_server_v3: FakeImmich, coordinator: str, name: str
) -> None:
    """Make the coordinator's entities unavailable during a fault; recover after."""
    server = immich_server_v3
    entity_id, operation, interval = COORDINATORS[coordinator]
    async with loaded(hass, server, with_slideshows(server)) as entry:
        assert _available(hass, entity_id)
        server.set_fault(operation, **STATUS_FAULTS[name])
        await fire(hass, interval)
        assert not _available(hass, entity_id)
        assert not coordinator_of(entry, coordinator).last_update_success
        await fire(hass, interval)  # still failing: still unavailable, no crash
        assert not _available(hass, entity_id)
        server.clear_faults()
        await fire(hass, interval)
        assert _available(hass, entity_id)
        assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("coordinator", sorted(COORDINATORS))
async def test_refresh_429_honours_retry_after(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    monkeypatch: pytest.MonkeyPatch,
    coordinator: str,
) -> None:
    """Poll again after the server's Retry-After rather than the usual interval."""
    server = immich_server_v3
    entity_id, operation, interval = COORDINATORS[coordinator]
    retry_after = interval // 3
    with_retry_after(server, monkeypatch, retry_after)
    # Once for each coordinator that polls the operation (two slideshows share one).
    sharing = sum(op == operation for _, op, _ in COORDINATORS.values())
    async with loaded(hass, server, with_slideshows(server)):
        server.set_fault(operation, status=429, times=sharing)
        await fire(hass, interval)
        assert not _available(hass, entity_id)
        await fire(hass, retry_after + 1)  # well before the next regular poll
        assert _available(hass, entity_id)


@pytest.mark.parametrize("coordinator", sorted(COORDINATORS))
async def test_refresh_server_down_and_back(
    hass: HomeAssistant, immich_server_v3: FakeImmich, coordinator: str
) -> None:
    """Go unavailable while the server is stopped; come back when it restarts."""
    server = immich_server_v3
    entity_id, _, interval = COORDINATORS[coordinator]
    port = port_of(server)
    async with loaded(hass, server, with_slideshows(server)):
        await server.stop()
        await fire(hass, interval)
        assert not _available(hass, entity_id)
        await server.start(port=port)
        await fire(hass, interval)
        assert _available(hass, entity_id)


async def test_refresh_dns_failure(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Go unavailable while the host name stops resolving; recover when it does."""
    server = immich_server_v3
    dns = Dns()
    port = port_of(server)
    with dns.installed():
        url = f"http://{FAKE_HOST}:{port}"
        async with loaded(hass, server, with_slideshows(server), url=url) as entry:
            dns.broken = True
            entry.runtime_data.client.session.connector.clear_dns_cache()
            await server.stop()  # closes the kept-alive connections
            await server.start(port=port)
            entities = [entity_id for entity_id, _, _ in COORDINATORS.values()]
            await fire(hass, 301)
            assert not any(_available(hass, entity_id) for entity_id in entities)
            dns.broken = False
            await fire(hass, 301)
            assert all(_available(hass, entity_id) for entity_id in entities)


@pytest.mark.parametrize("coordinator", sorted(COORDINATORS))
async def test_refresh_slow_server(
    hass: HomeAssistant, immich_server_v3: FakeImmich, coordinator: str
) -> None:
    """Stay available just under the timeout, go unavailable over it, recover."""
    server = immich_server_v3
    entity_id, operation, _ = COORDINATORS[coordinator]
    async with loaded(hass, server, with_slideshows(server)) as entry:
        entry.runtime_data.client.request_timeout = TIMEOUT
        target = coordinator_of(entry, coordinator)
        server.set_fault(operation, delay=UNDER, times=1)
        await target.async_refresh()
        assert target.last_update_success
        assert _available(hass, entity_id)
        server.set_fault(operation, delay=OVER, times=1)
        await target.async_refresh()
        await hass.async_block_till_done()
        assert not target.last_update_success
        assert not _available(hass, entity_id)
        await target.async_refresh()
        await hass.async_block_till_done()
        assert _available(hass, entity_id)


async def test_refresh_401_mid_run_reauth_then_recovered(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Start one reauth flow when the key is revoked; a new key brings all back."""
    server = immich_server_v3
    async with loaded(hass, server) as entry:
        del server.state.api_keys[server.admin_key]
        await fire(hass, 301)
        assert not _available(hass, DISK)
        assert len(reauth_flows(hass)) == 1
        await fire(hass, 301)  # no second flow, no crash
        assert len(reauth_flows(hass)) == 1
        await finish_reauth(hass, server)
        assert entry.state is ConfigEntryState.LOADED
        assert _available(hass, DISK)
        assert _available(hass, BUSY)


async def test_refresh_403_on_one_source(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Refuse one source: only its entities go; the rest stay; all come back."""
    server = immich_server_v3
    async with loaded(hass, server) as entry:
        server.set_fault("getStorage", **forbidden("server.storage"))
        server.set_fault("getQueues", **forbidden("queue.read"))
        await fire(hass, 301)
        assert not _available(hass, DISK)
        assert not _available(hass, BUSY)
        assert hass.states.get(PHOTOS).state == "0"
        assert entry.runtime_data.server.last_update_success
        server.clear_faults()
        await fire(hass, 301)
        assert _available(hass, DISK)
        assert _available(hass, BUSY)


# --------------------------------------------------------------------- actions


@dataclass(kw_only=True)
class World:
    """What the action payloads can name on the fake server and on disk."""

    server: FakeImmich
    folder: Path
    album: str
    assets: list[str]
    link: str = ""
    uploads: int = 0

    def fresh_file(self) -> str:
        """Write a new photo into the allowed folder; return its path."""
        self.uploads += 1
        path = self.folder / f"up{self.uploads}.jpg"
        path.write_bytes(self.server.state.next_jpeg(f"up{self.uploads}"))
        return str(path)

    def doomed_album(self) -> str:
        """Create an album to delete."""
        return self.server.state.add_album(self.server.admin_id, "Doomed")


def make_world(server: FakeImmich, folder: Path) -> World:
    """Seed things the actions can name."""
    state = server.state
    owner = server.admin_id
    assets = [state.add_asset(owner, filename=f"w{n}.jpg") for n in range(3)]
    album = state.add_album(owner, "Reliable", asset_ids=assets[:2])
    state.add_tag(owner, "Kept")
    state.add_library(owner, "NAS")
    (folder / "sync").mkdir()
    (folder / "sync" / "s.jpg").write_bytes(state.next_jpeg("sync"))
    return World(server=server, folder=folder, album=album, assets=assets)


# Action -> a valid payload (without config_entry_id) that reaches the server.
ACTION_PAYLOADS: dict[str, Callable[[World], dict[str, Any]]] = {
    "upload": lambda w: {"file_path": w.fresh_file()},
    "sync_folder": lambda w: {"folder": str(w.folder / "sync")},
    "download": lambda w: {"folder": str(w.folder / "dl"), "album": w.album},
    "create_album": lambda _: {"name": "Brand new"},
    "update_album": lambda w: {"album": w.album, "description": "d"},
    "delete_album": lambda w: {"album": w.doomed_album()},
    "add_to_album": lambda w: {"album": w.album, "asset_id": w.assets[2:]},
    "remove_from_album": lambda w: {"album": w.album, "asset_id": w.assets[:1]},
    "share_album": lambda w: {"album": w.album, "users": ["alice@example.com"]},
    "create_tag": lambda _: {"name": "Fresh"},
    "tag_assets": lambda w: {"tags": ["Kept"], "asset_id": w.assets[:1]},
    "untag_assets": lambda w: {"tags": ["Kept"], "asset_id": w.assets[:1]},
    "create_shared_link": lambda w: {"album": w.album},
    "delete_shared_link": lambda w: {"link_id": w.link},
    "job_command": lambda _: {"queue": "thumbnailGeneration", "command": "pause"},
    "scan_library": lambda _: {},
    "search": lambda _: {"query": "w1"},
}


async def _call(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, data: dict[str, Any]
) -> Any:
    """Call an action the way an automation would, asking for a response if any."""

    return await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=ACTIONS[action].response is not SupportsResponse.NONE,
    )


# Fault -> (how to inject it on every operation, expected translation key).
ACTION_FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "http_500": ({"status": 500}, "server_error"),
    "http_502": ({"status": 502}, "server_error"),
    "http_503": ({"status": 503}, "server_error"),
    "http_429": ({"status": 429}, "rate_limited"),
    "malformed_json": ({"body": b"{not json"}, "server_error"),
    "truncated_json": ({"body": b'[{"id": "'}, "server_error"),
    "dropped": ({"drop": True}, "cannot_connect"),
    "timeout": ({"delay": OVER}, "cannot_connect"),
    "http_401": ({"status": 401}, "auth_failed"),
    "http_403": (forbidden("album.read"), "missing_permission"),
    "server_down": ({}, "cannot_connect"),
}


@pytest.mark.parametrize("name", sorted(ACTION_FAULTS))
async def test_actions_fail_clearly_and_recover(
    hass: HomeAssistant, immich_server_v3: FakeImmich, allowed: Path, name: str
) -> None:
    """Fail every action with the fault's translated error; succeed once it's gone."""
    server = immich_server_v3
    fault, key = ACTION_FAULTS[name]
    port = port_of(server)
    async with loaded(hass, server) as entry:
        world = make_world(server, allowed)
        client = entry.runtime_data.client
        if name == "timeout":  # only there: a loaded machine may take 0.3 s to answer
            client.request_timeout = TIMEOUT
        outcomes: dict[str, str | None] = {}
        for action, payload in ACTION_PAYLOADS.items():
            world.link = (await client.create_shared_link(album_id=world.album)).id
            data = payload(world)
            if name == "server_down":
                await server.stop()
            else:
                fault_everything(server, **fault)
            with pytest.raises(HomeAssistantError) as caught:
                await _call(hass, entry, action, data)
            assert caught.value.translation_domain == DOMAIN, repr(caught.value)
            outcomes[action] = caught.value.translation_key
            if name == "server_down":
                await server.start(port=port)
            server.clear_faults()
            # Recovery: the same action works again right away.
            await _call(hass, entry, action, payload(world))
        assert outcomes == dict.fromkeys(ACTION_PAYLOADS, key)
        if key == "auth_failed":
            assert len(reauth_flows(hass)) == 1
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.state is ConfigEntryState.LOADED
