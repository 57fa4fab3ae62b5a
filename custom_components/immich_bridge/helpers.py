"""The one boundary where client errors become translated Home Assistant errors.

`ERRORS` is the table: for each client error, the translation key of the
`exceptions` section (with its placeholders) and the key of a config or repair
form. `translate_errors` applies it, raising the Home Assistant exception class it
is given (or the one `overrides` names for a client error). Setup, refreshes,
actions, buttons, the frame entity services and the media source raise through it;
the config, options and repair forms read the table's form key (`error_key`). The
media proxy (`views.py`) answers HTTP statuses instead, and needs no translation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ImmichAmbiguousAlbumError,
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichConnectionError,
    ImmichError,
    ImmichNoMatchError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitError,
    ImmichSSLError,
    ImmichUnsupportedVersionError,
)
from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorTranslation:
    """How one client error reads: exception key, placeholders and form key."""

    key: str
    placeholders: dict[str, str] | None = None
    form_key: str = "unknown"


def _permission(err: ImmichError) -> ErrorTranslation:
    """Translate a 403: the permission the server named, or "admin only"."""
    assert isinstance(err, ImmichPermissionError)  # noqa: S101  # the table's row
    if err.permission is None:
        return ErrorTranslation(key="admin_required", form_key="missing_permission")
    return ErrorTranslation(
        key="missing_permission",
        placeholders={"permission": err.permission},
        form_key="missing_permission",
    )


def _ssl(err: ImmichError) -> ErrorTranslation:
    """Translate a TLS failure: a refused certificate, or no TLS at all."""
    assert isinstance(err, ImmichSSLError)  # noqa: S101  # the table's row
    if err.certificate:
        return ErrorTranslation(key="ssl_error", form_key="ssl_error")
    return ErrorTranslation(key="cannot_connect", form_key="not_https")


def _version(err: ImmichError) -> ErrorTranslation:
    """Translate a server older than the oldest supported version."""
    assert isinstance(err, ImmichUnsupportedVersionError)  # noqa: S101  # the row
    return ErrorTranslation(
        key="unsupported_version",
        placeholders={"version": err.version, "minimum": err.minimum},
        form_key="unsupported_version",
    )


def _ambiguous(err: ImmichError) -> ErrorTranslation:
    """Translate an album name that several albums share."""
    assert isinstance(err, ImmichAmbiguousAlbumError)  # noqa: S101  # the row
    return ErrorTranslation(
        key="album_ambiguous",
        placeholders={"album": err.name, "count": str(err.count)},
    )


def _no_match(err: ImmichError) -> ErrorTranslation:
    """Translate a reference that names nothing: `<kind>_not_found` {kind: ref}.

    Without a reference there is none of that kind at all: `no_<kind>`.
    """
    assert isinstance(err, ImmichNoMatchError)  # noqa: S101  # the row
    if err.ref is None:
        return ErrorTranslation(key=f"no_{err.kind}")
    return ErrorTranslation(
        key=f"{err.kind}_not_found", placeholders={err.kind: err.ref}
    )


def _fixed(key: str, form_key: str) -> Callable[[ImmichError], ErrorTranslation]:
    """Translate every error of a row the same way."""
    translation = ErrorTranslation(key=key, form_key=form_key)
    return lambda _err: translation


# The first row whose class matches wins: subclasses come before their parents.
ERRORS: Final[
    tuple[tuple[type[ImmichError], Callable[[ImmichError], ErrorTranslation]], ...]
] = (
    (ImmichUnsupportedVersionError, _version),
    (ImmichAuthenticationError, _fixed("auth_failed", "invalid_auth")),
    (ImmichPermissionError, _permission),
    (ImmichNotFoundError, _fixed("not_found", "unknown")),
    (ImmichAmbiguousAlbumError, _ambiguous),
    (ImmichNoMatchError, _no_match),
    (ImmichRateLimitError, _fixed("rate_limited", "cannot_connect")),
    (ImmichSSLError, _ssl),
    (ImmichConnectionError, _fixed("cannot_connect", "cannot_connect")),
    (ImmichError, _fixed("server_error", "unknown")),
)


def error_translation(err: ImmichError) -> ErrorTranslation:
    """Return how a client error reads, from the table."""
    return next(rule(err) for kind, rule in ERRORS if isinstance(err, kind))


def translated_error(
    err: ImmichError,
    error: type[HomeAssistantError],
    overrides: Mapping[type[ImmichError], type[HomeAssistantError]] | None = None,
) -> HomeAssistantError:
    """Build the Home Assistant exception for a client error (not raised)."""
    translation = error_translation(err)
    cls = next(
        (ha for kind, ha in (overrides or {}).items() if isinstance(err, kind)),
        error,
    )
    if issubclass(cls, UpdateFailed) and isinstance(err, ImmichRateLimitError):
        return cls(
            translation_domain=DOMAIN,
            translation_key=translation.key,
            translation_placeholders=translation.placeholders,
            retry_after=err.retry_after,
        )
    return cls(
        translation_domain=DOMAIN,
        translation_key=translation.key,
        translation_placeholders=translation.placeholders,
    )


@contextmanager
def translate_errors(
    error: type[HomeAssistantError],
    *,
    overrides: Mapping[type[ImmichError], type[HomeAssistantError]] | None = None,
    on_error: Callable[[ImmichError], None] | None = None,
) -> Iterator[None]:
    """Raise client errors as `error` (or the class `overrides` names), translated.

    `on_error` hears the client error first (to start a reauth, raise an issue).
    """
    try:
        yield
    except ImmichError as err:
        if on_error is not None:
            on_error(err)
        raise translated_error(err, error, overrides) from err


# Refreshes: a refused key starts the reauth flow, the rest is a failed update.
UPDATE_OVERRIDES: Final[Mapping[type[ImmichError], type[HomeAssistantError]]] = {
    ImmichAuthenticationError: ConfigEntryAuthFailed
}
# Setup: a refused key starts reauth, a server too old stops; the rest retries.
SETUP_OVERRIDES: Final[Mapping[type[ImmichError], type[HomeAssistantError]]] = {
    ImmichUnsupportedVersionError: ConfigEntryError,
    ImmichAuthenticationError: ConfigEntryAuthFailed,
}
# Actions: an unknown item, a name that matches nothing or several albums: the
# caller's mistake.
ACTION_OVERRIDES: Final[Mapping[type[ImmichError], type[HomeAssistantError]]] = {
    ImmichNotFoundError: ServiceValidationError,
    ImmichNoMatchError: ServiceValidationError,
    ImmichAmbiguousAlbumError: ServiceValidationError,
}


def translate_update_errors() -> AbstractContextManager[None]:
    """Translate client errors for a coordinator's refresh."""
    return translate_errors(UpdateFailed, overrides=UPDATE_OVERRIDES)


def translate_action_errors(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    on_refused: Callable[[str], None] | None = None,
) -> AbstractContextManager[None]:
    """Translate client errors for an action or a button; a 401 starts reauth.

    `on_refused` hears the permission of a 403 (not of an admin-only refusal).
    """

    def heard(err: ImmichError) -> None:
        """Start reauth for a refused key; report a missing permission."""
        if isinstance(err, ImmichAuthenticationError):
            entry.async_start_reauth(hass)
        elif (
            isinstance(err, ImmichPermissionError)
            and err.permission is not None
            and on_refused is not None
        ):
            on_refused(err.permission)

    return translate_errors(
        HomeAssistantError, overrides=ACTION_OVERRIDES, on_error=heard
    )


def invalid(*, key: str, **placeholders: str) -> ServiceValidationError:
    """Build a translated error for something the caller got wrong."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def failed(*, key: str, **placeholders: str) -> HomeAssistantError:
    """Build a translated error for something that failed on the way."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@contextmanager
def rejected_as_invalid() -> Iterator[None]:
    """Turn a request the server refused (HTTP 400) into the caller's error."""
    try:
        yield
    except ImmichBadRequestError as err:
        raise invalid(key="request_rejected", error=str(err)) from err
