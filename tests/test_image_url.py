"""Tests for the signed image links in events and upload responses."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.views import IMAGE_URL_LIFETIME
from custom_components.immich_bridge.watcher import WATCH_INTERVAL
from tests.fake_immich import FakeImmich

JPEG_START = b"\xff\xd8\xff"


async def _upload(
    hass: HomeAssistant, entry: MockConfigEntry, server: FakeImmich, folder: Path
) -> dict[str, str]:
    """Upload a new photo with the action; return its entry of the response."""
    photo = folder / "door.jpg"
    photo.write_bytes(server.state.next_jpeg("door"))
    response = await hass.services.async_call(
        DOMAIN,
        "upload",
        {"config_entry_id": entry.entry_id, "file_path": [str(photo)]},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    asset: dict[str, str] = response["assets"][0]  # type: ignore[index,assignment]
    return asset


async def test_upload_image_url_opens_without_login_until_it_expires(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    init_integration: MockConfigEntry,
    allowed: Path,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The signed preview opens without a login, for a day, and not tampered with."""
    asset = await _upload(hass, init_integration, immich_server, allowed)
    asset_id, image_url = asset["asset_id"], asset["image_url"]
    assert asset["url"] == f"{immich_server.url}/photos/{asset_id}"
    assert image_url.startswith(
        f"/api/{DOMAIN}/{init_integration.entry_id}/{asset_id}/preview?authSig="
    )
    assert immich_server.admin_key not in image_url

    client = await hass_client_no_auth()
    # Without the signature the same path needs a login.
    unsigned = await client.get(image_url.partition("?")[0])
    assert unsigned.status == HTTPStatus.UNAUTHORIZED

    response = await client.get(image_url)
    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == "image/jpeg"
    assert (await response.read()).startswith(JPEG_START)

    tampered = image_url[:-3] + ("AAA" if not image_url.endswith("AAA") else "BBB")
    assert (await client.get(tampered)).status == HTTPStatus.UNAUTHORIZED
    other = await _upload_other(immich_server)
    swapped = image_url.replace(asset_id, other)
    assert (await client.get(swapped)).status == HTTPStatus.UNAUTHORIZED

    freezer.tick(IMAGE_URL_LIFETIME - timedelta(minutes=1))
    assert (await client.get(image_url)).status == HTTPStatus.OK
    freezer.tick(timedelta(minutes=2))
    assert (await client.get(image_url)).status == HTTPStatus.UNAUTHORIZED


async def _upload_other(server: FakeImmich) -> str:
    """Store another photo on the server; return its id."""
    return server.state.add_asset(server.admin_id, filename="other.jpg")


async def test_new_asset_event_carries_links(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new-upload event carries the web link and a signed preview that opens."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    freezer.tick(WATCH_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    fired = [
        event.data["new_state"].attributes
        for event in events
        if event.data["entity_id"].startswith("event.")
        and event.data["new_state"].attributes.get("asset_id") == asset_id
    ]
    assert len(fired) == 1
    assert fired[0]["url"] == f"{immich_server.url}/photos/{asset_id}"
    client = await hass_client_no_auth()
    response = await client.get(fired[0]["image_url"])
    assert response.status == HTTPStatus.OK
    assert (await response.read()).startswith(JPEG_START)
