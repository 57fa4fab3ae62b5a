"""The secrets guard sees what it promises (tests/reliability/guards.py).

Each test shows a secret somewhere the guard watches, asserts the guard noticed, and
then claims those leaks so that the test itself passes.
"""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import LOGGER
from tests.fake_immich import FakeImmich
from tests.reliability.guards import (
    SecretsGuard,
    keep_out_of_capture,
    level_problem,
    register_secret,
)


def claim(guard: SecretsGuard, *where: str) -> None:
    """Assert the guard recorded one leak per place in ``where``; forget them."""
    assert len(guard.leaks) == len(where), guard.leaks
    for leak, place in zip(guard.leaks, where, strict=True):
        assert leak.startswith(place), (leak, place)
        assert "<KEY>" in leak
    guard.leaks.clear()


async def test_debug_record_kept_out_of_capture(
    no_leaked_secrets: SecretsGuard,
    immich_server_v3: FakeImmich,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A DEBUG record of ours is checked, also when it stays out of pytest's capture."""
    keep_out_of_capture(monkeypatch)
    LOGGER.debug("using key %s", immich_server_v3.admin_key)
    claim(no_leaked_secrets, "log custom_components.immich_bridge DEBUG")


async def test_session_tokens_are_secrets(
    no_leaked_secrets: SecretsGuard, immich_server_v3: FakeImmich
) -> None:
    """A login session the stand-in hands out is a secret like a key."""
    token = immich_server_v3.state.add_session(immich_server_v3.user_id)
    logging.getLogger("anything").warning("token %s", token)
    claim(no_leaked_secrets, "log anything WARNING")


async def test_registered_secret(no_leaked_secrets: SecretsGuard) -> None:
    """A key made elsewhere (real server, e2e demo) is watched once registered."""
    key = "real-server-key-0123456789abcdef"
    register_secret(key)
    logging.getLogger("tests.real").info("made %s", key)
    claim(no_leaked_secrets, "log tests.real INFO")


async def test_state_written_during_the_test(
    hass: HomeAssistant, no_leaked_secrets: SecretsGuard, immich_server_v3: FakeImmich
) -> None:
    """A state that showed the key is caught even when it is gone by the end."""
    hass.states.async_set("sensor.leaky", "ok", {"key": immich_server_v3.user_key})
    hass.states.async_set("sensor.leaky", "ok", {})
    claim(no_leaked_secrets, "state written to sensor.leaky")


async def test_diagnostics_dump(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    no_leaked_secrets: SecretsGuard,
    immich_server: FakeImmich,
    init_integration: MockConfigEntry,
) -> None:
    """A diagnostics dump that shows the key is caught."""
    hass.config_entries.async_update_entry(
        init_integration, options={"note": immich_server.admin_key}
    )
    await hass.async_block_till_done()
    await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    claim(no_leaked_secrets, "diagnostics")


def test_level_raised_is_refused(no_leaked_secrets: SecretsGuard) -> None:
    """Turning our logger's level up (or logging off) would hide records: refused."""
    ours = logging.getLogger("custom_components.immich_bridge")
    assert level_problem() is None
    ours.setLevel(logging.CRITICAL)
    try:
        assert "raised custom_components.immich_bridge's level" in str(level_problem())
    finally:
        ours.setLevel(logging.DEBUG)
    logging.disable(logging.INFO)
    try:
        assert level_problem() is not None
    finally:
        logging.disable(logging.NOTSET)
