"""Handlers: search and the timeline."""

from __future__ import annotations

from typing import Any

from tests.fake_immich import dto
from tests.fake_immich.state import Asset, iso

from .base import Call, ImmichHTTPError, Reply, handles, parse_time

SEARCH_DEFAULT_SIZE = 250

# --- search ---------------------------------------------------------------------------


def _filtered(call: Call, body: dict[str, Any]) -> list[Asset]:  # noqa: PLR0912
    """Apply the common search filters to the assets the caller may see."""
    state, me = call.state, call.user_id
    owners = state.search_owner_ids(me)  # never assets seen through a shared album
    items = [a for a in state.assets.values() if a.owner_id in owners]
    if album_ids := body.get("albumIds"):
        # Immich checks no album access here: the owner filter above is enough.
        albums = state.albums
        wanted = [albums[x].asset_ids if x in albums else [] for x in album_ids]
        items = [a for a in items if all(a.id in ids for ids in wanted)]
    if person_ids := body.get("personIds"):
        items = [a for a in items if set(person_ids) <= set(a.person_ids)]
    if tag_ids := body.get("tagIds"):
        tagged = [
            state.tags[t].asset_ids if t in state.tags else set() for t in tag_ids
        ]
        items = [a for a in items if all(a.id in ids for ids in tagged)]
    if after := parse_time(body.get("takenAfter")):
        items = [a for a in items if a.taken_at >= after]
    if before := parse_time(body.get("takenBefore")):
        items = [a for a in items if a.taken_at <= before]
    for key, attribute in (("created", "created_at"), ("updated", "updated_at")):
        if after := parse_time(body.get(f"{key}After")):
            items = [a for a in items if getattr(a, attribute) >= after]
        if before := parse_time(body.get(f"{key}Before")):
            items = [a for a in items if getattr(a, attribute) <= before]
    if "isFavorite" in body:
        items = [a for a in items if a.is_favorite == body["isFavorite"]]
    if "rating" in body:  # null: unrated only
        items = [a for a in items if (a.rating or None) == body["rating"]]
    if body.get("type"):
        items = [a for a in items if a.asset_type == body["type"]]
    for key, attribute in (("city", "city"), ("country", "country")):
        if body.get(key):
            items = [a for a in items if getattr(a, attribute) == body[key]]
    visibility = body.get("visibility") or "timeline"
    items = [a for a in items if a.visibility == visibility]
    if not body.get("withDeleted"):
        items = [a for a in items if not a.is_trashed]
    if body.get("originalFileName"):
        needle = body["originalFileName"].lower()
        items = [a for a in items if needle in a.filename.lower()]
    if body.get("checksum"):
        items = [a for a in items if a.checksum == body["checksum"]]
    if body.get("id"):
        items = [a for a in items if a.id == body["id"]]
    if body.get("libraryId"):
        items = [a for a in items if a.library_id == body["libraryId"]]
    return items


def _page(call: Call, items: list[Asset], body: dict[str, Any]) -> Reply:
    """Cut one page of a ``SearchResponseDto``."""
    page = int(body.get("page") or 1)
    size = int(body.get("size") or SEARCH_DEFAULT_SIZE)
    chunk = items[(page - 1) * size : page * size]
    has_more = page * size < len(items)
    return Reply(
        {
            "assets": {
                "total": len(chunk),
                "count": len(chunk),
                "items": [dto.asset(call.state, a) for a in chunk],
                "facets": [],
                "nextPage": str(page + 1) if has_more else None,
            },
            "albums": {"total": 0, "count": 0, "items": [], "facets": []},
        }
    )


@handles("searchAssets")
def search_metadata(call: Call) -> Reply:
    """Filter assets by metadata, newest first unless ``order: asc``."""
    body = call.body
    items = _filtered(call, body)
    if body.get("description"):
        needle = body["description"].lower()
        items = [a for a in items if needle in a.description.lower()]
    items.sort(key=lambda a: a.taken_at, reverse=body.get("order", "desc") != "asc")
    return _page(call, items, body)


@handles("searchAssetStatistics")
def search_statistics(call: Call) -> Reply:
    """Count every asset a metadata search would find (all its pages)."""
    body = call.body
    items = _filtered(call, body)
    if body.get("description"):
        needle = body["description"].lower()
        items = [a for a in items if needle in a.description.lower()]
    return Reply({"total": len(items)})


@handles("searchSmart")
def search_smart(call: Call) -> Reply:
    """Rank assets by how many query words their name/description/place/tags contain."""
    body = call.body
    words = [w for w in (body.get("query") or "").lower().split() if w]
    scored = []
    for item in _filtered(call, body):
        text = " ".join(
            [
                item.filename,
                item.description,
                item.city or "",
                item.country or "",
                *(t.value for t in call.state.tags.values() if item.id in t.asset_ids),
                *(
                    call.state.people[p].name
                    for p in item.person_ids
                    if p in call.state.people
                ),
            ]
        ).lower()
        score = sum(1 for word in words if word in text)
        if score or not words:
            scored.append((score, item))
    scored.sort(key=lambda pair: (pair[0], pair[1].taken_at), reverse=True)
    return _page(call, [item for _, item in scored], body)


@handles("getSearchSuggestions")
def search_suggestions(call: Call) -> Reply:
    """List a place field's distinct values in the caller's (and partners') timeline.

    As Immich: not archived, hidden or trashed assets; ``country`` narrows cities.
    """
    field_of = {"country": "country", "city": "city"}
    kind = call.query["type"]
    if kind not in field_of:
        return Reply(
            []
        )  # camera and state suggestions: the stand-in keeps no such data
    owners = call.state.search_owner_ids(call.user_id)
    values = {
        getattr(a, field_of[kind])
        for a in call.state.assets.values()
        if a.owner_id in owners
        and a.visibility == "timeline"
        and not a.is_trashed
        and (
            kind != "city"
            or not call.query.get("country")
            or a.country == call.query["country"]
        )
    }
    return Reply(sorted(v for v in values if v))


@handles("getAssetsByCity")
def assets_by_city(call: Call) -> Reply:
    """Return one timeline photo per city of the caller's (and partners'), by city.

    As Immich 2.7.5 (a recursive query that starts at the smallest city, nulls last):
    when no photo has a city, one photo without a city is the answer.
    """
    owners = call.state.search_owner_ids(call.user_id)
    photos = [
        item
        for item in call.state.assets.values()
        if item.owner_id in owners
        and item.asset_type == "IMAGE"
        and item.visibility == "timeline"
        and not item.is_trashed
    ]
    by_city: dict[str, Asset] = {}
    for item in photos:
        if item.city:
            by_city.setdefault(item.city, item)
    found = [by_city[city] for city in sorted(by_city)] or photos[:1]
    return Reply([dto.asset(call.state, item) for item in found])


@handles("searchRandom")
def search_random(call: Call) -> Reply:
    """Return a (seeded, reproducible) random sample."""
    items = _filtered(call, call.body)
    size = int(call.body.get("size") or SEARCH_DEFAULT_SIZE)
    picked = call.rng.sample(items, min(size, len(items)))
    return Reply([dto.asset(call.state, a) for a in picked])


# --- timeline -------------------------------------------------------------------------


def _timeline(call: Call) -> list[Asset]:
    """Return the assets of a timeline: an album's (every member's) or the caller's.

    As Immich: an album's timeline holds the assets whoever added them, which the
    search endpoints do not return; trashed assets only with ``isTrashed=true``.
    """
    state = call.state
    visibility = call.query.get("visibility")
    trashed = bool(call.flag("isTrashed"))
    if call.flag("withPartners") and (
        visibility in {None, "archive"}
        or trashed
        or call.flag("isFavorite") is not None
    ):
        raise ImmichHTTPError(
            400,
            "withPartners is only supported for non-archived, non-trashed, "
            "non-favorited assets",
        )
    if album_id := call.query.get("albumId"):
        album = call.album(album_id)
        items = [state.assets[aid] for aid in album.asset_ids if aid in state.assets]
    else:
        # The caller's own, and with ``withPartners`` its timeline partners'.
        owners = {call.user_id}
        if call.flag("withPartners"):
            owners |= state.partner_ids(call.user_id, in_timeline=True)
        shown = {visibility} if visibility else {"timeline", "archive"}
        items = [
            a
            for a in state.assets.values()
            if a.owner_id in owners and a.visibility in shown
        ]
    items = [a for a in items if a.is_trashed == trashed]
    items.sort(key=lambda a: a.local_at, reverse=call.query.get("order") != "asc")
    return items


def _bucket_of(item: Asset) -> str:
    """Return the month an asset falls in (by its local date), as Immich names them."""
    return f"{item.local_at.year:04d}-{item.local_at.month:02d}-01"


@handles("getTimeBuckets")
def time_buckets(call: Call) -> Reply:
    """Count the timeline's assets per month."""
    counts: dict[str, int] = {}
    for item in _timeline(call):
        counts[_bucket_of(item)] = counts.get(_bucket_of(item), 0) + 1
    return Reply([{"timeBucket": key, "count": n} for key, n in counts.items()])


@handles("getTimeBucket")
def time_bucket(call: Call) -> Reply:
    """Return one month of the timeline, one array per field."""
    month = call.query["timeBucket"][:7]
    items = [a for a in _timeline(call) if _bucket_of(a).startswith(month)]
    return Reply(
        {
            "id": [a.id for a in items],
            "ownerId": [a.owner_id for a in items],
            "isImage": [a.asset_type == "IMAGE" for a in items],
            "isFavorite": [a.is_favorite for a in items],
            "isTrashed": [a.is_trashed for a in items],
            "visibility": [a.visibility for a in items],
            "fileCreatedAt": [iso(a.file_created_at) for a in items],
            "localOffsetHours": [a.utc_offset_hours for a in items],
            "duration": [
                None if a.asset_type == "IMAGE" else a.duration for a in items
            ],
            "ratio": [
                (a.width / a.height) if a.width and a.height else 1 for a in items
            ],
            "thumbhash": [dto.THUMBHASH for _ in items],
            "livePhotoVideoId": [a.live_photo_video_id for a in items],
            "projectionType": [None for _ in items],
            "city": [a.city for a in items],
            "country": [a.country for a in items],
        }
    )
