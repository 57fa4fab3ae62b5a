"""Register the Immich Bridge actions: one table from action name to schema and handler.

The handlers live by concern: `actions_transfer.py` (upload, sync_folder,
download), `actions_albums.py` (albums, tags, shared links), `actions_library.py`
(jobs, library scans, search) and `actions_assets.py`; their fields and schemas
are in `action_schemas.py`. Client errors are translated in `helpers.py`.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import service

from .action_common import Action, EntryAction, HassAction, get_entry
from .action_schemas import (
    ALBUM_ASSETS_SCHEMA,
    CREATE_ALBUM_SCHEMA,
    CREATE_SHARED_LINK_SCHEMA,
    CREATE_TAG_SCHEMA,
    DELETE_ALBUM_SCHEMA,
    DELETE_ASSETS_SCHEMA,
    DELETE_SHARED_LINK_SCHEMA,
    DOWNLOAD_SCHEMA,
    EMPTY_TRASH_SCHEMA,
    JOB_COMMAND_SCHEMA,
    RESTORE_ASSETS_SCHEMA,
    SCAN_LIBRARY_SCHEMA,
    SEARCH_SCHEMA,
    SHARE_ALBUM_SCHEMA,
    SHOW_ON_FRAME_FIELDS,
    SYNC_FOLDER_SCHEMA,
    TAG_ASSETS_SCHEMA,
    UPDATE_ALBUM_SCHEMA,
    UPDATE_ASSETS_SCHEMA,
    UPLOAD_SCHEMA,
    validate,
)
from .actions_albums import (
    async_add_to_album,
    async_create_album,
    async_create_shared_link,
    async_create_tag,
    async_delete_album,
    async_delete_shared_link,
    async_remove_from_album,
    async_share_album,
    async_tag_assets,
    async_untag_assets,
    async_update_album,
)
from .actions_assets import (
    async_delete_assets,
    async_empty_trash,
    async_restore_assets,
    async_update_assets,
)
from .actions_library import async_job_command, async_scan_library, async_search
from .actions_transfer import async_download, async_sync_folder, async_upload
from .const import DOMAIN, LOGGER
from .helpers import rejected_as_invalid, translate_action_errors
from .issues import async_update_permission_issue

SERVICE_UPLOAD: Final = "upload"
SERVICE_SYNC_FOLDER: Final = "sync_folder"
SERVICE_DOWNLOAD: Final = "download"
SERVICE_CREATE_ALBUM: Final = "create_album"
SERVICE_UPDATE_ALBUM: Final = "update_album"
SERVICE_DELETE_ALBUM: Final = "delete_album"
SERVICE_ADD_TO_ALBUM: Final = "add_to_album"
SERVICE_REMOVE_FROM_ALBUM: Final = "remove_from_album"
SERVICE_SHARE_ALBUM: Final = "share_album"
SERVICE_CREATE_TAG: Final = "create_tag"
SERVICE_TAG_ASSETS: Final = "tag_assets"
SERVICE_UNTAG_ASSETS: Final = "untag_assets"
SERVICE_CREATE_SHARED_LINK: Final = "create_shared_link"
SERVICE_DELETE_SHARED_LINK: Final = "delete_shared_link"
SERVICE_JOB_COMMAND: Final = "job_command"
SERVICE_SCAN_LIBRARY: Final = "scan_library"
SERVICE_SEARCH: Final = "search"
SERVICE_UPDATE_ASSETS: Final = "update_assets"
SERVICE_DELETE_ASSETS: Final = "delete_assets"
SERVICE_RESTORE_ASSETS: Final = "restore_assets"
SERVICE_EMPTY_TRASH: Final = "empty_trash"
# Entity actions of the photo frames (image.py implements them).
SERVICE_NEXT_IMAGE: Final = "next_image"
SERVICE_SHOW_ON_FRAME: Final = "show_on_frame"

ACTIONS: Final[dict[str, Action]] = {
    SERVICE_UPLOAD: HassAction(
        schema=UPLOAD_SCHEMA, handler=async_upload, response=SupportsResponse.OPTIONAL
    ),
    SERVICE_SYNC_FOLDER: HassAction(
        schema=SYNC_FOLDER_SCHEMA,
        handler=async_sync_folder,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DOWNLOAD: HassAction(
        schema=DOWNLOAD_SCHEMA,
        handler=async_download,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CREATE_ALBUM: EntryAction(
        schema=CREATE_ALBUM_SCHEMA,
        handler=async_create_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_UPDATE_ALBUM: EntryAction(
        schema=UPDATE_ALBUM_SCHEMA,
        handler=async_update_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DELETE_ALBUM: EntryAction(
        schema=DELETE_ALBUM_SCHEMA,
        handler=async_delete_album,
        response=SupportsResponse.NONE,
    ),
    SERVICE_ADD_TO_ALBUM: EntryAction(
        schema=ALBUM_ASSETS_SCHEMA,
        handler=async_add_to_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_REMOVE_FROM_ALBUM: EntryAction(
        schema=ALBUM_ASSETS_SCHEMA,
        handler=async_remove_from_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_SHARE_ALBUM: EntryAction(
        schema=SHARE_ALBUM_SCHEMA,
        handler=async_share_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CREATE_TAG: EntryAction(
        schema=CREATE_TAG_SCHEMA,
        handler=async_create_tag,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_TAG_ASSETS: EntryAction(
        schema=TAG_ASSETS_SCHEMA,
        handler=async_tag_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_UNTAG_ASSETS: EntryAction(
        schema=TAG_ASSETS_SCHEMA,
        handler=async_untag_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CREATE_SHARED_LINK: EntryAction(
        schema=CREATE_SHARED_LINK_SCHEMA,
        handler=async_create_shared_link,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DELETE_SHARED_LINK: EntryAction(
        schema=DELETE_SHARED_LINK_SCHEMA,
        handler=async_delete_shared_link,
        response=SupportsResponse.NONE,
    ),
    SERVICE_JOB_COMMAND: EntryAction(
        schema=JOB_COMMAND_SCHEMA,
        handler=async_job_command,
        response=SupportsResponse.NONE,
    ),
    SERVICE_SCAN_LIBRARY: EntryAction(
        schema=SCAN_LIBRARY_SCHEMA,
        handler=async_scan_library,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_SEARCH: EntryAction(
        schema=SEARCH_SCHEMA, handler=async_search, response=SupportsResponse.ONLY
    ),
    SERVICE_UPDATE_ASSETS: HassAction(
        schema=UPDATE_ASSETS_SCHEMA,
        handler=async_update_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DELETE_ASSETS: EntryAction(
        schema=DELETE_ASSETS_SCHEMA,
        handler=async_delete_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_RESTORE_ASSETS: EntryAction(
        schema=RESTORE_ASSETS_SCHEMA,
        handler=async_restore_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_EMPTY_TRASH: EntryAction(
        schema=EMPTY_TRASH_SCHEMA,
        handler=async_empty_trash,
        response=SupportsResponse.OPTIONAL,
    ),
}


async def _async_handle(
    hass: HomeAssistant, action: Action, call: ServiceCall
) -> ServiceResponse:
    """Validate an action call, run it against its entry and shape the response.

    The schema runs here (`validate`) rather than in the service registry, so that
    bad data ends in a translated ServiceValidationError.
    """
    data = validate(action.schema, dict(call.data))
    entry = get_entry(hass, data[ATTR_CONFIG_ENTRY_ID])
    LOGGER.debug("Running action %s for entry %s", call.service, entry.entry_id)

    @callback
    def refused(permission: str) -> None:
        """Raise the repair issue: the user used something the key can't do."""
        entry.async_create_task(
            hass,
            async_update_permission_issue(hass, entry, {call.service: permission}),
            "immich_bridge permission issue",
        )

    with translate_action_errors(hass, entry, refused), rejected_as_invalid():
        response = await action.async_run(hass, entry, data)
    if response is None or not call.return_response:
        return None
    return response


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every Immich Bridge action, the photo frames' entity actions too."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_handle, hass, action),
            supports_response=action.response,
        )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_NEXT_IMAGE,
        entity_domain=Platform.IMAGE,
        schema=None,
        func="async_next_image",
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SHOW_ON_FRAME,
        entity_domain=Platform.IMAGE,
        schema=SHOW_ON_FRAME_FIELDS,
        func="async_show_on_frame",
    )
