"""One place that maps client errors: for actions and buttons, and for coordinators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ImmichAuthenticationError,
    ImmichConnectionError,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitError,
)
from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry


@contextmanager
def translate_action_errors(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    on_refused: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Turn client errors into translated Home Assistant errors; a 401 starts reauth.

    `on_refused` hears the permission of a 403 (not of an admin-only refusal).
    """
    try:
        yield
    except ImmichAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except ImmichPermissionError as err:
        if err.permission is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="admin_required"
            ) from err
        if on_refused is not None:
            on_refused(err.permission)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="missing_permission",
            translation_placeholders={"permission": err.permission},
        ) from err
    except ImmichNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="not_found"
        ) from err
    except ImmichRateLimitError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="rate_limited"
        ) from err
    except ImmichConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="cannot_connect"
        ) from err
    except ImmichError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="server_error"
        ) from err


@contextmanager
def translate_update_errors() -> Iterator[None]:
    """Map client errors to the coordinator's exceptions, with translated messages."""
    try:
        yield
    except ImmichAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except ImmichRateLimitError as err:
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            retry_after=err.retry_after,
        ) from err
    except ImmichConnectionError as err:
        raise UpdateFailed(
            translation_domain=DOMAIN, translation_key="cannot_connect"
        ) from err
    except ImmichError as err:
        raise UpdateFailed(
            translation_domain=DOMAIN, translation_key="server_error"
        ) from err
