"""Tests for upload (files, snapshots, media, URLs; trashed duplicates, album
refusals) against the fake Immich server.

tests/real/test_upload_search.py checks the same behaviour on a real Immich.
"""

# The tests prepare and inspect a few small files directly; that is fine in a test.
# ruff: noqa: ASYNC240

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
from pathlib import Path
import tempfile
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
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
from tests.services.platforms import async_setup_stand_ins

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
        # URLs: other schemes, relative paths and other Home Assistant URLs.
        ({"url": "ftp://example.com/photo.jpg"}, "invalid_url"),
        ({"url": "file:///etc/passwd"}, "invalid_url"),
        ({"url": "photo.jpg"}, "invalid_url"),
        ({"url": "//example.com/photo.jpg"}, "invalid_url"),
        ({"url": "https:///photo.jpg"}, "invalid_url"),
        ({"url": "/api/states"}, "url_not_supported"),
        ({"url": "/api/camera_proxy/image.doorbell"}, "url_not_supported"),
        ({"url": "http://ha.local:8123/local/photo.jpg"}, "url_not_supported"),
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
    await hass.config.async_update(internal_url="http://ha.local:8123")
    await async_setup_stand_ins(hass, immich_server.state.next_jpeg("cam"))
    assert await async_setup_component(hass, "media_source", {})
    filled = {
        name: value.format(allowed=allowed, outside=outside)
        for name, value in data.items()
    }
    await action_fails(hass, entry, "upload", ServiceValidationError, key, **filled)
    assert immich_server.state.assets == {}


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("empty.jpg", b"", "empty_media"),
        ("garbled.png", b"not a picture", "unreadable_media"),
    ],
)
async def test_upload_refuses_empty_or_garbled_file(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    name: str,
    content: bytes,
    key: str,
) -> None:
    """Refuse a file that cannot be a photo before anything is uploaded; keep it."""
    good = _jpeg(immich_server, allowed, "good.jpg")
    bad = allowed / name
    bad.write_bytes(content)
    before = len(immich_server.state.assets)
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


SECRET = "s3cr3t-token"  # noqa: S105  # a test value that must never be shown


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
