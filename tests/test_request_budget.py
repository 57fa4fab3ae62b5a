"""How many requests a default entry sends in an hour: a budget, counted, not timed.

Home Assistant's core `immich` integration asks four endpoints every minute: 240
requests an hour. A default admin entry of ours reads far more (job queues, albums,
people, tags, libraries, trash, quota, new uploads) and must stay within that. The
counts by endpoint are printed (`pytest -s`) for the closing notes of performance work.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.common import make_entry
from tests.fake_immich import FakeImmich

CORE_PER_HOUR = (
    240  # core immich: about, storage, statistics, version check each minute
)
# Ours today (217: 120 of them the job queues' and new uploads' one-minute polls),
# with a little room: a new request every refresh (+12) fails this.
OURS_PER_HOUR = 225
STEP = timedelta(seconds=15)


@pytest.mark.parametrize("immich_server", ["v3"], indirect=True)
async def test_default_admin_entry_stays_within_cores_budget(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One hour after setup: at most as many requests as core's four-a-minute poll."""
    state, owner = immich_server.state, immich_server.admin_id
    state.add_album(owner, "Trips", asset_ids=[state.add_asset(owner)])
    entry = make_entry(immich_server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    start = len(immich_server.requests)

    elapsed = timedelta()
    while elapsed < timedelta(hours=1):
        freezer.tick(STEP)
        elapsed += STEP
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    hour = immich_server.requests[start:]
    counts = Counter(
        f"{request.method} {request.operation_id or request.path}" for request in hour
    )
    table = "\n".join(f"{count:5d}  {name}" for name, count in counts.most_common())
    report = f"Requests in one hour of a default admin entry: {len(hour)}\n{table}"
    print(f"\n{report}")  # noqa: T201  # the figures for closing notes (pytest -s)
    assert len(hour) <= min(CORE_PER_HOUR, OURS_PER_HOUR), report
