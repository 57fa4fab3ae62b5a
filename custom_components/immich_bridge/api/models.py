"""Define the typed models built from Immich API payloads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
import math
from pathlib import Path
import re
from typing import Any, Final, Literal, Self

from .errors import ImmichResponseError

_UUID_RE: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def is_uuid(value: str) -> bool:
    """Return True when a string is a UUID as Immich writes its ids."""
    return _UUID_RE.fullmatch(value) is not None


type SyncStatus = Literal["uploaded", "duplicate", "failed", "skipped", "pending"]

_VERSION_RE: Final = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
# The spec's integers are int64; a bigger one would overflow a float in a sensor.
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _is_unicode(text: str) -> bool:
    """Return whether a text is valid Unicode: JSON may carry a lone surrogate."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class _Reader:
    """Read typed fields from a payload, raising ImmichResponseError on bad data."""

    __slots__ = ("_data", "_model")

    def __init__(self, model: str, data: object) -> None:
        """Check that the payload is an object."""
        if not isinstance(data, Mapping):
            msg = f"{model}: expected an object, got {type(data).__name__}"
            raise ImmichResponseError(msg)
        self._model = model
        self._data: Mapping[str, Any] = data

    def _fail(self, key: str, expected: str) -> ImmichResponseError:
        """Build the error for a field of the wrong type."""
        got = type(self._data[key]).__name__
        return ImmichResponseError(
            f"{self._model}: field '{key}' should be {expected}, got {got}"
        )

    def _get(self, key: str) -> Any:
        """Return a required field."""
        if key not in self._data:
            msg = f"{self._model}: required field '{key}' is missing"
            raise ImmichResponseError(msg)
        return self._data[key]

    def has(self, key: str) -> bool:
        """Return whether a field is present and not null."""
        return self._data.get(key) is not None

    def text(self, key: str) -> str:
        """Return a required string of valid Unicode."""
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        if not _is_unicode(value):
            raise self._fail(key, "valid Unicode text")
        return value

    def ident(self, key: str) -> str:
        """Return a required id: a UUID, as Immich writes every id it hands out."""
        value = self.text(key)
        if not is_uuid(value):
            raise self._fail(key, "a UUID")
        return value

    def opt_text(self, key: str) -> str | None:
        """Return an optional string."""
        return self.text(key) if self.has(key) else None

    def integer(self, key: str) -> int:
        """Return a required 64-bit integer (an integral float is accepted)."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "an integer")
        if isinstance(value, float):
            if not value.is_integer():
                raise self._fail(key, "an integer")
            value = int(value)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise self._fail(key, "a 64-bit integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        """Return an optional integer."""
        return self.integer(key) if self.has(key) else None

    def number(self, key: str) -> float:
        """Return a required finite number (Python's json reads NaN and Infinity)."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            raise self._fail(key, "a finite number") from None
        if not math.isfinite(number):
            raise self._fail(key, "a finite number")
        return number

    def opt_number(self, key: str) -> float | None:
        """Return an optional number."""
        return self.number(key) if self.has(key) else None

    def flag(self, key: str) -> bool:
        """Return a required boolean."""
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean")
        return value

    def opt_flag(self, key: str) -> bool | None:
        """Return an optional boolean."""
        return self.flag(key) if self.has(key) else None

    def moment(self, key: str) -> datetime:
        """Return a required ISO-8601 date-time (one without an offset is UTC)."""
        value = self.text(key)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self._fail(key, "an ISO-8601 date-time") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def opt_moment(self, key: str) -> datetime | None:
        """Return an optional ISO-8601 date-time."""
        return self.moment(key) if self.has(key) else None

    def opt_day(self, key: str) -> date | None:
        """Return an optional ISO-8601 date (a date-time keeps its date part)."""
        if not self.has(key):
            return None
        value = self.text(key)
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise self._fail(key, "an ISO-8601 date") from None

    def array(self, key: str) -> list[Any]:
        """Return a required array."""
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "an array")
        return value

    def idents(self, key: str) -> tuple[str, ...]:
        """Return a required array of ids (UUIDs)."""
        values = self.texts(key)
        if not all(is_uuid(value) for value in values):
            raise self._fail(key, "an array of UUIDs")
        return values

    def texts(self, key: str) -> tuple[str, ...]:
        """Return a required array of strings."""
        values = self.array(key)
        if not all(isinstance(item, str) and _is_unicode(item) for item in values):
            raise self._fail(key, "an array of strings")
        return tuple(values)

    def obj(self, key: str) -> Mapping[str, Any]:
        """Return a required object."""
        value = self._get(key)
        if not isinstance(value, Mapping):
            raise self._fail(key, "an object")
        return value

    def opt_obj(self, key: str) -> Mapping[str, Any] | None:
        """Return an optional object."""
        return self.obj(key) if self.has(key) else None

    def models[M](
        self, key: str, parse: Callable[[Mapping[str, Any]], M]
    ) -> tuple[M, ...]:
        """Return a required array of models."""
        return tuple(parse(item) for item in self.array(key))

    def opt_models[M](
        self, key: str, parse: Callable[[Mapping[str, Any]], M]
    ) -> tuple[M, ...] | None:
        """Return an optional array of models."""
        return self.models(key, parse) if self.has(key) else None

    def literal[L: str](self, key: str, allowed: tuple[L, ...]) -> L:
        """Return a required string that must be one of `allowed`."""
        value = self.text(key)
        for option in allowed:
            if value == option:
                return option
        msg = f"{self._model}: field '{key}' has unknown value {value!r}"
        raise ImmichResponseError(msg)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class ImmichServerVersion:
    """Represent a server version (ordered, `str()` gives "2.7.5")."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        """Return the version as "major.minor.patch"."""
        return f"{self.major}.{self.minor}.{self.patch}"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerVersionResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            major=r.integer("major"), minor=r.integer("minor"), patch=r.integer("patch")
        )

    @classmethod
    def parse(cls, value: str) -> Self | None:
        """Parse a version string such as "v2.7.5"; return None when not one."""
        match = _VERSION_RE.match(value.strip())
        if match is None:
            return None
        major, minor, patch = (int(part) for part in match.groups())
        return cls(major=major, minor=minor, patch=patch)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichServerAbout:
    """Represent the server's build information."""

    version: str
    version_url: str
    licensed: bool
    build: str | None = None
    source_commit: str | None = None
    source_ref: str | None = None
    repository_url: str | None = None
    nodejs: str | None = None
    ffmpeg: str | None = None
    libvips: str | None = None
    exiftool: str | None = None
    imagemagick: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerAboutResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            version=r.text("version"),
            version_url=r.text("versionUrl"),
            licensed=r.flag("licensed"),
            build=r.opt_text("build"),
            source_commit=r.opt_text("sourceCommit"),
            source_ref=r.opt_text("sourceRef"),
            repository_url=r.opt_text("repositoryUrl"),
            nodejs=r.opt_text("nodejs"),
            ffmpeg=r.opt_text("ffmpeg"),
            libvips=r.opt_text("libvips"),
            exiftool=r.opt_text("exiftool"),
            imagemagick=r.opt_text("imagemagick"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichVersionCheck:
    """Represent the newest release the server has seen."""

    checked_at: datetime | None
    release_version: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a VersionCheckStateResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            checked_at=r.opt_moment("checkedAt"),
            release_version=r.opt_text("releaseVersion"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichServerFeatures:
    """Represent the features the server has switched on."""

    smart_search: bool
    facial_recognition: bool
    duplicate_detection: bool
    map: bool
    reverse_geocoding: bool
    trash: bool
    search: bool
    sidecar: bool
    oauth: bool
    password_login: bool
    ocr: bool | None = None
    email: bool | None = None
    config_file: bool | None = None
    import_faces: bool | None = None
    realtime_transcoding: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerFeaturesDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            smart_search=r.flag("smartSearch"),
            facial_recognition=r.flag("facialRecognition"),
            duplicate_detection=r.flag("duplicateDetection"),
            map=r.flag("map"),
            reverse_geocoding=r.flag("reverseGeocoding"),
            trash=r.flag("trash"),
            search=r.flag("search"),
            sidecar=r.flag("sidecar"),
            oauth=r.flag("oauth"),
            password_login=r.flag("passwordLogin"),
            ocr=r.opt_flag("ocr"),
            email=r.opt_flag("email"),
            config_file=r.opt_flag("configFile"),
            import_faces=r.opt_flag("importFaces"),
            realtime_transcoding=r.opt_flag("realtimeTranscoding"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichServerConfig:
    """Represent the server's public configuration."""

    external_domain: str
    is_initialized: bool
    is_onboarded: bool
    maintenance_mode: bool
    trash_days: int
    user_delete_delay: int
    login_page_message: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerConfigDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            external_domain=r.text("externalDomain"),
            is_initialized=r.flag("isInitialized"),
            is_onboarded=r.flag("isOnboarded"),
            maintenance_mode=r.flag("maintenanceMode"),
            trash_days=r.integer("trashDays"),
            user_delete_delay=r.integer("userDeleteDelay"),
            login_page_message=r.opt_text("loginPageMessage"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichServerStorage:
    """Represent the disk holding the library."""

    disk_size: str
    disk_use: str
    disk_available: str
    disk_size_raw: int
    disk_use_raw: int
    disk_available_raw: int
    disk_usage_percentage: float

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerStorageResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            disk_size=r.text("diskSize"),
            disk_use=r.text("diskUse"),
            disk_available=r.text("diskAvailable"),
            disk_size_raw=r.integer("diskSizeRaw"),
            disk_use_raw=r.integer("diskUseRaw"),
            disk_available_raw=r.integer("diskAvailableRaw"),
            disk_usage_percentage=r.number("diskUsagePercentage"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichUserUsage:
    """Represent one user's share of the server statistics."""

    user_id: str
    user_name: str
    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    quota_size_in_bytes: int | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a UsageByUserDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            user_id=r.text("userId"),
            user_name=r.text("userName"),
            photos=r.integer("photos"),
            videos=r.integer("videos"),
            usage=r.integer("usage"),
            usage_photos=r.integer("usagePhotos"),
            usage_videos=r.integer("usageVideos"),
            quota_size_in_bytes=r.opt_integer("quotaSizeInBytes"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichServerStatistics:
    """Represent the server-wide statistics (admin only)."""

    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    usage_by_user: tuple[ImmichUserUsage, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerStatsResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            photos=r.integer("photos"),
            videos=r.integer("videos"),
            usage=r.integer("usage"),
            usage_photos=r.integer("usagePhotos"),
            usage_videos=r.integer("usageVideos"),
            usage_by_user=r.models("usageByUser", ImmichUserUsage.from_api),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichMediaTypes:
    """Represent the file extensions the server accepts (".jpg", …)."""

    image: frozenset[str]
    video: frozenset[str]
    sidecar: frozenset[str]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a ServerMediaTypesResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            image=frozenset(ext.lower() for ext in r.texts("image")),
            video=frozenset(ext.lower() for ext in r.texts("video")),
            sidecar=frozenset(ext.lower() for ext in r.texts("sidecar")),
        )

    @property
    def media(self) -> frozenset[str]:
        """Return the image and video extensions."""
        return self.image | self.video

    def accepts(self, name: str | Path) -> bool:
        """Return whether a file name has an image or video extension."""
        return Path(name).suffix.lower() in self.media


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichUser:
    """Represent a user (`is_admin` and quotas are only known for /users/me)."""

    id: str
    name: str
    email: str
    is_admin: bool | None = None
    quota_size_in_bytes: int | None = None
    quota_usage_in_bytes: int | None = None
    avatar_color: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a UserResponseDto or UserAdminResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            id=r.ident("id"),
            name=r.text("name"),
            email=r.text("email"),
            is_admin=r.opt_flag("isAdmin"),
            quota_size_in_bytes=r.opt_integer("quotaSizeInBytes"),
            quota_usage_in_bytes=r.opt_integer("quotaUsageInBytes"),
            avatar_color=r.opt_text("avatarColor"),
            status=r.opt_text("status"),
            created_at=r.opt_moment("createdAt"),
            updated_at=r.opt_moment("updatedAt"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichApiKeyInfo:
    """Represent the API key in use (never its secret)."""

    id: str
    name: str
    permissions: frozenset[str]
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an ApiKeyResponseDto (APIKeyResponseDto on v2)."""
        r = _Reader(cls.__name__, data)
        return cls(
            id=r.ident("id"),
            name=r.text("name"),
            permissions=frozenset(r.texts("permissions")),
            created_at=r.opt_moment("createdAt"),
            updated_at=r.opt_moment("updatedAt"),
        )

    def has(self, permission: str) -> bool:
        """Return whether the key grants a permission (`all` grants every one)."""
        return "all" in self.permissions or permission in self.permissions


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichAsset:
    """Represent an asset (photo, video, …)."""

    id: str
    type: str
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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AssetResponseDto."""
        r = _Reader(cls.__name__, data)
        exif = _Reader(f"{cls.__name__}.exifInfo", r.opt_obj("exifInfo") or {})
        return cls(
            id=r.ident("id"),
            type=r.text("type"),
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
        r = _Reader(cls.__name__, data)
        return cls(
            images=r.integer("images"),
            videos=r.integer("videos"),
            total=r.integer("total"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichTrashResult:
    """Represent how many assets a trash request restored or emptied."""

    count: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a TrashResponseDto."""
        return cls(count=_Reader(cls.__name__, data).integer("count"))


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
        r = _Reader(cls.__name__, data)
        user = _Reader(f"{cls.__name__}.user", r.obj("user"))
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
        r = _Reader(cls.__name__, data)
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
        r = _Reader(cls.__name__, data)
        time_bucket = r.text("timeBucket")
        try:
            start = date.fromisoformat(time_bucket[:10])
        except ValueError:
            msg = f"{cls.__name__}: field 'timeBucket' is not a YYYY-MM-DD date"
            raise ImmichResponseError(msg) from None
        return cls(time_bucket=time_bucket, count=r.integer("count"), start=start)


def suggestions_from_api(data: Any) -> list[str]:
    """Read the search suggestions (an array of strings; nulls are left out)."""
    if not isinstance(data, list) or not all(
        item is None or (isinstance(item, str) and _is_unicode(item)) for item in data
    ):
        msg = "search suggestions: expected an array of strings"
        raise ImmichResponseError(msg)
    return [item for item in data if item]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichTimelineAsset:
    """Represent one asset of a timeline bucket (the server sends columns)."""

    id: str
    is_image: bool
    is_trashed: bool

    @classmethod
    def from_bucket(cls, data: Mapping[str, Any]) -> list[Self]:
        """Build the assets of a TimeBucketAssetResponseDto (arrays of equal length)."""
        r = _Reader(cls.__name__, data)
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
        r = _Reader(cls.__name__, data)
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
        r = _Reader(cls.__name__, data)
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
        r = _Reader(cls.__name__, data)
        album = r.opt_obj("album")
        asset_ids = [
            _Reader(f"{cls.__name__}.assets", item).ident("id")
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
                else _Reader(f"{cls.__name__}.album", album).ident("id")
            ),
            asset_ids=tuple(asset_ids),
            created_at=r.opt_moment("createdAt"),
            expires_at=r.opt_moment("expiresAt"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichQueue:
    """Represent a job queue and its counts."""

    name: str
    is_paused: bool
    active: int
    completed: int
    failed: int
    delayed: int
    waiting: int
    paused: int
    is_active: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a QueueResponseDto (GET /queues)."""
        r = _Reader(cls.__name__, data)
        return cls._build(
            r.text("name"),
            _Reader(f"{cls.__name__}.statistics", r.obj("statistics")),
            is_paused=r.flag("isPaused"),
            is_active=None,
        )

    @classmethod
    def from_legacy(cls, name: str, data: Mapping[str, Any]) -> Self:
        """Build from a QueueResponseLegacyDto (GET /jobs, servers before 2.4)."""
        r = _Reader(cls.__name__, data)
        status = _Reader(f"{cls.__name__}.queueStatus", r.obj("queueStatus"))
        return cls._build(
            name,
            _Reader(f"{cls.__name__}.jobCounts", r.obj("jobCounts")),
            is_paused=status.flag("isPaused"),
            is_active=status.flag("isActive"),
        )

    @classmethod
    def _build(
        cls, name: str, counts: _Reader, *, is_paused: bool, is_active: bool | None
    ) -> Self:
        """Build from the parts both payload shapes share."""
        active = counts.integer("active")
        return cls(
            name=name,
            is_paused=is_paused,
            active=active,
            completed=counts.integer("completed"),
            failed=counts.integer("failed"),
            delayed=counts.integer("delayed"),
            waiting=counts.integer("waiting"),
            paused=counts.integer("paused"),
            is_active=active > 0 if is_active is None else is_active,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichLibrary:
    """Represent an external library (admin only)."""

    id: str
    name: str
    owner_id: str
    asset_count: int
    refreshed_at: datetime | None
    import_paths: tuple[str, ...] = ()
    exclusion_patterns: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a LibraryResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            id=r.ident("id"),
            name=r.text("name"),
            owner_id=r.text("ownerId"),
            asset_count=r.integer("assetCount"),
            refreshed_at=r.opt_moment("refreshedAt"),
            import_paths=r.texts("importPaths") if r.has("importPaths") else (),
            exclusion_patterns=(
                r.texts("exclusionPatterns") if r.has("exclusionPatterns") else ()
            ),
            created_at=r.opt_moment("createdAt"),
            updated_at=r.opt_moment("updatedAt"),
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
        r = _Reader(cls.__name__, data)
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
        r = _Reader(cls.__name__, data)
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
        r = _Reader(cls.__name__, data)
        assets = _Reader(f"{cls.__name__}.assets", r.obj("assets"))
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
class ImmichLibraryStatistics:
    """Represent an external library's counts (its `assetCount` is always 0)."""

    photos: int
    videos: int
    total: int
    usage: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a LibraryStatsResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            photos=r.integer("photos"),
            videos=r.integer("videos"),
            total=r.integer("total"),
            usage=r.integer("usage"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichDuplicateGroup:
    """Represent a group of assets Immich found to be duplicates of each other."""

    id: str
    asset_ids: tuple[str, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a DuplicateResponseDto (keeping only the asset ids)."""
        r = _Reader(cls.__name__, data)
        return cls(
            id=r.text("duplicateId"),
            asset_ids=tuple(
                _Reader(f"{cls.__name__}.assets", item).text("id")
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
        r = _Reader(cls.__name__, data)
        extra = _Reader(f"{cls.__name__}.data", r.opt_obj("data") or {})
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


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichUploadResult:
    """Represent an uploaded file; `duplicate` means the server already had it.

    `in_trash`: the server's copy (of a duplicate) sits in the trash.
    """

    asset_id: str
    duplicate: bool = False
    in_trash: bool = False

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AssetMediaResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(asset_id=r.ident("id"), duplicate=r.text("status") == "duplicate")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichBulkIdResult:
    """Represent the outcome for one id of a bulk operation."""

    id: str
    success: bool
    error: str | None = None
    error_message: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a BulkIdResponseDto."""
        r = _Reader(cls.__name__, data)
        return cls(
            id=r.ident("id"),
            success=r.flag("success"),
            error=r.opt_text("error"),
            error_message=r.opt_text("errorMessage"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichUploadCheckResult:
    """Represent the server's answer for one checksum of a bulk upload check."""

    id: str
    action: Literal["accept", "reject"]
    reason: str | None = None
    asset_id: str | None = None
    is_trashed: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from an AssetBulkUploadCheckResult."""
        r = _Reader(cls.__name__, data)
        return cls(
            id=r.text("id"),  # the name we gave the file in the check, not an id
            action=r.literal("action", ("accept", "reject")),
            reason=r.opt_text("reason"),
            asset_id=r.opt_text("assetId"),
            is_trashed=r.opt_flag("isTrashed"),
        )

    @property
    def duplicate(self) -> bool:
        """Return whether the server already has this file."""
        return self.action == "reject" and self.reason == "duplicate"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichSyncFileResult:
    """Represent what a folder sync did with one file."""

    path: Path
    status: SyncStatus
    asset_id: str | None = None
    error: str | None = None
    in_trash: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichSyncResult:
    """Represent the outcome of a folder sync (`pending` = would upload, dry run).

    `restored`: ids of duplicates taken back out of the trash; `album_failures`:
    (asset id, reason) for every asset the album refused.
    """

    uploaded: int
    duplicates: int
    failed: int
    skipped: int
    files: tuple[ImmichSyncFileResult, ...]
    album_id: str | None = None
    album_error: str | None = None
    album_failures: tuple[tuple[str, str], ...] = ()
    restored: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def pending(self) -> int:
        """Return how many files a dry run would upload."""
        return sum(1 for item in self.files if item.status == "pending")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichDownloadResult:
    """Represent the outcome of a download (`failed` holds asset ids and reasons)."""

    written: tuple[Path, ...]
    skipped: tuple[Path, ...]
    failed: tuple[tuple[str, str], ...] = ()
