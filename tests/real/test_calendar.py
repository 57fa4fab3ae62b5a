"""The calendars on a real Immich: birth dates and memories made through its API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from tests.common import calendar_events

from .common import setup_entry
from .harness import ImmichApi, jpeg, real_entry


async def _events(
    hass: HomeAssistant, entity_id: str, first: datetime, days: int
) -> list[dict[str, Any]]:
    return await calendar_events(hass, entity_id, first, first + timedelta(days=days))


async def test_birthdays_and_memories(hass: HomeAssistant, immich: ImmichApi) -> None:
    """A birth date (in three days) and memories shown today and in two days."""
    user = await immich.create_user("Calendar owner")
    birthday = dt_util.now().date() + timedelta(days=3)
    born = birthday.replace(year=1960)  # a leap year: 29 February exists
    grandpa = await immich.call(
        "POST",
        "/people",
        key=user.key,
        json_body={"name": "Grandpa", "birthDate": born.isoformat()},
    )
    photo = await immich.upload(user.key, jpeg("calendar"))
    await immich.tag_face(user.key, photo, grandpa["id"])
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    shown: list[str] = []
    for days, year in ((0, 2020), (2, 2019)):
        show_at = midnight + timedelta(days=days)
        await immich.create_memory(user.key, [photo], year=year, days_ahead=days)
        noon = dt_util.as_local(show_at + timedelta(hours=12))
        shown.append(noon.date().isoformat())
    entry = await setup_entry(hass, real_entry(immich.server, user))
    device = entry.title.lower().replace(" ", "_")
    start = dt_util.start_of_local_day()

    birthdays = await _events(hass, f"calendar.{device}_birthdays", start, 7)
    assert [(e["start"], e["summary"], e["description"]) for e in birthdays] == [
        (
            birthday.isoformat(),
            "Grandpa's birthday",
            f"Turns {birthday.year - 1960} (born {born.isoformat()})",
        )
    ]
    memories = await _events(hass, f"calendar.{device}_memories", start, 7)
    assert [(e["start"], e["summary"], e["description"]) for e in memories] == [
        (shown[0], "On this day in 2020", "Photos from that day: 1"),
        (shown[1], "On this day in 2019", "Photos from that day: 1"),
    ]
