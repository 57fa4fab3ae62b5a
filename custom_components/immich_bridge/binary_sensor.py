"""Immich Bridge binary sensors: disk space, busy library, failures, paused queues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .const import (
    CONF_LOW_DISK_THRESHOLD,
    CONF_QUOTA_THRESHOLD,
    DEFAULT_LOW_DISK_THRESHOLD,
    DEFAULT_QUOTA_THRESHOLD,
)
from .coordinator import (
    ImmichBridgeConfigEntry,
    ImmichBridgeQueueCoordinator,
    ImmichBridgeQueueData,
    ImmichBridgeServerCoordinator,
    quota_percent,
)
from .entity import ImmichBridgeEntity, async_queue_names, async_track_items
from .permissions import Source

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api import ImmichQueue

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeQueueBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describe a binary sensor over all job queues."""

    is_on_fn: Callable[[ImmichBridgeQueueData], bool]
    attributes_fn: Callable[[ImmichBridgeQueueData], dict[str, list[str]]] | None = None


def _pending(queue: ImmichQueue) -> bool:
    """Return True when a queue holds jobs ready to run that have not started.

    Waiting jobs and jobs held in a paused queue (Immich counts those as "paused", not
    "waiting"). Delayed jobs are not: Immich defers some on purpose (an album's update
    notification waits minutes for more changes), which is no work for the library.
    """
    return queue.waiting + queue.paused > 0


QUEUE_BINARY_SENSORS: tuple[ImmichBridgeQueueBinarySensorEntityDescription, ...] = (
    ImmichBridgeQueueBinarySensorEntityDescription(
        # On while any job runs or waits to run, also in a paused queue: what a user
        # means by "busy" is "work not finished yet" (don't power the server down).
        key="library_busy",
        translation_key="library_busy",
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=lambda d: any(q.active > 0 or _pending(q) for q in d.queues.values()),
        attributes_fn=lambda d: {
            "active_queues": sorted(n for n, q in d.queues.items() if q.active > 0),
            "pending_queues": sorted(n for n, q in d.queues.items() if _pending(q)),
        },
    ),
    ImmichBridgeQueueBinarySensorEntityDescription(
        key="job_failures",
        translation_key="job_failures",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda d: any(q.failed > 0 for q in d.queues.values()),
        attributes_fn=lambda d: {
            "failed_queues": sorted(n for n, q in d.queues.items() if q.failed > 0)
        },
    ),
)

LOW_DISK_SPACE = BinarySensorEntityDescription(
    key="low_disk_space",
    translation_key="low_disk_space",
    device_class=BinarySensorDeviceClass.PROBLEM,
)

NEAR_QUOTA = BinarySensorEntityDescription(
    key="near_quota",
    translation_key="near_quota",
    device_class=BinarySensorDeviceClass.PROBLEM,
)

QUEUE_PAUSED = BinarySensorEntityDescription(
    key="queue_paused",
    translation_key="queue_paused",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Immich Bridge binary sensors."""
    runtime = entry.runtime_data
    server = runtime.server
    if server.allowed(Source.STORAGE) and server.data.storage:
        async_add_entities([ImmichBridgeLowDiskSpaceSensor(entry, server)])
    user = server.data.user
    if server.allowed(Source.USER) and user and quota_percent(user) is not None:
        async_add_entities([ImmichBridgeNearQuotaSensor(entry, server)])
    if (queues := runtime.queues) is None:
        return
    async_add_entities(
        ImmichBridgeQueuesBinarySensor(
            entry=entry, coordinator=queues, description=description
        )
        for description in QUEUE_BINARY_SENSORS
    )
    queue_name = await async_queue_names(hass)
    async_track_items(
        hass,
        entry,
        queues,
        "binary_sensor",
        lambda d: d.queues.keys(),
        lambda name: [
            ImmichBridgeQueuePausedSensor(entry, queues, name, queue_name(name))
        ],
        async_add_entities,
    )


class ImmichBridgeLowDiskSpaceSensor(
    ImmichBridgeEntity[ImmichBridgeServerCoordinator], BinarySensorEntity
):
    """Turn on when the free share of the disk is below the threshold in the options."""

    def __init__(
        self, entry: ImmichBridgeConfigEntry, coordinator: ImmichBridgeServerCoordinator
    ) -> None:
        """Initialize the sensor."""
        super().__init__(
            entry=entry, coordinator=coordinator, description=LOW_DISK_SPACE
        )
        self._threshold = float(
            entry.options.get(CONF_LOW_DISK_THRESHOLD, DEFAULT_LOW_DISK_THRESHOLD)
        )

    @property
    def available(self) -> bool:
        """Return False while storage can't be read."""
        return super().available and self.coordinator.data.storage is not None

    @property
    def is_on(self) -> bool | None:
        """Return True when the available share of the disk is below the threshold.

        Available ÷ size, not 100 minus `diskUsagePercentage`: the server's percentage
        is used ÷ size, and on a disk with reserved blocks (or a quota) the unused
        space is more than can be written.
        """
        storage = self.coordinator.data.storage
        if storage is None or storage.disk_size_raw <= 0:
            return None
        free = 100.0 * storage.disk_available_raw / storage.disk_size_raw
        return free < self._threshold

    @property
    def extra_state_attributes(self) -> dict[str, float]:
        """Return the threshold in percent of free space."""
        return {"threshold": self._threshold}


class ImmichBridgeNearQuotaSensor(
    ImmichBridgeEntity[ImmichBridgeServerCoordinator], BinarySensorEntity
):
    """Turn on when the user's share of their quota reaches the option's threshold."""

    def __init__(
        self, entry: ImmichBridgeConfigEntry, coordinator: ImmichBridgeServerCoordinator
    ) -> None:
        """Initialize the sensor."""
        super().__init__(entry=entry, coordinator=coordinator, description=NEAR_QUOTA)
        self._threshold = float(
            entry.options.get(CONF_QUOTA_THRESHOLD, DEFAULT_QUOTA_THRESHOLD)
        )

    @property
    def _percent(self) -> float | None:
        user = self.coordinator.data.user
        return quota_percent(user) if user is not None else None

    @property
    def available(self) -> bool:
        """Return False while the user (or their quota) can't be read."""
        return super().available and self._percent is not None

    @property
    def is_on(self) -> bool | None:
        """Return True when the used share of the quota is at the threshold or more."""
        percent = self._percent
        return percent >= self._threshold if percent is not None else None

    @property
    def extra_state_attributes(self) -> dict[str, float]:
        """Return the threshold in percent of the quota."""
        return {"threshold": self._threshold}


class ImmichBridgeQueuesBinarySensor(
    ImmichBridgeEntity[ImmichBridgeQueueCoordinator], BinarySensorEntity
):
    """A binary sensor over all job queues."""

    entity_description: ImmichBridgeQueueBinarySensorEntityDescription

    @property
    def is_on(self) -> bool:
        """Return the state."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, list[str]] | None:
        """Return which queues are concerned."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)


class ImmichBridgeQueuePausedSensor(
    ImmichBridgeEntity[ImmichBridgeQueueCoordinator], BinarySensorEntity
):
    """On while one job queue is paused."""

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeQueueCoordinator,
        name: str,
        queue_name: str,
    ) -> None:
        """Initialize the sensor of a queue named queue_name in the user's language."""
        super().__init__(
            entry=entry, coordinator=coordinator, description=QUEUE_PAUSED, item_id=name
        )
        self._queue = name
        self._attr_translation_placeholders = {"queue": queue_name}

    @property
    def available(self) -> bool:
        """Return True while the queue exists."""
        return super().available and self._queue in self.coordinator.data.queues

    @property
    def is_on(self) -> bool | None:
        """Return True when the queue is paused."""
        queue = self.coordinator.data.queues.get(self._queue)
        return queue.is_paused if queue else None
