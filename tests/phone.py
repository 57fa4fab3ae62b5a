"""A companion-app phone for tests: a real mobile_app device with a local push server.

Home Assistant's mobile_app sends each notification to the phone's push URL; here
that is a small aiohttp server on 127.0.0.1 that records what it was sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

WEBHOOK_ID = "immich-bridge-test-phone"


@dataclass
class Phone:
    """The phone's device id and the notifications pushed to it."""

    device_id: str
    received: list[dict[str, Any]] = field(default_factory=list)


@asynccontextmanager
async def phone(hass: HomeAssistant, name: str = "Test phone") -> AsyncIterator[Phone]:
    """Register a phone with the companion app; yield it while its push URL listens."""
    received: list[dict[str, Any]] = []

    async def push(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"rateLimits": {}}, status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await async_setup_component(hass, "mobile_app", {})
        entry = MockConfigEntry(
            domain="mobile_app",
            title=name,
            data={
                "app_data": {
                    "push_token": "test-token",
                    "push_url": f"http://127.0.0.1:{port}/push",
                },
                "app_id": "io.robbie.HomeAssistant",
                "app_name": "Home Assistant",
                "app_version": "2026.2",
                "device_id": "test-phone-id",
                "device_name": name,
                "manufacturer": "Test",
                "model": "Phone",
                "os_name": "Android",
                "os_version": "16",
                "supports_encryption": False,
                "secret": None,
                "user_id": None,
                "webhook_id": WEBHOOK_ID,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        device = dr.async_get(hass).async_get_device(
            identifiers={("mobile_app", "test-phone-id")}
        )
        assert device is not None
        yield Phone(device_id=device.id, received=received)
    finally:
        await runner.cleanup()
