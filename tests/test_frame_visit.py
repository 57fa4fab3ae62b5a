"""show_on_frame, and the two blueprints built on our events and slideshows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
)

from custom_components.immich_bridge.const import (
    ALL_PEOPLE,
    CONF_FRAME_INTERVAL,
    CONF_FRAMES,
    CONF_PEOPLE,
    DOMAIN,
)
from custom_components.immich_bridge.watcher import WATCH_INTERVAL
from tests.common import advance, make_entry, setup_platforms, use_blueprint
from tests.fake_immich import FakeImmich
from tests.phone import phone

INTERVAL = timedelta(minutes=3)


def _attributes(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    state = hass.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


async def _show(hass: HomeAssistant, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        DOMAIN, "show_on_frame", {"entity_id": entity_id, **data}, blocking=True
    )


@pytest.fixture
async def frame(
    hass: HomeAssistant, immich_server: FakeImmich
) -> tuple[str, list[str], dict[str, str]]:
    """An album slideshow of two photos; besides: Anna and a memory of today.

    Home Assistant's time zone is UTC here: the fake's memory is shown on today's
    UTC date, and the calendar's day is Home Assistant's local date.
    """
    await hass.config.async_set_time_zone("UTC")
    state, owner = immich_server.state, immich_server.admin_id
    photos = [state.add_asset(owner, filename=f"p{n}.jpg") for n in range(2)]
    album = state.add_album(owner, "Trips", asset_ids=photos)
    anna = state.add_person(owner, "Anna")
    of_anna = state.add_asset(owner, filename="anna.jpg")
    state.assets[of_anna].person_ids.append(anna)
    remembered = state.add_asset(owner, filename="then.jpg")
    state.add_memory(owner, 2019, [remembered])
    entry = make_entry(
        immich_server,
        options={CONF_FRAMES: [f"album:{album}"], CONF_FRAME_INTERVAL: 3},
    )
    await setup_platforms(hass, entry, [Platform.IMAGE, Platform.CALENDAR])
    entity_id = er.async_get(hass).async_get_entity_id(
        "image", DOMAIN, f"{entry.unique_id}_frame_album_{album}"
    )
    assert entity_id is not None
    return entity_id, photos, {"anna": of_anna, "memory": remembered, "album": album}


async def test_show_memories_then_back(
    hass: HomeAssistant,
    frame: tuple[str, list[str], dict[str, str]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """The frame shows the memory for the duration, then its album again."""
    entity_id, photos, ids = frame
    assert _attributes(hass, entity_id)["asset_id"] in photos
    assert "showing" not in _attributes(hass, entity_id)
    start = dt_util.utcnow()

    await _show(hass, entity_id, source="memories", duration={"minutes": 10})
    attributes = _attributes(hass, entity_id)
    assert attributes["asset_id"] == ids["memory"]
    assert attributes["showing"] == "memories"
    until = datetime.fromisoformat(attributes["showing_until"])
    assert until - start >= timedelta(minutes=10)
    assert until - start < timedelta(minutes=10, seconds=5)

    # The interval still turns photos, from the visiting source.
    await advance(hass, freezer, INTERVAL)
    assert _attributes(hass, entity_id)["asset_id"] == ids["memory"]
    await hass.services.async_call(
        DOMAIN, "next_image", {"entity_id": entity_id}, blocking=True
    )
    assert _attributes(hass, entity_id)["asset_id"] == ids["memory"]

    # Over: the album again, on time.
    freezer.move_to(until + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    attributes = _attributes(hass, entity_id)
    assert attributes["asset_id"] in photos
    assert "showing" not in attributes
    await advance(hass, freezer, INTERVAL)
    assert _attributes(hass, entity_id)["asset_id"] in photos


async def test_visit_begun_during_a_draw_wins(
    hass: HomeAssistant,
    frame: tuple[str, list[str], dict[str, str]],
    immich_server: FakeImmich,
) -> None:
    """A draw of the album in flight when a visit begins doesn't replace the visit."""
    entity_id, _photos, ids = frame
    asked = sum(r.operation_id == "getAssetInfo" for r in immich_server.requests)
    immich_server.set_fault("getAssetInfo", delay=1, times=1)
    turning = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "next_image", {"entity_id": entity_id}, blocking=True
        )
    )
    await immich_server.wait_for_request("getAssetInfo", count=asked + 1)

    await _show(hass, entity_id, source="memories", duration={"minutes": 10})
    await turning
    attributes = _attributes(hass, entity_id)
    assert attributes["asset_id"] == ids["memory"]
    assert attributes["showing"] == "memories"


async def test_show_the_whole_library(
    hass: HomeAssistant, frame: tuple[str, list[str], dict[str, str]]
) -> None:
    """The whole library is a source too: any of the user's photos."""
    entity_id, photos, ids = frame
    await _show(hass, entity_id, source="library")
    attributes = _attributes(hass, entity_id)
    assert attributes["showing"] == "library"
    assert attributes["asset_id"] in {*photos, ids["anna"], ids["memory"]}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("person:Anna", "anna"),
        ("person:anna", "anna"),
        ("album:Trips", None),
        ("memories", "memory"),
    ],
)
async def test_sources_by_name(
    hass: HomeAssistant,
    frame: tuple[str, list[str], dict[str, str]],
    source: str,
    expected: str | None,
) -> None:
    """Albums and people may be named; the attribute then holds the id."""
    entity_id, photos, ids = frame
    await _show(hass, entity_id, source=source)
    attributes = _attributes(hass, entity_id)
    if expected is None:
        assert attributes["asset_id"] in photos
        assert attributes["showing"] == f"album:{ids['album']}"
    else:
        assert attributes["asset_id"] == ids[expected]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"source": "nonsense"}, "invalid_frame_source"),
        ({"source": "search:"}, "invalid_frame_source"),
        ({"source": "album:Nowhere"}, "album_not_found"),
        ({"source": "person:Nobody"}, "person_not_found"),
        ({"source": "search:zebra crossing"}, "frame_source_empty"),
        ({"source": "memories", "duration": 0}, "frame_duration_out_of_range"),
        (
            {"source": "memories", "duration": {"days": 2}},
            "frame_duration_out_of_range",
        ),
        ({"source": "memories", "duration": "soon"}, "invalid_action_data"),
        ({"duration": {"hours": 1}}, "invalid_action_data"),
        ({"source": ["memories"]}, "invalid_action_data"),
    ],
)
async def test_bad_sources_leave_the_frame_alone(
    hass: HomeAssistant,
    frame: tuple[str, list[str], dict[str, str]],
    data: dict[str, Any],
    key: str,
) -> None:
    """Each mistake has its message; the frame keeps its photo and source."""
    entity_id, _photos, _ids = frame
    before = _attributes(hass, entity_id)
    with pytest.raises(ServiceValidationError) as raised:
        await _show(hass, entity_id, **data)
    assert raised.value.translation_key == key
    assert _attributes(hass, entity_id) == before


async def test_latest_upload_is_not_a_frame(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Only slideshows take another source."""
    immich_server.state.add_asset(immich_server.admin_id)
    entry = make_entry(immich_server)
    await setup_platforms(hass, entry, [Platform.IMAGE])
    with pytest.raises(ServiceValidationError) as raised:
        await _show(hass, "image.immich_admin_latest_upload", source="memories")
    assert raised.value.translation_key == "not_a_frame"


async def test_memories_blueprint(
    hass: HomeAssistant,
    frame: tuple[str, list[str], dict[str, str]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """At the set time, with memories today, the frames show them for the duration."""
    entity_id, photos, ids = frame
    calendar = "calendar.immich_admin_memories"
    assert hass.states.get(calendar).state == "on"
    now = dt_util.now()
    at = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    await use_blueprint(
        hass,
        "memories_on_frame.yaml",
        {
            "frames": [entity_id],
            "memories_calendar": calendar,
            "at": at.strftime("%H:%M:%S"),
            "duration": {"hours": 1},
        },
    )
    assert _attributes(hass, entity_id)["asset_id"] in photos

    freezer.move_to(at)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    attributes = _attributes(hass, entity_id)
    assert attributes["asset_id"] == ids["memory"]
    assert attributes["showing"] == "memories"
    ends = datetime.fromisoformat(attributes["showing_until"]).astimezone(UTC)
    assert ends == (at + timedelta(hours=1)).astimezone(UTC).replace(
        microsecond=ends.microsecond
    )


async def test_memories_blueprint_without_memories(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """No memory today: the calendar is off and the frame keeps its own photos."""
    await hass.config.async_set_time_zone("UTC")
    state, owner = immich_server.state, immich_server.admin_id
    photo = state.add_asset(owner)
    album = state.add_album(owner, "Trips", asset_ids=[photo])
    remembered = state.add_asset(owner)
    state.add_memory(owner, 2019, [remembered], days_ahead=3)
    entry = make_entry(immich_server, options={CONF_FRAMES: [f"album:{album}"]})
    await setup_platforms(hass, entry, [Platform.IMAGE, Platform.CALENDAR])
    entity_id = "image.immich_admin_trips_slideshow"
    assert hass.states.get("calendar.immich_admin_memories").state == "off"
    at = (dt_util.now() + timedelta(minutes=5)).replace(second=0, microsecond=0)
    await use_blueprint(
        hass,
        "memories_on_frame.yaml",
        {
            "frames": [entity_id],
            "memories_calendar": "calendar.immich_admin_memories",
            "at": at.strftime("%H:%M:%S"),
        },
    )
    freezer.move_to(at)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    attributes = _attributes(hass, entity_id)
    assert attributes["asset_id"] == photo
    assert "showing" not in attributes


async def test_person_notify_blueprint(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A new photo of a watched person reaches the phone with its picture, no other."""
    state, owner = immich_server.state, immich_server.admin_id
    anna = state.add_person(owner, "Anna")
    ben = state.add_person(owner, "Ben")
    entry = make_entry(immich_server, options={CONF_PEOPLE: [ALL_PEOPLE]})
    await setup_platforms(hass, entry, [Platform.EVENT])
    async with phone(hass) as device:
        await use_blueprint(
            hass,
            "new_photo_of_person_notify.yaml",
            {
                "person_events": ["event.immich_admin_new_photo_of_a_person"],
                "people": ["anna"],
                "phone": device.device_id,
            },
        )

        of_anna = state.add_asset(owner, filename="anna.jpg")
        state.assets[of_anna].person_ids.append(anna)
        of_ben = state.add_asset(owner, filename="ben.jpg")
        state.assets[of_ben].person_ids.append(ben)
        video = state.add_asset(owner, filename="anna.mp4", asset_type="VIDEO")
        state.assets[video].person_ids.append(anna)
        await advance(hass, freezer, WATCH_INTERVAL)

        assert len(device.received) == 1
        sent = device.received[0]
        assert sent["title"] == "New photo of Anna"
        assert sent["message"] == "anna.jpg"
        image = sent["data"]["image"]
        assert image.startswith(
            f"/api/immich_bridge/{entry.entry_id}/{of_anna}/preview"
        )
        assert "authSig=" in image
        assert of_anna in sent["data"]["url"]
        assert sent["data"]["clickAction"] == sent["data"]["url"]
        assert immich_server.admin_key not in str(sent)
