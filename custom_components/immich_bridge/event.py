"""Event entities: new uploads, new photos of people, album and job queue changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import CONF_ALBUMS, DOMAIN
from .coordinator import (
    ImmichBridgeQueueCoordinator,
    ImmichBridgeServerCoordinator,
    picked_albums,
)
from .entity import (
    ImmichBridgeEntity,
    async_remove_stale_entities,
    async_track_items,
)
from .watcher import ANY_PERSON, NEW_ASSET, ImmichBridgeAssetWatcher, person_topic

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import ImmichBridgeConfigEntry

PARALLEL_UPDATES = 0

ASSET_TYPES: Final = ["photo", "video", "other"]

NEW_ASSET_EVENT: Final = EventEntityDescription(
    key=NEW_ASSET, translation_key=NEW_ASSET, event_types=ASSET_TYPES
)
PERSON_ASSET_EVENT: Final = EventEntityDescription(
    key="person_asset", translation_key="person_asset", event_types=ASSET_TYPES
)
ANY_PERSON_EVENT: Final = EventEntityDescription(
    key=ANY_PERSON, translation_key=ANY_PERSON, event_types=ASSET_TYPES
)
ALBUM_EVENT: Final = EventEntityDescription(
    key="album_change",
    translation_key="album_change",
    event_types=["assets_added", "assets_removed", "album_updated"],
)
JOBS_EVENT: Final = EventEntityDescription(
    key="job_queues",
    translation_key="job_queues",
    entity_category=EntityCategory.DIAGNOSTIC,
    event_types=["queue_drained", "jobs_failed"],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the events the key may see."""
    runtime = entry.runtime_data
    entities: list[EventEntity] = []
    photos = runtime.photos
    if photos is not None and (watcher := photos.watcher) is not None:
        entities.append(
            ImmichBridgeAssetEvent(
                entry=entry,
                coordinator=watcher,
                description=NEW_ASSET_EVENT,
                topic=NEW_ASSET,
            )
        )
        entities.extend(
            ImmichBridgeAssetEvent(
                entry=entry,
                coordinator=watcher,
                description=PERSON_ASSET_EVENT,
                topic=person_topic(person),
                item_id=person,
                name=photos.person_name(person),
            )
            for person in watcher.people
        )
        if watcher.all_people:
            entities.append(
                ImmichBridgeAssetEvent(
                    entry=entry,
                    coordinator=watcher,
                    description=ANY_PERSON_EVENT,
                    topic=ANY_PERSON,
                )
            )
    if runtime.queues is not None:
        entities.append(
            ImmichBridgeJobsEvent(
                entry=entry, coordinator=runtime.queues, description=JOBS_EVENT
            )
        )
    watcher = photos.watcher if photos else None
    if watcher is None or not watcher.all_people:
        registry = er.async_get(hass)
        unique_id = f"{entry.unique_id}_{ANY_PERSON}"
        if stale := registry.async_get_entity_id(Platform.EVENT, DOMAIN, unique_id):
            registry.async_remove(stale)
    people = set(watcher.people) if watcher else set()
    async_remove_stale_entities(
        hass, entry, Platform.EVENT, PERSON_ASSET_EVENT.key, people
    )
    async_remove_stale_entities(
        hass,
        entry,
        Platform.EVENT,
        ALBUM_EVENT.key,
        set(entry.options.get(CONF_ALBUMS, [])),
    )
    async_add_entities(entities)
    server = runtime.server
    async_track_items(
        hass,
        entry,
        server,
        Platform.EVENT,
        picked_albums(entry),
        lambda album_id: [
            ImmichBridgeAlbumEvent(
                entry=entry,
                coordinator=server,
                description=ALBUM_EVENT,
                item_id=album_id,
            )
        ],
        async_add_entities,
    )


class _ImmichBridgeEvent[CoordinatorT: DataUpdateCoordinator[Any]](
    ImmichBridgeEntity[CoordinatorT], EventEntity
):
    """An event entity that records each event as its own state change."""

    @callback
    def _fire(self, event_type: str, data: dict[str, Any]) -> None:
        """Record one event."""
        self._trigger_event(event_type, data)
        self.async_write_ha_state()


class ImmichBridgeAssetEvent(_ImmichBridgeEvent[ImmichBridgeAssetWatcher]):
    """Fire once for each new photo or video (of everyone, or of one person)."""

    def __init__(
        self,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeAssetWatcher,
        description: EventEntityDescription,
        topic: str,
        item_id: str | None = None,
        name: str | None = None,
    ) -> None:
        """Initialize the event for one watcher topic."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=description,
            item_id=item_id,
        )
        self._topic = topic
        if name is not None:
            self._attr_translation_placeholders = {"name": name}

    async def async_added_to_hass(self) -> None:
        """Listen to the watcher."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_subscribe(self._topic, self._fire))


@dataclass(frozen=True, kw_only=True)
class _AlbumSnapshot:
    """What an album looked like at the last poll."""

    asset_count: int
    updated_at: datetime
    name: str


class ImmichBridgeAlbumEvent(_ImmichBridgeEvent[ImmichBridgeServerCoordinator]):
    """Fire when a watched album gains or loses assets, or is edited."""

    def __init__(
        self,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeServerCoordinator,
        description: EventEntityDescription,
        item_id: str,
    ) -> None:
        """Initialize the event for one album."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=description,
            item_id=item_id,
        )
        self._album_id = item_id
        self._last = self._snapshot()
        name = self._last.name if self._last is not None else item_id
        self._attr_translation_placeholders = {"name": name}

    def _snapshot(self) -> _AlbumSnapshot | None:
        """Return the album as the coordinator has it now."""
        data = self.coordinator.data
        albums = data.albums if data is not None else None
        if albums is None or (album := albums.get(self._album_id)) is None:
            return None
        return _AlbumSnapshot(
            asset_count=album.asset_count, updated_at=album.updated_at, name=album.name
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        """Compare the album with the last poll and fire on a change."""
        now = self._snapshot()
        last, self._last = self._last, now if now is not None else self._last
        if now is not None and last is not None and now != last:
            data = {
                "album_id": self._album_id,
                "album_name": now.name,
                "asset_count": now.asset_count,
                "change": now.asset_count - last.asset_count,
            }
            if now.asset_count > last.asset_count:
                self._fire("assets_added", data)
            elif now.asset_count < last.asset_count:
                self._fire("assets_removed", data)
            else:
                self._fire("album_updated", data)
        super()._handle_coordinator_update()


class ImmichBridgeJobsEvent(_ImmichBridgeEvent[ImmichBridgeQueueCoordinator]):
    """Fire when a job queue has drained, or when jobs failed."""

    def __init__(
        self,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeQueueCoordinator,
        description: EventEntityDescription,
    ) -> None:
        """Initialize the job queue event."""
        super().__init__(entry=entry, coordinator=coordinator, description=description)
        self._last: dict[str, tuple[int, int]] = self._snapshot()

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        """Return the (pending, failed) job counts per queue.

        Jobs held in a paused queue are pending too: pausing a queue is not draining it,
        and they run once it resumes.
        """
        return {
            name: (
                queue.active + queue.waiting + queue.delayed + queue.paused,
                queue.failed,
            )
            for name, queue in self.coordinator.data.queues.items()
        }

    @callback
    def _handle_coordinator_update(self) -> None:
        """Fire for each queue that drained or has new failures since the last poll."""
        now = self._snapshot()
        for name, (pending, failed) in sorted(now.items()):
            if (last := self._last.get(name)) is None:
                continue
            last_pending, last_failed = last
            if last_pending > 0 and pending == 0:
                self._fire("queue_drained", {"queue": name, "failed": failed})
            if failed > last_failed:
                self._fire(
                    "jobs_failed",
                    {
                        "queue": name,
                        "failed": failed,
                        "new_failures": failed - last_failed,
                    },
                )
        if now:
            self._last = now
        super()._handle_coordinator_update()
