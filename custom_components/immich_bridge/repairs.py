"""Repair issues for Immich Bridge: missing key permissions and unsupported servers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import issue_registry as ir

from .api import ImmichApiKeyInfo, ImmichError
from .config_flow import REAUTH_SCHEMA, async_validate, error_key
from .const import DOMAIN, LOGGER
from .permissions import feature_report

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry

ISSUE_MISSING_PERMISSIONS = "missing_permissions"
ISSUE_UNSUPPORTED_VERSION = "unsupported_version"


def _issue_id(kind: str, entry: ImmichBridgeConfigEntry) -> str:
    """Return the id of an entry's issue of one kind."""
    return f"{kind}_{entry.entry_id}"


@callback
def async_update_permission_issue(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    key_info: ImmichApiKeyInfo | None,
    *,
    is_admin: bool,
) -> None:
    """Raise a fixable issue listing the permissions the key lacks, or clear it."""
    issue_id = _issue_id(ISSUE_MISSING_PERMISSIONS, entry)
    locked = (
        feature_report(key_info, is_admin=is_admin).locked
        if key_info is not None
        else {}
    )
    if not locked:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    permissions = sorted({p for missing in locked.values() for p in missing})
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_MISSING_PERMISSIONS,
        translation_placeholders={
            "title": entry.title,
            "permissions": ", ".join(permissions),
            "features": ", ".join(sorted(locked)),
        },
        data={
            "entry_id": entry.entry_id,
            "permissions": ", ".join(permissions),
            "features": ", ".join(sorted(locked)),
        },
    )


@callback
def async_update_version_issue(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    version: str | None,
    minimum: str | None,
) -> None:
    """Raise an issue naming the server's and the minimum version, or clear it."""
    issue_id = _issue_id(ISSUE_UNSUPPORTED_VERSION, entry)
    if version is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_UNSUPPORTED_VERSION,
        translation_placeholders={
            "title": entry.title,
            "version": version,
            "minimum": str(minimum),
        },
    )


class MissingPermissionsRepairFlow(RepairsFlow):
    """Let the user enter a new API key of the same account."""

    def __init__(
        self, entry: ImmichBridgeConfigEntry, placeholders: dict[str, str]
    ) -> None:
        """Initialize the flow for one entry."""
        self._entry = entry
        self._placeholders = placeholders

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> FlowResult:
        """Start with the key form (the input here is the issue, not a form)."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> FlowResult:
        """Ask for the new key and check it."""
        entry = self._entry
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                validated = await async_validate(
                    self.hass,
                    entry.data[CONF_URL],
                    user_input[CONF_API_KEY],
                    verify_ssl=entry.data[CONF_VERIFY_SSL],
                )
            except ImmichError as err:
                errors["base"] = error_key(err)
            else:
                if validated.user.id != entry.unique_id:
                    errors["base"] = "wrong_account"
                else:
                    LOGGER.debug("New API key accepted for %s", entry.title)
                    self.hass.config_entries.async_update_entry(
                        entry,
                        data={**entry.data, CONF_API_KEY: user_input[CONF_API_KEY]},
                    )
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                    return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"title": entry.title, **self._placeholders},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Create the fix flow of a fixable issue."""
    data = data or {}
    entry = hass.config_entries.async_get_entry(str(data.get("entry_id")))
    if entry is None or not issue_id.startswith(ISSUE_MISSING_PERMISSIONS):
        msg = f"Unknown issue {issue_id}"
        raise ValueError(msg)
    return MissingPermissionsRepairFlow(
        entry,
        {
            "permissions": str(data.get("permissions", "")),
            "features": str(data.get("features", "")),
        },
    )
