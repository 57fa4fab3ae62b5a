"""Fetching a URL to upload, trash restores, search totals and sync helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.immich_bridge.api import (
    ImmichBulkIdResult,
    ImmichClient,
    ImmichResponseError,
    ImmichSyncFileResult,
    SourceFetchError,
    SourceTooLargeError,
    album_failures,
    fetch_to_file,
    safe_url,
    subfolder_tags,
    sync_folder,
)
from custom_components.immich_bridge.api.files import sha1_bytes
from tests.fake_immich import FakeImmich

PHOTO = b"\xff\xd8\xff\xe0" + b"x" * 5000


async def _serve(request: web.Request) -> web.StreamResponse:
    """Serve a photo, a slow one, a broken one and a large unannounced one."""
    name = request.match_info["name"]
    if name == "slow.jpg":
        await asyncio.sleep(5)
    if name == "broken.jpg":  # announces more than it sends, then hangs up
        response = web.StreamResponse(headers={"Content-Length": str(len(PHOTO) * 2)})
        await response.prepare(request)
        await response.write(PHOTO)
        assert request.transport is not None
        request.transport.close()
        return response
    if name == "chunked.jpg":
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(4):
            await response.write(PHOTO)
        await response.write_eof()
        return response
    return web.Response(body=PHOTO, content_type="image/jpeg")


@pytest.fixture
async def web_server() -> AsyncGenerator[TestServer]:
    """Start a loopback web server with files."""
    app = web.Application()
    app.router.add_get("/{name}", _serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_fetch_streams_and_hashes(
    session: aiohttp.ClientSession, web_server: TestServer, tmp_path: Path
) -> None:
    """The file is written in chunks and hashed in the same pass."""
    target = tmp_path / "file"
    url = str(web_server.make_url("/chunked.jpg"))
    fetched = await fetch_to_file(session, url, target, max_bytes=10**6, chunk_size=64)
    assert target.read_bytes() == PHOTO * 4
    assert (fetched.size, fetched.sha1) == (len(PHOTO) * 4, sha1_bytes(PHOTO * 4))
    assert (fetched.filename, fetched.content_type) == ("chunked.jpg", "image/jpeg")


@pytest.mark.parametrize(
    ("name", "limit", "error"),
    [
        ("photo.jpg", len(PHOTO) - 1, SourceTooLargeError),
        ("chunked.jpg", len(PHOTO) * 3, SourceTooLargeError),
        ("broken.jpg", 10**6, SourceFetchError),
        ("slow.jpg", 10**6, SourceFetchError),
    ],
)
async def test_fetch_failure_removes_the_partial_file(
    session: aiohttp.ClientSession,
    web_server: TestServer,
    tmp_path: Path,
    name: str,
    limit: int,
    error: type[Exception],
) -> None:
    """Over the limit, cut off or too slow: an error and no file left."""
    target = tmp_path / "file"
    url = str(web_server.make_url(f"/{name}"))
    with pytest.raises(error) as caught:
        await fetch_to_file(session, url, target, max_bytes=limit, deadline=0.5)
    assert type(caught.value) is error
    assert not target.exists()
    assert name in str(caught.value)


async def test_fetch_refused_connection(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Nothing listening: a fetch error that names the URL without secrets."""
    with pytest.raises(SourceFetchError) as caught:
        await fetch_to_file(
            session,
            "http://user:pw@127.0.0.1:9/x.jpg?token=abc",
            tmp_path / "f",
            max_bytes=10,
        )
    assert "pw" not in str(caught.value)
    assert "abc" not in str(caught.value)
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://u:p@Host.example:8443/a/b.jpg?k=v#f",
            "https://host.example:8443/a/b.jpg",
        ),
        ("http://example.com/x.jpg", "http://example.com/x.jpg"),
        ("/api/camera_proxy/camera.x?token=t", "/api/camera_proxy/camera.x"),
    ],
)
def test_safe_url(url: str, shown: str) -> None:
    """Credentials, queries and fragments never show."""
    assert safe_url(url) == shown


def test_album_failures() -> None:
    """Refusals are listed once; already in the album or added once is no failure."""
    answers = [
        ImmichBulkIdResult(id="a", success=True),
        ImmichBulkIdResult(id="a", success=False, error="duplicate"),
        ImmichBulkIdResult(id="b", success=False, error="duplicate"),
        ImmichBulkIdResult(id="c", success=False, error="no_permission"),
        ImmichBulkIdResult(id="c", success=False, error="no_permission"),
        ImmichBulkIdResult(id="d", success=False),
    ]
    assert album_failures(answers) == [("c", "no_permission"), ("d", "unknown")]


def test_subfolder_tags(tmp_path: Path) -> None:
    """Files in sub-folders map to their folder path; top-level files to none."""

    def item(rel: str, status: Any = "uploaded", asset: str | None = None) -> Any:
        return ImmichSyncFileResult(
            path=tmp_path / rel, status=status, asset_id=asset or rel
        )

    files = [
        item("top.jpg"),
        item("a/1.jpg"),
        item("a/2.jpg", "duplicate"),
        item("a/3.jpg", "failed"),
        item("a/b/4.jpg"),
        item("a/b/5.jpg", asset="a/b/4.jpg"),
    ]
    assert subfolder_tags(tmp_path, files) == {
        "a": ["a/1.jpg", "a/2.jpg"],
        "a/b": ["a/b/4.jpg"],
    }


async def test_restore_and_search_statistics(
    client: ImmichClient, immich_server: FakeImmich
) -> None:
    """Restore takes assets out of the trash; statistics count every match."""
    state = immich_server.state
    ids = [state.add_asset(immich_server.admin_id) for _ in range(3)]
    state.assets[ids[0]].is_trashed = True
    assert await client.search_statistics() == 2
    assert await client.restore_assets([ids[0]]) == 1
    assert not state.assets[ids[0]].is_trashed
    assert await client.search_statistics() == 3
    assert await client.search_statistics(rating=None) == 3


@pytest.mark.parametrize("body", [b"[]", b'{"total": "3"}', b'{"count": true}'])
async def test_restore_and_statistics_check_answers(
    client: ImmichClient, immich_server: FakeImmich, body: bytes
) -> None:
    """A malformed count is a response error, not a number."""
    immich_server.set_fault("restoreAssets", mutate=lambda _data: body)
    immich_server.set_fault("searchAssetStatistics", mutate=lambda _data: body)
    asset = immich_server.state.add_asset(immich_server.admin_id)
    with pytest.raises(ImmichResponseError):
        await client.restore_assets([asset])
    with pytest.raises(ImmichResponseError):
        await client.search_statistics()


async def test_sync_concurrency_is_bounded(
    client: ImmichClient,
    immich_server: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No more uploads run at once than asked, and never more than the maximum."""
    for index in range(6):
        (tmp_path / f"{index}.jpg").write_bytes(
            immich_server.state.next_jpeg(str(index))
        )
    running = peak = 0
    upload = client.upload

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        try:
            return await upload(*args, **kwargs)
        finally:
            running -= 1

    monkeypatch.setattr(client, "upload", counted)
    result = await sync_folder(client, tmp_path, concurrency=2)
    assert (result.uploaded, peak) == (6, 2)
