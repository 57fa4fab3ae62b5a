"""Shared fixtures: Home Assistant, the spec-checked fake Immich and config entries."""

from __future__ import annotations

# isort: off
# Import the integration first: otherwise Home Assistant resolves `custom_components`
# to the test plugin's own folder.
import custom_components.immich_bridge  # noqa: F401

# isort: on

from collections.abc import Generator
import itertools
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch
import uuid

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge import PLATFORMS
from tests.common import make_entry
from tests.fake_immich import FakeImmich, state as fake_state, views as fake_views

# tests.reliability.guards (issue #10): suite-wide guards, autouse. No API key in logs,
# action responses/errors or entity states; HA's blocking-call detection stays on.
pytest_plugins = ["tests.fake_immich.plugin", "tests.reliability.guards"]


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the fake Immich listens on 127.0.0.1, the only host allowed."""
    return


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations in every test."""
    return


@pytest.fixture(autouse=True)
def private_config_dir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Give each test's Home Assistant a configuration folder of its own.

    The integration writes into it (its blueprints); the default folder is shared by
    every test, inside the installed test plugin.
    """
    if "hass" in request.fixturenames:
        hass: HomeAssistant = request.getfixturevalue("hass")
        # Not under tmp_path: tests may expect that folder to hold only their files.
        hass.config.config_dir = str(tmp_path_factory.mktemp("config"))


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the fake server's ids 00000000-0000-4000-8000-00000000000N (for snapshots).

    Request this fixture before `immich_server` (or anything that uses it).
    """
    counter = itertools.count(1)

    def new_id() -> str:
        return str(uuid.UUID(int=next(counter), version=4))

    monkeypatch.setattr(fake_state, "new_id", new_id)
    for area in fake_views.AREAS:
        if hasattr(area, "new_id"):
            monkeypatch.setattr(area, "new_id", new_id)


@pytest.fixture
def allowed(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Return the one folder the actions may read and write."""
    folder = (tmp_path / "allowed").resolve()
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Return the options of the entry under test (override in a test module)."""
    return {}


@pytest.fixture
def mock_config_entry(
    immich_server: FakeImmich, entry_options: dict[str, Any]
) -> MockConfigEntry:
    """Return a config entry for the fake server's admin."""
    return make_entry(immich_server, options=entry_options)


@pytest.fixture
def platforms() -> list[Platform]:
    """Return the platforms the entry under test sets up (override in a test module)."""
    return PLATFORMS


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, platforms: list[Platform]
) -> MockConfigEntry:
    """Set up the integration against the fake server, with `platforms` only."""
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.immich_bridge.PLATFORMS", platforms):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def entry(init_integration: MockConfigEntry) -> MockConfigEntry:
    """Return the loaded entry of the fake server's admin (the action tests' name)."""
    return init_integration
