"""Buttons: scan libraries, clear failed jobs, show the next slideshow photo."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import Platform

from .coordinator import ImmichBridgeConfigEntry, ImmichBridgeServerCoordinator
from .entity import ImmichBridgeEntity, async_remove_stale_entities
from .frames import FrameKind, ImmichBridgeFrameCoordinator
from .helpers import translate_action_errors
from .permissions import Requirement
from .resolve import async_libraries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import ImmichBridgeRuntimeData

PARALLEL_UPDATES = 1


async def _scan_libraries(runtime: ImmichBridgeRuntimeData) -> None:
    """Queue a scan of every external library; say so when there is none."""
    libraries = await async_libraries(runtime.client, None)
    await asyncio.gather(*(runtime.client.scan_library(lib.id) for lib in libraries))


async def _clear_failed_jobs(runtime: ImmichBridgeRuntimeData) -> None:
    """Clear the failed jobs of every queue that has some."""
    queues = await runtime.client.queues()
    await asyncio.gather(
        *(
            runtime.client.queue_command(queue.name, "clear-failed")
            for queue in queues
            if queue.failed > 0
        )
    )
    if runtime.queues is not None:
        await runtime.queues.async_request_refresh()


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeButtonEntityDescription(ButtonEntityDescription):
    """Describe a button."""

    requirement: Requirement
    press_fn: Callable[[ImmichBridgeRuntimeData], Awaitable[None]]


BUTTONS: tuple[ImmichBridgeButtonEntityDescription, ...] = (
    ImmichBridgeButtonEntityDescription(
        key="scan_libraries",
        translation_key="scan_libraries",
        requirement=Requirement(
            permissions=("library.read", "library.update"), admin=True
        ),
        press_fn=_scan_libraries,
    ),
    ImmichBridgeButtonEntityDescription(
        key="clear_failed_jobs",
        translation_key="clear_failed_jobs",
        requirement=Requirement(permissions=("queue.read", "job.create"), admin=True),
        press_fn=_clear_failed_jobs,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the buttons the key and user may press."""
    runtime = entry.runtime_data
    async_add_entities(
        ImmichBridgeButton(
            entry=entry, coordinator=runtime.server, description=description
        )
        for description in BUTTONS
        if description.requirement.met(runtime.key_info, is_admin=runtime.is_admin)
    )
    if runtime.photos is not None:
        photos = runtime.photos
        async_remove_stale_entities(
            hass, entry, Platform.BUTTON, NEXT_IMAGE_KEY, set(photos.frames)
        )
        async_add_entities(
            ImmichBridgeNextImageButton(
                entry=entry,
                coordinator=frame,
                description=NEXT_IMAGE[frame.source.kind],
                item_id=key,
                name=photos.title(frame.source),
            )
            for key, frame in photos.frames.items()
        )


class ImmichBridgeButton(
    ImmichBridgeEntity[ImmichBridgeServerCoordinator], ButtonEntity
):
    """A one-press action on the server."""

    entity_description: ImmichBridgeButtonEntityDescription

    async def async_press(self) -> None:
        """Run the action."""
        entry = self.coordinator.config_entry
        with translate_action_errors(self.hass, entry):
            await self.entity_description.press_fn(entry.runtime_data)


NEXT_IMAGE_KEY = "next_image"
NEXT_IMAGE: dict[str, ButtonEntityDescription] = {
    kind: ButtonEntityDescription(
        key=NEXT_IMAGE_KEY, translation_key=f"{kind}_{NEXT_IMAGE_KEY}"
    )
    for kind in FrameKind
}


class ImmichBridgeNextImageButton(
    ImmichBridgeEntity[ImmichBridgeFrameCoordinator], ButtonEntity
):
    """Advance a slideshow to its next photo."""

    def __init__(
        self,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeFrameCoordinator,
        description: ButtonEntityDescription,
        item_id: str,
        name: str,
    ) -> None:
        """Initialize the button of one slideshow."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=description,
            item_id=item_id,
        )
        self._attr_translation_placeholders = {"name": name}

    async def async_press(self) -> None:
        """Show the next photo."""
        await self.coordinator.async_next()
