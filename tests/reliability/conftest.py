"""Fixtures for the reliability and security suite (issue #10).

Long variants (a bigger soak, 10,000 fuzzed server responses) are opt-in: they run
only with ``IMMICH_BRIDGE_LONG=1`` in the environment and are skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
import os
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from tests.fake_immich import FakeImmich

LONG = os.environ.get("IMMICH_BRIDGE_LONG") == "1"
long_only = pytest.mark.skipif(
    not LONG, reason="a long run: set IMMICH_BRIDGE_LONG=1 to run it"
)


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry, *, platforms: list[Any] | None = None
) -> ConfigEntryState:
    """Add and set up an entry (optionally with only some platforms)."""
    entry.add_to_hass(hass)
    if platforms is None:
        await hass.config_entries.async_setup(entry.entry_id)
    else:
        with patch("custom_components.immich_bridge.PLATFORMS", platforms):
            await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry.state


def with_retry_after(
    server: FakeImmich, monkeypatch: pytest.MonkeyPatch, seconds: int
) -> None:
    """Make the fake's 429 answers carry a Retry-After header (it sends none)."""
    error: Callable[..., Any] = server._error

    def answer(status: int, message: Any) -> Any:
        response = error(status, message)
        if status == 429:
            response.headers["Retry-After"] = str(seconds)
        return response

    monkeypatch.setattr(server, "_error", answer)


@pytest.fixture
def no_validation(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeImmich], None]:
    """Return a function that turns a fake's openapi-core checks off (for soaks).

    The spec object is shared per process, so the patch is undone after the test.
    """

    def switch_off(server: FakeImmich) -> None:
        monkeypatch.setattr(server.spec, "check_request", lambda *_args: [])
        monkeypatch.setattr(server.spec, "check_response", lambda *_args: [])

    return switch_off
