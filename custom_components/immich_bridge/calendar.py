"""Calendars of Immich Bridge: birthdays of named people, and "on this day" memories.

Both are all-day events. Birthdays repeat every year on the person's birth date (29
February falls on the 28th in common years). Memories are the days Immich shows an "on
this day" memory (it prepares them a few days ahead): one event per memory, named
after the year it looks back to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .coordinator import ImmichBridgeConfigEntry
from .entity import ImmichBridgeEntity
from .helpers import translate_update_errors
from .permissions import BIRTHDAYS, MEMORY_DAYS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api import ImmichClient

PARALLEL_UPDATES = 0

CALENDAR_INTERVAL: Final = timedelta(hours=1)  # birthdays and memories change rarely
PEOPLE_PAGE: Final = 1000
MAX_PEOPLE_PAGES: Final = 20


@dataclass(frozen=True, kw_only=True)
class Birthday:
    """A named person's birth date."""

    person_id: str
    name: str
    born: date


@dataclass(frozen=True, kw_only=True)
class MemoryDay:
    """The day Immich shows a memory, and what it looks back to."""

    memory_id: str
    day: date
    year: int | None
    photos: int


@dataclass(frozen=True, kw_only=True)
class CalendarData:
    """What the calendars show; None for what the key can't read."""

    birthdays: tuple[Birthday, ...] | None
    memories: tuple[MemoryDay, ...] | None


class ImmichBridgeCalendarCoordinator(DataUpdateCoordinator[CalendarData]):
    """Read birth dates and memories once an hour."""

    config_entry: ImmichBridgeConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichBridgeConfigEntry,
        client: ImmichClient,
        *,
        birthdays: bool,
        memories: bool,
    ) -> None:
        """Initialize; read only what the key may."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN}_calendar",
            update_interval=CALENDAR_INTERVAL,
        )
        self.client = client
        self._birthdays = birthdays
        self._memories = memories

    async def _async_update_data(self) -> CalendarData:
        """Read every named person's birth date and the memories."""
        with translate_update_errors():
            birthdays = await self._async_birthdays() if self._birthdays else None
            memories = await self._async_memories() if self._memories else None
        return CalendarData(birthdays=birthdays, memories=memories)

    async def _async_birthdays(self) -> tuple[Birthday, ...]:
        found: list[Birthday] = []
        for page in range(1, MAX_PEOPLE_PAGES + 1):
            people = await self.client.people(page=page, size=PEOPLE_PAGE)
            found.extend(
                Birthday(person_id=p.id, name=p.name, born=p.birth_date)
                for p in people.people
                if p.name and p.birth_date is not None
            )
            if not people.has_next_page or not people.people:
                break
        return tuple(found)

    async def _async_memories(self) -> tuple[MemoryDay, ...]:
        memories = await self.client.memories()
        return tuple(
            MemoryDay(
                memory_id=memory.id,
                day=dt_util.as_local(memory.shown).date(),
                year=memory.year,
                photos=len(memory.assets),
            )
            for memory in memories
        )


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeCalendarDescription(CalendarEntityDescription):
    """A calendar: which events its data makes, between two days."""

    events_fn: Callable[[CalendarData, date, date, dict[str, str]], Iterator[Event]]


type Event = tuple[date, str, str, str]  # day, summary, description, uid


def _birthday_on(born: date, year: int) -> date:
    """Return the birthday in a year (29 February: the 28th in common years)."""
    try:
        return born.replace(year=year)
    except ValueError:
        return born.replace(year=year, day=28)


def _birthday_events(
    data: CalendarData, first: date, last: date, text: dict[str, str]
) -> Iterator[Event]:
    for birthday in data.birthdays or ():
        for year in range(first.year, last.year + 1):
            day = _birthday_on(birthday.born, year)
            if first <= day <= last and year >= birthday.born.year:
                yield (
                    day,
                    text["birthday"].replace("{name}", birthday.name),
                    text["birthday_age"]
                    .replace("{age}", str(year - birthday.born.year))
                    .replace("{born}", birthday.born.isoformat()),
                    f"{birthday.person_id}-{year}",
                )


def _memory_events(
    data: CalendarData, first: date, last: date, text: dict[str, str]
) -> Iterator[Event]:
    for memory in data.memories or ():
        if first <= memory.day <= last:
            year = str(memory.year) if memory.year is not None else "?"
            yield (
                memory.day,
                text["memory"].replace("{year}", year),
                text["memory_photos"].replace("{count}", str(memory.photos)),
                memory.memory_id,
            )


CALENDARS: Final = (
    (
        BIRTHDAYS,
        ImmichBridgeCalendarDescription(
            key="birthdays", translation_key="birthdays", events_fn=_birthday_events
        ),
    ),
    (
        MEMORY_DAYS,
        ImmichBridgeCalendarDescription(
            key="memories", translation_key="memories", events_fn=_memory_events
        ),
    ),
)
TEXTS: Final = ("birthday", "birthday_age", "memory", "memory_photos")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the calendars the key may read."""
    runtime = entry.runtime_data
    wanted = [
        description
        for requirement, description in CALENDARS
        if requirement.met(runtime.key_info, is_admin=runtime.is_admin)
    ]
    if not wanted:
        return
    keys = {description.key for description in wanted}
    coordinator = ImmichBridgeCalendarCoordinator(
        hass,
        entry,
        runtime.client,
        birthdays="birthdays" in keys,
        memories="memories" in keys,
    )
    await coordinator.async_config_entry_first_refresh()
    strings = await async_get_translations(
        hass, hass.config.language, "selector", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}.selector.calendar_text.options."
    text = {key: strings.get(f"{prefix}{key}", key) for key in TEXTS}
    async_add_entities(
        ImmichBridgeCalendar(entry, coordinator, description, text)
        for description in wanted
    )


class ImmichBridgeCalendar(
    ImmichBridgeEntity[ImmichBridgeCalendarCoordinator], CalendarEntity
):
    """Birthdays or memories as all-day events."""

    entity_description: ImmichBridgeCalendarDescription

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeCalendarCoordinator,
        description: ImmichBridgeCalendarDescription,
        text: dict[str, str],
    ) -> None:
        """Initialize with the event texts in the user's language."""
        super().__init__(entry=entry, coordinator=coordinator, description=description)
        self._text = text

    def _events(self, first: date, last: date) -> list[CalendarEvent]:
        """Return the events of the days first to last (both included), in order."""
        events = self.entity_description.events_fn(
            self.coordinator.data, first, last, self._text
        )
        return [
            CalendarEvent(
                start=day,
                end=day + timedelta(days=1),
                summary=summary,
                description=description,
                uid=uid,
            )
            for day, summary, description, uid in sorted(events)
        ]

    @property
    def event(self) -> CalendarEvent | None:
        """Return today's event, else the next one within a year."""
        today = dt_util.now().date()
        upcoming = self._events(today, today + timedelta(days=366))
        return upcoming[0] if upcoming else None

    async def async_get_events(
        self,
        hass: HomeAssistant,  # noqa: ARG002
        start_date: datetime,
        end_date: datetime,
    ) -> list[CalendarEvent]:
        """Return the events between two moments (all-day events by their day)."""
        first = dt_util.as_local(start_date).date()
        last = dt_util.as_local(end_date).date()
        if dt_util.as_local(end_date).time() == datetime.min.time():
            last -= timedelta(days=1)  # the end is exclusive
        return self._events(first, last)
