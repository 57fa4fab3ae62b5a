"""Copy the blueprints that ship with the integration into the user's configuration.

HACS installs only `custom_components/immich_bridge/`, so the blueprints travel inside
the package, and Home Assistant reads them from `blueprints/automation/immich_bridge/`.
What was copied is remembered by content hash, so that:

- a blueprint not there yet is copied;
- one still as copied is replaced by a newer shipped version;
- one the user changed (or brought from elsewhere) is never touched;
- one the user deleted stays deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib
import os
from pathlib import Path
import tempfile
from typing import TYPE_CHECKING, Final

from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

SHIPPED: Final = Path(__file__).parent / "blueprints"
STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.blueprints"


@dataclass(kw_only=True)
class BlueprintReport:
    """What installing the shipped blueprints did, by file (relative path)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_changed: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(target: Path, data: bytes) -> None:
    """Write a file whole or not at all (a temporary file, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".immich_bridge-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def install_blueprints(
    config_dir: Path, installed: dict[str, str], shipped: Path = SHIPPED
) -> BlueprintReport:
    """Copy the shipped blueprints; update `installed` (path → hash of what we wrote).

    Runs in the executor: it reads and writes files.
    """
    report = BlueprintReport()
    for source in sorted(shipped.rglob("*.yaml")):
        domain, *rest = source.relative_to(shipped).parts
        relative = "/".join((domain, *rest))
        target = config_dir.joinpath("blueprints", domain, DOMAIN, *rest)
        data = source.read_bytes()
        digest = _digest(data)
        recorded = installed.get(relative)
        try:
            current = _digest(target.read_bytes())
        except FileNotFoundError:
            current = None
        if current is None:
            if recorded is not None:
                report.kept_deleted.append(relative)
                continue
            _write(target, data)
            report.added.append(relative)
        elif current == digest:
            pass
        elif current == recorded:
            _write(target, data)
            report.updated.append(relative)
        else:
            report.kept_changed.append(relative)
            continue
        installed[relative] = digest
    return report


async def async_install_blueprints(hass: HomeAssistant) -> BlueprintReport | None:
    """Install the shipped blueprints into the configuration; None when that failed.

    A failure (a read-only configuration, say) is logged and doesn't stop the setup.
    """
    store: Store[dict[str, dict[str, str]]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
    stored = await store.async_load() or {}
    installed = dict(stored.get("installed", {}))
    config_dir = Path(hass.config.config_dir)
    try:
        report = await hass.async_add_executor_job(
            install_blueprints, config_dir, installed
        )
    except OSError as err:
        LOGGER.warning("Could not install the Immich Bridge blueprints: %s", err)
        return None
    if installed != stored.get("installed"):
        await store.async_save({"installed": installed})
    for relative in report.added:
        LOGGER.info("Installed the blueprint %s", relative)
    for relative in report.updated:
        LOGGER.info(
            "Updated the blueprint %s; automations using it take the new version "
            "when automations are reloaded or Home Assistant restarts",
            relative,
        )
    for relative in report.kept_changed:
        LOGGER.debug("Kept the blueprint %s as you changed it", relative)
    return report
