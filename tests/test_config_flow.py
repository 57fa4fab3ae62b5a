"""Tests for the Immich Bridge config, reauth, reconfigure and options flows."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.account import InvalidCaCertError
from custom_components.immich_bridge.api import (
    ImmichAuthenticationError,
    ImmichConnectionError,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitError,
    ImmichResponseError,
    ImmichSSLError,
    ImmichUnsupportedVersionError,
)
from custom_components.immich_bridge.config_flow import (
    InvalidUrlError,
    error_key,
    normalize_url,
)
from custom_components.immich_bridge.const import (
    CONF_ALBUMS,
    CONF_FRAME_INTERVAL,
    CONF_FRAME_VIDEOS,
    CONF_FRAMES,
    CONF_LOW_DISK_THRESHOLD,
    CONF_PEOPLE,
    CONF_QUOTA_THRESHOLD,
    DOMAIN,
)
from tests.fake_immich import FakeImmich


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://immich.local:2283", "http://immich.local:2283"),
        ("immich.local:2283", "http://immich.local:2283"),
        ("  https://photos.example.com/  ", "https://photos.example.com"),
        ("https://photos.example.com/api", "https://photos.example.com"),
        ("https://photos.example.com/api/", "https://photos.example.com"),
        ("https://example.com/immich/api?x=1#y", "https://example.com/immich"),
        ("192.168.1.10", "http://192.168.1.10"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    """Accept the ways users paste a server address."""
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ftp://immich.local", "http://", "mailto:me@example.com", "http://[::1"]
)
def test_normalize_url_rejects(raw: str) -> None:
    """Refuse what is not an http(s) address of a server."""
    with pytest.raises(InvalidUrlError):
        normalize_url(raw)


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (ImmichAuthenticationError("x"), "invalid_auth"),
        (ImmichSSLError("x", certificate=True), "ssl_error"),
        (ImmichSSLError("x", certificate=False), "not_https"),
        (ImmichUnsupportedVersionError("1.0.0", "2.0.0"), "unsupported_version"),
        (ImmichConnectionError("x"), "cannot_connect"),
        (ImmichRateLimitError("x", retry_after=1.0), "cannot_connect"),
        (ImmichPermissionError("x", permission="user.read"), "missing_permission"),
        (ImmichPermissionError("x"), "missing_permission"),
        (ImmichNotFoundError("x"), "unknown"),
        (ImmichResponseError("x", status=500), "unknown"),
        (ImmichError("x"), "unknown"),
        (InvalidCaCertError("x"), "invalid_ca_cert"),
        (ValueError("x"), "unknown"),
    ],
)
def test_error_keys(error: Exception, key: str) -> None:
    """Map every client error to a form error."""
    assert error_key(error) == key


def _user_input(server: FakeImmich, **overrides: object) -> dict[str, object]:
    """Return a valid user step input for the fake server's admin."""
    return {
        CONF_URL: f"{server.url}/api/",
        CONF_API_KEY: server.admin_key,
        CONF_VERIFY_SSL: True,
    } | overrides


async def _finish(hass: HomeAssistant, flow_id: str, user_input: dict[str, object]):
    """Submit the user step and the permissions summary."""
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "permissions"
    return result, await hass.config_entries.flow.async_configure(flow_id, {})


async def test_user_flow(hass: HomeAssistant, immich_server: FakeImmich) -> None:
    """Create an entry named after the user, with a normalised URL."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    summary, result = await _finish(hass, result["flow_id"], _user_input(immich_server))
    placeholders = summary["description_placeholders"]
    assert placeholders["account"] == "Admin"
    assert "Upload into existing albums" in placeholders["unlocked"]
    assert placeholders["locked"] == "—"
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Immich Admin"
    assert result["result"].unique_id == immich_server.admin_id
    assert result["data"] == {
        CONF_URL: immich_server.url,
        CONF_API_KEY: immich_server.admin_key,
        CONF_VERIFY_SSL: True,
    }


async def test_user_flow_limited_key(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Tell the user what a key with few permissions unlocks and what it lacks."""
    key = immich_server.state.add_api_key(
        immich_server.user_id,
        permissions=("user.read", "album.read", "album.statistics", "asset.statistics"),
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    summary, result = await _finish(
        hass, result["flow_id"], _user_input(immich_server, **{CONF_API_KEY: key})
    )
    placeholders = summary["description_placeholders"]
    assert placeholders["account"] == "Alice"
    assert "Your photos, videos and albums" in placeholders["unlocked"]
    assert (
        "Upload photos and videos, sync folders: asset.upload"
        in (placeholders["locked"])
    )
    assert "Job queue sensors and commands" in placeholders["admin_only"]
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Immich Alice"


async def test_user_flow_key_without_user_read(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """A key that can't read its user is accepted, known by its id and name.

    The name "Immich Admin" is taken (by the admin's entry): the host tells them apart.
    """
    mock_config_entry.add_to_hass(hass)
    key = immich_server.state.add_api_key(
        immich_server.user_id, permissions=("asset.upload",), name="Admin"
    )
    key_id = immich_server.state.api_keys[key].id
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    summary, result = await _finish(
        hass, result["flow_id"], _user_input(immich_server, **{CONF_API_KEY: key})
    )
    placeholders = summary["description_placeholders"]
    assert "the API key “Admin”" in placeholders["account"]
    assert placeholders["unlocked"] == "- Upload photos and videos, sync folders"
    assert result["title"] == "Immich Admin (127.0.0.1)"
    assert result["result"].unique_id == f"key-{key_id}"


async def _expect_error_then_recover(
    hass: HomeAssistant,
    server: FakeImmich,
    bad_input: dict[str, object],
    field: str,
    error: str,
) -> None:
    """Submit a bad input, see the error, then finish with a good one."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], bad_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    server.clear_faults()
    _, result = await _finish(hass, result["flow_id"], _user_input(server))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_invalid_url(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Refuse a non-http URL with a clear error."""
    await _expect_error_then_recover(
        hass,
        immich_server,
        _user_input(immich_server, **{CONF_URL: "ftp://immich.local"}),
        CONF_URL,
        "invalid_url",
    )


async def test_user_flow_invalid_auth(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Report a key the server refuses."""
    await _expect_error_then_recover(
        hass,
        immich_server,
        _user_input(immich_server, **{CONF_API_KEY: "not-a-key"}),
        "base",
        "invalid_auth",
    )


async def test_user_flow_cannot_connect(
    hass: HomeAssistant, immich_server: FakeImmich, unused_tcp_port: int
) -> None:
    """Report a server that doesn't answer."""
    await _expect_error_then_recover(
        hass,
        immich_server,
        _user_input(immich_server, **{CONF_URL: f"http://127.0.0.1:{unused_tcp_port}"}),
        "base",
        "cannot_connect",
    )


async def test_user_flow_server_error(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Report a server error as unknown."""
    immich_server.set_fault("getMyUser", status=500)
    await _expect_error_then_recover(
        hass, immich_server, _user_input(immich_server), "base", "unknown"
    )


async def test_user_flow_unsupported_version(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Refuse a server older than Immich 2.0."""
    immich_server.set_fault(
        "getServerVersion", body=b'{"major": 1, "minor": 135, "patch": 3}'
    )
    await _expect_error_then_recover(
        hass, immich_server, _user_input(immich_server), "base", "unsupported_version"
    )


async def test_user_flow_unexpected_exception(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Report an unexpected exception as unknown and log it."""
    with patch(
        "custom_components.immich_bridge.account.async_get_clientsession",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(immich_server)
        )
    assert result["errors"] == {"base": "unknown"}


async def test_user_flow_already_configured(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Refuse the same account twice."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(immich_server)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, immich_server: FakeImmich, init_integration: MockConfigEntry
) -> None:
    """Replace a revoked key with a new one of the same account."""
    new_key = immich_server.state.add_api_key(immich_server.admin_id, name="new")
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: new_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_API_KEY] == new_key
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED


async def test_reauth_wrong_account(
    hass: HomeAssistant, immich_server: FakeImmich, init_integration: MockConfigEntry
) -> None:
    """Refuse a key of another account."""
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: immich_server.user_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert init_integration.data[CONF_API_KEY] == immich_server.admin_key


async def test_reconfigure(
    hass: HomeAssistant, immich_server: FakeImmich, init_integration: MockConfigEntry
) -> None:
    """Change URL and key of the same account."""
    new_key = immich_server.state.add_api_key(immich_server.admin_id, name="new")
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(immich_server, **{CONF_URL: "gopher://x"}),
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(immich_server, **{CONF_API_KEY: "wrong"}),
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(immich_server, **{CONF_API_KEY: new_key}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data == {
        CONF_URL: immich_server.url,
        CONF_API_KEY: new_key,
        CONF_VERIFY_SSL: True,
    }
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED


async def test_reconfigure_wrong_account(
    hass: HomeAssistant, immich_server: FakeImmich, init_integration: MockConfigEntry
) -> None:
    """Refuse to switch the entry to another account."""
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(immich_server, **{CONF_API_KEY: immich_server.user_key}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_options(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Pick album sensors and the low-disk threshold; the entry reloads."""
    album_id = immich_server.state.add_album(immich_server.admin_id, "Holidays")
    person_id = immich_server.state.add_person(immich_server.admin_id, "Grandma")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"].schema
    albums_selector = next(v for k, v in schema.items() if k == CONF_ALBUMS)
    assert {"value": album_id, "label": "Holidays"} in albums_selector.config["options"]
    frames_selector = next(v for k, v in schema.items() if k == CONF_FRAMES)
    frame_values = [option["value"] for option in frames_selector.config["options"]]
    assert frame_values == [
        "library",
        "favorites",
        "memories",
        f"album:{album_id}",
        f"person:{person_id}",
    ]
    people_selector = next(v for k, v in schema.items() if k == CONF_PEOPLE)
    assert people_selector.config["options"] == [
        {"value": "all", "label": "All named people"},
        {"value": person_id, "label": "Grandma"},
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_ALBUMS: [album_id],
            CONF_FRAMES: ["library", "favorites", f"person:{person_id}"],
            "frame_searches": ["beach at sunset", "  "],
            CONF_FRAME_INTERVAL: 10,
            CONF_FRAME_VIDEOS: True,
            CONF_LOW_DISK_THRESHOLD: 20,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mock_config_entry.options == {
        CONF_ALBUMS: [album_id],
        CONF_FRAMES: [
            "library",
            "favorites",
            f"person:{person_id}",
            "search:beach at sunset",
        ],
        CONF_FRAME_INTERVAL: 10,
        CONF_FRAME_VIDEOS: True,
        CONF_LOW_DISK_THRESHOLD: 20,
        CONF_QUOTA_THRESHOLD: 90,
        CONF_PEOPLE: [],
    }
    # Reopened, the searches are shown in their own field again.
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested["frames"] == ["library", "favorites", f"person:{person_id}"]
    assert suggested["frame_searches"] == ["beach at sunset"]
    assert suggested[CONF_FRAME_VIDEOS] is True
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.immich_admin_album_holidays") is not None


async def test_options_keep_unreadable_album(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Keep a chosen album in the form even when it can't be listed right now."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_ALBUMS: ["gone-album"]}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    schema = result["data_schema"].schema
    albums_selector = next(v for k, v in schema.items() if k == CONF_ALBUMS)
    assert {"value": "gone-album", "label": "gone-album"} in albums_selector.config[
        "options"
    ]


async def test_options_list_albums_from_the_server(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """List owned and shared albums by name when the form opens, not from the poll."""
    state = immich_server.state
    zoo = state.add_album(immich_server.admin_id, "zoo")
    beach = state.add_album(immich_server.admin_id, "Beach")
    shared = state.add_album(immich_server.user_id, "Alice's party")
    state.albums[shared].users[immich_server.admin_id] = "viewer"
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    # Nothing is picked: the coordinator holds no album.
    assert mock_config_entry.runtime_data.server.data.albums == {}
    later = state.add_album(immich_server.admin_id, "Later")
    immich_server.requests.clear()
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert not result["errors"]
    listed = [r for r in immich_server.requests if r.operation_id == "getAllAlbums"]
    assert sorted(r.query.get("shared", "") for r in listed) == ["", "true"]
    schema = result["data_schema"].schema
    albums_selector = next(v for k, v in schema.items() if k == CONF_ALBUMS)
    assert albums_selector.config["options"] == [
        {"value": shared, "label": "Alice's party"},
        {"value": beach, "label": "Beach"},
        {"value": later, "label": "Later"},
        {"value": zoo, "label": "zoo"},
    ]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 500}, "unknown"),
        ({"status": 429}, "cannot_connect"),
        ({"drop": True}, "cannot_connect"),
        ({"status": 401}, "invalid_auth"),
        # Refused: like a key without album.read, no error, just no albums.
        ({"status": 403}, None),
    ],
)
async def test_options_albums_unreadable(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    fault: dict[str, object],
    error: str | None,
) -> None:
    """Show the form with an error when albums can't be listed; saving still works."""
    album_id = immich_server.state.add_album(immich_server.admin_id, "Holidays")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_ALBUMS: [album_id]}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    immich_server.set_fault("getAllAlbums", **fault)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == ({"base": error} if error else {})
    schema = result["data_schema"].schema
    albums_selector = next(v for k, v in schema.items() if k == CONF_ALBUMS)
    # The picked album is kept (by its id) so that saving doesn't drop it.
    assert albums_selector.config["options"] == [{"value": album_id, "label": album_id}]
    immich_server.clear_faults()
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_ALBUMS: [album_id], CONF_FRAME_INTERVAL: 5, CONF_LOW_DISK_THRESHOLD: 15},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mock_config_entry.options[CONF_ALBUMS] == [album_id]
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_options_key_without_album_read(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Offer no albums, and ask for none, when the key may not read them."""
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("user.read", "person.read")
    )
    immich_server.state.add_album(immich_server.admin_id, "Holidays")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: key}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    immich_server.requests.clear()
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert not result["errors"]
    schema = result["data_schema"].schema
    albums_selector = next(v for k, v in schema.items() if k == CONF_ALBUMS)
    assert albums_selector.config["options"] == []
    assert "getAllAlbums" not in {r.operation_id for r in immich_server.requests}


async def test_options_not_loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Abort the options of an entry that isn't loaded."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_options_people_unreadable(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Still show the options when people can't be listed."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    immich_server.set_fault("getAllPeople", status=500)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM


async def test_options_key_without_people(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Offer no people when the key may not read them."""
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("user.read", "album.read")
    )
    immich_server.state.add_person(immich_server.admin_id, "Grandma")
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: key}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    immich_server.requests.clear()
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    schema = result["data_schema"].schema
    frames_selector = next(v for k, v in schema.items() if k == CONF_FRAMES)
    assert [o["value"] for o in frames_selector.config["options"]] == [
        "library",
        "favorites",
        "memories",
    ]
    # Only the albums are listed (owned and shared); people are never asked for.
    assert [r.operation_id for r in immich_server.requests] == ["getAllAlbums"] * 2
