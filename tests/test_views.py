"""Tests for the authenticated media proxy view."""

from __future__ import annotations

from http import HTTPStatus
import logging
from unittest.mock import patch

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.views import STREAM_CHUNK_SIZE
from tests.fake_immich import FakeImmich

VIDEO = bytes(range(256)) * 4096 * 3  # 3 MiB


@pytest.fixture
def video_id(immich_server: FakeImmich) -> str:
    """Store a 3 MiB video on the fake server."""
    return immich_server.state.add_asset(
        immich_server.admin_id, data=VIDEO, filename="clip.mp4", asset_type="VIDEO"
    )


@pytest.fixture
def photo_id(immich_server: FakeImmich) -> str:
    """Store a photo on the fake server."""
    return immich_server.state.add_asset(immich_server.admin_id, filename="a.jpg")


def _url(entry: MockConfigEntry, item_id: str, variant: str) -> str:
    """Return the view path of an item."""
    return f"/api/{DOMAIN}/{entry.entry_id}/{item_id}/{variant}"


async def _assert_no_key(response: object, body: bytes, key: str) -> None:
    """Assert the API key is neither in the headers nor in the body."""
    headers = getattr(response, "headers", {})
    assert all(key not in f"{name}: {value}" for name, value in headers.items())
    assert key.encode() not in body


async def test_streams_video_in_chunks(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    video_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A video streams chunk by chunk, never as one buffer, without the key."""
    written: list[int] = []
    original_write = web.StreamResponse.write

    async def spy(self: web.StreamResponse, data: bytes) -> None:
        written.append(len(data))
        await original_write(self, data)

    client = await hass_client()
    with patch.object(web.StreamResponse, "write", spy):
        response = await client.get(_url(init_integration, video_id, "video"))
        body = await response.read()
    assert response.status == HTTPStatus.OK
    assert body == VIDEO
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(len(VIDEO))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Disposition" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert len(written) >= len(VIDEO) // STREAM_CHUNK_SIZE
    assert max(written) <= STREAM_CHUNK_SIZE
    await _assert_no_key(response, body, immich_server.admin_key)
    assert immich_server.requests[-1].operation_id == "playAssetVideo"


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=100-199", 100, 200),
        ("bytes=3145000-", 3145000, len(VIDEO)),
        ("bytes=-10", len(VIDEO) - 10, len(VIDEO)),
    ],
)
async def test_range_requests_pass_through(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    video_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    range_header: str,
    start: int,
    end: int,
) -> None:
    """A byte range goes to Immich and comes back as 206 with its Content-Range."""
    client = await hass_client()
    response = await client.get(
        _url(init_integration, video_id, "video"), headers={"Range": range_header}
    )
    body = await response.read()
    assert response.status == HTTPStatus.PARTIAL_CONTENT
    assert body == VIDEO[start:end]
    assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(VIDEO)}"
    assert response.headers["Content-Length"] == str(end - start)


async def test_range_not_satisfiable_and_multi_range(
    hass: HomeAssistant,
    video_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A range past the end is 416; a multi-range request gets the whole file."""
    client = await hass_client()
    url = _url(init_integration, video_id, "original")
    response = await client.get(url, headers={"Range": f"bytes={len(VIDEO)}-"})
    assert response.status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    response = await client.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert response.status == HTTPStatus.OK
    assert await response.read() == VIDEO


@pytest.mark.parametrize("variant", ["thumbnail", "preview", "fullsize", "original"])
async def test_photo_sizes(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    photo_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    variant: str,
) -> None:
    """Every photo size is served as an image."""
    client = await hass_client()
    response = await client.get(_url(init_integration, photo_id, variant))
    body = await response.read()
    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == "image/jpeg"
    assert body.startswith(b"\xff\xd8")
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    await _assert_no_key(response, body, immich_server.admin_key)


async def test_person_thumbnail(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A person's face thumbnail is served."""
    person = immich_server.state.add_person(immich_server.admin_id, "Anna")
    client = await hass_client()
    response = await client.get(_url(init_integration, person, "person"))
    assert response.status == HTTPStatus.OK
    assert await response.read() == immich_server.state.people[person].thumbnail


async def test_rejects_unauthenticated(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    photo_id: str,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Requests without a Home Assistant login are refused before Immich is asked."""
    immich_server.requests.clear()
    client = await hass_client_no_auth()
    for variant in ("thumbnail", "video", "person"):
        response = await client.get(_url(init_integration, photo_id, variant))
        assert response.status == HTTPStatus.UNAUTHORIZED
        await _assert_no_key(response, await response.read(), immich_server.admin_key)
    assert immich_server.requests == []


@pytest.mark.parametrize(
    "item_id",
    ["not-a-uuid", "..", "00000000-0000-4000-8000-00000000000", "%2e%2e%2fusers%2fme"],
)
async def test_rejects_ids_that_are_not_uuids(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    item_id: str,
) -> None:
    """Ids that are not UUIDs never reach Immich."""
    immich_server.requests.clear()
    client = await hass_client()
    response = await client.get(_url(init_integration, item_id, "original"))
    assert response.status in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}
    assert immich_server.requests == []


async def test_unknown_entry_variant_and_asset(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    photo_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Unknown entries, variants and assets are 404."""
    client = await hass_client()
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    for url in (
        f"/api/{DOMAIN}/nope/{photo_id}/original",
        f"/api/{DOMAIN}/{other.entry_id}/{photo_id}/original",
        _url(init_integration, photo_id, "raw"),
        _url(init_integration, "00000000-0000-4000-8000-000000000001", "original"),
        _url(init_integration, "00000000-0000-4000-8000-000000000001", "person"),
    ):
        response = await client.get(url)
        assert response.status == HTTPStatus.NOT_FOUND, url


async def test_server_errors_are_bad_gateway(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    photo_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing Immich gives 502 with no details, and the key is never logged."""
    caplog.set_level(logging.DEBUG)
    immich_server.set_fault("viewAsset", status=HTTPStatus.INTERNAL_SERVER_ERROR)
    immich_server.set_fault("getPersonThumbnail", status=HTTPStatus.UNAUTHORIZED)
    client = await hass_client()
    response = await client.get(_url(init_integration, photo_id, "preview"))
    assert response.status == HTTPStatus.BAD_GATEWAY
    await _assert_no_key(response, await response.read(), immich_server.admin_key)
    response = await client.get(_url(init_integration, photo_id, "person"))
    assert response.status == HTTPStatus.BAD_GATEWAY
    assert immich_server.admin_key not in caplog.text


async def test_broken_upstream_ends_the_body(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    video_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """When Immich drops the connection mid-stream, the answer ends short."""
    immich_server.set_fault("playAssetVideo", drop=True)
    client = await hass_client()
    response = await client.get(_url(init_integration, video_id, "video"))
    assert response.status == HTTPStatus.OK
    with pytest.raises(aiohttp.ClientPayloadError, match="payload is not completed"):
        await response.read()


async def test_unloaded_entry_is_not_found(
    hass: HomeAssistant,
    photo_id: str,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """After unloading, the entry's media is gone."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    client = await hass_client()
    response = await client.get(_url(init_integration, photo_id, "original"))
    assert response.status == HTTPStatus.NOT_FOUND
