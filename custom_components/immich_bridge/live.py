"""Hear about new uploads the moment Immich pushes them, and look for them at once.

The push connection only says *that* something changed: the new-asset watcher then
searches as it does every minute, so each asset is still announced exactly once and
polling carries on unchanged when the connection is refused, cut or not allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, callback

from .api import ImmichPush, ImmichPushEvent, PushState
from .const import LOGGER
from .permissions import PUSH

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry
    from .watcher import ImmichBridgeAssetWatcher

# Pushed events after which the watcher looks again: new uploads (sent once the
# thumbnails exist) and what can change the latest upload.
REFRESH_EVENTS: Final = frozenset(
    {
        "on_upload_success",
        "on_asset_delete",
        "on_asset_trash",
        "on_asset_restore",
        "on_asset_hidden",
    }
)


@callback
def async_start_push(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    watcher: ImmichBridgeAssetWatcher,
) -> ImmichPush | None:
    """Connect to Immich's push events when the key may; None when it may not."""
    runtime = entry.runtime_data
    if not PUSH.met(runtime.key_info, is_admin=runtime.is_admin):
        LOGGER.debug("Key without the permission all: new uploads are polled only")
        return None

    @callback
    def on_event(event: ImmichPushEvent) -> None:
        if event.name in REFRESH_EVENTS:
            watcher.async_refresh_soon()

    @callback
    def on_state(state: PushState) -> None:
        LOGGER.debug("Immich push connection: %s", state)
        # Catch up on what was pushed while the connection was down.
        if state is PushState.CONNECTED and push.connections > 1:
            watcher.async_refresh_soon()

    async def on_stop(_event: Event) -> None:
        await push.close()

    push = ImmichPush(client=runtime.client, on_event=on_event, on_state=on_state)
    # A task of the push's own, not one of Home Assistant's: it lasts as long as the
    # entry, and a background task would keep `async_block_till_done` waiting.
    push.start()
    entry.async_on_unload(push.close)
    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, on_stop))
    return push
