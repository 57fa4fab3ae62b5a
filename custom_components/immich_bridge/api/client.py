"""Provide ImmichClient: one short coroutine per Immich endpoint.

The requests go through ImmichTransport (transport.py); uploads come from
ImmichUploads (upload.py). Folder sync and download are functions that use a
client (transfer.py, download.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
import logging
from typing import Final, Literal, Unpack

import aiohttp

from .assets import (
    ImmichAlbum,
    ImmichAlbumStatistics,
    ImmichAsset,
    ImmichAssetStatistics,
    ImmichDuplicateGroup,
    ImmichMemory,
    ImmichPeoplePage,
    ImmichSearchPage,
    ImmichSharedLink,
    ImmichTag,
    ImmichTimeBucket,
    ImmichTimelineAsset,
)
from .errors import (
    ImmichAmbiguousAlbumError,
    ImmichBadRequestError,
    ImmichNotFoundError,
    ImmichResponseError,
)
from .files import CHUNK_SIZE
from .models import (
    ImmichApiKeyInfo,
    ImmichLibrary,
    ImmichLibraryStatistics,
    ImmichMediaTypes,
    ImmichQueue,
    ImmichServerAbout,
    ImmichServerConfig,
    ImmichServerFeatures,
    ImmichServerStatistics,
    ImmichServerStorage,
    ImmichServerVersion,
    ImmichUser,
    ImmichVersionCheck,
    is_uuid,
    iso_utc,
    suggestions_from_api,
)
from .results import (
    ImmichBulkIdResult,
    ImmichTrashResult,
)
from .search import (
    ImmichMetadataFilters,
    ImmichRandomFilters,
    ImmichSearchFilters,
    SuggestionType,
    Visibility,
    search_body,
)
from .upload import DEVICE_FIELDS_BEFORE, ImmichUploads

_LOGGER: Final = logging.getLogger(__name__)

QUEUES_VERSION: Final = ImmichServerVersion(major=2, minor=4, patch=0)
_PAGE_SIZE: Final = 1000
_ASSET_READS: Final = 8  # assets read at once when an album lists only their ids
# Local times lie within this much of UTC (offsets run from -12 h to +14 h).
_LOCAL_MARGIN: Final = timedelta(hours=15)

type AssetSize = Literal["original", "fullsize", "preview", "thumbnail"]
# An album's timeline by month: (asset count, assets), kept between calls.
type TimelineCache = dict[str, tuple[int, list[ImmichTimelineAsset]]]
type QueueCommand = Literal["start", "pause", "resume", "empty", "clear-failed"]

# Queues of Immich 2.4 to 3.x; a loaded entry prefers the names the server reports.
QUEUE_NAMES: Final = (
    "thumbnailGeneration",
    "metadataExtraction",
    "videoConversion",
    "faceDetection",
    "facialRecognition",
    "smartSearch",
    "duplicateDetection",
    "backgroundTask",
    "storageTemplateMigration",
    "migration",
    "search",
    "sidecar",
    "library",
    "notifications",
    "backupDatabase",
    "ocr",
    "workflow",
    "editor",
    "integrityCheck",
)
# The queues that accept "start" (the server answers 400 for the others).
STARTABLE_QUEUES: Final = frozenset(
    {
        "thumbnailGeneration",
        "metadataExtraction",
        "videoConversion",
        "faceDetection",
        "facialRecognition",
        "smartSearch",
        "duplicateDetection",
        "sidecar",
        "library",
        "storageTemplateMigration",
        "migration",
        "backupDatabase",
        "ocr",
    }
)
type AlbumRole = Literal["editor", "viewer"]


@dataclass(eq=False)
class ImmichClient(ImmichUploads):
    """Talk to one Immich server with one API key."""

    # --------------------------------------------------------------------- server

    async def ping(self) -> bool:
        """Return whether the server answers its public ping."""
        data = await self._request("GET", "/server/ping")
        return isinstance(data, Mapping) and data.get("res") == "pong"

    async def about(self) -> ImmichServerAbout:
        """Return the server's build information."""
        return await self._get("/server/about", ImmichServerAbout.from_api)

    async def version_check(self) -> ImmichVersionCheck:
        """Return the newest release the server knows about."""
        return await self._get("/server/version-check", ImmichVersionCheck.from_api)

    async def features(self) -> ImmichServerFeatures:
        """Return the server's feature flags."""
        return await self._get("/server/features", ImmichServerFeatures.from_api)

    async def server_config(self) -> ImmichServerConfig:
        """Return the server's public configuration."""
        return await self._get("/server/config", ImmichServerConfig.from_api)

    async def storage(self) -> ImmichServerStorage:
        """Return the disk usage of the library."""
        return await self._get("/server/storage", ImmichServerStorage.from_api)

    async def statistics(self) -> ImmichServerStatistics:
        """Return server-wide statistics (admin only)."""
        return await self._get("/server/statistics", ImmichServerStatistics.from_api)

    async def media_types(self) -> ImmichMediaTypes:
        """Return the file extensions the server accepts."""
        return await self._get("/server/media-types", ImmichMediaTypes.from_api)

    # ---------------------------------------------------------------------- users

    async def me(self) -> ImmichUser:
        """Return the user that owns the API key."""
        return await self._get("/users/me", ImmichUser.from_api)

    async def api_key_info(self) -> ImmichApiKeyInfo:
        """Return the API key in use and its permissions."""
        return await self._get("/api-keys/me", ImmichApiKeyInfo.from_api)

    async def users(self) -> list[ImmichUser]:
        """Return the users the caller can see."""
        return await self._get_list("/users", ImmichUser.from_api)

    # --------------------------------------------------------------------- albums

    async def albums(
        self, *, shared: bool | None = None, asset_id: str | None = None
    ) -> list[ImmichAlbum]:
        """Return albums (owned and shared; `shared` narrows to one kind).

        With `asset_id`, return the albums holding that asset (`shared` is ignored).
        """
        params: dict[str, str] = {}
        if asset_id is not None:
            params["assetId"] = asset_id
        elif shared is not None:
            params["shared"] = _flag(shared)
        return await self._get_list(
            "/albums", ImmichAlbum.from_api, params=params or None
        )

    async def visible_albums(self) -> list[ImmichAlbum]:
        """Return every album the user sees (own and shared with them) once, by name.

        Two requests, merged by id: the unfiltered list may hold only the user's own
        albums (Immich's server returns its owned ones), `shared=true` adds the rest.
        """
        owned, shared = await asyncio.gather(self.albums(), self.albums(shared=True))
        albums = {album.id: album for album in (*owned, *shared)}
        return sorted(albums.values(), key=lambda album: album.name.casefold())

    async def find_album(
        self, ref: str, *, owner_id: str | None = None
    ) -> ImmichAlbum | None:
        """Find an album the user sees (own or shared with them) by id or by name.

        An id is read directly: a member may read an album it does not own. A name
        matches exactly, else ignoring case, among every visible album; when several
        match, the one `owner_id` (default: the key's user) owns wins, and without
        one ImmichAmbiguousAlbumError is raised.
        """
        if is_uuid(ref):
            try:
                return await self.album(ref.lower())
            except (ImmichNotFoundError, ImmichBadRequestError):
                pass  # not an album this user sees: perhaps a name after all
        albums = await self.visible_albums()
        matches = [a for a in albums if a.name == ref] or [
            a for a in albums if a.name.casefold() == ref.casefold()
        ]
        if len(matches) <= 1:
            return matches[0] if matches else None
        if owner_id is None:
            owner_id = (await self.me()).id
        owned = [album for album in matches if album.owner_id == owner_id]
        if len(owned) != 1:
            raise ImmichAmbiguousAlbumError(ref, len(matches))
        return owned[0]

    async def album(self, album_id: str) -> ImmichAlbum:
        """Return one album (without its asset list)."""
        params = None
        if await self._version() < DEVICE_FIELDS_BEFORE:
            params = {"withoutAssets": "true"}
        return await self._get(
            f"/albums/{album_id}", ImmichAlbum.from_api, params=params
        )

    async def album_statistics(self) -> ImmichAlbumStatistics:
        """Return the caller's album counts."""
        return await self._get("/albums/statistics", ImmichAlbumStatistics.from_api)

    async def create_album(
        self,
        name: str,
        *,
        description: str | None = None,
        asset_ids: Sequence[str] = (),
    ) -> ImmichAlbum:
        """Create an album, optionally with assets."""
        body: dict[str, object] = {"albumName": name}
        if description is not None:
            body["description"] = description
        if asset_ids:
            body["assetIds"] = list(asset_ids)
        return await self._send("POST", "/albums", ImmichAlbum.from_api, body)

    async def update_album(
        self,
        album_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        thumbnail_asset_id: str | None = None,
        is_activity_enabled: bool | None = None,
        order: Literal["asc", "desc"] | None = None,
    ) -> ImmichAlbum:
        """Change an album's name, description, cover, activity or order."""
        body = {
            key: value
            for key, value in (
                ("albumName", name),
                ("description", description),
                ("albumThumbnailAssetId", thumbnail_asset_id),
                ("isActivityEnabled", is_activity_enabled),
                ("order", order),
            )
            if value is not None
        }
        return await self._send(
            "PATCH", f"/albums/{album_id}", ImmichAlbum.from_api, body
        )

    async def delete_album(self, album_id: str) -> None:
        """Delete an album (its assets stay)."""
        await self._request("DELETE", f"/albums/{album_id}", expect="none")

    async def add_assets_to_album(
        self, album_id: str, asset_ids: Sequence[str]
    ) -> list[ImmichBulkIdResult]:
        """Add assets to an album ("duplicate" errors mean already there)."""
        return await self._send_list(
            "PUT",
            f"/albums/{album_id}/assets",
            ImmichBulkIdResult.from_api,
            {"ids": list(asset_ids)},
        )

    async def remove_assets_from_album(
        self, album_id: str, asset_ids: Sequence[str]
    ) -> list[ImmichBulkIdResult]:
        """Remove assets from an album."""
        return await self._send_list(
            "DELETE",
            f"/albums/{album_id}/assets",
            ImmichBulkIdResult.from_api,
            {"ids": list(asset_ids)},
        )

    async def share_album(
        self, album_id: str, users: Sequence[tuple[str, AlbumRole]]
    ) -> ImmichAlbum:
        """Share an album with users, each as (user id, role)."""
        body = {"albumUsers": [{"userId": uid, "role": role} for uid, role in users]}
        return await self._send(
            "PUT", f"/albums/{album_id}/users", ImmichAlbum.from_api, body
        )

    async def album_timeline(
        self, album_id: str, *, cache: TimelineCache | None = None
    ) -> list[ImmichTimelineAsset]:
        """Return the ids of an album's assets, newest first, whoever added them.

        The album's own timeline lists every member's photos; the search endpoints
        return only the caller's and its partners' assets. With a `cache` the caller
        keeps between calls, a month is read again only when its count changed: an
        unchanged album costs one request.
        """
        base = {"albumId": album_id, "order": "desc"}
        buckets = await self._get_list(
            "/timeline/buckets", ImmichTimeBucket.from_api, params=base
        )
        known = cache if cache is not None else {}
        months: TimelineCache = {}
        found: list[ImmichTimelineAsset] = []
        for bucket in buckets:
            month = known.get(bucket.time_bucket)
            if month is None or month[0] != bucket.count:
                data = await self._request(
                    "GET",
                    "/timeline/bucket",
                    params={**base, "timeBucket": bucket.time_bucket},
                )
                entries = [
                    asset
                    for asset in self._parse(
                        "GET /timeline/bucket", ImmichTimelineAsset.from_bucket, data
                    )
                    if not asset.is_trashed
                ]
                month = (bucket.count, entries)
            months[bucket.time_bucket] = month
            found.extend(month[1])
        if cache is not None:
            cache.clear()
            cache.update(months)
        return found

    async def album_assets(
        self, album_id: str, *, limit: int | None = None
    ) -> list[ImmichAsset]:
        """Return an album's assets (every member's), newest first, at most `limit`.

        Immich 2.x lists them in the album itself. 3.x lists their ids in the album's
        timeline; a metadata search fills in the user's own and partners' assets in
        pages, and the others' (which no search returns) are read one by one.
        """
        if await self._version() < DEVICE_FIELDS_BEFORE:
            album = await self._get(f"/albums/{album_id}", ImmichAlbum.from_api)
            assets = sorted(
                album.assets or (), key=lambda a: a.file_created_at, reverse=True
            )
            return assets if limit is None else assets[:limit]
        entries = await self.album_timeline(album_id)
        ids = list(dict.fromkeys(entry.id for entry in entries))[:limit]
        wanted = set(ids)
        found: dict[str, ImmichAsset] = {}
        page: int | None = 1
        while page is not None and len(found) < len(wanted):
            result = await self.search_metadata(
                page=page, size=_PAGE_SIZE, album_ids=[album_id], with_exif=True
            )
            found.update((a.id, a) for a in result.items if a.id in wanted)
            page = result.next_page if result.items else None
        slots = asyncio.Semaphore(_ASSET_READS)

        async def read(asset_id: str) -> None:
            async with slots:
                found[asset_id] = await self.asset(asset_id)

        await asyncio.gather(*(read(i) for i in ids if i not in found))
        assets = [found[asset_id] for asset_id in ids]
        return sorted(assets, key=lambda a: a.file_created_at, reverse=True)

    # --------------------------------------------------------------------- assets

    async def asset(self, asset_id: str) -> ImmichAsset:
        """Return one asset."""
        return await self._get(f"/assets/{asset_id}", ImmichAsset.from_api)

    async def update_asset(
        self,
        asset_id: str,
        *,
        is_favorite: bool | None = None,
        visibility: Visibility | None = None,
        description: str | None = None,
        rating: int | None = None,
    ) -> ImmichAsset:
        """Change an asset's favourite flag, visibility, description or rating."""
        body = {
            key: value
            for key, value in (
                ("isFavorite", is_favorite),
                ("visibility", visibility),
                ("description", description),
                ("rating", rating),
            )
            if value is not None
        }
        return await self._send(
            "PUT", f"/assets/{asset_id}", ImmichAsset.from_api, body
        )

    async def delete_assets(
        self, asset_ids: Sequence[str], *, force: bool = False
    ) -> None:
        """Move assets to the trash (or delete them for good with `force`)."""
        body = {"ids": list(asset_ids), "force": force}
        await self._request("DELETE", "/assets", json_body=body, expect="none")

    async def update_assets(
        self,
        asset_ids: Sequence[str],
        *,
        is_favorite: bool | None = None,
        visibility: Visibility | None = None,
        description: str | None = None,
        rating: int | None = None,
        date_time_original: datetime | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> None:
        """Change several of the caller's own assets at once (one request).

        `rating` 0 clears the rating (Immich stores "unrated" as null); a
        `date_time_original` keeps its UTC offset, which Immich takes as the photo's
        time zone. `latitude` and `longitude` go together.
        """
        body: dict[str, object] = {"ids": list(asset_ids)}
        body.update(
            _without_none(
                isFavorite=is_favorite,
                visibility=visibility,
                description=description,
                latitude=latitude,
                longitude=longitude,
                dateTimeOriginal=(
                    date_time_original.isoformat()
                    if date_time_original is not None
                    else None
                ),
            )
        )
        if rating is not None:
            body["rating"] = rating or None
        await self._request("PUT", "/assets", json_body=body, expect="none")

    async def asset_statistics(
        self,
        *,
        is_favorite: bool | None = None,
        is_trashed: bool | None = None,
        visibility: Visibility | None = None,
    ) -> ImmichAssetStatistics:
        """Return the caller's asset counts."""
        params = {
            key: _flag(value) if isinstance(value, bool) else value
            for key, value in (
                ("isFavorite", is_favorite),
                ("isTrashed", is_trashed),
                ("visibility", visibility),
            )
            if value is not None
        }
        return await self._get(
            "/assets/statistics", ImmichAssetStatistics.from_api, params=params or None
        )

    async def restore_assets(self, asset_ids: Sequence[str]) -> int:
        """Restore assets from the trash; return the count Immich answers.

        Immich counts the ids it was given, trashed or not.
        """
        result = await self._send(
            "POST",
            "/trash/restore/assets",
            ImmichTrashResult.from_api,
            {"ids": list(asset_ids)},
        )
        return result.count

    async def empty_trash(self) -> int:
        """Delete everything in the caller's trash for good; return how many."""
        data = await self._request("POST", "/trash/empty")
        return self._parse("POST /trash/empty", ImmichTrashResult.from_api, data).count

    async def thumbnail(self, asset_id: str, *, size: AssetSize = "preview") -> bytes:
        """Return an asset's thumbnail or preview image."""
        data: bytes = await self._request(
            "GET",
            f"/assets/{asset_id}/thumbnail",
            params={"size": size},
            expect="bytes",
        )
        return data

    async def original(self, asset_id: str) -> bytes:
        """Return an asset's original file in memory (stream big ones instead)."""
        data: bytes = await self._request(
            "GET", f"/assets/{asset_id}/original", expect="bytes", deadline=None
        )
        return data

    @asynccontextmanager
    async def open_asset(
        self,
        asset_id: str,
        *,
        size: AssetSize = "original",
        byte_range: str | None = None,
    ) -> AsyncIterator[ImmichAssetStream]:
        """Open an asset's original (or thumbnail) as a stream of chunks.

        `byte_range` is sent as the `Range` header (e.g. "bytes=0-1023"); the
        stream's `status` is then 206 and `content_range` names the part.
        """
        if size == "original":
            path, params = f"/assets/{asset_id}/original", None
        else:
            path, params = f"/assets/{asset_id}/thumbnail", {"size": size}
        async with self._open_stream(path, params, byte_range) as stream:
            yield stream

    @asynccontextmanager
    async def open_video(
        self, asset_id: str, *, byte_range: str | None = None
    ) -> AsyncIterator[ImmichAssetStream]:
        """Open a video's playback file (transcoded when needed) as a stream."""
        async with self._open_stream(
            f"/assets/{asset_id}/video/playback", None, byte_range
        ) as stream:
            yield stream

    @asynccontextmanager
    async def _open_stream(
        self, path: str, params: Mapping[str, str] | None, byte_range: str | None
    ) -> AsyncIterator[ImmichAssetStream]:
        """Open a binary download, optionally of one byte range."""
        async with self._open(
            "GET",
            path,
            params=params,
            headers={"Range": byte_range} if byte_range else None,
            deadline=None,
            sock_read=self.request_timeout,
        ) as response:
            yield ImmichAssetStream(response)

    async def person_thumbnail(self, person_id: str) -> bytes:
        """Return a person's face thumbnail (a JPEG)."""
        data: bytes = await self._request(
            "GET", f"/people/{person_id}/thumbnail", expect="bytes"
        )
        return data

    # ----------------------------------------------------------------------- tags

    async def tags(self) -> list[ImmichTag]:
        """Return every tag."""
        return await self._get_list("/tags", ImmichTag.from_api)

    async def upsert_tags(self, values: Sequence[str]) -> list[ImmichTag]:
        """Create tags by path ("a/b" creates a and a/b) or return existing ones."""
        return await self._send_list(
            "PUT", "/tags", ImmichTag.from_api, {"tags": list(values)}
        )

    async def tag_assets(
        self, tag_id: str, asset_ids: Sequence[str]
    ) -> list[ImmichBulkIdResult]:
        """Tag assets."""
        return await self._send_list(
            "PUT",
            f"/tags/{tag_id}/assets",
            ImmichBulkIdResult.from_api,
            {"ids": list(asset_ids)},
        )

    async def tag_assets_bulk(
        self, tag_ids: Sequence[str], asset_ids: Sequence[str]
    ) -> int:
        """Tag assets with several tags in one request; return the new links.

        One request, so Immich writes each asset's sidecar once with every tag: one
        request per tag raced its sidecar round trip, which dropped tags. Tags and
        assets the caller may not change are skipped by the server.
        """
        body = {"tagIds": list(tag_ids), "assetIds": list(asset_ids)}
        data = await self._request("PUT", "/tags/assets", json_body=body)
        count = data.get("count") if isinstance(data, Mapping) else None
        if not isinstance(count, int) or isinstance(count, bool):
            msg = "PUT /tags/assets: unexpected response: expected a count"
            raise ImmichResponseError(msg)
        return count

    async def untag_assets(
        self, tag_id: str, asset_ids: Sequence[str]
    ) -> list[ImmichBulkIdResult]:
        """Remove a tag from assets."""
        return await self._send_list(
            "DELETE",
            f"/tags/{tag_id}/assets",
            ImmichBulkIdResult.from_api,
            {"ids": list(asset_ids)},
        )

    # --------------------------------------------------------------- shared links

    async def shared_links(
        self, *, album_id: str | None = None
    ) -> list[ImmichSharedLink]:
        """Return the caller's shared links (optionally of one album)."""
        params = None if album_id is None else {"albumId": album_id}
        return await self._get_list(
            "/shared-links", ImmichSharedLink.from_api, params=params
        )

    async def create_shared_link(
        self,
        *,
        album_id: str | None = None,
        asset_ids: Sequence[str] = (),
        expires_at: datetime | None = None,
        password: str | None = None,
        allow_download: bool = True,
        allow_upload: bool = False,
        show_metadata: bool = True,
        description: str | None = None,
        slug: str | None = None,
    ) -> ImmichSharedLink:
        """Share an album, or a list of assets, through a public link."""
        if (album_id is None) == (not asset_ids):
            msg = "give either album_id or asset_ids"
            raise ValueError(msg)
        body: dict[str, object] = {
            "type": "ALBUM" if album_id is not None else "INDIVIDUAL",
            "allowDownload": allow_download,
            "allowUpload": allow_upload,
            "showMetadata": show_metadata,
        }
        if album_id is not None:
            body["albumId"] = album_id
        else:
            body["assetIds"] = list(asset_ids)
        body.update(
            _without_none(
                expiresAt=None if expires_at is None else iso_utc(expires_at),
                password=password,
                description=description,
                slug=slug,
            )
        )
        link = await self._send(
            "POST", "/shared-links", ImmichSharedLink.from_api, body
        )
        # Immich 2.7 answers a new album link without its `album`.
        if album_id is not None and link.album_id is None:
            link = replace(link, album_id=album_id)
        return link

    async def delete_shared_link(self, link_id: str) -> None:
        """Delete a shared link."""
        await self._request("DELETE", f"/shared-links/{link_id}", expect="none")

    def asset_web_url(self, asset_id: str) -> str:
        """Return the web page of an asset."""
        return f"{self.url}/photos/{asset_id}"

    def album_web_url(self, album_id: str) -> str:
        """Return the web page of an album."""
        return f"{self.url}/albums/{album_id}"

    async def shared_link_url(self, link: ImmichSharedLink) -> str:
        """Return a link's public URL, on the external domain when one is set."""
        config = await self.server_config()
        base = config.external_domain.strip().rstrip("/") or self.url
        if link.slug:
            return f"{base}/s/{link.slug}"
        return f"{base}/share/{link.key}"

    # --------------------------------------------------------------------- queues

    async def queues(self) -> list[ImmichQueue]:
        """Return every job queue (GET /queues; /jobs before Immich 2.4)."""
        if await self._version() >= QUEUES_VERSION:
            return await self._get_list("/queues", ImmichQueue.from_api)
        data = await self._request("GET", "/jobs")
        if not isinstance(data, Mapping):
            msg = "GET /jobs: unexpected response: expected an object"
            raise ImmichResponseError(msg)
        return [
            self._parse("GET /jobs", partial(ImmichQueue.from_legacy, name), value)
            for name, value in data.items()
        ]

    async def queue_command(
        self, name: str, command: QueueCommand, *, force: bool = False
    ) -> None:
        """Start, pause, resume, empty a queue or clear its failed jobs.

        "start" and "clear-failed" have no `/queues` equivalent: they use the deprecated
        `PUT /jobs/{name}` on every version. `DELETE /queues/{name}/jobs` with
        `failed: true` empties the queue first: waiting and paused jobs would be lost.
        "empty" drops the waiting and paused jobs and keeps the failed ones.
        """
        if command in ("start", "clear-failed") or (
            await self._version() < QUEUES_VERSION
        ):
            body = {"command": command, "force": force}
            await self._request("PUT", f"/jobs/{name}", json_body=body)
        elif command in ("pause", "resume"):
            body_q = {"isPaused": command == "pause"}
            await self._request("PUT", f"/queues/{name}", json_body=body_q)
        else:
            body_d = {"failed": False}
            await self._request(
                "DELETE", f"/queues/{name}/jobs", json_body=body_d, expect="none"
            )

    # ------------------------------------------------------ libraries and people

    async def libraries(self) -> list[ImmichLibrary]:
        """Return the external libraries (admin only)."""
        return await self._get_list("/libraries", ImmichLibrary.from_api)

    async def library_statistics(self, library_id: str) -> ImmichLibraryStatistics:
        """Return an external library's counts (admin only)."""
        return await self._get(
            f"/libraries/{library_id}/statistics", ImmichLibraryStatistics.from_api
        )

    async def scan_library(self, library_id: str) -> None:
        """Queue a scan of an external library (admin only)."""
        await self._request("POST", f"/libraries/{library_id}/scan", expect="none")

    async def people(
        self,
        *,
        with_hidden: bool = False,
        page: int | None = None,
        size: int | None = None,
    ) -> ImmichPeoplePage:
        """Return one page of recognised people."""
        params = {"withHidden": _flag(with_hidden)}
        if page is not None:
            params["page"] = str(page)
        if size is not None:
            params["size"] = str(size)
        return await self._get("/people", ImmichPeoplePage.from_api, params=params)

    async def duplicates(self) -> list[ImmichDuplicateGroup]:
        """Return the groups of duplicate assets Immich found."""
        return await self._get_list("/duplicates", ImmichDuplicateGroup.from_api)

    async def memories(
        self, *, for_date: datetime | None = None, is_saved: bool | None = None
    ) -> list[ImmichMemory]:
        """Return memories, optionally those of one day."""
        params: dict[str, str] = {}
        if for_date is not None:
            params["for"] = iso_utc(for_date)
        if is_saved is not None:
            params["isSaved"] = _flag(is_saved)
        return await self._get_list(
            "/memories", ImmichMemory.from_api, params=params or None
        )

    # --------------------------------------------------------------------- search

    async def search_metadata(
        self,
        *,
        page: int = 1,
        size: int = 100,
        **filters: Unpack[ImmichMetadataFilters],
    ) -> ImmichSearchPage:
        """Search assets by metadata, one page at a time (follow `next_page`)."""
        body = search_body(filters, page=page, size=size)
        return await self._send(
            "POST", "/search/metadata", ImmichSearchPage.from_api, body
        )

    async def search_statistics(self, **filters: Unpack[ImmichSearchFilters]) -> int:
        """Return how many assets match the filters (all pages, trash left out)."""
        data = await self._request(
            "POST", "/search/statistics", json_body=search_body(filters)
        )
        total = data.get("total") if isinstance(data, Mapping) else None
        if not isinstance(total, int) or isinstance(total, bool):
            msg = "POST /search/statistics: unexpected response: expected a total"
            raise ImmichResponseError(msg)
        return total

    async def search_smart(
        self,
        query: str,
        *,
        page: int = 1,
        size: int = 100,
        language: str | None = None,
        **filters: Unpack[ImmichSearchFilters],
    ) -> ImmichSearchPage:
        """Search assets by meaning (CLIP), one page at a time."""
        body = search_body(
            filters, query=query, page=page, size=size, language=language
        )
        return await self._send(
            "POST", "/search/smart", ImmichSearchPage.from_api, body
        )

    async def search_random(
        self, *, size: int = 1, **filters: Unpack[ImmichRandomFilters]
    ) -> list[ImmichAsset]:
        """Return random assets that match the filters."""
        body = search_body(filters, size=size)
        return await self._send_list(
            "POST", "/search/random", ImmichAsset.from_api, body
        )

    async def search_suggestions(
        self,
        kind: SuggestionType,
        *,
        country: str | None = None,
        state: str | None = None,
    ) -> list[str]:
        """Return the distinct values of a field in the caller's timeline, sorted.

        The caller's and its timeline partners' assets count, not the archived,
        hidden or trashed ones; `country` and `state` narrow states and cities.
        """
        params: dict[str, str] = {"type": kind}
        if country is not None:
            params["country"] = country
        if state is not None:
            params["state"] = state
        data = await self._request("GET", "/search/suggestions", params=params)
        return self._parse("GET /search/suggestions", suggestions_from_api, data)

    async def city_assets(self) -> list[ImmichAsset]:
        """Return one photo of each city in the caller's timeline, by city name."""
        return await self._get_list("/search/cities", ImmichAsset.from_api)

    # ------------------------------------------------------------------- timeline

    async def time_buckets(self) -> list[ImmichTimeBucket]:
        """Return the months of the caller's timeline with their counts, newest first.

        Partners who share into the caller's timeline count, as in Immich's
        timeline; a month is the month of the assets' local date and time.
        """
        params = {"visibility": "timeline", "withPartners": "true", "order": "desc"}
        return await self._get_list(
            "/timeline/buckets", ImmichTimeBucket.from_api, params=params
        )

    async def month_assets(
        self, year: int, month: int, *, limit: int = _PAGE_SIZE
    ) -> list[ImmichAsset]:
        """Return a month's timeline assets (by local date), newest first.

        The timeline groups by local date and time, the search filters by UTC: ask
        for the month with a margin either side, keep what was taken in it locally.
        """
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        found: list[ImmichAsset] = []
        page: int | None = 1
        while page is not None and len(found) < limit:
            result = await self.search_metadata(
                page=page,
                size=_PAGE_SIZE,
                taken_after=start - _LOCAL_MARGIN,
                taken_before=end + _LOCAL_MARGIN,
                visibility="timeline",
                order="desc",
            )
            found.extend(
                asset for asset in result.items if start <= _local_time(asset) < end
            )
            page = result.next_page if result.items else None
        found.sort(key=_local_time, reverse=True)
        return found[:limit]


class ImmichAssetStream:
    """Read an asset's bytes from an open response."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        """Wrap an open response."""
        self._response = response

    @property
    def size(self) -> int | None:
        """Return the announced size in bytes, if any."""
        return self._response.content_length

    @property
    def content_type(self) -> str:
        """Return the announced MIME type."""
        return self._response.content_type

    @property
    def status(self) -> int:
        """Return the HTTP status (206 for a byte range)."""
        return self._response.status

    @property
    def content_range(self) -> str | None:
        """Return the Content-Range of a partial answer, if any."""
        return self._response.headers.get("Content-Range")

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most `chunk_size` bytes."""
        async for chunk in self._response.content.iter_chunked(chunk_size):
            yield chunk


def image_content_type(data: bytes) -> str:
    """Return the MIME type of Immich's preview (JPEG or WebP, by server setting)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg"


def _local_time(asset: ImmichAsset) -> datetime:
    """Return when an asset was taken, on the clock where it was taken (tagged UTC)."""
    return asset.local_date_time or asset.file_created_at


def _without_none(**values: object) -> dict[str, object]:
    """Return the keyword arguments that are not None."""
    return {key: value for key, value in values.items() if value is not None}


def _flag(value: bool) -> str:  # noqa: FBT001  # a plain converter
    """Format a boolean query parameter."""
    return "true" if value else "false"


__all__ = [
    "ImmichAssetStream",
    "ImmichClient",
    "TimelineCache",
    "image_content_type",
    "is_uuid",
]
