"""Update entity for Immich Bridge: the installed vs the latest Immich release."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.update import UpdateEntity, UpdateEntityDescription

from .coordinator import ImmichBridgeConfigEntry, ImmichBridgeServerCoordinator
from .entity import ImmichBridgeEntity
from .permissions import Source

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

PARALLEL_UPDATES = 0

RELEASE_URL = "https://github.com/immich-app/immich/releases/tag/{version}"

SERVER_UPDATE = UpdateEntityDescription(key="server", translation_key="server")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the update entity when the server's version check can be read."""
    server = entry.runtime_data.server
    if server.allowed(Source.VERSION_CHECK) and server.data.version_check is not None:
        version = str(entry.runtime_data.version)
        async_add_entities([ImmichBridgeServerUpdate(entry, server, version)])


class ImmichBridgeServerUpdate(
    ImmichBridgeEntity[ImmichBridgeServerCoordinator], UpdateEntity
):
    """Compare the server's version with the latest release; never installs."""

    def __init__(
        self,
        entry: ImmichBridgeConfigEntry,
        coordinator: ImmichBridgeServerCoordinator,
        version: str,
    ) -> None:
        """Initialize the update entity; version is what the server said at setup."""
        super().__init__(
            entry=entry, coordinator=coordinator, description=SERVER_UPDATE
        )
        self._installed = version

    @property
    def available(self) -> bool:
        """Return False while the version check can't be read."""
        return super().available and self.coordinator.data.version_check is not None

    @property
    def installed_version(self) -> str:
        """Return the running server version."""
        about = self.coordinator.data.about
        return about.version.removeprefix("v") if about else self._installed

    @property
    def latest_version(self) -> str | None:
        """Return the latest release; None (unknown) until the server has checked.

        A server whose version check never ran (or is off) answers `releaseVersion:
        null`: that says nothing about newer releases, so the state is unknown rather
        than "up to date".
        """
        check = self.coordinator.data.version_check
        if check is None or not check.release_version:
            return None
        return check.release_version.removeprefix("v")

    @property
    def release_url(self) -> str | None:
        """Return the release notes of the latest version."""
        check = self.coordinator.data.version_check
        if check is None or not check.release_version:
            return None
        return RELEASE_URL.format(version="v" + check.release_version.removeprefix("v"))
