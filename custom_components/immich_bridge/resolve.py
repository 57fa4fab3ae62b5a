"""The one resolver: albums, tags, people, libraries and users by id or by name.

Actions and the photo frames' `show_on_frame` name things the way a person does;
every such reference is turned into the server's item here. A name that matches
nothing raises the client's ImmichNoMatchError; like the client's other errors
(an album name shared by several albums, a server answering beside the question)
it passes on to the error boundary (`helpers.py`), which translates it
(`<kind>_not_found`, a ServiceValidationError in actions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from .api import ImmichNoMatchError, ImmichResponseError, is_uuid
from .const import LOGGER

if TYPE_CHECKING:
    from .api import (
        ImmichAlbum,
        ImmichClient,
        ImmichLibrary,
        ImmichPerson,
        ImmichTag,
        ImmichUser,
    )


def by_id_or_name[T](
    items: Iterable[T],
    ref: str,
    *,
    item_id: Callable[[T], str],
    names: Callable[[T], Iterable[str]],
) -> T | None:
    """Return the first item whose id is `ref`, or one of whose names is (any case)."""
    folded = ref.casefold()
    return next(
        (
            item
            for item in items
            if item_id(item) == ref.lower()
            or any(name.casefold() == folded for name in names(item))
        ),
        None,
    )


async def async_find_album(
    client: ImmichClient, ref: str, *, owner_id: str | None
) -> ImmichAlbum | None:
    """Find an album the user sees (own or shared with them) by id or by name.

    Without the user (no user.read), a name shared by several albums asks the
    server who the key's user is: refused, that names the permission needed. A name
    still shared by several albums raises the client's ImmichAmbiguousAlbumError.
    """
    return await client.find_album(ref, owner_id=owner_id)


async def async_album(
    client: ImmichClient, ref: str, *, owner_id: str | None
) -> ImmichAlbum:
    """Return an existing album by id or name."""
    if (album := await async_find_album(client, ref, owner_id=owner_id)) is None:
        raise ImmichNoMatchError(kind="album", ref=ref)
    return album


async def async_album_or_create(
    client: ImmichClient, ref: str, *, owner_id: str | None
) -> ImmichAlbum:
    """Return an album by id or name, creating it by that name when missing."""
    if (album := await async_find_album(client, ref, owner_id=owner_id)) is not None:
        return album
    if is_uuid(ref):
        raise ImmichNoMatchError(kind="album", ref=ref)
    album = await client.create_album(ref)
    LOGGER.debug("Created album %s", album.id)
    return album


def _tag_match(existing: Sequence[ImmichTag], ref: str) -> ImmichTag | None:
    """Match a tag by id or full path; a bare name only when it is unique."""
    if (
        match := by_id_or_name(
            existing, ref, item_id=lambda tag: tag.id, names=lambda tag: (tag.value,)
        )
    ) is not None:
        return match
    folded = ref.casefold()
    named = [tag for tag in existing if tag.name.casefold() == folded]
    return named[0] if len(named) == 1 else None


async def async_tags(
    client: ImmichClient, refs: Sequence[str], *, create: bool
) -> list[ImmichTag]:
    """Return tags by id, path or name; create missing ones when asked."""
    if not refs:
        return []
    existing = await client.tags()
    found: dict[str, ImmichTag] = {}
    missing: list[str] = []
    for ref in refs:
        if (match := _tag_match(existing, ref)) is not None:
            found[ref] = match
        elif create and not is_uuid(ref):
            missing.append(ref)
        else:
            raise ImmichNoMatchError(kind="tag", ref=ref)
    if missing:
        created = await client.upsert_tags(missing)
        by_value = {tag.value.casefold(): tag for tag in created}
        for ref in missing:
            if (tag := by_value.get(ref.casefold())) is None:
                msg = "The server did not return a tag it created"
                raise ImmichResponseError(msg)
            found[ref] = tag
    return list({tag.id: tag for tag in found.values()}.values())


async def async_people(client: ImmichClient, refs: Sequence[str]) -> list[ImmichPerson]:
    """Return people by id or name (hidden ones too)."""
    people = (await client.people(with_hidden=True, size=1000)).people
    found: list[ImmichPerson] = []
    for ref in refs:
        match = by_id_or_name(
            people, ref, item_id=lambda p: p.id, names=lambda p: (p.name,)
        )
        if match is None:
            raise ImmichNoMatchError(kind="person", ref=ref)
        found.append(match)
    return found


async def async_libraries(client: ImmichClient, ref: str | None) -> list[ImmichLibrary]:
    """Return the external library named by id or name, or all of them (None)."""
    if not (libraries := await client.libraries()):
        raise ImmichNoMatchError(kind="external_library")
    if ref is None:
        return libraries
    match = by_id_or_name(
        libraries, ref, item_id=lambda lib: lib.id, names=lambda lib: (lib.name,)
    )
    if match is None:
        raise ImmichNoMatchError(kind="library", ref=ref)
    return [match]


async def async_users(client: ImmichClient, refs: Sequence[str]) -> list[ImmichUser]:
    """Return users by id or e-mail address."""
    users = await client.users()
    found: list[ImmichUser] = []
    for ref in refs:
        match = by_id_or_name(
            users, ref, item_id=lambda u: u.id, names=lambda u: (u.email,)
        )
        if match is None:
            raise ImmichNoMatchError(kind="user", ref=ref)
        found.append(match)
    return found
