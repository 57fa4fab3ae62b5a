"""Base entity for Immich Bridge."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .const import DOMAIN
from .coordinator import ImmichBridgeConfigEntry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

# Where a capital letter starts a word of a queue name like thumbnailGeneration.
_WORD_START: Final = re.compile(r"(?<!^)(?=[A-Z])")


def device_info(entry: ImmichBridgeConfigEntry) -> DeviceInfo:
    """Describe the one service device of an entry, named like the entry."""
    runtime = entry.runtime_data
    url = runtime.client.url
    return DeviceInfo(
        identifiers={(DOMAIN, str(entry.unique_id))},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Immich",
        model="Immich server",
        name=entry.title,
        sw_version=str(runtime.version),
        configuration_url=url,
    )


class ImmichBridgeEntity[CoordinatorT: DataUpdateCoordinator[Any]](
    CoordinatorEntity[CoordinatorT]
):
    """An entity fed by one of an entry's coordinators."""

    _attr_has_entity_name = True

    def __init__(
        self,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: CoordinatorT,
        description: EntityDescription,
        item_id: str | None = None,
    ) -> None:
        """Initialize the entity; item_id keys per-album, user or queue entities."""
        super().__init__(coordinator=coordinator)
        self.entity_description = description
        suffix = description.key if item_id is None else f"{description.key}_{item_id}"
        self._attr_unique_id = f"{entry.unique_id}_{suffix}"
        self._attr_device_info = device_info(entry)


@callback
def async_track_items[DataT](
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    coordinator: DataUpdateCoordinator[DataT],
    platform: str,
    items_fn: Callable[[DataT], Iterable[str] | None],
    make_entities: Callable[[str], Sequence[ImmichBridgeEntity[Any]]],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add entities for albums, users or queues as they appear; remove them when gone.

    `items_fn` returns None when the data is unknown right now (a refused source):
    then nothing is added or removed.
    """
    known: dict[str, list[str]] = {}

    @callback
    def _async_sync() -> None:
        if coordinator.data is None:
            return
        items = items_fn(coordinator.data)
        if items is None:
            return
        current = set(items)
        new_entities: list[ImmichBridgeEntity[Any]] = []
        for item_id in sorted(current - known.keys()):
            entities = make_entities(item_id)
            known[item_id] = [str(entity.unique_id) for entity in entities]
            new_entities.extend(entities)
        if new_entities:
            async_add_entities(new_entities)
        registry = er.async_get(hass)
        for item_id in known.keys() - current:
            for unique_id in known.pop(item_id):
                if entity_id := registry.async_get_entity_id(
                    platform, DOMAIN, unique_id
                ):
                    registry.async_remove(entity_id)

    _async_sync()
    entry.async_on_unload(coordinator.async_add_listener(_async_sync))


@callback
def async_remove_stale_entities(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    domain: str,
    key: str,
    keep: set[str],
) -> None:
    """Remove an entry's `<key>_<item>` entities whose item left the options."""
    registry = er.async_get(hass)
    prefix = f"{entry.unique_id}_{key}_"
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (
            entity.domain == domain
            and entity.platform == DOMAIN
            and entity.unique_id.startswith(prefix)
            and entity.unique_id.removeprefix(prefix) not in keep
        ):
            registry.async_remove(entity.entity_id)


async def async_queue_names(hass: HomeAssistant) -> Callable[[str], str]:
    """Return what names a job queue in the configured language.

    The names are the selector `job_queue`'s options, by the queue name in snake case
    (thumbnailGeneration: thumbnail_generation). A queue the translations don't know
    yet is named by its words: "Thumbnail generation".
    """
    strings = await async_get_translations(
        hass, hass.config.language, "selector", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}.selector.job_queue.options."

    def queue_name(queue: str) -> str:
        if name := strings.get(prefix + _WORD_START.sub("_", queue).lower()):
            return name
        words = _WORD_START.sub(" ", queue).lower()
        return words[:1].upper() + words[1:]

    return queue_name
