"""Test uploads, folder sync and downloads against the fake server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import hashlib
import json
import os
from pathlib import Path
import threading
import time
from typing import Any
import uuid

import aiohttp
from aiohttp import web
import pytest

from custom_components.immich_bridge.api import (
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichResponseError,
    download_assets,
    sync_folder,
    upload as upload_module,
)
from custom_components.immich_bridge.api.files import (
    HashStoppedError,
    LocalFile,
    find_sidecar,
    media_problem,
    sha1_file_sync,
)
from custom_components.immich_bridge.api.upload import FilePayload
from tests.fake_immich import FakeImmich

MTIME = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _write(path: Path, data: bytes, *, mtime: datetime = MTIME) -> Path:
    """Write a file with a fixed modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def _uploads(server: FakeImmich) -> list[Any]:
    """Return the recorded upload requests."""
    return [r for r in server.requests if r.operation_id == "uploadAsset"]


# --------------------------------------------------------------------- upload


async def test_upload_file(
    client: ImmichClient, immich_server: FakeImmich, tmp_path: Path
) -> None:
    """A file uploads with its mtime; the same file again is a duplicate, not resent."""
    data = immich_server.state.next_jpeg("upload")
    photo = _write(tmp_path / "photo.jpg", data)
    # The fake's v2 validator reads an enum form field as bytes: send visibility on v3.
    await client.server_version()
    v2 = client.version is not None and client.version.major < 3
    visibility = None if v2 else "archive"
    result = await client.upload(photo, is_favorite=True, visibility=visibility)
    assert result.duplicate is False
    stored = immich_server.state.assets[result.asset_id]
    assert stored.data == data
    assert stored.filename == "photo.jpg"
    assert stored.is_favorite is True
    assert stored.visibility == ("timeline" if v2 else "archive")
    assert stored.file_modified_at == MTIME
    fields = _uploads(immich_server)[0].body
    if v2:
        assert fields["deviceId"] == "home-assistant"
        assert fields["deviceAssetId"] == hashlib.sha1(data).hexdigest()  # noqa: S324
    else:
        assert "deviceId" not in fields
        assert "deviceAssetId" not in fields

    again = await client.upload(photo)
    assert again.duplicate is True
    assert again.asset_id == result.asset_id
    assert len(_uploads(immich_server)) == 1
    assert photo.read_bytes() == data


async def test_upload_duplicate_found_by_server(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """Without the pre-check the server's duplicate answer is still a success."""
    data = immich_server_v3.state.next_jpeg()
    existing = immich_server_v3.state.add_asset(immich_server_v3.admin_id, data=data)
    photo = _write(tmp_path / "same.jpg", data)
    result = await client_v3.upload(photo, check_duplicate=False)
    assert result.duplicate is True
    assert result.asset_id == existing


async def test_upload_bytes(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Bytes upload straight from memory under a file name."""
    data = immich_server.state.next_jpeg("snapshot")
    taken = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = await client.upload_bytes(data, "snapshot.jpg", file_created_at=taken)
    stored = immich_server.state.assets[result.asset_id]
    assert stored.data == data
    assert stored.filename == "snapshot.jpg"
    assert stored.file_created_at == taken
    assert stored.file_modified_at == taken
    with pytest.raises(ValueError, match="filename"):
        await client.upload(data)


async def test_upload_big_bytes_hashed_off_loop(
    client_v3: ImmichClient, immich_server_v3: FakeImmich
) -> None:
    """Large in-memory data (over one chunk) uploads too."""
    data = immich_server_v3.state.next_jpeg() + b"\0" * (1024 * 1024 + 10)
    result = await client_v3.upload(data, filename="big.jpg")
    assert immich_server_v3.state.assets[result.asset_id].data == data


async def test_upload_streams_large_file(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A file of several chunks arrives intact."""
    data = immich_server_v3.state.next_jpeg() + os.urandom(3 * 1024 * 1024 + 123)
    path = _write(tmp_path / "large.jpg", data)
    result = await client_v3.upload(path)
    assert immich_server_v3.state.assets[result.asset_id].data == data


async def test_upload_large_file_hashed_while_sent(
    client: ImmichClient,
    immich_server: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large new file is sent while it is hashed, and arrives intact."""
    monkeypatch.setattr(upload_module, "OVERLAP_MIN_SIZE", 2 * 1024 * 1024)
    data = immich_server.state.next_jpeg() + os.urandom(3 * 1024 * 1024 + 5)
    path = _write(tmp_path / "large.jpg", data)
    result = await client.upload(path)
    assert result.duplicate is False
    assert immich_server.state.assets[result.asset_id].data == data
    ops = [r.operation_id for r in immich_server.requests]
    assert ops.count("uploadAsset") == 1
    assert ops.count("checkBulkUpload") == 1


async def test_upload_large_file_stored_before_its_hash_is_new(
    client: ImmichClient,
    immich_server: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hash ends after the server stored the upload: new, not a duplicate.

    The duplicate check then finds the asset this very upload made; the whole file
    went out, so the upload's own answer decides (it was a race under load).
    """
    monkeypatch.setattr(upload_module, "OVERLAP_MIN_SIZE", 2 * 1024 * 1024)
    real_sha1 = upload_module.sha1_file_sync

    def sha1_after_the_server_stored(*args: Any) -> str | None:
        deadline = time.monotonic() + 10
        while not immich_server.state.assets and time.monotonic() < deadline:
            time.sleep(0.01)
        return real_sha1(*args)

    monkeypatch.setattr(upload_module, "sha1_file_sync", sha1_after_the_server_stored)
    immich_server.set_fault("uploadAsset", answer_delay=0.5, times=1)
    data = immich_server.state.next_jpeg() + os.urandom(3 * 1024 * 1024 + 5)
    path = _write(tmp_path / "large.jpg", data)
    result = await client.upload(path)
    assert result.duplicate is False
    assert list(immich_server.state.assets) == [result.asset_id]
    assert immich_server.state.assets[result.asset_id].data == data


async def test_upload_large_duplicate_stops_sending(
    client_v3: ImmichClient,
    immich_server_v3: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large file the server has is not sent to the end: the upload is cut."""
    monkeypatch.setattr(upload_module, "OVERLAP_MIN_SIZE", 2 * 1024 * 1024)
    # Large enough that the hash and the check end long before the last byte is
    # sent; the fake reads the whole body before it answers: its answer is held back.
    data = immich_server_v3.state.next_jpeg() + os.urandom(64 * 1024 * 1024 + 5)
    existing = immich_server_v3.state.add_asset(immich_server_v3.admin_id, data=data)
    path = _write(tmp_path / "again.jpg", data)
    immich_server_v3.set_fault("uploadAsset", delay=30, times=1)
    async with asyncio.timeout(20):
        result = await client_v3.upload(path)
    assert result.duplicate is True
    assert result.asset_id == existing
    # The server then reads the cut body to its early end: wait for its handler,
    # or stopping the server would reset the connection under the client.
    async with asyncio.timeout(15):
        while immich_server_v3._inflight:  # noqa: ASYNC110  # the fake's handlers
            await asyncio.sleep(0.05)
    assert list(immich_server_v3.state.assets) == [existing]
    assert path.read_bytes() == data


async def test_upload_large_file_unreadable(
    client_v3: ImmichClient,
    immich_server_v3: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hash that fails ends the upload started beside it: nothing is stored."""
    monkeypatch.setattr(upload_module, "OVERLAP_MIN_SIZE", 2 * 1024 * 1024)
    data = immich_server_v3.state.next_jpeg() + os.urandom(3 * 1024 * 1024 + 5)
    path = _write(tmp_path / "broken.jpg", data)

    def broken(*_args: object) -> str:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(upload_module, "sha1_file_sync", broken)
    immich_server_v3.set_fault("uploadAsset", delay=30, times=1)
    async with asyncio.timeout(20):
        with pytest.raises(OSError, match="Input/output"):
            await client_v3.upload(path)
    assert not immich_server_v3.state.assets
    assert path.read_bytes() == data


def test_hash_stops_when_told(tmp_path: Path) -> None:
    """A hash whose result is no longer needed ends early."""
    path = _write(tmp_path / "a.jpg", b"\xff\xd8\xff" + b"x" * 100)
    stop = threading.Event()
    assert sha1_file_sync(path, 16, stop) == hashlib.sha1(path.read_bytes()).hexdigest()  # noqa: S324
    stop.set()
    with pytest.raises(HashStoppedError):
        sha1_file_sync(path, 16, stop)


@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 500}])
async def test_upload_failure_leaves_file(
    client: ImmichClient,
    immich_server: FakeImmich,
    tmp_path: Path,
    fault: dict[str, Any],
) -> None:
    """A failed upload raises and leaves the source file as it was."""
    data = immich_server.state.next_jpeg() + os.urandom(256 * 1024)
    path = _write(tmp_path / "keep.jpg", data)
    before = path.stat()
    immich_server.set_fault("uploadAsset", times=1, **fault)
    with pytest.raises((ImmichConnectionError, ImmichResponseError)):
        await client.upload(path)
    after = path.stat()
    assert path.read_bytes() == data
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert not immich_server.state.assets
    retry = await client.upload(path)
    assert retry.duplicate is False


async def test_upload_unsupported(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A file type the server refuses is a bad-request error."""
    path = _write(tmp_path / "notes.txt", b"hello")
    with pytest.raises(ImmichBadRequestError, match="POST /assets: HTTP 400"):
        await client_v3.upload(path)


def test_find_sidecar(tmp_path: Path) -> None:
    """Both sidecar namings are found, the long one first."""
    photo = _write(tmp_path / "a.jpg", b"x")
    assert find_sidecar(photo) is None
    short = _write(tmp_path / "a.xmp", b"<x/>")
    assert find_sidecar(photo) == short
    long = _write(tmp_path / "a.jpg.xmp", b"<x/>")
    assert find_sidecar(photo) == long
    assert find_sidecar(short) is None


@pytest.fixture
async def capture() -> AsyncGenerator[tuple[str, list[dict[str, Any]]]]:
    """Serve a minimal Immich that records multipart uploads part by part."""
    seen: list[dict[str, Any]] = []

    async def version(_request: web.Request) -> web.Response:
        return web.json_response({"major": 2, "minor": 7, "patch": 5})

    async def check(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {"results": [{"id": a["id"], "action": "accept"} for a in body["assets"]]}
        )

    async def upload(request: web.Request) -> web.Response:
        parts: dict[str, Any] = {"_checksum": request.headers.get("x-immich-checksum")}
        parts["_length"] = request.content_length
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            parts[part.name or ""] = (part.filename, await part.read())
        seen.append(parts)
        return web.json_response(
            {"id": str(uuid.uuid4()), "status": "created"}, status=201
        )

    app = web.Application()
    app.router.add_get("/api/server/version", version)
    app.router.add_post("/api/assets/bulk-upload-check", check)
    app.router.add_post("/api/assets", upload)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_upload_form(
    capture: tuple[str, list[dict[str, Any]]],
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """The form has the right fields, a known length, the sidecar and the checksum."""
    url, seen = capture
    client = ImmichClient(session, url, "k")
    photo = _write(tmp_path / "p.jpg", b"\xff\xd8jpeg")
    _write(tmp_path / "p.jpg.xmp", b"<xmp/>")
    await client.upload(photo)
    await client.upload(photo, sidecar=b"<inline/>", filename="renamed.jpg")
    await client.upload(photo, sidecar=_write(tmp_path / "other.xmp", b"<o/>"))
    first, second, third = seen
    assert first["assetData"] == ("p.jpg", b"\xff\xd8jpeg")
    assert first["sidecarData"] == ("p.jpg.xmp", b"<xmp/>")
    assert first["filename"] == (None, b"p.jpg")
    assert first["fileCreatedAt"] == (None, b"2024-05-06T07:08:09Z")
    assert first["deviceId"] == (None, b"home-assistant")
    assert first["_checksum"] == hashlib.sha1(b"\xff\xd8jpeg").hexdigest()  # noqa: S324
    assert first["_length"] is not None
    assert "isFavorite" not in first
    assert second["sidecarData"] == ("renamed.jpg.xmp", b"<inline/>")
    assert second["assetData"] == ("renamed.jpg", b"\xff\xd8jpeg")
    assert third["sidecarData"][1] == b"<o/>"


class _Writer:
    """Collect what a payload writes."""

    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, chunk: bytes) -> None:
        self.data += chunk


async def test_file_payload(tmp_path: Path) -> None:
    """The payload writes in chunks, honours a length and notices a shrunk file."""
    path = _write(tmp_path / "f.bin", b"0123456789")
    payload = FilePayload(path, 10, filename="f.bin", chunk_size=3)
    writer = _Writer()
    await payload.write(writer)  # type: ignore[arg-type]
    assert bytes(writer.data) == b"0123456789"
    assert payload.bytes_sent == 10
    short = _Writer()
    await payload.write_with_length(short, 4)  # type: ignore[arg-type]
    assert bytes(short.data) == b"0123"
    with pytest.raises(TypeError):
        payload.decode()
    grown = FilePayload(path, 20, filename="f.bin")
    with pytest.raises(OSError, match="shrank"):
        await grown.write(_Writer())  # type: ignore[arg-type]
    empty = FilePayload(_write(tmp_path / "empty.bin", b""), 0, filename="e.bin")
    nothing = _Writer()
    await empty.write(nothing)  # type: ignore[arg-type]
    assert nothing.data == b""


class _BrokenWriter:
    """Fail on the first write, like a dropped connection."""

    async def write(self, _chunk: bytes) -> None:
        raise ConnectionResetError


async def test_file_payload_failed_write(tmp_path: Path) -> None:
    """A failed write still closes the file once the read ahead has finished."""
    path = _write(tmp_path / "f.bin", b"x" * 100)
    payload = FilePayload(path, 100, filename="f.bin", chunk_size=10)
    with pytest.raises(ConnectionResetError):
        await payload.write(_BrokenWriter())  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert payload.bytes_sent == 0


# ---------------------------------------------------------------- folder sync


def _tree(server: FakeImmich, root: Path) -> dict[str, bytes]:
    """Build a folder: photos, a nested one, a copy, a text file and hidden files."""
    files = {
        "a.jpg": server.state.next_jpeg("a"),
        "b.JPG": server.state.next_jpeg("b"),
        "sub/c.jpg": server.state.next_jpeg("c"),
        "sub/deeper/d.png": server.state.next_jpeg("d"),
    }
    files["copy-of-a.jpg"] = files["a.jpg"]
    for name, data in files.items():
        _write(root / name, data)
    _write(root / "notes.txt", b"text")
    _write(root / "a.jpg.xmp", b"<xmp/>")
    _write(root / ".hidden.jpg", server.state.next_jpeg("h"))
    _write(root / ".cache" / "e.jpg", server.state.next_jpeg("e"))
    return files


async def test_sync_folder(
    client: ImmichClient, immich_server: FakeImmich, tmp_path: Path
) -> None:
    """Upload new files once; copies and known files are duplicates; fill the album."""
    files = _tree(immich_server, tmp_path)
    immich_server.state.add_album(immich_server.admin_id, "Unrelated")
    known = immich_server.state.add_asset(
        immich_server.admin_id, data=files["sub/c.jpg"], filename="c.jpg"
    )
    result = await sync_folder(client, tmp_path, album_name="Folder", concurrency=2)
    assert (result.uploaded, result.duplicates, result.failed, result.skipped) == (
        3,
        2,
        0,
        1,
    )
    by_name = {item.path.name: item for item in result.files}
    assert by_name["c.jpg"].status == "duplicate"
    assert by_name["c.jpg"].asset_id == known
    assert by_name["copy-of-a.jpg"].asset_id == by_name["a.jpg"].asset_id
    assert by_name["notes.txt"].status == "skipped"
    assert ".hidden.jpg" not in by_name
    assert "e.jpg" not in by_name
    assert len(_uploads(immich_server)) == 3
    album = immich_server.state.albums[result.album_id or ""]
    assert album.name == "Folder"
    assert len(album.asset_ids) == 4

    again = await sync_folder(client, tmp_path, album_name="Folder")
    assert again.album_id == result.album_id
    assert (again.uploaded, again.duplicates) == (0, 5)
    assert len(_uploads(immich_server)) == 3
    assert len(immich_server.state.albums) == 2


async def test_sync_dry_run_and_filters(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A dry run uploads and creates nothing; globs and recursion narrow the walk."""
    _tree(immich_server_v3, tmp_path)
    dry = await sync_folder(client_v3, tmp_path, album_name="New", dry_run=True)
    assert dry.dry_run is True
    assert dry.pending == 4
    assert dry.album_id is None
    assert dry.uploaded == 0
    assert not _uploads(immich_server_v3)
    assert not immich_server_v3.state.albums

    flat = await sync_folder(client_v3, tmp_path, recursive=False, dry_run=True)
    assert sorted(item.path.name for item in flat.files) == [
        "a.jpg",
        "b.JPG",
        "copy-of-a.jpg",
        "notes.txt",
    ]
    picked = await sync_folder(
        client_v3,
        tmp_path,
        include=["*.jpg", "sub/**"],
        exclude=["copy-*", "**/deeper/*"],
        dry_run=True,
    )
    assert sorted(item.path.name for item in picked.files) == ["a.jpg", "c.jpg"]
    hidden = await sync_folder(client_v3, tmp_path, include_hidden=True, dry_run=True)
    assert {".hidden.jpg", "e.jpg"} <= {item.path.name for item in hidden.files}


async def test_sync_interrupted_then_resumed(
    client: ImmichClient, immich_server: FakeImmich, tmp_path: Path
) -> None:
    """A dropped upload is reported failed; a re-run finishes without duplicates."""
    files = _tree(immich_server, tmp_path)
    immich_server.set_fault("uploadAsset", drop=True, times=1)
    first = await sync_folder(client, tmp_path, concurrency=1, batch_size=2)
    assert first.failed >= 1
    failed = [item for item in first.files if item.status == "failed"]
    assert all(item.asset_id is None and item.error for item in failed)
    second = await sync_folder(client, tmp_path, batch_size=2)
    assert second.failed == 0
    stored = [asset.data for asset in immich_server.state.assets.values()]
    assert sorted(stored) == sorted(set(files.values()))


async def test_sync_delete_after_upload(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """Only files the server confirmed are deleted; others stay."""
    files = _tree(immich_server_v3, tmp_path)
    immich_server_v3.set_fault("uploadAsset", status=500, times=1)
    result = await sync_folder(
        client_v3, tmp_path, delete_after_upload=True, concurrency=1
    )
    assert result.failed >= 1
    for item in result.files:
        if item.status in ("uploaded", "duplicate"):
            assert not item.path.exists()
        else:
            assert item.path.exists()
    assert (tmp_path / "notes.txt").exists()
    assert len(immich_server_v3.state.assets) < len(set(files.values()))


async def test_sync_album_by_id_and_failure(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """An album given by id is filled; a failed album update keeps the files."""
    _tree(immich_server_v3, tmp_path)
    album_id = immich_server_v3.state.add_album(immich_server_v3.admin_id, "Given")
    immich_server_v3.set_fault("addAssetsToAlbum", status=500, times=1)
    failed = await sync_folder(
        client_v3, tmp_path, album_id=album_id, delete_after_upload=True
    )
    assert failed.album_error is not None
    assert "PUT /albums" in failed.album_error
    assert (tmp_path / "a.jpg").exists()
    done = await sync_folder(client_v3, tmp_path, album_id=album_id)
    assert done.album_error is None
    assert len(immich_server_v3.state.albums[album_id].asset_ids) == 4
    immich_server_v3.state.add_album(immich_server_v3.admin_id, "Other")
    existing = await sync_folder(client_v3, tmp_path, album_name="Given")
    assert existing.album_id == album_id
    immich_server_v3.set_fault("addAssetsToAlbum", status=401, times=1)
    with pytest.raises(ImmichAuthenticationError):
        await sync_folder(client_v3, tmp_path, album_id=album_id)


async def test_sync_errors(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A refused key aborts; a failed check fails its batch; bad input is refused."""
    _tree(immich_server_v3, tmp_path)
    with pytest.raises(NotADirectoryError):
        await sync_folder(client_v3, tmp_path / "a.jpg")
    immich_server_v3.set_fault("checkBulkUpload", status=500, times=1)
    broken = await sync_folder(client_v3, tmp_path, batch_size=10)
    assert broken.failed == 5
    errors = [item.error or "" for item in broken.files if item.status == "failed"]
    assert all(
        "HTTP 500" in error or error.startswith("same content") for error in errors
    )
    immich_server_v3.set_fault("checkBulkUpload", status=401, times=1)
    with pytest.raises(ImmichAuthenticationError):
        await sync_folder(client_v3, tmp_path, batch_size=2)
    immich_server_v3.set_fault("uploadAsset", status=401)
    with pytest.raises(ImmichAuthenticationError):
        await sync_folder(client_v3, tmp_path, batch_size=2, concurrency=1)


async def test_sync_rejects_and_unreadable(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A checksum the server rejects is skipped; an unreadable file fails."""
    _write(tmp_path / "x.jpg", immich_server_v3.state.next_jpeg())
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "missing.jpg")
    immich_server_v3.set_fault(
        "checkBulkUpload",
        body=json.dumps(
            {
                "results": [
                    {"id": "1", "action": "reject", "reason": "unsupported-format"}
                ]
            }
        ).encode(),
        times=1,
    )
    result = await sync_folder(client_v3, tmp_path)
    by_name = {item.path.name: item for item in result.files}
    assert by_name["gone.jpg"].status == "failed"
    assert "cannot read" in (by_name["gone.jpg"].error or "")
    assert by_name["x.jpg"].status == "skipped"
    assert "unsupported-format" in (by_name["x.jpg"].error or "")


async def test_sync_skips_empty_and_garbled_files(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """Empty files and files that hold no picture are skipped, never sent or lost."""
    _write(tmp_path / "good.jpg", immich_server_v3.state.next_jpeg())
    # A JPEG named .png is still a photo.
    _write(tmp_path / "renamed.png", immich_server_v3.state.next_jpeg("renamed"))
    _write(tmp_path / "empty.jpg", b"")
    _write(tmp_path / "also-empty.jpg", b"")
    _write(tmp_path / "text.heic", b"hello, this is not a photo")
    _write(tmp_path / "clip.mts", b"unknown formats are not sniffed")
    result = await sync_folder(client_v3, tmp_path, delete_after_upload=True)
    by_name = {item.path.name: item for item in result.files}
    assert by_name["empty.jpg"].status == "skipped"
    assert by_name["empty.jpg"].error == "empty file"
    assert by_name["also-empty.jpg"].error == "empty file"
    assert by_name["text.heic"].status == "skipped"
    assert by_name["text.heic"].error == "its content is not a photo or video"
    assert {by_name[n].status for n in ("good.jpg", "renamed.png", "clip.mts")} == {
        "uploaded"
    }
    assert len(_uploads(immich_server_v3)) == 3
    assert sorted(await asyncio.to_thread(os.listdir, tmp_path)) == [
        "also-empty.jpg",
        "empty.jpg",
        "text.heic",
    ]


@pytest.mark.parametrize(
    ("name", "head", "size", "problem"),
    [
        ("a.jpg", b"", 0, "empty file"),
        ("a.raw", b"", 0, "empty file"),
        ("a.jpg", b"\xff\xd8\xff\xe0", 4, None),
        ("a.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", 16, None),
        ("a.avi", b"RIFF\x00\x00\x00\x00WEBPVP8 ", 16, None),
        ("a.mov", b"\x00\x00\x00\x08wide", 12, None),
        ("a.gif", b"GIF89a", 6, None),
        ("a.png", b"GIF8", 4, "its content is not a photo or video"),
        ("a.mp4", b"RIFF", 4, "its content is not a photo or video"),
        ("a.dng", b"anything", 8, None),
    ],
)
def test_media_problem(name: str, head: bytes, size: int, problem: str | None) -> None:
    """Known formats must start like a photo or video; others must not be empty."""
    assert media_problem(name, head, size) == problem


async def test_sync_copy_of_failed_file(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A copy of a file whose upload failed is failed too, and says why."""
    data = immich_server_v3.state.next_jpeg()
    _write(tmp_path / "one.jpg", data)
    _write(tmp_path / "two.jpg", data)
    immich_server_v3.set_fault("uploadAsset", status=500, times=1)
    result = await sync_folder(client_v3, tmp_path, batch_size=1)
    by_name = {item.path.name: item for item in result.files}
    assert by_name["one.jpg"].status == "failed"
    assert by_name["two.jpg"].status == "failed"
    assert by_name["two.jpg"].error == "same content as one.jpg"


async def test_sync_upload_read_error(
    client_v3: ImmichClient,
    immich_server_v3: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file that vanishes between hashing and upload is failed."""
    _write(tmp_path / "x.jpg", immich_server_v3.state.next_jpeg())

    def vanish(_path: Path) -> LocalFile:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(LocalFile, "inspect_sync", vanish)
    result = await sync_folder(client_v3, tmp_path)
    assert result.files[0].status == "failed"
    assert "No such file" in (result.files[0].error or "")


async def test_sync_delete_failure_logged(
    client_v3: ImmichClient,
    immich_server_v3: FakeImmich,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file that cannot be deleted is logged and left."""
    _write(tmp_path / "x.jpg", immich_server_v3.state.next_jpeg())

    def refuse(_path: Path, *_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    result = await sync_folder(client_v3, tmp_path, delete_after_upload=True)
    assert result.uploaded == 1
    assert "Could not delete x.jpg" in caplog.text


# ------------------------------------------------------------------- download


async def test_download_album(
    client: ImmichClient, immich_server: FakeImmich, tmp_path: Path
) -> None:
    """An album downloads once; files already there with the same size are skipped."""
    state = immich_server.state
    ids = [
        state.add_asset(
            immich_server.admin_id,
            filename=name,
            taken_at=datetime(2020, 1, day, tzinfo=UTC),
        )
        for day, name in enumerate(("a.jpg", "b.jpg", "a.jpg"), start=1)
    ]
    album_id = state.add_album(immich_server.admin_id, "Down", asset_ids=ids)
    target = tmp_path / "out"
    result = await download_assets(client, target, album_id=album_id)
    assert len(result.written) == 3
    names = sorted(path.name for path in target.iterdir())
    assert names == sorted(["a.jpg", "b.jpg", f"a_{ids[0][:8]}.jpg"])
    assert (target / "a.jpg").read_bytes() == state.assets[ids[2]].data
    assert (target / f"a_{ids[0][:8]}.jpg").read_bytes() == state.assets[ids[0]].data
    assert (target / "b.jpg").stat().st_mtime == state.assets[
        ids[1]
    ].file_modified_at.timestamp()

    again = await download_assets(client, target, album_id=album_id)
    assert again.written == ()
    assert len(again.skipped) == 3

    newest = await download_assets(
        client, tmp_path / "newest", album_id=album_id, newest=1
    )
    assert [path.name for path in newest.written] == ["a.jpg"]


async def test_download_thumbnails_and_ids(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """Assets by id download as previews; an unknown id is reported failed."""
    state = immich_server_v3.state
    first = state.add_asset(immich_server_v3.admin_id, filename="x.jpg")
    second = state.add_asset(immich_server_v3.admin_id, filename="y.jpg")
    missing = "3f0b1b5e-0000-4000-8000-000000000000"
    result = await download_assets(
        client_v3, tmp_path, asset_ids=[first, second, missing, first], size="preview"
    )
    assert sorted(path.name for path in result.written) == [
        "x_preview.jpg",
        "y_preview.jpg",
    ]
    assert [asset_id for asset_id, _ in result.failed] == [missing]
    again = await download_assets(
        client_v3, tmp_path, asset_ids=[first], size="preview"
    )
    assert [path.name for path in again.skipped] == ["x_preview.jpg"]
    newest = await download_assets(
        client_v3, tmp_path / "one", asset_ids=[first, second], newest=1
    )
    assert len(newest.written) == 1


async def test_download_existing_different_file(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A different file with the same name is kept; the asset gets a tagged name."""
    asset_id = immich_server_v3.state.add_asset(
        immich_server_v3.admin_id, filename="z.jpg"
    )
    _write(tmp_path / "z.jpg", b"someone else's file")
    result = await download_assets(client_v3, tmp_path, asset_ids=[asset_id])
    assert [path.name for path in result.written] == [f"z_{asset_id[:8]}.jpg"]
    assert (tmp_path / "z.jpg").read_bytes() == b"someone else's file"
    _write(tmp_path / f"z_{asset_id[:8]}.jpg", b"stale")
    rewritten = await download_assets(
        client_v3, tmp_path, asset_ids=[asset_id], size="original"
    )
    assert rewritten.written == (tmp_path / f"z_{asset_id[:8]}.jpg",)


async def test_download_interrupted(
    client: ImmichClient, immich_server: FakeImmich, tmp_path: Path
) -> None:
    """A dropped download leaves no file and no temporary behind; a re-run completes."""
    state = immich_server.state
    asset_id = state.add_asset(
        immich_server.admin_id,
        data=state.next_jpeg() + os.urandom(300_000),
        filename="big.jpg",
    )
    immich_server.set_fault("downloadAsset", drop=True, times=1)
    result = await download_assets(client, tmp_path, asset_ids=[asset_id])
    assert result.written == ()
    assert [asset for asset, _ in result.failed] == [asset_id]
    assert _listing(tmp_path) == []
    retry = await download_assets(client, tmp_path, asset_ids=[asset_id])
    assert [path.name for path in retry.written] == ["big.jpg"]
    assert (tmp_path / "big.jpg").read_bytes() == state.assets[asset_id].data


async def test_download_errors(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """Bad arguments are refused; a refused key aborts the download."""
    with pytest.raises(ValueError, match="album_id or asset_ids"):
        await download_assets(client_v3, tmp_path)
    asset_id = immich_server_v3.state.add_asset(immich_server_v3.admin_id)
    with pytest.raises(ValueError, match="album_id or asset_ids"):
        await download_assets(client_v3, tmp_path, album_id="x", asset_ids=[asset_id])
    immich_server_v3.set_fault("getAssetInfo", status=401)
    with pytest.raises(ImmichAuthenticationError):
        await download_assets(client_v3, tmp_path, asset_ids=[asset_id])
    immich_server_v3.clear_faults()
    immich_server_v3.set_fault("downloadAsset", status=401)
    with pytest.raises(ImmichAuthenticationError):
        await download_assets(client_v3, tmp_path, asset_ids=[asset_id])


async def test_download_short_body(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, tmp_path: Path
) -> None:
    """A body shorter than announced is a failure and leaves nothing behind."""
    asset_id = immich_server_v3.state.add_asset(
        immich_server_v3.admin_id, filename="s.jpg"
    )

    class Short:
        size = 10**6
        content_type = "image/jpeg"

        async def chunks(self, _size: int) -> AsyncGenerator[bytes]:
            yield b"abc"

    from custom_components.immich_bridge.api import download  # noqa: PLC0415

    asset = await client_v3.asset(asset_id)
    with pytest.raises(ImmichError, match="got 3 of 1000000 bytes"):
        await download._write_stream(Short(), tmp_path / "s.jpg", asset)  # type: ignore[arg-type]
    assert _listing(tmp_path) == []

    class Exact:
        size = download.CHUNK_SIZE
        content_type = "image/jpeg"

        async def chunks(self, _size: int) -> AsyncGenerator[bytes]:
            yield b"a" * (download.CHUNK_SIZE - 1)
            yield b"b"

    await download._write_stream(Exact(), tmp_path / "e.jpg", None)  # type: ignore[arg-type]
    assert _listing(tmp_path) == ["e.jpg"]


def _listing(folder: Path) -> list[str]:
    """Return the names in a folder."""
    return sorted(path.name for path in folder.iterdir())
