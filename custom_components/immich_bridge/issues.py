"""Repair issues for Immich Bridge: permissions something needs, unsupported servers.

A key with few permissions is a deliberate choice, not a problem: the permission issue
is raised only when something the user set up (an option) or used (an action that the
server refused with 403) needs a permission the key lacks. It names those things in
the user's language. Setup and the actions raise and clear the issues here; their fix
flow is in `repairs.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations

from .const import CONF_ALBUMS, CONF_IGNORED_PERMISSIONS, DOMAIN
from .frames import FrameKind, frame_sources
from .permissions import OPTION_NEEDS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry

ISSUE_MISSING_PERMISSIONS = "missing_permissions"
ISSUE_UNSUPPORTED_VERSION = "unsupported_version"
ACTION_PREFIX = "action."  # a need of an action, by the action's name

type Needs = dict[str, list[str]]  # what needs them (option key or action) -> missing


def _issue_id(kind: str, entry: ImmichBridgeConfigEntry) -> str:
    """Return the id of an entry's issue of one kind."""
    return f"{kind}_{entry.entry_id}"


def _option_needs(entry: ImmichBridgeConfigEntry) -> list[str]:
    """Return the keys (OPTION_NEEDS) of what the entry's options ask for."""
    kinds = {source.kind for source in frame_sources(entry)}
    needs = []
    if entry.options.get(CONF_ALBUMS) or FrameKind.ALBUM in kinds:
        needs.append("option_albums")
    if kinds - {FrameKind.MEMORIES}:
        needs.append("option_frames")
    if FrameKind.MEMORIES in kinds:
        needs.append("option_memories")
    return needs


def _stored_needs(hass: HomeAssistant, entry: ImmichBridgeConfigEntry) -> Needs:
    """Return the actions' needs kept in the entry's issue (it outlives restarts)."""
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, _issue_id(ISSUE_MISSING_PERMISSIONS, entry)
    )
    if issue is None or not issue.data:
        return {}
    try:
        needs = json.loads(str(issue.data.get("needs", "{}")))
    except ValueError:
        return {}
    return {
        str(what): [str(p) for p in missing]
        for what, missing in needs.items()
        if str(what).startswith(ACTION_PREFIX) and isinstance(missing, list)
    }


async def _async_labels(hass: HomeAssistant, needs: Needs) -> list[str]:
    """Describe each need as a line: its name in the user's language, then what."""
    language = hass.config.language
    selector = await async_get_translations(hass, language, "selector", {DOMAIN})
    services = await async_get_translations(hass, language, "services", {DOMAIN})
    lines = []
    for what, missing in sorted(needs.items()):
        if what.startswith(ACTION_PREFIX):
            action = what.removeprefix(ACTION_PREFIX)
            name = services.get(f"component.{DOMAIN}.services.{action}.name", action)
        else:
            name = selector.get(
                f"component.{DOMAIN}.selector.feature.options.{what}", what
            )
        lines.append(f"- {name}: {', '.join(missing)}")
    return lines


async def async_update_permission_issue(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    used: Mapping[str, str] | None = None,
) -> None:
    """Raise, update or clear the issue of permissions that something needs.

    `used` adds an action the server refused (action name -> permission). The needs
    of the options are computed anew, those of actions kept from the issue; what the
    key has now, or the user dismissed, is left out.
    """
    if (runtime := getattr(entry, "runtime_data", None)) is None:
        return  # unloaded meanwhile: the next setup looks again
    key_info = runtime.key_info
    ignored = set(entry.data.get(CONF_IGNORED_PERMISSIONS, []))
    needs: Needs = _stored_needs(hass, entry)
    for action, permission in (used or {}).items():
        what = f"{ACTION_PREFIX}{action}"
        needs[what] = sorted({*needs.get(what, []), permission})
    for what in _option_needs(entry):
        needs[what] = list(OPTION_NEEDS[what].permissions)
    needs = {
        what: kept
        for what, missing in needs.items()
        if (kept := [p for p in missing if not key_info.has(p) and p not in ignored])
    }
    issue_id = _issue_id(ISSUE_MISSING_PERMISSIONS, entry)
    if not needs:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    permissions = sorted({p for missing in needs.values() for p in missing})
    lines = "\n".join(await _async_labels(hass, needs))
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_MISSING_PERMISSIONS,
        translation_placeholders={"title": entry.title, "needs": lines},
        data={
            "entry_id": entry.entry_id,
            "needs": json.dumps(needs),
            "lines": lines,
            "permissions": ", ".join(permissions),
        },
    )


@callback
def async_delete_permission_issue(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry
) -> None:
    """Remove the entry's permission issue (the entry is deleted)."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_MISSING_PERMISSIONS, entry))


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
