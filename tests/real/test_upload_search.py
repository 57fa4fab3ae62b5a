"""Uploads from URLs, trashed duplicates, folder options and search on a real Immich.

What these rely on, as Immich 2.7.5 answers it: an upload of a file whose copy is in
the trash answers 200 "duplicate" with the trashed id (the bulk upload check says
isTrashed); POST /trash/restore/assets restores it; PUT /albums/{id}/assets answers
per id ("duplicate", "no_permission"); a search page's assets.total counts only that
page, POST /search/statistics every match; rating null finds unrated assets.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import hashlib
from pathlib import Path
import uuid

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.immich_bridge.api import ImmichClient, album_failures
from tests.common import call_action as _call
from tests.services.platforms import async_setup_stand_ins

from .common import setup_entry
from .harness import ImmichApi, RealUser, jpeg, real_entry

TAG_QUEUES = ("sidecar", "metadataExtraction")


def _checksum(data: bytes) -> str:
    """Return Immich's checksum of some bytes (base64 SHA-1)."""
    return base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324


@pytest.fixture
async def web_files() -> AsyncGenerator[tuple[TestServer, dict[str, bytes]]]:
    """Serve files from a dict on the loopback interface (name → bytes)."""
    files: dict[str, bytes] = {}

    async def serve(request: web.Request) -> web.Response:
        if (data := files.get(request.match_info["name"])) is None:
            raise web.HTTPNotFound
        return web.Response(body=data, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{name}", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, files
    await server.close()


async def _trash(immich: ImmichApi, user: RealUser, asset_id: str) -> None:
    """Move an asset to the trash and check the server says so."""
    await immich.call("DELETE", "/assets", key=user.key, json_body={"ids": [asset_id]})
    assert (await immich.asset(user.key, asset_id))["isTrashed"] is True


async def _count(immich: ImmichApi, user: RealUser) -> int:
    """Return how many (untrashed) assets the user has, as the server counts."""
    body = await immich.call("POST", "/search/statistics", key=user.key, json_body={})
    return int(body["total"])


async def test_upload_from_url(
    hass: HomeAssistant,
    immich: ImmichApi,
    web_files: tuple[TestServer, dict[str, bytes]],
) -> None:
    """A URL is fetched and uploaded whole; one over the limit sends nothing."""
    server, files = web_files
    user = await immich.create_user("URL uploader")
    entry = await setup_entry(hass, real_entry(immich.server, user))
    files["porch.jpg"] = photo = jpeg("porch")
    files["big.jpg"] = jpeg("big", width=1024, height=1024) + b"\0" * (1024 * 1024)

    result = await _call(
        hass, entry, "upload", url=str(server.make_url("/porch.jpg?token=abc"))
    )
    [item] = result["assets"]
    assert item["status"] == "created"
    asset = await immich.asset(user.key, item["asset_id"])
    assert asset["originalFileName"] == "porch.jpg"
    assert asset["checksum"] == _checksum(photo)

    before = await _count(immich, user)
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, entry, "upload", url=str(server.make_url("/big.jpg")), max_size=1
        )
    assert err.value.translation_key == "url_too_large"
    assert await _count(immich, user) == before
    again = await _call(hass, entry, "upload", url=str(server.make_url("/porch.jpg")))
    assert again["assets"][0] | {"url": None, "image_url": None, "source": None} == {
        "asset_id": item["asset_id"],
        "status": "duplicate",
        "in_trash": False,
        "url": None,
        "image_url": None,
        "source": None,
    }


async def test_upload_from_home_assistant_camera_url(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A camera's proxy URL (relative or under HA's own URL) uploads its picture."""
    user = await immich.create_user("Camera URL uploader")
    entry = await setup_entry(hass, real_entry(immich.server, user))
    picture = jpeg("camera url")
    await async_setup_stand_ins(hass, picture)
    await hass.config.async_update(internal_url="http://ha.local:8123")
    result = await _call(
        hass,
        entry,
        "upload",
        url=[
            "/api/camera_proxy/camera.front_door?token=abc",
            "http://ha.local:8123/api/image_proxy/image.doorbell",
        ],
    )
    first, second = result["assets"]
    assert (first["source"], first["status"]) == ("camera.front_door", "created")
    assert (second["source"], second["status"]) == ("image.doorbell", "duplicate")
    assert second["asset_id"] == first["asset_id"]
    asset = await immich.asset(user.key, first["asset_id"])
    assert asset["checksum"] == _checksum(picture)


async def test_upload_restores_trashed_duplicate(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """A file whose copy is in the trash is reported, or restored (the default)."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    user = await immich.create_user("Trash restorer")
    photo = tmp_path / "back.jpg"
    photo.write_bytes(jpeg("back"))
    asset_id = await immich.upload(user.key, photo.read_bytes())
    await _trash(immich, user, asset_id)
    entry = await setup_entry(hass, real_entry(immich.server, user))

    kept = await _call(
        hass, entry, "upload", file_path=str(photo), restore_trashed=False
    )
    assert (kept["assets"][0]["asset_id"], kept["assets"][0]["status"]) == (
        asset_id,
        "duplicate",
    )
    assert kept["assets"][0]["in_trash"] is True
    assert (await immich.asset(user.key, asset_id))["isTrashed"] is True

    restored = await _call(hass, entry, "upload", file_path=str(photo))
    assert restored["assets"][0]["status"] == "restored"
    assert restored["assets"][0]["in_trash"] is False
    assert (await immich.asset(user.key, asset_id))["isTrashed"] is False
    assert photo.exists()


async def test_sync_folder_album_tags_trash_and_dry_run(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """Dry run lists exactly what is new; the run names the album, tags, restores."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    user = await immich.create_user("Folder syncer")
    folder = tmp_path / f"Trip {uuid.uuid4().hex[:6]}"
    (folder / "Beach").mkdir(parents=True)
    (folder / "Town" / "Old").mkdir(parents=True)
    paths = {
        "top": folder / "top.jpg",
        "beach": folder / "Beach" / "a.jpg",
        "old": folder / "Town" / "Old" / "b.jpg",
        "known": folder / "Beach" / "known.jpg",
        "trashed": folder / "trashed.jpg",
    }
    for label, path in paths.items():
        path.write_bytes(jpeg(label))
    known = await immich.upload(user.key, paths["known"].read_bytes())
    trashed = await immich.upload(user.key, paths["trashed"].read_bytes())
    await _trash(immich, user, trashed)
    entry = await setup_entry(hass, real_entry(immich.server, user))
    before = await _count(immich, user)

    dry = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        dry_run=True,
        album_from_folder=True,
        tags_from_subfolders=True,
    )
    assert sorted(dry["would_upload"]) == sorted(
        str(paths[label]) for label in ("top", "beach", "old")
    )
    assert dry["in_trash"] == [str(paths["trashed"])]
    assert await _count(immich, user) == before
    assert await immich.albums_named(user.key, folder.name) == []

    result = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(folder),
        album_from_folder=True,
        tags_from_subfolders=True,
        concurrency=2,
    )
    assert (result["uploaded"], result["duplicates"]) == (3, 2)
    assert (result["restored"], result["in_trash"]) == ([trashed], [])
    assert result["album_failures"] == []
    assert result["subfolder_tags"] == {"Beach": 2, "Town/Old": 1}
    assert (await immich.asset(user.key, trashed))["isTrashed"] is False
    assert all(path.exists() for path in paths.values())
    [album] = await immich.albums_named(user.key, folder.name)
    assert album["id"] == result["album_id"]
    in_album = await immich.album_asset_ids(user.key, album["id"])
    assert len(in_album) == 5
    assert {known, trashed} <= in_album
    await immich.wait_idle(TAG_QUEUES)
    tags: dict[str, set[str]] = {}
    for asset_id in in_album:
        asset = await immich.asset(user.key, asset_id)
        tags[asset["originalFileName"]] = {t["value"] for t in asset.get("tags") or []}
    assert tags["a.jpg"] == {"Beach"}
    assert tags["b.jpg"] == {"Town/Old"}
    assert tags["top.jpg"] == set()


async def test_sync_folder_keeps_file_whose_copy_stays_in_trash(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """delete_after_upload keeps a file whose only copy stays in the server's trash."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    user = await immich.create_user("Careful syncer")
    trashed, new = tmp_path / "trashed.jpg", tmp_path / "new.jpg"
    trashed.write_bytes(jpeg("keep me"))
    new.write_bytes(jpeg("send me"))
    gone = await immich.upload(user.key, trashed.read_bytes())
    await _trash(immich, user, gone)
    entry = await setup_entry(hass, real_entry(immich.server, user))
    result = await _call(
        hass,
        entry,
        "sync_folder",
        folder=str(tmp_path),
        delete_after_upload=True,
        restore_trashed=False,
    )
    assert (result["uploaded"], result["in_trash"]) == (1, [str(trashed)])
    assert trashed.exists()
    assert not new.exists()
    assert (await immich.asset(user.key, gone))["isTrashed"] is True


async def test_album_refusals_are_read_per_asset(immich: ImmichApi) -> None:
    """The server's per-id answers: a stranger's asset refused, a repeat no failure."""
    user = await immich.create_user("Album filler")
    stranger = await immich.create_user("Album stranger")
    own = await immich.upload(user.key)
    theirs = await immich.upload(stranger.key)
    album = (await immich.create_album(user.key))["id"]
    async with aiohttp.ClientSession() as session:
        client = ImmichClient(session, immich.server.url, user.key)
        answers = await client.add_assets_to_album(album, [own, own, theirs])
        again = await client.add_assets_to_album(album, [own])
    assert album_failures(answers) == [(theirs, "no_permission")]
    assert album_failures(again) == []
    assert await immich.album_asset_ids(user.key, album) == {own}


async def test_search_pages_tags_rating_random_and_total(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Paging, tags, ratings and random order answer what the server holds."""
    user = await immich.create_user("Page searcher")
    ids = [
        await immich.upload(
            user.key,
            filename=f"p{day}.jpg",
            taken=datetime(2020, 1, day, tzinfo=UTC),
        )
        for day in range(5, 0, -1)
    ]  # newest first
    await immich.wait_idle(["metadataExtraction"])
    for asset_id in (ids[1], ids[3]):
        await immich.call(
            "PUT", f"/assets/{asset_id}", key=user.key, json_body={"rating": 4}
        )
    value = f"Garden {uuid.uuid4().hex[:6]}"
    [tag] = await immich.call("PUT", "/tags", key=user.key, json_body={"tags": [value]})
    await immich.call(
        "PUT",
        f"/tags/{tag['id']}/assets",
        key=user.key,
        json_body={"ids": [ids[0], ids[3]]},
    )
    await immich.wait_idle(TAG_QUEUES)
    entry = await setup_entry(hass, real_entry(immich.server, user))

    first = await _call(hass, entry, "search", limit=2)
    server_page = await immich.call(
        "POST", "/search/metadata", key=user.key, json_body={"size": 2}
    )
    assert server_page["assets"]["total"] == 2  # the page's count, not the total
    assert [a["asset_id"] for a in first["assets"]] == ids[:2]
    assert (first["total"], first["next_page"]) == (5, 2)
    second = await _call(hass, entry, "search", limit=2, page=first["next_page"])
    last = await _call(hass, entry, "search", limit=2, page=3)
    assert [a["asset_id"] for a in second["assets"] + last["assets"]] == ids[2:]
    assert last["next_page"] is None
    oldest = await _call(hass, entry, "search", limit=1, order="oldest")
    assert [a["asset_id"] for a in oldest["assets"]] == [ids[-1]]

    tagged = await _call(hass, entry, "search", tags=value)
    assert [a["asset_id"] for a in tagged["assets"]] == [ids[0], ids[3]]
    assert tagged["total"] == 2
    rated = await _call(hass, entry, "search", rating=4)
    assert [a["asset_id"] for a in rated["assets"]] == [ids[1], ids[3]]
    unrated = await _call(hass, entry, "search", rating=0)
    assert {a["asset_id"] for a in unrated["assets"]} == {ids[0], ids[2], ids[4]}
    assert unrated["total"] == 3

    shuffled = await _call(hass, entry, "search", order="random", limit=3)
    assert shuffled["count"] == 3
    assert {a["asset_id"] for a in shuffled["assets"]} <= set(ids)
    assert (shuffled["total"], shuffled["next_page"]) == (5, None)
    random_rated = await _call(hass, entry, "search", order="random", rating=4)
    assert {a["asset_id"] for a in random_rated["assets"]} == {ids[1], ids[3]}


async def test_search_total_needs_statistics_permission(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A key without asset.statistics searches; the server refuses it the count."""
    user = await immich.create_user("Limited searcher")
    await immich.upload(user.key)
    key = await immich.create_key(
        user, ["asset.read", "user.read", "album.read", "tag.read"]
    )
    status, _ = await immich.raw("POST", "/search/statistics", key=key, json_body={})
    assert status == 403
    entry = await setup_entry(hass, real_entry(immich.server, user, key=key))
    result = await _call(hass, entry, "search")
    assert (result["count"], result["total"]) == (1, None)
