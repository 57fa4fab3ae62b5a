"""Event-loop stall while the upload action sends a big file (issue #10).

A sampler task on Home Assistant's loop sleeps 1 ms at a time and records how late it
wakes up, while the ``upload`` action hashes, checks and streams a file of 64 MiB
(512 MiB with ``IMMICH_BRIDGE_LONG=1``) to the fake Immich. The fake runs in its own
process (``python -m tests.fake_immich``, spec checks on), as Immich does: in this
process it would share the loop, and its own work (joining the multipart body, hashing
it) would stall the loop by far more than the integration does.

Timed assertions are flaky, so the figures (size, throughput, longest and 99th
percentile stall) are printed, not asserted; ``benchmarks/bench_loop_stall.py``
compares them with the goal. The test asserts what does not depend on the machine: the
upload succeeded, the server holds exactly one asset with the file's checksum, and the
sampler ran many times during the upload.
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
from tests.fake_immich.spec import SpecName
from tests.reliability.conftest import LONG

MIB = 1024 * 1024
SIZE = (512 if LONG else 64) * MIB
BLOCK = 8 * MIB
TICK = 0.001  # the sampler's sleep, in seconds
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


async def sample(loop: asyncio.AbstractEventLoop, lateness: list[float]) -> None:
    """Sleep one tick at a time until cancelled; record how late each wake-up was."""
    while True:
        start = loop.time()
        await asyncio.sleep(TICK)
        lateness.append(max(0.0, loop.time() - start - TICK))


@pytest.fixture
async def big_file(hass: HomeAssistant, allowed: Path) -> AsyncIterator[Path]:
    """Write the file to upload into the allowed folder; delete it afterwards."""
    path = allowed / "big.jpg"
    await hass.async_add_executor_job(write_file, path, SIZE)
    yield path
    await hass.async_add_executor_job(path.unlink)


async def test_upload_does_not_stall_the_loop(
    hass: HomeAssistant, immich_api_v3: SpecName, big_file: Path
) -> None:
    """Upload a big file through the action while sampling the loop's stalls."""
    path = big_file
    checksum = await hass.async_add_executor_job(checksum_of, path)
    async with remote_fake(immich_api_v3) as fake:
        client = ImmichClient(async_get_clientsession(hass), fake.url, fake.key)
        user = await client.me()
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"Immich {user.name}",
            unique_id=user.id,
            data={CONF_URL: fake.url, CONF_API_KEY: fake.key, CONF_VERIFY_SSL: True},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.state is ConfigEntryState.LOADED
        assets_before = (await client.asset_statistics()).total

        lateness: list[float] = []
        sampler = hass.async_create_background_task(
            sample(hass.loop, lateness), "loop stall sampler"
        )
        started = time.perf_counter()
        response = await hass.services.async_call(
            DOMAIN,
            "upload",
            {"config_entry_id": entry.entry_id, "file_path": str(path)},
            blocking=True,
            return_response=True,
        )
        seconds = time.perf_counter() - started
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)

        (uploaded,) = response["assets"]
        assert uploaded["status"] == "created", response
        found = await client.search_metadata(checksum=checksum)
        assert [asset.id for asset in found.items] == [uploaded["asset_id"]]
        assert (await client.asset_statistics()).total == assets_before + 1
        assert await hass.config_entries.async_unload(entry.entry_id)
        await asyncio.sleep(0.6)  # the fake reports violations every 0.5 s
        fake.process.terminate()
        assert fake.process.stderr is not None
        errors = (await fake.process.stderr.read()).decode()
        assert "SPEC VIOLATION" not in errors, errors

    lateness.sort()
    figures = {
        "size_mib": SIZE // MIB,
        "seconds": round(seconds, 2),
        "throughput_mib_s": round(SIZE / MIB / seconds),
        "wakeups": len(lateness),
        "max_stall_ms": round(lateness[-1] * 1000, 1),
        "p99_stall_ms": round(lateness[int(0.99 * (len(lateness) - 1))] * 1000, 2),
    }
    print(f"\nLOOP STALL {figures}")  # noqa: T201  # the figures for the report
    assert len(lateness) >= MIN_WAKEUPS, figures
