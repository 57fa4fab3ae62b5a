"""The blueprints against a real Immich: snapshot → album, person → phone, memories."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
import uuid

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import (
    ALL_PEOPLE,
    CONF_FRAMES,
    CONF_PEOPLE,
    DOMAIN,
)
from tests.common import use_blueprint
from tests.phone import phone
from tests.test_blueprint import setup_doorbell_automation

from .common import entity_id, setup_entry
from .harness import ImmichApi, jpeg, real_entry, sha1_hex


async def test_camera_snapshot_lands_in_a_shared_album(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """The doorbell's snapshot goes into the album another user shares, tagged.

    The album is found by name among the albums shared with the user (no private
    namesake is made), and the bytes on the server are the camera's.
    """
    owner = await immich.create_user("Family")
    user = await immich.create_user("Door")
    name = f"Doorbell {uuid.uuid4().hex[:6]}"
    album = await immich.create_album(owner.key, name, users=[(user.id, "editor")])
    entry = await setup_entry(hass, real_entry(immich.server, user))

    picture = jpeg("doorbell", width=96, height=64)
    tag = f"Home/Door {uuid.uuid4().hex[:6]}"
    await setup_doorbell_automation(
        hass, tmp_path, picture, immich=entry.entry_id, album=name, tags=[tag]
    )
    hass.states.async_set("binary_sensor.doorbell", "on")
    await hass.async_block_till_done(wait_background_tasks=True)

    [asset_id] = await immich.album_asset_ids(owner.key, album["id"])
    asset = await immich.asset(user.key, asset_id)
    assert asset["ownerId"] == user.id
    original = await immich.call("GET", f"/assets/{asset_id}/original", key=user.key)
    assert sha1_hex(original) == sha1_hex(picture)
    assert len(await immich.albums_named(user.key, name)) == 1
    await immich.wait_idle(("sidecar", "metadataExtraction"))
    tagged = await immich.asset(user.key, asset_id)
    assert {t["value"] for t in tagged.get("tags", [])} == {tag}


async def test_new_photo_of_person_reaches_the_phone(
    hass: HomeAssistant,
    immich: ImmichApi,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A face found on a new photo: the phone gets the photo through a signed link.

    The link opens without a Home Assistant login and serves Immich's own preview.
    """
    user = await immich.create_user("Family")
    grandma = await immich.call(
        "POST", "/people", key=user.key, json_body={"name": "Grandma"}
    )
    stranger = await immich.call(
        "POST", "/people", key=user.key, json_body={"name": "Stranger"}
    )
    entry = await setup_entry(
        hass, real_entry(immich.server, user, options={CONF_PEOPLE: [ALL_PEOPLE]})
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    anyone = entity_id(hass, entry, "event", "any_person")
    async with phone(hass) as device:
        await use_blueprint(
            hass,
            "new_photo_of_person_notify.yaml",
            {
                "person_events": [anyone],
                "people": ["Grandma"],
                "phone": device.device_id,
            },
        )
        photo = await immich.upload(user.key, jpeg("grandma"), "grandma.jpg")
        other = await immich.upload(user.key, jpeg("stranger"), "stranger.jpg")
        await immich.tag_face(user.key, photo, grandma["id"])
        await immich.tag_face(user.key, other, stranger["id"])
        await entry.runtime_data.photos.watcher.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)

        assert len(device.received) == 1
        sent = device.received[0]
        assert sent["title"] == "New photo of Grandma"
        assert sent["message"] == "grandma.jpg"
        assert photo in sent["data"]["url"]
        assert user.key not in str(sent)
        client = await hass_client_no_auth()
        answer = await client.get(sent["data"]["image"])
        assert answer.status == HTTPStatus.OK
        preview = await immich.call(
            "GET",
            f"/assets/{photo}/thumbnail",
            key=user.key,
            params={"size": "preview"},
        )
        assert await answer.read() == preview


async def test_memories_on_frame_then_its_album(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """The memories blueprint's actions on a real Immich; show_on_frame by name."""
    await hass.config.async_set_time_zone("UTC")  # Immich's memory days are UTC days
    user = await immich.create_user("Frame owner")
    own = await immich.upload(user.key, jpeg("album"))
    album = await immich.create_album(
        user.key, f"Kitchen {uuid.uuid4().hex[:6]}", [own]
    )
    then = await immich.upload(user.key, jpeg("then"))
    await immich.create_memory(user.key, [then], year=2018)
    grandma = await immich.call(
        "POST", "/people", key=user.key, json_body={"name": "Grandma"}
    )
    of_grandma = await immich.upload(user.key, jpeg("grandma"))
    await immich.tag_face(user.key, of_grandma, grandma["id"])
    entry = await setup_entry(
        hass,
        real_entry(
            immich.server, user, options={CONF_FRAMES: [f"album:{album['id']}"]}
        ),
    )
    frame = entity_id(hass, entry, "image", f"frame_album_{album['id']}")
    calendar = entity_id(hass, entry, "calendar", "memories")
    assert frame is not None
    assert calendar is not None
    assert hass.states.get(calendar).state == "on"
    assert hass.states.get(frame).attributes["asset_id"] == own
    await use_blueprint(
        hass,
        "memories_on_frame.yaml",
        {"frames": [frame], "memories_calendar": calendar},
        id="memories",
        alias="Memories",
    )
    assert hass.states.get("automation.memories") is not None
    await hass.services.async_call(
        "automation",
        "trigger",
        {"entity_id": "automation.memories", "skip_condition": False},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    attributes = hass.states.get(frame).attributes
    assert attributes["asset_id"] == then
    assert attributes["showing"] == "memories"

    await hass.services.async_call(
        DOMAIN,
        "show_on_frame",
        {"entity_id": frame, "source": "person:grandma", "duration": {"minutes": 5}},
        blocking=True,
    )
    attributes = hass.states.get(frame).attributes
    assert attributes["asset_id"] == of_grandma
    assert attributes["showing"] == f"person:{grandma['id']}"
    await hass.services.async_call(
        DOMAIN,
        "show_on_frame",
        {"entity_id": frame, "source": f"album:{album['albumName']}"},
        blocking=True,
    )
    attributes = hass.states.get(frame).attributes
    assert attributes["asset_id"] == own
    assert attributes["showing"] == f"album:{album['id']}"
