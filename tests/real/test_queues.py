"""Job queues on the real server: jobs waiting in a paused queue are user data.

Uploads made with the real CLI while ``thumbnailGeneration`` is paused leave one
thumbnail job per photo in the queue (counted by Immich as ``paused``). Only failed jobs
may disappear on ``clear_failed``; ``empty`` drops the pending jobs and keeps the failed
ones; the sensors count what the server counts.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
from pathlib import Path
import subprocess
import time
from typing import Any
import uuid

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN

from .common import entity_id, number, setup_entry, state_of
from .harness import ImmichApi, RealServer, jpeg, real_entry, run_cli

QUEUE = "thumbnailGeneration"

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def _redis(server: RealServer, *args: str) -> str:
    """Run a redis-cli command against the instance's own Redis."""
    conf = (server.dir / "redis" / "redis.conf").read_text()
    port = next(
        line.split()[1] for line in conf.splitlines() if line.startswith("port ")
    )
    result = subprocess.run(  # noqa: S603  # fixed arguments, the instance's Redis
        ["redis-cli", "-p", port, *args],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return result.stdout


def _add_failed_job(server: RealServer, queue: str) -> str:
    """Put one failed job into a queue, as BullMQ records a job that threw.

    Immich catches the errors of its own jobs, so the real server never fails one on
    purpose: the test writes the failed job where BullMQ keeps them.
    """
    job_id = f"bridge-test-{uuid.uuid4().hex[:8]}"
    now = str(int(time.time() * 1000))
    key = f"immich_bull:{queue}:{job_id}"
    _redis(
        server,
        "HSET",
        key,
        "name",
        "AssetGenerateThumbnails",
        "data",
        json.dumps({"id": str(uuid.uuid4())}),
        "opts",
        "{}",
        "timestamp",
        now,
        "processedOn",
        now,
        "finishedOn",
        now,
        "attemptsMade",
        "1",
        "failedReason",
        "made by the test",
        "stacktrace",
        "[]",
    )
    _redis(server, "ZADD", f"immich_bull:{queue}:failed", now, job_id)
    return job_id


async def _jobs(immich: ImmichApi, queue: str, status: str) -> list[dict[str, Any]]:
    """Return the jobs of a queue in one state."""
    return list(
        await immich.call("GET", f"/queues/{queue}/jobs", params={"status": status})
    )


async def _paused_asset_ids(immich: ImmichApi, queue: str = QUEUE) -> set[str]:
    """Return the asset ids of the jobs held in a paused queue."""
    return {job["data"].get("id") for job in await _jobs(immich, queue, "paused")}


async def _failed_job_ids(immich: ImmichApi, queue: str = QUEUE) -> set[str]:
    """Return the ids of the failed jobs of a queue."""
    return {str(job["id"]) for job in await _jobs(immich, queue, "failed")}


def _write_photos(folder: Path, names: list[str]) -> None:
    """Write a fresh JPEG for each name into a new folder."""
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(jpeg(name))


async def _upload_with_cli(
    hass: HomeAssistant, immich: ImmichApi, folder: Path, count: int
) -> set[str]:
    """Upload fresh photos with the real CLI; return their asset ids."""
    names = [f"queued-{uuid.uuid4().hex[:10]}.jpg" for _ in range(count)]
    await hass.async_add_executor_job(_write_photos, folder, names)
    await hass.async_add_executor_job(
        run_cli, immich.server, immich.admin.key, "upload", str(folder)
    )
    ids: set[str] = set()
    for name in names:
        found = await immich.call(
            "POST", "/search/metadata", json_body={"originalFileName": name}
        )
        ids.update(item["id"] for item in found["assets"]["items"])
    assert len(ids) == count, ids
    return ids


async def _wait_paused(immich: ImmichApi, asset_ids: set[str]) -> None:
    """Wait until the thumbnail jobs of these assets are held in the paused queue."""
    deadline = time.monotonic() + 90
    while not asset_ids <= await _paused_asset_ids(immich):
        assert time.monotonic() < deadline, "thumbnail jobs never reached the queue"
        await immich.wait_idle(["metadataExtraction", "sidecar"])
    await immich.wait_idle()


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll the queues now."""
    await entry.runtime_data.queues.async_refresh()
    await hass.async_block_till_done()


async def _job_command(
    hass: HomeAssistant, entry: MockConfigEntry, command: str
) -> None:
    """Run the job_command action on the test queue."""
    await hass.services.async_call(
        DOMAIN,
        "job_command",
        {"config_entry_id": entry.entry_id, "queue": QUEUE, "command": command},
        blocking=True,
    )


def _drained_events(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Collect the queues the job-queue event entity reports as drained from now on."""
    events = str(entity_id(hass, entry, "event", "job_queues"))
    drained: list[str] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is not None and state.attributes.get("event_type") == "queue_drained":
            drained.append(state.attributes["queue"])

    entry.async_on_unload(async_track_state_change_event(hass, events, _record))
    return drained


@pytest.fixture
async def paused_queue(immich: ImmichApi) -> AsyncGenerator[None]:
    """Pause the thumbnail queue; resume it and let it drain afterwards."""
    await immich.set_paused(QUEUE, paused=True)
    try:
        yield
    finally:
        await immich.set_paused(QUEUE, paused=False)
        await immich.call(
            "PUT", f"/jobs/{QUEUE}", json_body={"command": "clear-failed"}
        )
        await immich.wait_idle([QUEUE])


async def _assert_matches_server(
    hass: HomeAssistant, entry: MockConfigEntry, immich: ImmichApi
) -> dict[str, Any]:
    """Every count sensor of the queue equals what the server answers now."""
    await _refresh(hass, entry)
    counts = (await immich.queues())[QUEUE]["statistics"]
    for field in ("active", "waiting", "failed", "delayed", "paused"):
        value = state_of(hass, entry, "sensor", f"queue_{field}_{QUEUE}")
        assert number(value) == counts[field], (field, value, counts)
    return dict(counts)


async def _paused_and_failed_work(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path, photos: int
) -> tuple[MockConfigEntry, set[str], str]:
    """Set up the admin's entry; CLI uploads wait in the paused queue, one job failed.

    Returns the entry, the uploaded assets and the failed job's id.
    """
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))
    assets = await _upload_with_cli(hass, immich, tmp_path / "photos", photos)
    await _wait_paused(immich, assets)
    failed = await hass.async_add_executor_job(_add_failed_job, immich.server, QUEUE)
    return entry, assets, failed


@pytest.mark.usefixtures("paused_queue")
async def test_clear_failed_keeps_waiting_and_paused_jobs(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """clear_failed (action and button) removes failed jobs and nothing else."""
    entry, assets, failed = await _paused_and_failed_work(hass, immich, tmp_path, 3)
    assert failed in await _failed_job_ids(immich)

    counts = await _assert_matches_server(hass, entry, immich)
    assert counts["paused"] >= len(assets)
    assert state_of(hass, entry, "binary_sensor", f"queue_paused_{QUEUE}") == STATE_ON
    busy = hass.states.get(str(entity_id(hass, entry, "binary_sensor", "library_busy")))
    assert busy is not None
    assert busy.state == STATE_ON, "jobs pending in a paused queue are pending work"
    assert QUEUE in busy.attributes["pending_queues"]
    assert state_of(hass, entry, "binary_sensor", "job_failures") == STATE_ON

    await _job_command(hass, entry, "clear_failed")
    assert failed not in await _failed_job_ids(immich)
    assert assets <= await _paused_asset_ids(immich), "clear_failed lost queued jobs"
    await _assert_matches_server(hass, entry, immich)

    failed = await hass.async_add_executor_job(_add_failed_job, immich.server, QUEUE)
    await _refresh(hass, entry)
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, entry, "button", "clear_failed_jobs")},
        blocking=True,
    )
    assert failed not in await _failed_job_ids(immich)
    assert assets <= await _paused_asset_ids(immich), "the button lost queued jobs"
    await _assert_matches_server(hass, entry, immich)
    assert state_of(hass, entry, "binary_sensor", "job_failures") == STATE_OFF

    # Resumed (in Immich's own web page), the kept jobs run: every photo gets its
    # thumbnail, and the next poll announces the queue's work as done.
    drained = _drained_events(hass, entry)
    await immich.set_paused(QUEUE, paused=False)
    await immich.wait_idle([QUEUE])
    for asset_id in assets:
        assert (await immich.asset(immich.admin.key, asset_id))["thumbhash"]
    counts = await _assert_matches_server(hass, entry, immich)
    assert counts["paused"] == counts["waiting"] == 0
    assert QUEUE in drained
    await _refresh(hass, entry)
    assert state_of(hass, entry, "binary_sensor", f"queue_paused_{QUEUE}") == STATE_OFF


@pytest.mark.usefixtures("paused_queue")
async def test_empty_drops_pending_jobs_only(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """Empty drops waiting and paused jobs; failed jobs and the pause stay."""
    entry, assets, failed = await _paused_and_failed_work(hass, immich, tmp_path, 2)

    await _job_command(hass, entry, "empty")
    assert not assets & await _paused_asset_ids(immich)
    assert failed in await _failed_job_ids(immich), "empty removed failed jobs"
    assert (await immich.queues())[QUEUE]["isPaused"] is True
    counts = await _assert_matches_server(hass, entry, immich)
    assert counts["paused"] == counts["waiting"] == 0
    assert counts["failed"] >= 1

    # The dropped thumbnails stay missing until the queue is started again.
    await _job_command(hass, entry, "resume")
    await immich.wait_idle([QUEUE])
    for asset_id in assets:
        assert not (await immich.asset(immich.admin.key, asset_id))["thumbhash"]
    await _job_command(hass, entry, "start")
    await immich.wait_idle([QUEUE])
    for asset_id in assets:
        assert (await immich.asset(immich.admin.key, asset_id))["thumbhash"]
