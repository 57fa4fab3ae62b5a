"""The actions that take no album, against a real Immich: each effect read back.

Tags, shared links to assets, queue commands (start, pause, resume), a scan of a real
external library, metadata search (smart search is off on this server) and downloads by
id. Albums and their actions are in test_shared_albums.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.immich_bridge.const import DOMAIN
from tests.common import call_action as _call

from .common import setup_entry
from .harness import ImmichApi, RealUser, jpeg, real_entry

# Immich writes tags to the XMP sidecar and reads them back (sidecar write, then
# metadata extraction) after every tag change. A change made before that settled can
# be undone by the server (the sidecar write unlocks the tags the change locked).
TAG_QUEUES = ("sidecar", "metadataExtraction")


async def _tags_of(immich: ImmichApi, user: RealUser, asset_id: str) -> set[str]:
    """Return the tag values of an asset once the server's tag processing settled."""
    await immich.wait_idle(TAG_QUEUES)
    asset = await immich.asset(user.key, asset_id)
    return {tag["value"] for tag in asset.get("tags") or []}


async def test_create_tag_tag_and_untag_assets(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A nested tag is made with its parent; assets get it and lose it again."""
    user = await immich.create_user("Tagger")
    first = await immich.upload(user.key)
    second = await immich.upload(user.key)
    await immich.wait_idle(TAG_QUEUES)  # the uploads' metadata extraction
    entry = await setup_entry(hass, real_entry(immich.server, user))
    parent = f"Garden {uuid.uuid4().hex[:6]}"

    made = await _call(hass, entry, "create_tag", name=f" {parent} / Roses/")
    assert made["value"] == f"{parent}/Roses"
    assert made["name"] == "Roses"
    tags = {
        tag["value"]: tag for tag in await immich.call("GET", "/tags", key=user.key)
    }
    assert tags[f"{parent}/Roses"]["parentId"] == tags[parent]["id"]
    assert tags[f"{parent}/Roses"]["id"] == made["tag_id"]

    # By path (existing) and a new one by name, created on the way.
    tagged = await _call(
        hass,
        entry,
        "tag_assets",
        tags=[f"{parent}/roses", f"{parent} new"],
        asset_id=[first, second],
    )
    assert set(tagged["changed"]) == {first, second}
    for asset_id in (first, second):
        assert await _tags_of(immich, user, asset_id) == {
            f"{parent}/Roses",
            f"{parent} new",
        }

    untagged = await _call(
        hass, entry, "untag_assets", tags=[made["tag_id"]], asset_id=[first]
    )
    assert untagged["changed"] == [first]
    assert await _tags_of(immich, user, first) == {f"{parent} new"}
    assert await _tags_of(immich, user, second) == {
        f"{parent}/Roses",
        f"{parent} new",
    }

    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, entry, "untag_assets", tags=["No such tag xyz"], asset_id=[first]
        )
    assert err.value.translation_key == "tag_not_found"


async def test_tag_assets_with_several_tags_keeps_them_all(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Several tags at once all stay: none is lost to Immich's sidecar round trip.

    Tagging one tag after the other raced the server: the sidecar write of the first
    tag unlocked the tags the next one had locked, and the re-extraction restored the
    sidecar's older list.
    """
    user = await immich.create_user("Tagger many")
    assets = [await immich.upload(user.key) for _ in range(4)]
    await immich.wait_idle(TAG_QUEUES)
    entry = await setup_entry(hass, real_entry(immich.server, user))
    prefix = uuid.uuid4().hex[:6]
    values = {f"Many {prefix} {n}" for n in range(5)}

    response = await _call(
        hass, entry, "tag_assets", tags=sorted(values), asset_id=assets
    )
    assert set(response["changed"]) == set(assets)
    # What counts is what stays once the server's sidecar jobs ran.
    await immich.wait_idle(TAG_QUEUES)
    for asset_id in assets:
        assert await _tags_of(immich, user, asset_id) == values

    # One tag off: the others stay, and it stays off once the server's sidecar
    # round trip ran. (Several tags removed together can race that round trip in
    # Immich itself: docs/actions.md says so.)
    gone = sorted(values)[2]
    response = await _call(hass, entry, "untag_assets", tags=[gone], asset_id=assets)
    assert set(response["changed"]) == set(assets)
    await immich.wait_idle(TAG_QUEUES)
    for asset_id in assets:
        assert await _tags_of(immich, user, asset_id) == values - {gone}


async def test_tag_assets_refuses_unknown_and_foreign_assets(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """An id the user can't see is refused before any tag is made."""
    user = await immich.create_user("Tagger 2")
    stranger = await immich.create_user("Stranger")
    theirs = await immich.upload(stranger.key)
    entry = await setup_entry(hass, real_entry(immich.server, user))
    value = f"Never {uuid.uuid4().hex[:6]}"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, entry, "tag_assets", tags=[value], asset_id=[theirs])
    assert err.value.translation_key == "asset_not_found"
    tags = await immich.call("GET", "/tags", key=user.key)
    assert value not in {tag["value"] for tag in tags}
    assert await _tags_of(immich, stranger, theirs) == set()


LINK_PASSWORD = "open sesame"  # noqa: S105  # a test link's, not a secret


async def test_shared_link_for_assets_read_back_and_deleted(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Expiry, password and flags are what the server stores; deleting removes it."""
    user = await immich.create_user("Linker")
    assets = [await immich.upload(user.key) for _ in range(2)]
    entry = await setup_entry(hass, real_entry(immich.server, user))
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)

    made = await _call(
        hass,
        entry,
        "create_shared_link",
        asset_id=assets,
        expires_at=expires.isoformat(),
        password=LINK_PASSWORD,
        allow_download=False,
        show_metadata=False,
        description="For grandma",
    )
    link = await immich.call("GET", f"/shared-links/{made['link_id']}", key=user.key)
    assert link["type"] == "INDIVIDUAL"
    assert {asset["id"] for asset in link["assets"]} == set(assets)
    assert datetime.fromisoformat(link["expiresAt"]) == expires
    assert link["allowDownload"] is False
    assert link["allowUpload"] is False
    assert link["showMetadata"] is False
    assert link["description"] == "For grandma"
    assert link["password"] == LINK_PASSWORD
    assert made["password_protected"] is True
    assert made["url"] == f"{immich.server.url}/share/{link['key']}"
    assert datetime.fromisoformat(made["expires_at"]) == expires

    # Relative expiry, default flags.
    before = datetime.now(UTC)
    relative = await _call(
        hass, entry, "create_shared_link", asset_id=assets[:1], expires_in="01:00:00"
    )
    link = await immich.call(
        "GET", f"/shared-links/{relative['link_id']}", key=user.key
    )
    expires_at = datetime.fromisoformat(link["expiresAt"])
    assert before + timedelta(minutes=59) < expires_at < before + timedelta(minutes=61)
    assert (link["allowDownload"], link["showMetadata"], link["password"]) == (
        True,
        True,
        None,
    )

    for link_id in (made["link_id"], relative["link_id"]):
        await _call(hass, entry, "delete_shared_link", response=False, link_id=link_id)
        status, _ = await immich.raw("GET", f"/shared-links/{link_id}", key=user.key)
        assert status in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}
    assert await immich.call("GET", "/shared-links", key=user.key) == []

    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            entry,
            "delete_shared_link",
            response=False,
            link_id=made["link_id"],
        )
    assert err.value.translation_key == "shared_link_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            entry,
            "create_shared_link",
            asset_id=assets,
            expires_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        )
    assert err.value.translation_key == "expiry_in_past"


QUEUE = "smartSearch"  # machine learning is off: its "queue all" job does nothing


async def test_job_command_pause_start_resume(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Pause holds the job that start queues; resume lets it run."""
    # Every queue: thumbnails of earlier uploads queue smart-search jobs when done.
    await immich.wait_idle()
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))
    try:
        await _call(
            hass, entry, "job_command", response=False, queue=QUEUE, command="pause"
        )
        assert (await immich.queues())[QUEUE]["isPaused"] is True
        await _call(
            hass, entry, "job_command", response=False, queue=QUEUE, command="start"
        )
        statistics = (await immich.queues())[QUEUE]["statistics"]
        assert statistics["paused"] + statistics["waiting"] == 1, statistics
        await _call(
            hass, entry, "job_command", response=False, queue=QUEUE, command="resume"
        )
        assert (await immich.queues())[QUEUE]["isPaused"] is False
        await immich.wait_idle([QUEUE])
        statistics = (await immich.queues())[QUEUE]["statistics"]
        assert statistics["paused"] + statistics["waiting"] == 0, statistics
    finally:
        await immich.set_paused(QUEUE, paused=False)

    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            entry,
            "job_command",
            response=False,
            queue="notifications",
            command="start",
        )
    assert err.value.translation_key == "queue_cannot_start"
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            entry,
            "job_command",
            response=False,
            queue="noSuchQueue",
            command="pause",
        )
    assert err.value.translation_key == "queue_not_found"


async def _library_assets(
    immich: ImmichApi, user: RealUser, library_id: str
) -> set[str]:
    """Return the original file names of a library's assets, as its owner sees them."""
    page = await immich.call(
        "POST",
        "/search/metadata",
        key=user.key,
        json_body={"libraryId": library_id, "size": 100},
    )
    return {asset["originalFileName"] for asset in page["assets"]["items"]}


async def test_scan_library_imports_a_real_folder(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """scan_library by name imports the files of the library's folder."""
    owner = await immich.create_user("Library owner")
    folder = immich.server.dir / f"external-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "garden.jpg").write_bytes(jpeg("garden"))
    name = f"Archive {uuid.uuid4().hex[:6]}"
    library = await immich.call(
        "POST",
        "/libraries",
        json_body={"ownerId": owner.id, "name": name, "importPaths": [str(folder)]},
    )
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))

    response = await _call(hass, entry, "scan_library", library=name.upper())
    assert response == {"library_ids": [library["id"]]}
    await _wait_for(
        lambda: _library_assets(immich, owner, library["id"]), {"garden.jpg"}
    )

    # A new file appears after the next scan (by id this time).
    (folder / "pond.jpg").write_bytes(jpeg("pond"))
    await _call(hass, entry, "scan_library", library=library["id"])
    await _wait_for(
        lambda: _library_assets(immich, owner, library["id"]),
        {"garden.jpg", "pond.jpg"},
    )

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, entry, "scan_library", library="No such library")
    assert err.value.translation_key == "library_not_found"


async def _wait_for(read: Any, expected: object, *, within: float = 60) -> None:
    """Poll until read() answers expected."""
    deadline = asyncio.get_running_loop().time() + within
    while (got := await read()) != expected:
        if asyncio.get_running_loop().time() > deadline:
            msg = f"still {got!r}, expected {expected!r}"
            raise AssertionError(msg)
        await asyncio.sleep(0.25)


async def test_search_by_metadata(hass: HomeAssistant, immich: ImmichApi) -> None:
    """Date, favorite and type filters answer what the server's own search does."""
    user = await immich.create_user("Searcher")
    old = await immich.upload(
        user.key, filename="old.jpg", taken=datetime(2015, 6, 1, tzinfo=UTC)
    )
    mid = await immich.upload(
        user.key, filename="mid.jpg", taken=datetime(2019, 6, 1, tzinfo=UTC)
    )
    new = await immich.upload(
        user.key, filename="new.jpg", taken=datetime(2023, 6, 1, tzinfo=UTC)
    )
    await immich.call(
        "PUT", "/assets", key=user.key, json_body={"ids": [mid], "isFavorite": True}
    )
    await immich.wait_idle(["metadataExtraction"])
    entry = await setup_entry(hass, real_entry(immich.server, user))

    everything = await _call(hass, entry, "search")
    assert [a["asset_id"] for a in everything["assets"]] == [new, mid, old]
    page = await immich.call(
        "POST", "/search/metadata", key=user.key, json_body={"size": 25}
    )
    assert everything["total"] == page["assets"]["total"] == 3

    ranged = await _call(
        hass,
        entry,
        "search",
        taken_after="2016-01-01T00:00:00+00:00",
        taken_before="2020-01-01T00:00:00+00:00",
    )
    assert [a["asset_id"] for a in ranged["assets"]] == [mid]
    assert ranged["assets"][0]["file_name"] == "mid.jpg"
    assert ranged["assets"][0]["url"] == f"{immich.server.url}/photos/{mid}"

    favorites = await _call(hass, entry, "search", favorite=True, type="image")
    assert [a["asset_id"] for a in favorites["assets"]] == [mid]
    assert favorites["assets"][0]["favorite"] is True
    assert (await _call(hass, entry, "search", type="video"))["assets"] == []

    limited = await _call(hass, entry, "search", limit=2)
    assert [a["asset_id"] for a in limited["assets"]] == [new, mid]
    assert limited["count"] == 2

    # What the server itself answers for the same filter.
    page = await immich.call(
        "POST",
        "/search/metadata",
        key=user.key,
        json_body={"takenAfter": "2016-01-01T00:00:00.000Z", "size": 10},
    )
    assert {a["id"] for a in page["assets"]["items"]} == {mid, new}
    after = await _call(hass, entry, "search", taken_after="2016-01-01T00:00:00Z")
    assert {a["asset_id"] for a in after["assets"]} == {mid, new}

    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            entry,
            "search",
            taken_after="2020-01-01T00:00:00Z",
            taken_before="2019-01-01T00:00:00Z",
        )
    assert err.value.translation_key == "bad_time_range"


async def test_smart_search_without_machine_learning(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """With machine learning off the server refuses smart search: a translated error."""
    user = await immich.create_user("Smart searcher")
    entry = await setup_entry(hass, real_entry(immich.server, user))
    status, body = await immich.raw(
        "POST", "/search/smart", key=user.key, json_body={"query": "a dog"}
    )
    assert status == HTTPStatus.BAD_REQUEST
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, entry, "search", query="a dog")
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "request_rejected"
    assert body["message"] in str(err.value.translation_placeholders)


async def test_download_assets_by_id(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """Originals land byte for byte under their names; a second run skips them."""
    user = await immich.create_user("Downloader")
    originals = {"beach.jpg": jpeg("beach"), "hills.jpg": jpeg("hills")}
    ids = {
        name: await immich.upload(user.key, data, filename=name)
        for name, data in originals.items()
    }
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    entry = await setup_entry(hass, real_entry(immich.server, user))
    target = tmp_path / "photos"

    response = await _call(
        hass, entry, "download", folder=str(target), asset_id=list(ids.values())
    )
    assert response["failed"] == []
    assert sorted(Path(p).name for p in response["written"]) == sorted(originals)
    for name, data in originals.items():
        assert await hass.async_add_executor_job((target / name).read_bytes) == data

    again = await _call(
        hass, entry, "download", folder=str(target), asset_id=list(ids.values())
    )
    assert again["written"] == []
    assert sorted(Path(p).name for p in again["skipped"]) == sorted(originals)

    stranger = await immich.create_user("Not yours")
    theirs = await immich.upload(stranger.key)
    response = await _call(
        hass, entry, "download", folder=str(tmp_path / "other"), asset_id=[theirs]
    )
    assert [item["asset_id"] for item in response["failed"]] == [theirs]
    assert response["written"] == []
