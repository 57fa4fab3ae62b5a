"""People to watch on a real Immich: faces tagged by hand stand in for recognition."""

from __future__ import annotations

from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest

from custom_components.immich_bridge.const import ALL_PEOPLE, CONF_PEOPLE

from .common import entity_id, setup_entry
from .harness import ImmichApi, jpeg, real_entry


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_people_events_when_faces_are_found_later(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A photo uploaded first, the face found after: each watched event fires once."""
    user = await immich.create_user("Family")
    grandma = await immich.call(
        "POST", "/people", key=user.key, json_body={"name": "Grandma"}
    )
    old = await immich.upload(user.key, jpeg("old"))
    await immich.tag_face(user.key, old, grandma["id"])  # before: announced by nobody
    entry = await setup_entry(
        hass,
        real_entry(
            immich.server, user, options={CONF_PEOPLE: [ALL_PEOPLE, grandma["id"]]}
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    anyone = entity_id(hass, entry, "event", "any_person")
    of_grandma = entity_id(hass, entry, "event", f"person_asset_{grandma['id']}")
    last = entity_id(hass, entry, "sensor", f"last_photo_{grandma['id']}")
    assert anyone is not None
    assert of_grandma is not None
    assert last is not None
    fired: dict[str, list[dict[str, Any]]] = {anyone: [], of_grandma: []}

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if (
            event.data["entity_id"] in fired
            and state
            and state.attributes.get("asset_id")
        ):
            fired[event.data["entity_id"]].append(dict(state.attributes))

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    watcher = entry.runtime_data.photos.watcher
    photo = await immich.upload(user.key, jpeg("new"))
    await watcher.async_refresh()
    await hass.async_block_till_done()
    assert fired == {anyone: [], of_grandma: []}  # no face yet

    await immich.tag_face(user.key, photo, grandma["id"])
    for _ in range(2):  # the second look repeats nothing
        await watcher.async_refresh()
        await hass.async_block_till_done()
    unsubscribe()
    assert [(f["asset_id"], f["person_name"]) for f in fired[anyone]] == [
        (photo, "Grandma")
    ]
    assert [f["asset_id"] for f in fired[of_grandma]] == [photo]
    asset = await immich.call("GET", f"/assets/{photo}", key=user.key)
    state = hass.states.get(last)
    assert state is not None
    uploaded = dt_util.parse_datetime(asset["createdAt"])
    assert uploaded is not None
    assert state.state == uploaded.replace(microsecond=0).isoformat()
