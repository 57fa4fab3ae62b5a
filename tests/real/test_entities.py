"""Every entity against the real server, for admin, non-admin and least-privilege keys.

Each value is compared with what the server answers to the same request with the same
key at that moment; what the key may not read (the server answers 403) has no entity,
and no entity of a loaded entry is unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
import json
import subprocess
from typing import Any
import uuid

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.immich_bridge.const import (
    CONF_ALBUMS,
    CONF_LOW_DISK_THRESHOLD,
    DOMAIN,
)
from custom_components.immich_bridge.permissions import FEATURES

from .common import (
    entity_id,
    fitting_unit,
    number,
    setup_entry,
    shown_bytes,
    state_of,
)
from .harness import TOOL, ImmichApi, RealServer, RealUser, jpeg, real_entry

# The disk is shared with everything else on the machine: its numbers move between
# two reads. Everything else must match exactly.
DISK_SLACK = 256 * 1024**2


@dataclass(frozen=True)
class Read:
    """How a sensor's value is read from the server (same request, same key)."""

    path: str
    value: Callable[[Any], Any]
    kind: str = "count"  # count, bytes, percent or text
    params: dict[str, str] | None = None


SENSOR_READS: dict[str, Read] = {
    "photos": Read("/server/statistics", lambda b: b["photos"]),
    "videos": Read("/server/statistics", lambda b: b["videos"]),
    "usage": Read("/server/statistics", lambda b: b["usage"], "bytes"),
    "usage_photos": Read("/server/statistics", lambda b: b["usagePhotos"], "bytes"),
    "usage_videos": Read("/server/statistics", lambda b: b["usageVideos"], "bytes"),
    "my_photos": Read("/assets/statistics", lambda b: b["images"]),
    "my_videos": Read("/assets/statistics", lambda b: b["videos"]),
    "my_usage": Read("/users/me", lambda b: b["quotaUsageInBytes"], "bytes"),
    "my_quota": Read("/users/me", lambda b: b["quotaSizeInBytes"], "bytes"),
    "disk_size": Read("/server/storage", lambda b: b["diskSizeRaw"], "disk"),
    "disk_used": Read("/server/storage", lambda b: b["diskUseRaw"], "disk"),
    "disk_available": Read("/server/storage", lambda b: b["diskAvailableRaw"], "disk"),
    "disk_used_percent": Read(
        "/server/storage", lambda b: b["diskUsagePercentage"], "percent"
    ),
    "albums": Read("/albums/statistics", lambda b: b["shared"] + b["notShared"]),
    "shared_albums": Read("/albums/statistics", lambda b: b["shared"]),
    "people": Read(
        "/people", lambda b: b["total"], params={"withHidden": "false", "size": "1"}
    ),
    "tags": Read("/tags", len),
    "trash": Read(
        "/assets/statistics", lambda b: b["total"], params={"isTrashed": "true"}
    ),
    "duplicate_groups": Read("/duplicates", len),
    "my_quota_used": Read(
        "/users/me",
        lambda b: (
            100 * b["quotaUsageInBytes"] / b["quotaSizeInBytes"]
            if b.get("quotaSizeInBytes")
            else None
        ),
        "percent",
    ),
    "libraries": Read("/libraries", len),
    "server_version": Read(
        "/server/about", lambda b: b["version"].removeprefix("v"), "text"
    ),
}

KEYS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "admin, all": (True, ("all",)),
    "user, all": (False, ("all",)),
    "user, the minimum (user.read)": (False, ("user.read",)),
    "user, server.about": (False, ("user.read", "server.about")),
    # user.read, the minimum of every key, and what the feature adds.
    "user, library statistics": (
        False,
        ("user.read", *FEATURES["library_statistics"].permissions),
    ),
    "admin, server statistics and queues": (
        True,
        (
            "user.read",
            "server.storage",
            *FEATURES["server_statistics"].permissions,
            *FEATURES["job_queues"].permissions,
        ),
    ),
}


async def _read_all(immich: ImmichApi, key: str) -> dict[str, tuple[int, Any]]:
    """Ask the server for every sensor's value: (status, value or None)."""
    bodies: dict[tuple[str, str], tuple[int, Any]] = {}
    values: dict[str, tuple[int, Any]] = {}
    for name, read in SENSOR_READS.items():
        cache = (read.path, str(read.params))
        if cache not in bodies:
            bodies[cache] = await immich.raw(
                "GET", read.path, key=key, params=read.params
            )
        status, body = bodies[cache]
        values[name] = (status, read.value(body) if status == 200 else None)
    return values


def _assert_sensor(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    name: str,
    before: tuple[int, Any],
    after: tuple[int, Any],
) -> None:
    """The sensor exists iff the server answers a value, and shows that value."""
    state = state_of(hass, entry, "sensor", name)
    assert before[0] == after[0], (name, before, after)
    if before[0] == 403 or after[1] is None:
        assert state is None, f"{name}: the key can't read it, yet it is {state}"
        return
    assert before[0] == 200, (name, before)
    kind = SENSOR_READS[name].kind
    assert state is not None, f"{name}: the server answers {after[1]}, no entity"
    if kind == "text":
        assert state == after[1], name
    elif kind == "count":
        assert number(state) in (before[1], after[1]), (name, state, before, after)
    elif kind == "percent":
        low, high = sorted((before[1], after[1]))
        assert low - 0.1 <= number(state) <= high + 0.1, (name, state, before, after)
    else:
        # Shown in MiB, GiB or TiB as Immich shows it; 1 byte of slack for rounding.
        slack = (DISK_SLACK if kind == "disk" else 0) + 1
        low, high = sorted((before[1], after[1]))
        shown, unit = shown_bytes(hass, entry, name)
        assert unit == fitting_unit(after[1]), (name, unit, after)
        assert low - slack <= shown <= high + slack, (name, state, unit, before, after)


async def _world(
    immich: ImmichApi, admin: bool, permissions: tuple[str, ...]
) -> tuple[RealUser, str, str]:
    """A user with photos, a tag and an album; return it, its album and newest photo."""
    user = await immich.create_user(admin=admin)
    photos = [await immich.upload(user.key) for _ in range(2)]
    await immich.call(
        "POST", "/tags", key=user.key, json_body={"name": f"tag-{uuid.uuid4().hex[:8]}"}
    )
    album = await immich.create_album(user.key, asset_ids=photos[:1])
    key = await immich.create_key(user, permissions)
    await immich.wait_idle()
    return (
        RealUser(
            id=user.id,
            name=user.name,
            email=user.email,
            password=user.password,
            key=key,
            token=user.token,
            is_admin=admin,
        ),
        str(album["id"]),
        photos[-1],
    )


def _entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[er.RegistryEntry]:
    """Return the entry's enabled entities."""
    return [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.disabled_by is None
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("case", list(KEYS))
async def test_entities_equal_what_the_server_answers(
    hass: HomeAssistant, immich: ImmichApi, case: str
) -> None:
    """Each entity shows the server's own answer; what the key can't read is absent."""
    admin, permissions = KEYS[case]
    user, album_id, newest = await _world(immich, admin, permissions)
    entry = await setup_entry(
        hass, real_entry(immich.server, user, options={CONF_ALBUMS: [album_id]})
    )
    runtime = entry.runtime_data

    before = await _read_all(immich, user.key)
    await runtime.server.async_refresh()
    if runtime.queues is not None:
        await runtime.queues.async_refresh()
    await hass.async_block_till_done()
    after = await _read_all(immich, user.key)
    for name in SENSOR_READS:
        _assert_sensor(hass, entry, name, before[name], after[name])
    if after["my_photos"][0] == 200:
        assert after["my_photos"][1] == 2  # the user's own uploads, nothing else

    await _assert_album(hass, entry, immich, user, album_id)
    await _assert_user_usage(hass, entry, immich, user)
    await _assert_queues(hass, entry, immich, user)
    await _assert_disk_update_image(hass, entry, immich, user, newest)

    # Nothing the key can't read is left broken.
    assert entry.state is ConfigEntryState.LOADED
    unavailable = [
        e.entity_id
        for e in _entities(hass, entry)
        if (s := hass.states.get(e.entity_id)) is None or s.state == STATE_UNAVAILABLE
    ]
    assert unavailable == []


async def _assert_album(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    immich: ImmichApi,
    user: RealUser,
    album_id: str,
) -> None:
    """Album sensor: readable with album.read."""
    status, album = await immich.raw("GET", f"/albums/{album_id}", key=user.key)
    album_state = state_of(hass, entry, "sensor", f"album_assets_{album_id}")
    if status == 200:
        assert number(album_state) == album["assetCount"] == 1
    else:
        assert album_state is None


async def _assert_user_usage(
    hass: HomeAssistant, entry: MockConfigEntry, immich: ImmichApi, user: RealUser
) -> None:
    """Per-user storage: whole-server statistics, admins only."""
    status, stats = await immich.raw("GET", "/server/statistics", key=user.key)
    usage_sensors = {
        e.unique_id.removeprefix(f"{entry.unique_id}_user_usage_")
        for e in _entities(hass, entry)
        if e.unique_id.startswith(f"{entry.unique_id}_user_usage_")
    }
    if status == 200:
        by_user = {u["userId"]: u["usage"] for u in stats["usageByUser"]}
        assert usage_sensors == set(by_user)
        for user_id, usage in by_user.items():
            shown, unit = shown_bytes(hass, entry, f"user_usage_{user_id}")
            assert unit == fitting_unit(usage), (user_id, unit, usage)
            assert shown == pytest.approx(usage, abs=1)
    else:
        assert usage_sensors == set()


async def _assert_queues(
    hass: HomeAssistant, entry: MockConfigEntry, immich: ImmichApi, user: RealUser
) -> None:
    """Queues: the per-queue counts and the summaries, admins with queue.read only."""
    runtime = entry.runtime_data
    status, queues = await immich.raw("GET", "/queues", key=user.key)
    if status == 200:
        assert runtime.queues is not None
        for queue in queues:
            name = queue["name"]
            for field, count in queue["statistics"].items():
                if field == "completed":
                    continue
                value = state_of(hass, entry, "sensor", f"queue_{field}_{name}")
                assert number(value) == count, (name, field)
            paused = state_of(hass, entry, "binary_sensor", f"queue_paused_{name}")
            assert paused == (STATE_ON if queue["isPaused"] else STATE_OFF)
        busy = any(
            sum(q["statistics"][f] for f in ("active", "waiting", "paused"))
            for q in queues
        )
        failed = any(q["statistics"]["failed"] for q in queues)
        assert state_of(hass, entry, "binary_sensor", "library_busy") == (
            STATE_ON if busy else STATE_OFF
        )
        assert state_of(hass, entry, "binary_sensor", "job_failures") == (
            STATE_ON if failed else STATE_OFF
        )
    else:
        assert runtime.queues is None
        assert state_of(hass, entry, "binary_sensor", "library_busy") is None


async def _assert_disk_update_image(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    immich: ImmichApi,
    user: RealUser,
    newest: str,
) -> None:
    """Low disk space, the update entity and the latest upload."""
    status, storage = await immich.raw("GET", "/server/storage", key=user.key)
    low = state_of(hass, entry, "binary_sensor", "low_disk_space")
    if status == 200:
        free = 100 * storage["diskAvailableRaw"] / storage["diskSizeRaw"]
        assert low == (STATE_ON if free < 10 else STATE_OFF)
    else:
        assert low is None

    # The update entity: unknown while the server has never checked for releases.
    status, check = await immich.raw("GET", "/server/version-check", key=user.key)
    update = hass.states.get(str(entity_id(hass, entry, "update", "server")))
    if status == 200:
        assert update is not None
        assert check["releaseVersion"] is None  # the instance never checks
        assert update.state == STATE_UNKNOWN
        assert update.attributes["latest_version"] is None
        assert update.attributes["installed_version"] == "2.7.5"
    else:
        assert entity_id(hass, entry, "update", "server") is None

    # The latest upload: the user's newest photo, when the key may view photos.
    image = entity_id(hass, entry, "image", "latest_upload")
    status, _ = await immich.raw(
        "GET", f"/assets/{newest}/thumbnail", key=user.key, params={"size": "preview"}
    )
    if image is not None:
        assert status == 200
        state = hass.states.get(image)
        assert state is not None
        assert state.attributes["asset_id"] == newest


async def test_key_without_user_read_loads(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A key that can't read its user (the server says 403) still loads."""
    user = await immich.create_user()
    key = await immich.create_key(user, ["server.about"])
    status, _ = await immich.raw("GET", "/users/me", key=key)
    assert status == 403
    entry = await setup_entry(hass, real_entry(immich.server, user, key=key))
    assert entry.runtime_data.user is None
    assert entity_id(hass, entry, "sensor", "server_version") is not None


def _psql(server: RealServer, sql: str) -> None:
    """Run SQL in the instance's database."""
    subprocess.run(  # noqa: S603  # the tool's own psql wrapper, fixed arguments
        [str(TOOL), "psql", str(server.dir), "--", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        stdin=subprocess.DEVNULL,
    )


async def test_update_entity_follows_the_version_check(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Unknown until the server has checked; then the release it saw."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))
    update = str(entity_id(hass, entry, "update", "server"))
    check = await immich.call("GET", "/server/version-check")
    assert check["releaseVersion"] is None  # version checks are off on this instance
    state = hass.states.get(update)
    assert state is not None
    assert state.state == STATE_UNKNOWN, "never checked is not 'up to date'"
    assert state.attributes["latest_version"] is None

    # What the server stores once its version check ran (it never runs offline).
    try:
        for release, expected in (("v2.8.1", STATE_ON), ("v2.7.5", STATE_OFF)):
            value = json.dumps(
                {"checkedAt": "2026-11-01T00:00:00.000Z", "releaseVersion": release}
            )
            await hass.async_add_executor_job(
                _psql,
                immich.server,
                "INSERT INTO system_metadata (key, value) VALUES "  # noqa: S608  # the test's own constants
                f"('version-check-state', '{value}') "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            check = await immich.call("GET", "/server/version-check")
            assert check["releaseVersion"] == release
            # Read hourly; homeassistant.update_entity reads it at once.
            await hass.services.async_call(
                "homeassistant", "update_entity", {"entity_id": update}, blocking=True
            )
            await hass.async_block_till_done()
            state = hass.states.get(update)
            assert state is not None
            assert state.state == expected
            assert state.attributes["latest_version"] == release.removeprefix("v")
            # Past the ten seconds in which further requests are merged into one.
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
            await hass.async_block_till_done()
    finally:
        await hass.async_add_executor_job(
            _psql,
            immich.server,
            "DELETE FROM system_metadata WHERE key = 'version-check-state'",
        )


async def test_low_disk_space_uses_available_space(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Low disk space compares available ÷ size with the threshold, as Immich counts."""
    storage = await immich.call("GET", "/server/storage")
    available = 100 * storage["diskAvailableRaw"] / storage["diskSizeRaw"]
    # Immich's own percentage is used ÷ size: the "disk used %" sensor shows it.
    assert storage["diskUsagePercentage"] == pytest.approx(
        100 * storage["diskUseRaw"] / storage["diskSizeRaw"], abs=0.01
    )
    for margin, expected in ((0.5, STATE_ON), (-0.5, STATE_OFF)):
        entry = await setup_entry(
            hass,
            real_entry(
                immich.server,
                immich.admin,
                options={CONF_LOW_DISK_THRESHOLD: round(available + margin, 2)},
            ),
        )
        assert state_of(hass, entry, "binary_sensor", "low_disk_space") == expected
        assert number(
            state_of(hass, entry, "sensor", "disk_used_percent")
        ) == pytest.approx(storage["diskUsagePercentage"], abs=0.1)
        assert await hass.config_entries.async_remove(entry.entry_id)


async def test_scan_libraries_needs_an_external_library(
    hass: HomeAssistant, immich: ImmichApi, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Without an external library the action and the button say so; with one, scan."""
    # Libraries are server-wide: remove what earlier tests of this process left.
    for leftover in await immich.call("GET", "/libraries"):
        await immich.call("DELETE", f"/libraries/{leftover['id']}")
    await immich.wait_idle()
    assert await immich.call("GET", "/libraries") == []
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "scan_library",
            {"config_entry_id": entry.entry_id},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "no_external_library"
    button = entity_id(hass, entry, "button", "scan_libraries")
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
    assert caught.value.translation_key == "no_external_library"

    # With a library, the same action scans it: its photo is imported.
    folder = tmp_path_factory.mktemp("library")
    await hass.async_add_executor_job(
        (folder / "imported.jpg").write_bytes, jpeg("library")
    )
    library = await immich.call(
        "POST",
        "/libraries",
        json_body={
            "ownerId": immich.admin.id,
            "name": f"Library {uuid.uuid4().hex[:8]}",
            "importPaths": [str(folder)],
        },
    )
    try:
        response = await hass.services.async_call(
            DOMAIN,
            "scan_library",
            {"config_entry_id": entry.entry_id},
            blocking=True,
            return_response=True,
        )
        assert response == {"library_ids": [library["id"]]}
        await immich.wait_idle()
        statistics = await immich.call("GET", f"/libraries/{library['id']}/statistics")
        assert statistics["photos"] == 1
    finally:
        await immich.call("DELETE", f"/libraries/{library['id']}")
        await immich.wait_idle()


async def test_trash_quota_and_library_sensors(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A photo moved to the trash, a quota near full, an external library scanned."""
    user = await immich.create_user("Quota user", admin=True, quota=4 * 1024**2)
    photos = [await immich.upload(user.key, jpeg(f"quota {n}")) for n in range(2)]
    await immich.call("DELETE", "/assets", key=user.key, json_body={"ids": photos[:1]})
    folder = immich.server.dir / f"library-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "outside.jpg").write_bytes(jpeg("library sensor"))
    folder.chmod(0o755)
    library = await immich.call(
        "POST",
        "/libraries",
        json_body={
            "ownerId": user.id,
            "name": f"Shelf {uuid.uuid4().hex[:6]}",
            "importPaths": [str(folder)],
        },
    )
    entry = await setup_entry(
        hass,
        real_entry(immich.server, user, options={"quota_threshold": 50}),
    )
    trashed = await immich.call(
        "GET", "/assets/statistics", key=user.key, params={"isTrashed": "true"}
    )
    assert number(state_of(hass, entry, "sensor", "trash")) == trashed["total"] == 1
    me = await immich.call("GET", "/users/me", key=user.key)
    share = 100 * me["quotaUsageInBytes"] / me["quotaSizeInBytes"]
    assert number(state_of(hass, entry, "sensor", "my_quota_used")) == pytest.approx(
        share, abs=0.01
    )
    assert state_of(hass, entry, "binary_sensor", "near_quota") == (
        STATE_ON if share >= 50 else STATE_OFF
    )
    assert state_of(hass, entry, "sensor", f"library_assets_{library['id']}") == "0"
    assert state_of(hass, entry, "sensor", f"library_scanned_{library['id']}") == (
        STATE_UNKNOWN
    )

    await immich.call("POST", f"/libraries/{library['id']}/scan")
    path = f"/libraries/{library['id']}"
    for _ in range(150):  # the scan runs in the background: up to 30 s
        counts = await immich.call("GET", f"{path}/statistics")
        if counts["total"]:
            break
        await asyncio.sleep(0.2)
    assert counts["total"] == 1, counts
    read = await immich.call("GET", path)
    # Immich's own assetCount stays 0: the sensor counts with the statistics.
    assert read["assetCount"] == 0
    await entry.runtime_data.server.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, entry, "sensor", f"library_assets_{library['id']}") == "1"
    scanned = state_of(hass, entry, "sensor", f"library_scanned_{library['id']}")
    assert scanned is not None
    refreshed = dt_util.parse_datetime(read["refreshedAt"])
    assert refreshed is not None
    # A timestamp state has whole seconds.
    assert dt_util.parse_datetime(scanned) == refreshed.replace(microsecond=0)
