"""Image entities for picture cards: photo frames and the latest upload."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .action_schemas import SHOW_ON_FRAME_SCHEMA, validate
from .api import (
    ImmichAsset,
    ImmichError,
    ImmichNotFoundError,
    image_content_type,
    is_uuid,
)
from .const import ATTR_DURATION, ATTR_SOURCE, DOMAIN, LOGGER
from .entity import ImmichBridgeEntity, async_remove_stale_entities
from .frames import FrameKind, FrameSource, ImmichBridgeFrameCoordinator
from .helpers import invalid, translate_action_errors
from .permissions import PHOTOS
from .resolve import async_album, async_people
from .watcher import ImmichBridgeAssetWatcher

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api import ImmichClient
    from .coordinator import ImmichBridgeConfigEntry

PARALLEL_UPDATES = 0

VISIT_RANGE: Final = (timedelta(minutes=1), timedelta(days=1))
FRAME_KEY: Final = "frame"

FRAME_DESCRIPTIONS: Final[dict[str, ImageEntityDescription]] = {
    kind: ImageEntityDescription(key=FRAME_KEY, translation_key=f"{kind}_frame")
    for kind in FrameKind
}
LATEST_UPLOAD: Final = ImageEntityDescription(
    key="latest_upload", translation_key="latest_upload"
)


@callback
async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a frame per source of the options, and the latest upload."""
    photos = entry.runtime_data.photos
    if photos is None:
        return
    entities: list[ImageEntity] = [
        ImmichBridgeFrameImage(
            hass,
            entry=entry,
            coordinator=coordinator,
            description=FRAME_DESCRIPTIONS[coordinator.source.kind],
            item_id=key,
            name=photos.title(coordinator.source),
        )
        for key, coordinator in photos.frames.items()
    ]
    runtime = entry.runtime_data
    if photos.watcher is not None and PHOTOS.met(
        runtime.key_info, is_admin=runtime.is_admin
    ):
        entities.append(
            ImmichBridgeLatestUploadImage(
                hass, entry=entry, coordinator=photos.watcher, description=LATEST_UPLOAD
            )
        )
    async_remove_stale_entities(
        hass, entry, Platform.IMAGE, FRAME_KEY, set(photos.frames)
    )
    async_add_entities(entities)


async def _async_resolve_frame_source(
    client: ImmichClient, option: str, *, owner_id: str | None
) -> FrameSource:
    """Parse a source given in an action: albums and people also by name.

    Raise ServiceValidationError for what is not a source or names nothing.
    """
    kind, value = FrameSource.split(option)
    if kind == FrameKind.ALBUM and value and not is_uuid(value):
        value = (await async_album(client, value, owner_id=owner_id)).id
    elif kind == FrameKind.PERSON and value and not is_uuid(value):
        value = (await async_people(client, [value]))[0].id
    if (source := FrameSource.build(kind, value)) is None:
        raise invalid(key="invalid_frame_source", source=option)
    return source


class _ImmichBridgeImage[
    CoordinatorT: ImmichBridgeFrameCoordinator | ImmichBridgeAssetWatcher
](ImmichBridgeEntity[CoordinatorT], ImageEntity):
    """Show one asset's preview, fetched when asked for and kept while it is shown."""

    _attr_content_type = "image/jpeg"

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: CoordinatorT,
        description: ImageEntityDescription,
        item_id: str | None = None,
    ) -> None:
        """Initialize the image."""
        super().__init__(
            entry=entry,
            coordinator=coordinator,
            description=description,
            item_id=item_id,
        )
        ImageEntity.__init__(self, hass)
        self._shown: str | None = None
        self._cached: tuple[str, bytes] | None = None
        self._lock = asyncio.Lock()

    @property
    def asset(self) -> ImmichAsset | None:
        """Return the asset shown now."""
        raise NotImplementedError

    @property
    def available(self) -> bool:
        """Return True when there is a photo to show."""
        return super().available and self.asset is not None

    async def async_added_to_hass(self) -> None:
        """Take the photo the coordinator already has."""
        await super().async_added_to_hass()
        self._sync_asset()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Note a new photo: a new timestamp, and the old bytes dropped."""
        self._sync_asset()
        super()._handle_coordinator_update()

    @callback
    def _sync_asset(self) -> None:
        """Follow the coordinator's asset."""
        asset = self.asset
        asset_id = asset.id if asset is not None else None
        if asset_id != self._shown:
            self._shown = asset_id
            self._cached = None
            self._attr_image_last_updated = dt_util.utcnow()

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the photo's id, date and place."""
        if (asset := self.asset) is None:
            return None
        taken = asset.local_date_time or asset.file_created_at
        return {
            "asset_id": asset.id,
            "file_name": asset.original_file_name,
            "taken_at": taken.isoformat(),
            "city": asset.city,
            "country": asset.country,
        }

    async def async_image(self) -> bytes | None:
        """Return the preview of the photo shown now."""
        async with self._lock:
            try:
                return await self._async_preview()
            except ImmichNotFoundError:
                # Deleted since the last poll: ask the coordinator for what to show now.
                if not await self._async_asset_gone():
                    return None
            try:
                return await self._async_preview()
            except ImmichNotFoundError:
                return None

    async def _async_preview(self) -> bytes | None:
        """Fetch (or reuse) the preview; raise ImmichNotFoundError when it is gone."""
        if (asset := self.asset) is None:
            return None
        if self._cached is not None and self._cached[0] == asset.id:
            return self._cached[1]
        try:
            data = await self.coordinator.client.thumbnail(asset.id, size="preview")
        except ImmichNotFoundError:
            LOGGER.debug("The asset %s is gone", asset.id)
            raise
        except ImmichError as err:
            LOGGER.debug("Could not fetch the preview of %s: %s", asset.id, err)
            return None
        self._attr_content_type = image_content_type(data)
        self._cached = (asset.id, data)
        return data

    async def _async_asset_gone(self) -> bool:
        """Refresh now in place of a deleted asset; True when another one is shown.

        A frame draws the next photo of its source; the latest upload polls, and the
        newest remaining upload replaces the deleted one.
        """
        gone = self._shown
        await self.coordinator.async_refresh()
        return self.asset is not None and self.asset.id != gone


class ImmichBridgeFrameImage(_ImmichBridgeImage[ImmichBridgeFrameCoordinator]):
    """A photo frame: a new photo of its source every few minutes."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeFrameCoordinator,
        description: ImageEntityDescription,
        item_id: str,
        name: str,
    ) -> None:
        """Initialize the frame, named after its album, person or query."""
        super().__init__(
            hass,
            entry=entry,
            coordinator=coordinator,
            description=description,
            item_id=item_id,
        )
        self._attr_translation_placeholders = {"name": name}

    @property
    def asset(self) -> ImmichAsset | None:
        """Return the photo the frame shows."""
        data = self.coordinator.data
        return data.asset if data is not None else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the photo's id, date and place; and what the frame visits."""
        attributes = super().extra_state_attributes
        data = self.coordinator.data
        if attributes is None or data.visiting is None or data.visiting_until is None:
            return attributes
        return {
            **attributes,
            "showing": data.visiting.option,
            "showing_until": data.visiting_until.isoformat(),
        }

    async def async_next_image(self) -> None:
        """Show the next photo now (the interval starts again)."""
        await self.coordinator.async_next()

    async def async_show_on_frame(self, **fields: Any) -> None:
        """Show photos of another source for a while, then the frame's own again."""
        data = validate(SHOW_ON_FRAME_SCHEMA, fields)
        source: str = data[ATTR_SOURCE]
        duration: timedelta = data[ATTR_DURATION]
        low, high = VISIT_RANGE
        if not low <= duration <= high:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="frame_duration_out_of_range",
                translation_placeholders={
                    "minimum": str(low),
                    "maximum": str(high),
                },
            )
        entry = self.coordinator.config_entry
        runtime = entry.runtime_data
        with translate_action_errors(self.hass, entry):
            visiting = await _async_resolve_frame_source(
                runtime.client,
                source,
                owner_id=runtime.user.id if runtime.user is not None else None,
            )
            await self.coordinator.async_show(visiting, duration)


class ImmichBridgeLatestUploadImage(_ImmichBridgeImage[ImmichBridgeAssetWatcher]):
    """The newest photo or video uploaded to the server."""

    @property
    def asset(self) -> ImmichAsset | None:
        """Return the newest upload."""
        data = self.coordinator.data
        return data.latest if data is not None else None

    async def async_next_image(self) -> None:
        """Refuse: only photo frames change on request."""
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="not_a_frame"
        )

    async def async_show_on_frame(self, **fields: Any) -> None:  # noqa: ARG002
        """Refuse: only photo frames show other sources."""
        await self.async_next_image()
