"""Tests for the action dispatcher: registration, refused entries and data, server
failures, and the fuzzing of every action against the fake Immich server."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, Phase, given, settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.services import ACTIONS
from tests.common import (
    LINK_PASSWORD,
    UNKNOWN_ID,
    action_fails,
    call_action as _call,
    write_jpeg as _jpeg,
)
from tests.fake_immich import FakeImmich
from tests.reliability.conftest import LONG
from tests.services.platforms import async_setup_stand_ins
from tests.services.strategies import FuzzWorld, payloads

# Generated calls per server flavour (v2 and v3): 1,000 each (2,000 in all) in CI,
# 5,000 each (10,000 in all) with -m long or IMMICH_BRIDGE_LONG=1.
FUZZ_EXAMPLES = 1000
FUZZ_EXAMPLES_LONG = 5000


# ------------------------------------------------------------------ registration


async def test_actions_registered(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Register every action, with its response support."""
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert set(ACTIONS) <= set(registered)
    for name, action in ACTIONS.items():
        assert registered[name].supports_response is action.response


async def test_unknown_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Refuse an entry id that isn't ours."""
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "create_album",
            {"config_entry_id": "nope", "name": "X"},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "entry_not_found"
    assert caught.value.translation_placeholders == {"entry_id": "nope"}


async def test_entry_not_loaded(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Refuse an entry that is not loaded."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await action_fails(
        hass,
        entry,
        "create_album",
        ServiceValidationError,
        "entry_not_loaded",
        name="X",
    )


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("create_album", {}),
        ("create_album", {"name": ""}),
        ("create_album", {"name": "X", "bogus": 1}),
        ("add_to_album", {"album": "A", "asset_id": ["not-a-uuid"]}),
        ("download", {"folder": "/x", "size": "huge"}),
        ("create_shared_link", {"album": "A", "asset_id": [UNKNOWN_ID]}),
        ("job_command", {"queue": "thumbnail generation", "command": "start"}),
        ("search", {"limit": 0}),
        ("create_tag", {"name": "a//b"}),
        ("search", {"taken_after": "9999-12-31 23:00:00"}),
        ("search", {"limit": "many"}),
        ("search", {"limit": 2.5}),
        ("search", {"limit": True}),
        ("create_shared_link", {"album": "A", "expires_in": {"days": 10**10}}),
        ("create_shared_link", {"album": "A", "expires_in": {"days": 40000}}),
    ],
)
async def test_invalid_data(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, data: dict[str, Any]
) -> None:
    """Turn schema errors into a translated validation error."""
    err = await action_fails(
        hass, entry, action, ServiceValidationError, "invalid_action_data", **data
    )
    assert err.translation_placeholders["error"]


async def test_invalid_data_never_echoes_values(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Keep a password out of the error message."""
    err = await action_fails(
        hass,
        entry,
        "create_shared_link",
        ServiceValidationError,
        "invalid_action_data",
        album="A",
        password=LINK_PASSWORD,
        expires_in="soon",
    )
    assert LINK_PASSWORD not in str(err.translation_placeholders)


# ----------------------------------------------------------------- server errors


async def test_auth_failure_starts_reauth(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Fail with auth_failed and start a reauth flow when the key is refused."""
    del immich_server.state.api_keys[immich_server.admin_key]
    await action_fails(
        hass, entry, "create_album", HomeAssistantError, "auth_failed", name="X"
    )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_missing_permission_is_named(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Name the permission the key lacks."""
    immich_server.state.api_keys[immich_server.admin_key].permissions = ("album.read",)
    err = await action_fails(
        hass, entry, "create_album", HomeAssistantError, "missing_permission", name="X"
    )
    assert err.translation_placeholders == {"permission": "album.create"}


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"status": 500}, "server_error"),
        ({"status": 429}, "rate_limited"),
        ({"drop": True}, "cannot_connect"),
        ({"status": 400}, "request_rejected"),
    ],
)
async def test_server_failures(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    fault: dict[str, Any],
    key: str,
) -> None:
    """Map server failures to translated errors."""
    immich_server.set_fault("createAlbum", **fault)
    error = ServiceValidationError if key == "request_rejected" else HomeAssistantError
    await action_fails(hass, entry, "create_album", error, key, name="X")


# ---------------------------------------------------------------------- fuzzing


async def _attempt(
    hass: HomeAssistant, action: str, data: dict[str, Any], seen: Counter[str]
) -> None:
    """Call one action; only translated Home Assistant errors may come out."""
    failure: HomeAssistantError | None = None
    try:
        await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            return_response=ACTIONS[action].response is not SupportsResponse.NONE,
        )
    except HomeAssistantError as err:
        failure = err
    if failure is None:
        seen["ok"] += 1
        return
    assert type(failure) in (HomeAssistantError, ServiceValidationError), repr(failure)
    assert failure.translation_domain == DOMAIN, repr(failure)
    assert failure.translation_key, repr(failure)
    seen[failure.translation_key] += 1


@pytest.fixture
async def fuzz_world(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> FuzzWorld:
    """Fill the fake server and the allowed folder with things payloads can name."""
    state = immich_server.state
    owner = immich_server.admin_id
    source = allowed / "src"
    _jpeg(immich_server, source, "a.jpg")
    _jpeg(immich_server, source, "sub/b.jpg")
    (source / "notes.txt").write_text("not a photo")
    (allowed.parent / "outside.jpg").write_bytes(state.next_jpeg("outside"))
    assets = tuple(
        state.add_asset(owner, filename=f"f{n}.jpg", city="Lisbon") for n in range(3)
    )
    album_id = state.add_album(owner, "Fuzz album", asset_ids=assets[:2])
    state.add_tag(owner, "Fuzz")
    state.add_library(owner, "Fuzz library")
    state.add_person(owner, "Fuzz person")
    link = await _call(hass, entry, "create_shared_link", album=album_id)
    hass.config.media_dirs = {"local": str(allowed)}
    await async_setup_stand_ins(hass, state.next_jpeg("camera"))
    assert await async_setup_component(hass, "media_source", {})
    return FuzzWorld(
        entry_id=entry.entry_id,
        folder=allowed,
        album_id=album_id,
        album_name="Fuzz album",
        asset_ids=assets,
        tag_value="Fuzz",
        link_id=link["link_id"],
        library_name="Fuzz library",
        person_name="Fuzz person",
        user_email="alice@example.com",
    )


@pytest.mark.parametrize(
    "examples",
    [
        pytest.param(FUZZ_EXAMPLES, id="ci"),
        pytest.param(FUZZ_EXAMPLES_LONG, id="long", marks=pytest.mark.long),
    ],
)
async def test_fuzz_only_translated_errors_escape(
    hass: HomeAssistant,
    fuzz_world: FuzzWorld,
    examples: int,
    request: pytest.FixtureRequest,
) -> None:
    """Call every action with generated payloads; only the two error types escape.

    `ci` runs FUZZ_EXAMPLES per server flavour (v2 and v3, so twice that in total);
    `long` runs only with `-m long` or IMMICH_BRIDGE_LONG=1.
    """
    selected = "long" in request.config.getoption("markexpr")
    if examples > FUZZ_EXAMPLES and not (selected or LONG):
        pytest.skip("a long run: select it with -m long or IMMICH_BRIDGE_LONG=1")
    seen: Counter[str] = Counter()
    loop = hass.loop

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=examples <= FUZZ_EXAMPLES,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )
    @given(payload=payloads(fuzz_world))
    def run(payload: tuple[str, dict[str, Any]]) -> None:
        action, data = payload
        asyncio.run_coroutine_threadsafe(
            _attempt(hass, action, data, seen), loop
        ).result(timeout=120)

    await hass.async_add_executor_job(run)
    assert sum(seen.values()) >= examples
    assert seen["ok"] > examples // 50
    assert seen["invalid_action_data"] > examples // 4
