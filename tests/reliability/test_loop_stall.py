"""Event-loop stalls while the upload and sync_folder actions run (issue #10, #18).

A sampler task on Home Assistant's loop sleeps 1 ms at a time and records how late it
wakes up (``tests.common.loop_stalls``), while the ``upload`` action hashes, checks and
streams a file of 64 MiB (512 MiB with ``IMMICH_BRIDGE_LONG=1``), or ``sync_folder``
sends a folder of photos, to the fake Immich. The fake runs in its own process
(``python -m tests.fake_immich``, spec checks on), as Immich does: in this process it
would share the loop, and its own work (joining and validating the multipart body)
would stall the loop by far more than the integration does. So the only work on the
sampled loop is Home Assistant's and ours, and no delay of the fake's makes ticks.

Each test asserts that no wake-up came 100 ms late or more (Home Assistant's warning
for a callback holding the loop), with the measured figures in the message: a
blocking call in our code fails it. It also asserts what does not depend on the
machine: the server holds exactly one asset per file, with the file's checksum.
``benchmarks/bench_loop_stall.py`` compares the stalls with the tighter goal.
"""

from __future__ import annotations

import asyncio
from asyncio.subprocess import PIPE, Process
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
import hashlib
from pathlib import Path
import random
import sys
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.api import ImmichClient
from custom_components.immich_bridge.const import DOMAIN
from tests.common import assert_loop_free, call_action, loop_stalls
from tests.fake_immich.spec import SpecName
from tests.reliability.conftest import LONG

MIB = 1024 * 1024
SIZE = (512 if LONG else 64) * MIB
BLOCK = 8 * MIB
SYNC_FILES = 12
SYNC_SIZE = 3 * MIB  # several chunks each
MIN_WAKEUPS = 50  # "ran many times": far fewer than an unblocked loop manages
ROOT = Path(__file__).resolve().parents[2]


def write_file(path: Path, size: int) -> None:
    """Write `size` pseudo-random bytes (blocking)."""
    block = random.Random(size).randbytes(BLOCK)
    with path.open("wb") as handle:
        for offset in range(0, size, BLOCK):
            # Each block differs, so the file is not a repetition of one block.
            # It starts like a JPEG: the upload action refuses what is no photo.
            head = b"\xff\xd8\xff\xe0" if offset == 0 else offset.to_bytes(4)
            handle.write(
                head + offset.to_bytes(4) + block[8 : min(BLOCK, size - offset)]
            )


def write_folder(folder: Path) -> None:
    """Write SYNC_FILES different photos of SYNC_SIZE bytes into a new folder."""
    folder.mkdir()
    for n in range(SYNC_FILES):
        data = b"\xff\xd8\xff\xe0" + random.Random(n).randbytes(SYNC_SIZE)
        (folder / f"p{n:02}.jpg").write_bytes(data)


def checksum_of(path: Path) -> str:
    """Return a file's base64 SHA-1, as Immich stores it (blocking)."""
    digest = hashlib.sha1()  # noqa: S324  # Immich identifies files by SHA-1
    with path.open("rb") as handle:
        while chunk := handle.read(BLOCK):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


@dataclass(frozen=True, kw_only=True)
class Remote:
    """A fake Immich in another process."""

    url: str
    key: str
    process: Process


@asynccontextmanager
async def remote_fake(spec: SpecName) -> AsyncIterator[Remote]:
    """Start ``python -m tests.fake_immich`` on a free port; stop it afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_immich",
        "--port",
        "0",
        "--spec",
        spec,
        cwd=ROOT,
        stdout=PIPE,
        stderr=PIPE,
    )
    try:
        found: dict[str, str] = {}
        assert process.stdout is not None
        while "admin API key" not in found:
            line = (await process.stdout.readline()).decode()
            assert line, "the fake Immich exited before it served"
            name, _, value = line.strip().partition(":")
            found[name.strip()] = value.strip()
        yield Remote(url=found["URL"], key=found["admin API key"], process=process)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


@pytest.fixture
async def big_file(hass: HomeAssistant, allowed: Path) -> AsyncIterator[Path]:
    """Write the file to upload into the allowed folder; delete it afterwards."""
    path = allowed / "big.jpg"
    await hass.async_add_executor_job(write_file, path, SIZE)
    yield path
    await hass.async_add_executor_job(path.unlink)


@pytest.fixture
async def remote(hass: HomeAssistant, immich_api_v3: SpecName) -> AsyncIterator[Remote]:
    """Start the fake in its own process; stop it and check its report afterwards."""
    async with remote_fake(immich_api_v3) as fake:
        yield fake
        fake.process.terminate()  # it reports its last violations on the way out
        assert fake.process.stderr is not None
        errors = (await fake.process.stderr.read()).decode()
        assert await fake.process.wait() == 0, errors
        assert "SPEC VIOLATION" not in errors, errors


@pytest.fixture
async def remote_entry(
    hass: HomeAssistant, remote: Remote
) -> AsyncIterator[tuple[MockConfigEntry, ImmichClient]]:
    """Return an entry for the remote fake's admin, loaded, and a client of it."""
    client = ImmichClient(async_get_clientsession(hass), remote.url, remote.key)
    user = await client.me()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Immich {user.name}",
        unique_id=user.id,
        data={CONF_URL: remote.url, CONF_API_KEY: remote.key, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    yield entry, client
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_upload_does_not_stall_the_loop(
    hass: HomeAssistant,
    remote_entry: tuple[MockConfigEntry, ImmichClient],
    big_file: Path,
) -> None:
    """Upload a big file through the action; no stall reaches HA's warning."""
    entry, client = remote_entry
    checksum = await hass.async_add_executor_job(checksum_of, big_file)
    assets_before = (await client.asset_statistics()).total
    started = time.perf_counter()
    async with loop_stalls(hass) as lateness:
        response = await call_action(hass, entry, "upload", file_path=str(big_file))
    seconds = time.perf_counter() - started
    (uploaded,) = response["assets"]
    assert uploaded["status"] == "created", response
    found = await client.search_metadata(checksum=checksum)
    assert [asset.id for asset in found.items] == [uploaded["asset_id"]]
    assert (await client.asset_statistics()).total == assets_before + 1
    figures = assert_loop_free(
        lateness,
        size_mib=SIZE // MIB,
        seconds=round(seconds, 2),
        throughput_mib_s=round(SIZE / MIB / seconds),
    )
    print(f"\nLOOP STALL upload {figures}")  # noqa: T201  # the figures for the report
    assert len(lateness) >= MIN_WAKEUPS, figures


async def test_folder_sync_does_not_stall_the_loop(
    hass: HomeAssistant,
    remote_entry: tuple[MockConfigEntry, ImmichClient],
    allowed: Path,
) -> None:
    """Sync a folder of photos through the action; no stall reaches HA's warning."""
    entry, client = remote_entry
    folder = allowed / "photos"
    await hass.async_add_executor_job(write_folder, folder)
    assets_before = (await client.asset_statistics()).total
    async with loop_stalls(hass) as lateness:
        result = await call_action(hass, entry, "sync_folder", folder=str(folder))
    assert (result["uploaded"], result["failed"]) == (SYNC_FILES, 0), result
    assert (await client.asset_statistics()).total == assets_before + SYNC_FILES
    figures = assert_loop_free(lateness, files=SYNC_FILES, mib_each=SYNC_SIZE / MIB)
    print(f"\nLOOP STALL sync {figures}")  # noqa: T201  # the figures for the report
