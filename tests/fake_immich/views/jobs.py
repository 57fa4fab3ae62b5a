"""Handlers: queues and jobs, libraries, people."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.fake_immich import dto
from tests.fake_immich.state import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, now, sha1_base64

from .base import Call, FileReply, ImmichHTTPError, Reply, handles

if TYPE_CHECKING:
    from tests.fake_immich.state import ImmichState, Library


MIN_FACES = 3  # Immich's default facialRecognition.minFaces

STARTABLE_QUEUES = frozenset(
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
"""Queues that accept the legacy ``start`` command (Immich source)."""

DEFAULT_EXCLUSION_PATTERNS = (
    "**/@eaDir/**",
    "**/._*",
    "**/#recycle/**",
    "**/#snapshot/**",
    "**/.stversions/**",
    "**/.stfolder/**",
)
"""What a new library excludes unless told otherwise (Immich library service)."""

# --- queues and jobs ------------------------------------------------------------------


@handles("getQueues")
def queues(call: Call) -> Reply:
    """List every queue."""
    return Reply([dto.queue(name, q) for name, q in call.state.queues.items()])


@handles("getQueue")
def get_queue(call: Call) -> Reply:
    """Return one queue."""
    name = call.path["name"]
    return Reply(dto.queue(name, call.state.queues[name]))


@handles("updateQueue")
def update_queue(call: Call) -> Reply:
    """Pause or resume a queue."""
    name = call.path["name"]
    item = call.state.queues[name]
    if call.body.get("isPaused") is True and name == "backgroundTask":
        raise ImmichHTTPError(400, "The BackgroundTask queue cannot be paused")
    if "isPaused" in call.body:
        item.is_paused = call.body["isPaused"]
        call.state.queue_commands.append(
            (name, "pause" if item.is_paused else "resume", False)
        )
    return Reply(dto.queue(name, item))


@handles("emptyQueue")
def empty_queue(call: Call) -> Reply:
    """Drop waiting jobs (and failed ones with ``failed: true``)."""
    name = call.path["name"]
    item = call.state.queues[name]
    item.waiting = item.paused = 0  # BullMQ drain(): delayed jobs stay
    failed = bool(call.body.get("failed"))
    if failed:
        item.failed = 0
    call.state.queue_commands.append(
        (name, "clear-failed" if failed else "empty", False)
    )
    return Reply()


@handles("getQueuesLegacy")
def queues_legacy(call: Call) -> Reply:
    """Return the deprecated ``/jobs`` map."""
    return Reply({name: dto.queue_legacy(q) for name, q in call.state.queues.items()})


@handles("runQueueCommandLegacy")
def queue_command_legacy(call: Call) -> Reply:
    """Run ``start|pause|resume|empty|clear-failed`` (deprecated ``/jobs``)."""
    name = call.path["name"]
    item = call.state.queues[name]
    command = call.body["command"]
    force = bool(call.body.get("force"))
    if command == "start":
        if name not in STARTABLE_QUEUES:
            raise ImmichHTTPError(400, "Invalid job name")
        if item.active > 0:
            raise ImmichHTTPError(400, "Job is already running")
        item.waiting += max(1, len(call.state.assets) if force else 1)
    elif command in {"pause", "resume"}:
        if name == "backgroundTask":
            raise ImmichHTTPError(400, "Cannot pause the background task queue")
        item.is_paused = command == "pause"
    elif command == "empty":
        item.waiting = item.paused = 0  # BullMQ drain(): delayed jobs stay
    else:
        item.failed = 0
    call.state.queue_commands.append((name, command, force))
    return Reply(dto.queue_legacy(item))


# --- libraries ------------------------------------------------------------------------


@handles("getAllLibraries")
def libraries(call: Call) -> Reply:
    """List every library."""
    return Reply([dto.library(call.state, x) for x in call.state.libraries.values()])


def _library(call: Call, permission: str) -> Any:
    """Return the library of the path or raise."""
    item = call.state.libraries.get(call.path["id"])
    if item is None:
        call.deny(permission)
    return item


@handles("getLibrary")
def get_library(call: Call) -> Reply:
    """Return one library."""
    return Reply(dto.library(call.state, _library(call, "library.read")))


@handles("getLibraryStatistics")
def library_statistics(call: Call) -> Reply:
    """Count one library's assets (trashed ones too, as Immich does not tell apart)."""
    item = _library(call, "library.statistics")
    assets = [a for a in call.state.assets.values() if a.library_id == item.id]
    photos = sum(1 for a in assets if a.asset_type == "IMAGE")
    videos = sum(1 for a in assets if a.asset_type == "VIDEO")
    return Reply(
        {
            "photos": photos,
            "videos": videos,
            "total": photos + videos,
            "usage": sum(a.size for a in assets),
        }
    )


@handles("createLibrary")
def create_library(call: Call) -> Reply:
    """Create an external library (admin)."""
    body = call.body
    if body["ownerId"] not in call.state.users:
        raise ImmichHTTPError(400, "User not found")
    library_id = call.state.add_library(
        body["ownerId"], body.get("name") or "New External Library"
    )
    item = call.state.libraries[library_id]
    item.import_paths = list(body.get("importPaths", []))
    item.exclusion_patterns = list(
        body.get("exclusionPatterns", DEFAULT_EXCLUSION_PATTERNS)
    )
    return Reply(dto.library(call.state, item), 201)


@handles("deleteLibrary")
def delete_library(call: Call) -> Reply:
    """Delete a library and its assets."""
    item = _library(call, "library.delete")
    del call.state.libraries[item.id]
    for asset in [a for a in call.state.assets.values() if a.library_id == item.id]:
        del call.state.assets[asset.id]
    return Reply()


def _import_files(state: ImmichState, library: Library) -> None:
    """Import the media files under the library's folders that are new.

    Like Immich, an external asset's checksum is the SHA-1 of ``path:<file>``, not of
    its contents.
    """
    known = {a.original_path for a in state.assets.values() if a.library_id}
    for folder in library.import_paths:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            extension = path.suffix.lower()
            if str(path) in known or not path.is_file():
                continue
            if extension not in IMAGE_EXTENSIONS and extension not in VIDEO_EXTENSIONS:
                continue
            stat = path.stat()
            taken = datetime.fromtimestamp(stat.st_mtime, UTC)
            asset_id = state.add_asset(
                library.owner_id,
                data=path.read_bytes(),
                filename=path.name,
                asset_type="VIDEO" if extension in VIDEO_EXTENSIONS else "IMAGE",
                taken_at=taken,
            )
            asset = state.assets[asset_id]
            asset.library_id = library.id
            asset.original_path = str(path)
            asset.checksum = sha1_base64(f"path:{path}".encode())
            asset.device_asset_id = path.name
            asset.device_id = "Library Import"


@handles("scanLibrary")
def scan_library(call: Call) -> Reply:
    """Scan now (files under the import paths); recorded in ``state.library_scans``."""
    item = _library(call, "library.update")
    item.refreshed_at = now()
    _import_files(call.state, item)
    call.state.library_scans.append(item.id)
    queue = call.state.queues.get("library")
    if queue is not None:
        queue.waiting += 1
    return Reply()


# --- people ---------------------------------------------------------------------------


@handles("getAllPeople")
def all_people(call: Call) -> Reply:
    """Page through the caller's people with faces on timeline photos.

    Like Immich: a person without a visible face on a timeline asset is not listed,
    nor an unnamed one with fewer faces than the recognition's minimum (3).
    """
    faces = {p.id: p.faces for p in call.state.people.values()}
    for asset in call.state.assets.values():
        if asset.visibility == "timeline" and not asset.is_trashed:
            for person_id in asset.person_ids:
                faces[person_id] = faces.get(person_id, 0) + 1
    mine = [
        p
        for p in call.state.people.values()
        if p.owner_id == call.user_id
        and faces.get(p.id, 0) >= (1 if p.name else MIN_FACES)
    ]
    hidden = sum(1 for p in mine if p.is_hidden)
    listed = mine if call.flag("withHidden") else [p for p in mine if not p.is_hidden]
    page = int(float(call.query.get("page", "1")))
    size = int(float(call.query.get("size", "500")))
    chunk = listed[(page - 1) * size : page * size]
    return Reply(
        {
            "people": [dto.person(p) for p in chunk],
            "total": len(mine),
            "hidden": hidden,
            "hasNextPage": page * size < len(listed),
        }
    )


def _person(call: Call) -> Any:
    """Return the caller's person of the path or raise."""
    item = call.state.people.get(call.path["id"])
    if item is None or item.owner_id != call.user_id:
        call.deny("person.read")
    return item


@handles("getPerson")
def get_person(call: Call) -> Reply:
    """Return one person."""
    return Reply(dto.person(_person(call)))


@handles("getPersonThumbnail")
def person_thumbnail(call: Call) -> FileReply:
    """Serve a person's face thumbnail."""
    return FileReply(_person(call).thumbnail, "image/jpeg")
