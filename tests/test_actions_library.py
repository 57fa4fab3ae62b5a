"""Tests for job_command, scan_library and search against the fake Immich server.

tests/real/test_upload_search.py checks the search behaviour on a real Immich.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import DOMAIN
from tests.common import action_fails, call_action as _call, scrub as _scrub
from tests.fake_immich import FakeImmich

# -------------------------------------------------------------------------- jobs


async def test_job_commands(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Start (with force), pause, resume, empty and clear failed jobs."""
    state = immich_server.state
    for queue, command, force in (
        ("thumbnailGeneration", "start", True),
        ("smartSearch", "pause", False),
        ("smartSearch", "resume", False),
        ("metadataExtraction", "empty", False),
        ("faceDetection", "clear_failed", False),
    ):
        assert (
            await _call(
                hass,
                entry,
                "job_command",
                response=False,
                queue=queue,
                command=command,
                force=force,
            )
            is None
        )
    assert state.queue_commands == [
        ("thumbnailGeneration", "start", True),
        ("smartSearch", "pause", False),
        ("smartSearch", "resume", False),
        ("metadataExtraction", "empty", False),
        ("faceDetection", "clear-failed", False),
    ]


async def test_empty_and_clear_failed_keep_each_others_jobs(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Empty drops pending jobs only; clear_failed drops failed jobs only."""
    queue = immich_server.state.queues["thumbnailGeneration"]
    queue.waiting, queue.delayed, queue.failed = 3, 2, 1
    await _call(
        hass,
        entry,
        "job_command",
        response=False,
        queue="thumbnailGeneration",
        command="clear_failed",
    )
    assert (queue.waiting, queue.delayed, queue.failed) == (3, 2, 0)
    queue.failed = 1
    await _call(
        hass,
        entry,
        "job_command",
        response=False,
        queue="thumbnailGeneration",
        command="empty",
    )
    assert (queue.waiting, queue.delayed, queue.failed) == (0, 2, 1)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"queue": "nope", "command": "pause"}, "queue_not_found"),
        ({"queue": "backgroundTask", "command": "start"}, "queue_cannot_start"),
        (
            {"queue": "smartSearch", "command": "pause", "force": True},
            "force_needs_start",
        ),
        ({"queue": "library", "command": "start"}, "job_command_rejected"),
    ],
)
async def test_job_command_refused(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Refuse unknown queues, impossible commands and a start while running."""
    immich_server.state.queues["library"].active = 1
    await action_fails(hass, entry, "job_command", ServiceValidationError, key, **data)


async def test_scan_library(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Scan one library by name, or all of them."""
    state = immich_server.state
    nas = state.add_library(immich_server.admin_id, "NAS")
    usb = state.add_library(immich_server.admin_id, "USB")
    one = await _call(hass, entry, "scan_library", library="nas")
    assert one == {"library_ids": [nas]}
    every = await _call(hass, entry, "scan_library")
    assert sorted(every["library_ids"]) == sorted([nas, usb])
    assert state.library_scans[0] == nas
    assert {"one": one, "every": every} == snapshot
    await action_fails(
        hass,
        entry,
        "scan_library",
        ServiceValidationError,
        "library_not_found",
        library="Cloud",
    )


async def test_scan_library_without_libraries(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Say that the server has no external library instead of succeeding silently."""
    await action_fails(
        hass, entry, "scan_library", ServiceValidationError, "no_external_library"
    )
    await action_fails(
        hass,
        entry,
        "scan_library",
        ServiceValidationError,
        "no_external_library",
        library="Photos",
    )
    assert immich_server.state.library_scans == []


# ------------------------------------------------------------------------ search


async def test_search(
    deterministic_ids: None,
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Search by meaning and by metadata filters; return links to the assets."""
    state = immich_server.state
    owner = immich_server.admin_id
    dog = state.add_asset(
        owner,
        filename="dog_beach.jpg",
        taken_at=datetime(2024, 7, 1, 12, tzinfo=UTC),
        city="Lisbon",
        country="Portugal",
        favorite=True,
    )
    state.add_asset(
        owner,
        filename="cat.jpg",
        taken_at=datetime(2023, 1, 1, tzinfo=UTC),
        city="Porto",
        country="Portugal",
    )
    state.add_asset(owner, filename="clip.mp4", asset_type="VIDEO")
    person = state.add_person(owner, "Alice")
    state.assets[dog].person_ids.append(person)
    state.add_album(owner, "Summer", asset_ids=[dog])
    smart = await _call(hass, entry, "search", query="dog beach", limit=5)
    filtered = await _call(
        hass,
        entry,
        "search",
        taken_after="2024-01-01 00:00:00",
        taken_before="2024-12-31 00:00:00",
        city="Lisbon",
        country="Portugal",
        person="alice",
        favorite=True,
        type="image",
        album="Summer",
    )
    assert [a["asset_id"] for a in smart["assets"]][:1] == [dog]
    assert [a["asset_id"] for a in filtered["assets"]] == [dog]
    assert _scrub({"smart": smart, "filtered": filtered}, immich_server) == snapshot
    videos = await _call(hass, entry, "search", type="video")
    assert [a["file_name"] for a in videos["assets"]] == ["clip.mp4"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"person": "Nobody"}, "person_not_found"),
        ({"album": "Nope"}, "album_not_found"),
        (
            {
                "taken_after": "2024-02-01 00:00:00",
                "taken_before": "2024-01-01 00:00:00",
            },
            "bad_time_range",
        ),
        ({"order": "random", "page": 2}, "search_random_page"),
        ({"order": "random", "query": "dog"}, "search_order_with_query"),
        ({"order": "oldest", "query": "dog"}, "search_order_with_query"),
    ],
)
async def test_search_refused(
    hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any], key: str
) -> None:
    """Refuse unknown people and albums and an empty time range; random searches
    have no pages; a smart search has its own order."""
    await action_fails(hass, entry, "search", ServiceValidationError, key, **data)


async def test_search_needs_response(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Refuse a search call that doesn't ask for the response."""
    with pytest.raises(ServiceValidationError):
        await _call(hass, entry, "search", response=False, query="x")


async def test_non_admin_job_command(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Tell a non-admin that job commands need an admin."""
    from tests.common import make_entry  # noqa: PLC0415

    entry = make_entry(immich_server, admin=False)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    err = await action_fails(
        hass,
        entry,
        "job_command",
        HomeAssistantError,
        "admin_required",
        queue="thumbnailGeneration",
        command="pause",
    )
    assert not err.translation_placeholders
    await hass.async_block_till_done()
    assert not ir.async_get(hass).issues  # no key permission would help


# ------------------------------------------------------------------------ search


def _library(server: FakeImmich) -> list[str]:
    """Add five photos, newest first in the returned list; rate and tag some."""
    state, owner = server.state, server.admin_id
    ids = [
        state.add_asset(
            owner,
            filename=f"p{day}.jpg",
            taken_at=datetime(2024, 1, day, tzinfo=UTC),
        )
        for day in range(5, 0, -1)
    ]
    state.assets[ids[1]].rating = 4
    state.assets[ids[3]].rating = 4
    state.assets[ids[4]].rating = 2
    tag = state.add_tag(owner, "Home/Garden")
    state.tags[tag].asset_ids.update({ids[0], ids[3]})
    return ids


async def test_search_pages_and_true_total(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Pages follow next_page; total counts every match, not the page."""
    ids = _library(immich_server)
    first = await _call(hass, entry, "search", limit=2)
    assert [a["asset_id"] for a in first["assets"]] == ids[:2]
    assert (first["count"], first["total"], first["page"], first["next_page"]) == (
        2,
        5,
        1,
        2,
    )
    last = await _call(hass, entry, "search", limit=2, page=3)
    assert [a["asset_id"] for a in last["assets"]] == ids[4:]
    assert (last["total"], last["next_page"]) == (5, None)
    oldest = await _call(hass, entry, "search", limit=2, order="oldest")
    assert [a["asset_id"] for a in oldest["assets"]] == ids[::-1][:2]


async def test_search_by_tag_and_rating(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Tags (name, path or id) and star ratings filter; 0 means unrated."""
    ids = _library(immich_server)
    tagged = await _call(hass, entry, "search", tags="home/garden")
    assert [a["asset_id"] for a in tagged["assets"]] == [ids[0], ids[3]]
    assert tagged["total"] == 2
    rated = await _call(hass, entry, "search", rating=4)
    assert [a["asset_id"] for a in rated["assets"]] == [ids[1], ids[3]]
    unrated = await _call(hass, entry, "search", rating=0)
    assert [a["asset_id"] for a in unrated["assets"]] == [ids[0], ids[2]]
    both = await _call(hass, entry, "search", tags="Garden", rating=4)
    assert [a["asset_id"] for a in both["assets"]] == [ids[3]]
    await action_fails(
        hass, entry, "search", ServiceValidationError, "tag_not_found", tags="Nope"
    )


async def test_search_random(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """A random order picks from the matches; total still counts all of them."""
    ids = _library(immich_server)
    result = await _call(hass, entry, "search", order="random", limit=3)
    assert result["count"] == 3
    assert {a["asset_id"] for a in result["assets"]} <= set(ids)
    assert (result["total"], result["next_page"]) == (5, None)
    rated = await _call(hass, entry, "search", order="random", rating=4)
    assert {a["asset_id"] for a in rated["assets"]} == {ids[1], ids[3]}
    assert rated["total"] == 2


async def test_search_smart_has_no_total(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """A smart search pages too, but the server has no count for it."""
    _library(immich_server)
    result = await _call(hass, entry, "search", query="p", limit=2)
    assert (result["count"], result["total"], result["next_page"]) == (2, None, 2)


async def test_search_total_without_statistics_permission(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """A key without asset.statistics still searches; its total is unknown."""
    user = immich_server.state.add_user("Limited", "limited@example.com")
    key = immich_server.state.add_api_key(
        user, ("asset.read", "user.read", "album.read", "tag.read")
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"url": immich_server.url, "api_key": key, "verify_ssl": True},
        unique_id=user,
        title="Limited",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    immich_server.state.add_asset(user)
    result = await _call(hass, entry, "search")
    assert (result["count"], result["total"]) == (1, None)
