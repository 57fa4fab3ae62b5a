"""The media source's timeline and places, and the slideshow sources, on a real Immich.

The real server reverse-geocodes offline near five cities (Berlin, Paris, London, New
York City, Tokyo; ../shared/immich/server/README.md), so photos with GPS in their EXIF
get a city and a country as they would on a full server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
import io
from pathlib import Path
import shutil
import subprocess
from typing import Any

from homeassistant.components import media_source
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import (
    CONF_FRAME_VIDEOS,
    CONF_FRAMES,
    DOMAIN,
)
from tests.key_recipes import RECIPES

from .common import entity_id, setup_entry
from .harness import ImmichApi, RealUser, jpeg, real_entry

ROOT = f"media-source://{DOMAIN}"
BERLIN = (52.52, 13.405)
PARIS = (48.8566, 2.3522)
TOKYO = (35.68, 139.69)

_colours = iter(range(1, 10_000))
# The key the README proposes for slideshows, search and the media browser.
MEDIA_KEY = next(r for r in RECIPES if r.use.startswith("slideshows")).permissions


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Return a coordinate as EXIF degrees, minutes and seconds."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = ((value - degrees) * 60 - minutes) * 60
    return (
        IFDRational(degrees, 1),
        IFDRational(minutes, 1),
        IFDRational(round(seconds * 100), 100),
    )


def gps_jpeg(where: tuple[float, float], local: str) -> bytes:
    """Return a new JPEG taken at `where` at the local time `local` (EXIF format)."""
    index = next(_colours)
    image = Image.new("RGB", (64, 48), (index % 256, index // 256 % 256, 90))
    exif = Image.Exif()
    exif[0x0132] = local  # DateTime
    exif.get_ifd(0x8769)[0x9003] = local  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    latitude, longitude = where
    gps[1], gps[2] = ("N" if latitude >= 0 else "S"), _dms(latitude)
    gps[3], gps[4] = ("E" if longitude >= 0 else "W"), _dms(longitude)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def mp4(folder: Path) -> bytes:
    """Return a new one-second MP4 made by ffmpeg (the server needs it as well)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    index = next(_colours)
    out = folder / f"clip-{index}.mp4"
    subprocess.run(  # noqa: S603  # fixed arguments
        [
            ffmpeg,
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"color=c=0x{index % 0xFFFFFF:06x}:s=64x48:d=1:r=5",
            "-pix_fmt",
            "yuv420p",
            str(out),
        ],
        capture_output=True,
        check=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return out.read_bytes()


async def _browse(
    hass: HomeAssistant, path: str = ""
) -> media_source.BrowseMediaSource:
    """Browse one identifier of our media source."""
    node = await media_source.async_browse_media(
        hass, f"{ROOT}/{path}" if path else ROOT
    )
    assert isinstance(node, media_source.BrowseMediaSource)
    return node


def _titles(node: media_source.BrowseMediaSource) -> list[str]:
    """Return the titles of a node's children."""
    return [child.title for child in node.children or []]


def _ids(node: media_source.BrowseMediaSource) -> set[str]:
    """Return the asset ids of a folder's photos and videos."""
    return {child.media_content_id.split("/")[-3] for child in node.children or []}


async def _show_partner_in_timeline(
    immich: ImmichApi, owner: RealUser, viewer: RealUser
) -> None:
    """Share owner's photos with viewer, shown in viewer's timeline."""
    await immich.add_partner(owner, viewer)
    await immich.call(
        "PUT",
        f"/partners/{owner.id}",
        token=viewer.token,
        json_body={"inTimeline": True},
    )


async def _travels(immich: ImmichApi) -> tuple[RealUser, dict[str, str]]:
    """Make a user with photos of Berlin, Paris, nowhere and a partner's of Tokyo.

    Return the user and the asset ids by name. One was taken at 01:00 on 1 May 2019
    in Berlin: 30 April, 23:00 UTC.
    """
    user = await immich.create_user("Traveller")
    partner = await immich.create_user("Partner")
    await _show_partner_in_timeline(immich, partner, user)
    ids = {
        "may_first": await immich.upload(
            user.key, gps_jpeg(BERLIN, "2019:05:01 01:00:00"), "may_first.jpg"
        ),
        "may_later": await immich.upload(
            user.key, gps_jpeg(BERLIN, "2019:05:20 12:00:00"), "may_later.jpg"
        ),
        "april": await immich.upload(
            user.key, gps_jpeg(PARIS, "2019:04:10 12:00:00"), "april.jpg"
        ),
        "nowhere": await immich.upload(
            user.key, jpeg(), "nowhere.jpg", taken=datetime(2020, 2, 2, 12, tzinfo=UTC)
        ),
        "tokyo": await immich.upload(
            partner.key, gps_jpeg(TOKYO, "2021:07:14 12:00:00"), "tokyo.jpg"
        ),
    }
    await immich.wait_idle(within=120)
    berlin = await immich.asset(user.key, ids["may_first"])
    assert berlin["exifInfo"]["city"] == "Berlin"
    assert berlin["localDateTime"].startswith("2019-05-01T01:00")
    assert berlin["fileCreatedAt"].startswith("2019-04-30T23:00")
    return user, ids


async def test_timeline(hass: HomeAssistant, immich: ImmichApi) -> None:
    """Years, months and a month's photos match the server's own timeline.

    The photo taken early on 1 May in Berlin is in May, as in Immich's timeline
    (a search of May in UTC misses it); a partner's photo shown in the timeline counts.
    """
    user, ids = await _travels(immich)
    assert await async_setup_component(hass, "media_source", {})
    key = await immich.create_key(user, MEDIA_KEY)  # enough for the timeline
    entry = await setup_entry(hass, real_entry(immich.server, user, key=key))
    server = str(entry.unique_id)
    root = await _browse(hass)
    assert root.title == entry.title  # the only server: its folders at the root
    assert {"Timeline", "Places"} <= set(_titles(root))

    timeline: dict[str, Any] = {"visibility": "timeline", "withPartners": "true"}
    buckets = await immich.call(
        "GET", "/timeline/buckets", key=user.key, params=timeline
    )
    assert [b["timeBucket"] for b in buckets] == [
        "2021-07-01",
        "2020-02-01",
        "2019-05-01",
        "2019-04-01",
    ]
    assert _titles(await _browse(hass, f"{server}/timeline")) == [
        "2021",
        "2020",
        "2019",
    ]
    assert _titles(await _browse(hass, f"{server}/timeline/2019")) == ["May", "April"]
    may = await _browse(hass, f"{server}/timeline/2019-05")
    assert may.title == "May 2019"
    bucket = await immich.call(
        "GET",
        "/timeline/bucket",
        key=user.key,
        params={**timeline, "timeBucket": "2019-05-01"},
    )
    assert _ids(may) == set(bucket["id"]) == {ids["may_first"], ids["may_later"]}
    assert _ids(await _browse(hass, f"{server}/timeline/2019-04")) == {ids["april"]}
    assert _ids(await _browse(hass, f"{server}/timeline/2020-02")) == {ids["nowhere"]}
    assert _ids(await _browse(hass, f"{server}/timeline/2021-07")) == {ids["tokyo"]}


async def test_places(
    hass: HomeAssistant, immich: ImmichApi, hass_client: ClientSessionGenerator
) -> None:
    """Countries, cities and a city's photos match the server's own suggestions."""
    user, ids = await _travels(immich)
    assert await async_setup_component(hass, "media_source", {})
    key = await immich.create_key(user, MEDIA_KEY)  # enough for places
    entry = await setup_entry(hass, real_entry(immich.server, user, key=key))
    server = str(entry.unique_id)
    countries = await immich.call(
        "GET", "/search/suggestions", key=user.key, params={"type": "country"}
    )
    assert countries == ["France", "Germany", "Japan"]
    places = await _browse(hass, f"{server}/places")
    assert _titles(places) == countries
    assert all(child.thumbnail for child in places.children)
    cities = await _browse(hass, f"{server}/places/Germany")
    assert _titles(cities) == ["Berlin"]
    berlin = await _browse(hass, f"{server}/places/Germany/Berlin")
    assert _ids(berlin) == {ids["may_first"], ids["may_later"]}
    assert _ids(await _browse(hass, f"{server}/places/Japan/Tokyo")) == {ids["tokyo"]}

    # A city's picture is one of its photos, fetched through the proxy.
    client = await hass_client()
    picture = cities.children[0].thumbnail
    assert picture is not None
    cover = picture.split("/")[-2]
    assert cover in {ids["may_first"], ids["may_later"]}
    response = await client.get(picture)
    assert response.status == HTTPStatus.OK
    status, direct = await immich.raw(
        "GET", f"/assets/{cover}/thumbnail", key=user.key, params={"size": "thumbnail"}
    )
    assert status == HTTPStatus.OK
    assert await response.read() == direct


async def _next_images(hass: HomeAssistant, entity: str, times: int) -> list[str]:
    """Show the next photo `times` times; return all shown, the first included."""
    shown = [hass.states.get(entity).attributes["asset_id"]]
    for _ in range(times):
        await hass.services.async_call(
            DOMAIN, "next_image", {ATTR_ENTITY_ID: entity}, blocking=True
        )
        shown.append(hass.states.get(entity).attributes["asset_id"])
    return shown


async def test_library_slideshow_photos_only_by_default(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """The whole library's slideshow draws the user's photos, never a video."""
    user = await immich.create_user("Library")
    photos = {await immich.upload(user.key, filename=f"p{i}.jpg") for i in range(2)}
    await immich.upload(user.key, await _video(hass, tmp_path), "clip.mp4")
    await immich.wait_idle(within=120)
    key = await immich.create_key(user, MEDIA_KEY)
    entry = await setup_entry(
        hass,
        real_entry(immich.server, user, key=key, options={CONF_FRAMES: ["library"]}),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    frame = entity_id(hass, entry, "image", "frame_library")
    assert frame == "image.immich_library_library_slideshow"
    shown = await _next_images(hass, frame, 5)
    assert set(shown) == photos


async def test_video_in_slideshow_shows_its_preview(
    hass: HomeAssistant,
    immich: ImmichApi,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
) -> None:
    """With videos on, a video is drawn and its picture is the server's preview."""
    user = await immich.create_user("Videos")
    photo = await immich.upload(user.key, filename="photo.jpg")
    video = await immich.upload(user.key, await _video(hass, tmp_path), "clip.mp4")
    await immich.wait_idle(within=120)
    assert (await immich.asset(user.key, video))["type"] == "VIDEO"
    options = {CONF_FRAMES: ["library"], CONF_FRAME_VIDEOS: True}
    entry = await setup_entry(hass, real_entry(immich.server, user, options=options))
    await hass.async_block_till_done(wait_background_tasks=True)
    frame = entity_id(hass, entry, "image", "frame_library")
    assert frame is not None
    shown = await _next_images(hass, frame, 4)
    assert set(shown) == {photo, video}
    if shown[-1] != video:
        await _next_images(hass, frame, 1)
    state = hass.states.get(frame)
    assert state.attributes["asset_id"] == video

    client = await hass_client()
    response = await client.get(state.attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    body = await response.read()
    status, preview = await immich.raw(
        "GET", f"/assets/{video}/thumbnail", key=user.key, params={"size": "preview"}
    )
    assert status == HTTPStatus.OK
    assert body == preview
    assert response.content_type in {"image/jpeg", "image/webp"}


async def _video(hass: HomeAssistant, folder: Path) -> bytes:
    """Make a short MP4 in a worker thread."""
    return await hass.async_add_executor_job(mp4, folder)
