"""The library actions: job queues, library scans and search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .action_common import asset_summary, async_album
from .action_schemas import ASSET_TYPES, JOB_COMMANDS
from .api import (
    QUEUE_NAMES,
    STARTABLE_QUEUES,
    ImmichBadRequestError,
    ImmichClient,
    ImmichPermissionError,
    ImmichSearchFilters,
)
from .const import (
    ATTR_ALBUM,
    ATTR_CITY,
    ATTR_COMMAND,
    ATTR_COUNTRY,
    ATTR_FAVORITE,
    ATTR_FORCE,
    ATTR_LIBRARY,
    ATTR_LIMIT,
    ATTR_ORDER,
    ATTR_PAGE,
    ATTR_PERSON,
    ATTR_QUERY,
    ATTR_QUEUE,
    ATTR_RATING,
    ATTR_TAGS,
    ATTR_TAKEN_AFTER,
    ATTR_TAKEN_BEFORE,
    ATTR_TYPE,
    LOGGER,
)
from .helpers import invalid
from .resolve import async_libraries, async_people, async_tags

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry


# ---------------------------------------------------------------------- jobs


async def async_job_command(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> None:
    """Start, pause, resume or empty a job queue, or clear its failed jobs."""
    queue: str = data[ATTR_QUEUE]
    command: str = data[ATTR_COMMAND]
    coordinator = entry.runtime_data.queues
    known: Sequence[str] = QUEUE_NAMES
    if coordinator is not None and coordinator.data is not None:
        known = tuple(coordinator.data.queues) or QUEUE_NAMES
    if queue not in known:
        raise invalid(key="queue_not_found", queue=queue, queues=", ".join(known))
    if command == "start" and queue not in STARTABLE_QUEUES:
        raise invalid(key="queue_cannot_start", queue=queue)
    if data[ATTR_FORCE] and command != "start":
        raise invalid(key="force_needs_start")
    try:
        await entry.runtime_data.client.queue_command(
            queue, JOB_COMMANDS[command], force=data[ATTR_FORCE]
        )
    except ImmichBadRequestError as err:
        raise invalid(
            key="job_command_rejected", queue=queue, command=command, error=str(err)
        ) from err
    if coordinator is not None:
        await coordinator.async_request_refresh()


async def async_scan_library(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Scan one external library (by id or name) or all of them."""
    client = entry.runtime_data.client
    libraries = await async_libraries(client, data.get(ATTR_LIBRARY))
    for library in libraries:
        await client.scan_library(library.id)
    return {"library_ids": [library.id for library in libraries]}


# -------------------------------------------------------------------- search


async def _async_search_filters(
    entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> ImmichSearchFilters:
    """Turn the search action's fields into client filters."""
    filters: ImmichSearchFilters = {}
    after: datetime | None = data.get(ATTR_TAKEN_AFTER)
    before: datetime | None = data.get(ATTR_TAKEN_BEFORE)
    if after is not None:
        filters["taken_after"] = after
    if before is not None:
        filters["taken_before"] = before
        if after is not None and after > before:
            raise invalid(key="bad_time_range")
    if ATTR_CITY in data:
        filters["city"] = data[ATTR_CITY]
    if ATTR_COUNTRY in data:
        filters["country"] = data[ATTR_COUNTRY]
    if ATTR_FAVORITE in data:
        filters["is_favorite"] = data[ATTR_FAVORITE]
    if ATTR_TYPE in data:
        filters["type"] = ASSET_TYPES[data[ATTR_TYPE]]
    if ATTR_RATING in data:
        # 0 asks for unrated assets, which Immich matches with a null rating.
        filters["rating"] = data[ATTR_RATING] or None
    await _async_search_refs(entry, data, filters)
    return filters


async def _async_search_refs(
    entry: ImmichBridgeConfigEntry, data: dict[str, Any], filters: ImmichSearchFilters
) -> None:
    """Resolve the album, people and tags a search names into id filters."""
    if ATTR_ALBUM in data:
        filters["album_ids"] = [(await async_album(entry, data[ATTR_ALBUM])).id]
    client = entry.runtime_data.client
    if data[ATTR_PERSON]:
        people = await async_people(client, data[ATTR_PERSON])
        filters["person_ids"] = [person.id for person in people]
    if data[ATTR_TAGS]:
        tags = await async_tags(client, data[ATTR_TAGS], create=False)
        filters["tag_ids"] = [tag.id for tag in tags]


async def _async_search_total(
    client: ImmichClient, filters: ImmichSearchFilters
) -> int | None:
    """Count every match of a metadata search, or None without asset.statistics.

    Immich's own `total` in a search answer counts only the page.
    """
    try:
        return await client.search_statistics(**filters)
    except ImmichPermissionError:
        LOGGER.debug("The key may not count search results (asset.statistics)")
        return None


async def async_search(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Search by meaning (CLIP), by metadata or at random; return assets with links.

    `total` counts every match (all pages) of a metadata or random search; a smart
    search ranks the whole library and has no count, so its total is None.
    """
    client = entry.runtime_data.client
    query: str | None = data.get(ATTR_QUERY)
    order: str = data[ATTR_ORDER]
    page: int = data[ATTR_PAGE]
    if query is not None and order != "newest":
        raise invalid(key="search_order_with_query", order=order)
    if order == "random" and page > 1:
        raise invalid(key="search_random_page")
    filters = await _async_search_filters(entry, data)
    limit: int = data[ATTR_LIMIT]
    next_page: int | None = None
    total: int | None = None
    if query is not None:
        found = await client.search_smart(query, page=page, size=limit, **filters)
        items, next_page = list(found.items), found.next_page
    elif order == "random":
        items = await client.search_random(size=limit, **filters)
        total = await _async_search_total(client, filters)
    else:
        found = await client.search_metadata(
            page=page,
            size=limit,
            order="asc" if order == "oldest" else "desc",
            **filters,
        )
        items, next_page = list(found.items), found.next_page
        total = await _async_search_total(client, filters)
    assets = [asset_summary(client, asset) for asset in items[:limit]]
    return {
        "count": len(assets),
        "total": total,
        "page": page,
        "next_page": next_page,
        "assets": assets,
    }
