"""Sensors for Immich Bridge: set up the entities of sensor_descriptions.py.

Sizes show in the binary unit that fits them; per-album, user, library and queue
sensors come and go with their item.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
)
from homeassistant.const import Platform, UnitOfInformation

from .coordinator import (
    ImmichBridgeConfigEntry,
    ImmichBridgeQueueCoordinator,
    ImmichBridgeServerCoordinator,
    picked_albums,
)
from .entity import (
    ImmichBridgeEntity,
    async_queue_names,
    async_remove_stale_entities,
    async_track_items,
)
from .sensor_descriptions import (
    ALBUM_SENSOR,
    LAST_PHOTO,
    LIBRARY_ASSETS,
    LIBRARY_SCANNED,
    QUEUE_SENSORS,
    SENSORS,
    USER_QUOTA_SENSOR,
    USER_USAGE_SENSOR,
    ImmichBridgeItemSensorEntityDescription,
    ImmichBridgeSensorEntityDescription,
    LibraryItem,
)
from .watcher import ImmichBridgeAssetWatcher

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .api import (
        ImmichAlbum,
        ImmichQueue,
        ImmichUserUsage,
    )

PARALLEL_UPDATES = 0


# Sizes are bytes; they show in the binary unit Immich's web page would pick (see
# binary_size_unit) with one decimal, as Immich shows them ("1.4 MiB", "465.7 GiB").
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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Immich Bridge sensors."""
    runtime = entry.runtime_data
    server = runtime.server
    async_add_entities(
        ImmichBridgeSensor(entry=entry, coordinator=server, description=description)
        for description in SENSORS
        if server.allowed(description.source)
        and description.value_fn(server.data) is not None
    )

    async_track_items(
        hass,
        entry,
        server,
        "sensor",
        picked_albums(entry),
        lambda album_id: [
            ImmichBridgeAlbumSensor(entry, server, album_id, ALBUM_SENSOR)
        ],
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
            ImmichBridgeUserUsageSensor(entry, server, user_id, description)
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
            ImmichBridgeLibrarySensor(entry, server, library_id, description)
            for description in (LIBRARY_ASSETS, LIBRARY_SCANNED)
            if description is LIBRARY_SCANNED
            or server.data.library_statistics is not None
        ],
        async_add_entities,
    )
    photos = runtime.photos
    if photos is not None and (watcher := photos.watcher) is not None:
        async_add_entities(
            ImmichBridgeLastPhotoSensor(
                entry, watcher, person, photos.person_name(person)
            )
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
                ImmichBridgeQueueSensor(
                    entry, queues, name, queue_name(name), description
                )
                for description in QUEUE_SENSORS
            ],
            async_add_entities,
        )


class ImmichBridgeSizeUnitSensor(SensorEntity):
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


class ImmichBridgeSensor(
    ImmichBridgeEntity[ImmichBridgeServerCoordinator], ImmichBridgeSizeUnitSensor
):
    """A sensor for one value of the server data."""

    entity_description: ImmichBridgeSensorEntityDescription

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


class _ImmichBridgeServerItemSensor[ItemT](
    ImmichBridgeEntity[ImmichBridgeServerCoordinator], ImmichBridgeSizeUnitSensor
):
    """A sensor for one item of the server data (a user, a library) while it exists."""

    entity_description: ImmichBridgeItemSensorEntityDescription[ItemT]
    _placeholder: str  # the translation placeholder that names the item

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeServerCoordinator,
        item_id: str,
        description: ImmichBridgeItemSensorEntityDescription[ItemT],
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


class ImmichBridgeAlbumSensor(_ImmichBridgeServerItemSensor["ImmichAlbum"]):
    """The number of assets in one album the user picked in the options."""

    _placeholder = "album"

    @property
    def _item(self) -> ImmichAlbum | None:
        return (self.coordinator.data.albums or {}).get(self._item_id)

    def _name(self, item: ImmichAlbum) -> str:
        return item.name


class ImmichBridgeUserUsageSensor(_ImmichBridgeServerItemSensor["ImmichUserUsage"]):
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


class ImmichBridgeLibrarySensor(_ImmichBridgeServerItemSensor[LibraryItem]):
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


class ImmichBridgeLastPhotoSensor(
    ImmichBridgeEntity[ImmichBridgeAssetWatcher], SensorEntity
):
    """When the newest photo of a watched person was uploaded (disabled by default)."""

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeAssetWatcher,
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


class ImmichBridgeQueueSensor(
    ImmichBridgeEntity[ImmichBridgeQueueCoordinator], SensorEntity
):
    """One count (active, waiting, failed, delayed, paused) of one job queue."""

    entity_description: ImmichBridgeItemSensorEntityDescription[ImmichQueue]

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeQueueCoordinator,
        name: str,
        queue_name: str,
        description: ImmichBridgeItemSensorEntityDescription[ImmichQueue],
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
