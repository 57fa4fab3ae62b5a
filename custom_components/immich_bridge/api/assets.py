"""Define the models of what a library holds: assets and what groups them.

Assets and their statistics, albums and their timelines, tags, shared links,
people, search pages, duplicate groups and memories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Self

from .errors import ImmichResponseError
from .models import ASSET_TYPES, AssetType, Reader


def _asset_type(value: str) -> AssetType:
    """Return an asset's type; one this client doesn't know yet counts as OTHER."""
    return next((known for known in ASSET_TYPES if known == value), "OTHER")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichAsset:
    """Represent an asset (photo, video, …)."""

    id: str
    type: AssetType
    original_file_name: str
    file_created_at: datetime
    file_modified_at: datetime
    checksum: str
    owner_id: str
    is_favorite: bool
    is_trashed: bool
    is_archived: bool | None = None
    is_offline: bool | None = None
    visibility: str | None = None
    original_mime_type: str | None = None
    local_date_time: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    duration: str | None = None
    width: float | None = None
    height: float | None = None
    library_id: str | None = None
    live_photo_video_id: str | None = None
    description: str | None = None
    rating: float | None = None
    file_size_in_byte: int | None = None
    city: str | None = None
    country: str | None = None
    device_asset_id: str | None = None
    device_id: str | None = None
    people: tuple[ImmichPerson, ...] = ()
    tags: tuple[ImmichTag, ...] = ()  # the owner's view only

    @property
    def is_photo(self) -> bool:
        """Tell whether the asset is a photo."""
        return self.type == "IMAGE"

    @property
    def is_video(self) -> bool:
        """Tell whether the asset is a video."""
        return self.type == "VIDEO"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AssetResponseDto."""
        r = Reader(cls.__name__, data)
        exif = Reader(f"{cls.__name__}.exifInfo", r.opt_obj("exifInfo") or {})
        return cls(
            id=r.ident("id"),
            type=_asset_type(r.text("type")),
            original_file_name=r.text("originalFileName"),
            file_created_at=r.moment("fileCreatedAt"),
            file_modified_at=r.moment("fileModifiedAt"),
            checksum=r.text("checksum"),
            owner_id=r.text("ownerId"),
            is_favorite=r.flag("isFavorite"),
            is_trashed=r.flag("isTrashed"),
            is_archived=r.opt_flag("isArchived"),
            is_offline=r.opt_flag("isOffline"),
            visibility=r.opt_text("visibility"),
            original_mime_type=r.opt_text("originalMimeType"),
            local_date_time=r.opt_moment("localDateTime"),
            created_at=r.opt_moment("createdAt"),
            updated_at=r.opt_moment("updatedAt"),
            duration=r.opt_text("duration"),
            width=r.opt_number("width"),
            height=r.opt_number("height"),
            library_id=r.opt_text("libraryId"),
            live_photo_video_id=r.opt_text("livePhotoVideoId"),
            description=exif.opt_text("description"),
            rating=exif.opt_number("rating"),
            file_size_in_byte=exif.opt_integer("fileSizeInByte"),
            city=exif.opt_text("city"),
            country=exif.opt_text("country"),
            device_asset_id=r.opt_text("deviceAssetId"),
            device_id=r.opt_text("deviceId"),
            people=r.opt_models("people", ImmichPerson.from_api) or (),
            tags=r.opt_models("tags", ImmichTag.from_api) or (),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichAssetStatistics:
    """Represent the caller's own asset counts."""

    images: int
    videos: int
    total: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AssetStatsResponseDto."""
        r = Reader(cls.__name__, data)
        return cls(
            images=r.integer("images"),
            videos=r.integer("videos"),
            total=r.integer("total"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichAlbumUser:
    """Represent a user an album is shared with, and their role."""

    user_id: str
    name: str
    email: str
    role: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AlbumUserResponseDto."""
        r = Reader(cls.__name__, data)
        user = Reader(f"{cls.__name__}.user", r.obj("user"))
        return cls(
            user_id=user.ident("id"),
            name=user.text("name"),
            email=user.text("email"),
            role=r.text("role"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichAlbum:
    """Represent an album (`assets` is only filled by Immich 2.x)."""

    id: str
    name: str
    description: str
    asset_count: int
    shared: bool
    owner_id: str | None
    thumbnail_asset_id: str | None
    created_at: datetime
    updated_at: datetime
    has_shared_link: bool | None = None
    is_activity_enabled: bool | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    last_modified_asset_timestamp: datetime | None = None
    order: str | None = None
    album_users: tuple[ImmichAlbumUser, ...] = ()
    assets: tuple[ImmichAsset, ...] | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AlbumResponseDto (owner: ownerId on v2, albumUsers on v3)."""
        r = Reader(cls.__name__, data)
        album_users = r.models("albumUsers", ImmichAlbumUser.from_api)
        owner_id = r.opt_text("ownerId")
        if owner_id is None:
            owners = [user for user in album_users if user.role == "owner"]
            owner_id = owners[0].user_id if owners else None
        return cls(
            id=r.ident("id"),
            name=r.text("albumName"),
            description=r.text("description"),
            asset_count=r.integer("assetCount"),
            shared=r.flag("shared"),
            owner_id=owner_id,
            thumbnail_asset_id=r.opt_text("albumThumbnailAssetId"),
            created_at=r.moment("createdAt"),
            updated_at=r.moment("updatedAt"),
            has_shared_link=r.opt_flag("hasSharedLink"),
            is_activity_enabled=r.opt_flag("isActivityEnabled"),
            start_date=r.opt_moment("startDate"),
            end_date=r.opt_moment("endDate"),
            last_modified_asset_timestamp=r.opt_moment("lastModifiedAssetTimestamp"),
            order=r.opt_text("order"),
            album_users=album_users,
            assets=r.opt_models("assets", ImmichAsset.from_api),
        )

    def role_of(self, user_id: str) -> str | None:
        """Return a user's role here: "owner", "editor", "viewer", or None."""
        if self.owner_id == user_id:
            return "owner"
        return next((u.role for u in self.album_users if u.user_id == user_id), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichTimeBucket:
    """Represent one month of a timeline and how many assets it holds."""

    time_bucket: str
    count: int
    start: date  # the month's first day (the server groups by local date)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a TimeBucketsResponseDto."""
        r = Reader(cls.__name__, data)
        time_bucket = r.text("timeBucket")
        try:
            start = date.fromisoformat(time_bucket[:10])
        except ValueError:
            msg = f"{cls.__name__}: field 'timeBucket' is not a YYYY-MM-DD date"
            raise ImmichResponseError(msg) from None
        return cls(time_bucket=time_bucket, count=r.integer("count"), start=start)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichTimelineAsset:
    """Represent one asset of a timeline bucket (the server sends columns)."""

    id: str
    is_image: bool
    is_trashed: bool

    @classmethod
    def from_bucket(cls, data: Mapping[str, Any]) -> list[Self]:
        """Build the assets of a TimeBucketAssetResponseDto (arrays of equal length)."""
        r = Reader(cls.__name__, data)
        ids = r.idents("id")
        columns = {key: r.array(key) for key in ("isImage", "isTrashed")}
        for key, values in columns.items():
            if len(values) != len(ids) or not all(isinstance(v, bool) for v in values):
                msg = f"{cls.__name__}: field '{key}' is not {len(ids)} booleans"
                raise ImmichResponseError(msg)
        return [
            cls(id=asset_id, is_image=image, is_trashed=trashed)
            for asset_id, image, trashed in zip(
                ids, columns["isImage"], columns["isTrashed"], strict=True
            )
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichAlbumStatistics:
    """Represent the caller's album counts."""

    owned: int
    shared: int
    not_shared: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AlbumStatisticsResponseDto."""
        r = Reader(cls.__name__, data)
        return cls(
            owned=r.integer("owned"),
            shared=r.integer("shared"),
            not_shared=r.integer("notShared"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichTag:
    """Represent a tag; `value` is the full path ("parent/child")."""

    id: str
    name: str
    value: str
    color: str | None = None
    parent_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a TagResponseDto."""
        r = Reader(cls.__name__, data)
        return cls(
            id=r.ident("id"),
            name=r.text("name"),
            value=r.text("value"),
            color=r.opt_text("color"),
            parent_id=r.opt_text("parentId"),
            created_at=r.opt_moment("createdAt"),
            updated_at=r.opt_moment("updatedAt"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichSharedLink:
    """Represent a shared link (its password is never kept)."""

    id: str
    key: str = field(repr=False)
    type: str
    user_id: str
    allow_download: bool
    allow_upload: bool
    show_metadata: bool
    has_password: bool
    slug: str | None = None
    description: str | None = None
    album_id: str | None = None
    asset_ids: tuple[str, ...] = ()
    created_at: datetime | None = None
    expires_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a SharedLinkResponseDto."""
        r = Reader(cls.__name__, data)
        album = r.opt_obj("album")
        asset_ids = [
            Reader(f"{cls.__name__}.assets", item).ident("id")
            for item in r.array("assets")
        ]
        return cls(
            id=r.ident("id"),
            key=r.text("key"),
            type=r.text("type"),
            user_id=r.text("userId"),
            allow_download=r.flag("allowDownload"),
            allow_upload=r.flag("allowUpload"),
            show_metadata=r.flag("showMetadata"),
            has_password=r.opt_text("password") is not None,
            slug=r.opt_text("slug"),
            description=r.opt_text("description"),
            album_id=(
                None
                if album is None
                else Reader(f"{cls.__name__}.album", album).ident("id")
            ),
            asset_ids=tuple(asset_ids),
            created_at=r.opt_moment("createdAt"),
            expires_at=r.opt_moment("expiresAt"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichPerson:
    """Represent a recognised person."""

    id: str
    name: str
    is_hidden: bool
    birth_date: date | None = None
    is_favorite: bool | None = None
    thumbnail_path: str | None = None
    color: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a PersonResponseDto."""
        r = Reader(cls.__name__, data)
        return cls(
            id=r.ident("id"),
            name=r.text("name"),
            is_hidden=r.flag("isHidden"),
            birth_date=r.opt_day("birthDate"),
            is_favorite=r.opt_flag("isFavorite"),
            thumbnail_path=r.opt_text("thumbnailPath"),
            color=r.opt_text("color"),
            updated_at=r.opt_moment("updatedAt"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichPeoplePage:
    """Represent one page of people."""

    total: int
    hidden: int
    people: tuple[ImmichPerson, ...]
    has_next_page: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a PeopleResponseDto."""
        r = Reader(cls.__name__, data)
        return cls(
            total=r.integer("total"),
            hidden=r.integer("hidden"),
            people=r.models("people", ImmichPerson.from_api),
            has_next_page=r.opt_flag("hasNextPage"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichSearchPage:
    """Represent one page of asset search results.

    Immich's `total` is the number of items on this page (checked on 2.7.5), not the
    number of matches: ask `search_statistics` for that.
    """

    items: tuple[ImmichAsset, ...]
    count: int
    total: int
    next_page: int | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a SearchResponseDto (only its `assets` part)."""
        r = Reader(cls.__name__, data)
        assets = Reader(f"{cls.__name__}.assets", r.obj("assets"))
        next_page = assets.opt_text("nextPage")
        if next_page is not None and not next_page.isdigit():
            msg = f"{cls.__name__}: field 'nextPage' should be a page number"
            raise ImmichResponseError(msg)
        return cls(
            items=assets.models("items", ImmichAsset.from_api),
            count=assets.integer("count"),
            total=assets.integer("total"),
            next_page=None if next_page is None else int(next_page),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichDuplicateGroup:
    """Represent a group of assets Immich found to be duplicates of each other."""

    id: str
    asset_ids: tuple[str, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a DuplicateResponseDto (keeping only the asset ids)."""
        r = Reader(cls.__name__, data)
        return cls(
            id=r.text("duplicateId"),
            asset_ids=tuple(
                Reader(f"{cls.__name__}.assets", item).text("id")
                for item in r.array("assets")
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichMemory:
    """Represent a memory ("on this day")."""

    id: str
    type: str
    memory_at: datetime
    is_saved: bool
    assets: tuple[ImmichAsset, ...]
    year: int | None = None
    seen_at: datetime | None = None
    show_at: datetime | None = None  # Immich shows it from showAt to hideAt
    hide_at: datetime | None = None

    @property
    def shown(self) -> datetime:
        """Return the middle of the day Immich shows the memory (else `memoryAt`).

        showAt and hideAt bound a day of the server's time zone, which the answer
        doesn't name (it is in UTC): the middle of the two falls on that day in any
        zone within 12 hours of the server's.
        """
        if self.show_at is None or self.hide_at is None:
            return self.memory_at
        return self.show_at + (self.hide_at - self.show_at) / 2

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a MemoryResponseDto."""
        r = Reader(cls.__name__, data)
        extra = Reader(f"{cls.__name__}.data", r.opt_obj("data") or {})
        return cls(
            id=r.ident("id"),
            type=r.text("type"),
            memory_at=r.moment("memoryAt"),
            is_saved=r.flag("isSaved"),
            assets=r.models("assets", ImmichAsset.from_api),
            year=extra.opt_integer("year"),
            seen_at=r.opt_moment("seenAt"),
            show_at=r.opt_moment("showAt"),
            hide_at=r.opt_moment("hideAt"),
        )
