"""Albums shared between accounts, against a real Immich and a real Home Assistant.

User A owns two albums and shares one with B as editor and one as viewer; P is B's
partner (B sees P's photos). Immich Bridge runs with B's key. Every action that takes
an album must work with A's album, by name and by id, and its effect is read back
through the API as A (the owner) sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.immich_bridge.const import CONF_FRAMES, DOMAIN
from tests.common import call_action

from .common import entity_id, setup_entry
from .harness import ImmichApi, RealUser, jpeg, real_entry

BY = ("name", "id")


@dataclass(frozen=True, kw_only=True)
class World:
    """Owner A, member B (whose key the entry uses), B's partner P, two albums."""

    owner: RealUser
    member: RealUser
    partner: RealUser
    editor_album: dict[str, Any]
    viewer_album: dict[str, Any]
    owner_photo: str
    member_photo: str
    partner_photo: str
    entry_id: str

    def ref(self, album: dict[str, Any], by: str) -> str:
        """Name an album by its name or by its id."""
        return str(album["albumName"] if by == "name" else album["id"])


async def _world(
    hass: HomeAssistant,
    immich: ImmichApi,
    *,
    options: dict[str, Any] | None = None,
    extra_member_photos: int = 0,
) -> World:
    """Build the accounts and albums, and set up B's entry."""
    owner = await immich.create_user("Owner A")
    member = await immich.create_user("Member B")
    partner = await immich.create_user("Partner P")
    await immich.add_partner(partner, member)  # B sees P's photos
    owner_photo = await immich.upload(owner.key, filename="owner.jpg")
    member_photo = await immich.upload(member.key, filename="member.jpg")
    partner_photo = await immich.upload(partner.key, filename="partner.jpg")
    for index in range(extra_member_photos):
        await immich.upload(member.key, filename=f"member-{index}.jpg")
    tag = uuid.uuid4().hex[:8]
    editor_album = await immich.create_album(
        owner.key, f"Family {tag}", [owner_photo], users=[(member.id, "editor")]
    )
    viewer_album = await immich.create_album(
        owner.key, f"Look only {tag}", [owner_photo], users=[(member.id, "viewer")]
    )
    entry = await setup_entry(
        hass, real_entry(immich.server, member, options=options or {})
    )
    return World(
        owner=owner,
        member=member,
        partner=partner,
        editor_album=editor_album,
        viewer_album=viewer_album,
        owner_photo=owner_photo,
        member_photo=member_photo,
        partner_photo=partner_photo,
        entry_id=entry.entry_id,
    )


async def _act(
    hass: HomeAssistant, world: World, action: str, **data: Any
) -> dict[str, Any]:
    """Run one of our actions as B and return its response."""
    response = await call_action(hass, world.entry_id, action, **data)
    assert isinstance(response, dict)
    return response


async def _act_none(
    hass: HomeAssistant, world: World, action: str, **data: Any
) -> None:
    """Run one of our actions that returns nothing, as B."""
    await hass.services.async_call(
        DOMAIN, action, {"config_entry_id": world.entry_id, **data}, blocking=True
    )


def _allow(hass: HomeAssistant, folder: Path) -> Path:
    """Let actions read and write a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


async def _owner_sees(
    immich: ImmichApi, world: World, album: dict[str, Any]
) -> set[str]:
    """Return the album's assets as its owner sees them."""
    return await immich.album_asset_ids(world.owner.key, album["id"])


async def _only_one_album(immich: ImmichApi, world: World, name: str) -> None:
    """Neither B nor A sees a second album of that name."""
    for user in (world.member, world.owner):
        assert len(await immich.albums_named(user.key, name)) == 1


# ------------------------------------------------------------------- uploads


@pytest.mark.parametrize("by", BY)
async def test_upload_to_shared_album(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path, by: str
) -> None:
    """An upload to A's album lands in it; no private album of that name appears."""
    world = await _world(hass, immich)
    folder = _allow(hass, tmp_path / "in")
    photo = folder / "new.jpg"
    photo.write_bytes(jpeg("upload to shared"))
    album = world.editor_album

    response = await _act(
        hass, world, "upload", file_path=str(photo), album=world.ref(album, by)
    )

    assert response["album_id"] == album["id"]
    (uploaded,) = response["assets"]
    assert uploaded["status"] == "created"
    assert await _owner_sees(immich, world, album) == {
        world.owner_photo,
        uploaded["asset_id"],
    }
    await _only_one_album(immich, world, album["albumName"])


@pytest.mark.parametrize("by", BY)
async def test_sync_folder_to_shared_album(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path, by: str
) -> None:
    """A folder sync fills A's album; an empty and a garbled file are skipped."""
    world = await _world(hass, immich)
    folder = _allow(hass, tmp_path / "sync")
    (folder / "one.jpg").write_bytes(jpeg("sync one"))
    (folder / "two.jpg").write_bytes(jpeg("sync two"))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "garbled.jpg").write_bytes(b"this is not a photo at all")
    album = world.editor_album
    before = await immich.call("GET", "/assets/statistics", key=world.member.key)

    response = await _act(
        hass,
        world,
        "sync_folder",
        folder=str(folder),
        album=world.ref(album, by),
        delete_after_upload=True,
    )

    assert response["album_id"] == album["id"]
    assert response["uploaded"] == 2
    assert response["failed"] == 0
    assert response["skipped"] == 2
    skipped = {Path(item["path"]).name: item["reason"] for item in response["skips"]}
    assert set(skipped) == {"empty.jpg", "garbled.jpg"}
    assert all(skipped.values())
    # Nothing is lost: the skipped files stay, the uploaded ones were deleted.
    assert sorted(p.name for p in folder.iterdir()) == ["empty.jpg", "garbled.jpg"]
    after = await immich.call("GET", "/assets/statistics", key=world.member.key)
    assert after["total"] == before["total"] + 2
    in_album = await _owner_sees(immich, world, album)
    assert len(in_album) == 3
    assert world.owner_photo in in_album
    await _only_one_album(immich, world, album["albumName"])


async def test_upload_refuses_empty_and_garbled_files(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """An empty or unreadable photo is refused before anything is uploaded."""
    world = await _world(hass, immich)
    folder = _allow(hass, tmp_path / "bad")
    good = folder / "good.jpg"
    good.write_bytes(jpeg("good one"))
    before = await immich.call("GET", "/assets/statistics", key=world.member.key)
    for name, content, key in (
        ("empty.jpg", b"", "empty_media"),
        ("garbled.png", b"plain text", "unreadable_media"),
    ):
        bad = folder / name
        bad.write_bytes(content)
        with pytest.raises(ServiceValidationError) as caught:
            await _act(hass, world, "upload", file_path=[str(good), str(bad)])
        assert caught.value.translation_key == key
        assert caught.value.translation_placeholders is not None
        assert caught.value.translation_placeholders["name"] == name
        assert bad.read_bytes() == content
    after = await immich.call("GET", "/assets/statistics", key=world.member.key)
    assert after == before


# -------------------------------------------------------------------- albums


@pytest.mark.parametrize("by", BY)
async def test_add_and_remove_in_shared_album(
    hass: HomeAssistant, immich: ImmichApi, by: str
) -> None:
    """B adds its own and its partner's photos to A's album and removes one again."""
    world = await _world(hass, immich)
    album = world.editor_album
    ref = world.ref(album, by)

    added = await _act(
        hass,
        world,
        "add_to_album",
        album=ref,
        asset_id=[world.member_photo, world.partner_photo, world.owner_photo],
    )
    assert added["album_id"] == album["id"]
    assert set(added["added"]) == {world.member_photo, world.partner_photo}
    assert added["already_in_album"] == [world.owner_photo]
    assert await _owner_sees(immich, world, album) == {
        world.owner_photo,
        world.member_photo,
        world.partner_photo,
    }

    removed = await _act(
        hass, world, "remove_from_album", album=ref, asset_id=[world.partner_photo]
    )
    assert removed["removed"] == [world.partner_photo]
    assert await _owner_sees(immich, world, album) == {
        world.owner_photo,
        world.member_photo,
    }


@pytest.mark.parametrize("by", BY)
async def test_update_and_share_shared_album(
    hass: HomeAssistant, immich: ImmichApi, by: str
) -> None:
    """An editor describes A's album and shares it on with a third user."""
    world = await _world(hass, immich)
    album = world.editor_album
    friend = await immich.create_user("Friend C")

    updated = await _act(
        hass,
        world,
        "update_album",
        album=world.ref(album, by),
        description="Edited by B",
    )
    assert updated["album_id"] == album["id"]
    seen = await immich.album(world.owner.key, album["id"])
    assert seen["description"] == "Edited by B"
    assert seen["albumName"] == album["albumName"]

    shared = await _act(
        hass,
        world,
        "share_album",
        album=world.ref(album, by),
        users=[friend.email],
        role="viewer",
    )
    assert shared["album_id"] == album["id"]
    assert shared["added"] == [friend.id]
    seen = await immich.album(world.owner.key, album["id"])
    roles = {item["user"]["id"]: item["role"] for item in seen["albumUsers"]}
    assert roles[friend.id] == "viewer"
    assert roles[world.member.id] == "editor"


@pytest.mark.parametrize("by", BY)
async def test_download_shared_album_has_every_members_photos(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path, by: str
) -> None:
    """A download of A's album holds A's, B's and P's photos, byte for byte."""
    world = await _world(hass, immich)
    album = world.editor_album
    await immich.add_to_album(
        world.member.key, album["id"], [world.member_photo, world.partner_photo]
    )
    folder = _allow(hass, tmp_path / "out")

    response = await _act(
        hass, world, "download", album=world.ref(album, by), folder=str(folder)
    )

    assert response["failed"] == []
    written = {Path(path).name for path in response["written"]}
    assert written == {"owner.jpg", "member.jpg", "partner.jpg"}
    for asset_id, name in (
        (world.owner_photo, "owner.jpg"),
        (world.member_photo, "member.jpg"),
        (world.partner_photo, "partner.jpg"),
    ):
        status, original = await immich.raw(
            "GET", f"/assets/{asset_id}/original", key=world.owner.key
        )
        assert status == 200
        assert (folder / name).read_bytes() == original


@pytest.mark.parametrize("by", BY)
async def test_search_in_shared_album(
    hass: HomeAssistant, immich: ImmichApi, by: str
) -> None:
    """A search within A's album answers what the server's search answers for B."""
    world = await _world(hass, immich)
    album = world.editor_album
    await immich.add_to_album(world.member.key, album["id"], [world.member_photo])

    response = await _act(hass, world, "search", album=world.ref(album, by))

    direct = await immich.call(
        "POST",
        "/search/metadata",
        key=world.member.key,
        json_body={"albumIds": [album["id"]]},
    )
    expected = {item["id"] for item in direct["assets"]["items"]}
    assert world.member_photo in expected
    assert {item["asset_id"] for item in response["assets"]} == expected


@pytest.mark.parametrize("by", BY)
async def test_shared_link_to_shared_album(
    hass: HomeAssistant, immich: ImmichApi, by: str
) -> None:
    """B makes a public link to A's album; the response names the album."""
    world = await _world(hass, immich)
    album = world.editor_album

    response = await _act(hass, world, "create_shared_link", album=world.ref(album, by))

    assert response["album_id"] == album["id"]
    assert response["type"] == "album"
    links = await immich.call("GET", "/shared-links", key=world.member.key)
    (link,) = [item for item in links if item["id"] == response["link_id"]]
    assert link["album"]["id"] == album["id"]
    assert response["url"].endswith(f"/share/{link['key']}")


async def test_shared_link_to_own_album_names_it(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """The link response names the album for an own album too (was null)."""
    world = await _world(hass, immich)
    own = await immich.create_album(world.member.key, f"Mine {uuid.uuid4().hex[:6]}")

    response = await _act(hass, world, "create_shared_link", album=own["id"])

    assert response["album_id"] == own["id"]


# ---------------------------------------------------------------- viewer role


@pytest.mark.parametrize("by", BY)
async def test_viewer_may_not_change_the_album(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path, by: str
) -> None:
    """As a viewer, B gets a clear refusal, never "album not found"; nothing changes."""
    world = await _world(hass, immich)
    album = world.viewer_album
    ref = world.ref(album, by)
    folder = _allow(hass, tmp_path / "viewer")
    photo = folder / "try.jpg"
    photo.write_bytes(jpeg("viewer upload"))
    before = await immich.call("GET", "/assets/statistics", key=world.member.key)

    friend = await immich.create_user("Friend C")
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("add_to_album", {"asset_id": [world.member_photo]}),
        ("share_album", {"users": [friend.email]}),
        ("remove_from_album", {"asset_id": [world.owner_photo]}),
        ("update_album", {"description": "not mine"}),
        ("upload", {"file_path": str(photo)}),
        ("sync_folder", {"folder": str(folder)}),
    ]
    for action, data in attempts:
        with pytest.raises(HomeAssistantError) as caught:
            await _act(hass, world, action, album=ref, **data)
        assert caught.value.translation_key == "album_read_only", action
        assert caught.value.translation_placeholders == {"album": album["albumName"]}, (
            action
        )

    assert await _owner_sees(immich, world, album) == {world.owner_photo}
    seen = await immich.album(world.owner.key, album["id"])
    assert seen["description"] == ""
    assert friend.id not in {item["user"]["id"] for item in seen["albumUsers"]}
    after = await immich.call("GET", "/assets/statistics", key=world.member.key)
    assert after == before
    assert photo.exists()
    await _only_one_album(immich, world, album["albumName"])

    # Reading is fine: a viewer downloads the album.
    out = _allow(hass, tmp_path / "viewer-out")
    response = await _act(hass, world, "download", album=ref, folder=str(out))
    assert {Path(path).name for path in response["written"]} == {"owner.jpg"}


async def test_only_the_owner_deletes_a_shared_album(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """An editor may not delete A's album: a clear refusal, and the album stays."""
    world = await _world(hass, immich)
    album = world.editor_album
    for by in BY:
        with pytest.raises(ServiceValidationError) as caught:
            await _act_none(hass, world, "delete_album", album=world.ref(album, by))
        assert caught.value.translation_key == "album_not_owner"
    assert (await immich.album(world.owner.key, album["id"]))["id"] == album["id"]
    # B's own album of the same name is B's to delete.
    own = await immich.create_album(world.member.key, album["albumName"])
    await _act_none(hass, world, "delete_album", album=album["albumName"])
    status, _ = await immich.raw("GET", f"/albums/{own['id']}", key=world.member.key)
    assert status in (400, 404)
    await _only_one_album(immich, world, album["albumName"])


# -------------------------------------------------------------- same names


async def test_same_name_prefers_own_album_else_ambiguous(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """B's own album wins over a shared one of the same name; two shared ones clash."""
    world = await _world(hass, immich)
    name = world.editor_album["albumName"]
    own = await immich.create_album(world.member.key, name)
    folder = _allow(hass, tmp_path / "same")
    photo = folder / "same.jpg"
    photo.write_bytes(jpeg("same name"))

    response = await _act(hass, world, "upload", file_path=str(photo), album=name)
    assert response["album_id"] == own["id"]
    assert len(await immich.albums_named(world.member.key, name)) == 2

    other = await immich.create_user("Other D")
    clash = f"Clash {uuid.uuid4().hex[:6]}"
    for user in (world.owner, other):
        await immich.create_album(user.key, clash, users=[(world.member.id, "editor")])
    with pytest.raises(ServiceValidationError) as caught:
        await _act(
            hass, world, "add_to_album", album=clash, asset_id=world.member_photo
        )
    assert caught.value.translation_key == "album_ambiguous"


# ------------------------------------------------------------------ slideshow


async def test_slideshow_of_shared_album_shows_every_members_photos(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A photo frame of A's album shows A's photo too, not only B's own."""
    owner = await immich.create_user("Owner A")
    member = await immich.create_user("Member B")
    owner_photos = {
        await immich.upload(owner.key, filename=f"owner-{i}.jpg") for i in range(2)
    }
    member_photo = await immich.upload(member.key, filename="member.jpg")
    album = await immich.create_album(
        owner.key,
        f"Frame {uuid.uuid4().hex[:6]}",
        sorted(owner_photos),
        users=[(member.id, "editor")],
    )
    await immich.add_to_album(member.key, album["id"], [member_photo])
    entry = await setup_entry(
        hass,
        real_entry(
            immich.server, member, options={CONF_FRAMES: [f"album:{album['id']}"]}
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    frame = entity_id(hass, entry, "image", f"frame_album_{album['id']}")
    assert frame is not None

    shown: list[str] = []
    for _ in range(3):
        state = hass.states.get(frame)
        assert state is not None
        shown.append(state.attributes["asset_id"])
        await hass.services.async_call(
            DOMAIN, "next_image", {"entity_id": frame}, blocking=True
        )
    # Three draws without repeats cover the whole album of three.
    assert set(shown) == {*owner_photos, member_photo}
