"""Hypothesis strategies that build action payloads: mostly wrong, some right."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from custom_components.immich_bridge.action_schemas import JOB_COMMANDS
from custom_components.immich_bridge.api import QUEUE_NAMES
from custom_components.immich_bridge.services import ACTIONS

UNKNOWN_ID = "0badc0de-0000-4000-8000-000000000000"


@dataclass(frozen=True, kw_only=True)
class FuzzWorld:
    """What exists on the fake server and on disk for the generated payloads."""

    entry_id: str
    folder: Path
    album_id: str
    album_name: str
    asset_ids: tuple[str, ...]
    tag_value: str
    link_id: str
    library_name: str
    person_name: str
    user_email: str


JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
TEXT = st.one_of(
    st.sampled_from(["Garden", "Front door", "Holidays 2025"]),
    st.text(max_size=24),
)


def _maybe_list(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Give one value or a short list of them."""
    return st.one_of(values, st.lists(values, max_size=3))


def _valid(world: FuzzWorld) -> dict[str, st.SearchStrategy[Any]]:
    """Return, per field name, values that are (mostly) acceptable."""
    folder = world.folder
    asset = st.sampled_from([*world.asset_ids, UNKNOWN_ID])
    when = st.sampled_from(
        ["2001-01-01 00:00:00", "2099-06-01 12:00:00", "2024-02-29T10:00:00+02:00"]
    )
    return {
        "file_path": _maybe_list(
            st.sampled_from(
                [
                    str(folder / "src" / "a.jpg"),
                    str(folder / "src" / "notes.txt"),
                    str(folder / "missing.jpg"),
                    str(folder / ".." / "outside.jpg"),
                    "/etc/hostname",
                    "relative.jpg",
                ]
            )
        ),
        "camera_entity_id": _maybe_list(
            st.sampled_from(["camera.front_door", "camera.broken", "camera.nowhere"])
        ),
        "image_entity_id": _maybe_list(
            st.sampled_from(["image.doorbell", "image.empty", "light.kitchen"])
        ),
        "media": _maybe_list(
            st.sampled_from(
                [
                    "media-source://media_source/local/src/a.jpg",
                    "media-source://media_source/local/none.jpg",
                    "media-source://camera/camera.front_door",
                    {"media_content_id": "media-source://media_source/local/src/a.jpg"},
                    "media-source://nowhere/x",
                ]
            )
        ),
        "album": st.one_of(
            st.sampled_from(
                [world.album_name, world.album_id, UNKNOWN_ID, "Fuzz new album"]
            ),
            TEXT,
        ),
        "asset_id": _maybe_list(asset),
        "tags": _maybe_list(
            st.one_of(st.sampled_from([world.tag_value, "Fuzz/Tag", "a//b"]), TEXT)
        ),
        "folder": st.sampled_from(
            [
                str(folder / "src"),
                str(folder / "out"),
                str(folder / "missing"),
                str(folder / "src" / "a.jpg"),
                "/",
                "",
            ]
        ),
        "include": _maybe_list(st.sampled_from(["*.jpg", "src/*", "*"])),
        "exclude": _maybe_list(st.sampled_from(["*.txt", "skip/*"])),
        "size": st.sampled_from(["original", "preview", "thumbnail", "fullsize", "x"]),
        "newest": st.integers(min_value=-1, max_value=20000),
        "limit": st.integers(min_value=-1, max_value=2000),
        "name": TEXT,
        "description": TEXT,
        "users": _maybe_list(
            st.sampled_from([world.user_email, "nobody@example.com", UNKNOWN_ID])
        ),
        "role": st.sampled_from(["viewer", "editor", "owner"]),
        "expires_in": st.one_of(
            st.sampled_from([{"days": 1}, "01:00:00", 3600, {"days": 10**6}, -5]),
            st.integers(),
        ),
        "expires_at": when,
        "taken_after": when,
        "taken_before": when,
        "password": TEXT,
        "link_id": st.sampled_from([world.link_id, UNKNOWN_ID, "not-an-id"]),
        "queue": st.sampled_from([*QUEUE_NAMES[:6], "nope", "thumbnail generation"]),
        "command": st.sampled_from([*JOB_COMMANDS, "clear-failed", "stop"]),
        "library": st.sampled_from([world.library_name, "Nope"]),
        "query": TEXT,
        "city": st.sampled_from(["Lisbon", "Nowhere"]),
        "country": st.sampled_from(["Portugal", "Atlantis"]),
        "person": _maybe_list(st.sampled_from([world.person_name, "Nobody"])),
        "type": st.sampled_from(["image", "video", "IMAGE", "sound"]),
        "visibility": st.sampled_from(["timeline", "archive", "hidden", "public"]),
        "rating": st.integers(min_value=-1, max_value=6),
        "date_time": when,
        "latitude": st.one_of(st.floats(min_value=-91, max_value=91), JUNK),
        "longitude": st.one_of(st.floats(min_value=-181, max_value=181), JUNK),
        "older_than": st.sampled_from([{"days": 7}, "01:00:00", 0, -5, {"days": 1}]),
        "max_assets": st.integers(min_value=0, max_value=1001),
        "dry_run": st.booleans(),
        # Issue 17: URLs that never leave the machine (port 9 refuses at once).
        "url": _maybe_list(
            st.sampled_from(
                [
                    "/api/camera_proxy/camera.front_door",
                    "/api/image_proxy/image.empty",
                    "/api/states",
                    "http://127.0.0.1:9/photo.jpg",
                    "ftp://example.com/a.jpg",
                    "relative.jpg",
                ]
            )
        ),
        "max_size": st.integers(min_value=-1, max_value=5000),
        "order": st.sampled_from(["newest", "oldest", "random", "best"]),
        "page": st.integers(min_value=-1, max_value=3),
        "concurrency": st.integers(min_value=-1, max_value=20),
    }


def payloads(world: FuzzWorld) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Build (action, data) pairs for every action.

    Per action there is a plain variant (plausible values, some of them still
    wrong) and a junk variant (any field may be of any type, and an unknown field
    may appear); a few payloads name an unknown entry.
    """
    valid = _valid(world)
    plain: list[st.SearchStrategy[tuple[str, dict[str, Any]]]] = []
    junky: list[st.SearchStrategy[tuple[str, dict[str, Any]]]] = []
    for name, action in sorted(ACTIONS.items()):
        fields = [
            str(key) for key in action.schema.schema if str(key) != "config_entry_id"
        ]
        good = {field: valid.get(field, st.booleans()) for field in fields}
        bad = {field: st.one_of(value, JUNK) for field, value in good.items()}
        bad["bogus"] = JUNK
        entry = {"config_entry_id": st.just(world.entry_id)}
        plain.append(
            st.tuples(st.just(name), st.fixed_dictionaries(entry, optional=good))
        )
        junky.append(
            st.tuples(st.just(name), st.fixed_dictionaries(entry, optional=bad))
        )
    elsewhere = st.tuples(
        st.sampled_from(sorted(ACTIONS)),
        st.fixed_dictionaries(
            {"config_entry_id": st.one_of(st.sampled_from(["nope", ""]), JUNK)}
        ),
    )
    return st.one_of(*plain, elsewhere, *junky)
