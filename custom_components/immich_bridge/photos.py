"""Set up what photo frames, the latest upload and the asset events share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from .api import ImmichError, ImmichPush
from .const import ALL_PEOPLE, CONF_PEOPLE, LOGGER
from .frames import FrameKind, FrameSource, ImmichBridgeFrameCoordinator, frame_sources
from .live import async_start_push
from .permissions import MEMORIES, PEOPLE, PHOTOS, WATCH
from .watcher import ImmichBridgeAssetWatcher

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry

PEOPLE_PAGE: Final = 1000


@dataclass(kw_only=True)
class ImmichBridgePhotos:
    """The photo frames of an entry, the watcher, and the names of their sources.

    `names` holds the names of the albums and people of the sources, and of the
    people picked in the options (as person sources).
    """

    frames: dict[str, ImmichBridgeFrameCoordinator] = field(default_factory=dict)
    watcher: ImmichBridgeAssetWatcher | None = None
    push: ImmichPush | None = None  # the push connection that wakes the watcher
    names: dict[FrameSource, str] = field(default_factory=dict)

    def title(self, source: FrameSource) -> str:
        """Return what a source is called: an album or person name, or the query."""
        value = source.value or ""
        if source.kind is FrameKind.SEARCH:
            return value
        return self.names.get(source, value)

    def person_name(self, person_id: str) -> str:
        """Return a watched person's name (their id when it is unknown)."""
        return self.title(FrameSource(kind=FrameKind.PERSON, value=person_id))


async def async_setup_photos(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry
) -> ImmichBridgePhotos:
    """Create the frames and the watcher the key may use, and learn source names."""
    runtime = entry.runtime_data
    client, key_info, is_admin = runtime.client, runtime.key_info, runtime.is_admin
    photos = ImmichBridgePhotos()
    sources = frame_sources(entry)
    for source in sources:
        needs = MEMORIES if source.kind is FrameKind.MEMORIES else PHOTOS
        if needs.met(key_info, is_admin=is_admin):
            photos.frames[source.key] = ImmichBridgeFrameCoordinator(
                hass, entry, client, source
            )
    picked = [str(p) for p in entry.options.get(CONF_PEOPLE, [])]
    if WATCH.met(key_info, is_admin=is_admin):
        # Each watched person costs a search a poll; every named person costs one.
        people = dict.fromkeys(
            [
                *(str(s.value) for s in sources if s.kind is FrameKind.PERSON),
                *(p for p in picked if p != ALL_PEOPLE),
            ]
        )
        photos.watcher = ImmichBridgeAssetWatcher(
            hass,
            entry,
            client,
            # Album ids of new assets need album.read; without it they are left out.
            albums_allowed=key_info.has("album.read"),
            people=list(people),
            all_people=ALL_PEOPLE in picked,
        )
        await photos.watcher.async_load()
    photos.names = await _names(entry, sources, picked)
    # The first photos load in the background: the entry is usable at once. Events
    # found before their entity listens are kept for it.
    for frame in photos.frames.values():
        entry.async_create_task(hass, frame.async_refresh(), "immich_bridge frame")
    if photos.watcher is not None:
        entry.async_create_task(
            hass, photos.watcher.async_refresh(), "immich_bridge watcher"
        )
        photos.push = async_start_push(hass, entry, photos.watcher)
    return photos


async def _names(
    entry: ImmichBridgeConfigEntry, sources: list[FrameSource], picked: list[str]
) -> dict[FrameSource, str]:
    """Return the names of the sources' albums and people, and of picked people."""
    runtime = entry.runtime_data
    names: dict[FrameSource, str] = {}
    albums = runtime.server.data.albums if runtime.server.data is not None else None
    for album in (albums or {}).values():
        names[FrameSource(kind=FrameKind.ALBUM, value=album.id)] = album.name
    wanted = {s.value for s in sources if s.kind is FrameKind.PERSON} | {
        p for p in picked if p != ALL_PEOPLE
    }
    if wanted and PEOPLE.met(runtime.key_info, is_admin=runtime.is_admin):
        try:
            page = await runtime.client.people(with_hidden=True, size=PEOPLE_PAGE)
        except ImmichError as err:
            LOGGER.debug("Could not read people names: %s", err)
        else:
            for person in page.people:
                if person.id in wanted and person.name:
                    names[FrameSource(kind=FrameKind.PERSON, value=person.id)] = (
                        person.name
                    )
    return names
