"""Diagnostics for Immich Bridge, with secrets and personal data redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.util import dt as dt_util

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry

TO_REDACT = {
    CONF_API_KEY,
    CONF_URL,
    "api_key",
    "email",
    "name",
    "user_name",
    "title",
    "unique_id",
    "key",
    "password",
    "slug",
    "token",
    "import_paths",
    "exclusion_patterns",
    "original_path",
    "original_file_name",
    "storage_label",
    "oauth_id",
    "profile_image_path",
    "thumbnail_path",
}


def _plain(value: Any) -> Any:
    """Turn dataclass output into dicts and lists, which redaction walks into."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    return value


def _redact_data(data: Any) -> Any:
    """Redact a coordinator's data (a dataclass)."""
    return async_redact_data(_plain(asdict(data)), TO_REDACT)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    queues = runtime.queues
    push = runtime.photos.push if runtime.photos is not None else None
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "server_version": str(runtime.version),
        "is_admin": runtime.is_admin,
        "user_readable": runtime.user is not None,
        "permissions": sorted(runtime.key_info.permissions),
        "denied_sources": sorted(runtime.server.denied),
        "server": _redact_data(runtime.server.data),
        "queues": _redact_data(queues.data) if queues is not None else None,
        # None: the key may not open Immich's push connection (it needs `all`).
        "push": (
            {
                "state": push.state.value,
                "connections": push.connections,
                "last_event_at": (
                    dt_util.utc_from_timestamp(push.last_event_at).isoformat()
                    if push.last_event_at is not None
                    else None
                ),
            }
            if push is not None
            else None
        ),
    }
