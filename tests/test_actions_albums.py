"""Tests for the album, tag and shared link actions against the fake Immich server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from tests.common import (
    LINK_PASSWORD,
    UNKNOWN_ID,
    action_fails,
    call_action as _call,
    scrub as _scrub,
    write_jpeg as _jpeg,
)
from tests.fake_immich import FakeImmich

# ------------------------------------------------------------------------ albums


async def test_album_lifecycle(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create, rename, fill, empty, share and delete an album."""
    state = immich_server.state
    first = state.add_asset(immich_server.admin_id, filename="1.jpg")
    second = state.add_asset(immich_server.admin_id, filename="2.jpg")
    created = await _call(
        hass, entry, "create_album", name="Garden", description="Plants", asset_id=first
    )
    updated = await _call(hass, entry, "update_album", album="Garden", name="Backyard")
    added = await _call(
        hass, entry, "add_to_album", album="Backyard", asset_id=[first, second]
    )
    removed = await _call(
        hass, entry, "remove_from_album", album=created["album_id"], asset_id=[first]
    )
    shared = await _call(
        hass,
        entry,
        "share_album",
        album="Backyard",
        users=["ALICE@example.com"],
        role="editor",
    )
    again = await _call(
        hass, entry, "share_album", album="Backyard", users=[immich_server.user_id]
    )
    responses = {
        "create_album": created,
        "update_album": updated,
        "add_to_album": added,
        "remove_from_album": removed,
        "share_album": shared,
        "share_album_again": again,
    }
    assert _scrub(responses, immich_server) == snapshot
    album = state.albums[created["album_id"]]
    assert (album.name, album.description) == ("Backyard", "Plants")
    assert album.asset_ids == [second]
    assert album.users == {immich_server.user_id: "editor"}
    assert (
        await _call(hass, entry, "delete_album", response=False, album="Backyard")
        is None
    )
    assert state.albums == {}


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("update_album", {"album": "Nope", "name": "X"}, "album_not_found"),
        ("update_album", {"album": "Twin", "name": "X"}, "album_ambiguous"),
        ("update_album", {"album": "Solo"}, "nothing_to_update"),
        ("delete_album", {"album": UNKNOWN_ID}, "album_not_found"),
        ("add_to_album", {"album": "Solo", "asset_id": UNKNOWN_ID}, "asset_not_found"),
        (
            "remove_from_album",
            {"album": "Nope", "asset_id": UNKNOWN_ID},
            "album_not_found",
        ),
        ("create_album", {"name": "New", "asset_id": UNKNOWN_ID}, "asset_not_found"),
        (
            "share_album",
            {"album": "Solo", "users": "bob@example.com"},
            "user_not_found",
        ),
    ],
)
async def test_album_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse unknown albums, assets and users, and ambiguous names."""
    state = immich_server.state
    state.add_album(immich_server.admin_id, "Solo")
    state.add_album(immich_server.admin_id, "Twin")
    state.add_album(immich_server.admin_id, "Twin")
    state.add_album(immich_server.user_id, "Twin")
    await action_fails(hass, entry, action, ServiceValidationError, key, **data)


async def test_album_name_prefers_own_album(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Pick the caller's own album when a shared album has the same name."""
    state = immich_server.state
    theirs = state.add_album(immich_server.user_id, "Shared")
    state.albums[theirs].users[immich_server.admin_id] = "viewer"
    mine = state.add_album(immich_server.admin_id, "Shared")
    result = await _call(hass, entry, "update_album", album="Shared", name="Mine")
    assert result["album_id"] == mine
    assert state.albums[theirs].name == "Shared"


async def test_album_shared_with_me(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Albums others share work by name and id; as a viewer, nothing may change."""
    state = immich_server.state
    editor = state.add_album(immich_server.user_id, "Theirs")
    state.albums[editor].users[immich_server.admin_id] = "editor"
    viewer = state.add_album(immich_server.user_id, "Look only")
    state.albums[viewer].users[immich_server.admin_id] = "viewer"
    state.add_user("Carol", "carol@example.com")
    mine = state.add_asset(immich_server.admin_id)
    for ref in ("Theirs", editor):
        result = await _call(hass, entry, "add_to_album", album=ref, asset_id=mine)
        assert result["album_id"] == editor
    photo = _jpeg(immich_server, allowed, "p.jpg")
    result = await _call(hass, entry, "upload", file_path=str(photo), album="theirs")
    assert result["album_id"] == editor
    assert len(state.albums[editor].asset_ids) == 2
    assert [album.name for album in state.albums.values()].count("Theirs") == 1

    before = len(state.assets)
    for action, data in (
        ("add_to_album", {"asset_id": mine}),
        ("remove_from_album", {"asset_id": mine}),
        ("update_album", {"description": "mine now"}),
        ("upload", {"file_path": str(photo)}),
        ("sync_folder", {"folder": str(allowed)}),
        ("sync_folder", {"folder": str(allowed), "dry_run": True}),
        ("share_album", {"users": "carol@example.com"}),
    ):
        for ref in ("Look only", viewer):
            await action_fails(
                hass,
                entry,
                action,
                ServiceValidationError,
                "album_read_only",
                album=ref,
                **data,
            )
    assert len(state.assets) == before
    assert state.albums[viewer].asset_ids == []
    await action_fails(
        hass,
        entry,
        "delete_album",
        ServiceValidationError,
        "album_not_owner",
        album="Theirs",
    )
    assert editor in state.albums


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("create_tag", {"name": "X"}),
        ("tag_assets", {"tags": "X", "asset_id": "{asset}"}),
    ],
)
async def test_tag_missing_from_server_answer(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, str],
) -> None:
    """Fail with server_error when Immich doesn't return the tag it should create."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    immich_server.set_fault("upsertTags", body=b"[]")
    filled = {name: value.format(asset=asset_id) for name, value in data.items()}
    await action_fails(
        hass, entry, action, HomeAssistantError, "server_error", **filled
    )


async def test_remove_assets_not_in_album(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Report assets that weren't in the album instead of failing."""
    immich_server.state.add_album(immich_server.admin_id, "Empty")
    result = await _call(
        hass, entry, "remove_from_album", album="Empty", asset_id=UNKNOWN_ID
    )
    assert result["removed"] == []
    assert result["not_in_album"] == [UNKNOWN_ID]


# -------------------------------------------------------------------------- tags


async def test_tags(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create a tag, tag assets (creating a missing tag) and untag them."""
    state = immich_server.state
    asset_id = state.add_asset(immich_server.admin_id, filename="t.jpg")
    created = await _call(hass, entry, "create_tag", name="/Home/Garden/")
    tagged = await _call(
        hass, entry, "tag_assets", tags=["home/garden", "Birds"], asset_id=asset_id
    )
    untagged = await _call(
        hass, entry, "untag_assets", tags=[created["tag_id"]], asset_id=asset_id
    )
    responses = {"create": created, "tag": tagged, "untag": untagged}
    assert _scrub(responses, immich_server) == snapshot
    values = {t.value for t in state.tags.values() if asset_id in t.asset_ids}
    assert values == {"Birds"}


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("untag_assets", {"tags": "Nope", "asset_id": "{asset}"}, "tag_not_found"),
        ("untag_assets", {"tags": UNKNOWN_ID, "asset_id": "{asset}"}, "tag_not_found"),
        ("tag_assets", {"tags": "X", "asset_id": UNKNOWN_ID}, "asset_not_found"),
    ],
)
async def test_tags_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, str],
    key: str,
) -> None:
    """Refuse unknown tags and assets."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    filled = {name: value.format(asset=asset_id) for name, value in data.items()}
    await action_fails(hass, entry, action, ServiceValidationError, key, **filled)


# ------------------------------------------------------------------ shared links


async def test_shared_links(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Share an album and assets by link; return the public URL; delete a link."""
    state = immich_server.state
    state.external_domain = "https://photos.example.com/"
    album_id = state.add_album(immich_server.admin_id, "Party")
    asset_id = state.add_asset(immich_server.admin_id)
    album_link = await _call(
        hass,
        entry,
        "create_shared_link",
        album="Party",
        expires_in={"days": 7},
        password=LINK_PASSWORD,
        allow_upload=True,
        description="For the guests",
    )
    link = state.shared_links[album_link["link_id"]]
    assert album_link["url"] == f"https://photos.example.com/share/{link.key}"
    assert link.album_id == album_id
    assert link.password == LINK_PASSWORD
    assert link.allow_upload
    assert link.expires_at is not None
    assert timedelta(days=6) < link.expires_at - datetime.now(UTC) <= timedelta(days=7)
    asset_link = await _call(
        hass,
        entry,
        "create_shared_link",
        asset_id=asset_id,
        expires_at="2099-01-01 12:00:00",
        allow_download=False,
        show_metadata=False,
    )
    assert state.shared_links[asset_link["link_id"]].asset_ids == [asset_id]
    scrubbed = _scrub([album_link, asset_link], immich_server)
    for item in scrubbed:
        item["url"] = item["url"].rsplit("/", 1)[0]
        item["expires_at"] = item["expires_at"] is not None
    assert scrubbed == snapshot
    await _call(
        hass, entry, "delete_shared_link", response=False, link_id=album_link["link_id"]
    )
    assert list(state.shared_links) == [asset_link["link_id"]]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "shared_link_target_required"),
        ({"album": "Nope"}, "album_not_found"),
        ({"asset_id": UNKNOWN_ID}, "asset_not_found"),
        ({"album": "Party", "expires_at": "2001-01-01 00:00:00"}, "expiry_in_past"),
    ],
)
async def test_shared_link_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse links without a target, to unknown things or expiring in the past."""
    immich_server.state.add_album(immich_server.admin_id, "Party")
    await action_fails(
        hass, entry, "create_shared_link", ServiceValidationError, key, **data
    )


async def test_delete_unknown_shared_link(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Refuse to delete a link that doesn't exist."""
    await action_fails(
        hass,
        entry,
        "delete_shared_link",
        ServiceValidationError,
        "shared_link_not_found",
        link_id=UNKNOWN_ID,
    )


async def test_tag_assets_changed_are_owned_assets_that_lacked_a_tag(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """One request tags them all; an asset that had every tag, or a partner's, is
    not changed (the server answers only a count)."""
    state = immich_server.state
    fresh = state.add_asset(immich_server.admin_id, filename="fresh.jpg")
    done = state.add_asset(immich_server.admin_id, filename="done.jpg")
    partner = state.add_user("Partner", email="partner@example.com")
    state.add_partner(partner, immich_server.admin_id)
    theirs = state.add_asset(partner, filename="theirs.jpg")
    await _call(hass, entry, "tag_assets", tags=["Sea", "Sun"], asset_id=done)
    response = await _call(
        hass, entry, "tag_assets", tags=["sea", "sun"], asset_id=[fresh, done, theirs]
    )
    assert response["changed"] == [fresh]
    for asset_id in (fresh, done):
        values = {t.value for t in state.tags.values() if asset_id in t.asset_ids}
        assert values == {"Sea", "Sun"}
    assert not any(theirs in t.asset_ids for t in state.tags.values())
