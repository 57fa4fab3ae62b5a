"""Tests for the Immich Bridge sensors and their coordinators."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import async_rounded_state
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    CONF_API_KEY,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.api import QUEUE_NAMES
from custom_components.immich_bridge.const import CONF_ALBUMS, DOMAIN
from custom_components.immich_bridge.entity import async_queue_names
from tests.common import make_entry
from tests.fake_immich import FakeImmich

PREFIX = "sensor.immich_admin"
STRINGS = "custom_components/immich_bridge/strings.json"


async def _setup(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    platforms: list[Platform] | None = None,
) -> None:
    """Set up the entry with only the given platforms."""
    entry.add_to_hass(hass)
    with patch(
        "custom_components.immich_bridge.PLATFORMS", platforms or [Platform.SENSOR]
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def _seed(server: FakeImmich) -> dict[str, str]:
    """Give the server some albums, assets, people, tags, a library and busy queues."""
    state = server.state
    admin = server.admin_id
    assets = [state.add_asset(admin, filename=f"IMG_{n}.jpg") for n in range(3)]
    video = state.add_asset(admin, filename="clip.mp4", asset_type="VIDEO")
    holidays = state.add_album(admin, "Holidays", asset_ids=[*assets, video])
    state.add_album(admin, "Garden", asset_ids=assets[:1])
    state.add_asset(server.user_id, filename="alice.jpg")
    state.add_person(admin, "Grandma")
    state.add_tag(admin, "family/kids")
    state.add_library(admin, "NAS")
    state.queues["thumbnailGeneration"].active = 2
    state.queues["thumbnailGeneration"].waiting = 40
    state.queues["metadataExtraction"].failed = 1
    state.queues["smartSearch"].is_paused = True
    return {"holidays": holidays}


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Pick no album sensors by default."""
    return {}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create every sensor of an admin key with its state and attributes."""
    ids = _seed(immich_server_v3)
    entry = make_entry(immich_server_v3, options={CONF_ALBUMS: [ids["holidays"]]})
    await _setup(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_sensor_values_both_versions(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Read the same values from Immich 2.x and 3.x."""
    ids = _seed(immich_server)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_ALBUMS: [ids["holidays"]]}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    expected = {
        "photos": "4",
        "videos": "1",
        "my_photos": "3",
        "my_videos": "1",
        "albums": "2",
        "shared_albums": "0",
        "people": "1",
        "tags": "2",  # family and family/kids
        "external_libraries": "1",
        "album_holidays": "4",
        "disk_used_percentage": "24.6",
    }
    for key, value in expected.items():
        state = hass.states.get(f"{PREFIX}_{key}")
        assert state is not None, key
        assert state.state == value, key
    version = hass.states.get(f"{PREFIX}_server_version")
    assert version is not None
    assert version.state == str(mock_config_entry.runtime_data.version)


def _shown(hass: HomeAssistant, key: str) -> str:
    """Return a sensor's state as the frontend shows it: rounded, with its unit."""
    entity_id = f"{PREFIX}_{key}"
    state = hass.states.get(entity_id)
    assert state is not None, key
    value = async_rounded_state(hass, entity_id, state)
    return f"{value} {state.attributes[ATTR_UNIT_OF_MEASUREMENT]}"


async def test_sizes_show_in_the_binary_unit_that_fits(
    hass: HomeAssistant, immich_server_v3: FakeImmich
) -> None:
    """Show sizes as Immich does (MiB, GiB, TiB, one decimal), never 1.5 MB as 0.0."""
    server = immich_server_v3
    state = server.state
    state.assets.clear()
    state.add_asset(server.admin_id, filename="big.jpg", data=b"\xff" * 1_500_000)
    state.users[server.admin_id].quota_size_in_bytes = 2 * 1024**4
    state.disk_size = 500 * 10**9  # a "500 GB" disk
    state.disk_use = 1_500_000
    entry = make_entry(server)
    await _setup(hass, entry)
    assert {
        key: _shown(hass, key)
        for key in (
            "storage_used_by_assets",
            "storage_used_by_photos",
            "my_storage_usage",
            "my_storage_quota",
            "disk_size",
            "disk_used",
            "disk_available",
        )
    } == {
        "storage_used_by_assets": "1.4 MiB",  # 1,500,000 bytes
        "storage_used_by_photos": "1.4 MiB",
        "my_storage_usage": "1.4 MiB",
        "my_storage_quota": "2.0 TiB",
        "disk_size": "465.7 GiB",  # 500 * 10^9 bytes
        "disk_used": "1.4 MiB",
        "disk_available": "465.7 GiB",
    }
    # Nothing stored yet: GiB, the scale a library grows into.
    assert _shown(hass, "storage_used_by_videos") == "0.0 GiB"

    # The unit stays once the sensor is registered (the user can change it in the
    # entity settings), and so does the precision.
    state.disk_use = 300 * 1024**3
    state.users[server.admin_id].quota_size_in_bytes = 512 * 1024**3
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _shown(hass, "disk_used") == "307200.0 MiB"
    assert _shown(hass, "my_storage_quota") == "0.5 TiB"


async def test_non_admin_key(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Leave out admin-only sensors for a non-admin key, keep the rest."""
    _seed(immich_server)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_API_KEY: immich_server.user_key},
        unique_id=immich_server.user_id,
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.runtime_data.queues is None
    for absent in ("photos", "videos", "external_libraries", "storage_used_by_assets"):
        assert hass.states.get(f"{PREFIX}_{absent}") is None, absent
    assert hass.states.get(f"{PREFIX}_my_photos").state == "1"
    assert hass.states.get(f"{PREFIX}_disk_size") is not None
    assert hass.states.get("binary_sensor.immich_admin_library_busy") is None
    assert hass.states.get("button.immich_admin_scan_libraries") is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_dynamic_album_user_and_queue_entities(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Add and remove album, user and queue entities as those come and go."""
    ids = _seed(immich_server)
    mock_config_entry.add_to_hass(hass)
    later = immich_server.state.add_album(immich_server.admin_id, "Later")
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_ALBUMS: [ids["holidays"], later]}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_album_later") is not None
    assert hass.states.get(f"{PREFIX}_storage_used_by_alice") is not None
    assert hass.states.get(f"{PREFIX}_thumbnail_generation_active_jobs").state == "2"

    # The album is deleted, a user is removed, a queue disappears.
    del immich_server.state.albums[later]
    del immich_server.state.queues["ocr"]
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_album_later") is None
    assert entity_registry.async_get(f"{PREFIX}_album_later") is None
    assert entity_registry.async_get(f"{PREFIX}_ocr_active_jobs") is None
    assert hass.states.get(f"{PREFIX}_album_holidays").state == "4"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_queue_names_follow_the_language(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Name the queues of queue entities in the user's language."""
    hass.config.language = "zh-Hans"
    await _setup(hass, mock_config_entry, [Platform.SENSOR, Platform.BINARY_SENSOR])
    unique_id = mock_config_entry.unique_id
    for domain, key, name in (
        (Platform.SENSOR, "queue_active", "缩略图生成 活动任务"),
        (Platform.BINARY_SENSOR, "queue_paused", "缩略图生成 已暂停"),
    ):
        entity_id = entity_registry.async_get_entity_id(
            domain, DOMAIN, f"{unique_id}_{key}_thumbnailGeneration"
        )
        assert entity_id is not None
        assert hass.states.get(entity_id).name.endswith(name)


async def test_every_known_queue_has_a_name(hass: HomeAssistant) -> None:
    """Translate the name of every queue Immich has; name a new one by its words."""
    english = await async_queue_names(hass)
    assert english("thumbnailGeneration") == "Thumbnail generation"
    assert english("someFutureQueue") == "Some future queue"
    hass.config.language = "zh-Hans"
    chinese = await async_queue_names(hass)
    assert chinese("someFutureQueue") == "Some future queue"
    for queue in QUEUE_NAMES:
        assert chinese(queue) != english(queue), queue
    strings = json.loads(
        (Path(__file__).parents[1] / STRINGS).read_text(encoding="utf-8")
    )
    options = strings["selector"]["job_queue"]["options"]
    assert sorted(options) == sorted(
        re.sub(r"(?<!^)(?=[A-Z])", "_", queue).lower() for queue in QUEUE_NAMES
    )


@pytest.mark.parametrize(
    ("fault", "kwargs"),
    [
        ("getStorage", {"status": 500}),
        ("getStorage", {"status": 503}),
        ("getStorage", {"body": b"{not json"}),
        ("getStorage", {"drop": True}),
        ("getServerStatistics", {"body": b'{"photos": "many"}'}),
        ("getServerStatistics", {"status": 429}),
    ],
)
async def test_refresh_failure_and_recovery(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    fault: str,
    kwargs: dict[str, Any],
) -> None:
    """Make entities unavailable while a refresh fails, and recover by themselves."""
    await _setup(hass, mock_config_entry)
    assert hass.states.get(f"{PREFIX}_disk_size").state != STATE_UNAVAILABLE
    immich_server.set_fault(fault, **kwargs)
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_disk_size").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_photos").state == STATE_UNAVAILABLE
    immich_server.clear_faults()
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_disk_size").state != STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_photos").state == "0"


async def test_refresh_timeout(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Treat a server slower than the timeout as unreachable, and recover."""
    await _setup(hass, mock_config_entry)
    runtime = mock_config_entry.runtime_data
    runtime.client.request_timeout = 2.0
    immich_server.set_fault("getStorage", delay=1.0, times=1)  # under
    await runtime.server.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_disk_size").state != STATE_UNAVAILABLE
    immich_server.set_fault("getStorage", delay=3.0, times=1)  # over
    await runtime.server.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_disk_size").state == STATE_UNAVAILABLE
    await runtime.server.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{PREFIX}_disk_size").state != STATE_UNAVAILABLE


async def test_forbidden_source_only_affects_its_entities(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 403 on one source makes only that source's entities unavailable."""
    await _setup(hass, mock_config_entry)
    immich_server.set_fault(
        "getStorage",
        status=403,
        body=b'{"message": "Missing required permission: server.storage",'
        b' "error": "Forbidden", "statusCode": 403, "correlationId": "x"}',
    )
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_disk_size").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{PREFIX}_photos").state == "0"
    immich_server.clear_faults()
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_disk_size").state != STATE_UNAVAILABLE


async def test_auth_failure_mid_run_starts_reauth(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Start reauth when the key is revoked while running."""
    await _setup(hass, mock_config_entry)
    immich_server.state.api_keys.clear()
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


# What the server coordinator asks for; other pollers (queues, the upload watcher) may
# run meanwhile on a loaded machine, so the count leaves them out.
SERVER_OPERATIONS = {
    "getAboutInfo",
    "getVersionCheck",
    "getStorage",
    "getServerStatistics",
    "getAssetStatistics",
    "getMyUser",
    "getAlbumStatistics",
    "getAllAlbums",
    "getAllPeople",
    "getAllTags",
    "getAllLibraries",
}


def _server_refresh_requests(server: FakeImmich) -> list[str]:
    """Return the server coordinator's requests since the last clear, sorted."""
    return sorted(
        r.operation_id for r in server.requests if r.operation_id in SERVER_OPERATIONS
    )


@pytest.mark.parametrize(
    ("picked", "requests"),
    [
        # Nothing needs single albums: the counts come from /albums/statistics.
        # (What changes rarely is read every 15 minutes or hour, not in this refresh:
        # the version and its check, tags, people, duplicate groups.)
        (False, 7),
        # A picked album: owned and shared albums are listed too, once each.
        (True, 9),
    ],
)
async def test_request_count_independent_of_library_size(
    hass: HomeAssistant, immich_server_v3: FakeImmich, picked: bool, requests: int
) -> None:
    """Make the same number of requests per refresh for 10 and 10,000 albums."""
    server = immich_server_v3
    albums = [server.state.add_album(server.admin_id, f"Album {n}") for n in range(10)]
    entry = make_entry(server, options={CONF_ALBUMS: albums[:1]} if picked else None)
    await _setup(hass, entry)
    coordinator = entry.runtime_data.server

    server.requests.clear()
    await coordinator.async_refresh()
    small = _server_refresh_requests(server)

    for n in range(10, 10_000):
        server.state.add_album(server.admin_id, f"Album {n}")
    server.requests.clear()
    await coordinator.async_refresh()
    large = _server_refresh_requests(server)

    assert small == large
    assert len(small) == requests
    assert small.count("getAllAlbums") == (2 if picked else 0)
    # Only the picked album is kept; the counts cover the whole library.
    assert coordinator.data.albums == (
        {albums[0]: coordinator.data.albums[albums[0]]} if picked else {}
    )
    assert hass.states.get(f"{PREFIX}_albums").state == "10000"


async def test_refresh_lists_no_albums_by_default(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Count albums with the statistics endpoint; list none when none is picked."""
    _seed(immich_server)
    await _setup(hass, mock_config_entry)
    immich_server.requests.clear()
    await mock_config_entry.runtime_data.server.async_refresh()
    await hass.async_block_till_done()
    operations = [r.operation_id for r in immich_server.requests]
    assert "getAlbumStatistics" in operations
    assert "getAllAlbums" not in operations
    assert mock_config_entry.runtime_data.server.data.albums == {}
    assert hass.states.get(f"{PREFIX}_albums").state == "2"
    assert hass.states.get(f"{PREFIX}_shared_albums").state == "0"


async def test_refresh_lists_albums_for_a_picked_album(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """List owned and shared albums when one is picked, and keep only that one."""
    ids = _seed(immich_server)
    state = immich_server.state
    # Alice shares an album with the admin; the admin shares Holidays with Alice.
    trip = state.add_album(
        immich_server.user_id,
        "Alice's trip",
        asset_ids=[state.add_asset(immich_server.user_id, filename="trip.jpg")],
    )
    state.albums[trip].users[immich_server.admin_id] = "viewer"
    state.albums[ids["holidays"]].users[immich_server.user_id] = "editor"
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_ALBUMS: [ids["holidays"], trip]}
    )
    immich_server.requests.clear()
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    listed = [r for r in immich_server.requests if r.operation_id == "getAllAlbums"]
    assert sorted(r.query.get("shared", "") for r in listed) == ["", "true"]
    assert set(mock_config_entry.runtime_data.server.data.albums or {}) == {
        ids["holidays"],
        trip,
    }
    assert hass.states.get(f"{PREFIX}_album_holidays").state == "4"
    assert hass.states.get(f"{PREFIX}_album_alice_s_trip").state == "1"
    # Holidays (shared by the admin) and Alice's trip (shared with the admin) are
    # shared; Garden is not: three albums in all.
    assert hass.states.get(f"{PREFIX}_albums").state == "3"
    assert hass.states.get(f"{PREFIX}_shared_albums").state == "2"


@pytest.mark.parametrize(
    ("permissions", "counts", "album_sensor"),
    [
        # Without album.statistics the counts go; the picked album still has a sensor.
        (("user.read", "album.read"), False, True),
        # Without album.read the picked album's sensor goes; the counts stay.
        (("user.read", "album.statistics"), True, False),
    ],
)
async def test_album_sources_need_their_own_permission(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    permissions: tuple[str, ...],
    counts: bool,
    album_sensor: bool,
) -> None:
    """A key that lacks one album permission loses only that source's sensors."""
    ids = _seed(immich_server)
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=permissions
    )
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_API_KEY: key},
        options={CONF_ALBUMS: [ids["holidays"]]},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for count in ("albums", "shared_albums"):
        assert (hass.states.get(f"{PREFIX}_{count}") is not None) is counts, count
    assert (hass.states.get(f"{PREFIX}_album_holidays") is not None) is album_sensor
    operations = {r.operation_id for r in immich_server.requests}
    assert ("getAlbumStatistics" in operations) is counts
    assert ("getAllAlbums" in operations) is album_sensor


async def test_trash_duplicates_quota_and_libraries(
    hass: HomeAssistant, immich_server_v3: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Trash, duplicate groups (read hourly), quota shares, near quota, libraries."""
    server, state = immich_server_v3, immich_server_v3.state
    admin = state.users[server.admin_id]
    admin.quota_size_in_bytes = 10_000
    photos = [state.add_asset(server.admin_id) for _ in range(4)]
    state.assets[photos[0]].is_trashed = True
    state.duplicates["group-1"] = photos[1:3]
    library = state.add_library(server.admin_id, "NAS")
    entry = make_entry(server, options={"quota_threshold": 50})
    await _setup(hass, entry, [Platform.SENSOR, Platform.BINARY_SENSOR])
    used = sum(a.size for a in state.assets.values() if a.owner_id == server.admin_id)
    assert hass.states.get(f"{PREFIX}_photos_and_videos_in_the_trash").state == "1"
    assert hass.states.get(f"{PREFIX}_duplicate_groups").state == "1"
    quota = hass.states.get(f"{PREFIX}_my_quota_used")
    assert quota is not None
    assert float(quota.state) == pytest.approx(100 * used / 10_000, abs=0.01)
    near = hass.states.get("binary_sensor.immich_admin_near_quota")
    assert near is not None
    assert near.state == ("on" if 100 * used / 10_000 >= 50 else "off")
    assert near.attributes["threshold"] == 50
    assert hass.states.get(f"{PREFIX}_nas_assets").state == "0"
    assert hass.states.get(f"{PREFIX}_nas_last_scan").state == "unknown"

    # A scan, a second duplicate group and the trash emptied: the trash and the scan
    # show at the next refresh, the duplicate groups only an hour after they were read.
    await hass.services.async_call(
        "immich_bridge",
        "scan_library",
        {"config_entry_id": entry.entry_id, "library": library},
        blocking=True,
        return_response=True,
    )
    state.duplicates["group-2"] = [photos[3], photos[1]]
    state.assets[photos[0]].is_trashed = False
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_photos_and_videos_in_the_trash").state == "0"
    assert hass.states.get(f"{PREFIX}_nas_last_scan").state != "unknown"
    assert hass.states.get(f"{PREFIX}_duplicate_groups").state == "1"
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(f"{PREFIX}_duplicate_groups").state == "2"


async def test_no_quota_no_quota_entities(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Without a quota there is no share of it to show."""
    await _setup(hass, mock_config_entry, [Platform.SENSOR, Platform.BINARY_SENSOR])
    assert hass.states.get(f"{PREFIX}_my_quota_used") is None
    assert hass.states.get("binary_sensor.immich_admin_near_quota") is None
