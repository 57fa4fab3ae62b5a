"""Tests for the event entities and the watcher behind them."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from http import HTTPStatus
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import (
    ALL_PEOPLE,
    CONF_ALBUMS,
    CONF_FRAMES,
    CONF_PEOPLE,
    DOMAIN,
)
from custom_components.immich_bridge.watcher import MAX_PENDING, WATCH_INTERVAL
from tests.common import make_entry, setup_platforms
from tests.fake_immich import FakeImmich

_setup = partial(setup_platforms, platforms=[Platform.EVENT])
"""Set up an entry with the event platform only (again after an unload)."""


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry with the event platform only."""
    with patch("custom_components.immich_bridge.PLATFORMS", [Platform.EVENT]):
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def _tick(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delta: timedelta = WATCH_INTERVAL,
) -> None:
    """Let time pass and the polls run."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _entity_id(hass: HomeAssistant, unique_id: str) -> str:
    """Return the event entity id of a unique id."""
    entity_id = er.async_get(hass).async_get_entity_id("event", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def _fired(events: list[Event], entity_id: str) -> list[dict[str, Any]]:
    """Return the attributes of each event an entity recorded, once each.

    An event is a new state or new attributes; a state restored after a restart
    repeats an earlier one (same time, same attributes) and is not counted.
    """
    fired: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        new_state = event.data["new_state"]
        if event.data["entity_id"] != entity_id or new_state is None:
            continue
        if new_state.state in (STATE_UNAVAILABLE, "unknown"):
            continue
        attributes = dict(new_state.attributes)
        key = (new_state.state, json.dumps(attributes, sort_keys=True, default=str))
        fired.setdefault(key, attributes)
    return list(fired.values())


async def test_new_asset_fires_once_across_restarts(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Each new upload fires exactly once, even when the poll restarts."""
    state, owner = immich_server.state, immich_server.admin_id
    state.add_asset(owner, filename="before.jpg")  # already there: no event
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_new_asset")
    assert entity_id == "event.immich_admin_new_upload"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    await _tick(hass, freezer)
    assert _fired(events, entity_id) == []

    album = state.add_album(owner, "Inbox")
    anna = state.add_person(owner, "Anna")
    photo = state.add_asset(owner, filename="new.jpg")
    state.albums[album].asset_ids.append(photo)
    state.assets[photo].person_ids.append(anna)
    video = state.add_asset(owner, filename="clip.mp4", asset_type="VIDEO", data=b"v")
    await _tick(hass, freezer)
    fired = _fired(events, entity_id)
    assert [(f["event_type"], f["asset_id"]) for f in fired] == [
        ("photo", photo),
        ("video", video),
    ]
    assert fired[0]["album_ids"] == [album]
    assert fired[0]["people"] == ["Anna"]
    assert fired[0]["person_ids"] == [anna]
    assert fired[0]["file_name"] == "new.jpg"
    assert fired[1]["asset_type"] == "video"

    # The same assets stay in the look-back window: no repeats.
    for _ in range(3):
        await _tick(hass, freezer)
    assert len(_fired(events, entity_id)) == 2

    # A restart of the poll (reload) does not announce them again ...
    await _unload(hass, entry)
    await _setup(hass, entry)
    await _tick(hass, freezer)
    assert len(_fired(events, entity_id)) == 2

    # ... but an upload made while it was stopped is announced once.
    await _unload(hass, entry)
    missed = state.add_asset(owner, filename="missed.jpg")
    await _tick(hass, freezer)
    await _setup(hass, entry)
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    fired = _fired(events, entity_id)
    assert [f["asset_id"] for f in fired] == [photo, video, missed]

    stored = json.dumps(hass_storage)
    assert immich_server.admin_key not in stored


async def test_poll_cost_does_not_grow_with_the_library(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A poll is one bounded search, whatever the size of the library."""
    state, owner = immich_server.state, immich_server.admin_id
    for index in range(300):
        state.add_asset(owner, filename=f"old{index}.jpg", data=b"x")
    await _tick(hass, freezer, timedelta(hours=1))
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    immich_server.requests.clear()
    await _tick(hass, freezer)
    calls = [r.operation_id for r in immich_server.requests]
    assert [c for c in calls if c != "getQueues"] == ["searchAssets"]


async def test_person_event_when_faces_are_recognised_later(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A watched person's event fires when the face is recognised, once."""
    state, owner = immich_server.state, immich_server.admin_id
    grandma = state.add_person(owner, "Grandma")
    old = state.add_asset(owner, filename="old.jpg")
    state.assets[old].person_ids.append(grandma)
    entry = make_entry(immich_server, options={CONF_FRAMES: [f"person:{grandma}"]})
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_person_asset_{grandma}")
    assert entity_id == "event.immich_admin_new_photo_of_grandma"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    photo = state.add_asset(owner, filename="new.jpg")
    await _tick(hass, freezer)
    assert _fired(events, entity_id) == []  # no face recognised yet

    state.assets[photo].person_ids.append(grandma)
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    fired = _fired(events, entity_id)
    assert len(fired) == 1
    assert fired[0]["event_type"] == "photo"
    assert fired[0]["asset_id"] == photo
    assert fired[0]["person_id"] == grandma
    assert fired[0]["person_name"] == "Grandma"


async def test_album_change_events(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A watched album fires when assets are added or removed, or it is edited."""
    state, owner = immich_server.state, immich_server.admin_id
    photo = state.add_asset(owner)
    album = state.add_album(owner, "Family", asset_ids=[photo])
    entry = make_entry(immich_server, options={CONF_ALBUMS: [album]})
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_album_change_{album}")
    assert entity_id == "event.immich_admin_album_family_changed"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    await _tick(hass, freezer, timedelta(minutes=5))
    assert _fired(events, entity_id) == []

    state.albums[album].asset_ids.append(state.add_asset(owner))
    await _tick(hass, freezer, timedelta(minutes=5))
    state.albums[album].asset_ids.remove(photo)
    state.albums[album].asset_ids.remove(state.albums[album].asset_ids[0])
    await _tick(hass, freezer, timedelta(minutes=5))
    state.albums[album].name = "Family 2026"
    state.albums[album].updated_at += timedelta(minutes=1)
    await _tick(hass, freezer, timedelta(minutes=5))
    await _tick(hass, freezer, timedelta(minutes=5))
    fired = _fired(events, entity_id)
    assert [(f["event_type"], f["change"], f["asset_count"]) for f in fired] == [
        ("assets_added", 1, 2),
        ("assets_removed", -2, 0),
        ("album_updated", 0, 0),
    ]
    assert fired[-1]["album_name"] == "Family 2026"


async def test_album_change_event_of_a_shared_album(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Watch an album shared with the user; the poll keeps only the watched album."""
    state = immich_server.state
    state.add_album(immich_server.admin_id, "Not watched")
    photo = state.add_asset(immich_server.user_id)
    album = state.add_album(immich_server.user_id, "Alice's party", asset_ids=[photo])
    state.albums[album].users[immich_server.admin_id] = "viewer"
    entry = make_entry(immich_server, options={CONF_ALBUMS: [album]})
    await _setup(hass, entry)
    assert set(entry.runtime_data.server.data.albums or {}) == {album}
    entity_id = _entity_id(hass, f"{entry.unique_id}_album_change_{album}")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    state.albums[album].asset_ids.append(state.add_asset(immich_server.user_id))
    await _tick(hass, freezer, timedelta(minutes=5))
    fired = _fired(events, entity_id)
    assert [(f["event_type"], f["change"], f["asset_count"]) for f in fired] == [
        ("assets_added", 1, 2)
    ]
    assert fired[0]["album_name"] == "Alice's party"


async def test_album_events_come_and_go_with_their_album(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Add a watched album's event when the album appears; remove it when it goes."""
    state, owner = immich_server.state, immich_server.admin_id
    family = state.add_album(owner, "Family")
    later = "0b5c2a3e-3f1d-4c39-9a4e-5d6f7a8b9c0d"
    entry = make_entry(immich_server, options={CONF_ALBUMS: [family, later]})
    await _setup(hass, entry)
    registry = er.async_get(hass)
    unique_id = f"{entry.unique_id}_album_change_{later}"
    assert registry.async_get_entity_id(Platform.EVENT, DOMAIN, unique_id) is None
    state.albums[later] = state.albums.pop(state.add_album(owner, "Later"))
    state.albums[later].id = later
    await _tick(hass, freezer, timedelta(minutes=5))
    assert _entity_id(hass, unique_id) == "event.immich_admin_album_later_changed"

    del state.albums[family]
    await _tick(hass, freezer, timedelta(minutes=5))
    gone = f"{entry.unique_id}_album_change_{family}"
    assert registry.async_get_entity_id(Platform.EVENT, DOMAIN, gone) is None


async def test_no_album_event_lists_no_albums(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Without a watched album there is no album event, and albums aren't listed."""
    immich_server.state.add_album(immich_server.admin_id, "Family")
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    registry = er.async_get(hass)
    assert not [
        e
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if "_album_change_" in e.unique_id
    ]
    assert "getAllAlbums" not in {r.operation_id for r in immich_server.requests}


async def test_job_queue_events(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """The job queue event fires when a queue drains and when jobs fail."""
    state = immich_server.state
    state.queues_set(thumbnailGeneration={"waiting": 3, "active": 1})
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_job_queues")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    state.queues_set(
        thumbnailGeneration={"waiting": 0, "active": 0},
        smartSearch={"failed": 2},
    )
    await _tick(hass, freezer, timedelta(seconds=30))
    await _tick(hass, freezer, timedelta(seconds=30))
    fired = _fired(events, entity_id)
    assert [(f["event_type"], f["queue"]) for f in fired] == [
        ("jobs_failed", "smartSearch"),
        ("queue_drained", "thumbnailGeneration"),
    ]
    assert fired[0]["new_failures"] == 2


async def test_pausing_a_queue_is_not_draining_it(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Jobs held in a paused queue are pending: drained only once they have run."""
    state = immich_server.state
    state.queues_set(thumbnailGeneration={"waiting": 3})
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_job_queues")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    # Paused, Immich counts the waiting jobs as "paused".
    state.queues["thumbnailGeneration"].is_paused = True
    state.queues_set(thumbnailGeneration={"waiting": 0, "paused": 3})
    await _tick(hass, freezer, timedelta(seconds=30))
    assert _fired(events, entity_id) == []

    state.queues["thumbnailGeneration"].is_paused = False
    state.queues_set(thumbnailGeneration={"paused": 0})
    await _tick(hass, freezer, timedelta(seconds=30))
    fired = _fired(events, entity_id)
    assert [(f["event_type"], f["queue"]) for f in fired] == [
        ("queue_drained", "thumbnailGeneration")
    ]


async def test_errors_make_events_unavailable(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A failing poll makes the events unavailable and announces nothing twice."""
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_new_asset")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    immich_server.set_fault("searchAssets", status=HTTPStatus.INTERNAL_SERVER_ERROR)
    photo = immich_server.state.add_asset(immich_server.admin_id)
    await _tick(hass, freezer)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    immich_server.clear_faults()
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    assert [f["asset_id"] for f in _fired(events, entity_id)] == [photo]


async def test_no_album_ids_without_album_read(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A key that may not read albums still announces uploads, without album ids."""
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("user.read", "asset.read")
    )
    base = make_entry(immich_server)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=base.unique_id, data={**base.data, "api_key": key}
    )
    await _setup(hass, entry)
    entity_id = _entity_id(hass, f"{entry.unique_id}_new_asset")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    photo = immich_server.state.add_asset(immich_server.admin_id)
    await _tick(hass, freezer)
    fired = _fired(events, entity_id)
    assert [f["asset_id"] for f in fired] == [photo]
    assert "album_ids" not in fired[0]


async def test_no_watcher_without_asset_read(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """A key that may not read assets gets no upload events."""
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("user.read",)
    )
    base = make_entry(immich_server)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=base.unique_id,
        data={**base.data, "api_key": key},
    )
    await _setup(hass, entry)
    assert entry.runtime_data.photos is not None
    assert entry.runtime_data.photos.watcher is None
    assert not [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.endswith("_new_asset")
    ]


async def test_remove_entry_drops_the_stored_state(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    hass_storage: dict[str, Any],
) -> None:
    """Removing the entry deletes what the watcher stored."""
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    key = f"{DOMAIN}.{entry.entry_id}.watcher"
    assert key in hass_storage
    with patch("custom_components.immich_bridge.PLATFORMS", [Platform.EVENT]):
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    assert key not in hass_storage


async def test_events_wait_for_their_listener(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Events found before an entity listens are handed over when it does."""
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    assert entry.runtime_data.photos is not None
    watcher = entry.runtime_data.photos.watcher
    assert watcher is not None
    for index in range(MAX_PENDING + 5):
        watcher._emit("later", "photo", {"asset_id": str(index)})
    received: list[tuple[str, dict[str, Any]]] = []
    unsubscribe = watcher.async_subscribe(
        "later", lambda event_type, data: received.append((event_type, data))
    )
    await hass.async_block_till_done()
    assert len(received) == MAX_PENDING
    watcher._emit("later", "video", {"asset_id": "x"})
    assert received[-1] == ("video", {"asset_id": "x"})
    unsubscribe()
    watcher._emit("later", "photo", {"asset_id": "y"})
    assert received[-1] == ("video", {"asset_id": "x"})


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_event_snapshot(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Snapshot the upload, person, album and job queue events."""
    state, owner = immich_server_v3.state, immich_server_v3.admin_id
    person = state.add_person(owner, "Grandma")
    album = state.add_album(owner, "Family")
    entry = make_entry(
        immich_server_v3,
        options={CONF_FRAMES: [f"person:{person}"], CONF_ALBUMS: [album]},
    )
    await _setup(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_people_option_picked_and_all_named(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    freezer: FrozenDateTimeFactory,
    entity_registry_enabled_by_default: None,
) -> None:
    """Picked people get their event and last-photo sensor; "all named people" fires
    one event for everyone with a name, once per photo, also for faces found later.
    """
    state, owner = immich_server.state, immich_server.admin_id
    anna = state.add_person(owner, "Anna")
    ben = state.add_person(owner, "Ben")
    nameless = state.add_person(owner, "")
    old = state.add_asset(owner, filename="old.jpg")
    state.assets[old].person_ids.extend([anna, ben])  # before: announced by nobody
    entry = make_entry(immich_server, options={CONF_PEOPLE: [ALL_PEOPLE, anna]})
    entry.add_to_hass(hass)
    with patch(
        "custom_components.immich_bridge.PLATFORMS", [Platform.EVENT, Platform.SENSOR]
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    anyone = _entity_id(hass, f"{entry.unique_id}_any_person")
    assert anyone == "event.immich_admin_new_photo_of_a_person"
    of_anna = _entity_id(hass, f"{entry.unique_id}_person_asset_{anna}")
    last = "sensor.immich_admin_last_photo_of_anna"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    photo = state.add_asset(owner, filename="new.jpg")
    state.assets[photo].person_ids.extend([anna, nameless])
    await _tick(hass, freezer)
    fired = _fired(events, anyone)
    assert [(f["asset_id"], f["person_name"]) for f in fired] == [(photo, "Anna")]
    assert [f["asset_id"] for f in _fired(events, of_anna)] == [photo]
    uploaded = state.assets[photo].created_at.replace(microsecond=0)
    assert hass.states.get(last).state == uploaded.isoformat()

    # Ben's face is recognised on the photo later: one more event, then none.
    state.assets[photo].person_ids.append(ben)
    await _tick(hass, freezer)
    await _tick(hass, freezer)
    fired = _fired(events, anyone)
    assert [(f["asset_id"], f["person_name"]) for f in fired] == [
        (photo, "Anna"),
        (photo, "Ben"),
    ]
    assert len(_fired(events, of_anna)) == 1


async def test_dropping_the_all_people_option_removes_its_event(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """The "new photo of a person" event goes when the option is dropped."""
    entry = make_entry(immich_server, options={CONF_PEOPLE: [ALL_PEOPLE]})
    await _setup(hass, entry)
    unique_id = f"{entry.unique_id}_any_person"
    assert _entity_id(hass, unique_id)
    await _unload(hass, entry)
    hass.config_entries.async_update_entry(entry, options={})
    await _setup(hass, entry)
    assert er.async_get(hass).async_get_entity_id("event", DOMAIN, unique_id) is None
