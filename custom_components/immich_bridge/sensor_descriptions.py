"""What each sensor shows: its description and value, by area.

The server's values (library, account, storage, albums, people, server version), then
the sensors of one item each: an album, a user, an external library, a job queue and a
watched person. The entities that show them are in sensor.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfInformation

from .api import (
    ImmichAlbum,
    ImmichLibrary,
    ImmichLibraryStatistics,
    ImmichQueue,
    ImmichUserUsage,
)
from .const import PERCENTAGE
from .coordinator import ImmichBridgeServerData, quota_percent
from .permissions import Source

if TYPE_CHECKING:
    from homeassistant.helpers.typing import StateType


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeSensorEntityDescription(SensorEntityDescription):
    """Describe a sensor fed by the server coordinator."""

    source: Source
    value_fn: Callable[[ImmichBridgeServerData], StateType]


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeItemSensorEntityDescription[ItemT](SensorEntityDescription):
    """Describe a sensor for one item (album, user or queue)."""

    value_fn: Callable[[ItemT], StateType | datetime]


SENSORS: tuple[ImmichBridgeSensorEntityDescription, ...] = (
    ImmichBridgeSensorEntityDescription(
        key="photos",
        translation_key="photos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.photos if d.statistics else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="videos",
        translation_key="videos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.videos if d.statistics else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="usage",
        translation_key="usage",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.usage if d.statistics else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="usage_photos",
        translation_key="usage_photos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.usage_photos if d.statistics else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="usage_videos",
        translation_key="usage_videos",
        source=Source.STATISTICS,
        value_fn=lambda d: d.statistics.usage_videos if d.statistics else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="my_photos",
        translation_key="my_photos",
        source=Source.ASSET_STATISTICS,
        value_fn=lambda d: d.asset_statistics.images if d.asset_statistics else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="my_videos",
        translation_key="my_videos",
        source=Source.ASSET_STATISTICS,
        value_fn=lambda d: d.asset_statistics.videos if d.asset_statistics else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="my_usage",
        translation_key="my_usage",
        source=Source.USER,
        value_fn=lambda d: d.user.quota_usage_in_bytes if d.user else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="my_quota",
        translation_key="my_quota",
        source=Source.USER,
        value_fn=lambda d: d.user.quota_size_in_bytes if d.user else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="my_quota_used",
        translation_key="my_quota_used",
        source=Source.USER,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: quota_percent(d.user) if d.user else None,
    ),
    ImmichBridgeSensorEntityDescription(
        key="trash",
        translation_key="trash",
        source=Source.TRASH,
        value_fn=lambda d: d.trash.total if d.trash else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="duplicate_groups",
        translation_key="duplicate_groups",
        source=Source.DUPLICATES,
        value_fn=lambda d: d.duplicate_groups,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="disk_size",
        translation_key="disk_size",
        source=Source.STORAGE,
        value_fn=lambda d: d.storage.disk_size_raw if d.storage else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="disk_used",
        translation_key="disk_used",
        source=Source.STORAGE,
        value_fn=lambda d: d.storage.disk_use_raw if d.storage else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="disk_available",
        translation_key="disk_available",
        source=Source.STORAGE,
        value_fn=lambda d: d.storage.disk_available_raw if d.storage else None,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="disk_used_percent",
        translation_key="disk_used_percent",
        source=Source.STORAGE,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: d.storage.disk_usage_percentage if d.storage else None,
    ),
    ImmichBridgeSensorEntityDescription(
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
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="shared_albums",
        translation_key="shared_albums",
        source=Source.ALBUM_STATISTICS,
        value_fn=lambda d: (
            d.album_statistics.shared if d.album_statistics is not None else None
        ),
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="people",
        translation_key="people",
        source=Source.PEOPLE,
        value_fn=lambda d: d.people.total if d.people else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="tags",
        translation_key="tags",
        source=Source.TAGS,
        value_fn=lambda d: len(d.tags) if d.tags is not None else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="libraries",
        translation_key="libraries",
        source=Source.LIBRARIES,
        value_fn=lambda d: len(d.libraries) if d.libraries is not None else None,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    ImmichBridgeSensorEntityDescription(
        key="server_version",
        translation_key="server_version",
        source=Source.ABOUT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.about.version.removeprefix("v") if d.about else None,
    ),
)

ALBUM_SENSOR = ImmichBridgeItemSensorEntityDescription[ImmichAlbum](
    key="album_assets",
    translation_key="album_assets",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda album: album.asset_count,
)

USER_USAGE_SENSOR = ImmichBridgeItemSensorEntityDescription[ImmichUserUsage](
    key="user_usage",
    translation_key="user_usage",
    entity_registry_enabled_default=False,
    value_fn=lambda usage: usage.usage,
    device_class=SensorDeviceClass.DATA_SIZE,
    native_unit_of_measurement=UnitOfInformation.BYTES,
    suggested_display_precision=1,
    state_class=SensorStateClass.MEASUREMENT,
)

USER_QUOTA_SENSOR = ImmichBridgeItemSensorEntityDescription[ImmichUserUsage](
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


@dataclass(frozen=True, kw_only=True)
class LibraryItem:
    """An external library and its counts (None: the key can't read them)."""

    library: ImmichLibrary
    statistics: ImmichLibraryStatistics | None


LIBRARY_ASSETS = ImmichBridgeItemSensorEntityDescription[LibraryItem](
    key="library_assets",
    translation_key="library_assets",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda item: item.statistics.total if item.statistics else None,
)
LIBRARY_SCANNED = ImmichBridgeItemSensorEntityDescription[LibraryItem](
    key="library_scanned",
    translation_key="library_scanned",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda item: item.library.refreshed_at,
)

# "paused" counts the jobs held in a paused queue (Immich counts them apart from
# "waiting"): without it a paused queue's pending work would be invisible.
QUEUE_SENSORS: tuple[ImmichBridgeItemSensorEntityDescription[ImmichQueue], ...] = (
    ImmichBridgeItemSensorEntityDescription[ImmichQueue](
        key="queue_active",
        translation_key="queue_active",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda queue: queue.active,
    ),
    ImmichBridgeItemSensorEntityDescription[ImmichQueue](
        key="queue_waiting",
        translation_key="queue_waiting",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda queue: queue.waiting,
    ),
    ImmichBridgeItemSensorEntityDescription[ImmichQueue](
        key="queue_failed",
        translation_key="queue_failed",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda queue: queue.failed,
    ),
    ImmichBridgeItemSensorEntityDescription[ImmichQueue](
        key="queue_delayed",
        translation_key="queue_delayed",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda queue: queue.delayed,
    ),
    ImmichBridgeItemSensorEntityDescription[ImmichQueue](
        key="queue_paused",
        translation_key="queue_paused",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda queue: queue.paused,
    ),
)


LAST_PHOTO = SensorEntityDescription(
    key="last_photo",
    translation_key="last_photo",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_registry_enabled_default=False,
)
