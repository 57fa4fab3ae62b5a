"""Notice new photos and videos without scanning the library.

Each poll asks Immich for the assets uploaded since the last check (a metadata search
bounded by `createdAfter`), so its cost follows the number of new uploads, not the size
of the library. What was already announced is stored, so every new asset is announced
exactly once, also across restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypedDict

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import ImmichAsset, ImmichNotFoundError
from .const import DOMAIN, LOGGER
from .helpers import translate_update_errors
from .views import asset_links

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import ImmichClient
    from .coordinator import ImmichBridgeConfigEntry

WATCH_INTERVAL: Final = timedelta(minutes=1)
# Look back this far before the last check: uploads still being written and clock skew.
OVERLAP: Final = timedelta(minutes=10)
# Faces are recognised minutes to hours after an upload: watch people this far back.
PERSON_LOOKBACK: Final = timedelta(days=1)
# When nothing was uploaded lately, the latest upload is searched this far back.
LATEST_LOOKBACK: Final = timedelta(days=30)
PAGE_SIZE: Final = 1000
MAX_PAGES: Final = 5
# Albums are looked up for at most this many new assets per poll.
MAX_ALBUM_LOOKUPS: Final = 25
# Events kept for a listener that has not subscribed yet.
MAX_PENDING: Final = 100
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 600
# A push from the server looks for new assets at once, then at most this often.
PUSH_COOLDOWN: Final = 1.0

NEW_ASSET: Final = "new_asset"
ANY_PERSON: Final = "any_person"  # the topic of new photos of every named person


def person_topic(person_id: str) -> str:
    """Return the topic of a watched person's new photos."""
    return f"person_{person_id}"


def _storage_key(entry: ImmichBridgeConfigEntry) -> str:
    """Return the key of an entry's stored watch state."""
    return f"{DOMAIN}.{entry.entry_id}.watcher"


class _Stored(TypedDict, total=False):
    """The persisted watch state."""

    checked_at: str
    recent: dict[str, str]
    people: dict[str, list[str]]
    latest: str | None
    faces: dict[str, list[str]]  # asset id -> the named people announced on it
    last_photo: dict[str, str]  # person id -> when their newest photo was uploaded


type Listener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, kw_only=True)
class WatchData:
    """What the last poll found: the newest upload, each watched person's newest."""

    latest: ImmichAsset | None
    last_photo: dict[str, datetime]


async def _none() -> None:
    """Stand in for a search that is not made."""


def asset_event_type(asset: ImmichAsset) -> str:
    """Return the event type of an asset: photo, video or other."""
    if asset.is_photo:
        return "photo"
    return "video" if asset.is_video else "other"


def _created(asset: ImmichAsset) -> datetime:
    """Return when an asset was uploaded (its file date when Immich omits it)."""
    return asset.created_at or asset.file_created_at


class ImmichBridgeAssetWatcher(DataUpdateCoordinator[WatchData]):
    """Poll for new uploads and new photos of watched people."""

    config_entry: ImmichBridgeConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichBridgeConfigEntry,
        client: ImmichClient,
        *,
        albums_allowed: bool,
        people: list[str],
        all_people: bool,
    ) -> None:
        """Initialize the watcher (call async_load before the first refresh).

        `people` are the ids of the watched people; `all_people` watches every named
        person too; `albums_allowed` says whether the key may list an asset's albums.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN}_watcher",
            update_interval=WATCH_INTERVAL,
        )
        self.client = client
        self.albums_allowed = albums_allowed
        self.people = people
        self.all_people = all_people
        self._store: Store[_Stored] = Store(hass, STORAGE_VERSION, _storage_key(entry))
        self._state: _Stored = {}
        self._subscribers: dict[str, list[Listener]] = {}
        self._pending: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._pushed = False
        self._push_task: asyncio.Task[None] | None = None

    async def async_load(self) -> None:
        """Read what earlier polls announced."""
        self._state = await self._store.async_load() or {}

    async def async_shutdown(self) -> None:
        """Write the watch state now, so no delayed write outlives the entry."""
        await super().async_shutdown()
        if self._state:
            await self._store.async_save(self._state)

    @callback
    def async_refresh_soon(self) -> None:
        """Look for new assets now: the server pushed an upload or a deletion.

        Pushes that arrive while a look is running lead to one more look after it,
        at most one a second. Looks never overlap, so nothing is announced twice.
        """
        self._pushed = True
        if self._push_task is None or self._push_task.done():
            self._push_task = self.config_entry.async_create_background_task(
                self.hass, self._async_refresh_pushed(), "immich_bridge push refresh"
            )

    async def _async_refresh_pushed(self) -> None:
        """Refresh while pushes keep coming, a cooldown apart."""
        while self._pushed:
            self._pushed = False
            await self.async_refresh()
            await asyncio.sleep(PUSH_COOLDOWN)

    @callback
    def async_subscribe(self, topic: str, listener: Listener) -> CALLBACK_TYPE:
        """Call `listener(event_type, data)` for each event of a topic."""
        self._subscribers.setdefault(topic, []).append(listener)
        if pending := self._pending.pop(topic, None):
            for event_type, data in pending:
                self.hass.loop.call_soon(listener, event_type, data)

        @callback
        def _unsubscribe() -> None:
            self._subscribers[topic].remove(listener)

        return _unsubscribe

    @callback
    def _emit(self, topic: str, event_type: str, data: dict[str, Any]) -> None:
        """Hand an event to its listeners, or keep it until one subscribes."""
        if listeners := self._subscribers.get(topic):
            for listener in list(listeners):
                listener(event_type, data)
            return
        pending = self._pending.setdefault(topic, [])
        if len(pending) < MAX_PENDING:
            pending.append((event_type, data))

    async def _search(self, since: datetime, **filters: Any) -> list[ImmichAsset]:
        """Return the assets uploaded since a moment, a few pages at most."""
        found: list[ImmichAsset] = []
        page: int | None = 1
        while page is not None and page <= MAX_PAGES:
            result = await self.client.search_metadata(
                page=page,
                size=PAGE_SIZE,
                created_after=since,
                with_people=True,
                **filters,
            )
            found.extend(result.items)
            page = result.next_page if result.items else None
        return found

    async def _async_update_data(self) -> WatchData:
        """Look for new uploads and new photos of watched people.

        Looks never overlap: Home Assistant runs a coordinator's refreshes (scheduled,
        requested, a push's) one at a time.
        """
        now = dt_util.utcnow()
        state = self._state
        first = "checked_at" not in state
        checked = dt_util.parse_datetime(state.get("checked_at", "")) or now
        since = min(checked, now) - OVERLAP
        with translate_update_errors():
            current = await self._current()
            # Searching from the latest upload on (when it is older than the window)
            # also tells whether it is still there: still one bounded search a poll.
            start = since
            if current is not None and current.created_at is not None:
                start = min(since, current.created_at)
            found, people, faces = await asyncio.gather(
                self._search(start),
                asyncio.gather(
                    *(
                        self._search(now - PERSON_LOOKBACK, person_ids=[person])
                        for person in self.people
                    )
                ),
                self._search(now - PERSON_LOOKBACK) if self.all_people else _none(),
            )
            new_assets = [asset for asset in found if _created(asset) >= since]
            latest = await self._latest(found)
            announced = await self._announce(new_assets, silent=first)
        people_changed = self._announce_people(people)
        faces_changed = faces is not None and self._announce_faces(faces)
        state["checked_at"] = now.isoformat()
        state["recent"] = {
            asset_id: created
            for asset_id, created in {**state.get("recent", {}), **announced}.items()
            if (dt_util.parse_datetime(created) or now) >= now - OVERLAP
        }
        latest_id = latest.id if latest is not None else None
        if (
            first
            or announced
            or people_changed
            or faces_changed
            or latest_id != state.get("latest")
        ):
            state["latest"] = latest_id
            await self._store.async_save(state)
        else:
            # Only the check time moved: spare the disk, nothing can be repeated.
            self._store.async_delay_save(lambda: self._state, SAVE_DELAY)
        return WatchData(
            latest=latest,
            last_photo={
                person: moment
                for person, at in state.get("last_photo", {}).items()
                if (moment := dt_util.parse_datetime(at)) is not None
            },
        )

    async def _announce(
        self, assets: list[ImmichAsset], *, silent: bool
    ) -> dict[str, str]:
        """Announce the assets not announced before; return them by id."""
        recent = self._state.get("recent", {})
        new = sorted(
            (asset for asset in assets if asset.id not in recent), key=_created
        )
        if not new:
            return {}
        albums: dict[str, list[str]] = {}
        if not silent and self.albums_allowed:
            albums = await self._albums_of(new[:MAX_ALBUM_LOOKUPS])
        for asset in new if not silent else ():
            data: dict[str, Any] = {
                "asset_id": asset.id,
                "asset_type": asset.type.lower(),
                "file_name": asset.original_file_name,
                "taken_at": (
                    asset.local_date_time or asset.file_created_at
                ).isoformat(),
                "people": [person.name for person in asset.people if person.name],
                "person_ids": [person.id for person in asset.people],
                **asset_links(self.hass, self.config_entry, asset.id),
            }
            if asset.id in albums:
                data["album_ids"] = albums[asset.id]
            self._emit(NEW_ASSET, asset_event_type(asset), data)
        LOGGER.debug("Found %s new assets (announced: %s)", len(new), not silent)
        return {asset.id: _created(asset).isoformat() for asset in new}

    async def _albums_of(self, assets: list[ImmichAsset]) -> dict[str, list[str]]:
        """Return the album ids of a few assets, by asset id."""
        results = await asyncio.gather(
            *(self.client.albums(asset_id=asset.id) for asset in assets)
        )
        return {
            asset.id: sorted(album.id for album in found)
            for asset, found in zip(assets, results, strict=True)
        }

    def _announce_people(self, results: list[list[ImmichAsset]]) -> bool:
        """Announce new photos of watched people; return whether anything changed."""
        known = self._state.setdefault("people", {})
        before = dict(known)
        for person, assets in zip(self.people, results, strict=True):
            seen = set(known.get(person, []))
            for asset in sorted(assets, key=_created):
                if person in known and asset.id not in seen:
                    name = next(
                        (p.name for p in asset.people if p.id == person and p.name),
                        None,
                    )
                    self._emit(
                        person_topic(person),
                        asset_event_type(asset),
                        {
                            "asset_id": asset.id,
                            "asset_type": asset.type.lower(),
                            "person_id": person,
                            "person_name": name,
                            "file_name": asset.original_file_name,
                            **asset_links(self.hass, self.config_entry, asset.id),
                        },
                    )
            known[person] = sorted(asset.id for asset in assets)
            self._note_last_photo(person, assets)
        for person in set(known) - set(self.people):
            del known[person]
        return known != before

    def _note_last_photo(self, person: str, assets: list[ImmichAsset]) -> None:
        """Remember when a person's newest photo was uploaded."""
        if not assets:
            return
        newest = _created(max(assets, key=_created)).isoformat()
        last = self._state.setdefault("last_photo", {})
        if newest > last.get(person, ""):
            last[person] = newest

    def _announce_faces(self, assets: list[ImmichAsset]) -> bool:
        """Announce each named person once per photo, also when recognised later.

        Faces are found minutes to hours after an upload: the last day's uploads are
        looked at with their people on every poll, and what was announced is kept
        (per asset, for that day). The first look announces nothing.
        """
        first = "faces" not in self._state
        faces = self._state.setdefault("faces", {})
        before = {asset_id: list(people) for asset_id, people in faces.items()}
        for asset in sorted(assets, key=_created):
            announced = faces.setdefault(asset.id, [])
            for person in asset.people:
                if not person.name or person.id in announced:
                    continue
                announced.append(person.id)
                if not first:
                    self._emit(
                        ANY_PERSON,
                        asset_event_type(asset),
                        {
                            "asset_id": asset.id,
                            "asset_type": asset.type.lower(),
                            "person_id": person.id,
                            "person_name": person.name,
                            "file_name": asset.original_file_name,
                            **asset_links(self.hass, self.config_entry, asset.id),
                        },
                    )
        # Forget what left the day's window (the search no longer returns it).
        seen = {asset.id for asset in assets}
        for asset_id in set(faces) - seen:
            del faces[asset_id]
        return faces != before

    async def _current(self) -> ImmichAsset | None:
        """Return the upload shown so far (read again after a restart)."""
        data: WatchData | None = self.data  # None until the first refresh
        if data is not None:
            return data.latest
        if not (latest_id := self._state.get("latest")):
            return None
        try:
            asset = await self.client.asset(latest_id)
        except ImmichNotFoundError:
            return None
        return None if asset.is_trashed else asset

    async def _latest(self, found: list[ImmichAsset]) -> ImmichAsset | None:
        """Return the newest upload: of this poll's search, or searched further back.

        The search starts at the latest upload shown so far (or earlier), so the newest
        asset it finds is the newest upload; when it finds none, that upload was
        deleted or moved to the trash and the newest remaining one is looked for.
        """
        if found:
            return max(found, key=_created)
        candidates = await self._search(dt_util.utcnow() - LATEST_LOOKBACK)
        if not candidates:
            page = await self.client.search_metadata(size=1)
            candidates = list(page.items)
        return max(candidates, key=_created, default=None)


async def async_remove_watch_state(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry
) -> None:
    """Delete an entry's stored watch state."""
    await Store[_Stored](hass, STORAGE_VERSION, _storage_key(entry)).async_remove()
