"""Tests for sync_folder and download against the fake Immich server.

tests/real/test_upload_search.py checks the folder options on a real Immich.
"""

# The tests prepare and inspect a few small files directly; that is fine in a test.
# ruff: noqa: ASYNC240

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from tests.common import (
    UNKNOWN_ID,
    action_fails,
    album_named as _album_named,
    call_action as _call,
    scrub as _scrub,
    write_jpeg as _jpeg,
)
from tests.fake_immich import FakeImmich

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
    ("folder", "data", "key"),
    [
        ("{allowed}/missing", {}, "folder_not_found"),
        ("{allowed}/file.jpg", {}, "folder_not_found"),
        ("{allowed}/..", {}, "path_not_allowed"),
        ("/etc", {}, "path_not_allowed"),
        ("{allowed}", {"concurrency": 0}, "invalid_action_data"),
        ("{allowed}", {"concurrency": 17}, "invalid_action_data"),
        (
            "{allowed}",
            {"album": "X", "album_from_folder": True},
            "invalid_action_data",
        ),
    ],
)
async def test_sync_folder_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    folder: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse folders that don't exist or aren't allowed; concurrency is bounded;
    an album can't be both named and the folder's."""
    _jpeg(immich_server, allowed, "file.jpg")
    await action_fails(
        hass,
        entry,
        "sync_folder",
        ServiceValidationError,
        key,
        folder=folder.format(allowed=allowed),
        **data,
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


# ------------------------------------------------------------------ sync_folder


async def test_sync_folder_album_and_tags_from_folders(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """The folder names the album; each file is tagged with its sub-folder."""
    folder = allowed / "Holiday 2024"
    _jpeg(immich_server, folder, "top.jpg")
    _jpeg(immich_server, folder, "Beach/a.jpg")
    _jpeg(immich_server, folder, "Beach/b.jpg")
    _jpeg(immich_server, folder, "Town/Old/c.jpg")
    result = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        album_from_folder=True,
        tags_from_subfolders=True,
        concurrency=2,
    )
    assert result["uploaded"] == 4
    assert result["subfolder_tags"] == {"Beach": 2, "Town/Old": 1}
    album = next(a for a in immich_server.state.albums.values())
    assert album.name == "Holiday 2024"
    assert result["album_id"] == album.id
    assert len(album.asset_ids) == 4
    tags = {t.value: t.asset_ids for t in immich_server.state.tags.values()}
    by_name = {immich_server.state.assets[a].filename: a for a in album.asset_ids}
    assert tags["Beach"] == {by_name["a.jpg"], by_name["b.jpg"]}
    assert tags["Town/Old"] == {by_name["c.jpg"]}
    assert "Town" in tags
    assert all(by_name["top.jpg"] not in ids for ids in tags.values())


async def test_sync_folder_dry_run_lists_what_is_new(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """A dry run lists exactly the files the server lacks, and changes nothing."""
    folder = allowed / "scans"
    new = _jpeg(immich_server, folder, "new.jpg")
    known = _jpeg(immich_server, folder, "sub/known.jpg")
    trashed = _jpeg(immich_server, folder, "trashed.jpg")
    immich_server.state.add_asset(immich_server.admin_id, data=known.read_bytes())
    gone = immich_server.state.add_asset(
        immich_server.admin_id, data=trashed.read_bytes()
    )
    immich_server.state.assets[gone].is_trashed = True
    assets = set(immich_server.state.assets)
    result = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        dry_run=True,
        album_from_folder=True,
        tags_from_subfolders=True,
    )
    assert result["would_upload"] == [str(new)]
    assert result["in_trash"] == [str(trashed)]
    assert result["restored"] == []
    assert (result["pending"], result["duplicates"]) == (1, 2)
    assert set(immich_server.state.assets) == assets
    assert immich_server.state.assets[gone].is_trashed
    assert immich_server.state.albums == {}
    assert immich_server.state.tags == {}


async def test_sync_folder_trashed_duplicates(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Duplicates in the trash are reported, or restored (the default)."""
    folder = allowed / "scans"
    photo = _jpeg(immich_server, folder, "a.jpg")
    gone = immich_server.state.add_asset(
        immich_server.admin_id, data=photo.read_bytes()
    )
    immich_server.state.assets[gone].is_trashed = True
    kept = await _call(
        hass, entry, "sync_folder", folder=str(folder), restore_trashed=False
    )
    assert (kept["in_trash"], kept["restored"]) == ([str(photo)], [])
    assert immich_server.state.assets[gone].is_trashed
    restored = await _call(hass, entry, "sync_folder", folder=str(folder))
    assert (restored["in_trash"], restored["restored"]) == ([], [gone])
    assert not immich_server.state.assets[gone].is_trashed


async def test_sync_folder_reports_album_refusals(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Assets the album refused are listed with the server's reason."""
    folder = allowed / "scans"
    _jpeg(immich_server, folder, "a.jpg")
    immich_server.set_fault(
        "addAssetsToAlbum",
        mutate=lambda data: json.dumps(
            [
                {"id": item["id"], "success": False, "error": "not_found"}
                for item in data
            ]
        ).encode(),
    )
    result = await _call(hass, entry, "sync_folder", folder=str(folder), album="X")
    [asset_id] = list(immich_server.state.assets)
    assert result["album_failures"] == [{"asset_id": asset_id, "error": "not_found"}]
    assert result["album_error"] is None


async def test_sync_folder_keeps_files_whose_copy_stays_in_the_trash(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Deleting after upload never removes a file whose only copy is in the trash."""
    folder = allowed / "scans"
    trashed = _jpeg(immich_server, folder, "trashed.jpg")
    new = _jpeg(immich_server, folder, "new.jpg")
    gone = immich_server.state.add_asset(
        immich_server.admin_id, data=trashed.read_bytes()
    )
    immich_server.state.assets[gone].is_trashed = True
    kept = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        delete_after_upload=True,
        restore_trashed=False,
    )
    assert kept["in_trash"] == [str(trashed)]
    assert trashed.exists()
    assert not new.exists()
    restored = await _call(
        hass, entry, "sync_folder", folder=str(folder), delete_after_upload=True
    )
    assert restored["restored"] == [gone]
    assert not trashed.exists()


async def test_sync_folder_subfolder_tags_edge_cases(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """No sub-folder: no tag; a tag missing from the server's answer: an error."""
    folder = allowed / "flat"
    _jpeg(immich_server, folder, "a.jpg")
    flat = await _call(
        hass, entry, "sync_folder", folder=str(folder), tags_from_subfolders=True
    )
    assert flat["subfolder_tags"] == {}
    assert immich_server.state.tags == {}
    _jpeg(immich_server, folder, "sub/b.jpg")
    immich_server.set_fault("upsertTags", mutate=lambda _data: b"[]")
    await action_fails(
        hass,
        entry,
        "sync_folder",
        HomeAssistantError,
        "server_error",
        folder=str(folder),
        tags_from_subfolders=True,
    )
