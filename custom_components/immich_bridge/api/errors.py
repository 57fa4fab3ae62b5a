"""Define the exceptions raised by the Immich client."""

from __future__ import annotations


class ImmichError(Exception):
    """Represent any error raised by the Immich client."""


class ImmichConnectionError(ImmichError):
    """Represent a failure to reach the server (DNS, refused, reset, TLS)."""


class ImmichSSLError(ImmichConnectionError):
    """Represent a TLS failure; `certificate` is True when verification failed."""

    def __init__(self, message: str, *, certificate: bool = False) -> None:
        """Store the message and whether the certificate was refused."""
        super().__init__(message)
        self.certificate = certificate


class ImmichTimeoutError(ImmichConnectionError):
    """Represent a request that took longer than its timeout."""


class ImmichAuthenticationError(ImmichError):
    """Represent a refused API key (HTTP 401)."""


class ImmichPermissionError(ImmichError):
    """Represent a refused operation (HTTP 403); `permission` is None for admin-only."""

    def __init__(self, message: str, *, permission: str | None = None) -> None:
        """Store the message and the permission the server asked for."""
        super().__init__(message)
        self.permission = permission


class ImmichNotFoundError(ImmichError):
    """Represent a missing resource (HTTP 404)."""


class ImmichAmbiguousAlbumError(ImmichError):
    """Represent an album name that several visible albums share (none owned)."""

    def __init__(self, name: str, count: int) -> None:
        """Store the name and how many albums carry it."""
        super().__init__(f"{count} albums are named {name!r}")
        self.name = name
        self.count = count


class ImmichNoMatchError(ImmichError):
    """Represent a reference (an id or a name) that matches nothing the key sees.

    `kind` names what was looked for (album, tag, person, library, user); `ref` is
    the reference, or None when there is none of that kind at all.
    """

    def __init__(self, *, kind: str, ref: str | None = None) -> None:
        """Store what was looked for, and by which reference."""
        super().__init__(f"no {kind}" if ref is None else f"no {kind} {ref!r}")
        self.kind = kind
        self.ref = ref


class ImmichRateLimitError(ImmichError):
    """Represent a throttled request (HTTP 429); `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Store the message and the delay the server asked for."""
        super().__init__(message)
        self.retry_after = retry_after


class ImmichResponseError(ImmichError):
    """Represent a server error (5xx) or a body that is not what the API promises."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Store the message and the HTTP status (None when not from a status)."""
        super().__init__(message)
        self.status = status


class ImmichBadRequestError(ImmichResponseError):
    """Represent a request the server refused as invalid (other 4xx, e.g. 400)."""


class ImmichUnsupportedVersionError(ImmichError):
    """Represent a server older than the oldest supported Immich release."""

    def __init__(self, version: str, minimum: str) -> None:
        """Store both versions and build a message naming them."""
        super().__init__(
            f"GET /server/version: Immich server {version} is not supported; "
            f"Immich {minimum} or newer is required"
        )
        self.version = version
        self.minimum = minimum
