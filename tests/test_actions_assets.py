"""Tests for the asset actions (update, delete, retention, restore, empty trash)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import UNKNOWN_ID, action_fails, call_action as _call
from tests.fake_immich import FakeImmich
from tests.services.platforms import async_setup_stand_ins

LATEST = "image.immich_admin_latest_upload"


def _ago(days: float) -> datetime:
    """Return a moment some days ago."""
    return datetime.now(UTC) - timedelta(days=days)


# ----------------------------------------------------------------- update_assets


async def test_update_assets_by_id(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Every field lands on every named asset in one request."""
    state, owner = immich_server.state, immich_server.admin_id
    first, second = (state.add_asset(owner) for _ in range(2))
    immich_server.requests.clear()
    result = await _call(
        hass,
        entry,
        "update_assets",
        asset_id=[first, second, first],
        favorite=True,
        rating=4,
        visibility="archive",
        description="Garden",
        date_time="2020-05-01T12:30:00+02:00",
        latitude=52.52,
        longitude=13.405,
    )
    assert result == {
        "asset_ids": [first, second],
        "changes": {
            "favorite": True,
            "rating": 4,
            "visibility": "archive",
            "description": "Garden",
            "date_time": "2020-05-01T12:30:00+02:00",
            "latitude": 52.52,
            "longitude": 13.405,
        },
    }
    assert [r.operation_id for r in immich_server.requests].count("updateAssets") == 1
    for asset_id in (first, second):
        asset = state.assets[asset_id]
        assert asset.is_favorite
        assert asset.rating == 4
        assert asset.visibility == "archive"
        assert asset.description == "Garden"
        assert asset.file_created_at == datetime(2020, 5, 1, 10, 30, tzinfo=UTC)
        assert (asset.latitude, asset.longitude) == (52.52, 13.405)

    # 0 clears the rating; a date without a zone is Home Assistant's (UTC in tests).
    await hass.config.async_set_time_zone("Europe/Berlin")
    result = await _call(
        hass,
        entry,
        "update_assets",
        asset_id=first,
        rating=0,
        date_time="2021-01-01 08:00:00",
    )
    assert result["changes"]["date_time"] == "2021-01-01T08:00:00+01:00"
    assert state.assets[first].rating is None
    assert state.assets[first].file_created_at == datetime(2021, 1, 1, 7, tzinfo=UTC)


async def test_update_the_photo_an_image_shows(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """The latest-upload image's current photo is the one changed."""
    immich_server.state.add_asset(immich_server.admin_id)
    entry = mock_config_entry
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(LATEST)
    assert state is not None
    shown = state.attributes["asset_id"]
    result = await _call(
        hass, entry, "update_assets", image_entity_id=LATEST, favorite=True
    )
    assert result["asset_ids"] == [shown]
    assert immich_server.state.assets[shown].is_favorite


async def test_locked_assets_leave_albums_and_the_key(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Locking works once; the key can't see (or unlock) the photo afterwards."""
    state, owner = immich_server.state, immich_server.admin_id
    asset_id = state.add_asset(owner)
    album_id = state.add_album(owner, "Locked away", asset_ids=[asset_id])
    await _call(hass, entry, "update_assets", asset_id=asset_id, visibility="locked")
    assert state.assets[asset_id].visibility == "locked"
    assert state.albums[album_id].asset_ids == []
    await action_fails(
        hass,
        entry,
        "update_assets",
        ServiceValidationError,
        "asset_not_found",
        asset_id=asset_id,
        visibility="timeline",
    )


async def test_update_assets_refused(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Caller mistakes are translated validation errors; nothing changes."""
    state = immich_server.state
    mine = state.add_asset(immich_server.admin_id)
    theirs = state.add_asset(immich_server.user_id)
    shared = state.add_album(immich_server.user_id, "Theirs", asset_ids=[theirs])
    state.albums[shared].users[immich_server.admin_id] = "editor"
    await async_setup_stand_ins(hass, state.next_jpeg("camera"))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("asset_target_required", {"favorite": True}),
        ("no_asset_change", {"asset_id": mine}),
        ("asset_not_found", {"asset_id": UNKNOWN_ID, "favorite": True}),
        ("asset_not_owned", {"asset_id": [mine, theirs], "favorite": True}),
        ("not_an_immich_image", {"image_entity_id": "image.doorbell", "rating": 1}),
        ("not_an_immich_image", {"image_entity_id": "image.nowhere", "rating": 1}),
        ("invalid_action_data", {"asset_id": mine, "latitude": 1}),
        ("invalid_action_data", {"asset_id": mine, "rating": 6}),
        ("invalid_action_data", {"asset_id": mine, "latitude": 91, "longitude": 0}),
        ("invalid_action_data", {"asset_id": mine, "latitude": True, "longitude": 0}),
        ("invalid_action_data", {"asset_id": mine, "latitude": "x", "longitude": 0}),
        ("invalid_action_data", {"asset_id": mine, "latitude": "nan", "longitude": 0}),
        ("invalid_action_data", {"asset_id": mine, "visibility": "public"}),
        ("invalid_action_data", {"asset_id": "not-an-id", "favorite": True}),
        ("invalid_action_data", {"image_entity_id": "light.x", "favorite": True}),
    ]
    for key, data in cases:
        await action_fails(
            hass, entry, "update_assets", ServiceValidationError, key, **data
        )
    assert not state.assets[mine].is_favorite
    assert not state.assets[theirs].is_favorite

    # One of our images that shows nothing (yet).
    hass.states.async_set(LATEST, "unavailable", {})
    await action_fails(
        hass,
        entry,
        "update_assets",
        ServiceValidationError,
        "image_no_asset",
        image_entity_id=LATEST,
        favorite=True,
    )


# ----------------------------------------------------------------- delete_assets


async def test_delete_assets_by_id(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """To the trash by default, for good with force; a dry run changes nothing."""
    state, owner = immich_server.state, immich_server.admin_id
    first, second = (state.add_asset(owner) for _ in range(2))
    dry = await _call(
        hass, entry, "delete_assets", asset_id=[first, second], dry_run=True
    )
    assert dry["asset_ids"] == [first, second]
    assert (dry["matched"], dry["count"], dry["remaining"]) == (2, 2, 0)
    assert dry["album_id"] is None
    assert not state.assets[first].is_trashed

    result = await _call(hass, entry, "delete_assets", asset_id=first)
    assert result["asset_ids"] == [first]
    assert result["force"] is False
    assert result["assets"][0]["asset_id"] == first
    assert state.assets[first].is_trashed

    await _call(hass, entry, "delete_assets", asset_id=second, force=True)
    assert second not in state.assets


async def test_delete_assets_refused(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Unknown, others' or too many ids, and odd combinations are refused."""
    state = immich_server.state
    mine = [state.add_asset(immich_server.admin_id) for _ in range(3)]
    theirs = state.add_asset(immich_server.user_id)
    shared = state.add_album(immich_server.user_id, "Theirs", asset_ids=[theirs])
    state.albums[shared].users[immich_server.admin_id] = "editor"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("delete_target_required", {}),
        ("delete_target_required", {"asset_id": []}),
        ("asset_not_found", {"asset_id": UNKNOWN_ID}),
        ("asset_not_owned", {"asset_id": [mine[0], theirs]}),
        ("too_many_assets", {"asset_id": mine, "max_assets": 2}),
        ("older_than_needs_album", {"asset_id": mine[0], "older_than": "01:00:00"}),
        ("older_than_required", {"album": "Theirs"}),
        ("invalid_action_data", {"asset_id": mine[0], "album": "Theirs"}),
        ("invalid_action_data", {"asset_id": mine[0], "max_assets": 0}),
        ("invalid_action_data", {"album": "Theirs", "older_than": -5}),
    ]
    for key, data in cases:
        await action_fails(
            hass, entry, "delete_assets", ServiceValidationError, key, **data
        )
    assert not any(state.assets[asset_id].is_trashed for asset_id in [*mine, theirs])


async def test_retention_in_a_shared_album(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Only own photos taken before the limit go, oldest first, at most max_assets."""
    state, me, alice = (
        immich_server.state,
        immich_server.admin_id,
        immich_server.user_id,
    )
    old = [state.add_asset(me, taken_at=_ago(days)) for days in (30, 10, 20)]
    new = state.add_asset(me, taken_at=_ago(2))
    hers = state.add_asset(alice, taken_at=_ago(40))
    trashed = state.add_asset(me, taken_at=_ago(50))
    album_id = state.add_album(alice, "Doorbell", asset_ids=[*old, new, hers, trashed])
    state.albums[album_id].users[me] = "editor"
    state.assets[trashed].is_trashed = True

    dry = await _call(
        hass,
        entry,
        "delete_assets",
        album="doorbell",
        older_than={"days": 7},
        max_assets=2,
        dry_run=True,
    )
    assert dry["album_id"] == album_id
    assert dry["asset_ids"] == [old[0], old[2]]  # the oldest first
    assert (dry["matched"], dry["count"], dry["remaining"]) == (3, 2, 1)
    assert dry["not_owned"] == [hers]
    assert datetime.fromisoformat(dry["taken_before"]) < _ago(7) + timedelta(minutes=1)
    assert not any(state.assets[a].is_trashed for a in old)

    first = await _call(
        hass,
        entry,
        "delete_assets",
        album=album_id,
        older_than="168:00:00",
        max_assets=2,
    )
    assert first["asset_ids"] == [old[0], old[2]]
    second = await _call(
        hass,
        entry,
        "delete_assets",
        album=album_id,
        older_than="168:00:00",
        max_assets=2,
    )
    assert (second["asset_ids"], second["remaining"]) == ([old[1]], 0)
    assert all(state.assets[a].is_trashed for a in old)
    assert not state.assets[new].is_trashed
    assert not state.assets[hers].is_trashed

    nothing = await _call(
        hass, entry, "delete_assets", album=album_id, older_than={"days": 7}
    )
    assert (nothing["matched"], nothing["count"], nothing["asset_ids"]) == (0, 0, [])


async def test_retention_refused_in_a_view_only_album(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """An album shared to view only is refused before anything is read or deleted."""
    state, me = immich_server.state, immich_server.admin_id
    mine = state.add_asset(me, taken_at=_ago(30))
    album_id = state.add_album(immich_server.user_id, "Look only", asset_ids=[mine])
    state.albums[album_id].users[me] = "viewer"
    for ref in ("Look only", album_id):
        await action_fails(
            hass,
            entry,
            "delete_assets",
            ServiceValidationError,
            "album_read_only",
            album=ref,
            older_than={"days": 1},
        )
    await action_fails(
        hass,
        entry,
        "delete_assets",
        ServiceValidationError,
        "album_not_found",
        album="No such album",
        older_than={"days": 1},
    )
    assert not state.assets[mine].is_trashed


# ------------------------------------------------------- restore_assets, empty_trash


async def test_restore_and_empty_trash(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Restore reports what wasn't in the trash; emptying counts what went."""
    state, me = immich_server.state, immich_server.admin_id
    kept, back, gone = (state.add_asset(me) for _ in range(3))
    await _call(hass, entry, "delete_assets", asset_id=[back, gone])
    result = await _call(hass, entry, "restore_assets", asset_id=[back, kept])
    assert result == {"count": 1, "restored": [back], "not_in_trash": [kept]}
    assert not state.assets[back].is_trashed

    immich_server.requests.clear()
    nothing = await _call(hass, entry, "restore_assets", asset_id=kept)
    assert nothing["count"] == 0
    assert "restoreAssets" not in {r.operation_id for r in immich_server.requests}

    assert await _call(hass, entry, "empty_trash") == {"count": 1}
    assert gone not in state.assets
    assert {kept, back} <= set(state.assets)
    assert await _call(hass, entry, "empty_trash") == {"count": 0}
    assert await _call(hass, entry, "empty_trash", response=False) is None


async def test_restore_refused(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Unknown and other users' assets are refused; an id list is required."""
    state = immich_server.state
    theirs = state.add_asset(immich_server.user_id)
    shared = state.add_album(immich_server.user_id, "Theirs", asset_ids=[theirs])
    state.albums[shared].users[immich_server.admin_id] = "viewer"
    for key, data in (
        ("asset_not_found", {"asset_id": UNKNOWN_ID}),
        ("asset_not_owned", {"asset_id": theirs}),
        ("invalid_action_data", {}),
        ("invalid_action_data", {"asset_id": []}),
    ):
        await action_fails(
            hass, entry, "restore_assets", ServiceValidationError, key, **data
        )


async def test_missing_permission_is_named(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """A key without asset.delete gets the translated missing_permission error."""
    mine = immich_server.state.add_asset(immich_server.admin_id)
    key = immich_server.state.api_keys[immich_server.admin_key]
    key.permissions = ("asset.read",)
    err = await action_fails(
        hass,
        entry,
        "delete_assets",
        HomeAssistantError,
        "missing_permission",
        asset_id=mine,
    )
    assert err.translation_placeholders == {"permission": "asset.delete"}
    immich_server.state.assets[mine].is_trashed = True
    for action in ("empty_trash", "restore_assets"):
        data = {"asset_id": mine} if action == "restore_assets" else {}
        await action_fails(
            hass, entry, action, HomeAssistantError, "missing_permission", **data
        )


async def test_without_user_read_the_server_decides(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """A key without user.read can't tell its photos from others': Immich refuses."""
    state, me = immich_server.state, immich_server.admin_id
    mine = state.add_asset(me, taken_at=_ago(30))
    theirs = state.add_asset(immich_server.user_id, taken_at=_ago(30))
    album_id = state.add_album(immich_server.user_id, "Both", asset_ids=[mine, theirs])
    state.albums[album_id].users[me] = "editor"
    state.api_keys[immich_server.admin_key].permissions = (
        "asset.read",
        "asset.update",
        "asset.delete",
        "album.read",
    )
    entry = mock_config_entry
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.user is None
    for action, data in (
        ("delete_assets", {"album": album_id, "older_than": {"days": 1}}),
        ("update_assets", {"asset_id": theirs, "favorite": True}),
    ):
        await action_fails(
            hass, entry, action, ServiceValidationError, "assets_of_others", **data
        )
    assert not state.assets[mine].is_trashed
    result = await _call(hass, entry, "delete_assets", asset_id=mine)
    assert result["asset_ids"] == [mine]
    assert state.assets[mine].is_trashed
