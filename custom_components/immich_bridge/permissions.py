"""What an Immich API key may read and do, and which features that unlocks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .api import ImmichApiKeyInfo


class Source(StrEnum):
    """A piece of server data the coordinators poll."""

    ABOUT = "about"
    VERSION_CHECK = "version_check"
    STORAGE = "storage"
    STATISTICS = "statistics"
    ASSET_STATISTICS = "asset_statistics"
    USER = "user"
    ALBUM_STATISTICS = "album_statistics"
    ALBUMS = "albums"
    PEOPLE = "people"
    TAGS = "tags"
    LIBRARIES = "libraries"
    QUEUES = "queues"
    LIBRARY_STATISTICS = "library_statistics"
    TRASH = "trash"
    DUPLICATES = "duplicates"


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """The key permissions (all of them) and user role something needs."""

    permissions: tuple[str, ...]
    admin: bool = False

    def met(self, key_info: ImmichApiKeyInfo, *, is_admin: bool) -> bool:
        """Return True when the key and the user satisfy the requirement."""
        if self.admin and not is_admin:
            return False
        return all(key_info.has(permission) for permission in self.permissions)

    def missing(self, key_info: ImmichApiKeyInfo) -> tuple[str, ...]:
        """Return the permissions the key lacks."""
        return tuple(p for p in self.permissions if not key_info.has(p))


SOURCE_REQUIREMENTS: Final[dict[Source, Requirement]] = {
    Source.ABOUT: Requirement(permissions=("server.about",)),
    Source.VERSION_CHECK: Requirement(permissions=("server.versionCheck",)),
    Source.STORAGE: Requirement(permissions=("server.storage",)),
    Source.STATISTICS: Requirement(permissions=("server.statistics",), admin=True),
    Source.ASSET_STATISTICS: Requirement(permissions=("asset.statistics",)),
    Source.USER: Requirement(permissions=("user.read",)),
    Source.ALBUM_STATISTICS: Requirement(permissions=("album.statistics",)),
    Source.ALBUMS: Requirement(permissions=("album.read",)),
    Source.PEOPLE: Requirement(permissions=("person.read",)),
    Source.TAGS: Requirement(permissions=("tag.read",)),
    Source.LIBRARIES: Requirement(permissions=("library.read",), admin=True),
    Source.QUEUES: Requirement(permissions=("queue.read",), admin=True),
    Source.LIBRARY_STATISTICS: Requirement(
        permissions=("library.read", "library.statistics"), admin=True
    ),
    Source.TRASH: Requirement(permissions=("asset.statistics",)),
    Source.DUPLICATES: Requirement(permissions=("duplicate.read",)),
}


def source_allowed(
    source: Source, key_info: ImmichApiKeyInfo, *, is_admin: bool
) -> bool:
    """Return True when a source may be polled with this key."""
    return SOURCE_REQUIREMENTS[source].met(key_info, is_admin=is_admin)


# What every key needs: nothing. Setting up reads the key's own info
# (GET /api-keys/me, allowed to any key); the account's name needs user.read.
ESSENTIAL: Final = Requirement(permissions=())

# Features a user recognises, each with all it needs; each one is proven on a real
# server (tests/real/test_permissions.py). Keys are translated under
# selector.feature.options in strings.json. Uploading is split into the abilities a
# careful user grants one by one (a camera uploader's key: asset.upload, album.read,
# album.create, albumAsset.create).
FEATURES: Final[dict[str, Requirement]] = {
    "account": Requirement(permissions=("user.read",)),
    "server_sensors": Requirement(
        permissions=("server.about", "server.storage", "server.versionCheck")
    ),
    "library_statistics": Requirement(
        permissions=("asset.statistics", "album.statistics", "album.read")
    ),
    "server_statistics": Requirement(permissions=("server.statistics",), admin=True),
    "people_and_tags": Requirement(permissions=("person.read", "tag.read")),
    "job_queues": Requirement(
        permissions=("queue.read", "queue.update", "queueJob.delete", "job.create"),
        admin=True,
    ),
    "libraries": Requirement(
        permissions=("library.read", "library.update"), admin=True
    ),
    "upload": Requirement(permissions=("asset.upload",)),
    "upload_to_album": Requirement(
        permissions=("asset.upload", "album.read", "albumAsset.create")
    ),
    "upload_to_new_album": Requirement(
        permissions=("asset.upload", "album.read", "album.create", "albumAsset.create")
    ),
    "upload_with_tags": Requirement(
        permissions=("asset.upload", "tag.read", "tag.create", "tag.asset")
    ),
    "upload_with_details": Requirement(permissions=("asset.upload", "asset.update")),
    # update_assets reads each asset first (unknown ids and other users' are refused).
    "edit_assets": Requirement(permissions=("asset.read", "asset.update")),
    # delete_assets, restore_assets, empty_trash; album.read for the album's old photos.
    "delete_assets": Requirement(
        permissions=("asset.read", "asset.delete", "album.read")
    ),
    "albums": Requirement(
        permissions=(
            "user.read",  # share_album finds users by e-mail or name
            "asset.read",
            "album.read",
            "album.create",
            "album.update",
            "album.delete",
            "albumAsset.create",
            "albumAsset.delete",
            "albumUser.create",
        )
    ),
    "tags": Requirement(
        permissions=("asset.read", "tag.read", "tag.create", "tag.asset")
    ),
    "shared_links": Requirement(
        permissions=(
            "asset.read",
            "album.read",
            "sharedLink.create",
            "sharedLink.read",
            "sharedLink.delete",
        )
    ),
    "search_and_photos": Requirement(
        permissions=(
            "asset.read",
            "asset.view",
            "asset.download",
            "album.read",
            "person.read",
            "tag.read",
            "memory.read",
        )
    ),
}


# What the photo parts need from the key: frames, the latest upload, asset events.
PHOTOS: Final = Requirement(permissions=("asset.read", "asset.view"))
MEMORIES: Final = Requirement(permissions=("asset.read", "asset.view", "memory.read"))
WATCH: Final = Requirement(permissions=("asset.read",))
# Immich opens its push connection (socket.io) only to keys with `all`.
PUSH: Final = Requirement(permissions=("all",))
PEOPLE: Final = Requirement(permissions=("person.read",))
# The calendars: birth dates come with the people, memories' days with the memories.
BIRTHDAYS: Final = PEOPLE
MEMORY_DAYS: Final = Requirement(permissions=("memory.read",))

# What the options can ask for, by the key of their label (selector.feature.options).
OPTION_NEEDS: Final[dict[str, Requirement]] = {
    "option_albums": SOURCE_REQUIREMENTS[Source.ALBUMS],
    "option_frames": PHOTOS,
    "option_memories": MEMORIES,
}


@dataclass(frozen=True, kw_only=True)
class FeatureReport:
    """Which features a key unlocks, and what the others would need."""

    unlocked: tuple[str, ...]
    locked: dict[str, tuple[str, ...]]
    needs_admin: tuple[str, ...]


def feature_report(key_info: ImmichApiKeyInfo, *, is_admin: bool) -> FeatureReport:
    """Sort the features into unlocked and locked for this key and user."""
    unlocked: list[str] = []
    locked: dict[str, tuple[str, ...]] = {}
    needs_admin: list[str] = []
    for feature, requirement in FEATURES.items():
        if requirement.met(key_info, is_admin=is_admin):
            unlocked.append(feature)
        elif requirement.admin and not is_admin:
            needs_admin.append(feature)
        else:
            locked[feature] = requirement.missing(key_info)
    return FeatureReport(
        unlocked=tuple(unlocked), locked=locked, needs_admin=tuple(needs_admin)
    )
