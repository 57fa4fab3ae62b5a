"""Upload from a URL, trashed duplicates, album refusals, folder options and search.

Against the spec-checked stand-in; tests/real/test_upload_search.py checks the same
behaviour on a real Immich.
"""

# The tests prepare and inspect a few small files directly; that is fine in a test.
# ruff: noqa: ASYNC240

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import json
from pathlib import Path
import tempfile
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN
from tests.common import action_fails, call_action as _call
from tests.fake_immich import FakeImmich
from tests.services.platforms import async_setup_stand_ins

SECRET = "s3cr3t-token"  # noqa: S105  # a test value that must never be shown


@pytest.fixture
def entry(init_integration: MockConfigEntry) -> MockConfigEntry:
    """Return the loaded entry of the fake server's admin."""
    return init_integration


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the system temporary folder a fresh one the test can inspect."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


class Pictures:
    """An HTTP server with pictures to upload from, counting what it sent."""

    def __init__(self, photo: bytes) -> None:
        """Serve `photo` under several names."""
        self.photo = photo
        self.server: TestServer | None = None

    def url(self, path: str) -> str:
        """Return the URL of a path on this server."""
        assert self.server is not None
        return str(self.server.make_url(path))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer like a web server with a few kinds of files."""
        name = request.match_info["name"]
        if name == "photo.jpg":
            return web.Response(body=self.photo, content_type="image/jpeg")
        if name == "download":  # no name in the URL: the server names it
            return web.Response(
                body=self.photo,
                content_type="image/jpeg",
                headers={"Content-Disposition": 'attachment; filename="porch.jpg"'},
            )
        if name == "noextension":
            return web.Response(body=self.photo, content_type="image/jpeg")
        if name == "big.jpg":  # announced as too large
            return web.Response(body=self.photo + b"\0" * (2 * 1024 * 1024))
        if name == "stream.jpg":  # no length given: cut while streaming
            response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(3):
                await response.write(self.photo + b"\0" * (512 * 1024))
            await response.write_eof()
            return response
        if name == "text.jpg":
            return web.Response(
                text="<html>not a photo</html>", content_type="text/html"
            )
        raise web.HTTPNotFound


@pytest.fixture
async def pictures(immich_server: FakeImmich) -> AsyncGenerator[Pictures]:
    """Start a web server with pictures on the loopback interface."""
    site = Pictures(immich_server.state.next_jpeg("from-url"))
    app = web.Application()
    app.router.add_get("/files/{name}", site.handle)
    site.server = TestServer(app, host="127.0.0.1")
    await site.server.start_server()
    yield site
    await site.server.close()


def _jpeg(server: FakeImmich, folder: Path, name: str) -> Path:
    """Write a new small JPEG into a folder."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(server.state.next_jpeg(name))
    return path


# ------------------------------------------------------------- upload from a URL


async def test_upload_from_url(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    pictures: Pictures,
    temp_root: Path,
) -> None:
    """Fetch a URL (streamed to a temporary file, removed after) and upload it."""
    result = await _call(
        hass,
        entry,
        "upload",
        url=[pictures.url(f"/files/photo.jpg?token={SECRET}")],
        album="From the web",
    )
    [asset] = result["assets"]
    assert asset["status"] == "created"
    assert asset["source"] == pictures.url("/files/photo.jpg")  # no query shown
    stored = immich_server.state.assets[asset["asset_id"]]
    assert stored.data == pictures.photo
    assert stored.filename == "photo.jpg"
    assert result["album_failures"] == []
    assert list(temp_root.iterdir()) == []
    # Named by the server (Content-Disposition), or after the content type.
    again = await _call(
        hass,
        entry,
        "upload",
        url=[pictures.url("/files/download"), pictures.url("/files/noextension")],
    )
    assert [a["status"] for a in again["assets"]] == ["duplicate", "duplicate"]
    assert [a["asset_id"] for a in again["assets"]] == [asset["asset_id"]] * 2
    assert list(temp_root.iterdir()) == []


async def test_upload_from_url_names_files(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    pictures: Pictures,
) -> None:
    """A URL without a file name takes the server's name or one for its type."""
    pictures.photo = immich_server.state.next_jpeg("named")
    first = await _call(hass, entry, "upload", url=pictures.url("/files/download"))
    pictures.photo = immich_server.state.next_jpeg("typed")
    second = await _call(hass, entry, "upload", url=pictures.url("/files/noextension"))
    names = [
        immich_server.state.assets[r["assets"][0]["asset_id"]].filename
        for r in (first, second)
    ]
    assert names == ["porch.jpg", "noextension.jpg"]


@pytest.mark.parametrize(
    ("path", "max_size", "error", "key"),
    [
        ("/files/big.jpg", 1, ServiceValidationError, "url_too_large"),
        ("/files/stream.jpg", 1, ServiceValidationError, "url_too_large"),
        ("/files/missing.jpg", 100, HomeAssistantError, "url_fetch_failed"),
        ("/files/text.jpg", 100, ServiceValidationError, "unreadable_media"),
    ],
)
async def test_upload_from_url_failures_leave_nothing(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    pictures: Pictures,
    temp_root: Path,
    path: str,
    max_size: int,
    error: type[HomeAssistantError],
    key: str,
) -> None:
    """Too large, missing or no picture: a translated error, nothing sent or left."""
    before = set(immich_server.state.assets)
    url = pictures.url(path).replace("http://", f"http://user:{SECRET}@")
    caught = await action_fails(
        hass,
        entry,
        "upload",
        error,
        key,
        url=f"{url}?key={SECRET}",
        max_size=max_size,
        album="Never made",
    )
    assert SECRET not in str(caught.translation_placeholders)
    assert set(immich_server.state.assets) == before
    assert immich_server.state.albums == {}
    assert list(temp_root.iterdir()) == []
    # Safe to retry: the same call with a larger limit or a good URL works.
    if key == "url_too_large":
        result = await _call(hass, entry, "upload", url=pictures.url(path))
        assert result["assets"][0]["status"] == "created"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("ftp://example.com/photo.jpg", "invalid_url"),
        ("file:///etc/passwd", "invalid_url"),
        ("photo.jpg", "invalid_url"),
        ("//example.com/photo.jpg", "invalid_url"),
        ("https:///photo.jpg", "invalid_url"),
        ("/api/states", "url_not_supported"),
        ("/api/camera_proxy/image.doorbell", "url_not_supported"),
        ("http://ha.local:8123/local/photo.jpg", "url_not_supported"),
    ],
)
async def test_upload_from_url_refused(
    hass: HomeAssistant, entry: MockConfigEntry, url: str, key: str
) -> None:
    """Other schemes, relative paths and other Home Assistant URLs are refused."""
    await hass.config.async_update(internal_url="http://ha.local:8123")
    await action_fails(hass, entry, "upload", ServiceValidationError, key, url=url)


async def test_upload_from_home_assistant_urls(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Home Assistant's camera and image URLs read the entity (no token needed)."""
    picture = immich_server.state.next_jpeg("camera")
    await async_setup_stand_ins(hass, picture)
    await hass.config.async_update(
        internal_url="http://ha.local:8123", external_url="https://ha.example.com"
    )
    result = await _call(
        hass,
        entry,
        "upload",
        url=[
            f"/api/camera_proxy/camera.front_door?token={SECRET}",
            "https://ha.example.com/api/image_proxy/image.doorbell",
            "http://HA.local:8123/api/camera_proxy_stream/camera.front_door",
        ],
    )
    sources = [(a["source"], a["status"]) for a in result["assets"]]
    assert sources == [
        ("camera.front_door", "created"),
        ("image.doorbell", "duplicate"),
        ("camera.front_door", "duplicate"),
    ]
    assert immich_server.state.assets[result["assets"][0]["asset_id"]].data == picture
    await action_fails(
        hass,
        entry,
        "upload",
        ServiceValidationError,
        "camera_no_image",
        url="/api/camera_proxy/camera.broken",
    )


# --------------------------------------------------------- trashed duplicates


async def test_upload_restores_a_trashed_duplicate(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """A file whose copy is in the trash is restored, or only reported when asked."""
    photo = _jpeg(immich_server, allowed, "trashed.jpg")
    existing = immich_server.state.add_asset(
        immich_server.admin_id, data=photo.read_bytes(), filename="trashed.jpg"
    )
    immich_server.state.assets[existing].is_trashed = True
    kept = await _call(
        hass, entry, "upload", file_path=str(photo), restore_trashed=False
    )
    assert kept["assets"][0] | {"url": None, "image_url": None} == {
        "source": str(photo),
        "asset_id": existing,
        "status": "duplicate",
        "in_trash": True,
        "url": None,
        "image_url": None,
    }
    assert immich_server.state.assets[existing].is_trashed
    restored = await _call(hass, entry, "upload", file_path=str(photo))
    assert restored["assets"][0]["status"] == "restored"
    assert restored["assets"][0]["in_trash"] is False
    assert not immich_server.state.assets[existing].is_trashed
    assert photo.exists()


async def test_upload_race_duplicate_checks_the_trash(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """A duplicate only the upload itself reveals is looked up, trash included."""
    photo = _jpeg(immich_server, allowed, "race.jpg")
    existing = immich_server.state.add_asset(
        immich_server.admin_id, data=photo.read_bytes(), filename="race.jpg"
    )
    immich_server.state.assets[existing].is_trashed = True
    # The check misses it (as when another upload lands in between).
    immich_server.set_fault(
        "checkBulkUpload",
        mutate=lambda _data: json.dumps(
            {"results": [{"id": "0", "action": "accept"}]}
        ).encode(),
    )
    result = await _call(hass, entry, "upload", file_path=str(photo))
    assert result["assets"][0]["status"] == "restored"
    assert not immich_server.state.assets[existing].is_trashed


# -------------------------------------------------------------- album refusals


async def test_upload_reports_album_refusals(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Per-asset album refusals are in the response; already there is no failure."""
    photo = _jpeg(immich_server, allowed, "refused.jpg")
    album = immich_server.state.add_album(immich_server.admin_id, "Picky")

    immich_server.set_fault(
        "addAssetsToAlbum",
        mutate=lambda data: json.dumps(
            [
                {"id": item["id"], "success": False, "error": "no_permission"}
                for item in data
            ]
        ).encode(),
    )
    result = await _call(hass, entry, "upload", file_path=str(photo), album=album)
    asset_id = result["assets"][0]["asset_id"]
    assert result["album_failures"] == [
        {"asset_id": asset_id, "error": "no_permission"}
    ]
    immich_server.clear_faults()
    again = await _call(hass, entry, "upload", file_path=str(photo), album=album)
    assert again["album_failures"] == []
    assert immich_server.state.albums[album].asset_ids == [asset_id]


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


@pytest.mark.parametrize(
    "data",
    [
        {"concurrency": 0},
        {"concurrency": 17},
        {"album": "X", "album_from_folder": True},
    ],
)
async def test_sync_folder_refuses_bad_options(
    hass: HomeAssistant, entry: MockConfigEntry, allowed: Path, data: dict[str, Any]
) -> None:
    """Concurrency is bounded; an album can't be both named and the folder's."""
    await action_fails(
        hass,
        entry,
        "sync_folder",
        ServiceValidationError,
        "invalid_action_data",
        folder=str(allowed),
        **data,
    )


# ------------------------------------------------------------------------ search


def _library(server: FakeImmich) -> list[str]:
    """Add five photos, newest first in the returned list; rate and tag some."""
    state, owner = server.state, server.admin_id
    ids = [
        state.add_asset(
            owner,
            filename=f"p{day}.jpg",
            taken_at=datetime(2024, 1, day, tzinfo=UTC),
        )
        for day in range(5, 0, -1)
    ]
    state.assets[ids[1]].rating = 4
    state.assets[ids[3]].rating = 4
    state.assets[ids[4]].rating = 2
    tag = state.add_tag(owner, "Home/Garden")
    state.tags[tag].asset_ids.update({ids[0], ids[3]})
    return ids


async def test_search_pages_and_true_total(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Pages follow next_page; total counts every match, not the page."""
    ids = _library(immich_server)
    first = await _call(hass, entry, "search", limit=2)
    assert [a["asset_id"] for a in first["assets"]] == ids[:2]
    assert (first["count"], first["total"], first["page"], first["next_page"]) == (
        2,
        5,
        1,
        2,
    )
    last = await _call(hass, entry, "search", limit=2, page=3)
    assert [a["asset_id"] for a in last["assets"]] == ids[4:]
    assert (last["total"], last["next_page"]) == (5, None)
    oldest = await _call(hass, entry, "search", limit=2, order="oldest")
    assert [a["asset_id"] for a in oldest["assets"]] == ids[::-1][:2]


async def test_search_by_tag_and_rating(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Tags (name, path or id) and star ratings filter; 0 means unrated."""
    ids = _library(immich_server)
    tagged = await _call(hass, entry, "search", tags="home/garden")
    assert [a["asset_id"] for a in tagged["assets"]] == [ids[0], ids[3]]
    assert tagged["total"] == 2
    rated = await _call(hass, entry, "search", rating=4)
    assert [a["asset_id"] for a in rated["assets"]] == [ids[1], ids[3]]
    unrated = await _call(hass, entry, "search", rating=0)
    assert [a["asset_id"] for a in unrated["assets"]] == [ids[0], ids[2]]
    both = await _call(hass, entry, "search", tags="Garden", rating=4)
    assert [a["asset_id"] for a in both["assets"]] == [ids[3]]
    await action_fails(
        hass, entry, "search", ServiceValidationError, "tag_not_found", tags="Nope"
    )


async def test_search_random(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """A random order picks from the matches; total still counts all of them."""
    ids = _library(immich_server)
    result = await _call(hass, entry, "search", order="random", limit=3)
    assert result["count"] == 3
    assert {a["asset_id"] for a in result["assets"]} <= set(ids)
    assert (result["total"], result["next_page"]) == (5, None)
    rated = await _call(hass, entry, "search", order="random", rating=4)
    assert {a["asset_id"] for a in rated["assets"]} == {ids[1], ids[3]}
    assert rated["total"] == 2


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"order": "random", "page": 2}, "search_random_page"),
        ({"order": "random", "query": "dog"}, "search_order_with_query"),
        ({"order": "oldest", "query": "dog"}, "search_order_with_query"),
    ],
)
async def test_search_refuses_combinations(
    hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any], key: str
) -> None:
    """Random searches have no pages; a smart search has its own order."""
    await action_fails(hass, entry, "search", ServiceValidationError, key, **data)


async def test_search_smart_has_no_total(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """A smart search pages too, but the server has no count for it."""
    _library(immich_server)
    result = await _call(hass, entry, "search", query="p", limit=2)
    assert (result["count"], result["total"], result["next_page"]) == (2, None, 2)


async def test_search_total_without_statistics_permission(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """A key without asset.statistics still searches; its total is unknown."""
    user = immich_server.state.add_user("Limited", "limited@example.com")
    key = immich_server.state.add_api_key(
        user, ("asset.read", "user.read", "album.read", "tag.read")
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"url": immich_server.url, "api_key": key, "verify_ssl": True},
        unique_id=user,
        title="Limited",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    immich_server.state.add_asset(user)
    result = await _call(hass, entry, "search")
    assert (result["count"], result["total"]) == (1, None)


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


async def test_upload_from_url_disk_full(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    pictures: Pictures,
    temp_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A temporary file that can't be written: a translated error, nothing left."""

    async def full(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        "custom_components.immich_bridge.action_sources.fetch_to_file", full
    )
    caught = await action_fails(
        hass,
        entry,
        "upload",
        HomeAssistantError,
        "write_failed",
        url=pictures.url("/files/photo.jpg"),
    )
    assert caught.translation_placeholders is not None
    assert caught.translation_placeholders["error"] == "No space left on device"
    assert list(temp_root.iterdir()) == []
