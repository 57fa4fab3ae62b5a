"""Tests for the Immich Bridge actions against the fake Immich server."""

# The tests prepare and inspect a few small files directly; that is fine in a test.
# ruff: noqa: ASYNC240

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, Phase, given, settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.services import ACTIONS
from tests.common import action_fails, call_action as _call
from tests.fake_immich import FakeImmich
from tests.reliability.conftest import LONG
from tests.services.platforms import async_setup_stand_ins
from tests.services.strategies import FuzzWorld, payloads

UNKNOWN_ID = "0badc0de-0000-4000-8000-000000000000"
# Generated calls per server flavour (v2 and v3): 1,000 each (2,000 in all) in CI,
# 5,000 each (10,000 in all) with -m long or IMMICH_BRIDGE_LONG=1.
FUZZ_EXAMPLES = 1000
FUZZ_EXAMPLES_LONG = 5000
LINK_PASSWORD = "hunter2"  # noqa: S105  # a test value


@pytest.fixture
def entry(init_integration: MockConfigEntry) -> MockConfigEntry:
    """Return the loaded entry of the fake server's admin."""
    return init_integration


def _scrub(value: Any, server: FakeImmich, folder: Path | None = None) -> Any:
    """Replace the server URL, the test folder and signatures: stable snapshots."""
    text = json.dumps(value).replace(server.url, "http://immich.test")
    text = re.sub(r"authSig=[\w.-]+", "authSig=SIGNATURE", text)
    if folder is not None:
        text = text.replace(str(folder), "/allowed")
    return json.loads(text)


def _jpeg(server: FakeImmich, folder: Path, name: str) -> Path:
    """Write a new small JPEG into a folder."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(server.state.next_jpeg(name))
    return path


def _album_named(server: FakeImmich, name: str) -> Any:
    """Return the fake's album with that name."""
    return next(a for a in server.state.albums.values() if a.name == name)


# ------------------------------------------------------------------ registration


async def test_actions_registered(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Register every action, with its response support."""
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert set(ACTIONS) <= set(registered)
    for name, action in ACTIONS.items():
        assert registered[name].supports_response is action.response


async def test_unknown_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Refuse an entry id that isn't ours."""
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "create_album",
            {"config_entry_id": "nope", "name": "X"},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "entry_not_found"
    assert caught.value.translation_placeholders == {"entry_id": "nope"}


async def test_entry_not_loaded(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Refuse an entry that is not loaded."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await action_fails(
        hass,
        entry,
        "create_album",
        ServiceValidationError,
        "entry_not_loaded",
        name="X",
    )


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("create_album", {}),
        ("create_album", {"name": ""}),
        ("create_album", {"name": "X", "bogus": 1}),
        ("add_to_album", {"album": "A", "asset_id": ["not-a-uuid"]}),
        ("download", {"folder": "/x", "size": "huge"}),
        ("create_shared_link", {"album": "A", "asset_id": [UNKNOWN_ID]}),
        ("job_command", {"queue": "thumbnail generation", "command": "start"}),
        ("search", {"limit": 0}),
        ("create_tag", {"name": "a//b"}),
        ("search", {"taken_after": "9999-12-31 23:00:00"}),
        ("search", {"limit": "many"}),
        ("search", {"limit": 2.5}),
        ("search", {"limit": True}),
        ("create_shared_link", {"album": "A", "expires_in": {"days": 10**10}}),
        ("create_shared_link", {"album": "A", "expires_in": {"days": 40000}}),
    ],
)
async def test_invalid_data(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, data: dict[str, Any]
) -> None:
    """Turn schema errors into a translated validation error."""
    err = await action_fails(
        hass, entry, action, ServiceValidationError, "invalid_action_data", **data
    )
    assert err.translation_placeholders["error"]


async def test_invalid_data_never_echoes_values(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Keep a password out of the error message."""
    err = await action_fails(
        hass,
        entry,
        "create_shared_link",
        ServiceValidationError,
        "invalid_action_data",
        album="A",
        password=LINK_PASSWORD,
        expires_in="soon",
    )
    assert LINK_PASSWORD not in str(err.translation_placeholders)


# ------------------------------------------------------------------------ upload


async def test_upload_file_into_new_album(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    snapshot: SnapshotAssertion,
) -> None:
    """Upload a file into an album created by name, with tags and a description."""
    photo = _jpeg(immich_server, allowed, "garden.jpg")
    result = await _call(
        hass,
        entry,
        "upload",
        file_path=str(photo),
        album="Garden",
        tags=["Home/Garden", "Plants"],
        favorite=True,
        description="Roses",
    )
    assert _scrub(result, immich_server, allowed) == snapshot
    asset = immich_server.state.assets[result["assets"][0]["asset_id"]]
    assert asset.data == photo.read_bytes()
    assert asset.is_favorite
    assert asset.description == "Roses"
    album = _album_named(immich_server, "Garden")
    assert album.asset_ids == [asset.id]
    tagged = {
        t.value for t in immich_server.state.tags.values() if asset.id in t.asset_ids
    }
    assert tagged == {"Home/Garden", "Plants"}
    assert photo.exists()


async def test_upload_duplicate_lands_in_album(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Report a file the server has as a duplicate, and still add it to the album."""
    photo = _jpeg(immich_server, allowed, "again.jpg")
    existing = immich_server.state.add_asset(
        immich_server.admin_id, data=photo.read_bytes(), filename="again.jpg"
    )
    album_id = immich_server.state.add_album(immich_server.admin_id, "Trips")
    result = await _call(
        hass, entry, "upload", file_path=[str(photo)], album=album_id, favorite=True
    )
    assert result["album_id"] == album_id
    assert result["assets"][0] | {"source": None, "url": None, "image_url": None} == {
        "asset_id": existing,
        "status": "duplicate",
        "in_trash": False,
        "source": None,
        "url": None,
        "image_url": None,
    }
    assert result["assets"][0]["url"] == f"{immich_server.url}/photos/{existing}"
    assert immich_server.state.albums[album_id].asset_ids == [existing]
    assert immich_server.state.assets[existing].is_favorite
    assert len(immich_server.state.assets) == 1


async def test_upload_album_by_name_ignores_case(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Find an existing album by name, whatever its case, instead of creating one."""
    album_id = immich_server.state.add_album(immich_server.admin_id, "Front Door")
    photo = _jpeg(immich_server, allowed, "door.jpg")
    result = await _call(
        hass, entry, "upload", file_path=str(photo), album="front door"
    )
    assert result["album_id"] == album_id
    assert len(immich_server.state.albums) == 1


async def test_upload_camera_snapshot(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Upload a camera snapshot straight from memory, and an image entity's picture."""
    picture = immich_server.state.next_jpeg("camera")
    await async_setup_stand_ins(hass, picture)
    media = Path(hass.config.path("media"))
    before = set(media.rglob("*")) if media.exists() else set()
    result = await _call(
        hass,
        entry,
        "upload",
        camera_entity_id="camera.front_door",
        image_entity_id=["image.doorbell"],
        album="Doorbell",
        tags="Doorbell",
    )
    first, second = result["assets"]
    assert first["source"] == "camera.front_door"
    assert first["status"] == "created"
    assert second == first | {"source": "image.doorbell", "status": "duplicate"}
    asset = immich_server.state.assets[first["asset_id"]]
    assert asset.data == picture
    assert asset.filename.startswith("front_door_")
    assert asset.filename.endswith(".jpg")
    assert list(allowed.iterdir()) == []
    assert (set(media.rglob("*")) if media.exists() else set()) == before


async def test_upload_media_source_item(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Upload a local media-source item (a media selector's value)."""
    hass.config.media_dirs = {"local": str(allowed / "media")}
    _jpeg(immich_server, allowed / "media", "cat.jpg")
    assert await async_setup_component(hass, "media_source", {})
    result = await _call(
        hass,
        entry,
        "upload",
        media={
            "media_content_id": "media-source://media_source/local/cat.jpg",
            "media_content_type": "image/jpeg",
        },
    )
    assert result["assets"][0]["status"] == "created"


async def test_upload_without_response(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Run an action that can answer without asking for the answer."""
    photo = _jpeg(immich_server, allowed, "quiet.jpg")
    assert (
        await _call(hass, entry, "upload", response=False, file_path=str(photo)) is None
    )
    assert len(immich_server.state.assets) == 1


async def test_upload_failure_can_be_retried(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Leave the source alone when an upload fails; a retry creates one asset."""
    photo = _jpeg(immich_server, allowed, "flaky.jpg")
    content = photo.read_bytes()
    immich_server.set_fault("uploadAsset", status=500, times=1)
    await action_fails(
        hass, entry, "upload", HomeAssistantError, "server_error", file_path=str(photo)
    )
    immich_server.set_fault("uploadAsset", drop=True, times=1)
    await action_fails(
        hass,
        entry,
        "upload",
        HomeAssistantError,
        "cannot_connect",
        file_path=str(photo),
    )
    assert photo.read_bytes() == content
    assert immich_server.state.assets == {}
    result = await _call(hass, entry, "upload", file_path=str(photo))
    assert result["assets"][0]["status"] == "created"
    result = await _call(hass, entry, "upload", file_path=str(photo))
    assert result["assets"][0]["status"] == "duplicate"
    assert len(immich_server.state.assets) == 1


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "no_upload_source"),
        ({"file_path": "{outside}"}, "path_not_allowed"),
        ({"file_path": "{allowed}/../outside.jpg"}, "path_not_allowed"),
        ({"file_path": "{allowed}/link.jpg"}, "path_not_allowed"),
        ({"file_path": "relative.jpg"}, "path_not_allowed"),
        ({"file_path": "{allowed}/missing.jpg"}, "file_not_found"),
        ({"file_path": "{allowed}"}, "file_not_found"),
        ({"file_path": "{allowed}/notes.txt"}, "unsupported_media_type"),
        ({"file_path": "{allowed}/ok.jpg", "album": UNKNOWN_ID}, "album_not_found"),
        ({"camera_entity_id": "camera.broken"}, "camera_no_image"),
        ({"camera_entity_id": "camera.nowhere"}, "entity_not_found"),
        ({"image_entity_id": "image.empty"}, "image_no_image"),
        ({"image_entity_id": "image.nowhere"}, "entity_not_found"),
        ({"media": "media-source://media_source/local/none.jpg"}, "file_not_found"),
        ({"media": "media-source://nowhere/x"}, "media_not_found"),
        ({"media": "/local/cat.jpg"}, "media_not_found"),
        ({"media": "media-source://camera/camera.front_door"}, "media_not_local"),
    ],
)
async def test_upload_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    data: dict[str, str],
    key: str,
) -> None:
    """Refuse bad sources before anything is uploaded."""
    outside = allowed.parent / "outside.jpg"
    outside.write_bytes(immich_server.state.next_jpeg("outside"))
    (allowed / "link.jpg").symlink_to(outside)
    (allowed / "notes.txt").write_text("hello")
    _jpeg(immich_server, allowed, "ok.jpg")
    hass.config.media_dirs = {"local": str(allowed)}
    await async_setup_stand_ins(hass, immich_server.state.next_jpeg("cam"))
    assert await async_setup_component(hass, "media_source", {})
    filled = {
        name: value.format(allowed=allowed, outside=outside)
        for name, value in data.items()
    }
    await action_fails(hass, entry, "upload", ServiceValidationError, key, **filled)
    assert immich_server.state.assets == {}


# ------------------------------------------------------------------- sync_folder


def _folder(server: FakeImmich, root: Path) -> Path:
    """Fill a folder: two new photos, one the server has, a note and a sub-folder."""
    folder = root / "scans"
    _jpeg(server, folder, "a.jpg")
    _jpeg(server, folder, "sub/b.jpg")
    _jpeg(server, folder, "skip/c.jpg")
    known = _jpeg(server, folder, "known.jpg")
    server.state.add_asset(server.admin_id, data=known.read_bytes(), filename="k.jpg")
    (folder / "notes.txt").write_text("not a photo")
    return folder


async def test_sync_folder(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    snapshot: SnapshotAssertion,
) -> None:
    """Upload what is new, count duplicates and skips, fill an album and tag."""
    folder = _folder(immich_server, allowed)
    (folder / "empty.jpg").write_bytes(b"")
    result = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        exclude=["skip/*"],
        album="Scans",
        tags=["Scanned"],
    )
    assert _scrub(result, immich_server, allowed) == snapshot
    assert result | {"album_id": None} == {
        "dry_run": False,
        "uploaded": 2,
        "duplicates": 1,
        "failed": 0,
        "skipped": 2,
        "pending": 0,
        "album_id": None,
        "album_error": None,
        "album_failures": [],
        "restored": [],
        "in_trash": [],
        "subfolder_tags": {},
        "would_upload": [],
        "failures": [],
        "skips": [
            {"path": str(folder / "empty.jpg"), "reason": "empty file"},
            {"path": str(folder / "notes.txt"), "reason": "unsupported file type"},
        ],
    }
    assert (folder / "empty.jpg").exists()
    album = _album_named(immich_server, "Scans")
    assert len(album.asset_ids) == 3
    tag = next(t for t in immich_server.state.tags.values() if t.value == "Scanned")
    assert tag.asset_ids == set(album.asset_ids)
    assert (folder / "a.jpg").exists()
    again = await _call(hass, entry, "sync_folder", folder=str(folder))
    assert (again["uploaded"], again["duplicates"]) == (1, 3)


async def test_sync_folder_dry_run(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Change nothing in a dry run: no upload, no album, no deletion."""
    folder = _folder(immich_server, allowed)
    result = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        recursive=False,
        include=["*.jpg"],
        album="Scans",
        tags="New tag",
        dry_run=True,
        delete_after_upload=True,
    )
    assert (result["pending"], result["duplicates"], result["uploaded"]) == (1, 1, 0)
    assert result["album_id"] is None
    assert len(immich_server.state.assets) == 1
    assert immich_server.state.albums == {}
    assert immich_server.state.tags == {}
    assert (folder / "a.jpg").exists()
    assert (folder / "known.jpg").exists()


async def test_sync_folder_deletes_only_confirmed_files(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Delete a local file only once the server has it; keep the failed one."""
    folder = _folder(immich_server, allowed)
    immich_server.set_fault("uploadAsset", status=500, times=1)
    result = await _call(
        hass, entry, "sync_folder", folder=str(folder), delete_after_upload=True
    )
    assert (result["uploaded"], result["duplicates"], result["failed"]) == (2, 1, 1)
    [failure] = result["failures"]
    assert Path(failure["path"]).exists()
    assert failure["error"]
    remaining = sorted(p.name for p in folder.rglob("*") if p.is_file())
    assert remaining == sorted(["notes.txt", Path(failure["path"]).name])


@pytest.mark.parametrize(
    ("folder", "key"),
    [
        ("{allowed}/missing", "folder_not_found"),
        ("{allowed}/file.jpg", "folder_not_found"),
        ("{allowed}/..", "path_not_allowed"),
        ("/etc", "path_not_allowed"),
    ],
)
async def test_sync_folder_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    folder: str,
    key: str,
) -> None:
    """Refuse folders that don't exist or aren't allowed."""
    _jpeg(immich_server, allowed, "file.jpg")
    await action_fails(
        hass,
        entry,
        "sync_folder",
        ServiceValidationError,
        key,
        folder=folder.format(allowed=allowed),
    )


# ---------------------------------------------------------------------- download


async def test_download_album_newest(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    snapshot: SnapshotAssertion,
) -> None:
    """Download the newest originals of an album; a second run skips them."""
    state = immich_server.state
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids = [
        state.add_asset(
            immich_server.admin_id,
            filename=f"p{n}.jpg",
            taken_at=start + timedelta(days=n),
        )
        for n in range(3)
    ]
    state.add_album(immich_server.admin_id, "Frame", asset_ids=ids)
    target = allowed / "frame"
    result = await _call(
        hass, entry, "download", folder=str(target), album="Frame", newest=2
    )
    assert sorted(Path(p).name for p in result["written"]) == ["p1.jpg", "p2.jpg"]
    assert result["skipped"] == []
    assert result["failed"] == []
    assert (target / "p2.jpg").read_bytes() == state.assets[ids[2]].data
    again = await _call(
        hass, entry, "download", folder=str(target), album="Frame", newest=2
    )
    assert again["written"] == []
    assert len(again["skipped"]) == 2
    assert _scrub({"first": result, "again": again}, immich_server, allowed) == snapshot


async def test_download_assets_thumbnails(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Download thumbnails of given assets; unknown ids are reported as failed."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id, filename="t.jpg")
    result = await _call(
        hass,
        entry,
        "download",
        folder=str(allowed),
        asset_id=[asset_id, UNKNOWN_ID],
        size="thumbnail",
    )
    assert [Path(p).name for p in result["written"]] == ["t_thumbnail.jpg"]
    assert [item["asset_id"] for item in result["failed"]] == [UNKNOWN_ID]


async def test_download_leaves_no_partial_file(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Never leave a partial file under its final name when a download breaks."""
    asset_id = immich_server.state.add_asset(
        immich_server.admin_id,
        data=immich_server.state.next_jpeg("big") * 50,
        filename="big.jpg",
    )
    immich_server.set_fault("downloadAsset", drop=True, times=1)
    result = await _call(
        hass, entry, "download", folder=str(allowed), asset_id=asset_id
    )
    assert result["written"] == []
    assert [item["asset_id"] for item in result["failed"]] == [asset_id]
    assert list(allowed.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "error", "key"),
    [
        ({"folder": "{allowed}"}, ServiceValidationError, "download_source_required"),
        ({"folder": "/", "album": "A"}, ServiceValidationError, "path_not_allowed"),
        (
            {"folder": "{allowed}", "album": "Missing"},
            ServiceValidationError,
            "album_not_found",
        ),
        (
            {"folder": "{allowed}/file.jpg", "album": "A"},
            ServiceValidationError,
            "folder_not_found",
        ),
    ],
)
async def test_download_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    data: dict[str, str],
    error: type[HomeAssistantError],
    key: str,
) -> None:
    """Refuse downloads without a source or outside the allowed folders."""
    immich_server.state.add_album(immich_server.admin_id, "A")
    _jpeg(immich_server, allowed, "file.jpg")
    filled = {name: value.format(allowed=allowed) for name, value in data.items()}
    await action_fails(hass, entry, "download", error, key, **filled)


async def test_download_folder_cannot_be_created(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Fail with write_failed when the folder can't be created."""
    immich_server.state.add_album(immich_server.admin_id, "A")
    _jpeg(immich_server, allowed, "file.jpg")
    await action_fails(
        hass,
        entry,
        "download",
        HomeAssistantError,
        "write_failed",
        folder=str(allowed / "file.jpg" / "sub"),
        album="A",
    )


# ------------------------------------------------------------------------ albums


async def test_album_lifecycle(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create, rename, fill, empty, share and delete an album."""
    state = immich_server.state
    first = state.add_asset(immich_server.admin_id, filename="1.jpg")
    second = state.add_asset(immich_server.admin_id, filename="2.jpg")
    created = await _call(
        hass, entry, "create_album", name="Garden", description="Plants", asset_id=first
    )
    updated = await _call(hass, entry, "update_album", album="Garden", name="Backyard")
    added = await _call(
        hass, entry, "add_to_album", album="Backyard", asset_id=[first, second]
    )
    removed = await _call(
        hass, entry, "remove_from_album", album=created["album_id"], asset_id=[first]
    )
    shared = await _call(
        hass,
        entry,
        "share_album",
        album="Backyard",
        users=["ALICE@example.com"],
        role="editor",
    )
    again = await _call(
        hass, entry, "share_album", album="Backyard", users=[immich_server.user_id]
    )
    responses = {
        "create_album": created,
        "update_album": updated,
        "add_to_album": added,
        "remove_from_album": removed,
        "share_album": shared,
        "share_album_again": again,
    }
    assert _scrub(responses, immich_server) == snapshot
    album = state.albums[created["album_id"]]
    assert (album.name, album.description) == ("Backyard", "Plants")
    assert album.asset_ids == [second]
    assert album.users == {immich_server.user_id: "editor"}
    assert (
        await _call(hass, entry, "delete_album", response=False, album="Backyard")
        is None
    )
    assert state.albums == {}


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("update_album", {"album": "Nope", "name": "X"}, "album_not_found"),
        ("update_album", {"album": "Twin", "name": "X"}, "album_ambiguous"),
        ("update_album", {"album": "Solo"}, "nothing_to_update"),
        ("delete_album", {"album": UNKNOWN_ID}, "album_not_found"),
        ("add_to_album", {"album": "Solo", "asset_id": UNKNOWN_ID}, "asset_not_found"),
        (
            "remove_from_album",
            {"album": "Nope", "asset_id": UNKNOWN_ID},
            "album_not_found",
        ),
        ("create_album", {"name": "New", "asset_id": UNKNOWN_ID}, "asset_not_found"),
        (
            "share_album",
            {"album": "Solo", "users": "bob@example.com"},
            "user_not_found",
        ),
    ],
)
async def test_album_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse unknown albums, assets and users, and ambiguous names."""
    state = immich_server.state
    state.add_album(immich_server.admin_id, "Solo")
    state.add_album(immich_server.admin_id, "Twin")
    state.add_album(immich_server.admin_id, "Twin")
    state.add_album(immich_server.user_id, "Twin")
    await action_fails(hass, entry, action, ServiceValidationError, key, **data)


async def test_album_name_prefers_own_album(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Pick the caller's own album when a shared album has the same name."""
    state = immich_server.state
    theirs = state.add_album(immich_server.user_id, "Shared")
    state.albums[theirs].users[immich_server.admin_id] = "viewer"
    mine = state.add_album(immich_server.admin_id, "Shared")
    result = await _call(hass, entry, "update_album", album="Shared", name="Mine")
    assert result["album_id"] == mine
    assert state.albums[theirs].name == "Shared"


async def test_album_shared_with_me(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Albums others share work by name and id; as a viewer, nothing may change."""
    state = immich_server.state
    editor = state.add_album(immich_server.user_id, "Theirs")
    state.albums[editor].users[immich_server.admin_id] = "editor"
    viewer = state.add_album(immich_server.user_id, "Look only")
    state.albums[viewer].users[immich_server.admin_id] = "viewer"
    state.add_user("Carol", "carol@example.com")
    mine = state.add_asset(immich_server.admin_id)
    for ref in ("Theirs", editor):
        result = await _call(hass, entry, "add_to_album", album=ref, asset_id=mine)
        assert result["album_id"] == editor
    photo = _jpeg(immich_server, allowed, "p.jpg")
    result = await _call(hass, entry, "upload", file_path=str(photo), album="theirs")
    assert result["album_id"] == editor
    assert len(state.albums[editor].asset_ids) == 2
    assert [album.name for album in state.albums.values()].count("Theirs") == 1

    before = len(state.assets)
    for action, data in (
        ("add_to_album", {"asset_id": mine}),
        ("remove_from_album", {"asset_id": mine}),
        ("update_album", {"description": "mine now"}),
        ("upload", {"file_path": str(photo)}),
        ("sync_folder", {"folder": str(allowed)}),
        ("sync_folder", {"folder": str(allowed), "dry_run": True}),
        ("share_album", {"users": "carol@example.com"}),
    ):
        for ref in ("Look only", viewer):
            await action_fails(
                hass,
                entry,
                action,
                ServiceValidationError,
                "album_read_only",
                album=ref,
                **data,
            )
    assert len(state.assets) == before
    assert state.albums[viewer].asset_ids == []
    await action_fails(
        hass,
        entry,
        "delete_album",
        ServiceValidationError,
        "album_not_owner",
        album="Theirs",
    )
    assert editor in state.albums


async def test_upload_refuses_empty_or_garbled_file(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Refuse a file that cannot be a photo before anything is uploaded; keep it."""
    good = _jpeg(immich_server, allowed, "good.jpg")
    empty = allowed / "empty.jpg"
    empty.write_bytes(b"")
    garbled = allowed / "garbled.png"
    garbled.write_text("not a picture")
    before = len(immich_server.state.assets)
    for bad, key in ((empty, "empty_media"), (garbled, "unreadable_media")):
        error = await action_fails(
            hass,
            entry,
            "upload",
            ServiceValidationError,
            key,
            file_path=[str(good), str(bad)],
        )
        assert error.translation_placeholders is not None
        assert error.translation_placeholders["name"] == bad.name
        assert bad.exists()
    assert len(immich_server.state.assets) == before


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("create_tag", {"name": "X"}),
        ("tag_assets", {"tags": "X", "asset_id": "{asset}"}),
    ],
)
async def test_tag_missing_from_server_answer(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, str],
) -> None:
    """Fail with server_error when Immich doesn't return the tag it should create."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    immich_server.set_fault("upsertTags", body=b"[]")
    filled = {name: value.format(asset=asset_id) for name, value in data.items()}
    await action_fails(
        hass, entry, action, HomeAssistantError, "server_error", **filled
    )


async def test_remove_assets_not_in_album(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Report assets that weren't in the album instead of failing."""
    immich_server.state.add_album(immich_server.admin_id, "Empty")
    result = await _call(
        hass, entry, "remove_from_album", album="Empty", asset_id=UNKNOWN_ID
    )
    assert result["removed"] == []
    assert result["not_in_album"] == [UNKNOWN_ID]


# -------------------------------------------------------------------------- tags


async def test_tags(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create a tag, tag assets (creating a missing tag) and untag them."""
    state = immich_server.state
    asset_id = state.add_asset(immich_server.admin_id, filename="t.jpg")
    created = await _call(hass, entry, "create_tag", name="/Home/Garden/")
    tagged = await _call(
        hass, entry, "tag_assets", tags=["home/garden", "Birds"], asset_id=asset_id
    )
    untagged = await _call(
        hass, entry, "untag_assets", tags=[created["tag_id"]], asset_id=asset_id
    )
    responses = {"create": created, "tag": tagged, "untag": untagged}
    assert _scrub(responses, immich_server) == snapshot
    values = {t.value for t in state.tags.values() if asset_id in t.asset_ids}
    assert values == {"Birds"}


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("untag_assets", {"tags": "Nope", "asset_id": "{asset}"}, "tag_not_found"),
        ("untag_assets", {"tags": UNKNOWN_ID, "asset_id": "{asset}"}, "tag_not_found"),
        ("tag_assets", {"tags": "X", "asset_id": UNKNOWN_ID}, "asset_not_found"),
    ],
)
async def test_tags_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, str],
    key: str,
) -> None:
    """Refuse unknown tags and assets."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    filled = {name: value.format(asset=asset_id) for name, value in data.items()}
    await action_fails(hass, entry, action, ServiceValidationError, key, **filled)


# ------------------------------------------------------------------ shared links


async def test_shared_links(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Share an album and assets by link; return the public URL; delete a link."""
    state = immich_server.state
    state.external_domain = "https://photos.example.com/"
    album_id = state.add_album(immich_server.admin_id, "Party")
    asset_id = state.add_asset(immich_server.admin_id)
    album_link = await _call(
        hass,
        entry,
        "create_shared_link",
        album="Party",
        expires_in={"days": 7},
        password=LINK_PASSWORD,
        allow_upload=True,
        description="For the guests",
    )
    link = state.shared_links[album_link["link_id"]]
    assert album_link["url"] == f"https://photos.example.com/share/{link.key}"
    assert link.album_id == album_id
    assert link.password == LINK_PASSWORD
    assert link.allow_upload
    assert link.expires_at is not None
    assert timedelta(days=6) < link.expires_at - datetime.now(UTC) <= timedelta(days=7)
    asset_link = await _call(
        hass,
        entry,
        "create_shared_link",
        asset_id=asset_id,
        expires_at="2099-01-01 12:00:00",
        allow_download=False,
        show_metadata=False,
    )
    assert state.shared_links[asset_link["link_id"]].asset_ids == [asset_id]
    scrubbed = _scrub([album_link, asset_link], immich_server)
    for item in scrubbed:
        item["url"] = item["url"].rsplit("/", 1)[0]
        item["expires_at"] = item["expires_at"] is not None
    assert scrubbed == snapshot
    await _call(
        hass, entry, "delete_shared_link", response=False, link_id=album_link["link_id"]
    )
    assert list(state.shared_links) == [asset_link["link_id"]]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "shared_link_target_required"),
        ({"album": "Nope"}, "album_not_found"),
        ({"asset_id": UNKNOWN_ID}, "asset_not_found"),
        ({"album": "Party", "expires_at": "2001-01-01 00:00:00"}, "expiry_in_past"),
    ],
)
async def test_shared_link_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse links without a target, to unknown things or expiring in the past."""
    immich_server.state.add_album(immich_server.admin_id, "Party")
    await action_fails(
        hass, entry, "create_shared_link", ServiceValidationError, key, **data
    )


async def test_delete_unknown_shared_link(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Refuse to delete a link that doesn't exist."""
    await action_fails(
        hass,
        entry,
        "delete_shared_link",
        ServiceValidationError,
        "shared_link_not_found",
        link_id=UNKNOWN_ID,
    )


# -------------------------------------------------------------------------- jobs


async def test_job_commands(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Start (with force), pause, resume, empty and clear failed jobs."""
    state = immich_server.state
    for queue, command, force in (
        ("thumbnailGeneration", "start", True),
        ("smartSearch", "pause", False),
        ("smartSearch", "resume", False),
        ("metadataExtraction", "empty", False),
        ("faceDetection", "clear_failed", False),
    ):
        assert (
            await _call(
                hass,
                entry,
                "job_command",
                response=False,
                queue=queue,
                command=command,
                force=force,
            )
            is None
        )
    assert state.queue_commands == [
        ("thumbnailGeneration", "start", True),
        ("smartSearch", "pause", False),
        ("smartSearch", "resume", False),
        ("metadataExtraction", "empty", False),
        ("faceDetection", "clear-failed", False),
    ]


async def test_empty_and_clear_failed_keep_each_others_jobs(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Empty drops pending jobs only; clear_failed drops failed jobs only."""
    queue = immich_server.state.queues["thumbnailGeneration"]
    queue.waiting, queue.delayed, queue.failed = 3, 2, 1
    await _call(
        hass,
        entry,
        "job_command",
        response=False,
        queue="thumbnailGeneration",
        command="clear_failed",
    )
    assert (queue.waiting, queue.delayed, queue.failed) == (3, 2, 0)
    queue.failed = 1
    await _call(
        hass,
        entry,
        "job_command",
        response=False,
        queue="thumbnailGeneration",
        command="empty",
    )
    assert (queue.waiting, queue.delayed, queue.failed) == (0, 2, 1)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"queue": "nope", "command": "pause"}, "queue_not_found"),
        ({"queue": "backgroundTask", "command": "start"}, "queue_cannot_start"),
        (
            {"queue": "smartSearch", "command": "pause", "force": True},
            "force_needs_start",
        ),
        ({"queue": "library", "command": "start"}, "job_command_rejected"),
    ],
)
async def test_job_command_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse unknown queues, impossible commands and a start while running."""
    immich_server.state.queues["library"].active = 1
    await action_fails(hass, entry, "job_command", ServiceValidationError, key, **data)


async def test_scan_library(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Scan one library by name, or all of them."""
    state = immich_server.state
    nas = state.add_library(immich_server.admin_id, "NAS")
    usb = state.add_library(immich_server.admin_id, "USB")
    one = await _call(hass, entry, "scan_library", library="nas")
    assert one == {"library_ids": [nas]}
    every = await _call(hass, entry, "scan_library")
    assert sorted(every["library_ids"]) == sorted([nas, usb])
    assert state.library_scans[0] == nas
    assert {"one": one, "every": every} == snapshot
    await action_fails(
        hass,
        entry,
        "scan_library",
        ServiceValidationError,
        "library_not_found",
        library="Cloud",
    )


async def test_scan_library_without_libraries(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Say that the server has no external library instead of succeeding silently."""
    await action_fails(
        hass, entry, "scan_library", ServiceValidationError, "no_external_library"
    )
    await action_fails(
        hass,
        entry,
        "scan_library",
        ServiceValidationError,
        "no_external_library",
        library="Photos",
    )
    assert immich_server.state.library_scans == []


# ------------------------------------------------------------------------ search


async def test_search(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Search by meaning and by metadata filters; return links to the assets."""
    state = immich_server.state
    owner = immich_server.admin_id
    dog = state.add_asset(
        owner,
        filename="dog_beach.jpg",
        taken_at=datetime(2024, 7, 1, 12, tzinfo=UTC),
        city="Lisbon",
        country="Portugal",
        favorite=True,
    )
    state.add_asset(
        owner,
        filename="cat.jpg",
        taken_at=datetime(2023, 1, 1, tzinfo=UTC),
        city="Porto",
        country="Portugal",
    )
    state.add_asset(owner, filename="clip.mp4", asset_type="VIDEO")
    person = state.add_person(owner, "Alice")
    state.assets[dog].person_ids.append(person)
    state.add_album(owner, "Summer", asset_ids=[dog])
    smart = await _call(hass, entry, "search", query="dog beach", limit=5)
    filtered = await _call(
        hass,
        entry,
        "search",
        taken_after="2024-01-01 00:00:00",
        taken_before="2024-12-31 00:00:00",
        city="Lisbon",
        country="Portugal",
        person="alice",
        favorite=True,
        type="image",
        album="Summer",
    )
    assert [a["asset_id"] for a in smart["assets"]][:1] == [dog]
    assert [a["asset_id"] for a in filtered["assets"]] == [dog]
    assert _scrub({"smart": smart, "filtered": filtered}, immich_server) == snapshot
    videos = await _call(hass, entry, "search", type="video")
    assert [a["file_name"] for a in videos["assets"]] == ["clip.mp4"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"person": "Nobody"}, "person_not_found"),
        ({"album": "Nope"}, "album_not_found"),
        (
            {
                "taken_after": "2024-02-01 00:00:00",
                "taken_before": "2024-01-01 00:00:00",
            },
            "bad_time_range",
        ),
    ],
)
async def test_search_refused(
    hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any], key: str
) -> None:
    """Refuse unknown people and albums and an empty time range."""
    await action_fails(hass, entry, "search", ServiceValidationError, key, **data)


async def test_search_needs_response(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Refuse a search call that doesn't ask for the response."""
    with pytest.raises(ServiceValidationError):
        await _call(hass, entry, "search", response=False, query="x")


# ----------------------------------------------------------------- server errors


async def test_auth_failure_starts_reauth(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Fail with auth_failed and start a reauth flow when the key is refused."""
    del immich_server.state.api_keys[immich_server.admin_key]
    await action_fails(
        hass, entry, "create_album", HomeAssistantError, "auth_failed", name="X"
    )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_missing_permission_is_named(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Name the permission the key lacks."""
    immich_server.state.api_keys[immich_server.admin_key].permissions = ("album.read",)
    err = await action_fails(
        hass, entry, "create_album", HomeAssistantError, "missing_permission", name="X"
    )
    assert err.translation_placeholders == {"permission": "album.create"}


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"status": 500}, "server_error"),
        ({"status": 429}, "rate_limited"),
        ({"drop": True}, "cannot_connect"),
        ({"status": 400}, "request_rejected"),
    ],
)
async def test_server_failures(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    fault: dict[str, Any],
    key: str,
) -> None:
    """Map server failures to translated errors."""
    immich_server.set_fault("createAlbum", **fault)
    error = ServiceValidationError if key == "request_rejected" else HomeAssistantError
    await action_fails(hass, entry, "create_album", error, key, name="X")


async def test_non_admin_job_command(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Tell a non-admin that job commands need an admin."""
    from tests.common import make_entry  # noqa: PLC0415

    entry = make_entry(immich_server, admin=False)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    err = await action_fails(
        hass,
        entry,
        "job_command",
        HomeAssistantError,
        "admin_required",
        queue="thumbnailGeneration",
        command="pause",
    )
    assert not err.translation_placeholders
    await hass.async_block_till_done()
    assert not ir.async_get(hass).issues  # no key permission would help


# ---------------------------------------------------------------------- fuzzing


async def _attempt(
    hass: HomeAssistant, action: str, data: dict[str, Any], seen: Counter[str]
) -> None:
    """Call one action; only translated Home Assistant errors may come out."""
    failure: HomeAssistantError | None = None
    try:
        await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            return_response=ACTIONS[action].response is not SupportsResponse.NONE,
        )
    except HomeAssistantError as err:
        failure = err
    if failure is None:
        seen["ok"] += 1
        return
    assert type(failure) in (HomeAssistantError, ServiceValidationError), repr(failure)
    assert failure.translation_domain == DOMAIN, repr(failure)
    assert failure.translation_key, repr(failure)
    seen[failure.translation_key] += 1


@pytest.fixture
async def fuzz_world(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> FuzzWorld:
    """Fill the fake server and the allowed folder with things payloads can name."""
    state = immich_server.state
    owner = immich_server.admin_id
    source = allowed / "src"
    _jpeg(immich_server, source, "a.jpg")
    _jpeg(immich_server, source, "sub/b.jpg")
    (source / "notes.txt").write_text("not a photo")
    (allowed.parent / "outside.jpg").write_bytes(state.next_jpeg("outside"))
    assets = tuple(
        state.add_asset(owner, filename=f"f{n}.jpg", city="Lisbon") for n in range(3)
    )
    album_id = state.add_album(owner, "Fuzz album", asset_ids=assets[:2])
    state.add_tag(owner, "Fuzz")
    state.add_library(owner, "Fuzz library")
    state.add_person(owner, "Fuzz person")
    link = await _call(hass, entry, "create_shared_link", album=album_id)
    hass.config.media_dirs = {"local": str(allowed)}
    await async_setup_stand_ins(hass, state.next_jpeg("camera"))
    assert await async_setup_component(hass, "media_source", {})
    return FuzzWorld(
        entry_id=entry.entry_id,
        folder=allowed,
        album_id=album_id,
        album_name="Fuzz album",
        asset_ids=assets,
        tag_value="Fuzz",
        link_id=link["link_id"],
        library_name="Fuzz library",
        person_name="Fuzz person",
        user_email="alice@example.com",
    )


@pytest.mark.parametrize(
    "examples",
    [
        pytest.param(FUZZ_EXAMPLES, id="ci"),
        pytest.param(FUZZ_EXAMPLES_LONG, id="long", marks=pytest.mark.long),
    ],
)
async def test_fuzz_only_translated_errors_escape(
    hass: HomeAssistant,
    fuzz_world: FuzzWorld,
    examples: int,
    request: pytest.FixtureRequest,
) -> None:
    """Call every action with generated payloads; only the two error types escape.

    `ci` runs FUZZ_EXAMPLES per server flavour (v2 and v3, so twice that in total);
    `long` runs only with `-m long` or IMMICH_BRIDGE_LONG=1.
    """
    selected = "long" in request.config.getoption("markexpr")
    if examples > FUZZ_EXAMPLES and not (selected or LONG):
        pytest.skip("a long run: select it with -m long or IMMICH_BRIDGE_LONG=1")
    seen: Counter[str] = Counter()
    loop = hass.loop

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=examples <= FUZZ_EXAMPLES,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )
    @given(payload=payloads(fuzz_world))
    def run(payload: tuple[str, dict[str, Any]]) -> None:
        action, data = payload
        asyncio.run_coroutine_threadsafe(
            _attempt(hass, action, data, seen), loop
        ).result(timeout=120)

    await hass.async_add_executor_job(run)
    assert sum(seen.values()) >= examples
    assert seen["ok"] > examples // 50
    assert seen["invalid_action_data"] > examples // 4


async def test_tag_assets_changed_are_owned_assets_that_lacked_a_tag(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """One request tags them all; an asset that had every tag, or a partner's, is
    not changed (the server answers only a count)."""
    state = immich_server.state
    fresh = state.add_asset(immich_server.admin_id, filename="fresh.jpg")
    done = state.add_asset(immich_server.admin_id, filename="done.jpg")
    partner = state.add_user("Partner", email="partner@example.com")
    state.add_partner(partner, immich_server.admin_id)
    theirs = state.add_asset(partner, filename="theirs.jpg")
    await _call(hass, entry, "tag_assets", tags=["Sea", "Sun"], asset_id=done)
    response = await _call(
        hass, entry, "tag_assets", tags=["sea", "sun"], asset_id=[fresh, done, theirs]
    )
    assert response["changed"] == [fresh]
    for asset_id in (fresh, done):
        values = {t.value for t in state.tags.values() if asset_id in t.asset_ids}
        assert values == {"Sea", "Sun"}
    assert not any(theirs in t.asset_ids for t in state.tags.values())
