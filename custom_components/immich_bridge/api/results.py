"""Define the results of the client's writes: trash, bulk ids, uploads, transfers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from .models import Reader

type SyncStatus = Literal["uploaded", "duplicate", "failed", "skipped", "pending"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImmichTrashResult:
    """Represent how many assets a trash request restored or emptied."""

    count: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build from a TrashResponseDto."""
        return cls(count=Reader(cls.__name__, data).integer("count"))


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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
        r = Reader(cls.__name__, data)
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
