"""Tests for the Immich Bridge media source: browse the tree and resolve media."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

from homeassistant.components import media_source
from homeassistant.components.media_player import (
    BrowseError,
    MediaClass,
    SearchError,
    SearchMediaQuery,
)
from homeassistant.components.media_source import MediaSourceItem, Unresolvable
from homeassistant.components.media_source.const import MEDIA_SOURCE_DATA
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import DOMAIN
from tests.fake_immich import FakeImmich

ROOT = f"media-source://{DOMAIN}"


@pytest.fixture
def seeded(immich_server: FakeImmich) -> FakeImmich:
    """Fill the fake server with sample albums, people, tags and a memory."""
    immich_server.state.seed(immich_server.admin_id, immich_server.user_id)
    return immich_server


@pytest.fixture
async def loaded(
    hass: HomeAssistant, seeded: FakeImmich, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Set up the media source next to a loaded entry."""
    assert await async_setup_component(hass, "media_source", {})
    await hass.async_block_till_done()
    return init_integration


@pytest.fixture
async def bare(
    hass: HomeAssistant, immich_server: FakeImmich, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Set up the media source next to a loaded entry of an empty server."""
    assert await async_setup_component(hass, "media_source", {})
    await hass.async_block_till_done()
    return init_integration


def _titles(node: media_source.BrowseMediaSource) -> list[str]:
    """Return the titles of a node's children."""
    return [child.title for child in node.children or []]


async def _browse(
    hass: HomeAssistant, path: str = ""
) -> media_source.BrowseMediaSource:
    """Browse one identifier of our source."""
    uri = f"{ROOT}/{path}" if path else ROOT
    result = await media_source.async_browse_media(hass, uri)
    assert isinstance(result, media_source.BrowseMediaSource)
    return result


CATEGORIES = [
    "Albums",
    "People",
    "Tags",
    "Favorites",
    "On this day",
    "Recently added",
    "Timeline",
    "Places",
]


async def test_browse_one_server_lists_its_categories(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """With one server the root lists its categories; the server's id still works."""
    root = await _browse(hass)
    assert root.title == loaded.title
    assert root.media_content_id == ROOT
    assert root.can_search
    assert _titles(root) == CATEGORIES
    server = str(loaded.unique_id)
    assert root.children[0].media_content_id == f"{ROOT}/{server}/albums"

    categories = await _browse(hass, server)
    assert categories.media_content_id == f"{ROOT}/{server}"
    assert _titles(categories) == CATEGORIES


async def test_browse_several_servers(
    hass: HomeAssistant, immich_server: FakeImmich, loaded: MockConfigEntry
) -> None:
    """With several servers the root lists them; each lists its categories."""
    alice = MockConfigEntry(
        domain=DOMAIN,
        title="Immich Alice",
        unique_id=immich_server.user_id,
        data={**loaded.data, CONF_API_KEY: immich_server.user_key},
    )
    alice.add_to_hass(hass)
    assert await hass.config_entries.async_setup(alice.entry_id)
    await hass.async_block_till_done()

    root = await _browse(hass)
    assert root.title == "Immich Bridge"
    assert _titles(root) == ["Immich Admin", "Immich Alice"]
    assert root.children[1].media_content_id == f"{ROOT}/{immich_server.user_id}"
    assert root.children[1].can_expand
    assert _titles(await _browse(hass, immich_server.user_id)) == CATEGORIES


async def test_titles_follow_the_language(
    hass: HomeAssistant, immich_server: FakeImmich, bare: MockConfigEntry
) -> None:
    """Folder titles come in the configured language (Simplified Chinese here)."""
    immich_server.state.add_asset(
        immich_server.admin_id, taken_at=datetime(2021, 7, 14, 12, tzinfo=UTC)
    )
    await hass.config.async_update(language="zh-Hans")
    root = await _browse(hass)
    assert _titles(root) == [
        "相册",
        "人物",
        "标签",
        "收藏",
        "那年今日",
        "最近添加",
        "时间线",
        "地点",
    ]
    server = str(bare.unique_id)
    assert _titles(await _browse(hass, f"{server}/timeline/2021")) == ["7月"]
    month = await _browse(hass, f"{server}/timeline/2021-07")
    assert month.title == "2021年7月"


async def test_browse_albums_owned_and_shared_once(
    hass: HomeAssistant, seeded: FakeImmich, loaded: MockConfigEntry
) -> None:
    """Albums lists owned and shared albums once each, with a cover thumbnail."""
    albums = await _browse(hass, f"{loaded.unique_id}/albums")
    assert _titles(albums) == ["Alice's garden", "Empty", "Favourites", "Trips"]
    by_title = {child.title: child for child in albums.children}
    trips_id = next(a.id for a in seeded.state.albums.values() if a.name == "Trips")
    trips = by_title["Trips"]
    assert trips.media_content_id == f"{ROOT}/{loaded.unique_id}/albums/{trips_id}"
    cover = seeded.state.albums[trips_id].thumbnail_asset_id
    assert trips.thumbnail == f"/api/{DOMAIN}/{loaded.entry_id}/{cover}/thumbnail"
    assert by_title["Empty"].thumbnail is None

    album = await _browse(hass, f"{loaded.unique_id}/albums/{trips_id}")
    assert album.title == "Trips"
    assert len(album.children) == 6
    photo = album.children[0]
    assert photo.media_class == MediaClass.IMAGE
    assert photo.media_content_type == "image/jpeg"
    assert photo.can_play
    assert not photo.can_expand
    asset_id = photo.media_content_id.split("/")[-3]
    assert asset_id in seeded.state.albums[trips_id].asset_ids
    assert photo.thumbnail == f"/api/{DOMAIN}/{loaded.entry_id}/{asset_id}/thumbnail"


async def test_browse_people_tags_favorites_memories_recent(
    hass: HomeAssistant, seeded: FakeImmich, loaded: MockConfigEntry
) -> None:
    """People, tags, favorites, memories and recent uploads list their photos."""
    server = str(loaded.unique_id)
    people = await _browse(hass, f"{server}/people")
    assert _titles(people) == ["Anna", "Ben", "Carla"]
    anna = people.children[0]
    anna_id = anna.media_content_id.rsplit("/", 1)[-1]
    assert anna.thumbnail == f"/api/{DOMAIN}/{loaded.entry_id}/{anna_id}/person"
    anna_photos = await _browse(hass, f"{server}/people/{anna_id}")
    assert anna_photos.title == "Anna"
    assert len(anna_photos.children) == 4  # photos 0, 3, 6 and 9

    tags = await _browse(hass, f"{server}/tags")
    assert _titles(tags) == [
        "best",
        "holiday",
        "holiday/summer",
        "people",
        "people/family",
    ]
    summer = tags.children[2].media_content_id.rsplit("/", 1)[-1]
    summer_photos = await _browse(hass, f"{server}/tags/{summer}")
    assert summer_photos.title == "holiday/summer"
    assert len(summer_photos.children) == 3

    favorites = await _browse(hass, f"{server}/favorites")
    assert len(favorites.children) == 3

    memories = await _browse(hass, f"{server}/memories")
    assert _titles(memories) == ["2023"]
    memory_id = memories.children[0].media_content_id.rsplit("/", 1)[-1]
    memory = await _browse(hass, f"{server}/memories/{memory_id}")
    assert memory.title == "2023"
    assert len(memory.children) == 2

    recent = await _browse(hass, f"{server}/recent")
    assert len(recent.children) == 10


async def test_videos_and_other_assets(
    hass: HomeAssistant, immich_server: FakeImmich, loaded: MockConfigEntry
) -> None:
    """Videos are playable with their own type; audio and other files are left out."""
    state, owner = immich_server.state, immich_server.admin_id
    video = state.add_asset(
        owner, data=b"\x00" * 64, filename="clip.mp4", asset_type="VIDEO"
    )
    other = state.add_asset(owner, data=b"x", filename="a.bin", asset_type="OTHER")
    album = state.add_album(owner, "Mixed", asset_ids=[video, other])
    node = await _browse(hass, f"{loaded.unique_id}/albums/{album}")
    assert len(node.children) == 1
    clip = node.children[0]
    assert clip.media_class == MediaClass.VIDEO
    assert clip.media_content_type == "video/mp4"

    played = await media_source.async_resolve_media(hass, clip.media_content_id, None)
    assert played.url == f"/api/{DOMAIN}/{loaded.entry_id}/{video}/video"
    assert played.mime_type == "video/mp4"


async def test_resolve_photo_and_fetch_it(
    hass: HomeAssistant,
    seeded: FakeImmich,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A photo resolves to the proxy view, which returns its image."""
    asset_id = next(iter(seeded.state.assets))
    uri = f"{ROOT}/{loaded.unique_id}/asset/{asset_id}/image/heic"
    played = await media_source.async_resolve_media(hass, uri, None)
    assert played.url == f"/api/{DOMAIN}/{loaded.entry_id}/{asset_id}/fullsize"
    assert played.mime_type == "image/jpeg"  # HEIC is opened as Immich's JPEG

    client = await hass_client()
    response = await client.get(played.url)
    assert response.status == HTTPStatus.OK
    assert await response.read() == seeded.state.assets[asset_id].data


@pytest.mark.parametrize(
    "path",
    [
        "nobody",
        "{server}/nowhere",
        "{server}/albums/not-a-uuid",
        "{server}/favorites/00000000-0000-4000-8000-000000000001",
        "{server}/asset/00000000-0000-4000-8000-000000000001/image/jpeg",
        "{server}/albums/00000000-0000-4000-8000-000000000001/x",
        "{server}/timeline/21",
        "{server}/timeline/2021-13",
        "{server}/timeline/2021-07/x",
        "{server}/places//Berlin",
        "{server}/places/Germany/Berlin/x",
    ],
)
async def test_browse_invalid(
    hass: HomeAssistant, loaded: MockConfigEntry, path: str
) -> None:
    """Unknown servers and malformed identifiers raise translated errors."""
    with pytest.raises(BrowseError) as err:
        await _browse(hass, path.format(server=loaded.unique_id))
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key in {"invalid_media_id", "server_not_loaded"}


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("{server}/albums", "invalid_media_id"),
        ("{server}/asset/not-a-uuid/image/jpeg", "invalid_media_id"),
        (
            "{server}/asset/00000000-0000-4000-8000-000000000001/text/plain",
            "invalid_media_id",
        ),
        (
            "nobody/asset/00000000-0000-4000-8000-000000000001/image/jpeg",
            "server_not_loaded",
        ),
    ],
)
async def test_resolve_invalid(
    hass: HomeAssistant, loaded: MockConfigEntry, path: str, key: str
) -> None:
    """Only photos and videos of loaded servers resolve."""
    with pytest.raises(Unresolvable) as err:
        await media_source.async_resolve_media(
            hass, f"{ROOT}/{path.format(server=loaded.unique_id)}", None
        )
    assert err.value.translation_key == key


_MISSING_TAG_READ = (
    b'{"message":"Missing required permission: tag.read",'
    b'"error":"Forbidden","statusCode":403}'
)


@pytest.mark.parametrize(
    ("status", "body", "key"),
    [
        (HTTPStatus.UNAUTHORIZED, None, "auth_failed"),
        (HTTPStatus.FORBIDDEN, _MISSING_TAG_READ, "missing_permission"),
        (HTTPStatus.FORBIDDEN, None, "admin_required"),
        (HTTPStatus.TOO_MANY_REQUESTS, None, "rate_limited"),
        (HTTPStatus.INTERNAL_SERVER_ERROR, None, "server_error"),
    ],
)
async def test_browse_server_errors(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    loaded: MockConfigEntry,
    status: HTTPStatus,
    body: bytes | None,
    key: str,
) -> None:
    """A failing server gives a translated browse error; a 403 names its permission."""
    immich_server.set_fault("getAllTags", status=status, body=body)
    with pytest.raises(BrowseError) as err:
        await _browse(hass, f"{loaded.unique_id}/tags")
    assert err.value.translation_key == key
    if body is not None:
        assert err.value.translation_placeholders == {"permission": "tag.read"}


async def test_browse_unknown_memory_and_offline_server(
    hass: HomeAssistant, immich_server: FakeImmich, loaded: MockConfigEntry
) -> None:
    """A gone memory is not found; an unreachable server cannot connect."""
    with pytest.raises(BrowseError) as err:
        await _browse(
            hass, f"{loaded.unique_id}/memories/00000000-0000-4000-8000-000000000001"
        )
    assert err.value.translation_key == "not_found"

    await immich_server.stop()
    with pytest.raises(BrowseError) as err:
        await _browse(hass, f"{loaded.unique_id}/favorites")
    assert err.value.translation_key == "cannot_connect"


async def test_unloaded_entry_is_not_listed(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """An unloaded entry disappears from the browser."""
    assert await hass.config_entries.async_unload(loaded.entry_id)
    root = await _browse(hass)
    assert root.children == []
    with pytest.raises(BrowseError) as err:
        await _browse(hass, str(loaded.unique_id))
    assert err.value.translation_key == "server_not_loaded"


async def _search(
    hass: HomeAssistant,
    identifier: str,
    text: str,
    classes: list[MediaClass] | None = None,
) -> list[media_source.BrowseMediaSource]:
    """Search our source below an identifier (Home Assistant 2026.8 calls this)."""
    source = hass.data[MEDIA_SOURCE_DATA][DOMAIN]
    item = MediaSourceItem(hass, DOMAIN, identifier, None)
    query = SearchMediaQuery(search_query=text, media_filter_classes=classes)
    return (await source.async_search_media(item, query)).result


async def test_search(
    hass: HomeAssistant, seeded: FakeImmich, loaded: MockConfigEntry
) -> None:
    """Smart search covers a server, or one album, person, tag or the favorites."""
    server = str(loaded.unique_id)
    state = seeded.state
    beach = {a.id for a in state.assets.values() if a.description.startswith("beach")}
    assert len(beach) == 2

    for identifier in ("", server):
        found = await _search(hass, identifier, "beach")
        assert {n.media_content_id.split("/")[-3] for n in found} == beach
    assert await _search(hass, server, "beach", [MediaClass.VIDEO]) == []

    trips = next(a for a in state.albums.values() if a.name == "Trips")
    found = await _search(hass, f"{server}/albums/{trips.id}", "beach")
    assert len(found) == 1
    assert len(await _search(hass, f"{server}/favorites", "beach")) == 1
    summer = next(t for t in state.tags.values() if t.value == "holiday/summer")
    assert len(await _search(hass, f"{server}/tags/{summer.id}", "beach")) == 1
    anna = next(p for p in state.people.values() if p.name == "Anna")
    assert len(await _search(hass, f"{server}/people/{anna.id}", "beach")) == 2

    root = await _browse(hass)
    assert root.can_search
    albums = await _browse(hass, f"{server}/albums")
    assert not albums.can_search
    assert all(child.can_search for child in albums.children)


async def test_search_errors(
    hass: HomeAssistant, immich_server: FakeImmich, loaded: MockConfigEntry
) -> None:
    """Search errors are translated."""
    with pytest.raises(SearchError) as err:
        await _search(hass, "nobody/asset", "x")
    assert err.value.translation_key == "invalid_media_id"
    with pytest.raises(SearchError) as err:
        await _search(hass, "nobody", "x")
    assert err.value.translation_key == "server_not_loaded"
    immich_server.set_fault("searchSmart", status=HTTPStatus.INTERNAL_SERVER_ERROR)
    with pytest.raises(SearchError) as err:
        await _search(hass, str(loaded.unique_id), "x")
    assert err.value.translation_key == "server_error"


def _asset_ids(node: media_source.BrowseMediaSource) -> list[str]:
    """Return the asset ids of a folder's photos and videos, in order."""
    return [child.media_content_id.split("/")[-3] for child in node.children or []]


async def test_timeline_years_months_and_photos(
    hass: HomeAssistant, immich_server: FakeImmich, bare: MockConfigEntry
) -> None:
    """The timeline lists years, then months, then photos by their local date.

    A photo taken at 01:00 on 1 May in Berlin (23:00 UTC on 30 April) is in May, as in
    Immich's timeline; a timeline partner's photos count, archived ones don't.
    """
    state, me = immich_server.state, immich_server.admin_id
    partner = immich_server.user_id
    may_local = state.add_asset(
        me,
        filename="may_local.jpg",
        taken_at=datetime(2019, 4, 30, 23, tzinfo=UTC),
        utc_offset_hours=2,
    )
    may = state.add_asset(me, taken_at=datetime(2019, 5, 20, 9, tzinfo=UTC))
    state.add_asset(me, taken_at=datetime(2019, 4, 2, 9, tzinfo=UTC))
    july = state.add_asset(partner, taken_at=datetime(2021, 7, 14, 12, tzinfo=UTC))
    state.add_partner(partner, me, in_timeline=True)
    archived = state.add_asset(me, taken_at=datetime(2018, 1, 1, tzinfo=UTC))
    state.assets[archived].visibility = "archive"
    video = state.add_asset(
        me,
        data=b"\x00" * 64,
        filename="clip.mp4",
        asset_type="VIDEO",
        taken_at=datetime(2019, 5, 1, 12, tzinfo=UTC),
    )
    server = str(bare.unique_id)

    years = await _browse(hass, f"{server}/timeline")
    assert years.title == "Timeline"
    assert _titles(years) == ["2021", "2019"]
    assert years.children[1].media_content_id == f"{ROOT}/{server}/timeline/2019"

    months = await _browse(hass, f"{server}/timeline/2019")
    assert months.title == "2019"
    assert _titles(months) == ["May", "April"]
    assert months.children[0].media_content_id == f"{ROOT}/{server}/timeline/2019-05"

    photos = await _browse(hass, f"{server}/timeline/2019-05")
    assert photos.title == "May 2019"
    assert _asset_ids(photos) == [may, video, may_local]
    assert photos.children[1].media_class == MediaClass.VIDEO
    partner_month = await _browse(hass, f"{server}/timeline/2021-07")
    assert _asset_ids(partner_month) == [july]
    assert _titles(await _browse(hass, f"{server}/timeline/2020")) == []
    assert (await _browse(hass, f"{server}/timeline/2018-01")).children == []


async def test_places_countries_cities_and_photos(
    hass: HomeAssistant, immich_server: FakeImmich, bare: MockConfigEntry
) -> None:
    """Places lists countries, then their cities (with a photo), then a city's photos.

    A "/" in a name is escaped in the identifier, so it stays one part.
    """
    state, me = immich_server.state, immich_server.admin_id
    berlin = state.add_asset(me, city="Berlin", country="Germany")
    frankfurt = state.add_asset(me, city="Frankfurt/Main", country="Germany")
    state.add_asset(me, city="Paris", country="France")
    hidden = state.add_asset(me, city="Oslo", country="Norway")
    state.assets[hidden].visibility = "archive"
    state.add_asset(me)  # no place
    server = str(bare.unique_id)

    countries = await _browse(hass, f"{server}/places")
    assert countries.title == "Places"
    assert _titles(countries) == ["France", "Germany"]
    germany = countries.children[1]
    assert germany.media_content_id == f"{ROOT}/{server}/places/Germany"
    assert germany.thumbnail == f"/api/{DOMAIN}/{bare.entry_id}/{berlin}/thumbnail"
    assert not countries.can_search
    assert germany.can_search

    cities = await _browse(hass, f"{server}/places/Germany")
    assert cities.title == "Germany"
    assert _titles(cities) == ["Berlin", "Frankfurt/Main"]
    main = cities.children[1]
    assert main.media_content_id == f"{ROOT}/{server}/places/Germany/Frankfurt%2FMain"
    assert main.thumbnail == f"/api/{DOMAIN}/{bare.entry_id}/{frankfurt}/thumbnail"

    photos = await _browse(hass, f"{server}/places/Germany/Frankfurt%2FMain")
    assert photos.title == "Frankfurt/Main"
    assert photos.media_content_id == main.media_content_id
    assert _asset_ids(photos) == [frankfurt]
    assert photos.can_search
    assert (await _browse(hass, f"{server}/places/Norway")).children == []


async def test_search_in_places(
    hass: HomeAssistant, seeded: FakeImmich, loaded: MockConfigEntry
) -> None:
    """A smart search in a country or a city stays within it."""
    server = str(loaded.unique_id)
    state = seeded.state
    in_germany = {a.id for a in state.assets.values() if a.country == "Germany"}
    found = await _search(hass, f"{server}/places/Germany", "in")
    assert {n.media_content_id.split("/")[-3] for n in found} == in_germany
    found = await _search(hass, f"{server}/places/France/Paris", "in")
    assert {n.media_content_id.split("/")[-3] for n in found} == {
        a.id for a in state.assets.values() if a.city == "Paris"
    }
