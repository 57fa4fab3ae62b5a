"""The action fields: validators and one schema per action (names in const.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import math
import re
from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import (
    MAX_CONCURRENCY,
    AlbumRole,
    AssetSize,
    AssetType,
    QueueCommand,
    Visibility,
    is_uuid,
)
from .const import (
    ATTR_ALBUM,
    ATTR_ALBUM_FROM_FOLDER,
    ATTR_ALLOW_DOWNLOAD,
    ATTR_ALLOW_UPLOAD,
    ATTR_ASSET_ID,
    ATTR_CAMERA_ENTITY_ID,
    ATTR_CITY,
    ATTR_COMMAND,
    ATTR_CONCURRENCY,
    ATTR_COUNTRY,
    ATTR_DATE_TIME,
    ATTR_DELETE_AFTER_UPLOAD,
    ATTR_DESCRIPTION,
    ATTR_DRY_RUN,
    ATTR_DURATION,
    ATTR_EXCLUDE,
    ATTR_EXPIRES_AT,
    ATTR_EXPIRES_IN,
    ATTR_FAVORITE,
    ATTR_FILE_PATH,
    ATTR_FOLDER,
    ATTR_FORCE,
    ATTR_IMAGE_ENTITY_ID,
    ATTR_INCLUDE,
    ATTR_LATITUDE,
    ATTR_LIBRARY,
    ATTR_LIMIT,
    ATTR_LINK_ID,
    ATTR_LONGITUDE,
    ATTR_MAX_ASSETS,
    ATTR_MAX_SIZE,
    ATTR_MEDIA,
    ATTR_NAME,
    ATTR_NEWEST,
    ATTR_OLDER_THAN,
    ATTR_ORDER,
    ATTR_PAGE,
    ATTR_PASSWORD,
    ATTR_PERSON,
    ATTR_QUERY,
    ATTR_QUEUE,
    ATTR_RATING,
    ATTR_RECURSIVE,
    ATTR_RESTORE_TRASHED,
    ATTR_ROLE,
    ATTR_SHOW_METADATA,
    ATTR_SIZE,
    ATTR_SOURCE,
    ATTR_TAGS,
    ATTR_TAGS_FROM_SUBFOLDERS,
    ATTR_TAKEN_AFTER,
    ATTR_TAKEN_BEFORE,
    ATTR_TYPE,
    ATTR_URL,
    ATTR_USERS,
    ATTR_VISIBILITY,
)
from .helpers import invalid

JOB_COMMANDS: Final[dict[str, QueueCommand]] = {
    "start": "start",
    "pause": "pause",
    "resume": "resume",
    "empty": "empty",
    "clear_failed": "clear-failed",
}
VISIBILITIES: Final[tuple[Visibility, ...]] = (
    "timeline",
    "archive",
    "hidden",
    "locked",
)
ASSET_SIZES: Final[tuple[AssetSize, ...]] = (
    "original",
    "fullsize",
    "preview",
    "thumbnail",
)
ALBUM_ROLES: Final[tuple[AlbumRole, ...]] = ("viewer", "editor")
ASSET_TYPES: Final[dict[str, AssetType]] = {
    "image": "IMAGE",
    "video": "VIDEO",
    "audio": "AUDIO",
    "other": "OTHER",
}
MAX_ASSET_IDS: Final = 1000
MAX_LINK_LIFETIME: Final = timedelta(days=36525)
# How long show_on_frame shows another source when not told.
DEFAULT_VISIT: Final = timedelta(hours=1)
# Upload from a URL: the default and the largest size limit (MB).
DEFAULT_URL_MAX_SIZE: Final = 100
MAX_URL_MAX_SIZE: Final = 4096
SEARCH_ORDERS: Final = ("newest", "oldest", "random")

_QUEUE_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")

DEFAULT_MAX_ASSETS: Final = 100
MAX_IMAGE_ENTITIES: Final = 20

# ------------------------------------------------------------------- validators


def _uuid(value: Any) -> str:
    """Validate an Immich id (a UUID) and return it in lower case."""
    text = cv.string(value).strip()
    if not is_uuid(text):
        msg = "expected an Immich id (a UUID)"
        raise vol.Invalid(msg)
    return text.lower()


def nonempty_text(value: Any) -> str:
    """Validate a non-empty text without NUL characters; return it trimmed."""
    text = cv.string(value).strip()
    if not text or "\x00" in text:
        msg = "expected a non-empty text"
        raise vol.Invalid(msg)
    return text


def _tag_value(value: Any) -> str:
    """Validate a tag name or path ("parent/child") and normalise its slashes."""
    parts = [part.strip() for part in nonempty_text(value).strip("/").split("/")]
    if not all(parts):
        msg = "expected a tag name such as 'Garden' or 'Home/Garden'"
        raise vol.Invalid(msg)
    return "/".join(parts)


def _queue(value: Any) -> str:
    """Validate a queue name such as thumbnailGeneration."""
    text = cv.string(value).strip()
    if not _QUEUE_RE.match(text):
        msg = "expected a queue name such as thumbnailGeneration"
        raise vol.Invalid(msg)
    return text


def _media_id(value: Any) -> str:
    """Accept a media selector's value or a plain media-source id."""
    if isinstance(value, dict):
        value = value.get("media_content_id")
    return nonempty_text(value)


def _moment(value: Any) -> datetime:
    """Validate a date and time (local when it has no zone); return it in UTC."""
    try:
        return dt_util.as_utc(cv.datetime(value))
    except OverflowError as err:
        msg = "expected a date and time between the years 1 and 9999"
        raise vol.Invalid(msg) from err


def duration(value: Any) -> timedelta:
    """Validate a positive duration of at most 100 years."""
    try:
        delta = cv.positive_timedelta(cv.time_period(value))
    except OverflowError as err:
        msg = "expected a duration of at most 100 years"
        raise vol.Invalid(msg) from err
    if delta > MAX_LINK_LIFETIME:
        msg = "expected a duration of at most 100 years"
        raise vol.Invalid(msg)
    return delta


def int_between(low: int, high: int) -> Callable[[Any], int]:
    """Validate a whole number in a range."""

    def validate(value: Any) -> int:
        """Validate one number."""
        if isinstance(value, bool):
            msg = "expected a whole number"
            raise vol.Invalid(msg)
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError) as err:
            msg = "expected a whole number"
            raise vol.Invalid(msg) from err
        if isinstance(value, float) and number != value:
            msg = "expected a whole number"
            raise vol.Invalid(msg)
        if not low <= number <= high:
            msg = f"expected a number from {low} to {high}"
            raise vol.Invalid(msg)
        return number

    return validate


def _glob(value: Any) -> str:
    """Validate an include or exclude pattern."""
    return nonempty_text(value)


def list_of(validator: Callable[[Any], Any], *, maximum: int = MAX_ASSET_IDS) -> Any:
    """Accept one value or a list of them; drop duplicates and keep the order."""
    return vol.All(
        cv.ensure_list,
        vol.Length(max=maximum),
        [validator],
        lambda items: list(dict.fromkeys(items)),
    )


def validate(schema: Callable[[Any], Any], data: dict[str, Any]) -> dict[str, Any]:
    """Validate action data; bad data is a translated ServiceValidationError.

    Actions validate here rather than in the service registry, which would answer
    with a bare voluptuous error.
    """
    try:
        valid: dict[str, Any] = schema(data)
    except vol.Invalid as err:
        raise invalid(key="invalid_action_data", error=describe_invalid(err)) from err
    except (TypeError, ValueError, OverflowError) as err:  # pragma: no cover
        # A validator that let something other than vol.Invalid through.
        raise invalid(key="invalid_action_data", error=type(err).__name__) from err
    return valid


def describe_invalid(err: vol.Invalid) -> str:
    """Describe what was wrong with the action data, without echoing any value."""
    errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
    parts = []
    for item in errors[:3]:
        where = ".".join(str(step) for step in item.path) or "data"
        parts.append(f"{where}: {item.error_message}")
    return "; ".join(parts)


ENTRY: Final[dict[vol.Marker, Any]] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
ASSET_IDS: Final = list_of(_uuid)
_TAGS: Final = list_of(_tag_value, maximum=100)

UPLOAD_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_FILE_PATH, default=list): list_of(nonempty_text, maximum=100),
        vol.Optional(ATTR_CAMERA_ENTITY_ID, default=list): list_of(
            vol.All(cv.string, cv.entity_domain("camera")), maximum=20
        ),
        vol.Optional(ATTR_IMAGE_ENTITY_ID, default=list): list_of(
            vol.All(cv.string, cv.entity_domain("image")), maximum=20
        ),
        vol.Optional(ATTR_MEDIA, default=list): list_of(_media_id, maximum=100),
        vol.Optional(ATTR_URL, default=list): list_of(nonempty_text, maximum=20),
        vol.Optional(ATTR_MAX_SIZE, default=DEFAULT_URL_MAX_SIZE): int_between(
            1, MAX_URL_MAX_SIZE
        ),
        vol.Optional(ATTR_ALBUM): nonempty_text,
        vol.Optional(ATTR_TAGS, default=list): _TAGS,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_VISIBILITY): vol.In(VISIBILITIES),
        vol.Optional(ATTR_RESTORE_TRASHED, default=True): cv.boolean,
    }
)
SYNC_FOLDER_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_FOLDER): nonempty_text,
        vol.Optional(ATTR_RECURSIVE, default=True): cv.boolean,
        vol.Optional(ATTR_INCLUDE, default=list): list_of(_glob, maximum=50),
        vol.Optional(ATTR_EXCLUDE, default=list): list_of(_glob, maximum=50),
        vol.Exclusive(ATTR_ALBUM, "album"): nonempty_text,
        vol.Exclusive(ATTR_ALBUM_FROM_FOLDER, "album"): cv.boolean,
        vol.Optional(ATTR_TAGS, default=list): _TAGS,
        vol.Optional(ATTR_TAGS_FROM_SUBFOLDERS, default=False): cv.boolean,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
        vol.Optional(ATTR_DELETE_AFTER_UPLOAD, default=False): cv.boolean,
        vol.Optional(ATTR_RESTORE_TRASHED, default=True): cv.boolean,
        vol.Optional(ATTR_CONCURRENCY, default=4): int_between(1, MAX_CONCURRENCY),
    }
)
DOWNLOAD_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_FOLDER): nonempty_text,
        vol.Exclusive(ATTR_ALBUM, "source"): nonempty_text,
        vol.Exclusive(ATTR_ASSET_ID, "source"): ASSET_IDS,
        vol.Optional(ATTR_SIZE, default="original"): vol.In(ASSET_SIZES),
        vol.Optional(ATTR_NEWEST): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=10000)
        ),
    }
)
CREATE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_NAME): nonempty_text,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_ASSET_ID, default=list): ASSET_IDS,
    }
)
UPDATE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_ALBUM): nonempty_text,
        vol.Optional(ATTR_NAME): nonempty_text,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
DELETE_ALBUM_SCHEMA: Final = vol.Schema(
    {**ENTRY, vol.Required(ATTR_ALBUM): nonempty_text}
)
ALBUM_ASSETS_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_ALBUM): nonempty_text,
        vol.Required(ATTR_ASSET_ID): vol.All(ASSET_IDS, vol.Length(min=1)),
    }
)
SHARE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_ALBUM): nonempty_text,
        vol.Required(ATTR_USERS): vol.All(
            list_of(nonempty_text, maximum=100), vol.Length(min=1)
        ),
        vol.Optional(ATTR_ROLE, default="viewer"): vol.In(ALBUM_ROLES),
    }
)
CREATE_TAG_SCHEMA: Final = vol.Schema({**ENTRY, vol.Required(ATTR_NAME): _tag_value})
TAG_ASSETS_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_TAGS): vol.All(_TAGS, vol.Length(min=1)),
        vol.Required(ATTR_ASSET_ID): vol.All(ASSET_IDS, vol.Length(min=1)),
    }
)
CREATE_SHARED_LINK_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Exclusive(ATTR_ALBUM, "target"): nonempty_text,
        vol.Exclusive(ATTR_ASSET_ID, "target"): ASSET_IDS,
        vol.Exclusive(ATTR_EXPIRES_IN, "expiry"): duration,
        vol.Exclusive(ATTR_EXPIRES_AT, "expiry"): _moment,
        vol.Optional(ATTR_PASSWORD): vol.All(cv.string, vol.Length(min=1, max=200)),
        vol.Optional(ATTR_ALLOW_DOWNLOAD, default=True): cv.boolean,
        vol.Optional(ATTR_ALLOW_UPLOAD, default=False): cv.boolean,
        vol.Optional(ATTR_SHOW_METADATA, default=True): cv.boolean,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
DELETE_SHARED_LINK_SCHEMA: Final = vol.Schema(
    {**ENTRY, vol.Required(ATTR_LINK_ID): _uuid}
)
JOB_COMMAND_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_QUEUE): _queue,
        vol.Required(ATTR_COMMAND): vol.In(tuple(JOB_COMMANDS)),
        vol.Optional(ATTR_FORCE, default=False): cv.boolean,
    }
)
SCAN_LIBRARY_SCHEMA: Final = vol.Schema(
    {**ENTRY, vol.Optional(ATTR_LIBRARY): nonempty_text}
)
SEARCH_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_QUERY): nonempty_text,
        vol.Optional(ATTR_TAKEN_AFTER): _moment,
        vol.Optional(ATTR_TAKEN_BEFORE): _moment,
        vol.Optional(ATTR_CITY): nonempty_text,
        vol.Optional(ATTR_COUNTRY): nonempty_text,
        vol.Optional(ATTR_PERSON, default=list): list_of(nonempty_text, maximum=20),
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_TYPE): vol.In(tuple(ASSET_TYPES)),
        vol.Optional(ATTR_ALBUM): nonempty_text,
        vol.Optional(ATTR_TAGS, default=list): list_of(_tag_value, maximum=20),
        vol.Optional(ATTR_RATING): int_between(0, 5),
        vol.Optional(ATTR_ORDER, default="newest"): vol.In(SEARCH_ORDERS),
        vol.Optional(ATTR_PAGE, default=1): int_between(1, 100000),
        vol.Optional(ATTR_LIMIT, default=25): int_between(1, 1000),
    }
)


def _local_moment(value: Any) -> datetime:
    """Validate a date and time; one without a zone is in Home Assistant's zone."""
    moment = cv.datetime(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return moment


def _number_between(low: float, high: float) -> Callable[[Any], float]:
    """Validate a finite number (not a boolean) in a range."""

    def validate(value: Any) -> float:
        """Validate one number."""
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError) as err:
            msg = "expected a number"
            raise vol.Invalid(msg) from err
        if isinstance(value, bool) or not math.isfinite(number):
            msg = "expected a number"
            raise vol.Invalid(msg)
        if not low <= number <= high:
            msg = f"expected a number from {low:g} to {high:g}"
            raise vol.Invalid(msg)
        return number

    return validate


_IMAGE_ENTITIES: Final = list_of(
    vol.All(cv.string, cv.entity_domain("image")), maximum=MAX_IMAGE_ENTITIES
)

UPDATE_ASSETS_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_ASSET_ID, default=list): ASSET_IDS,
        vol.Optional(ATTR_IMAGE_ENTITY_ID, default=list): _IMAGE_ENTITIES,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_RATING): int_between(0, 5),
        vol.Optional(ATTR_VISIBILITY): vol.In(VISIBILITIES),
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_DATE_TIME): _local_moment,
        vol.Inclusive(ATTR_LATITUDE, "location"): _number_between(-90, 90),
        vol.Inclusive(ATTR_LONGITUDE, "location"): _number_between(-180, 180),
    }
)
DELETE_ASSETS_SCHEMA: Final = vol.Schema(
    {
        **ENTRY,
        vol.Exclusive(ATTR_ASSET_ID, "target"): ASSET_IDS,
        vol.Exclusive(ATTR_ALBUM, "target"): nonempty_text,
        vol.Optional(ATTR_OLDER_THAN): duration,
        vol.Optional(ATTR_MAX_ASSETS, default=DEFAULT_MAX_ASSETS): int_between(1, 1000),
        vol.Optional(ATTR_FORCE, default=False): cv.boolean,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)
RESTORE_ASSETS_SCHEMA: Final = vol.Schema(
    {**ENTRY, vol.Required(ATTR_ASSET_ID): vol.All(ASSET_IDS, vol.Length(min=1))}
)
EMPTY_TRASH_SCHEMA: Final = vol.Schema(ENTRY)
# The registry only passes the fields on (see `validate`); the frame validates them.
SHOW_ON_FRAME_FIELDS: Final[dict[str | vol.Marker, Any]] = {
    vol.Optional(ATTR_SOURCE): object,
    vol.Optional(ATTR_DURATION): object,
}
SHOW_ON_FRAME_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_SOURCE): cv.string,
        vol.Optional(ATTR_DURATION, default=DEFAULT_VISIT): cv.time_period,
    }
)
