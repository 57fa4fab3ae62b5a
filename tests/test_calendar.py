"""The calendars: birthdays of named people and "on this day" memories."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from tests.common import calendar_events, make_entry, setup_with
from tests.fake_immich import FakeImmich

BIRTHDAYS = "calendar.immich_admin_birthdays"
MEMORIES = "calendar.immich_admin_memories"
TODAY = date(2026, 11, 30)


async def _events(
    hass: HomeAssistant, entity_id: str, first: date, days: int
) -> list[dict[str, Any]]:
    """Return the events of `days` days from `first`."""
    return await calendar_events(
        hass,
        entity_id,
        f"{first.isoformat()} 00:00:00",
        f"{(first + timedelta(days=days)).isoformat()} 00:00:00",
    )


@pytest.fixture
def people(immich_server: FakeImmich) -> dict[str, str]:
    """Named people with birth dates (one on 29 February), one unnamed, one without,
    one without a face.
    """
    state, owner = immich_server.state, immich_server.admin_id
    people = {
        "Grandma": state.add_person(owner, "Grandma", birth_date="1950-12-02"),
        "Leap": state.add_person(owner, "Leap", birth_date="2000-02-29"),
        "": state.add_person(owner, "", birth_date="1990-12-01"),
        "Nobody": state.add_person(owner, "Nobody"),
        # Not listed by Immich (no face on a photo): no birthday either.
        "Faceless": state.add_person(
            owner, "Faceless", birth_date="1980-12-01", faces=0
        ),
    }
    photo = state.add_asset(owner)  # one face more for Grandma: still one birthday
    state.assets[photo].person_ids.append(people["Grandma"])
    return people


async def test_birthdays(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    freezer: FrozenDateTimeFactory,
    people: dict[str, str],
) -> None:
    """Every named person's birthday, each year; 29 February on the 28th."""
    freezer.move_to("2026-11-30 12:00:00+00:00")
    await setup_with(hass, make_entry(immich_server))
    state = hass.states.get(BIRTHDAYS)
    assert state is not None
    assert state.state == "off"  # no birthday today; the next one is Grandma's
    assert state.attributes["message"] == "Grandma's birthday"
    assert state.attributes["start_time"] == "2026-12-02 00:00:00"
    assert state.attributes["all_day"] is True

    events = await _events(hass, BIRTHDAYS, TODAY, 92)
    assert [(e["start"], e["end"], e["summary"]) for e in events] == [
        ("2026-12-02", "2026-12-03", "Grandma's birthday"),
        ("2027-02-28", "2027-03-01", "Leap's birthday"),
    ]
    assert events[0]["description"] == "Turns 76 (born 1950-12-02)"
    leap_year = await _events(hass, BIRTHDAYS, date(2028, 2, 1), 30)
    assert [e["start"] for e in leap_year] == ["2028-02-29"]
    # Nothing before a person was born.
    assert await _events(hass, BIRTHDAYS, date(1949, 1, 1), 365) == []


async def test_memories(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A memory shown today makes the calendar on; one prepared for later is next."""
    freezer.move_to("2026-11-30 12:00:00+00:00")
    state, owner = immich_server.state, immich_server.admin_id
    photos = [state.add_asset(owner, filename=f"{n}.jpg") for n in range(3)]
    state.add_memory(owner, 2020, photos)
    state.add_memory(owner, 2019, photos[:1], days_ahead=2)
    await setup_with(hass, make_entry(immich_server))
    calendar = hass.states.get(MEMORIES)
    assert calendar is not None
    assert calendar.state == "on"
    assert calendar.attributes["message"] == "On this day in 2020"
    events = await _events(hass, MEMORIES, TODAY, 7)
    assert [(e["start"], e["summary"], e["description"]) for e in events] == [
        ("2026-11-30", "On this day in 2020", "Photos from that day: 3"),
        ("2026-12-02", "On this day in 2019", "Photos from that day: 1"),
    ]


async def test_new_birthday_after_a_refresh(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """A birth date set in Immich shows after the hourly refresh."""
    freezer.move_to("2026-11-30 12:00:00+00:00")
    await setup_with(hass, make_entry(immich_server))
    assert await _events(hass, BIRTHDAYS, TODAY, 1) == []
    immich_server.state.add_person(
        immich_server.admin_id, "Ann", birth_date="2001-11-30"
    )
    freezer.tick(timedelta(hours=1, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    [event] = await _events(hass, BIRTHDAYS, TODAY, 1)
    assert event["summary"] == "Ann's birthday"
    assert hass.states.get(BIRTHDAYS).state == "on"


@pytest.mark.parametrize(
    ("permissions", "calendars"),
    [
        (("person.read",), {BIRTHDAYS}),
        (("memory.read",), {MEMORIES}),
        (("asset.read",), set()),
    ],
)
async def test_calendars_follow_the_key(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    permissions: tuple[str, ...],
    calendars: set[str],
) -> None:
    """Only the calendars the key can read exist."""
    key = immich_server.state.add_api_key(immich_server.admin_id, permissions)
    await setup_with(hass, mock_config_entry, **{CONF_API_KEY: key})
    assert set(hass.states.async_entity_ids("calendar")) == calendars
