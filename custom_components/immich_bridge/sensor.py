"""Sensors for Immich Bridge: library statistics, storage, albums, people and queues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform, UnitOfInformation

from .const import CONF_ALBUMS, PERCENTAGE
from .coordinator import (
    ImmichBridgeConfigEntry,
    ImmichQueueCoordinator,
    ImmichServerCoordinator,
    ImmichServerData,
    quota_percent,
)
from .entity import ImmichBridgeEntity, async_queue_names, async_track_items
from .permissions import Source
from .photos import async_remove_stale_entities
from .watcher import ImmichAssetWatcher

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .api import (
        ImmichLibrary,
        ImmichLibraryStatistics,
        ImmichQueue,
        ImmichUserUsage,
    )

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ImmichSensorEntityDescription(SensorEntityDescription):
    """Describe a sensor fed by the server coordinator."""

    source: Source
    value_fn: Callable[[ImmichServerData], StateType]


@dataclass(frozen=True, kw_only=True)
class ImmichItemSensorEntityDescription[ItemT](SensorEntityDescription):
    """Describe a sensor for one item (album, user or queue)."""

    value_fn: Callable[[ItemT], StateType | datetime]


# Sizes are bytes; they show in the binary unit Immich's web page would pick (see
# binary_size_unit) with one decimal, as Immich shows them ("1.4 MiB", "465.7 GiB").
_DATA_SIZE: dict[str, Any] = {
    "device_class": SensorDeviceClass.DATA_SIZE,
    "native_unit_of_measurement": UnitOfInformation.BYTES,
    "suggested_display_precision": 1,
    "state_class": SensorStateClass.MEASUREMENT,
}
_KIB: Final = 1024


def binary_size_unit(size: object) -> UnitOfInformation:
    """Return the unit to show a size of this many bytes in: MiB, GiB or TiB.

    Nothing yet (0 or unknown) gets GiB, the scale a library grows into: the unit is
    kept once the sensor is registered, so it should not be picked from an empty one.
    """
    if not isinstance(size, int | float) or size <= 0:
        return UnitOfInformation.GIBIBYTES
    if size < _KIB**3:
        return UnitOfInformation.MEBIBYTES
    if size < _KIB**4:
        return UnitOfInformation.GIBIBYTES
    return UnitOfInformation.TEBIBYTES


_COUNT: dict[str, Any] = {"state_class": SensorStateClass.MEASUREMENT}


SENSORS: tuple[ImmichSensorEntityDescription, ...] = (
    ImmichSensorEntityDescription(
        key="photos",
        translation_key="photos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.photos if d.statistics else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="videos",
        translation_key="videos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.videos if d.statistics else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="usage",
        translation_key="usage",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.usage if d.statistics else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="usage_photos",
        translation_key="usage_photos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.usage_photos if d.statistics else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="usage_videos",
        translation_key="usage_videos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.usage_videos if d.statistics else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="my_photos",
        translation_key="my_photos",
        source=Source.ASSET_STATISTICS,
        value_fn=lambda d: d.asset_statistics.images if d.asset_statistics else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="my_videos",
        translation_key="my_videos",
        source=Source.ASSET_STATISTICS,
        value_fn=lambda d: d.asset_statistics.videos if d.asset_statistics else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="my_usage",
        translation_key="my_usage",
        source=Source.USER,
        value_fn=lambda d: d.user.quota_usage_in_bytes if d.user else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="my_quota",
        translation_key="my_quota",
        source=Source.USER,
        value_fn=lambda d: d.user.quota_size_in_bytes if d.user else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="my_quota_used",
        translation_key="my_quota_used",
        source=Source.USER,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: quota_percent(d.user) if d.user else None,
    ),
    ImmichSensorEntityDescription(
        key="trash",
        translation_key="trash",
        source=Source.TRASH,
        value_fn=lambda d: d.trash.total if d.trash else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="duplicate_groups",
        translation_key="duplicate_groups",
        source=Source.DUPLICATES,
        value_fn=lambda d: d.duplicate_groups,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="disk_size",
        translation_key="disk_size",
        source=Source.STORAGE,
        value_fn=lambda d: d.storage.disk_size_raw if d.storage else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="disk_used",
        translation_key="disk_used",
        source=Source.STORAGE,
        value_fn=lambda d: d.storage.disk_use_raw if d.storage else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="disk_available",
        translation_key="disk_available",
        source=Source.STORAGE,
        value_fn=lambda d: d.storage.disk_available_raw if d.storage else None,
        **_DATA_SIZE,
    ),
    ImmichSensorEntityDescription(
        key="disk_used_percent",
        translation_key="disk_used_percent",
        source=Source.STORAGE,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.storage.disk_usage_percentage if d.storage else None,
    ),
    ImmichSensorEntityDescription(
        key="albums",
        translation_key="albums",
        source=Source.ALBUM_STATISTICS,
        # Shared counts owned albums that are shared and albums shared with the user;
        # not shared counts the other owned ones: together, every album the user sees.
        value_fn=lambda d: (
            d.album_statistics.shared + d.album_statistics.not_shared
            if d.album_statistics is not None
            else None
        ),
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="shared_albums",
        translation_key="shared_albums",
        source=Source.ALBUM_STATISTICS,
        value_fn=lambda d: (
            d.album_statistics.shared if d.album_statistics is not None else None
        ),
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="people",
        translation_key="people",
        source=Source.PEOPLE,
        value_fn=lambda d: d.people.total if d.people else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="tags",
        translation_key="tags",
        source=Source.TAGS,
        value_fn=lambda d: len(d.tags) if d.tags is not None else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="libraries",
        translation_key="libraries",
        source=Source.LIBRARIES,
        value_fn=lambda d: len(d.libraries) if d.libraries is not None else None,
        **_COUNT,
    ),
    ImmichSensorEntityDescription(
        key="server_version",
        translation_key="server_version",
        source=Source.ABOUT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.about.version.removeprefix("v") if d.about else None,
    ),
)

ALBUM_SENSOR = ImmichItemSensorEntityDescription[int](
    key="album_assets",
    translation_key="album_assets",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda count: count,
)

USER_USAGE_SENSOR = ImmichItemSensorEntityDescription["ImmichUserUsage"](
    key="user_usage",
    translation_key="user_usage",
    entity_registry_enabled_default=False,
    value_fn=lambda usage: usage.usage,
    **_DATA_SIZE,
)

USER_QUOTA_SENSOR = ImmichItemSensorEntityDescription["ImmichUserUsage"](
    key="user_quota_used",
    translation_key="user_quota_used",
    entity_registry_enabled_default=False,
    native_unit_of_measurement=PERCENTAGE,
    suggested_display_precision=1,
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda usage: (
        round(100.0 * usage.usage / usage.quota_size_in_bytes, 2)
        if usage.quota_size_in_bytes
        else None
    ),
)


LIBRARY_ASSETS = ImmichItemSensorEntityDescription["LibraryItem"](
    key="library_assets",
    translation_key="library_assets",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda item: item.statistics.total if item.statistics else None,
)
LIBRARY_SCANNED = ImmichItemSensorEntityDescription["LibraryItem"](
    key="library_scanned",
    translation_key="library_scanned",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda item: item.library.refreshed_at,
)

QUEUE_SENSORS: tuple[ImmichItemSensorEntityDescription[ImmichQueue], ...] = tuple(
    ImmichItemSensorEntityDescription["ImmichQueue"](
        key=f"queue_{field}",
        translation_key=f"queue_{field}",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda queue, field=field: getattr(queue, field),  # type: ignore[misc]  # late-binding default
    )
    # "paused" counts the jobs held in a paused queue (Immich counts them apart from
    # "waiting"): without it a paused queue's pending work would be invisible.
    for field in ("active", "waiting", "failed", "delayed", "paused")
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Immich Bridge sensors."""
    runtime = entry.runtime_data
    server = runtime.server
    async_add_entities(
        ImmichSensor(entry=entry, coordinator=server, description=description)
        for description in SENSORS
        if server.allowed(description.source)
        and description.value_fn(server.data) is not None
    )

    selected: list[str] = entry.options.get(CONF_ALBUMS, [])
    async_track_items(
        hass,
        entry,
        server,
        "sensor",
        lambda d: (
            [album_id for album_id in selected if album_id in d.albums]
            if d.albums is not None
            else None
        ),
        lambda album_id: [ImmichAlbumSensor(entry, server, album_id)],
        async_add_entities,
    )
    async_track_items(
        hass,
        entry,
        server,
        "sensor",
        lambda d: (
            [usage.user_id for usage in d.statistics.usage_by_user]
            if d.statistics is not None
            else None
        ),
        lambda user_id: [
            ImmichUserUsageSensor(entry, server, user_id, description)
            for description in (USER_USAGE_SENSOR, USER_QUOTA_SENSOR)
        ],
        async_add_entities,
    )
    async_track_items(
        hass,
        entry,
        server,
        "sensor",
        lambda d: d.libraries.keys() if d.libraries is not None else None,
        lambda library_id: [
            ImmichLibrarySensor(entry, server, library_id, description)
            for description in (LIBRARY_ASSETS, LIBRARY_SCANNED)
            if description is LIBRARY_SCANNED
            or server.data.library_statistics is not None
        ],
        async_add_entities,
    )
    photos = runtime.photos
    if photos is not None and (watcher := photos.watcher) is not None:
        async_add_entities(
            ImmichLastPhotoSensor(entry, watcher, person, photos.person_name(person))
            for person in watcher.people
        )
        async_remove_stale_entities(
            hass, entry, Platform.SENSOR, LAST_PHOTO.key, set(watcher.people)
        )
    if (queues := runtime.queues) is not None:
        queue_name = await async_queue_names(hass)
        async_track_items(
            hass,
            entry,
            queues,
            "sensor",
            lambda d: d.queues.keys(),
            lambda name: [
                ImmichQueueSensor(entry, queues, name, queue_name(name), description)
                for description in QUEUE_SENSORS
            ],
            async_add_entities,
        )


class ImmichSizeUnitSensor(SensorEntity):
    """A sensor whose sizes show in the binary unit that fits them when first seen."""

    @property
    def suggested_unit_of_measurement(self) -> str | None:
        """Return the unit Home Assistant stored at registration, else the fitting one.

        Home Assistant stores the suggested unit when it first registers a sensor and
        shows that unit from then on, so a size that grows later keeps its unit. Giving
        back the stored unit keeps the display precision from being rescaled to the
        size's new magnitude after a restart.
        """
        if self.device_class != SensorDeviceClass.DATA_SIZE:
            return None
        private = (
            self.registry_entry.options.get(f"{SENSOR_DOMAIN}.private")
            if self.registry_entry is not None
            else None
        )
        if private and (stored := private.get("suggested_unit_of_measurement")):
            return str(stored)
        return binary_size_unit(self.native_value)


class ImmichSensor(ImmichBridgeEntity[ImmichServerCoordinator], ImmichSizeUnitSensor):
    """A sensor for one value of the server data."""

    entity_description: ImmichSensorEntityDescription

    @property
    def available(self) -> bool:
        """Return False while the source is refused or the server unreachable."""
        return (
            super().available
            and self.entity_description.source not in self.coordinator.denied
        )

    @property
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data)


class ImmichAlbumSensor(ImmichBridgeEntity[ImmichServerCoordinator], SensorEntity):
    """The number of assets in one album the user picked in the options."""

    entity_description: ImmichItemSensorEntityDescription[int]

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichServerCoordinator,
        album_id: str,
    ) -> None:
        """Initialize the album sensor."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=ALBUM_SENSOR,
            item_id=album_id,
        )
        self._album_id = album_id
        albums = coordinator.data.albums or {}
        self._attr_translation_placeholders = {
            "album": albums[album_id].name if album_id in albums else album_id
        }

    @property
    def available(self) -> bool:
        """Return True while the album is known."""
        albums = self.coordinator.data.albums
        return super().available and albums is not None and self._album_id in albums

    @property
    def native_value(self) -> StateType:
        """Return the number of assets in the album."""
        albums = self.coordinator.data.albums or {}
        album = albums.get(self._album_id)
        return album.asset_count if album else None


class _ImmichServerItemSensor[ItemT](
    ImmichBridgeEntity[ImmichServerCoordinator], ImmichSizeUnitSensor
):
    """A sensor for one item of the server data (a user, a library) while it exists."""

    entity_description: ImmichItemSensorEntityDescription[ItemT]
    _placeholder: str  # the translation placeholder that names the item

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichServerCoordinator,
        item_id: str,
        description: ImmichItemSensorEntityDescription[ItemT],
    ) -> None:
        """Initialize the sensor of one item."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=description,
            item_id=item_id,
        )
        self._item_id = item_id
        item = self._item
        self._attr_translation_placeholders = {
            self._placeholder: self._name(item) if item is not None else item_id
        }

    @property
    def _item(self) -> ItemT | None:
        """Return the item from the latest data, None when it is gone."""
        raise NotImplementedError

    def _name(self, item: ItemT) -> str:
        """Return what the item is called."""
        raise NotImplementedError

    @property
    def available(self) -> bool:
        """Return True while the item exists."""
        return super().available and self._item is not None

    @property
    def native_value(self) -> StateType | datetime:
        """Return the item's value."""
        item = self._item
        return self.entity_description.value_fn(item) if item is not None else None


class ImmichUserUsageSensor(_ImmichServerItemSensor["ImmichUserUsage"]):
    """Storage used by one user, or the share of their quota (admin keys only)."""

    _placeholder = "user"

    @property
    def _item(self) -> ImmichUserUsage | None:
        statistics = self.coordinator.data.statistics
        if statistics is None:
            return None
        return next(
            (u for u in statistics.usage_by_user if u.user_id == self._item_id), None
        )

    def _name(self, item: ImmichUserUsage) -> str:
        return item.user_name


@dataclass(frozen=True, kw_only=True)
class LibraryItem:
    """An external library and its counts (None: the key can't read them)."""

    library: ImmichLibrary
    statistics: ImmichLibraryStatistics | None


class ImmichLibrarySensor(_ImmichServerItemSensor[LibraryItem]):
    """An external library's asset count or last scan (admin keys only)."""

    _placeholder = "library"

    @property
    def _item(self) -> LibraryItem | None:
        data = self.coordinator.data
        library = (data.libraries or {}).get(self._item_id)
        if library is None:
            return None
        statistics = (data.library_statistics or {}).get(self._item_id)
        return LibraryItem(library=library, statistics=statistics)

    def _name(self, item: LibraryItem) -> str:
        return item.library.name


LAST_PHOTO = SensorEntityDescription(
    key="last_photo",
    translation_key="last_photo",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_registry_enabled_default=False,
)


class ImmichLastPhotoSensor(ImmichBridgeEntity[ImmichAssetWatcher], SensorEntity):
    """When the newest photo of a watched person was uploaded (disabled by default)."""

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichAssetWatcher,
        person_id: str,
        name: str,
    ) -> None:
        """Initialize the sensor of one person."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=LAST_PHOTO,
            item_id=person_id,
        )
        self._person_id = person_id
        self._attr_translation_placeholders = {"name": name}

    @property
    def native_value(self) -> datetime | None:
        """Return the upload time of the person's newest photo seen so far."""
        data = self.coordinator.data
        return data.last_photo.get(self._person_id) if data is not None else None


class ImmichQueueSensor(ImmichBridgeEntity[ImmichQueueCoordinator], SensorEntity):
    """One count (active, waiting, failed, delayed, paused) of one job queue."""

    entity_description: ImmichItemSensorEntityDescription[ImmichQueue]

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichQueueCoordinator,
        name: str,
        queue_name: str,
        description: ImmichItemSensorEntityDescription[ImmichQueue],
    ) -> None:
        """Initialize the sensor of a queue named queue_name in the user's language."""
        super().__init__(
            entry=entry, coordinator=coordinator, description=description, item_id=name
        )
        self._queue = name
        self._attr_translation_placeholders = {"queue": queue_name}

    @property
    def available(self) -> bool:
        """Return True while the queue exists."""
        return super().available and self._queue in self.coordinator.data.queues

    @property
    def native_value(self) -> StateType | datetime:
        """Return the count."""
        queue = self.coordinator.data.queues.get(self._queue)
        return self.entity_description.value_fn(queue) if queue else None
