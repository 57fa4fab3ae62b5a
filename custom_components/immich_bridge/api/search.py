"""Build Immich search requests: the filters (snake_case, typed) and the JSON body.

The filters' vocabulary (asset types, visibilities) is typed here once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypedDict

from .models import AssetType, iso_utc

type Visibility = Literal["archive", "timeline", "hidden", "locked"]
type SuggestionType = Literal[
    "country", "state", "city", "camera-make", "camera-model", "camera-lens-model"
]


class ImmichSearchFilters(TypedDict, total=False):
    """Filter assets in metadata, smart and random searches."""

    album_ids: Sequence[str]
    person_ids: Sequence[str]
    tag_ids: Sequence[str]
    type: AssetType
    visibility: Visibility
    is_favorite: bool
    is_not_in_album: bool
    is_motion: bool
    is_offline: bool
    taken_after: datetime
    taken_before: datetime
    created_after: datetime
    created_before: datetime
    updated_after: datetime
    updated_before: datetime
    city: str
    state: str
    country: str
    make: str
    model: str
    lens_model: str
    library_id: str
    rating: int | None  # None: unrated only
    with_exif: bool
    with_deleted: bool


class ImmichMetadataFilters(ImmichSearchFilters, total=False):
    """Filter assets in a metadata search (adds the metadata-only fields)."""

    id: str
    checksum: str
    original_file_name: str
    original_path: str
    description: str
    order: Literal["asc", "desc"]
    with_people: bool
    with_stacked: bool


class ImmichRandomFilters(ImmichSearchFilters, total=False):
    """Filter assets in a random search."""

    with_people: bool
    with_stacked: bool


def _camel(name: str) -> str:
    """Turn a snake_case name into camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _encode(value: object) -> object:
    """Turn a filter value into JSON."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


def search_body(filters: Mapping[str, object], **extra: object) -> dict[str, Any]:
    """Build a search request body from snake_case filters."""
    body = {_camel(key): _encode(value) for key, value in filters.items()}
    body.update({key: value for key, value in extra.items() if value is not None})
    return body
