"""Nothing lost, nothing doubled: interrupted uploads, downloads and folder syncs.

Connections are cut at random byte offsets by a TCP proxy in front of the fake server
(``proxy.CutProxy``), in the request (mid-upload) or in the response (mid-download).
An upload the server stored whose answer is lost comes from the stand-in's
``lose_answer`` fault.
"""

# Test files are written and checked straight from the tests; fine in a test.

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import random
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
import pytest_asyncio
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.api.download import PART_SUFFIX
from custom_components.immich_bridge.const import DOMAIN
from tests.common import make_entry
from tests.fake_immich import FakeImmich
from tests.reliability.faults import port_of
from tests.reliability.proxy import CutProxy

UPLOAD_ROUNDS = 10
UPLOAD_SIZE = 1536 * 1024  # above the client's 1 MiB chunk: the streamed path
DOWNLOAD_ROUNDS = 8
SYNC_FILES = 12
JPEG_HEAD = b"\xff\xd8\xff\xe0"


@pytest_asyncio.fixture
async def proxy(immich_server_v3: FakeImmich) -> AsyncIterator[CutProxy]:
    """Return a started cutting proxy in front of the fake."""
    cut = CutProxy(port_of(immich_server_v3))
    await cut.start()
    yield cut
    await cut.stop()


@pytest_asyncio.fixture
async def entry(
    hass: HomeAssistant, immich_server_v3: FakeImmich, proxy: CutProxy
) -> MockConfigEntry:
    """Return the admin's entry, loaded (no platforms) and talking via the proxy."""
    entry = make_entry(immich_server_v3)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_URL: proxy.url}
    )
    with patch("custom_components.immich_bridge.PLATFORMS", []):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _call(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> dict[str, Any]:
    """Call an action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


async def _failure(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> tuple[str | None, dict[str, Any]]:
    """Call an action; return the key it failed with (or None) and its response."""
    try:
        return None, await _call(hass, entry, action, **data)
    except HomeAssistantError as err:
        return err.translation_key, {}


def _copies(server: FakeImmich, data: bytes) -> int:
    """Count the server's assets holding exactly these bytes."""
    return sum(1 for asset in server.state.assets.values() if asset.data == data)


async def test_interrupted_uploads_end_with_one_copy(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    proxy: CutProxy,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Cut uploads at random points of the requests or the answers before; retry.

    The answers cut here are those of the checks before the upload; the upload's own
    lost answer (after the server stored it) is test_upload_stored_but_answer_lost.
    """
    server = immich_server_v3
    rng = random.Random(1010)
    failures = 0
    for n in range(UPLOAD_ROUNDS):
        data = JPEG_HEAD + rng.randbytes(UPLOAD_SIZE)
        path = allowed / f"big{n}.jpg"
        path.write_bytes(data)
        if n % 3 == 2:  # an answer cut on the way back (before the upload)
            proxy.cut(down=rng.randrange(0, 400))
        else:  # mid-request: anywhere in the check, the upload or its body
            proxy.cut(up=rng.randrange(0, UPLOAD_SIZE + 8192))
        key, _ = await _failure(hass, entry, "upload", file_path=str(path))
        if key is not None:
            assert key == "cannot_connect"
            failures += 1
            response = await _call(hass, entry, "upload", file_path=str(path))
            assert response["assets"][0]["status"] in ("created", "duplicate")
        assert _copies(server, data) == 1, n
        assert path.read_bytes() == data  # the source is untouched
    assert failures >= UPLOAD_ROUNDS // 2


@pytest.mark.parametrize("size", [40_000, UPLOAD_SIZE])
async def test_upload_stored_but_answer_lost(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
    size: int,
) -> None:
    """The server stored the upload and the answer was cut: the retry finds it."""
    server = immich_server_v3
    data = JPEG_HEAD + random.Random(size).randbytes(size)
    path = allowed / "stored.jpg"
    path.write_bytes(data)
    server.set_fault("uploadAsset", lose_answer=True, times=1)
    key, _ = await _failure(hass, entry, "upload", file_path=str(path))
    assert key == "cannot_connect"  # the answer never came
    assert _copies(server, data) == 1  # but the server has it
    response = await _call(hass, entry, "upload", file_path=str(path))
    assert response["assets"][0]["status"] == "duplicate", response
    assert _copies(server, data) == 1
    assert path.read_bytes() == data


async def test_folder_sync_answer_lost_then_rerun(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """A sync whose upload answers are lost after storing ends with one copy each."""
    server = immich_server_v3
    folder = allowed / "lost"
    folder.mkdir()
    files = [JPEG_HEAD + random.Random(n).randbytes(40_000) for n in range(6)]
    for n, data in enumerate(files):
        (folder / f"l{n}.jpg").write_bytes(data)
    server.set_fault("uploadAsset", lose_answer=True, times=3)
    first = await _call(hass, entry, "sync_folder", folder=str(folder))
    assert first["failed"] == 3, first
    assert all(_copies(server, data) == 1 for data in files)
    again = await _call(hass, entry, "sync_folder", folder=str(folder))
    assert again["failed"] == 0, again
    assert (again["uploaded"], again["duplicates"]) == (0, 6), again
    assert all(_copies(server, data) == 1 for data in files)


async def test_interrupted_downloads_leave_no_partial_file(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    proxy: CutProxy,
    entry: MockConfigEntry,
    allowed: Path,
) -> None:
    """Cut downloads at random points: final names only ever hold complete files."""
    server = immich_server_v3
    rng = random.Random(2020)
    originals = {
        f"d{n}.jpg": JPEG_HEAD + rng.randbytes(200_000 + n * 1000) for n in range(4)
    }
    ids = [
        server.state.add_asset(server.admin_id, data=data, filename=name)
        for name, data in originals.items()
    ]
    album = server.state.add_album(server.admin_id, "To fetch", asset_ids=ids)
    failed_rounds = 0
    for n in range(DOWNLOAD_ROUNDS):
        folder = allowed / f"dl{n}"
        proxy.cut(down=rng.randrange(0, 250_000))
        key, response = await _failure(
            hass, entry, "download", folder=str(folder), album=album
        )
        assert key in (None, "cannot_connect")  # the album listing itself was cut
        failed_rounds += key is not None or bool(response["failed"])
        _assert_only_complete_files(folder, originals)
        # One cut per round: a cut the round did not reach would hit the retry.
        proxy.cut()
        response = await _call(hass, entry, "download", folder=str(folder), album=album)
        assert not response["failed"]
        _assert_only_complete_files(folder, originals, all_there=True)
    assert failed_rounds >= DOWNLOAD_ROUNDS // 2


def _assert_only_complete_files(
    folder: Path, originals: dict[str, bytes], *, all_there: bool = False
) -> None:
    """Check a download folder: no partial file, complete files under final names."""
    names = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert not [name for name in names if name.endswith(PART_SUFFIX)], names
    for name in names:
        assert (folder / name).read_bytes() == originals[name], name
    if all_there:
        assert names == sorted(originals)


@pytest.mark.parametrize("crash", ["cancelled", "connection_cut"])
async def test_folder_sync_rerun_after_crash_has_no_duplicates(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    proxy: CutProxy,
    entry: MockConfigEntry,
    allowed: Path,
    crash: str,
) -> None:
    """Stop a folder sync half-way; the re-run uploads the rest, nothing twice."""
    server = immich_server_v3
    rng = random.Random(3030)
    folder = allowed / "camera"
    folder.mkdir()
    files = {}
    for n in range(SYNC_FILES):
        data = JPEG_HEAD + rng.randbytes(40_000)
        (folder / f"c{n:02}.jpg").write_bytes(data)
        files[n] = data
    if crash == "cancelled":
        call = hass.async_create_task(
            _call(hass, entry, "sync_folder", folder=str(folder))
        )
        await server.wait_for_request("uploadAsset", count=SYNC_FILES // 2)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    else:
        proxy.cut(up=rng.randrange(20_000, 90_000))
        await _call(hass, entry, "sync_folder", folder=str(folder))
        assert proxy.cuts >= 1
    await hass.async_block_till_done()
    stored_before = sum(_copies(server, data) for data in files.values())
    assert 0 < stored_before < SYNC_FILES
    response = await _call(hass, entry, "sync_folder", folder=str(folder))
    assert response["failed"] == 0
    assert response["uploaded"] + response["duplicates"] == SYNC_FILES
    assert all(_copies(server, data) == 1 for data in files.values())
    again = await _call(hass, entry, "sync_folder", folder=str(folder))
    assert (again["uploaded"], again["duplicates"]) == (0, SYNC_FILES)
