"""Tests for the photo frame and latest upload image entities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
import itertools
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge import frames
from custom_components.immich_bridge.api import ImmichClient, image_content_type
from custom_components.immich_bridge.const import (
    CONF_FRAME_INTERVAL,
    CONF_FRAME_VIDEOS,
    CONF_FRAMES,
    DOMAIN,
)
from custom_components.immich_bridge.frames import DRAW_BATCH, FrameKind, FrameSource
from tests.common import make_entry
from tests.fake_immich import FakeImmich

INTERVAL = timedelta(minutes=3)


@pytest.fixture
def album(immich_server: FakeImmich) -> tuple[str, list[str]]:
    """Create an album of three photos (and a video, which frames skip)."""
    state, owner = immich_server.state, immich_server.admin_id
    photos = [
        state.add_asset(
            owner,
            filename=f"p{index}.jpg",
            taken_at=datetime(2020, 5, index + 1, 12, tzinfo=UTC),
            city="Oslo",
            country="Norway",
        )
        for index in range(3)
    ]
    video = state.add_asset(owner, filename="v.mp4", asset_type="VIDEO", data=b"v")
    return state.add_album(owner, "Trips", asset_ids=[*photos, video]), photos


async def _setup(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    platforms: tuple[Platform, ...] = (Platform.IMAGE, Platform.BUTTON),
) -> None:
    """Set up the entry with the image and button platforms."""
    entry.add_to_hass(hass)
    with patch("custom_components.immich_bridge.PLATFORMS", list(platforms)):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)


def _entity_id(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    """Return the entity id of a unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


async def _album_frame(
    hass: HomeAssistant, server: FakeImmich, album_id: str
) -> tuple[MockConfigEntry, str]:
    """Set up an entry with a slideshow of one album; return it and the image entity."""
    entry = make_entry(server, options={CONF_FRAMES: [f"album:{album_id}"]})
    await _setup(hass, entry)
    return entry, _entity_id(hass, "image", f"{entry.unique_id}_frame_album_{album_id}")


def _shown(hass: HomeAssistant, entity_id: str) -> str:
    """Return the asset id an image shows."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.attributes["asset_id"]


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one frame interval pass."""
    freezer.tick(INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


UUID = "0b5c2a3e-3f1d-4c39-9a4e-5d6f7a8b9c0d"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("library", FrameSource(kind=FrameKind.LIBRARY)),
        ("memories", FrameSource(kind=FrameKind.MEMORIES)),
        (f"album:{UUID}", FrameSource(kind=FrameKind.ALBUM, value=UUID)),
        (f"person: {UUID} ", FrameSource(kind=FrameKind.PERSON, value=UUID)),
        ("search:a:b", FrameSource(kind=FrameKind.SEARCH, value="a:b")),
        ("album:Trips", None),
        ("favorites:x", None),
        ("search: ", None),
        ("Album:" + UUID, None),
        ("nonsense", None),
    ],
)
def test_frame_source_parse_and_format(
    option: str, expected: FrameSource | None
) -> None:
    """Parse the options into one type; format gives back the option, trimmed."""
    source = FrameSource.parse(option)
    assert source == expected
    if source is not None:
        assert FrameSource.parse(source.option) == source
        assert isinstance(source.option, str)
        assert type(source.key) is str


async def test_frame_rotates_without_repeats(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    album: tuple[str, list[str]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each interval shows another photo; all are shown before one repeats."""
    album_id, photos = album
    entry = make_entry(
        immich_server,
        options={CONF_FRAMES: [f"album:{album_id}"], CONF_FRAME_INTERVAL: 3},
    )
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_frame_album_{album_id}")
    assert entity_id == "image.immich_admin_trips_slideshow"

    shown = [_shown(hass, entity_id)]
    for _ in range(2):
        await _tick(hass, freezer)
        shown.append(_shown(hass, entity_id))
    assert sorted(shown) == sorted(photos)  # three draws, three different photos

    await _tick(hass, freezer)
    fourth = _shown(hass, entity_id)
    assert fourth in photos
    assert fourth != shown[-1]  # a new round never starts with the photo on screen

    # The next draw is scheduled a full interval later, not sooner.
    freezer.tick(INTERVAL - timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _shown(hass, entity_id) == fourth


async def test_album_frame_needs_only_its_album(
    hass: HomeAssistant, immich_server: FakeImmich, album: tuple[str, list[str]]
) -> None:
    """An album frame has the albums listed for its name; only its album is kept."""
    album_id, _ = album
    immich_server.state.add_album(immich_server.admin_id, "Other")
    entry = make_entry(immich_server, options={CONF_FRAMES: [f"album:{album_id}"]})
    await _setup(hass, entry)
    assert set(entry.runtime_data.server.data.albums or {}) == {album_id}
    assert entry.runtime_data.photos is not None
    assert entry.runtime_data.photos.names == {
        FrameSource(kind=FrameKind.ALBUM, value=album_id): "Trips"
    }
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_frame_album_{album_id}")
    assert entity_id == "image.immich_admin_trips_slideshow"


@pytest.mark.usefixtures("album")
async def test_frames_without_album_list_no_albums(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Frames of other sources, or a bad album option, make the poll list no albums."""
    entry = make_entry(
        immich_server,
        options={CONF_FRAMES: ["favorites", "memories", "album:not-a-uuid"]},
    )
    await _setup(hass, entry)
    assert entry.runtime_data.server.data.albums == {}
    assert "getAllAlbums" not in {r.operation_id for r in immich_server.requests}


async def test_frame_attributes_and_image_bytes(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    album: tuple[str, list[str]],
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    """The frame shows date and place, and fetches the preview once per photo."""
    album_id, _ = album
    _entry, entity_id = await _album_frame(hass, immich_server, album_id)
    state = hass.states.get(entity_id)
    asset = immich_server.state.assets[state.attributes["asset_id"]]
    assert state.attributes["city"] == "Oslo"
    assert state.attributes["country"] == "Norway"
    assert state.attributes["taken_at"].startswith(asset.taken_at.date().isoformat())
    assert state.attributes["file_name"] == asset.filename
    assert immich_server.admin_key not in str(state.attributes)

    client = await hass_client()
    immich_server.requests.clear()
    for _ in range(2):
        response = await client.get(state.attributes["entity_picture"])
        assert response.status == HTTPStatus.OK
        assert response.content_type == "image/jpeg"
        assert await response.read() == asset.data
    views = [r for r in immich_server.requests if r.operation_id == "viewAsset"]
    assert len(views) == 1  # cached while the photo is shown

    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    new_state = hass.states.get(entity_id)
    assert new_state.state != state.state  # the image's last-updated moved on
    response = await client.get(new_state.attributes["entity_picture"])
    assert await response.read() == (
        immich_server.state.assets[new_state.attributes["asset_id"]].data
    )


async def test_next_image_action_and_button(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    album: tuple[str, list[str]],
) -> None:
    """The next_image action and the button advance a frame at once."""
    album_id, photos = album
    entry, image = await _album_frame(hass, immich_server, album_id)
    button = _entity_id(
        hass, "button", f"{entry.unique_id}_next_image_album_{album_id}"
    )
    assert button == "button.immich_admin_trips_slideshow_next_photo"

    first = _shown(hass, image)
    await hass.services.async_call(
        DOMAIN, "next_image", {ATTR_ENTITY_ID: image}, blocking=True
    )
    second = _shown(hass, image)
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )
    third = _shown(hass, image)
    assert sorted([first, second, third]) == sorted(photos)

    immich_server.set_fault("getTimeBuckets", status=HTTPStatus.INTERNAL_SERVER_ERROR)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "next_image", {ATTR_ENTITY_ID: image}, blocking=True
        )
    assert err.value.translation_key == "next_image_failed"
    assert hass.states.get(image).state == STATE_UNAVAILABLE


async def test_sources(
    hass: HomeAssistant,
    immich_server: FakeImmich,
) -> None:
    """Person, favorites, memories and search frames pick from their source."""
    state, owner = immich_server.state, immich_server.admin_id
    anna = state.add_person(owner, "Anna")
    beach = state.add_asset(owner, filename="b.jpg", description="beach day")
    favorite = state.add_asset(owner, filename="f.jpg", favorite=True)
    remembered = state.add_asset(owner, filename="m.jpg")
    state.assets[beach].person_ids.append(anna)
    state.add_memory(owner, 2019, [remembered])
    entry = make_entry(
        immich_server,
        options={
            CONF_FRAMES: [
                f"person:{anna}",
                "favorites",
                "memories",
                "search:beach",
                "search:BEACH",  # the same query once
                "album:not-a-uuid",  # ignored
                "nonsense",  # ignored
            ]
        },
    )
    await _setup(hass, entry)
    uid = entry.unique_id
    search_key = FrameSource.parse("search:beach").key
    expected = {
        f"{uid}_frame_person_{anna}": (
            "image.immich_admin_anna_slideshow",
            beach,
        ),
        f"{uid}_frame_favorites": (
            "image.immich_admin_favorites_slideshow",
            favorite,
        ),
        f"{uid}_frame_memories": (
            "image.immich_admin_on_this_day_slideshow",
            remembered,
        ),
        f"{uid}_frame_{search_key}": ("image.immich_admin_beach_slideshow", beach),
    }
    for unique_id, (entity_id, asset_id) in expected.items():
        assert _entity_id(hass, "image", unique_id) == entity_id
        assert _shown(hass, entity_id) == asset_id
    frames = [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "image" and "_frame_" in e.unique_id
    ]
    assert len(frames) == 4


async def _next_images(hass: HomeAssistant, entity_id: str, times: int) -> list[str]:
    """Show the next photo `times` times; return all shown, the first included."""
    shown = [_shown(hass, entity_id)]
    for _ in range(times):
        await hass.services.async_call(
            DOMAIN, "next_image", {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
        shown.append(_shown(hass, entity_id))
    return shown


async def test_library_frame(hass: HomeAssistant, immich_server: FakeImmich) -> None:
    """The whole library shows the user's and timeline partners' photos, no videos."""
    state, me, partner = (
        immich_server.state,
        immich_server.admin_id,
        immich_server.user_id,
    )
    mine = [state.add_asset(me, filename=f"m{index}.jpg") for index in range(3)]
    theirs = state.add_asset(partner, filename="theirs.jpg")
    state.add_partner(partner, me, in_timeline=True)
    state.add_asset(me, filename="clip.mp4", asset_type="VIDEO", data=b"v")
    archived = state.add_asset(me, filename="archived.jpg")
    state.assets[archived].visibility = "archive"
    entry = make_entry(immich_server, options={CONF_FRAMES: ["library"]})
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_frame_library")
    assert entity_id == "image.immich_admin_library_slideshow"
    assert (
        _entity_id(hass, "button", f"{entry.unique_id}_next_image_library")
        == "button.immich_admin_library_slideshow_next_photo"
    )
    shown = await _next_images(hass, entity_id, 3)
    assert sorted(shown) == sorted([*mine, theirs])  # a round without repeats
    assert immich_server.requests[-1].operation_id == "searchRandom"


async def test_videos_opt_in(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    hass_client: ClientSessionGenerator,
) -> None:
    """With videos on, every kind of source shows videos too, as their preview."""
    state, me = immich_server.state, immich_server.admin_id
    photo = state.add_asset(me, filename="p.jpg", favorite=True, description="sea")
    clip = state.add_asset(
        me,
        filename="clip.mp4",
        asset_type="VIDEO",
        data=b"v",
        favorite=True,
        description="sea",
    )
    state.add_asset(me, filename="song.mp3", asset_type="AUDIO", data=b"a")
    album_id = state.add_album(me, "Both", asset_ids=[photo, clip])
    state.add_memory(me, 2019, [photo, clip])
    sources = ["library", "favorites", "memories", "search:sea", f"album:{album_id}"]
    entry = make_entry(
        immich_server, options={CONF_FRAMES: sources, CONF_FRAME_VIDEOS: True}
    )
    await _setup(hass, entry)
    client = await hass_client()
    for source in sources:
        key = FrameSource.parse(source).key
        entity_id = _entity_id(hass, "image", f"{entry.unique_id}_frame_{key}")
        shown = await _next_images(hass, entity_id, 3)
        assert set(shown) == {photo, clip}, source
        if _shown(hass, entity_id) != clip:
            await _next_images(hass, entity_id, 1)
        assert _shown(hass, entity_id) == clip
        state_of = hass.states.get(entity_id)
        response = await client.get(state_of.attributes["entity_picture"])
        assert response.status == HTTPStatus.OK
        assert response.content_type == "image/jpeg"  # the video's preview picture
        assert (await response.read()).startswith(b"\xff\xd8")


async def test_empty_source_is_unavailable(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """A frame whose source has no photos is unavailable."""
    empty = immich_server.state.add_album(immich_server.admin_id, "Empty")
    entry = make_entry(immich_server, options={CONF_FRAMES: [f"album:{empty}"]})
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_frame_album_{empty}")
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE


async def test_album_frame_shows_every_members_photos(
    hass: HomeAssistant, immich_server: FakeImmich, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An album shared with the user shows every member's photos, never its videos."""
    state = immich_server.state
    theirs = state.add_asset(immich_server.user_id, filename="theirs.jpg")
    mine = state.add_asset(immich_server.admin_id, filename="mine.jpg")
    clip = state.add_asset(
        immich_server.user_id, filename="clip.mp4", asset_type="VIDEO"
    )
    album_id = state.add_album(
        immich_server.user_id, "Family", asset_ids=[theirs, mine, clip]
    )
    state.albums[album_id].users[immich_server.admin_id] = "viewer"
    monkeypatch.setattr(frames, "MAX_SEEN", 1)  # forget all but the photo shown
    _entry, entity_id = await _album_frame(hass, immich_server, album_id)
    shown = [_shown(hass, entity_id)]
    for _ in range(3):
        await hass.services.async_call(
            DOMAIN, "next_image", {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
        shown.append(_shown(hass, entity_id))
    assert set(shown) == {theirs, mine}
    assert all(a != b for a, b in itertools.pairwise(shown))


async def test_large_source_draws_fresh_photos(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A source bigger than one random batch never repeats within a round."""
    state, owner = immich_server.state, immich_server.admin_id
    for index in range(DRAW_BATCH + 5):
        state.add_asset(owner, filename=f"f{index}.jpg", favorite=True)
    entry = make_entry(immich_server, options={CONF_FRAMES: ["favorites"]})
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_frame_favorites")
    shown = [_shown(hass, entity_id)]
    for _ in range(10):
        await hass.services.async_call(
            DOMAIN, "next_image", {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
        shown.append(_shown(hass, entity_id))
    assert len(set(shown)) == len(shown)


async def test_latest_upload(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The latest upload image follows new uploads and refuses next_image."""
    state, owner = immich_server.state, immich_server.admin_id
    state.add_asset(owner, filename="old.jpg")
    freezer.tick(timedelta(seconds=5))
    newest = state.add_asset(
        owner, filename="new.jpg", taken_at=datetime(2001, 1, 1, tzinfo=UTC)
    )
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_latest_upload")
    assert entity_id == "image.immich_admin_latest_upload"
    assert _shown(hass, entity_id) == newest  # by upload time, not date taken

    freezer.tick(timedelta(seconds=30))
    upload = state.add_asset(owner, filename="upload.jpg")
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _shown(hass, entity_id) == upload

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "next_image", {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
    assert err.value.translation_key == "not_a_frame"


async def test_latest_upload_falls_back_and_survives_restart(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Without recent uploads the newest photo is shown; a restart keeps it."""
    state, owner = immich_server.state, immich_server.admin_id
    freezer.move_to(datetime(2026, 1, 1, tzinfo=UTC))
    old = state.add_asset(owner, filename="old.jpg")
    freezer.move_to(datetime(2026, 6, 1, tzinfo=UTC))
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_latest_upload")
    assert _shown(hass, entity_id) == old

    immich_server.requests.clear()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _shown(hass, entity_id) == old
    assert "getAssetInfo" in {r.operation_id for r in immich_server.requests}


async def test_preview_failure(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    album: tuple[str, list[str]],
    hass_client: ClientSessionGenerator,
) -> None:
    """A preview that fails to load gives no image."""
    album_id, _ = album
    _entry, entity_id = await _album_frame(hass, immich_server, album_id)
    immich_server.set_fault("viewAsset", status=HTTPStatus.INTERNAL_SERVER_ERROR)
    client = await hass_client()
    url = hass.states.get(entity_id).attributes["entity_picture"]
    response = await client.get(url)
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR


async def test_frame_photo_deleted_before_it_is_shown(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    album: tuple[str, list[str]],
    hass_client: ClientSessionGenerator,
) -> None:
    """A frame's photo deleted before its picture is asked for gives way to another."""
    album_id, photos = album
    _entry, entity_id = await _album_frame(hass, immich_server, album_id)
    gone = _shown(hass, entity_id)
    del immich_server.state.assets[gone]
    client = await hass_client()
    response = await client.get(hass.states.get(entity_id).attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    shown = _shown(hass, entity_id)
    assert shown != gone
    assert shown in photos
    assert await response.read() == immich_server.state.assets[shown].data


async def test_key_without_view_permission(
    hass: HomeAssistant, immich_server: FakeImmich, album: tuple[str, list[str]]
) -> None:
    """A key that may not view assets gets no frames and no latest upload."""
    album_id, _ = album
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("user.read", "asset.read", "album.read")
    )
    entry = make_entry(immich_server, options={CONF_FRAMES: [f"album:{album_id}"]})
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=entry.unique_id,
        data={**entry.data, "api_key": key},
        options=entry.options,
    )
    await _setup(hass, entry)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert [e for e in entities if e.domain == "image"] == []
    assert entry.runtime_data.photos is not None
    assert entry.runtime_data.photos.watcher is not None


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
    ],
)
def test_preview_type(data: bytes, mime_type: str) -> None:
    """The preview's type is read from its first bytes (Immich may send WebP)."""
    assert image_content_type(data) == mime_type


async def test_removed_frames_leave(
    hass: HomeAssistant, immich_server: FakeImmich, album: tuple[str, list[str]]
) -> None:
    """A frame taken out of the options loses its image and button."""
    album_id, _ = album
    entry = make_entry(
        immich_server, options={CONF_FRAMES: [f"album:{album_id}", "favorites"]}
    )
    await _setup(hass, entry)
    registry = er.async_get(hass)
    image_uid = f"{entry.unique_id}_frame_album_{album_id}"
    button_uid = f"{entry.unique_id}_next_image_album_{album_id}"
    assert registry.async_get_entity_id("image", DOMAIN, image_uid)
    assert registry.async_get_entity_id("button", DOMAIN, button_uid)

    with patch(
        "custom_components.immich_bridge.PLATFORMS", [Platform.IMAGE, Platform.BUTTON]
    ):
        hass.config_entries.async_update_entry(
            entry, options={CONF_FRAMES: ["favorites"]}
        )
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
    assert registry.async_get_entity_id("image", DOMAIN, image_uid) is None
    assert registry.async_get_entity_id("button", DOMAIN, button_uid) is None
    assert registry.async_get_entity_id(
        "image", DOMAIN, f"{entry.unique_id}_frame_favorites"
    )


async def test_latest_upload_deleted_while_stopped(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """When the stored latest upload is gone after a restart, it is searched again."""
    state, owner = immich_server.state, immich_server.admin_id
    older = state.add_asset(owner, filename="older.jpg")
    freezer.tick(timedelta(seconds=5))
    newest = state.add_asset(owner, filename="newest.jpg")
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_latest_upload")
    assert _shown(hass, entity_id) == newest

    with patch(
        "custom_components.immich_bridge.PLATFORMS", [Platform.IMAGE, Platform.BUTTON]
    ):
        assert await hass.config_entries.async_unload(entry.entry_id)
        del state.assets[newest]
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert _shown(hass, entity_id) == older


async def test_latest_upload_trashed_or_deleted(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    """A trashed latest upload gives way at the next poll; a deleted one at once."""
    state, owner = immich_server.state, immich_server.admin_id
    older = state.add_asset(owner, filename="older.jpg")
    freezer.tick(timedelta(seconds=5))
    newest = state.add_asset(owner, filename="newest.jpg")
    entry = make_entry(immich_server)
    await _setup(hass, entry)
    entity_id = _entity_id(hass, "image", f"{entry.unique_id}_latest_upload")
    assert _shown(hass, entity_id) == newest

    state.assets[newest].is_trashed = True
    await entry.runtime_data.photos.watcher.async_refresh()
    await hass.async_block_till_done()
    assert _shown(hass, entity_id) == older

    freezer.tick(timedelta(seconds=5))
    later = state.add_asset(owner, filename="later.jpg")
    await entry.runtime_data.photos.watcher.async_refresh()
    await hass.async_block_till_done()
    assert _shown(hass, entity_id) == later
    del state.assets[later]  # deleted for good before the next poll
    client = await hass_client()
    response = await client.get(hass.states.get(entity_id).attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    assert await response.read() == state.assets[older].data
    await hass.async_block_till_done()
    assert _shown(hass, entity_id) == older


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_image_snapshot(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Snapshot a frame and the latest upload."""
    freezer.move_to(datetime(2026, 11, 1, 12, tzinfo=UTC))
    state, owner = immich_server_v3.state, immich_server_v3.admin_id
    photo = state.add_asset(owner, filename="one.jpg", city="Oslo", country="Norway")
    album_id = state.add_album(owner, "Cabin", asset_ids=[photo])
    entry = make_entry(immich_server_v3, options={CONF_FRAMES: [f"album:{album_id}"]})
    with patch("homeassistant.components.image._RND.getrandbits", return_value=1):
        await _setup(hass, entry, (Platform.IMAGE,))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_buttons_of_every_kind(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Each slideshow gets its own, distinctly named next-photo button."""
    entry = make_entry(
        immich_server, options={CONF_FRAMES: ["favorites", "memories", "search:cat"]}
    )
    await _setup(hass, entry)
    buttons = sorted(
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "button" and "_next_image_" in e.unique_id
    )
    assert buttons == [
        "button.immich_admin_cat_slideshow_next_photo",
        "button.immich_admin_favorites_slideshow_next_photo",
        "button.immich_admin_on_this_day_slideshow_next_photo",
    ]


async def test_album_deck_reads_changed_months_only(
    immich_server_v3: FakeImmich,
) -> None:
    """An album frame keeps the timeline between draws; a stale pick re-reads it."""
    state = immich_server_v3.state
    owner = immich_server_v3.admin_id
    taken = datetime(2024, 5, 3, tzinfo=UTC)
    first = state.add_asset(owner, taken_at=taken)
    album = state.add_album(owner, "One", asset_ids=[first])
    async with ImmichClient(
        None, immich_server_v3.url, immich_server_v3.admin_key
    ) as client:
        deck = frames.FrameDeck(client, FrameSource(kind=FrameKind.ALBUM, value=album))
        drawn = await deck.draw()
        assert drawn is not None
        assert drawn.id == first
        immich_server_v3.requests.clear()
        assert (again := await deck.draw()) is not None
        assert again.id == first
        calls = [r.operation_id for r in immich_server_v3.requests]
        assert calls == ["getTimeBuckets", "getAssetInfo"]  # the month is known

        # Same month, same count, another photo: the known id is gone.
        second = state.add_asset(owner, taken_at=taken + timedelta(days=1))
        state.albums[album].asset_ids[:] = [second]
        del state.assets[first]
        assert (fresh := await deck.draw()) is not None
        assert fresh.id == second
