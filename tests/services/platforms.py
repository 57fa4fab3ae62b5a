"""Tiny camera and image entities for the upload action tests."""

from __future__ import annotations

from homeassistant.components.camera import Camera
from homeassistant.components.camera.const import DATA_COMPONENT as CAMERA_COMPONENT
from homeassistant.components.image import ImageEntity
from homeassistant.components.image.const import DATA_COMPONENT as IMAGE_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component


class StandInCamera(Camera):
    """A camera that returns fixed bytes (or nothing)."""

    _attr_content_type = "image/jpeg"

    def __init__(self, name: str, image: bytes | None) -> None:
        """Remember the picture."""
        super().__init__()
        self._attr_name = name
        self._attr_unique_id = name
        self.image = image

    async def async_camera_image(
        self,
        width: int | None = None,  # noqa: ARG002
        height: int | None = None,  # noqa: ARG002
    ) -> bytes | None:
        """Return the picture."""
        return self.image


class StandInImage(ImageEntity):
    """An image entity that returns fixed bytes (or nothing)."""

    _attr_content_type = "image/jpeg"

    def __init__(self, hass: HomeAssistant, name: str, image: bytes | None) -> None:
        """Remember the picture."""
        super().__init__(hass)
        self._attr_name = name
        self._attr_unique_id = f"image_{name}"
        self.image = image

    async def async_image(self) -> bytes | None:
        """Return the picture."""
        return self.image


async def async_setup_stand_ins(
    hass: HomeAssistant, picture: bytes
) -> tuple[StandInCamera, StandInCamera, StandInImage, StandInImage]:
    """Add camera.front_door, camera.broken, image.doorbell and image.empty."""
    cameras = (StandInCamera("Front door", picture), StandInCamera("Broken", None))
    images = (
        StandInImage(hass, "Doorbell", picture),
        StandInImage(hass, "Empty", None),
    )
    assert await async_setup_component(hass, "camera", {})
    assert await async_setup_component(hass, "image", {})
    await hass.data[CAMERA_COMPONENT].async_add_entities(cameras)
    await hass.data[IMAGE_COMPONENT].async_add_entities(images)
    await hass.async_block_till_done()
    return (*cameras, *images)
