"""Tests for the error boundary: one table, one context manager."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.immich_bridge.api import (
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichConnectionError,
    ImmichError,
    ImmichNoMatchError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitError,
    ImmichResponseError,
    ImmichSSLError,
    ImmichTimeoutError,
    ImmichUnsupportedVersionError,
)
from custom_components.immich_bridge.helpers import (
    ACTION_OVERRIDES,
    SETUP_OVERRIDES,
    UPDATE_OVERRIDES,
    error_translation,
    translate_errors,
)

STRINGS = Path(__file__).parents[1] / "custom_components/immich_bridge/strings.json"

CASES = [
    (ImmichAuthenticationError("x"), "auth_failed", None),
    (
        ImmichPermissionError("x", permission="album.read"),
        "missing_permission",
        {"permission": "album.read"},
    ),
    (ImmichPermissionError("x"), "admin_required", None),
    (ImmichNotFoundError("x"), "not_found", None),
    (
        ImmichNoMatchError(kind="album", ref="Trips"),
        "album_not_found",
        {"album": "Trips"},
    ),
    (ImmichNoMatchError(kind="tag", ref="a/b"), "tag_not_found", {"tag": "a/b"}),
    (
        ImmichNoMatchError(kind="person", ref="Ann"),
        "person_not_found",
        {"person": "Ann"},
    ),
    (
        ImmichNoMatchError(kind="library", ref="NAS"),
        "library_not_found",
        {"library": "NAS"},
    ),
    (ImmichNoMatchError(kind="user", ref="a@b.c"), "user_not_found", {"user": "a@b.c"}),
    (ImmichNoMatchError(kind="external_library"), "no_external_library", None),
    (ImmichRateLimitError("x", retry_after=3.0), "rate_limited", None),
    (ImmichSSLError("x", certificate=True), "ssl_error", None),
    (ImmichSSLError("x"), "cannot_connect", None),
    (ImmichTimeoutError("x"), "cannot_connect", None),
    (ImmichConnectionError("x"), "cannot_connect", None),
    (
        ImmichUnsupportedVersionError("1.0.0", "2.0.0"),
        "unsupported_version",
        {"version": "1.0.0", "minimum": "2.0.0"},
    ),
    (ImmichBadRequestError("x", status=400), "server_error", None),
    (ImmichResponseError("x", status=500), "server_error", None),
    (ImmichError("x"), "server_error", None),
]


@pytest.mark.parametrize(("error", "key", "placeholders"), CASES)
def test_table(
    error: ImmichError, key: str, placeholders: dict[str, str] | None
) -> None:
    """Each client error reads one key, translated in both sections it is used."""
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    translation = error_translation(error)
    assert (translation.key, translation.placeholders) == (key, placeholders)
    assert key in strings["exceptions"]
    assert translation.form_key in strings["config"]["error"]


@pytest.mark.parametrize(
    ("overrides", "error", "expected"),
    [
        (UPDATE_OVERRIDES, ImmichAuthenticationError("x"), ConfigEntryAuthFailed),
        (UPDATE_OVERRIDES, ImmichPermissionError("x"), UpdateFailed),
        (ACTION_OVERRIDES, ImmichNotFoundError("x"), ServiceValidationError),
        (
            ACTION_OVERRIDES,
            ImmichNoMatchError(kind="tag", ref="x"),
            ServiceValidationError,
        ),
        (ACTION_OVERRIDES, ImmichConnectionError("x"), HomeAssistantError),
        (SETUP_OVERRIDES, ImmichAuthenticationError("x"), ConfigEntryAuthFailed),
        (
            SETUP_OVERRIDES,
            ImmichUnsupportedVersionError("1.0.0", "2.0.0"),
            ConfigEntryError,
        ),
        (SETUP_OVERRIDES, ImmichResponseError("x"), ConfigEntryNotReady),
    ],
)
def test_overrides(
    overrides: dict[type[ImmichError], type[HomeAssistantError]],
    error: ImmichError,
    expected: type[HomeAssistantError],
) -> None:
    """The class comes from the overrides, else from the caller; always chained."""
    default = ConfigEntryNotReady if overrides is SETUP_OVERRIDES else UpdateFailed
    if overrides is ACTION_OVERRIDES:
        default = HomeAssistantError
    with (
        pytest.raises(HomeAssistantError) as err,
        translate_errors(default, overrides=overrides),
    ):
        raise error
    assert type(err.value) is expected
    assert err.value.__cause__ is error
    assert err.value.translation_key == error_translation(error).key


def test_update_failed_keeps_retry_after() -> None:
    """A 429 in a refresh tells the coordinator when to ask again."""
    heard: list[ImmichError] = []
    error = ImmichRateLimitError("x", retry_after=7.0)
    with (
        pytest.raises(UpdateFailed) as err,
        translate_errors(UpdateFailed, on_error=heard.append),
    ):
        raise error
    assert err.value.retry_after == 7.0
    assert heard == [error]


def test_other_errors_pass() -> None:
    """Only client errors are translated; a bug propagates."""
    with pytest.raises(KeyError), translate_errors(HomeAssistantError):
        raise KeyError(ImmichError.__name__)
