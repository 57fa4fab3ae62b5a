"""The permission map (permissions.py) proven on a real Immich, generated from the map.

For every feature of ``FEATURES``: a key with exactly ``ESSENTIAL`` + the feature's
permissions (and an admin user when the feature says so) performs the whole feature
through Home Assistant; a key missing any ONE of those permissions, or a non-admin user
for an admin feature, is refused: an action raises the translated ``missing_permission``
naming that very permission, or an entity of the feature is absent.

Every feature has an exercise in ``EXERCISES`` that uses all of its parts, and a
feature without one fails (a new feature can't slip through). ``SOURCE_REQUIREMENTS``
gets the same treatment: with exactly a source's permissions its entities exist with
values; without them (or without the admin role) they are absent.

Cost: one user per feature (and per source), one key and one Home Assistant entry per
case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
import uuid

from aiohttp.test_utils import TestClient
from homeassistant.components import image, media_source
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import CONF_ALBUMS, CONF_FRAMES, DOMAIN
from custom_components.immich_bridge.permissions import (
    ESSENTIAL,
    FEATURES,
    SOURCE_REQUIREMENTS,
    Requirement,
    Source,
)

from .common import entity_id, fitting_unit, number, setup_entry, shown_bytes
from .harness import ImmichApi, RealUser, jpeg, real_entry

ADMIN = "admin"  # the "missing" value of the case run by a non-admin user


class RefusedError(AssertionError):
    """A part of a feature was not available: an entity absent, a transfer refused."""

    def __init__(self, what: str, permission: str | None = None) -> None:
        """Say what was refused and, when the server named it, which permission."""
        super().__init__(what if permission is None else f"{what} ({permission})")
        self.permission = permission


@dataclass(kw_only=True)
class World:
    """What a feature's or source's cases share: users and things made once."""

    user: RealUser  # with an all-permission key, to check effects
    non_admin: RealUser | None = None  # same, for the admin features' "not admin" case
    friend: RealUser | None = None
    assets: list[str] = field(default_factory=list)
    originals: dict[str, bytes] = field(default_factory=dict)
    album: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Case:
    """One key's entry in Home Assistant, and what its exercise needs."""

    hass: HomeAssistant
    immich: ImmichApi
    world: World
    user: RealUser
    entry: MockConfigEntry
    folder: Path
    http: TestClient | None = (
        None  # Home Assistant's HTTP API, when the feature needs it
    )

    async def call(self, action: str, **data: Any) -> Any:
        """Run one of our actions for the entry; return its response."""
        return await self.hass.services.async_call(
            DOMAIN,
            action,
            {"config_entry_id": self.entry.entry_id, **data},
            blocking=True,
            return_response=action not in {"delete_album", "delete_shared_link"}
            and action != "job_command",
        )

    def state(self, platform: str, key: str, *, enabled: bool = True) -> str:
        """Return an entity's state; RefusedError when the entity is absent.

        ``enabled=False`` for entities disabled by default: only their registry entry
        is checked (and its id returned).
        """
        eid = entity_id(self.hass, self.entry, platform, key)
        if eid is None:
            msg = f"{platform}.{key} absent"
            raise RefusedError(msg)
        if not enabled:
            return eid
        state = self.hass.states.get(eid)
        if state is None or state.state == "unavailable":
            msg = f"{platform}.{key} unavailable"
            raise RefusedError(msg)
        return state.state

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the server as the world's user with an all-permission key."""
        return await self.immich.call(method, path, key=self.world.user.key, **kwargs)


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


# Immich writes tags to the XMP sidecar and reads them back (sidecar write, then
# metadata extraction) after every tag change; read tags once that settled. A tag
# change made meanwhile can be undone by the server (its sidecar write unlocks the
# tags the change locked), so a test also changes tags only once it settled.
TAG_QUEUES = ("sidecar", "metadataExtraction")


async def _tag_values(case: Case, asset_id: str) -> set[str]:
    await case.immich.wait_idle(TAG_QUEUES)
    asset = await case.api("GET", f"/assets/{asset_id}")
    return {tag["value"] for tag in asset.get("tags") or []}


# ---------------------------------------------------------------- exercises


async def _server_sensors(case: Case) -> None:
    """Version, disk and update entities, with the server's own values."""
    about = await case.api("GET", "/server/about")
    storage = await case.api("GET", "/server/storage")
    assert case.state("sensor", "server_version") == about["version"].removeprefix("v")
    # Sizes show in the binary unit that fits them (a disk of hundreds of GB in GiB).
    case.state("sensor", "disk_size")
    shown, unit = shown_bytes(case.hass, case.entry, "disk_size")
    assert unit == fitting_unit(storage["diskSizeRaw"])
    assert shown == pytest.approx(storage["diskSizeRaw"], abs=1)
    for key in ("disk_used", "disk_available", "disk_used_percent"):
        number(case.state("sensor", key))
    assert case.state("binary_sensor", "low_disk_space") in {"on", "off"}
    case.state("update", "server")


async def _library_statistics(case: Case) -> None:
    """The user's counts, album counts and the picked album's sensor."""
    stats = await case.api("GET", "/assets/statistics")
    albums = await case.api("GET", "/albums/statistics")
    assert number(case.state("sensor", "my_photos")) == stats["images"]
    assert number(case.state("sensor", "my_videos")) == stats["videos"]
    assert (
        number(case.state("sensor", "albums")) == albums["shared"] + albums["notShared"]
    )
    album = case.world.album
    count = len(await case.immich.album_asset_ids(case.world.user.key, album["id"]))
    assert number(case.state("sensor", f"album_assets_{album['id']}")) == count


async def _server_statistics(case: Case) -> None:
    """Whole-server counts and the per-user usage sensors."""
    stats = await case.immich.call("GET", "/server/statistics")
    assert number(case.state("sensor", "photos")) == stats["photos"]
    assert number(case.state("sensor", "videos")) == stats["videos"]
    case.state("sensor", "usage")
    shown, unit = shown_bytes(case.hass, case.entry, "usage")
    assert unit == fitting_unit(stats["usage"])
    assert shown == pytest.approx(stats["usage"], abs=1)
    number(case.state("sensor", "usage_photos"))
    number(case.state("sensor", "usage_videos"))
    case.state("sensor", f"user_usage_{case.user.id}", enabled=False)


async def _people_and_tags(case: Case) -> None:
    """People and tag counters."""
    people = await case.api("GET", "/people", params={"size": "1"})
    tags = await case.api("GET", "/tags")
    assert number(case.state("sensor", "people")) == people["total"]
    assert number(case.state("sensor", "tags")) == len(tags)


QUEUE = "smartSearch"  # machine learning is off: starting it queues nothing lasting


async def _job_queues(case: Case) -> None:
    """Queue sensors and events; start, pause, resume, empty, clear failed; button."""
    for key in ("library_busy", "job_failures"):
        assert case.state("binary_sensor", key) in {"on", "off"}
    case.state("sensor", f"queue_waiting_{QUEUE}", enabled=False)
    case.state("binary_sensor", f"queue_paused_{QUEUE}", enabled=False)
    case.state("event", "job_queues")
    await case.call("job_command", queue=QUEUE, command="pause")
    assert (await case.immich.queues())[QUEUE]["isPaused"] is True
    await case.call("job_command", queue=QUEUE, command="resume")
    assert (await case.immich.queues())[QUEUE]["isPaused"] is False
    await case.call("job_command", queue=QUEUE, command="start")
    await case.immich.wait_idle([QUEUE])  # a running queue can't be started again
    await case.call("job_command", queue=QUEUE, command="empty")
    await case.call("job_command", queue=QUEUE, command="clear_failed")
    button = case.state("button", "clear_failed_jobs")
    assert button is not None
    await case.hass.services.async_call(
        "button",
        "press",
        {"entity_id": entity_id(case.hass, case.entry, "button", "clear_failed_jobs")},
        blocking=True,
    )
    await case.immich.wait_idle([QUEUE])


async def _libraries(case: Case) -> None:
    """The libraries counter, the scan button and the scan action."""
    libraries = await case.immich.call("GET", "/libraries")
    assert number(case.state("sensor", "libraries")) == len(libraries)
    case.state("button", "scan_libraries")
    await case.hass.services.async_call(
        "button",
        "press",
        {"entity_id": entity_id(case.hass, case.entry, "button", "scan_libraries")},
        blocking=True,
    )
    library = case.world.album  # the world's library (see _prepare_libraries)
    response = await case.call("scan_library", library=library["name"])
    assert response["library_ids"] == [library["id"]]
    await case.immich.wait_idle(["library"])


async def _account(case: Case) -> None:
    """The key's user is known; its usage and quota sensors."""
    if (user := case.entry.runtime_data.user) is None:
        msg = "the key's user is unknown"
        raise RefusedError(msg, "user.read")
    assert user.id == case.world.user.id
    assert number(case.state("sensor", "my_usage")) >= 0
    case.state("sensor", "my_quota")


def _new_file(case: Case, label: str) -> Path:
    """Write a JPEG no server has seen yet."""
    return _write(case.folder / label, f"{uuid.uuid4().hex[:8]}.jpg", jpeg(label))


async def _upload(case: Case) -> None:
    """Upload a file (again: a duplicate), a favourite, and sync a folder."""
    path = _new_file(case, "upload")
    response = await case.call("upload", file_path=str(path), favorite=True)
    [created] = response["assets"]
    assert created["status"] == "created"
    asset = await case.api("GET", f"/assets/{created['asset_id']}")
    assert asset["isFavorite"] is True
    again = await case.call("upload", file_path=str(path))
    assert again["assets"][0]["status"] == "duplicate"
    folder = case.folder / f"sync-{uuid.uuid4().hex[:8]}"
    _write(folder, "a.jpg", jpeg(f"sync {folder.name}"))
    synced = await case.call("sync_folder", folder=str(folder))
    assert synced["uploaded"] == 1, synced


async def _upload_to_album(case: Case) -> None:
    """Upload into an album the user has, by name; sync a folder into it."""
    album = case.world.album
    response = await case.call(
        "upload", file_path=str(_new_file(case, "album")), album=album["albumName"]
    )
    asset_id = response["assets"][0]["asset_id"]
    assert response["album_id"] == album["id"]
    folder = case.folder / f"sync-{uuid.uuid4().hex[:8]}"
    _write(folder, "a.jpg", jpeg(f"sync {folder.name}"))
    synced = await case.call("sync_folder", folder=str(folder), album=album["id"])
    assert synced["uploaded"] == 1, synced
    in_album = await case.immich.album_asset_ids(case.world.user.key, album["id"])
    assert asset_id in in_album
    assert len(in_album) >= 2  # the synced file too


async def _upload_to_new_album(case: Case) -> None:
    """Upload into an album that doesn't exist yet: it is made by that name."""
    name = _unique("New album")
    response = await case.call(
        "upload", file_path=str(_new_file(case, "new album")), album=name
    )
    [album] = await case.immich.albums_named(case.world.user.key, name)
    assert response["album_id"] == album["id"]
    assert await case.immich.album_asset_ids(case.world.user.key, album["id"]) == {
        response["assets"][0]["asset_id"]
    }


async def _upload_with_tags(case: Case) -> None:
    """Upload with a tag that doesn't exist yet."""
    tag = _unique("Upload tag")
    response = await case.call(
        "upload", file_path=str(_new_file(case, "tags")), tags=[tag]
    )
    assert tag in await _tag_values(case, response["assets"][0]["asset_id"])


async def _upload_with_details(case: Case) -> None:
    """Upload with a description; the same file again un-favourites it."""
    path = _new_file(case, "details")
    response = await case.call(
        "upload", file_path=str(path), favorite=True, description="from HA"
    )
    asset_id = response["assets"][0]["asset_id"]
    asset = await case.api("GET", f"/assets/{asset_id}")
    assert asset["exifInfo"]["description"] == "from HA"
    again = await case.call("upload", file_path=str(path), favorite=False)
    assert again["assets"][0]["status"] == "duplicate"
    assert (await case.api("GET", f"/assets/{asset_id}"))["isFavorite"] is False


async def _albums(case: Case) -> None:
    """Create, rename, add, remove, share and delete an album."""
    first, second = case.world.assets[:2]
    key = case.world.user.key
    name = _unique("Album")
    made = await case.call("create_album", name=name, asset_id=[first])
    album_id = made["album_id"]
    assert await case.immich.album_asset_ids(key, album_id) == {first}
    renamed = _unique("Renamed")
    await case.call("update_album", album=name, name=renamed, description="d")
    album = await case.immich.album(key, album_id)
    assert (album["albumName"], album["description"]) == (renamed, "d")
    await case.call("add_to_album", album=renamed, asset_id=[second])
    await case.call("remove_from_album", album=album_id, asset_id=[first])
    assert await case.immich.album_asset_ids(key, album_id) == {second}
    assert case.world.friend is not None
    await case.call(
        "share_album", album=renamed, users=[case.world.friend.email], role="editor"
    )
    album = await case.immich.album(key, album_id)
    assert [(u["user"]["id"], u["role"]) for u in album["albumUsers"]] == [
        (case.world.friend.id, "editor")
    ]
    await case.call("delete_album", album=album_id)
    status, _ = await case.immich.raw("GET", f"/albums/{album_id}", key=key)
    assert status in {400, 404}


async def _tags(case: Case) -> None:
    """Create a tag, tag an asset with it and untag it."""
    asset_id = case.world.assets[0]
    value = f"{_unique('Perm')}/child"
    created = await case.call("create_tag", name=value)
    assert created["value"] == value
    assert value in {tag["value"] for tag in await case.api("GET", "/tags")}
    await case.call("tag_assets", tags=[value], asset_id=[asset_id])
    assert value in await _tag_values(case, asset_id)
    await case.call("untag_assets", tags=[value], asset_id=[asset_id])
    assert value not in await _tag_values(case, asset_id)


async def _shared_links(case: Case) -> None:
    """Links to an album (by name) and to assets; delete them."""
    album = case.world.album
    to_album = await case.call("create_shared_link", album=album["albumName"])
    to_assets = await case.call(
        "create_shared_link", asset_id=case.world.assets[:1], expires_in={"days": 1}
    )
    for link in (to_album, to_assets):
        read = await case.api("GET", f"/shared-links/{link['link_id']}")
        assert read["id"] == link["link_id"]
        await case.call("delete_shared_link", link_id=link["link_id"])
        status, _ = await case.immich.raw(
            "GET", f"/shared-links/{link['link_id']}", key=case.world.user.key
        )
        assert status in {400, 404}


async def _search_and_photos(case: Case) -> None:
    """Search; download originals and previews; the media browser; photo frames."""
    world, hass = case.world, case.hass
    asset_id = world.assets[0]
    found = await case.call(
        "search",
        album=world.album["albumName"],
        favorite=True,
        type="image",
        taken_after=(datetime.now(UTC) - timedelta(days=3650)).isoformat(),
    )
    assert [a["asset_id"] for a in found["assets"]] == [asset_id]
    for size in ("original", "preview"):
        folder = case.folder / f"download-{size}"
        got = await case.call(
            "download", folder=str(folder), asset_id=[asset_id], size=size
        )
        if got["failed"]:
            error = got["failed"][0]["error"]
            msg = f"download {size}: {error}"
            raise RefusedError(msg, error.rsplit(" ", 1)[-1])
        [written] = got["written"]
        data = await hass.async_add_executor_job(Path(written).read_bytes)
        if size == "original":
            assert data == world.originals[asset_id]
        else:
            assert data[:3] == b"\xff\xd8\xff"
    album = await case.call(
        "download", folder=str(case.folder / "album"), album=world.album["albumName"]
    )
    assert [Path(p).name for p in album["written"]] == [
        (await case.api("GET", f"/assets/{asset_id}"))["originalFileName"]
    ]
    root = f"media-source://{DOMAIN}/{case.entry.unique_id}"
    for category in (
        "albums",
        "people",
        "tags",
        "memories",
        "favorites",
        "recent",
        "timeline",
        "places",
    ):
        await media_source.async_browse_media(hass, f"{root}/{category}")
    albums = await media_source.async_browse_media(hass, f"{root}/albums")
    [node] = [c for c in albums.children or [] if c.title == world.album["albumName"]]
    photos = await media_source.async_browse_media(hass, node.media_content_id)
    [photo] = photos.children or []
    played = await media_source.async_resolve_media(hass, photo.media_content_id, None)
    assert case.http is not None
    response = await case.http.get(played.url)
    if response.status != HTTPStatus.OK:
        msg = f"{played.url}: HTTP {response.status}"
        raise RefusedError(msg)
    assert (await response.read())[:3] == b"\xff\xd8\xff"
    await hass.async_block_till_done()
    for frame in ("favorites", "memories", f"album_{world.album['id']}"):
        case.state("image", f"frame_{frame}")
        picture = await image.async_get_image(
            hass, entity_id(hass, case.entry, "image", f"frame_{frame}") or ""
        )
        assert picture.content[:3] == b"\xff\xd8\xff"
    case.state("image", "latest_upload")
    picture = await image.async_get_image(
        hass, entity_id(hass, case.entry, "image", "latest_upload") or ""
    )
    assert picture.content[:3] == b"\xff\xd8\xff"
    case.state("event", "new_asset")


type Exercise = Callable[[Case], Awaitable[None]]

HTTP_FEATURES = frozenset({"search_and_photos"})  # fetch photos through the proxy view


async def _edit_assets(case: Case) -> None:
    """Favourite and rate a photo of the user's; read it back."""
    asset_id = await case.immich.upload(case.world.user.key)
    await case.immich.wait_idle(TAG_QUEUES)  # the upload's metadata extraction
    await case.call("update_assets", asset_id=[asset_id], favorite=True, rating=3)
    await case.immich.wait_idle(TAG_QUEUES)
    asset = await case.api("GET", f"/assets/{asset_id}")
    assert (asset["isFavorite"], asset["exifInfo"]["rating"]) == (True, 3)


async def _delete_assets(case: Case) -> None:
    """Trash an album's old photos, restore one, delete by id, empty the trash."""
    key = case.world.user.key
    old = [
        await case.immich.upload(key, taken=datetime.now(UTC) - timedelta(days=30))
        for _ in range(2)
    ]
    album = await case.immich.create_album(key, _unique("Retention"), old)
    deleted = await case.call(
        "delete_assets", album=album["albumName"], older_than={"days": 7}
    )
    assert sorted(deleted["asset_ids"]) == sorted(old)
    restored = await case.call("restore_assets", asset_id=old[:1])
    assert restored["restored"] == old[:1]
    assert (await case.api("GET", f"/assets/{old[0]}"))["isTrashed"] is False
    await case.call("delete_assets", asset_id=old[:1])
    emptied = await case.call("empty_trash")
    assert emptied["count"] == len(old)
    await case.immich.wait_idle()  # Immich deletes the files in the background
    for asset_id in old:
        status, _ = await case.immich.raw("GET", f"/assets/{asset_id}", key=key)
        assert status in {400, 404}


EXERCISES: dict[str, Exercise] = {
    "server_sensors": _server_sensors,
    "library_statistics": _library_statistics,
    "server_statistics": _server_statistics,
    "people_and_tags": _people_and_tags,
    "job_queues": _job_queues,
    "libraries": _libraries,
    "account": _account,
    "upload": _upload,
    "upload_to_album": _upload_to_album,
    "upload_to_new_album": _upload_to_new_album,
    "upload_with_tags": _upload_with_tags,
    "upload_with_details": _upload_with_details,
    "albums": _albums,
    "tags": _tags,
    "shared_links": _shared_links,
    "search_and_photos": _search_and_photos,
    "edit_assets": _edit_assets,
    "delete_assets": _delete_assets,
}

# ------------------------------------------------------- worlds and options


async def _prepare_photos(immich: ImmichApi, world: World) -> None:
    """Two photos (the first a favorite in an album) of the world's user."""
    for label in ("first", "second"):
        data = jpeg(label)
        asset_id = await immich.upload(world.user.key, data)
        world.assets.append(asset_id)
        world.originals[asset_id] = data
    await immich.call(
        "PUT",
        f"/assets/{world.assets[0]}",
        key=world.user.key,
        json_body={"isFavorite": True},
    )
    world.album = await immich.create_album(
        world.user.key, _unique("World album"), world.assets[:1]
    )
    # The uploads' metadata extraction re-applies the tags it read from the file: a tag
    # removed before it ran would come back.
    await immich.wait_idle(TAG_QUEUES)
    # A memory of today, for the memories frame.
    await immich.call(
        "POST",
        "/memories",
        key=world.user.key,
        json_body={
            "type": "on_this_day",
            "data": {"year": 2020},
            "memoryAt": datetime.now(UTC).isoformat(),
            "assetIds": world.assets[:1],
        },
    )


async def _prepare_library(immich: ImmichApi, world: World) -> None:
    """An external library of the world's user, on a folder the server reads."""
    folder = immich.server.dir / f"library-{uuid.uuid4().hex[:8]}"
    _write(folder, "outside.jpg", jpeg("library"))
    folder.chmod(0o755)
    world.album = await immich.call(
        "POST",
        "/libraries",
        json_body={
            "ownerId": world.user.id,
            "name": _unique("Library"),
            "importPaths": [str(folder)],
        },
    )


PREPARE: dict[str, Callable[[ImmichApi, World], Awaitable[None]]] = {
    "upload_to_album": _prepare_photos,
    "library_statistics": _prepare_photos,
    "albums": _prepare_photos,
    "tags": _prepare_photos,
    "shared_links": _prepare_photos,
    "search_and_photos": _prepare_photos,
    "libraries": _prepare_library,
    f"source {Source.LIBRARY_STATISTICS}": _prepare_library,
}

OPTIONS: dict[str, Callable[[World], dict[str, Any]]] = {
    "library_statistics": lambda w: {CONF_ALBUMS: [w.album["id"]]},
    "search_and_photos": lambda w: {
        CONF_FRAMES: ["favorites", "memories", f"album:{w.album['id']}"]
    },
}

_WORLDS: dict[tuple[str, str], World] = {}


async def _world(immich: ImmichApi, name: str, requirement: Requirement) -> World:
    """Return the world of a feature or source, made on first use."""
    cache = (immich.server.url, name)
    if (world := _WORLDS.get(cache)) is None:
        world = World(
            user=await immich.create_user(
                f"Perm {name}",
                admin=requirement.admin,
                quota=10**9 if name in {f"source {Source.USER}", "account"} else None,
            ),
            non_admin=(
                await immich.create_user(f"Perm {name} (user)")
                if requirement.admin
                else None
            ),
        )
        if name == "albums":
            world.friend = await immich.create_user(f"Perm {name} friend")
        if (prepare := PREPARE.get(name)) is not None:
            await prepare(immich, world)
        _WORLDS[cache] = world
    elif name in {"libraries", f"source {Source.LIBRARY_STATISTICS}"}:
        status, _ = await immich.raw("GET", f"/libraries/{world.album['id']}")
        if status != HTTPStatus.OK:  # another test removed the external libraries
            await _prepare_library(immich, world)
    return world


async def _setup(
    hass: HomeAssistant,
    immich: ImmichApi,
    user: RealUser,
    permissions: tuple[str, ...],
    options: dict[str, Any],
    *,
    state: ConfigEntryState = ConfigEntryState.LOADED,
) -> MockConfigEntry:
    """Set up an entry with a new key of exactly these permissions."""
    key = await immich.create_key(user, sorted(set(permissions)))
    return await setup_entry(
        hass, real_entry(immich.server, user, key=key, options=options), state=state
    )


def _cases(requirements: dict[Any, Requirement]) -> Iterator[Any]:
    """Yield (name, missing) for the exact key, each permission left out, not admin."""
    for name, requirement in requirements.items():
        yield pytest.param(name, None, id=f"{name}-exact")
        for permission in requirement.permissions:
            if permission not in ESSENTIAL.permissions:
                yield pytest.param(name, permission, id=f"{name}-without-{permission}")
        if requirement.admin:
            yield pytest.param(name, ADMIN, id=f"{name}-not-admin")


# Immich refuses a key without permissions: a one-permission requirement less its one
# permission gets this instead, which nothing of ours uses (checked below).
FILLER = "server.apkLinks"


def _permissions(requirement: Requirement, missing: str | None) -> tuple[str, ...]:
    """Return ESSENTIAL + the requirement's permissions, less the missing one."""
    wanted = (*ESSENTIAL.permissions, *requirement.permissions)
    return tuple(p for p in wanted if p != missing) or (FILLER,)


def test_filler_unlocks_nothing() -> None:
    """The filler permission is in no requirement of the map."""
    requirements = [*FEATURES.values(), *SOURCE_REQUIREMENTS.values()]
    assert all(FILLER not in r.permissions for r in requirements)


# -------------------------------------------------------------------- tests


def test_every_feature_has_an_exercise() -> None:
    """A feature in the map without an exercise here fails: none slips through."""
    assert set(EXERCISES) == set(FEATURES)


@pytest.mark.parametrize(("feature", "missing"), list(_cases(FEATURES)))
async def test_feature_permissions(
    hass: HomeAssistant,
    immich: ImmichApi,
    tmp_path: Path,
    hass_client: ClientSessionGenerator,
    feature: str,
    missing: str | None,
) -> None:
    """Exactly the declared permissions perform the feature; one less is refused."""
    exercise = EXERCISES.get(feature)
    assert exercise is not None, f"feature {feature!r} has no exercise"
    requirement = FEATURES[feature]
    world = await _world(immich, feature, requirement)
    user = world.user
    if missing == ADMIN:
        assert world.non_admin is not None
        user = world.non_admin
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    assert await async_setup_component(hass, "media_source", {})
    options = OPTIONS.get(feature, lambda _: {})(world)
    entry = await _setup(
        hass, immich, user, _permissions(requirement, missing), options
    )
    case = Case(
        hass=hass, immich=immich, world=world, user=user, entry=entry, folder=tmp_path
    )
    if feature in HTTP_FEATURES:
        case.http = await hass_client()
    if missing is None:
        await exercise(case)
        return
    with pytest.raises((RefusedError, HomeAssistantError)) as refused:
        await exercise(case)
    err = refused.value
    if isinstance(err, RefusedError):
        assert err.permission in {None, missing}, err
    elif missing == ADMIN:
        assert (err.translation_domain, err.translation_key) == (
            DOMAIN,
            "admin_required",
        ), err
    else:
        assert err.translation_domain == DOMAIN, err
        assert err.translation_key == "missing_permission", err
        assert err.translation_placeholders == {"permission": missing}, err


@pytest.mark.parametrize("admin", [False, True], ids=["user", "admin"])
async def test_any_key_sets_up(
    hass: HomeAssistant, immich: ImmichApi, admin: bool
) -> None:
    """A key with one unrelated permission loads; what it can't read is absent.

    Without user.read the account's role is learnt from an admin-only source the key
    may read (here: queues), refused to a user's key.
    """
    assert ESSENTIAL.permissions == ()
    user = await immich.create_user(f"Perm any key {admin}", admin=admin)
    key = await immich.create_key(user, ["server.about", "queue.read"])
    entry = await setup_entry(hass, real_entry(immich.server, user, key=key))
    runtime = entry.runtime_data
    assert runtime.user is None
    assert runtime.is_admin is admin
    about = await immich.call("GET", "/server/about")
    version = entity_id(hass, entry, "sensor", "server_version")
    assert version is not None
    assert hass.states.get(version).state == about["version"].removeprefix("v")
    assert entity_id(hass, entry, "sensor", "my_usage") is None
    queues = entity_id(hass, entry, "binary_sensor", "job_failures")
    assert (queues is not None) is admin


# Each polled source's entities (by key), with the world a source needs.
def _source_entities(
    world: World, user: RealUser
) -> dict[Source, list[tuple[str, str]]]:
    album = world.album.get("id", "")
    return {
        Source.ABOUT: [("sensor", "server_version")],
        Source.VERSION_CHECK: [("update", "server")],
        Source.STORAGE: [
            ("sensor", "disk_size"),
            ("sensor", "disk_used"),
            ("sensor", "disk_available"),
            ("sensor", "disk_used_percent"),
            ("binary_sensor", "low_disk_space"),
        ],
        Source.STATISTICS: [
            ("sensor", "photos"),
            ("sensor", "videos"),
            ("sensor", "usage"),
            ("sensor", "usage_photos"),
            ("sensor", "usage_videos"),
            ("sensor", f"user_usage_{user.id}"),
        ],
        Source.ASSET_STATISTICS: [("sensor", "my_photos"), ("sensor", "my_videos")],
        Source.USER: [("sensor", "my_usage"), ("sensor", "my_quota")],
        Source.ALBUM_STATISTICS: [("sensor", "albums"), ("sensor", "shared_albums")],
        Source.ALBUMS: [
            ("sensor", f"album_assets_{album}"),
            ("event", f"album_change_{album}"),
        ],
        Source.PEOPLE: [("sensor", "people")],
        Source.TAGS: [("sensor", "tags")],
        Source.LIBRARIES: [("sensor", "libraries")],
        Source.LIBRARY_STATISTICS: [("sensor", f"library_assets_{album}")],
        Source.TRASH: [("sensor", "trash")],
        Source.DUPLICATES: [("sensor", "duplicate_groups")],
        Source.QUEUES: [
            ("binary_sensor", "library_busy"),
            ("binary_sensor", "job_failures"),
            ("event", "job_queues"),
        ],
    }


DISABLED_BY_DEFAULT = ("user_usage_",)


@pytest.mark.parametrize(("source", "missing"), list(_cases(SOURCE_REQUIREMENTS)))
async def test_source_permissions(
    hass: HomeAssistant,
    immich: ImmichApi,
    source: Source,
    missing: str | None,
) -> None:
    """A source's entities exist with values with exactly its permissions, else not."""
    requirement = SOURCE_REQUIREMENTS[source]
    world = await _world(immich, f"source {source}", requirement)
    if source is Source.ALBUMS and not world.album:
        world.album = await immich.create_album(world.user.key, _unique("Source"))
    user = (
        world.user if missing != ADMIN or world.non_admin is None else world.non_admin
    )
    options = {CONF_ALBUMS: [world.album["id"]]} if source is Source.ALBUMS else {}
    entry = await _setup(
        hass, immich, user, _permissions(requirement, missing), options
    )
    for platform, key in _source_entities(world, user)[source]:
        eid = entity_id(hass, entry, platform, key)
        if missing is not None:
            assert eid is None, f"{platform}.{key} exists without {missing}"
            continue
        assert eid is not None, f"{platform}.{key} absent"
        if key.startswith(DISABLED_BY_DEFAULT):
            continue  # in the registry, without a state
        state = hass.states.get(eid)
        assert state is not None
        assert state.state not in {"unavailable", "unknown"} or platform in {
            "event",
            "update",
        }, (key, state.state)


def test_source_requirements_have_entities() -> None:
    """Every source of the map has its entities listed here."""
    world = World(
        user=RealUser(id="u", name="", email="", password="", key="", token="")
    )
    assert set(_source_entities(world, world.user)) == set(SOURCE_REQUIREMENTS)
