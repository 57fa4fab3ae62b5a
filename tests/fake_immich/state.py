"""In-memory data of the fake Immich server and helpers to fill it."""

from __future__ import annotations

import base64
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import secrets
from typing import TYPE_CHECKING
import uuid

from .jpeg import sample_jpeg

if TYPE_CHECKING:
    from collections.abc import Iterable

VIDEO_EXTENSIONS = frozenset(
    {
        ".3gp",
        ".3gpp",
        ".avi",
        ".flv",
        ".insv",
        ".m2t",
        ".m2ts",
        ".m4v",
        ".mkv",
        ".mov",
        ".mp4",
        ".mpe",
        ".mpeg",
        ".mpg",
        ".mts",
        ".mxf",
        ".ts",
        ".vob",
        ".webm",
        ".wmv",
    }
)
"""The video extensions Immich 2.7.5 accepts (``GET /server/media-types``)."""
IMAGE_EXTENSIONS = (
    *(".avif", ".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp"),
    *(".3fr", ".ari", ".arw", ".cap", ".cin", ".cr2", ".cr3", ".crw", ".dcr"),
    *(".dng", ".erf", ".fff", ".iiq", ".k25", ".kdc", ".mrw", ".nef", ".nrw"),
    *(".orf", ".ori", ".pef", ".psd", ".raf", ".raw", ".rw2", ".rwl", ".sr2"),
    *(".srf", ".srw", ".x3f", ".heic", ".heif", ".hif", ".insp", ".jp2", ".jpe"),
    *(".jxl", ".svg", ".tif", ".tiff"),
)
"""The image extensions of Immich 2.7.5, in its order (``GET /server/media-types``)."""
MIME_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".heic": "image/heic",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
}


def new_id() -> str:
    """Return a random UUID v4 (the v3 spec checks the version nibble)."""
    return str(uuid.uuid4())


def now() -> datetime:
    """Return the current UTC time, truncated to milliseconds like Immich."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime | None) -> str | None:
    """Format like Immich: ``2024-01-01T00:00:00.000Z``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def sha1_base64(data: bytes) -> str:
    """Return the base64 SHA-1 Immich stores as an asset checksum."""
    return base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324


AVATAR_COLORS = (
    "primary",
    "pink",
    "red",
    "yellow",
    "blue",
    "green",
    "purple",
    "orange",
    "gray",
    "amber",
)


def avatar_color(user: User) -> str:
    """Return the user's colour; unset, Immich derives it from the e-mail."""
    if user.avatar_color:
        return user.avatar_color
    return AVATAR_COLORS[sum(ord(letter) for letter in user.email) % len(AVATAR_COLORS)]


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Return ``(width, height)`` from a JPEG's SOF segment, or None."""
    index = 2
    while data.startswith(b"\xff\xd8") and index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4])
        if marker in {0xC0, 0xC1, 0xC2}:
            height = int.from_bytes(data[index + 5 : index + 7])
            width = int.from_bytes(data[index + 7 : index + 9])
            return width, height
        index += 2 + length
    return None


@dataclass(slots=True)
class User:
    """An Immich user."""

    id: str
    name: str
    email: str
    is_admin: bool = False
    avatar_color: str | None = None
    """None: derived from the e-mail, as Immich does (see :func:`avatar_color`)."""
    quota_size_in_bytes: int | None = None
    storage_label: str | None = None
    password: str | None = None
    should_change_password: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass(slots=True)
class ApiKey:
    """An API key of a user (``secret`` is what goes into ``x-api-key``)."""

    id: str
    secret: str
    user_id: str
    name: str
    permissions: tuple[str, ...]
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def grants(self, permission: str) -> bool:
        """Whether the key holds ``permission`` (``all`` grants everything)."""
        return "all" in self.permissions or permission in self.permissions


@dataclass(slots=True)
class Asset:
    """A photo or video; ``data`` holds the original bytes."""

    id: str
    owner_id: str
    data: bytes
    filename: str
    asset_type: str
    checksum: str
    taken_at: datetime
    file_created_at: datetime
    file_modified_at: datetime
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    is_favorite: bool = False
    visibility: str = "timeline"
    is_trashed: bool = False
    description: str = ""
    rating: int | None = None
    city: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    device_asset_id: str = ""
    device_id: str = "fake-immich"
    duration: str = "0:00:00.00000"
    width: int | None = None
    height: int | None = None
    library_id: str | None = None
    mime_type: str = "image/jpeg"
    original_path: str | None = None
    live_photo_video_id: str | None = None
    person_ids: list[str] = field(default_factory=list)
    utc_offset_hours: int = 0  # of the place it was taken

    @property
    def size(self) -> int:
        """Size of the original in bytes."""
        return len(self.data)

    @property
    def local_at(self) -> datetime:
        """When it was taken on the local clock (Immich's ``localDateTime``)."""
        return self.taken_at + timedelta(hours=self.utc_offset_hours)


@dataclass(slots=True)
class Album:
    """An album; ``users`` maps shared user ids to their role."""

    id: str
    owner_id: str
    name: str
    description: str = ""
    asset_ids: list[str] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    thumbnail_asset_id: str | None = None
    is_activity_enabled: bool = True
    order: str = "desc"
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    seq: int = 0
    """Creation order (``createdAt`` has millisecond resolution only)."""


@dataclass(slots=True)
class Tag:
    """A tag; ``value`` is the full path (``parent/child``)."""

    id: str
    owner_id: str
    name: str
    value: str
    parent_id: str | None = None
    color: str | None = None
    asset_ids: set[str] = field(default_factory=set)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass(slots=True)
class Person:
    """A recognised person."""

    id: str
    owner_id: str
    name: str
    is_hidden: bool = False
    is_favorite: bool = False
    birth_date: str | None = None
    color: str = "#4250af"
    updated_at: datetime = field(default_factory=now)
    thumbnail: bytes = b""
    # Faces on photos the stand-in doesn't hold (those it holds: Asset.person_ids).
    # Immich lists only people with faces on timeline photos.
    faces: int = 1


@dataclass(slots=True)
class Library:
    """An external library."""

    id: str
    owner_id: str
    name: str
    import_paths: list[str] = field(default_factory=list)
    exclusion_patterns: list[str] = field(default_factory=list)
    refreshed_at: datetime | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass(slots=True)
class SharedLink:
    """A public share link of an album or of single assets."""

    id: str
    user_id: str
    key: str
    link_type: str
    album_id: str | None = None
    asset_ids: list[str] = field(default_factory=list)
    slug: str | None = None
    expires_at: datetime | None = None
    allow_download: bool = True
    allow_upload: bool = False
    show_metadata: bool = True
    password: str | None = None
    description: str | None = None
    created_at: datetime = field(default_factory=now)


@dataclass(slots=True)
class Memory:
    """An "on this day" memory."""

    id: str
    owner_id: str
    year: int
    asset_ids: list[str]
    memory_at: datetime
    show_at: datetime | None = None
    is_saved: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass(slots=True)
class QueueState:
    """Counters and pause flag of one job queue."""

    is_paused: bool = False
    active: int = 0
    completed: int = 0
    failed: int = 0
    delayed: int = 0
    waiting: int = 0
    paused: int = 0

    def statistics(self) -> dict[str, int]:
        """Return the counters as Immich's ``QueueStatisticsDto``."""
        return {
            "active": self.active,
            "completed": self.completed,
            "failed": self.failed,
            "delayed": self.delayed,
            "waiting": self.waiting,
            "paused": self.paused,
        }


class ImmichState:
    """Everything the fake server knows; tests may read and change it freely."""

    def __init__(self, queue_names: Iterable[str]) -> None:
        """Start empty, with one idle queue per ``QueueName`` of the spec."""
        self.users: dict[str, User] = {}
        self.api_keys: dict[str, ApiKey] = {}
        """API keys by their secret value."""
        self.sessions: dict[str, ApiKey] = {}
        """Login sessions by their bearer token (they grant every permission)."""
        self.partners: dict[tuple[str, str], bool] = {}
        """``(shared_by, shared_with)`` -> ``inTimeline`` (partner sharing)."""
        self.assets: dict[str, Asset] = {}
        self.albums: dict[str, Album] = {}
        self.tags: dict[str, Tag] = {}
        self.people: dict[str, Person] = {}
        self.libraries: dict[str, Library] = {}
        self.shared_links: dict[str, SharedLink] = {}
        self.memories: dict[str, Memory] = {}
        # Groups of duplicate assets (Immich's duplicate detection), by group id.
        self.duplicates: dict[str, list[str]] = {}
        self.queues: dict[str, QueueState] = {
            name: QueueState() for name in queue_names
        }
        self.queue_commands: list[tuple[str, str, bool]] = []
        """``(queue, command, force)`` for every queue command received, in order."""
        self.library_scans: list[str] = []
        """Library ids in the order scans were requested."""
        self.disk_size = 500 * 1024**3
        self.disk_use = 123 * 1024**3
        self.disk_reserved = 0
        """Blocks neither used nor available (reserved for root, as on ext4)."""
        self.version_check_release: str | None = None
        self.version_check_at: datetime | None = None
        self.external_domain = ""
        self.login_page_message = ""
        self.trash_days = 30
        self.features: dict[str, bool] = {
            "smartSearch": True,
            "facialRecognition": True,
            "duplicateDetection": True,
            "map": True,
            "reverseGeocoding": True,
            "ocr": True,
            "trash": True,
            "search": True,
            "sidecar": True,
            "oauth": False,
            "oauthAutoLaunch": False,
            "passwordLogin": True,
            "email": False,
            "configFile": False,
            "importFaces": False,
            "realtimeTranscoding": False,
        }
        self._jpeg_counter = 0
        self._album_seq = 0

    # --- helpers ----------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        email: str,
        *,
        is_admin: bool = False,
        password: str | None = None,
    ) -> str:
        """Create a user and return its id."""
        user = User(
            id=new_id(), name=name, email=email, is_admin=is_admin, password=password
        )
        self.users[user.id] = user
        return user.id

    def add_session(self, user_id: str) -> str:
        """Log a user in and return the bearer token of the new session."""
        token = secrets.token_urlsafe(32)
        self.sessions[token] = ApiKey(
            id=new_id(), secret=token, user_id=user_id, name="session", permissions=()
        )
        return token

    def add_api_key(
        self,
        user_id: str,
        permissions: Iterable[str] = ("all",),
        name: str = "key",
    ) -> str:
        """Create an API key for ``user_id`` and return its secret value."""
        secret = secrets.token_urlsafe(30)
        self.api_keys[secret] = ApiKey(
            id=new_id(),
            secret=secret,
            user_id=user_id,
            name=name,
            permissions=tuple(permissions),
        )
        return secret

    def next_jpeg(self, label: str = "") -> bytes:
        """Return a new small JPEG that differs from all earlier ones."""
        self._jpeg_counter += 1
        return sample_jpeg(self._jpeg_counter, label=label)

    def add_asset(
        self,
        owner_id: str,
        *,
        data: bytes | None = None,
        filename: str = "IMG.jpg",
        asset_type: str = "IMAGE",
        taken_at: datetime | None = None,
        favorite: bool = False,
        description: str = "",
        city: str | None = None,
        country: str | None = None,
        utc_offset_hours: int = 0,
    ) -> str:
        """Store an asset (a new small JPEG unless ``data`` is given); return its id.

        ``taken_at`` is the moment (UTC); ``utc_offset_hours`` the offset of the place,
        which moves its local date and time (and so its timeline month).
        """
        if data is None:
            data = self.next_jpeg(filename)
        moment = taken_at or now()
        extension = filename[filename.rfind(".") :].lower() if "." in filename else ""
        size = jpeg_size(data)
        asset = Asset(
            id=new_id(),
            owner_id=owner_id,
            data=data,
            filename=filename,
            asset_type=asset_type,
            checksum=sha1_base64(data),
            taken_at=moment,
            file_created_at=moment,
            file_modified_at=moment,
            is_favorite=favorite,
            description=description,
            city=city,
            country=country,
            utc_offset_hours=utc_offset_hours,
            device_asset_id=f"{filename}-{len(data)}",
            duration="0:00:10.00000" if asset_type == "VIDEO" else "0:00:00.00000",
            width=size[0] if size else None,
            height=size[1] if size else None,
            mime_type=MIME_TYPES.get(extension, "application/octet-stream"),
        )
        self.assets[asset.id] = asset
        return asset.id

    def add_album(
        self,
        owner_id: str,
        name: str,
        *,
        asset_ids: Iterable[str] = (),
        description: str = "",
    ) -> str:
        """Create an album and return its id."""
        album = Album(
            id=new_id(),
            owner_id=owner_id,
            name=name,
            description=description,
            asset_ids=list(dict.fromkeys(asset_ids)),
        )
        album.thumbnail_asset_id = album.asset_ids[0] if album.asset_ids else None
        self._album_seq += 1
        album.seq = self._album_seq
        self.albums[album.id] = album
        return album.id

    def add_tag(self, owner_id: str, value: str) -> str:
        """Create a tag (and its missing parents, ``a/b`` style) and return its id."""
        parent_id: str | None = None
        tag_id = ""
        parts = [part for part in value.split("/") if part]
        for depth in range(len(parts)):
            path = "/".join(parts[: depth + 1])
            existing = self.find_tag(owner_id, path)
            if existing is None:
                existing = Tag(
                    id=new_id(),
                    owner_id=owner_id,
                    name=parts[depth],
                    value=path,
                    parent_id=parent_id,
                )
                self.tags[existing.id] = existing
            parent_id = tag_id = existing.id
        return tag_id

    def find_tag(self, owner_id: str, value: str) -> Tag | None:
        """Return the user's tag with the full path ``value``."""
        return next(
            (
                tag
                for tag in self.tags.values()
                if tag.owner_id == owner_id and tag.value == value
            ),
            None,
        )

    def add_person(
        self,
        owner_id: str,
        name: str,
        *,
        hidden: bool = False,
        birth_date: str | None = None,
        faces: int = 1,
    ) -> str:
        """Create a person (birth date as YYYY-MM-DD) and return its id.

        `faces` counts faces on photos the stand-in doesn't hold: with none (and none
        on its assets), the person is not listed, as in Immich.
        """
        person = Person(
            id=new_id(),
            owner_id=owner_id,
            name=name,
            is_hidden=hidden,
            birth_date=birth_date,
            faces=faces,
            thumbnail=self.next_jpeg(name),
        )
        self.people[person.id] = person
        return person.id

    def add_library(self, owner_id: str, name: str) -> str:
        """Create an external library and return its id."""
        library = Library(
            id=new_id(),
            owner_id=owner_id,
            name=name,
            import_paths=[f"/mnt/{name.lower().replace(' ', '-')}"],
        )
        self.libraries[library.id] = library
        return library.id

    def add_memory(
        self,
        owner_id: str,
        year: int,
        asset_ids: Iterable[str],
        *,
        days_ahead: int = 0,
    ) -> str:
        """Create an "on this day" memory shown today (or days ahead); return its id.

        Like Immich: `memoryAt` is that day in the year looked back to; `showAt` and
        `hideAt` bound the day it is shown.
        """
        shown = now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            days=days_ahead
        )
        try:
            memory_at = shown.replace(year=year)
        except ValueError:  # 29 February in a common year
            memory_at = shown.replace(year=year, day=28)
        memory = Memory(
            id=new_id(),
            owner_id=owner_id,
            year=year,
            asset_ids=list(asset_ids),
            memory_at=memory_at,
            show_at=shown,
        )
        self.memories[memory.id] = memory
        return memory.id

    def find_duplicate(self, owner_id: str, checksum: str) -> Asset | None:
        """Return the user's uploaded asset with this checksum (base64 or hex SHA-1).

        Assets of an external library never count, as on the real server: an upload
        only looks among uploaded assets, and ``bulk-upload-check`` never matches
        them either since Immich stores the SHA-1 of ``path:<file>`` as their
        checksum.
        """
        wanted = {checksum}
        with suppress(ValueError):
            wanted.add(base64.b64encode(bytes.fromhex(checksum)).decode())
        return next(
            (
                asset
                for asset in self.assets.values()
                if asset.owner_id == owner_id
                and asset.checksum in wanted
                and asset.library_id is None
            ),
            None,
        )

    def add_partner(
        self, shared_by: str, shared_with: str, *, in_timeline: bool = False
    ) -> None:
        """Let ``shared_with`` see the photos of ``shared_by`` (partner sharing)."""
        self.partners[shared_by, shared_with] = in_timeline

    def partner_ids(self, user_id: str, *, in_timeline: bool = False) -> set[str]:
        """Return the users who share their photos with ``user_id``.

        ``in_timeline``: only those the user shows in the timeline (what search and
        random use, as Immich's ``getUserIdsToSearch``).
        """
        return {
            by
            for (by, to), shown in self.partners.items()
            if to == user_id and (shown or not in_timeline) and by in self.users
        }

    def album_visible(self, album: Album, user_id: str) -> bool:
        """Whether the user owns the album or it is shared with them."""
        return album.owner_id == user_id or user_id in album.users

    def album_role(self, album: Album, user_id: str) -> str | None:
        """Return ``owner``, ``editor``, ``viewer`` or None (no access)."""
        if album.owner_id == user_id:
            return "owner"
        return album.users.get(user_id)

    def asset_shareable(self, asset: Asset, user_id: str) -> bool:
        """Immich's ``asset.share`` access: owned, or a partner's (timeline/hidden).

        This decides which assets a user may add to an album or a tag: never those
        the user only sees through a shared album.
        """
        if asset.owner_id == user_id:
            return asset.visibility != "locked"
        return (
            asset.owner_id in self.partner_ids(user_id)
            and not asset.is_trashed
            and asset.visibility in {"timeline", "hidden"}
        )

    def asset_visible(self, asset: Asset, user_id: str) -> bool:
        """Immich's ``asset.read``: owned, in an album the user sees, or a partner's."""
        if asset.owner_id == user_id or self.asset_shareable(asset, user_id):
            return True
        return any(
            asset.id in album.asset_ids and self.album_visible(album, user_id)
            for album in self.albums.values()
        )

    def search_owner_ids(self, user_id: str) -> set[str]:
        """Whose assets search and random return: the user's and timeline partners'."""
        return {user_id} | self.partner_ids(user_id, in_timeline=True)

    def album_has_link(self, album_id: str) -> bool:
        """Whether an album has a shared link."""
        return any(link.album_id == album_id for link in self.shared_links.values())

    def album_shared(self, album: Album) -> bool:
        """Immich's ``shared`` flag: shared with users or through a link."""
        return bool(album.users) or self.album_has_link(album.id)

    def seed(self, owner_id: str, other_id: str) -> None:
        """Fill the store with sample users, albums, tags, people, a library..."""
        bob = self.add_user("Bob", "bob@example.com")
        self.users[bob].avatar_color = "green"
        start = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
        places = [("Berlin", "Germany"), ("Paris", "France"), ("Oslo", "Norway")]
        names = ["beach", "sunset", "family", "birthday", "mountain", "city"]
        owned: list[str] = []
        for index in range(10):
            city, country = places[index % len(places)]
            owned.append(
                self.add_asset(
                    owner_id,
                    filename=f"IMG_{1000 + index}.jpg",
                    taken_at=start - timedelta(days=37 * index),
                    favorite=index % 4 == 0,
                    description=f"{names[index % len(names)]} in {city}",
                    city=city,
                    country=country,
                )
            )
        alice_assets = [
            self.add_asset(
                other_id,
                filename=f"alice_{index}.jpg",
                taken_at=start - timedelta(days=3 * index),
                description="garden",
            )
            for index in range(2)
        ]
        trips = self.add_album(
            owner_id, "Trips", asset_ids=owned[:6], description="Places we have been"
        )
        self.add_album(owner_id, "Favourites", asset_ids=owned[::4])
        self.add_album(owner_id, "Empty")
        shared = self.add_album(other_id, "Alice's garden", asset_ids=alice_assets)
        self.albums[shared].users[owner_id] = "viewer"
        self.albums[trips].users[other_id] = "editor"
        holiday = self.add_tag(owner_id, "holiday/summer")
        self.tags[holiday].asset_ids.update(owned[:3])
        self.add_tag(owner_id, "people/family")
        self.add_tag(owner_id, "best")
        people = [
            self.add_person(owner_id, "Anna"),
            self.add_person(owner_id, "Ben"),
            self.add_person(owner_id, "Carla"),
            self.add_person(owner_id, "", hidden=True),
        ]
        for index, asset_id in enumerate(owned):
            self.assets[asset_id].person_ids.append(people[index % 3])
        library = self.add_library(owner_id, "NAS Photos")
        self.assets[owned[-1]].library_id = library
        self.add_memory(owner_id, 2023, owned[:2])
        self.queues_set(
            thumbnailGeneration={"waiting": 3, "active": 1, "completed": 42}
        )
        self.version_check_release = "v9.9.9"
        self.version_check_at = now()

    def queues_set(self, **changes: dict[str, int | bool]) -> None:
        """Update queue fields, e.g. ``queues_set(library={"waiting": 2})``."""
        for name, values in changes.items():
            queue = self.queues.get(name)
            if queue is None:
                continue
            for key, value in values.items():
                setattr(queue, key, value)
