"""Paths: symlinks, `..`, paths outside the allowlist and special files are refused.

Reading is the upload and folder-sync actions, writing the download action.
"""

# The tests build small trees of files and links straight from the tests.

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN
from tests.common import make_entry
from tests.fake_immich import FakeImmich


@pytest.fixture
async def entry(hass: HomeAssistant, immich_server_v3: FakeImmich) -> MockConfigEntry:
    """Return the admin's entry, loaded without platforms."""
    entry = make_entry(immich_server_v3)
    entry.add_to_hass(hass)
    with patch("custom_components.immich_bridge.PLATFORMS", []):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
def tree(allowed: Path, immich_server_v3: FakeImmich) -> dict[str, Path]:
    """Build an allowed folder with links out of it, and a folder outside it."""
    outside = allowed.parent / "outside"
    outside.mkdir()
    secret = outside / "secret.jpg"
    secret.write_bytes(immich_server_v3.state.next_jpeg("secret"))
    (allowed / "link.jpg").symlink_to(secret)
    (allowed / "linkdir").symlink_to(outside, target_is_directory=True)
    (allowed / "zero.jpg").symlink_to("/dev/zero")
    os.mkfifo(allowed / "pipe.jpg")
    return {"allowed": allowed, "outside": outside, "secret": secret}


async def _refused(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> str:
    """Call an action that must be refused as the caller's mistake; return the key."""
    with pytest.raises(ServiceValidationError) as caught:
        async with asyncio.timeout(10):  # a FIFO must not hang an action
            await hass.services.async_call(
                DOMAIN,
                action,
                {"config_entry_id": entry.entry_id, **data},
                blocking=True,
                return_response=True,
            )
    assert caught.value.translation_domain == DOMAIN
    return str(caught.value.translation_key)


READS = {
    "symlink_out": ("link.jpg", "path_not_allowed"),
    "dotdot": ("../outside/secret.jpg", "path_not_allowed"),
    "dotdot_inside": ("sub/../../outside/secret.jpg", "path_not_allowed"),
    "absolute_outside": ("/etc/hostname", "path_not_allowed"),
    "device_link": ("zero.jpg", "path_not_allowed"),
    "device": ("/dev/zero", "path_not_allowed"),
    "fifo": ("pipe.jpg", "file_not_found"),
}


@pytest.mark.parametrize("case", sorted(READS))
async def test_upload_refuses_path(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    tree: dict[str, Path],
    case: str,
) -> None:
    """Refuse to read a file through a link, `..`, outside the allowlist or special."""
    raw, key = READS[case]
    path = raw if raw.startswith("/") else str(tree["allowed"] / raw)
    assert await _refused(hass, entry, "upload", file_path=path) == key
    assert not immich_server_v3.state.assets


@pytest.mark.parametrize(
    "folder", ["linkdir", "../outside", "/etc", "/dev", "/proc/self"]
)
async def test_sync_folder_refuses_path(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    tree: dict[str, Path],
    folder: str,
) -> None:
    """Refuse to sync a folder outside the allowlist, also through a link or `..`."""
    path = folder if folder.startswith("/") else str(tree["allowed"] / folder)
    assert await _refused(hass, entry, "sync_folder", folder=path) == (
        "path_not_allowed"
    )
    assert not immich_server_v3.state.assets


async def test_sync_folder_skips_special_files(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    tree: dict[str, Path],
) -> None:
    """Sync the allowed folder without following links out or reading a FIFO."""
    (tree["allowed"] / "real.jpg").write_bytes(immich_server_v3.state.next_jpeg("real"))
    async with asyncio.timeout(10):
        response = await hass.services.async_call(
            DOMAIN,
            "sync_folder",
            {"config_entry_id": entry.entry_id, "folder": str(tree["allowed"])},
            blocking=True,
            return_response=True,
        )
    assert response is not None
    stored = [asset.data for asset in immich_server_v3.state.assets.values()]
    assert stored == [(tree["allowed"] / "real.jpg").read_bytes()], response
    assert response["uploaded"] == 1


@pytest.mark.parametrize(
    "folder", ["linkdir", "../outside", "linkdir/sub", "<outside>/new", "/dev/null"]
)
async def test_download_refuses_path(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    tree: dict[str, Path],
    folder: str,
) -> None:
    """Refuse to write outside the allowlist, also through a link or `..`."""
    server = immich_server_v3
    asset = server.state.add_asset(server.admin_id, filename="a.jpg")
    folder = folder.replace("<outside>", str(tree["outside"]))
    path = folder if folder.startswith("/") else str(tree["allowed"] / folder)
    key = await _refused(hass, entry, "download", folder=path, asset_id=[asset])
    assert key == "path_not_allowed"
    assert sorted(p.name for p in tree["outside"].iterdir()) == ["secret.jpg"]


async def test_download_replaces_a_planted_link_not_its_target(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    tree: dict[str, Path],
) -> None:
    """Never write through a link planted under a downloaded file's name."""
    server = immich_server_v3
    data = server.state.next_jpeg("download me")
    asset = server.state.add_asset(server.admin_id, data=data, filename="secret.jpg")
    before = tree["secret"].read_bytes()
    target = tree["allowed"] / "dl"
    target.mkdir()
    (target / "secret.jpg").symlink_to(tree["secret"])
    await hass.services.async_call(
        DOMAIN,
        "download",
        {"config_entry_id": entry.entry_id, "folder": str(target), "asset_id": [asset]},
        blocking=True,
        return_response=True,
    )
    assert tree["secret"].read_bytes() == before
    written = [p for p in target.iterdir() if not p.is_symlink()]
    assert [p.read_bytes() for p in written] == [data]
