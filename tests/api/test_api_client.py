"""Test every client endpoint against the spec-checked fake server (v2 and v3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import aiohttp
import pytest

from custom_components.immich_bridge.api import (
    ImmichAmbiguousAlbumError,
    ImmichClient,
    ImmichNotFoundError,
    ImmichServerVersion,
    ImmichUnsupportedVersionError,
    TimelineCache,
)
from tests.fake_immich import FakeImmich


async def test_server_endpoints(
    client: ImmichClient, immich_server: FakeImmich
) -> None:
    """Read the public and server endpoints."""
    immich_server.state.version_check_release = "v9.9.9"
    immich_server.state.version_check_at = datetime(2026, 1, 1, tzinfo=UTC)
    assert await client.ping() is True
    version = await client.server_version()
    assert client.version == version
    assert version >= ImmichServerVersion(major=2, minor=7, patch=0)
    about = await client.about()
    assert about.version == f"v{version}"
    check = await client.version_check()
    assert check.release_version == "v9.9.9"
    assert check.checked_at == datetime(2026, 1, 1, tzinfo=UTC)
    features = await client.features()
    assert features.smart_search is True
    config = await client.server_config()
    assert config.external_domain == ""
    storage = await client.storage()
    assert storage.disk_size_raw == immich_server.state.disk_size
    assert storage.disk_use_raw == immich_server.state.disk_use
    media = await client.media_types()
    assert ".jpg" in media.image
    assert media.accepts("clip.mp4")


async def test_statistics(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Read server statistics with per-user usage."""
    immich_server.state.add_asset(immich_server.admin_id)
    immich_server.state.add_asset(immich_server.user_id, asset_type="VIDEO")
    stats = await client.statistics()
    assert stats.photos == 1
    assert stats.videos == 1
    assert {usage.user_id for usage in stats.usage_by_user} >= {
        immich_server.admin_id,
        immich_server.user_id,
    }
    assert stats.usage > 0


async def test_users_and_key(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Read the key's user, the key and the user list."""
    me = await client.me()
    assert me.id == immich_server.admin_id
    assert me.is_admin is True
    key = await client.api_key_info()
    assert key.name == "admin key"
    assert key.has("album.read")
    users = await client.users()
    assert immich_server.user_id in {user.id for user in users}


async def test_album_lifecycle(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Create, read, list, change, fill, share and delete an album."""
    state = immich_server.state
    first = state.add_asset(immich_server.admin_id, filename="a.jpg")
    second = state.add_asset(immich_server.admin_id, filename="b.jpg")
    album = await client.create_album("Trip", description="Summer", asset_ids=[first])
    assert album.name == "Trip"
    assert album.description == "Summer"
    assert album.asset_count == 1
    assert album.owner_id == immich_server.admin_id
    bare = await client.create_album("Bare")
    assert bare.asset_count == 0

    fetched = await client.album(album.id)
    assert fetched.id == album.id
    assert {item.id for item in await client.albums()} >= {album.id, bare.id}
    assert await client.albums(shared=True) == []
    assert [item.id for item in await client.albums(asset_id=first)] == [album.id]
    stats = await client.album_statistics()
    assert stats.owned == 2

    updated = await client.update_album(
        album.id,
        name="Trip 2",
        description="Autumn",
        thumbnail_asset_id=first,
        is_activity_enabled=False,
        order="asc",
    )
    assert updated.name == "Trip 2"
    assert updated.description == "Autumn"

    added = await client.add_assets_to_album(album.id, [first, second])
    assert {(item.id, item.success) for item in added} == {
        (first, False),
        (second, True),
    }
    assert next(item for item in added if item.id == first).error == "duplicate"
    assets = await client.album_assets(album.id)
    assert {asset.id for asset in assets} == {first, second}
    assert len(await client.album_assets(album.id, limit=1)) == 1
    removed = await client.remove_assets_from_album(album.id, [second])
    assert removed[0].success

    shared = await client.share_album(album.id, [(immich_server.user_id, "viewer")])
    assert immich_server.user_id in {user.user_id for user in shared.album_users}
    assert shared.shared is True

    await client.delete_album(bare.id)
    with pytest.raises(ImmichNotFoundError, match=f"GET /albums/{bare.id}"):
        await client.album(bare.id)


async def test_visible_albums(client: ImmichClient, immich_server: FakeImmich) -> None:
    """List own and shared-with-me albums once each, sorted by name."""
    state = immich_server.state
    mine = state.add_album(immich_server.admin_id, "beach")
    shared_by_me = state.add_album(immich_server.admin_id, "Alps")
    theirs = state.add_album(immich_server.user_id, "Cats")
    state.albums[shared_by_me].users[immich_server.user_id] = "viewer"
    state.albums[theirs].users[immich_server.admin_id] = "viewer"
    state.add_album(immich_server.user_id, "Private")
    immich_server.requests.clear()

    albums = await client.visible_albums()

    assert [album.name for album in albums] == ["Alps", "beach", "Cats"]
    assert [album.id for album in albums] == [shared_by_me, mine, theirs]
    assert sorted(r.operation_id for r in immich_server.requests) == [
        "getAllAlbums",
        "getAllAlbums",
    ]


async def test_find_album(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Find own and shared albums by id or name; prefer an own namesake, else refuse."""
    state = immich_server.state
    theirs = state.add_album(immich_server.user_id, "Cats")
    state.albums[theirs].users[immich_server.admin_id] = "editor"
    hidden = state.add_album(immich_server.user_id, "Private")

    for ref in (theirs, theirs.upper(), "Cats", "cats"):
        found = await client.find_album(ref)
        assert found is not None
        assert found.id == theirs
    assert await client.find_album(hidden) is None
    assert await client.find_album("Private") is None

    mine = state.add_album(immich_server.admin_id, "Cats")
    twin = state.add_album(immich_server.user_id, "Dogs")
    state.albums[twin].users[immich_server.admin_id] = "viewer"
    other = state.add_album(immich_server.user_id, "Dogs")
    state.albums[other].users[immich_server.admin_id] = "editor"
    with pytest.raises(ImmichAmbiguousAlbumError) as err:
        await client.find_album("Dogs", owner_id=immich_server.admin_id)
    assert (err.value.name, err.value.count) == ("Dogs", 2)
    found = await client.find_album("Cats")  # the key's own album wins
    assert found is not None
    assert found.id == mine
    assert found.role_of(immich_server.admin_id) == "owner"
    shared = await client.find_album(twin)
    assert shared is not None
    assert shared.role_of(immich_server.admin_id) == "viewer"
    assert shared.role_of(immich_server.user_id) == "owner"
    assert shared.role_of("somebody else") is None


async def test_album_assets_from_timeline(
    client_v3: ImmichClient, immich_server_v3: FakeImmich
) -> None:
    """On v3 an album's assets (every member's) come from its timeline, newest first."""
    state = immich_server_v3.state
    member = state.add_user("Member", "member@example.com")
    start = datetime(2020, 1, 28, tzinfo=UTC)
    ids = [
        state.add_asset(
            member if day % 2 else immich_server_v3.admin_id,
            taken_at=start + timedelta(days=day),
        )
        for day in range(5)
    ]
    album_id = state.add_album(member, "Many", asset_ids=ids)
    state.albums[album_id].users[immich_server_v3.admin_id] = "viewer"
    immich_server_v3.requests.clear()

    assets = await client_v3.album_assets(album_id)
    newest = await client_v3.album_assets(album_id, limit=3)

    assert [asset.id for asset in assets] == ids[::-1]
    assert [asset.id for asset in newest] == ids[::-1][:3]
    calls = [r.operation_id for r in immich_server_v3.requests]
    assert calls.count("getTimeBucket") == 4  # January and February, twice
    # The caller's own assets come from the search; only the member's are read alone.
    assert calls.count("getAssetInfo") == 2 + 1
    timeline = await client_v3.album_timeline(album_id)
    assert [entry.id for entry in timeline] == ids[::-1]
    assert all(entry.is_image and not entry.is_trashed for entry in timeline)

    # With a cache, only months whose count changed are read again.
    cache: TimelineCache = {}
    await client_v3.album_timeline(album_id, cache=cache)
    immich_server_v3.requests.clear()
    again = await client_v3.album_timeline(album_id, cache=cache)
    assert [entry.id for entry in again] == ids[::-1]
    assert [r.operation_id for r in immich_server_v3.requests] == ["getTimeBuckets"]
    added = state.add_asset(member, taken_at=start + timedelta(days=1))
    state.albums[album_id].asset_ids.append(added)
    immich_server_v3.requests.clear()
    grown = await client_v3.album_timeline(album_id, cache=cache)
    assert {entry.id for entry in grown} == {*ids, added}
    calls = [r.operation_id for r in immich_server_v3.requests]
    assert calls == ["getTimeBuckets", "getTimeBucket"]  # January only


async def test_asset_endpoints(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Read, change, view and delete assets."""
    state = immich_server.state
    asset_id = state.add_asset(immich_server.admin_id, filename="x.jpg")
    asset = await client.asset(asset_id)
    assert asset.original_file_name == "x.jpg"
    changed = await client.update_asset(
        asset_id, is_favorite=True, visibility="archive", description="Hi", rating=5
    )
    assert changed.is_favorite is True
    assert changed.visibility == "archive"
    assert changed.description == "Hi"
    stats = await client.asset_statistics()
    assert stats.total >= 0
    favourites = await client.asset_statistics(
        is_favorite=True, is_trashed=False, visibility="archive"
    )
    assert favourites.total == 1
    preview = await client.thumbnail(asset_id)
    assert preview[:2] == b"\xff\xd8"
    small = await client.thumbnail(asset_id, size="thumbnail")
    assert small[:2] == b"\xff\xd8"
    original = await client.original(asset_id)
    assert original == state.assets[asset_id].data
    async with client.open_asset(asset_id) as stream:
        assert stream.size == len(original)
        body = b"".join([chunk async for chunk in stream.chunks(7)])
    assert body == original
    async with client.open_asset(asset_id, size="preview") as stream:
        assert stream.content_type.startswith("image/")
        assert stream.status == 200
    async with client.open_asset(asset_id, byte_range="bytes=0-9") as stream:
        assert stream.status == 206
        assert stream.content_range == f"bytes 0-9/{len(original)}"
        assert b"".join([chunk async for chunk in stream.chunks()]) == original[:10]
    await client.delete_assets([asset_id])
    assert state.assets[asset_id].is_trashed
    await client.delete_assets([asset_id], force=True)
    assert asset_id not in state.assets


async def test_bulk_update_and_trash(
    client: ImmichClient, immich_server: FakeImmich
) -> None:
    """Change several assets in one request; restore from and empty the trash."""
    state, owner = immich_server.state, immich_server.admin_id
    first, second = (state.add_asset(owner) for _ in range(2))
    when = datetime(2020, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    await client.update_assets(
        [first, second],
        is_favorite=True,
        visibility="hidden",
        description="Both",
        rating=5,
        date_time_original=when,
        latitude=1.5,
        longitude=-2.5,
    )
    for asset_id in (first, second):
        asset = state.assets[asset_id]
        assert (asset.is_favorite, asset.visibility, asset.rating) == (
            True,
            "hidden",
            5,
        )
        assert (asset.description, asset.latitude, asset.longitude) == (
            "Both",
            1.5,
            -2.5,
        )
        assert asset.file_created_at == when
    immich_server.requests.clear()
    await client.update_assets([first], rating=0)  # unrated: sent as null
    assert state.assets[first].rating is None
    assert [r.operation_id for r in immich_server.requests] == ["updateAssets"]

    await client.delete_assets([first, second])
    assert await client.restore_assets([first]) == 1
    assert not state.assets[first].is_trashed
    assert await client.empty_trash() == 1
    assert second not in state.assets
    assert await client.empty_trash() == 0


async def test_video(client: ImmichClient, immich_server: FakeImmich) -> None:
    """A video's playback stream can be opened, whole or in part."""
    video = immich_server.state.add_asset(
        immich_server.admin_id,
        data=b"\0\0\0\x18ftypmp42" + b"v" * 100,
        filename="clip.mp4",
        asset_type="VIDEO",
    )
    async with client.open_video(video) as stream:
        body = b"".join([chunk async for chunk in stream.chunks()])
    assert body.startswith(b"\0\0\0\x18ftyp")
    async with client.open_video(video, byte_range="bytes=0-3") as stream:
        assert stream.status == 206


async def test_tags(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Upsert, list, tag and untag."""
    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    tags = await client.upsert_tags(["trips/2026", "pets"])
    assert {tag.value for tag in tags} == {"trips/2026", "pets"}
    listed = await client.tags()
    assert {"trips", "trips/2026", "pets"} <= {tag.value for tag in listed}
    child = next(tag for tag in tags if tag.value == "trips/2026")
    assert child.name == "2026"
    assert child.parent_id is not None
    tagged = await client.tag_assets(child.id, [asset_id])
    assert tagged[0].success
    untagged = await client.untag_assets(child.id, [asset_id])
    assert untagged[0].success


async def test_shared_links(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Create album and asset links, list them, build URLs, delete them."""
    state = immich_server.state
    asset_id = state.add_asset(immich_server.admin_id)
    album_id = state.add_album(immich_server.admin_id, "Shared", asset_ids=[asset_id])
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    album_link = await client.create_shared_link(
        album_id=album_id,
        expires_at=expires,
        password="secret",  # noqa: S106  # a test value
        allow_upload=True,
        description="For family",
        slug="family",
    )
    assert album_link.album_id == album_id
    assert album_link.expires_at == expires
    assert album_link.allow_upload is True
    assert album_link.has_password is True
    assert await client.shared_link_url(album_link) == f"{immich_server.url}/s/family"

    asset_link = await client.create_shared_link(
        asset_ids=[asset_id], allow_download=False, show_metadata=False
    )
    assert asset_link.type == "INDIVIDUAL"
    assert asset_link.asset_ids == (asset_id,)
    state.external_domain = "https://photos.example.com/"
    assert await client.shared_link_url(asset_link) == (
        f"https://photos.example.com/share/{asset_link.key}"
    )

    assert {link.id for link in await client.shared_links()} == {
        album_link.id,
        asset_link.id,
    }
    assert [link.id for link in await client.shared_links(album_id=album_id)] == [
        album_link.id
    ]
    await client.delete_shared_link(asset_link.id)
    assert [link.id for link in await client.shared_links()] == [album_link.id]
    with pytest.raises(ValueError, match="album_id or asset_ids"):
        await client.create_shared_link()
    with pytest.raises(ValueError, match="album_id or asset_ids"):
        await client.create_shared_link(album_id=album_id, asset_ids=[asset_id])


async def test_queues(client: ImmichClient, immich_server: FakeImmich) -> None:
    """List queues and send every command the way the server version wants."""
    immich_server.state.queues["thumbnailGeneration"].waiting = 7
    queues = await client.queues()
    assert {queue.name for queue in queues} == set(immich_server.state.queues)
    thumbs = next(queue for queue in queues if queue.name == "thumbnailGeneration")
    assert thumbs.waiting == 7
    for command in ("start", "pause", "resume", "empty", "clear-failed"):
        await client.queue_command("thumbnailGeneration", command, force=True)
    ops = [r.operation_id for r in immich_server.requests if r.method != "GET"]
    assert ops == [
        "runQueueCommandLegacy",
        "updateQueue",
        "updateQueue",
        "emptyQueue",
        # Clearing failed jobs must not empty the queue: only the legacy command
        # clears failed jobs alone (DELETE /queues/{name}/jobs drops waiting ones).
        "runQueueCommandLegacy",
    ]
    assert immich_server.state.queues["thumbnailGeneration"].is_paused is False


async def test_queues_legacy(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Before 2.4 queues come from /jobs and every command goes to PUT /jobs/{name}."""
    immich_server.set_fault("getServerVersion", body=b'{"major":2,"minor":3,"patch":1}')
    assert str(await client.server_version()) == "2.3.1"
    immich_server.state.queues["library"].is_paused = True
    queues = await client.queues()
    library = next(queue for queue in queues if queue.name == "library")
    assert library.is_paused is True
    await client.queue_command("library", "pause")
    await client.queue_command("library", "empty")
    ops = [r.operation_id for r in immich_server.requests]
    assert "getQueuesLegacy" in ops
    assert ops.count("runQueueCommandLegacy") == 2
    assert "getQueues" not in ops


async def test_unsupported_version(
    client: ImmichClient, immich_server: FakeImmich
) -> None:
    """A server older than 2.0 is refused with both versions named."""
    immich_server.set_fault(
        "getServerVersion", body=b'{"major":1,"minor":135,"patch":3}'
    )
    with pytest.raises(ImmichUnsupportedVersionError) as err:
        await client.server_version()
    assert err.value.version == "1.135.3"
    assert err.value.minimum == "2.0.0"
    assert "1.135.3" in str(err.value)
    assert "2.0.0" in str(err.value)
    assert client.version is None


async def test_libraries_people_memories(
    client: ImmichClient, immich_server: FakeImmich
) -> None:
    """List and scan libraries, page people, read memories."""
    state = immich_server.state
    library_id = state.add_library(immich_server.admin_id, "NAS")
    libraries = await client.libraries()
    assert [library.id for library in libraries] == [library_id]
    await client.scan_library(library_id)
    assert state.library_scans == [library_id]

    ann = state.add_person(immich_server.admin_id, "Ann")
    face = await client.person_thumbnail(ann)
    assert face[:2] == b"\xff\xd8"
    state.add_person(immich_server.admin_id, "Bob", hidden=True)
    visible = await client.people()
    assert [person.name for person in visible.people] == ["Ann"]
    everyone = await client.people(with_hidden=True, page=1, size=10)
    assert everyone.total == 2
    assert everyone.hidden == 1

    asset_id = state.add_asset(immich_server.admin_id)
    state.add_memory(immich_server.admin_id, 2020, [asset_id])
    memories = await client.memories()
    assert memories[0].assets[0].id == asset_id
    assert memories[0].year == 2020
    assert await client.memories(for_date=datetime.now(UTC), is_saved=True) == []


async def test_search(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Search by metadata, meaning and at random."""
    state = immich_server.state
    beach = state.add_asset(
        immich_server.admin_id,
        filename="beach.jpg",
        description="beach",
        favorite=True,
        city="Nice",
        taken_at=datetime(2021, 6, 1, tzinfo=UTC),
    )
    state.add_asset(immich_server.admin_id, filename="snow.jpg", description="snow")
    found = await client.search_metadata(
        is_favorite=True,
        original_file_name="beach",
        taken_after=datetime(2021, 1, 1),  # noqa: DTZ001  # naive is read as UTC
        order="asc",
        with_exif=True,
    )
    assert [asset.id for asset in found.items] == [beach]
    assert found.next_page is None
    every = await client.search_metadata(page=1, size=1)
    assert every.count == 1
    assert every.next_page == 2
    smart = await client.search_smart("beach", size=5, language="en", city="Nice")
    assert beach in [asset.id for asset in smart.items]
    randoms = await client.search_random(size=2, is_favorite=True)
    assert [asset.id for asset in randoms] == [beach]


async def test_timeline_months_by_local_date(
    client: ImmichClient, immich_server: FakeImmich
) -> None:
    """The months count by local date; a month's assets are those taken in it locally.

    Taken at 23:00 UTC on 30 April two hours east of UTC is 1 May; taken at 01:00 UTC
    on 1 June ten hours west is still 31 May.
    """
    state, me = immich_server.state, immich_server.admin_id
    early = state.add_asset(
        me, taken_at=datetime(2019, 4, 30, 23, tzinfo=UTC), utc_offset_hours=2
    )
    late = state.add_asset(
        me, taken_at=datetime(2019, 6, 1, 1, tzinfo=UTC), utc_offset_hours=-10
    )
    middle = state.add_asset(me, taken_at=datetime(2019, 5, 15, tzinfo=UTC))
    state.add_asset(me, taken_at=datetime(2019, 4, 30, 12, tzinfo=UTC))
    december = state.add_asset(me, taken_at=datetime(2018, 12, 31, 20, tzinfo=UTC))
    buckets = await client.time_buckets()
    assert [(b.start, b.count) for b in buckets] == [
        (date(2019, 5, 1), 3),
        (date(2019, 4, 1), 1),
        (date(2018, 12, 1), 1),
    ]
    may = await client.month_assets(2019, 5)
    assert [a.id for a in may] == [late, middle, early]
    assert [a.id for a in await client.month_assets(2019, 5, limit=1)] == [late]
    assert [a.id for a in await client.month_assets(2018, 12)] == [december]
    assert await client.month_assets(2020, 1) == []


async def test_places(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Countries, a country's cities, and one photo per city."""
    state, me = immich_server.state, immich_server.admin_id
    berlin = state.add_asset(me, city="Berlin", country="Germany")
    state.add_asset(me, city="Hamburg", country="Germany")
    state.add_asset(me, city="Paris", country="France")
    assert await client.search_suggestions("country") == ["France", "Germany"]
    assert await client.search_suggestions("city", country="Germany") == [
        "Berlin",
        "Hamburg",
    ]
    assert await client.search_suggestions("state", country="Germany", state="x") == []
    covers = await client.city_assets()
    assert [a.city for a in covers] == ["Berlin", "Hamburg", "Paris"]
    assert covers[0].id == berlin


async def test_owned_session(immich_server: FakeImmich) -> None:
    """Without a session the client creates one and closes it."""
    async with ImmichClient(
        None, f"{immich_server.url}/api/", immich_server.admin_key
    ) as own:
        assert own.url == immich_server.url
        assert await own.ping()
        session = own.session
        assert session is not None
    assert session.closed
    assert own.session is None
    await own.close()


async def test_shared_session_not_closed(immich_server: FakeImmich) -> None:
    """An injected session stays open after close()."""
    async with aiohttp.ClientSession() as session:
        client = ImmichClient(session, immich_server.url, immich_server.admin_key)
        await client.close()
        assert not session.closed
