"""The fix flow of the permission issue (the issues themselves are in `issues.py`).

The flow hands a new key over to the entry's reauth flow (which checks that the key
is of the same account), or dismisses the issue for good: the permissions dismissed
are kept in the entry and never raise it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.data_entry_flow import FlowResult

from .const import CONF_IGNORED_PERMISSIONS, REAUTH_PERMISSIONS
from .issues import ISSUE_MISSING_PERMISSIONS, async_delete_permission_issue

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry


class MissingPermissionsRepairFlow(RepairsFlow):
    """Ask for a new key (through reauth), or dismiss the issue for good."""

    def __init__(
        self, entry: ImmichBridgeConfigEntry, permissions: str, lines: str
    ) -> None:
        """Initialize the flow for one entry."""
        self._entry = entry
        self._permissions = permissions
        self._lines = lines

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> FlowResult:
        """Offer a new key or dismissing (the input here is the issue, not a form)."""
        return self.async_show_menu(
            step_id="init",
            menu_options=["confirm", "ignore"],
            description_placeholders=self._placeholders(),
        )

    def _placeholders(self) -> dict[str, str]:
        return {
            "title": self._entry.title,
            "permissions": self._permissions,
            "needs": self._lines,
        }

    async def async_step_ignore(
        self, user_input: dict[str, str] | None = None
    ) -> FlowResult:
        """Confirm, then never raise the issue for these permissions again."""
        if user_input is None:
            return self.async_show_form(
                step_id="ignore", description_placeholders=self._placeholders()
            )
        entry = self._entry
        ignored = {
            *entry.data.get(CONF_IGNORED_PERMISSIONS, []),
            *(p.strip() for p in self._permissions.split(",") if p.strip()),
        }
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_IGNORED_PERMISSIONS: sorted(ignored)}
        )
        async_delete_permission_issue(self.hass, entry)
        return self.async_create_entry(data={})

    async def async_step_confirm(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> FlowResult:
        """Hand over to the entry's reauth flow, which asks for the new key."""
        self._entry.async_start_reauth(
            self.hass, data={REAUTH_PERMISSIONS: self._permissions}
        )
        return self.async_create_entry(data={})


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
        entry, str(data.get("permissions", "")), str(data.get("lines", ""))
    )
