"""Define the typed models built from Immich payloads: the reader, server, users.

`Reader` checks every field a model reads; assets.py and results.py use it too.
Also here: the server's queues and external libraries (the admin's view).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
import math
from pathlib import Path
import re
from typing import Any, Final, Literal, Self

from .errors import ImmichResponseError

# What an asset is (AssetTypeEnum); the search filters take the same values.
type AssetType = Literal["IMAGE", "VIDEO", "AUDIO", "OTHER"]
ASSET_TYPES: Final[tuple[AssetType, ...]] = ("IMAGE", "VIDEO", "AUDIO", "OTHER")

_UUID_RE: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def is_uuid(value: str) -> bool:
    """Return True when a string is a UUID as Immich writes its ids."""
    return _UUID_RE.fullmatch(value) is not None


def iso_utc(value: datetime) -> str:
    """Format a date-time as ISO-8601 UTC with a "Z" (naive ones count as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


class Reader:
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


def suggestions_from_api(data: Any) -> list[str]:
    """Read the search suggestions (an array of strings; nulls are left out)."""
    if not isinstance(data, list) or not all(
        item is None or (isinstance(item, str) and _is_unicode(item)) for item in data
    ):
        msg = "search suggestions: expected an array of strings"
        raise ImmichResponseError(msg)
    return [item for item in data if item]


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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
        return cls._build(
            r.text("name"),
            Reader(f"{cls.__name__}.statistics", r.obj("statistics")),
            is_paused=r.flag("isPaused"),
            is_active=None,
        )

    @classmethod
    def from_legacy(cls, name: str, data: Mapping[str, Any]) -> Self:
        """Build from a QueueResponseLegacyDto (GET /jobs, servers before 2.4)."""
        r = Reader(cls.__name__, data)
        status = Reader(f"{cls.__name__}.queueStatus", r.obj("queueStatus"))
        return cls._build(
            name,
            Reader(f"{cls.__name__}.jobCounts", r.obj("jobCounts")),
            is_paused=status.flag("isPaused"),
            is_active=status.flag("isActive"),
        )

    @classmethod
    def _build(
        cls, name: str, counts: Reader, *, is_paused: bool, is_active: bool | None
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
        r = Reader(cls.__name__, data)
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
class ImmichLibraryStatistics:
    """Represent an external library's counts (its `assetCount` is always 0)."""

    photos: int
    videos: int
    total: int
    usage: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a LibraryStatsResponseDto."""
        r = Reader(cls.__name__, data)
        return cls(
            photos=r.integer("photos"),
            videos=r.integer("videos"),
            total=r.integer("total"),
            usage=r.integer("usage"),
        )
