"""Prove that the fake Immich server is honest: it checks traffic against the spec."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
import io
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time
from typing import Any
import urllib.request

import aiohttp
import pytest

from tests.fake_immich import (
    FakeImmich,
    QueueState,
    __main__ as demo,
    plugin as fake_plugin,
    views,
)
from tests.fake_immich.jpeg import sample_jpeg
from tests.fake_immich.spec import SPEC_ENV, load_spec, spec_path
from tests.fake_immich.state import sha1_base64

UNKNOWN_ID = "0b4f8e3c-5d7a-4b1e-9c2d-3e4f5a6b7c8d"
REPO = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def call(
    server: FakeImmich,
    method: str,
    path: str,
    *,
    key: str | None = "admin",
    **kwargs: Any,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """Send one request to the fake (``key``: "admin", "user", None or a raw key)."""
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["x-api-key"] = {"admin": server.admin_key, "user": server.user_key}.get(
            key, key
        )
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, f"{server.url}/api{path}", headers=headers, **kwargs
        ) as resp,
    ):
        yield resp


def upload_form(
    server: FakeImmich, data: bytes, *, filename: str = "photo.jpg", **extra: str
) -> aiohttp.FormData:
    """Build an upload form valid for the server's spec (v2 needs device ids)."""
    form = aiohttp.FormData()
    form.add_field("assetData", data, filename=filename, content_type="image/jpeg")
    form.add_field("fileCreatedAt", "2024-05-01T10:00:00.000Z")
    form.add_field("fileModifiedAt", "2024-05-01T10:00:00.000Z")
    if server.spec.is_v2:
        form.add_field("deviceAssetId", f"{filename}-{len(data)}")
        form.add_field("deviceId", "home-assistant")
    for name, value in extra.items():
        form.add_field(name, value)
    return form


def take_violations(server: FakeImmich) -> list[str]:
    """Claim and return the recorded violations (at least one); callers assert which."""
    return server.expect_violations(".")


# --- routing and auth -----------------------------------------------------------------


async def test_public_version(immich_server: FakeImmich, immich_api: str) -> None:
    """Public operations need no key; the version follows the spec flavour."""
    async with call(immich_server, "GET", "/server/version", key=None) as resp:
        assert resp.status == 200
        body = await resp.json()
    expected = {"v3": [3, 0, 0], "v2": [2, 7, 5]}[immich_api]
    assert [body["major"], body["minor"], body["patch"]] == expected
    assert [r.operation_id for r in immich_server.requests] == ["getServerVersion"]
    assert immich_server.requests[0].status == 200


async def test_path_not_in_spec_fails(immich_server: FakeImmich) -> None:
    """A path the spec does not have is a 404 with Immich's body and a violation."""
    async with call(immich_server, "GET", "/assets") as resp:
        assert resp.status == 404
        body = await resp.json()
    assert body["error"] == "Not Found"
    assert body["statusCode"] == 404
    assert "GET /api/assets" in body["message"]
    violations = take_violations(immich_server)
    assert violations == ["GET /api/assets: no such operation in the spec"]
    assert immich_server.requests[-1].operation_id is None


async def test_unknown_key_is_401(immich_server: FakeImmich) -> None:
    """An unknown key gets Immich's 401 body; no key at all says so."""
    async with call(immich_server, "GET", "/albums", key="nope") as resp:
        assert resp.status == 401
        body = await resp.json()
    assert body.pop("correlationId")
    assert body == {
        "message": "Invalid API key",
        "error": "Unauthorized",
        "statusCode": 401,
    }
    async with call(immich_server, "GET", "/albums", key=None) as resp:
        assert resp.status == 401
        assert (await resp.json())["message"] == "Authentication required"
    assert immich_server.violations == []


async def test_missing_permission_is_403(immich_server: FakeImmich) -> None:
    """A key without ``album.read`` cannot list albums; the message names it."""
    key = immich_server.state.add_api_key(
        immich_server.admin_id, ["asset.read", "tag.read"]
    )
    async with call(immich_server, "GET", "/albums", key=key) as resp:
        assert resp.status == 403
        body = await resp.json()
    assert body["message"] == "Missing required permission: album.read"
    assert body["error"] == "Forbidden"
    async with call(immich_server, "GET", "/tags", key=key) as resp:
        assert resp.status == 200
    async with call(immich_server, "GET", "/api-keys/me", key=key) as resp:
        assert resp.status == 200
        assert set((await resp.json())["permissions"]) == {"asset.read", "tag.read"}


async def test_admin_only_refuses_users(immich_server: FakeImmich) -> None:
    """A non-admin gets 403 Forbidden on admin-only operations, even with ``all``."""
    for path in ("/queues", "/server/statistics", "/libraries", "/jobs"):
        async with call(immich_server, "GET", path, key="user") as resp:
            assert resp.status == 403, path
            assert (await resp.json())["message"] == "Forbidden"
        async with call(immich_server, "GET", path) as resp:
            assert resp.status == 200, path


# --- spec checks ----------------------------------------------------------------------


async def test_response_missing_field_detected(
    immich_server: FakeImmich, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler answering without a required field is reported."""
    monkeypatch.setitem(
        views.HANDLERS,
        "getServerVersion",
        lambda _call: views.Reply({"major": 3, "minor": 0}),
    )
    async with call(immich_server, "GET", "/server/version", key=None) as resp:
        assert resp.status == 200
    [violation] = take_violations(immich_server)
    assert "getServerVersion" in violation
    assert "'patch' is a required property" in violation


async def test_response_wrong_enum_detected(immich_server: FakeImmich) -> None:
    """Corrupted state (a queue name the spec does not know) is reported."""
    immich_server.state.queues["bogusQueue"] = QueueState()
    async with call(immich_server, "GET", "/queues") as resp:
        assert resp.status == 200
    violations = take_violations(immich_server)
    assert len(violations) == 1
    assert "getQueues response 200" in violations[0]
    assert "].name: 'bogusQueue' is not one of" in violations[0]


async def test_request_wrong_enum_is_400(immich_server: FakeImmich) -> None:
    """A request body with a wrong enum value gets 400 and is a violation."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    payload = {"visibility": "secret"}
    async with call(immich_server, "PUT", f"/assets/{asset_id}", json=payload) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["error"] == "Bad Request"
    [violation] = take_violations(immich_server)
    assert violation == body["message"][0]
    assert violation.startswith(
        "updateAsset request body.visibility: 'secret' is not one of"
    )


async def test_fake_gaps_and_bugs_are_violations(
    immich_server: FakeImmich, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operation the fake lacks (501) or a crashing handler (500) fails the test."""
    monkeypatch.delitem(views.HANDLERS, "getAllAlbums")

    def crash(_call: views.Call) -> views.Reply:
        msg = "boom"
        raise RuntimeError(msg)

    monkeypatch.setitem(views.HANDLERS, "getAllTags", crash)
    async with call(immich_server, "GET", "/albums") as resp:
        assert resp.status == 501
    async with call(immich_server, "GET", "/tags") as resp:
        assert resp.status == 500
    assert take_violations(immich_server) == [
        "getAllAlbums is not implemented by fake_immich",
        "getAllTags: fake handler crashed: RuntimeError('boom')",
    ]


async def test_request_bad_query_is_400(immich_server: FakeImmich) -> None:
    """A query parameter of the wrong type is a violation naming the parameter."""
    async with call(
        immich_server, "GET", "/albums", params={"shared": "maybe"}
    ) as resp:
        assert resp.status == 400
    [violation] = take_violations(immich_server)
    assert "getAllAlbums" in violation
    assert "query parameter 'shared'" in violation


async def test_violation_recorded_even_when_unauthorised(
    immich_server: FakeImmich,
) -> None:
    """Immich answers 401 before validating, but the bad request is still reported."""
    async with call(
        immich_server, "POST", "/albums", key="nope", json={"name": "x"}
    ) as resp:
        assert resp.status == 401
    [violation] = take_violations(immich_server)
    assert "createAlbum request body" in violation
    assert "albumName" in violation


# --- shapes per version ---------------------------------------------------------------


async def test_album_shape_follows_spec(immich_server: FakeImmich) -> None:
    """v2 albums carry owner/ownerId/assets; v3 albumUsers start with the owner."""
    state = immich_server.state
    asset_id = state.add_asset(immich_server.admin_id)
    album_id = state.add_album(immich_server.admin_id, "Trip", asset_ids=[asset_id])
    state.albums[album_id].users[immich_server.user_id] = "viewer"
    async with call(immich_server, "GET", f"/albums/{album_id}") as resp:
        album = await resp.json()
    assert album["assetCount"] == 1
    assert album["shared"] is True
    if immich_server.spec.is_v2:
        assert album["ownerId"] == immich_server.admin_id
        assert [a["id"] for a in album["assets"]] == [asset_id]
        assert [u["role"] for u in album["albumUsers"]] == ["viewer"]
    else:
        assert "owner" not in album
        assert "assets" not in album
        assert [u["role"] for u in album["albumUsers"]] == ["owner", "viewer"]
        assert album["albumUsers"][0]["user"]["id"] == immich_server.admin_id
    async with call(
        immich_server, "GET", "/albums", params={"shared": "false"}
    ) as resp:
        assert await resp.json() == []
    # As the real server: without ``shared`` only the caller's own albums.
    async with call(immich_server, "GET", "/albums", key="user") as resp:
        assert await resp.json() == []
    async with call(
        immich_server, "GET", "/albums", key="user", params={"shared": "true"}
    ) as resp:
        assert [a["id"] for a in await resp.json()] == [album_id]


async def test_album_lifecycle(immich_server: FakeImmich) -> None:
    """Create, add assets, share, rename and delete an album."""
    state = immich_server.state
    first, second = (state.add_asset(immich_server.admin_id) for _ in range(2))
    async with call(
        immich_server, "POST", "/albums", json={"albumName": "New", "assetIds": [first]}
    ) as resp:
        assert resp.status == 201
        album_id = (await resp.json())["id"]
    async with call(
        immich_server,
        "PUT",
        f"/albums/{album_id}/assets",
        json={"ids": [first, second]},
    ) as resp:
        results = await resp.json()
    assert results == [
        {"id": first, "success": False, "error": "duplicate"},
        {"id": second, "success": True},
    ]
    payload = {"albumUsers": [{"userId": immich_server.user_id, "role": "editor"}]}
    async with call(
        immich_server, "PUT", f"/albums/{album_id}/users", json=payload
    ) as resp:
        assert resp.status == 200
    async with call(
        immich_server, "PATCH", f"/albums/{album_id}", json={"albumName": "Renamed"}
    ) as resp:
        assert (await resp.json())["albumName"] == "Renamed"
    async with call(immich_server, "GET", "/albums/statistics") as resp:
        assert await resp.json() == {"owned": 1, "shared": 1, "notShared": 0}
    async with call(immich_server, "DELETE", f"/albums/{album_id}") as resp:
        assert resp.status == 204
    async with call(immich_server, "GET", f"/albums/{album_id}") as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == "Not found or no album.read access"


# --- uploads and downloads ------------------------------------------------------------


async def test_upload_then_duplicate(immich_server: FakeImmich) -> None:
    """The first upload creates (201), the same bytes again are a 200 duplicate."""
    data = sample_jpeg(99, label="upload")
    async with call(
        immich_server,
        "POST",
        "/assets",
        data=upload_form(immich_server, data, isFavorite="true"),
    ) as resp:
        assert resp.status == 201
        created = await resp.json()
    assert created["status"] == "created"
    asset = immich_server.state.assets[created["id"]]
    assert asset.data == data
    assert asset.checksum == sha1_base64(data)
    assert asset.is_favorite is True
    assert (asset.width, asset.height) == (64, 48)
    async with call(
        immich_server, "POST", "/assets", data=upload_form(immich_server, data)
    ) as resp:
        assert resp.status == 200
        assert await resp.json() == {"id": created["id"], "status": "duplicate"}
    headers = {"x-immich-checksum": sha1_base64(data)}
    form = upload_form(immich_server, b"other bytes")
    async with call(
        immich_server, "POST", "/assets", data=form, headers=headers
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["id"] == created["id"]
    check = {
        "assets": [
            {"id": "a", "checksum": asset.checksum},
            {"id": "b", "checksum": "x"},
        ]
    }
    async with call(
        immich_server, "POST", "/assets/bulk-upload-check", json=check
    ) as resp:
        results = (await resp.json())["results"]
    assert results[0]["action"] == "reject"
    assert results[0]["assetId"] == created["id"]
    assert results[1] == {"id": "b", "action": "accept"}
    assert len(immich_server.state.assets) == 1


async def test_upload_extra_device_fields_pass_on_v3(
    immich_server_v3: FakeImmich,
) -> None:
    """v3 dropped deviceAssetId/deviceId; sending them anyway is fine (stripped)."""
    form = upload_form(
        immich_server_v3, sample_jpeg(7), deviceAssetId="x", deviceId="ha"
    )
    async with call(immich_server_v3, "POST", "/assets", data=form) as resp:
        assert resp.status == 201
        asset_id = (await resp.json())["id"]
    async with call(immich_server_v3, "GET", f"/assets/{asset_id}") as resp:
        assert "deviceAssetId" not in await resp.json()


async def test_upload_metadata_json_array(immich_server: FakeImmich) -> None:
    """``metadata`` may be one JSON array (as Immich parses it); items are checked."""
    good = '[{"key": "mobile-app", "value": {"a": 1}}]'
    form = upload_form(immich_server, sample_jpeg(8), metadata=good)
    async with call(immich_server, "POST", "/assets", data=form) as resp:
        assert resp.status == 201
    form = upload_form(immich_server, sample_jpeg(9), metadata='[{"value": {}}]')
    async with call(immich_server, "POST", "/assets", data=form) as resp:
        assert resp.status == 400
    [violation] = take_violations(immich_server)
    assert "body.metadata[0]: 'key' is a required property" in violation


async def test_upload_missing_field_is_400(immich_server: FakeImmich) -> None:
    """An upload without ``fileModifiedAt`` is rejected and reported."""
    form = aiohttp.FormData()
    form.add_field(
        "assetData", b"\xff\xd8\xff", filename="a.jpg", content_type="image/jpeg"
    )
    form.add_field("fileCreatedAt", "2024-05-01T10:00:00.000Z")
    async with call(immich_server, "POST", "/assets", data=form) as resp:
        assert resp.status == 400
    violations = take_violations(immich_server)
    assert any("'fileModifiedAt' is a required property" in v for v in violations)
    if immich_server.spec.is_v2:
        assert any("'deviceAssetId' is a required property" in v for v in violations)
    assert immich_server.state.assets == {}


async def test_big_upload_validates_fields_only(immich_server_v3: FakeImmich) -> None:
    """Files over the full-validation limit are stored whole; fields are checked."""
    server = immich_server_v3
    data = b"\xff\xd8" + bytes(9 * 1024 * 1024)
    async with call(server, "POST", "/assets", data=upload_form(server, data)) as resp:
        assert resp.status == 201
        asset_id = (await resp.json())["id"]
    assert server.state.assets[asset_id].data == data
    form = upload_form(server, data + b"x", visibility="nowhere")
    async with call(server, "POST", "/assets", data=form) as resp:
        assert resp.status == 400
    [violation] = take_violations(server)
    assert "body.visibility" in violation


async def test_original_supports_range(immich_server: FakeImmich) -> None:
    """Originals are streamed whole or by a single byte range."""
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    asset_id = immich_server.state.add_asset(
        immich_server.admin_id, data=data, filename="a.jpg"
    )
    path = f"/assets/{asset_id}/original"
    async with call(immich_server, "GET", path) as resp:
        assert resp.status == 200
        assert resp.headers["Accept-Ranges"] == "bytes"
        assert await resp.read() == data
    async with call(
        immich_server, "GET", path, headers={"Range": "bytes=10-19"}
    ) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        assert await resp.read() == data[10:20]
    async with call(immich_server, "GET", path, headers={"Range": "bytes=-5"}) as resp:
        assert resp.status == 206
        assert await resp.read() == data[-5:]
    async with call(
        immich_server, "GET", path, headers={"Range": "bytes=100000-"}
    ) as resp:
        assert await resp.read() == data[100000:]
    async with call(
        immich_server, "GET", path, headers={"Range": "bytes=999999-"}
    ) as resp:
        assert resp.status == 416
        assert resp.headers["Content-Range"] == f"bytes */{len(data)}"
    async with call(immich_server, "GET", f"/assets/{asset_id}/thumbnail") as resp:
        assert resp.status == 200
        assert resp.content_type == "image/jpeg"
    assert immich_server.violations == []


# --- faults ---------------------------------------------------------------------------


async def test_fault_delay(immich_server: FakeImmich) -> None:
    """A delay slows the answer down and then answers normally."""
    immich_server.set_fault("pingServer", delay=0.2, times=1)
    started = time.monotonic()
    async with call(immich_server, "GET", "/server/ping", key=None) as resp:
        assert await resp.json() == {"res": "pong"}
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    async with call(immich_server, "GET", "/server/ping", key=None) as resp:
        assert resp.status == 200
    assert time.monotonic() - started < 0.2


async def test_fault_delay_hits_client_timeout(immich_server: FakeImmich) -> None:
    """A long delay makes a client time out; stopping does not wait for it."""
    immich_server.set_fault("pingServer", delay=30)
    timeout = aiohttp.ClientTimeout(total=0.2)
    with pytest.raises(TimeoutError):
        async with call(
            immich_server, "GET", "/server/ping", key=None, timeout=timeout
        ):
            pass


async def test_fault_delay_ends_with_frozen_clock(
    immich_server: FakeImmich, freezer: Any
) -> None:
    """Under Home Assistant's ``freezer`` (loop clock frozen) a delay still ends."""
    freezer.move_to("2026-01-01T00:00:00Z")
    immich_server.set_fault("pingServer", delay=0.2, times=1)
    async with call(immich_server, "GET", "/server/ping", key=None) as resp:
        assert resp.status == 200


async def test_wait_for_request(immich_server: FakeImmich) -> None:
    """A test can wait for a request to arrive (e.g. while it is being delayed)."""
    immich_server.set_fault("pingServer", delay=0.2, times=1)
    waiter = asyncio.ensure_future(immich_server.wait_for_request("pingServer"))
    async with call(immich_server, "GET", "/server/ping", key=None) as resp:
        assert resp.status == 200
    record = await waiter
    assert record.operation_id == "pingServer"
    assert record.status == 200
    assert (await immich_server.wait_for_request("pingServer")) is record


async def test_fault_status(immich_server: FakeImmich) -> None:
    """A status fault answers Immich's error body, ``times`` limits it."""
    immich_server.set_fault("getAllAlbums", status=503, times=2)
    for _ in range(2):
        async with call(immich_server, "GET", "/albums") as resp:
            assert resp.status == 503
            body = await resp.json()
            assert body["statusCode"] == 503
            assert body["error"] == "Service Unavailable"
    async with call(immich_server, "GET", "/albums") as resp:
        assert resp.status == 200
    assert [r.status for r in immich_server.requests] == [503, 503, 200]


async def test_fault_malformed_body(immich_server: FakeImmich) -> None:
    """A body fault sends raw bytes as JSON (and the spec check is skipped)."""
    immich_server.set_fault("getMyUser", body=b'{"id": ')
    async with call(immich_server, "GET", "/users/me") as resp:
        assert resp.status == 200
        with pytest.raises(json.JSONDecodeError):
            await resp.json()
    immich_server.clear_faults()
    async with call(immich_server, "GET", "/users/me") as resp:
        assert (await resp.json())["isAdmin"] is True


async def test_fault_drop_mid_response(immich_server: FakeImmich) -> None:
    """A drop closes the connection half-way through JSON and file responses."""
    asset_id = immich_server.state.add_asset(
        immich_server.admin_id, data=bytes(300_000)
    )
    immich_server.set_fault("getAllAlbums", drop=True, times=1)
    immich_server.set_fault("downloadAsset", drop=True, times=1)
    with pytest.raises(aiohttp.ClientPayloadError):
        async with call(immich_server, "GET", "/albums") as resp:
            await resp.read()
    with pytest.raises(aiohttp.ClientPayloadError):
        async with call(immich_server, "GET", f"/assets/{asset_id}/original") as resp:
            await resp.read()
    assert [r.status for r in immich_server.requests] == [0, 0]
    async with call(immich_server, "GET", f"/assets/{asset_id}/original") as resp:
        assert len(await resp.read()) == 300_000


async def test_fault_drop_upload(immich_server: FakeImmich) -> None:
    """A drop on upload closes the connection unanswered; nothing is stored."""
    immich_server.set_fault("uploadAsset", drop=True, times=1)
    form = upload_form(immich_server, bytes(2 * 1024 * 1024))
    with pytest.raises(aiohttp.ClientError):
        async with call(immich_server, "POST", "/assets", data=form) as resp:
            await resp.read()
    assert immich_server.state.assets == {}
    assert immich_server.requests[-1].status == 0


async def test_fault_lose_answer_of_upload(immich_server: FakeImmich) -> None:
    """``lose_answer`` stores the upload, then cuts the connection in its answer."""
    immich_server.set_fault("uploadAsset", lose_answer=True, times=1)
    data = sample_jpeg(3, label="stored")
    with pytest.raises(aiohttp.ClientPayloadError):
        async with call(
            immich_server, "POST", "/assets", data=upload_form(immich_server, data)
        ) as resp:
            await resp.read()
    assert [asset.data for asset in immich_server.state.assets.values()] == [data]
    assert immich_server.requests[-1].status == 0


async def test_faults_come_after_auth_and_spec_checks(
    immich_server: FakeImmich,
) -> None:
    """A request sent during a fault is still authenticated and checked."""
    for fault in ({"status": 503}, {"body": b"[]"}, {"drop": True}):
        immich_server.set_fault("getAllAlbums", **fault)
        async with call(immich_server, "GET", "/albums", key="unknown") as resp:
            assert resp.status == 401, fault
        async with call(immich_server, "GET", "/albums?shared=maybe") as resp:
            assert resp.status == 400, fault
        [violation] = take_violations(immich_server)
        assert "getAllAlbums request query parameter 'shared'" in violation
    key = immich_server.state.add_api_key(immich_server.admin_id, ["asset.read"])
    async with call(immich_server, "GET", "/albums", key=key) as resp:
        assert resp.status == 403
    with pytest.raises(aiohttp.ClientPayloadError):  # the fault applies now
        async with call(immich_server, "GET", "/albums") as resp:
            await resp.read()


@pytest.mark.parametrize(
    ("mime_type", "violations"),
    [("image/heic", 0), ("video/mp4", 0), ("application/json", 1), ("text/html", 1)],
)
async def test_binary_content_type_checked(
    immich_server: FakeImmich, mime_type: str, violations: int
) -> None:
    """The content type a file is really sent with is checked against the spec."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    immich_server.state.assets[asset_id].mime_type = mime_type
    async with call(immich_server, "GET", f"/assets/{asset_id}/original") as resp:
        assert resp.status == 200
        assert resp.content_type == mime_type
    if violations:
        [violation] = take_violations(immich_server)
        assert f"downloadAsset response 200 content type '{mime_type}'" in violation


def test_fault_needs_known_operation() -> None:
    """A typo in an operationId is an error, not a silently ignored fault."""
    fake_plugin.require_spec("v3")
    server = FakeImmich("v3")
    with pytest.raises(ValueError, match="getAlbums"):
        server.set_fault("getAlbums", status=500)


# --- search, queues and the rest ------------------------------------------------------


async def test_search_metadata_pages(immich_server: FakeImmich) -> None:
    """Metadata search filters by album and pages with ``nextPage``."""
    state = immich_server.state
    ids = [
        state.add_asset(immich_server.admin_id, filename=f"{i}.jpg") for i in range(5)
    ]
    album_id = state.add_album(immich_server.admin_id, "A", asset_ids=ids[:3])
    body = {"albumIds": [album_id], "size": 2, "page": 1}
    async with call(immich_server, "POST", "/search/metadata", json=body) as resp:
        first = (await resp.json())["assets"]
    assert first["count"] == 2
    assert first["nextPage"] == "2"
    body["page"] = 2
    async with call(immich_server, "POST", "/search/metadata", json=body) as resp:
        second = (await resp.json())["assets"]
    assert second["nextPage"] is None
    assert {a["id"] for a in first["items"] + second["items"]} == set(ids[:3])
    smart = {"query": "3.jpg"}
    async with call(immich_server, "POST", "/search/smart", json=smart) as resp:
        items = (await resp.json())["assets"]["items"]
    assert items[0]["originalFileName"] == "3.jpg"
    async with call(immich_server, "POST", "/search/random", json={"size": 2}) as resp:
        assert len(await resp.json()) == 2


async def test_users_keys_partners_and_roles(
    immich_server: FakeImmich,
) -> None:
    """Logins, keys, album roles, partners and search scope as on the real server.

    tests/real/test_differential.py proves each against Immich 2.7.5 (v2 flavour);
    this checks that both flavours of the stand-in keep them.
    """
    state = immich_server.state
    keys: dict[str, str] = {}
    ids: dict[str, str] = {}
    for name in ("bob", "carol"):
        body = {"email": f"{name}@x.org", "name": name, "password": f"pw-{name}"}
        async with call(immich_server, "POST", "/admin/users", json=body) as resp:
            assert resp.status == 201
            ids[name] = (await resp.json())["id"]
        login = {"email": f"{name}@x.org", "password": f"pw-{name}"}
        async with call(
            immich_server, "POST", "/auth/login", key=None, json=login
        ) as resp:
            token = (await resp.json())["accessToken"]
        async with call(
            immich_server,
            "POST",
            "/api-keys",
            key=None,
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "k", "permissions": ["all"]},
        ) as resp:
            keys[name] = (await resp.json())["secret"]
    login = {"email": "bob@x.org", "password": "wrong"}
    async with call(immich_server, "POST", "/auth/login", key=None, json=login) as resp:
        assert resp.status == 401
    alice = immich_server.user_id
    mine, theirs = state.add_asset(alice), state.add_asset(ids["carol"])
    album_id = state.add_album(alice, "Shared", asset_ids=[mine])
    state.albums[album_id].users.update({ids["bob"]: "viewer", ids["carol"]: "editor"})

    add = {"ids": [theirs]}
    async with call(
        immich_server, "PUT", f"/albums/{album_id}/assets", key=keys["bob"], json=add
    ) as resp:
        assert (await resp.json())[
            "message"
        ] == "Not found or no albumAsset.create access"
    async with call(
        immich_server, "PUT", f"/albums/{album_id}/assets", key=keys["carol"], json=add
    ) as resp:
        assert await resp.json() == [{"id": theirs, "success": True}]
    remove = {"ids": [mine]}
    async with call(
        immich_server,
        "DELETE",
        f"/albums/{album_id}/assets",
        key=keys["carol"],
        json=remove,
    ) as resp:
        assert (await resp.json())[0]["error"] == "no_permission"
    # Bob sees Carol's photo in the album, but may not put it into his own album.
    own = state.add_album(ids["bob"], "Bob's")
    async with call(
        immich_server, "PUT", f"/albums/{own}/assets", key=keys["bob"], json=add
    ) as resp:
        assert (await resp.json())[0]["error"] == "no_permission"
    async with call(
        immich_server, "POST", "/search/random", key=keys["bob"], json={}
    ) as resp:
        assert await resp.json() == []
    # A partner's photos: shareable at once, searched once shown in the timeline.
    async with call(
        immich_server,
        "POST",
        "/partners",
        key=keys["carol"],
        json={"sharedWithId": ids["bob"]},
    ) as resp:
        assert (await resp.json())["inTimeline"] is False
    async with call(
        immich_server, "PUT", f"/albums/{own}/assets", key=keys["bob"], json=add
    ) as resp:
        assert (await resp.json())[0]["success"] is True
    async with call(
        immich_server, "POST", "/search/metadata", key=keys["bob"], json={}
    ) as resp:
        assert (await resp.json())["assets"]["items"] == []
    async with call(
        immich_server,
        "PUT",
        f"/partners/{ids['carol']}",
        key=keys["bob"],
        json={"inTimeline": True},
    ) as resp:
        assert resp.status == 200
    async with call(
        immich_server, "POST", "/search/metadata", key=keys["bob"], json={}
    ) as resp:
        assert [a["id"] for a in (await resp.json())["assets"]["items"]] == [theirs]
    async with call(immich_server, "GET", "/albums", key=keys["bob"]) as resp:
        assert [a["id"] for a in await resp.json()] == [own]


async def test_statistics_and_library_duplicates(
    immich_server: FakeImmich, tmp_path: Any
) -> None:
    """Statistics count timeline and archive; library files are never duplicates."""
    state = immich_server.state
    me = immich_server.admin_id
    for visibility in ("timeline", "archive", "hidden"):
        state.assets[state.add_asset(me)].visibility = visibility
    async with call(immich_server, "GET", "/assets/statistics") as resp:
        assert (await resp.json())["total"] == 2
    async with call(immich_server, "POST", "/search/metadata", json={}) as resp:
        assert (await resp.json())["assets"]["total"] == 1
    data = sample_jpeg(77, label="library")
    (tmp_path / "one.jpg").write_bytes(data)
    body = {"ownerId": me, "importPaths": [str(tmp_path)]}
    async with call(immich_server, "POST", "/libraries", json=body) as resp:
        library_id = (await resp.json())["id"]
    async with call(immich_server, "POST", f"/libraries/{library_id}/scan") as resp:
        assert resp.status == 204
    imported = [a for a in state.assets.values() if a.library_id == library_id]
    assert [a.filename for a in imported] == ["one.jpg"]
    check = {"assets": [{"id": "x", "checksum": sha1_base64(data)}]}
    async with call(
        immich_server, "POST", "/assets/bulk-upload-check", json=check
    ) as resp:
        assert (await resp.json())["results"][0]["action"] == "accept"
    async with call(
        immich_server, "POST", "/assets", data=upload_form(immich_server, data)
    ) as resp:
        assert resp.status == 201


async def test_queues_and_legacy_jobs(immich_server: FakeImmich) -> None:
    """Queues pause, empty and start (legacy); commands are recorded."""
    state = immich_server.state
    state.queues["thumbnailGeneration"].waiting = 5
    async with call(
        immich_server, "PUT", "/queues/thumbnailGeneration", json={"isPaused": True}
    ) as resp:
        assert (await resp.json())["isPaused"] is True
    async with call(
        immich_server,
        "DELETE",
        "/queues/thumbnailGeneration/jobs",
        json={"failed": False},
    ) as resp:
        assert resp.status == 204
    assert state.queues["thumbnailGeneration"].waiting == 0
    payload = {"command": "start", "force": True}
    async with call(immich_server, "PUT", "/jobs/library", json=payload) as resp:
        assert resp.status == 200
        assert (await resp.json())["jobCounts"]["waiting"] >= 1
    async with call(immich_server, "PUT", "/jobs/notifications", json=payload) as resp:
        assert resp.status == 400
    async with call(immich_server, "GET", "/jobs") as resp:
        assert "library" in await resp.json()
    assert state.queue_commands == [
        ("thumbnailGeneration", "pause", False),
        ("thumbnailGeneration", "empty", False),
        ("library", "start", True),
    ]


async def test_seeded_server_answers_everything(immich_api: str) -> None:
    """The demo data set serves every implemented read operation without violations."""
    server = FakeImmich(immich_api, seed=True)  # type: ignore[arg-type]
    async with server:
        album_id = next(iter(server.state.albums))
        asset_id = next(iter(server.state.assets))
        person_id = next(iter(server.state.people))
        library_id = next(iter(server.state.libraries))
        link = {"type": "ALBUM", "albumId": album_id}
        requests = [
            ("GET", "/server/about", None),
            ("GET", "/server/version-check", None),
            ("GET", "/server/version-history", None),
            ("GET", "/server/storage", None),
            ("GET", "/server/statistics", None),
            ("GET", "/server/features", None),
            ("GET", "/server/config", None),
            ("GET", "/server/media-types", None),
            ("GET", "/users/me", None),
            ("GET", "/users", None),
            ("GET", "/albums", None),
            ("GET", f"/albums/{album_id}", None),
            ("GET", f"/assets/{asset_id}", None),
            ("GET", "/assets/statistics", None),
            ("GET", "/tags", None),
            ("PUT", "/tags", {"tags": ["x/y"]}),
            ("POST", "/shared-links", link),
            ("GET", "/shared-links", None),
            ("GET", "/queues", None),
            ("GET", "/queues/library", None),
            ("GET", "/libraries", None),
            ("GET", f"/libraries/{library_id}", None),
            ("POST", f"/libraries/{library_id}/scan", None),
            ("GET", "/people", None),
            ("GET", f"/people/{person_id}", None),
            ("GET", f"/people/{person_id}/thumbnail", None),
            ("GET", "/memories", None),
            ("POST", "/download/info", {"albumId": album_id}),
        ]
        for method, path, body in requests:
            async with call(server, method, path, json=body) as resp:
                assert resp.status < 300, (path, await resp.text())
        assert server.state.library_scans == [library_id]
    assert server.violations == []
    assert len(server.state.assets) >= 12


def test_sample_jpegs_decode() -> None:
    """The generated JPEGs are real images."""
    image = pytest.importorskip("PIL.Image")
    with image.open(io.BytesIO(sample_jpeg(3))) as img:
        img.load()
        assert img.size == (64, 48)


# --- plugin ---------------------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_plugin_fails_on_violations() -> None:
    """The server fixture fails the test when violations were left behind."""
    fake_plugin.require_spec("v3")
    serving = fake_plugin._serve("v3")
    server = await anext(serving)
    server.violations.append("made up")
    with pytest.raises(pytest.fail.Exception, match="made up"):
        await anext(serving)


def test_plugin_skips_or_fails_without_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Missing specs skip the test, or fail it under ``CI=true``."""
    monkeypatch.setattr(
        fake_plugin, "spec_path", lambda _name: tmp_path / "missing.json"
    )
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"missing\.json"):
        fake_plugin.require_spec("v3")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"missing\.json"):
        fake_plugin.require_spec("v3")


async def test_stop_cancels_inflight_requests(immich_api: str) -> None:
    """Stopping while a delayed request is pending does not hang."""
    server = FakeImmich(immich_api)  # type: ignore[arg-type]
    await server.start()
    server.set_fault("pingServer", delay=30)
    session = aiohttp.ClientSession()
    pending = asyncio.ensure_future(session.get(f"{server.url}/api/server/ping"))
    for _ in range(500):
        if server.requests:
            break
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(aiohttp.ClientError):
        await pending
    await session.close()


# --- demo ----------------------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_demo_prints_url_and_key(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo prints a URL that answers and keys that authenticate; it reports."""
    fake_plugin.require_spec("v3")
    args = demo._parse(["--port", "0", "--spec", "v3"])
    stop = asyncio.Event()
    task = asyncio.create_task(demo._serve(args, stop))
    banner, _ = await _demo_banner(capsys)
    fields = (line.partition(":") for line in banner.splitlines())
    printed = {
        name.strip(): value.split()[0] for name, _, value in fields if value.strip()
    }
    url, admin_key, user_key = (
        printed[name] for name in ("URL", "admin API key", "user API key")
    )
    async with aiohttp.ClientSession() as session:
        for key, name, is_admin in (
            (admin_key, "Admin", True),
            (user_key, "Alice", False),
        ):
            async with session.get(
                f"{url}/api/users/me", headers={"x-api-key": key}
            ) as resp:
                assert resp.status == 200, (url, resp.status)
                me = await resp.json()
            assert (me["name"], me["isAdmin"]) == (name, is_admin)
        async with session.get(
            f"{url}/api/albums", headers={"x-api-key": admin_key}
        ) as resp:
            assert len(await resp.json()) >= 1  # seeded
        async with session.get(f"{url}/api/nowhere") as resp:
            assert resp.status == 404  # a violation, reported on the way out
    stop.set()
    assert await task == 1
    errors = capsys.readouterr().err
    assert "SPEC VIOLATION: GET /api/nowhere: no such operation in the spec" in errors
    assert "Fake Immich stopped: 1 spec violation(s)" in errors


@contextmanager
def _taken_port(port: int = 0) -> Iterator[int]:
    """Hold a listening socket on 127.0.0.1:``port`` (0: any) and yield its port.

    A port someone else already holds is just as taken: yield it without binding.
    """
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            yield port
            return
        sock.listen()
        yield sock.getsockname()[1]


async def _demo_banner(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Wait for the demo's banner on stdout; return its stdout and stderr so far."""
    out = err = ""
    for _ in range(500):
        captured = capsys.readouterr()
        out, err = out + captured.out, err + captured.err
        if "admin API key" in out:
            return out, err
        await asyncio.sleep(0.01)
    pytest.fail(f"no banner: {out!r}")


@pytest.mark.usefixtures("socket_enabled")
async def test_demo_takes_a_free_port_when_its_port_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With --any-port-if-taken the demo serves elsewhere and prints where."""
    fake_plugin.require_spec("v3")
    with _taken_port() as taken:
        args = demo._parse(["--port", str(taken), "--any-port-if-taken"])
        stop = asyncio.Event()
        task = asyncio.create_task(demo._serve(args, stop))
        try:
            banner, said = await _demo_banner(capsys)
            found = re.search(r"URL:\s+(http://127\.0\.0\.1:(\d+))\n", banner)
            assert found is not None, banner
            assert int(found[2]) != taken
            key = re.search(r"admin API key:\s+(\S+)", banner)
            assert key is not None
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{found[1]}/api/users/me", headers={"x-api-key": key[1]}
                ) as response,
            ):
                assert response.status == 200
                assert (await response.json())["isAdmin"] is True
        finally:
            stop.set()
            assert await task == 0  # no spec violation
    assert said == f"Port {taken} is taken; serving on {found[1]} instead.\n"


@pytest.mark.usefixtures("socket_enabled")
def test_demo_fails_in_one_line_when_its_port_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without --any-port-if-taken a taken port ends the demo: exit 1, one line."""
    fake_plugin.require_spec("v3")
    with _taken_port() as taken:
        assert demo.main(["--port", str(taken)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"Fake Immich can't serve on 127.0.0.1:{taken}: the port is taken\n"
    )


@contextmanager
def _develop(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Run script/develop with the demo Immich alone (no Home Assistant); stop it."""
    proc = subprocess.Popen(  # noqa: S603  # our own script
        [str(REPO / "script" / "develop")],
        cwd=REPO,
        env={**os.environ, "DEVELOP_DEMO_ONLY": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)


@pytest.mark.usefixtures("socket_enabled")
def test_develop_when_port_2283_is_taken() -> None:
    """script/develop starts the demo elsewhere and prints the URL and key it got.

    A port asked for with IMMICH_DEMO_PORT that is taken fails in one line instead.
    """
    fake_plugin.require_spec("v3")
    env = dict.fromkeys(("IMMICH_URL", "IMMICH_DEMO_PORT"), "")
    with _taken_port(2283), _develop(env) as proc:
        assert proc.stdout is not None
        output = ""
        deadline = time.monotonic() + 120
        while "demo Immich is up" not in output and time.monotonic() < deadline:
            if not (line := proc.stdout.readline()):
                break
            output += line
        found = re.search(
            r"demo Immich is up at (http://127\.0\.0\.1:(\d+)): .*API key (\S+)",
            output,
        )
        assert found is not None, output
        assert found[2] != "2283"
        assert f"URL:           {found[1]}\n" in output
        request = urllib.request.Request(  # noqa: S310  # a loopback URL
            f"{found[1]}/api/users/me", headers={"x-api-key": found[3]}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert json.load(response)["isAdmin"] is True

    with _taken_port(2283), _develop({**env, "IMMICH_DEMO_PORT": "2283"}) as failed:
        assert failed.wait(timeout=120) == 1
        assert failed.stdout is not None
        output = failed.stdout.read()
    assert "Traceback" not in output
    assert "is up" not in output
    assert output.endswith(
        "Fake Immich can't serve on 127.0.0.1:2283: the port is taken\n"
        "develop: the demo Immich did not start (the reason is above); set "
        "IMMICH_DEMO_PORT to a free port, or IMMICH_URL to use a real server.\n"
    ), output


def test_demo_without_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The demo exits with 2 when the spec is missing."""
    monkeypatch.setattr(demo, "spec_path", lambda _name: tmp_path / "missing.json")
    assert demo.main(["--spec", "v2"]) == 2


async def test_write_operations_follow_spec(immich_server: FakeImmich) -> None:
    """Tag operations answer spec-valid bodies."""
    state, admin = immich_server.state, immich_server.admin_id
    ids = [state.add_asset(admin, filename=f"w{i}.jpg") for i in range(3)]
    async with call(immich_server, "POST", "/tags", json={"name": "parent"}) as resp:
        assert resp.status == 201
        parent = await resp.json()
    child = {"name": "child", "parentId": parent["id"], "color": "#FF0000"}
    async with call(immich_server, "POST", "/tags", json=child) as resp:
        assert (await resp.json())["value"] == "parent/child"
    async with call(immich_server, "PUT", "/tags", json={"tags": ["a/b/c"]}) as resp:
        [leaf] = await resp.json()
    assert leaf["value"] == "a/b/c"
    tag_path = f"/tags/{leaf['id']}/assets"
    async with call(immich_server, "PUT", tag_path, json={"ids": ids[:2]}) as resp:
        assert [r["success"] for r in await resp.json()] == [True, True]
    async with call(immich_server, "DELETE", tag_path, json={"ids": ids[1:]}) as resp:
        assert [r["success"] for r in await resp.json()] == [True, False]
    bulk = {"tagIds": [parent["id"], leaf["id"]], "assetIds": ids}
    async with call(immich_server, "PUT", "/tags/assets", json=bulk) as resp:
        assert await resp.json() == {"count": 5}


async def test_bulk_asset_changes_follow_spec(immich_server: FakeImmich) -> None:
    """Bulk asset changes, links and deletes answer spec-valid bodies."""
    state, admin = immich_server.state, immich_server.admin_id
    ids = [state.add_asset(admin, filename=f"w{i}.jpg") for i in range(3)]
    album_id = state.add_album(admin, "W", asset_ids=ids)
    tag_id = state.add_tag(admin, "a/b/c")
    state.tags[tag_id].asset_ids.add(ids[0])
    change = {"ids": ids, "isFavorite": True, "rating": 4}
    async with call(immich_server, "PUT", "/assets", json=change) as resp:
        assert resp.status == 204
    assert all(state.assets[i].is_favorite for i in ids)
    async with call(immich_server, "GET", f"/assets/{ids[0]}") as resp:
        asset = await resp.json()
    assert asset["exifInfo"]["rating"] == 4
    assert [t["value"] for t in asset["tags"]] == ["a/b/c"]
    link = {"type": "INDIVIDUAL", "assetIds": ids[:1], "slug": "my-slug"}
    async with call(immich_server, "POST", "/shared-links", json=link) as resp:
        created = await resp.json()
    assert created["slug"] == "my-slug"
    assert "token" not in created  # v2 declares it; the real 2.7.5 never sends it
    assert created["allowUpload"] is True  # Immich's default
    async with call(immich_server, "GET", f"/shared-links/{created['id']}") as resp:
        assert resp.status == 200
    async with call(immich_server, "DELETE", f"/shared-links/{created['id']}") as resp:
        assert resp.status == 204
    remove = {"ids": ids[:1]}
    async with call(
        immich_server, "DELETE", f"/albums/{album_id}/assets", json=remove
    ) as resp:
        assert (await resp.json())[0]["success"] is True
    async with call(immich_server, "DELETE", "/assets", json={"ids": ids[1:2]}) as resp:
        assert resp.status == 204
    assert state.assets[ids[1]].is_trashed
    delete = {"ids": ids[2:], "force": True}
    async with call(immich_server, "DELETE", "/assets", json=delete) as resp:
        assert resp.status == 204
    assert ids[2] not in state.assets
    async with call(immich_server, "GET", "/assets/statistics") as resp:
        assert await resp.json() == {"images": 1, "videos": 0, "total": 1}
    async with call(
        immich_server, "GET", "/people", params={"withHidden": "true"}
    ) as resp:
        assert resp.status == 200


def test_spec_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """$IMMICH_OPENAPI_SPEC overrides v3; a Path selects any file; loads are cached."""
    fake_plugin.require_spec("v2")
    v2_path = spec_path("v2")
    monkeypatch.setenv(SPEC_ENV, str(v2_path))
    assert spec_path("v3") == v2_path
    monkeypatch.delenv(SPEC_ENV)
    assert spec_path("v3").name == "immich-openapi-specs.json"
    server = FakeImmich(v2_path)
    assert server.spec is load_spec("v2")
    assert server.spec.is_v2
    assert server.spec.version == (2, 7, 5)
