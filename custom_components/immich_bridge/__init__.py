"""The Immich Bridge integration: an Immich photo server in Home Assistant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv

from .account import InvalidCaCertError, async_connect
from .api import ImmichError, ImmichUnsupportedVersionError
from .blueprint_files import async_install_blueprints
from .const import CONF_CA_CERT, DOMAIN
from .coordinator import (
    ImmichBridgeConfigEntry,
    ImmichBridgeQueueCoordinator,
    ImmichBridgeRuntimeData,
    ImmichBridgeServerCoordinator,
)
from .helpers import SETUP_OVERRIDES, translate_errors
from .issues import (
    async_delete_permission_issue,
    async_update_permission_issue,
    async_update_version_issue,
)
from .permissions import Source, source_allowed
from .photos import async_setup_photos
from .services import async_setup_services
from .views import ImmichBridgeMediaView
from .watcher import async_remove_watch_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the integration's actions; install its blueprints."""
    async_setup_services(hass)
    hass.http.register_view(ImmichBridgeMediaView())
    await async_install_blueprints(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry
) -> bool:
    """Set up Immich Bridge from a config entry."""

    def version_issue(err: ImmichError) -> None:
        """Raise the repair issue of a server too old to use."""
        if isinstance(err, ImmichUnsupportedVersionError):
            async_update_version_issue(hass, entry, err.version, err.minimum)

    try:
        # A refusal here is the server's fault (or passing): try again later.
        with translate_errors(
            ConfigEntryNotReady, overrides=SETUP_OVERRIDES, on_error=version_issue
        ):
            connection = await async_connect(
                hass,
                entry.data[CONF_URL],
                entry.data[CONF_API_KEY],
                verify_ssl=entry.data[CONF_VERIFY_SSL],
                ca_cert=entry.data.get(CONF_CA_CERT),
            )
    except InvalidCaCertError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key="invalid_ca_cert"
        ) from err
    async_update_version_issue(hass, entry, None, None)

    client, account = connection.client, connection.account
    key_info, is_admin = account.key_info, account.is_admin
    server = ImmichBridgeServerCoordinator(
        hass, entry, client, key_info, is_admin=is_admin, user=account.user
    )
    queues: ImmichBridgeQueueCoordinator | None = None
    if source_allowed(Source.QUEUES, key_info, is_admin=is_admin):
        queues = ImmichBridgeQueueCoordinator(
            hass, entry, client, key_info, is_admin=is_admin
        )
    entry.runtime_data = ImmichBridgeRuntimeData(
        client=client,
        version=connection.version,
        key_info=key_info,
        user=account.user,
        is_admin=is_admin,
        server=server,
        queues=queues,
    )
    await server.async_config_entry_first_refresh()
    if queues is not None:
        await queues.async_config_entry_first_refresh()

    entry.runtime_data.photos = await async_setup_photos(hass, entry)

    await async_update_permission_issue(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry
) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry
) -> None:
    """Remove the entry's repair issues and stored watch state when it is deleted."""
    async_update_version_issue(hass, entry, None, None)
    async_delete_permission_issue(hass, entry)
    await async_remove_watch_state(hass, entry)
