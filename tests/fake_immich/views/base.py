"""The handler machinery: the call, the replies, the registry and album roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import random
from typing import TYPE_CHECKING, Any, NoReturn

from tests.fake_immich.state import Album, Asset, Tag

if TYPE_CHECKING:
    from aiohttp import web
    from multidict import MultiMapping

    from tests.fake_immich.spec import ImmichSpec, Operation
    from tests.fake_immich.state import ApiKey, ImmichState, User


ALBUM_ROLES = {
    "album.read": "viewer",
    "album.download": "viewer",
    "albumAsset.create": "editor",
    "albumAsset.delete": "editor",
    "album.update": "editor",
    "album.share": "editor",
    "album.delete": "owner",
}
"""The least album role each permission needs (Immich ``utils/access.ts``)."""
_ROLES_AT_LEAST = {
    "owner": {"owner", "editor", "viewer"},
    "editor": {"editor", "viewer"},
    "viewer": {"viewer"},
}


class ImmichHTTPError(Exception):
    """An error answered with Immich's error body."""

    def __init__(self, status: int, message: str | list[str]) -> None:
        """Remember status and message."""
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Reply:
    """A JSON reply; ``status`` None means the operation's documented success status."""

    data: Any = None
    status: int | None = None


@dataclass(slots=True)
class FileReply:
    """A binary reply (served with HTTP Range support)."""

    data: bytes
    content_type: str
    filename: str | None = None


@dataclass(slots=True)
class UploadForm:
    """Fields and files of a multipart request."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)


@dataclass(slots=True)
class Call:
    """Everything a handler needs about one request."""

    request: web.Request
    operation: Operation
    spec: ImmichSpec
    state: ImmichState
    path: dict[str, str]
    query: MultiMapping[str]
    user: User | None
    key: ApiKey | None
    body: Any = None
    form: UploadForm | None = None
    rng: random.Random = field(default_factory=random.Random)

    @property
    def user_id(self) -> str:
        """The caller's user id (every non-public operation has one)."""
        assert self.user is not None
        return self.user.id

    @property
    def v2(self) -> bool:
        """Whether the active spec is the v2 flavour."""
        return self.spec.is_v2

    def flag(self, name: str) -> bool | None:
        """Return a boolean query parameter (None when absent)."""
        value = self.query.get(name)
        return None if value is None else value.lower() == "true"

    def deny(self, permission: str) -> NoReturn:
        """Raise Immich's access error (it answers 400, not 404, for unknown ids)."""
        raise ImmichHTTPError(400, f"Not found or no {permission} access")

    def asset(self, asset_id: str, permission: str = "asset.read") -> Asset:
        """Return a visible asset or raise the access error.

        A locked asset needs a session unlocked with the PIN: an API key never has one.
        """
        item = self.state.assets.get(asset_id)
        if (
            item is None
            or not self.state.asset_visible(item, self.user_id)
            or item.visibility == "locked"
        ):
            self.deny(permission)
        return item

    def album(self, album_id: str, permission: str = "album.read") -> Album:
        """Return the album if the caller's role allows ``permission``, else raise.

        As Immich's access checks: viewers may read and download, editors may also
        add and remove assets, update and share, only the owner may delete.
        """
        item = self.state.albums.get(album_id)
        role = None if item is None else self.state.album_role(item, self.user_id)
        if item is None or role is None:
            self.deny(permission)
        if ALBUM_ROLES.get(permission, "owner") not in _ROLES_AT_LEAST[role]:
            self.deny(permission)
        return item

    def tag(self, tag_id: str, permission: str = "tag.read") -> Tag:
        """Return an own tag or raise the access error."""
        item = self.state.tags.get(tag_id)
        if item is None or item.owner_id != self.user_id:
            self.deny(permission)
        return item


Handler = Callable[[Call], Reply | FileReply]
HANDLERS: dict[str, Handler] = {}


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``operation_id``."""

    def register(func: Handler) -> Handler:
        """Store the handler."""
        HANDLERS[operation_id] = func
        return func

    return register


def parse_time(value: str | None) -> datetime | None:
    """Parse an ISO date-time (``Z`` allowed)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
