"""The stand-in answers like the real server: one script, both servers, compared.

One scripted sequence of requests (users made by the admin, logins, keys with limited
permissions, shared albums with editor and viewer roles, partners, permission denials,
a bad key, duplicates and an external library, search and random, album lists, their
order and statistics, asset statistics by visibility, shared links, an album's
timeline, the server endpoints the integration reads, queue pause/empty/clear) runs
against the stand-in (``tests/fake_immich``, v2.7.5 flavour) and against the real
Immich 2.7.5. Each step records the status and the body, pruned to the fields the spec
declares (what the integration may rely on) and normalised:

* ids become the names the script gave them (``album:shared``, ``user:bob``...), any
  other id a placeholder in order of first appearance, so relationships are compared;
* dates, checksums, secrets, tokens, e-mails and paths are masked (only whether they
  are set is compared);
* error bodies keep ``statusCode``, ``error`` and ``message``;
* a step may compare a *view* of the body where the rest depends on other tests'
  data or on timing (a queue's counters, the order of a random sample).

Every remaining difference is listed in :data:`ALLOWED` (``"<step> <path>"`` -> why).
The test fails on a difference that is not listed *and* on a listed one that no
longer differs, so the list stays honest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
import shutil
import tempfile
import time
from typing import Any
import uuid

import aiohttp
import pytest

from tests.fake_immich import FakeImmich
from tests.fake_immich.plugin import require_spec
from tests.fake_immich.spec import load_spec
from tests.reliability.guards import register_secret as register

from .harness import ImmichApi, jpeg, sha1_hex

_NO_ML = (
    "the real test server runs with machine learning off "
    "(../shared/immich/server/README.md); the stand-in models a server with it on, "
    "so the fast tier exercises the features that need it"
)
ALLOWED: dict[str, str] = {
    "features $.duplicateDetection": _NO_ML,
    "features $.facialRecognition": _NO_ML,
    "features $.ocr": _NO_ML,
    "features $.smartSearch": _NO_ML,
    "smart search status": _NO_ML,
    "smart search $": _NO_ML,
    "config $.isOnboarded": (
        "the real instance is fresh: the tool creates its admin through the API and "
        "nobody went through the web onboarding; the stand-in models a server in use"
    ),
    "about $.repository": (
        "the source build sets no IMMICH_REPOSITORY (build metadata of the official "
        "image), so the real server answers null; the stand-in answers like the image"
    ),
}
"""Differences that remain, ``"<step> <json path>"`` -> the reason."""

_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
MASKED = frozenset(
    {
        "accessToken",
        "checksum",
        "correlationId",
        "deviceAssetId",
        "email",
        "key",
        "originalPath",
        "secret",
        "thumbhash",
        "thumbnailPath",
        "userEmail",
    }
)
"""Keys whose value is random or per server: only set/unset is compared."""

type View = Callable[[Any], Any]


@dataclass
class Step:
    """What one step answered, normalised."""

    name: str
    status: int
    body: Any


@dataclass
class Run:
    """One pass of the script against one server."""

    url: str
    admin_key: str
    session: aiohttp.ClientSession
    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    tag: str = ""
    """Makes names unique on the server; the same in both runs (the avatar colour
    derives from the e-mail)."""
    data: dict[str, bytes] = field(default_factory=dict)
    """Bytes of every named file, shared by both runs."""
    folder: Path = Path()
    """The external library's folder (holds ``library.jpg``), shared by both runs."""

    def id(self, name: str) -> str:
        """Return the server's id of a named thing."""
        return self.ids[name]

    async def send(
        self,
        method: str,
        path: str,
        *,
        actor: str = "admin",
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        data: aiohttp.FormData | None = None,
    ) -> tuple[int, Any]:
        """Send one request as ``actor`` (a key name, ``token:<user>`` or ``raw:``)."""
        headers: dict[str, str] = {}
        if actor.startswith("token:"):
            headers["Authorization"] = f"Bearer {self.tokens[actor[6:]]}"
        elif actor.startswith("raw:"):
            if actor[4:]:
                headers["x-api-key"] = actor[4:]
        else:
            headers["x-api-key"] = (
                self.admin_key if actor == "admin" else self.keys[actor]
            )
        async with self.session.request(
            method,
            f"{self.url}/api{path}",
            headers=headers,
            json=json_body,
            params=params,
            data=data,
        ) as response:
            raw = await response.read()
            if "json" in response.content_type and raw:
                return response.status, json.loads(raw)
            if raw and response.status < 300:  # a file: which bytes, not their type
                return response.status, {"sha1": sha1_hex(raw), "size": len(raw)}
            return response.status, None

    async def step(
        self,
        name: str,
        method: str,
        path: str,
        *,
        actor: str = "admin",
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        data: aiohttp.FormData | None = None,
        view: View | None = None,
    ) -> Any:
        """Send a request and record its normalised answer; return the raw body."""
        status, body = await self.send(
            method, path, actor=actor, json_body=json_body, params=params, data=data
        )
        shown: Any
        if status >= 400 and isinstance(body, dict):
            shown = {k: body.get(k) for k in ("statusCode", "error", "message")}
        elif status >= 400:
            shown = body
        else:
            shown = _prune(method, path, body)
            if view is not None:
                shown = view(shown)
        self.steps.append(Step(name, status, shown))
        return body

    async def upload(
        self, name: str, actor: str, asset: str, data: bytes | None = None
    ) -> Any:
        """Upload a file (fresh bytes unless given) and name the asset."""
        if data is None:
            data = self.data.setdefault(asset, jpeg(asset))
        self.files.setdefault(asset, data)
        moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=len(self.files))
        form = aiohttp.FormData()
        form.add_field("deviceAssetId", f"diff-{sha1_hex(data)}")
        form.add_field("deviceId", "immich-bridge-differential")
        form.add_field("fileCreatedAt", moment.isoformat())
        form.add_field("fileModifiedAt", moment.isoformat())
        form.add_field(
            "assetData", data, filename=f"{asset}.jpg", content_type="image/jpeg"
        )
        body = await self.step(
            name, "POST", "/assets", actor=actor, data=form, view=_pick("id", "status")
        )
        if body["id"] not in self.ids.values():
            self.ids[f"asset:{asset}"] = body["id"]
        return body

    async def wait_idle(self, within: float = 60) -> None:
        """Wait until metadata and thumbnail jobs are done (not a step)."""
        deadline = time.monotonic() + within
        while True:
            _, queues = await self.send("GET", "/queues")
            busy = [
                q["name"]
                for q in queues
                if q["name"] in {"metadataExtraction", "thumbnailGeneration", "sidecar"}
                and not q["isPaused"]
                and (q["statistics"]["active"] or q["statistics"]["waiting"])
            ]
            if not busy or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.2)


def _prune(method: str, path: str, body: Any) -> Any:
    """Keep only the fields the v2.7.5 spec declares for this response."""
    spec = load_spec("v2")
    found = spec.match(method, path.split("?", 1)[0])
    if found is None or body is None:
        return body
    schema = spec.response_schema(found[0])
    return body if schema is None else spec.prune(schema, body)


def _pick(*keys: str) -> View:
    """View: only these keys of an object."""

    def view(body: Any) -> Any:
        return {key: body.get(key) for key in keys}

    return view


def _each(*keys: str) -> View:
    """View: these keys of every item of a list (order kept)."""

    def view(body: Any) -> Any:
        return [{key: item.get(key) for key in keys} for item in body]

    return view


def _search_ids(body: Any) -> Any:
    """View: the ids a metadata search found (in order) and its paging fields."""
    assets = body["assets"]
    return {
        "ids": [item["id"] for item in assets["items"]],
        "total": assets["total"],
        "count": assets["count"],
        "nextPage": assets["nextPage"],
    }


def _cities(body: Any) -> Any:
    """View: the place and type of each photo per city (which photo is arbitrary)."""
    return [
        {
            "city": item["exifInfo"]["city"],
            "country": item["exifInfo"]["country"],
            "type": item["type"],
            "visibility": item["visibility"],
        }
        for item in body
    ]


class Unordered(list[Any]):
    """A list compared without regard to order (sorted once normalised)."""


def _sorted_ids(body: Any) -> Any:
    """View: the ids of a list of assets, in no particular order."""
    return Unordered(item["id"] for item in body)


def _album(body: Any) -> Any:
    """View: an album with its assets reduced to their ids."""
    return {
        **body,
        "assets": [item["id"] for item in body.get("assets", [])],
    }


def _shared_link(body: Any) -> Any:
    """View: a shared link with its album reduced to the album's id."""
    album = body.get("album")
    return {**body, "album": album["id"] if album else album}


def _queue(body: Any) -> Any:
    """View: a queue without its counters (other jobs of the server move them)."""
    return {"name": body["name"], "isPaused": body["isPaused"]}


class Normaliser:
    """Replace ids by names and mask volatile values."""

    def __init__(self, ids: Mapping[str, str]) -> None:
        """Know the run's named ids."""
        self.names = {value: name for name, value in ids.items()}
        self.others: dict[str, str] = {}

    def __call__(self, value: Any, key: str | None = None) -> Any:
        """Return the normalised copy of a JSON value."""
        if isinstance(value, dict):
            return {k: self(value[k], k) for k in sorted(value)}
        if isinstance(value, Unordered):
            return sorted((self(item, key) for item in value), key=json.dumps)
        if isinstance(value, list):
            return [self(item, key) for item in value]
        return self.text(value, key) if isinstance(value, str) else value

    def text(self, value: str, key: str | None) -> str:
        """Return a normalised string (masked, named id, placeholder or as is)."""
        if key in MASKED:
            return "<set>" if value else value
        if _UUID.fullmatch(value):
            if value in self.names:
                return self.names[value]
            return self.others.setdefault(value, f"<id{len(self.others) + 1}>")
        if _DATE.fullmatch(value):
            return "<date>"
        return value


def _diff(path: str, fake: Any, real: Any) -> list[tuple[str, Any, Any]]:
    """Return ``(path, fake, real)`` for every place the two values differ."""
    if isinstance(fake, dict) and isinstance(real, dict):
        found = []
        for key in sorted(set(fake) | set(real)):
            missing = "<absent>"
            found += _diff(
                f"{path}.{key}", fake.get(key, missing), real.get(key, missing)
            )
        return found
    if isinstance(fake, list) and isinstance(real, list) and len(fake) == len(real):
        found = []
        for index, (one, other) in enumerate(zip(fake, real, strict=True)):
            found += _diff(f"{path}[{index}]", one, other)
        return found
    return [] if fake == real else [(path, fake, real)]


async def _trash_steps(run: Run) -> None:
    """The trash and bulk changes: only the owner's assets; restore counts the ids."""
    a1, a2, a3 = (run.id(f"asset:{name}") for name in ("a1", "a2", "a3"))
    await run.step(
        "restore a3 and a2 (not trashed)",
        "POST",
        "/trash/restore/assets",
        actor="alice",
        json_body={"ids": [a3, a2]},
    )
    await run.step(
        "restore another's asset",
        "POST",
        "/trash/restore/assets",
        actor="carol",
        json_body={"ids": [a1]},
    )
    await run.step(
        "delete another's asset",
        "DELETE",
        "/assets",
        actor="carol",
        json_body={"ids": [a1]},
    )
    await run.step(
        "bulk update another's asset",
        "PUT",
        "/assets",
        actor="carol",
        json_body={"ids": [a1], "isFavorite": True},
    )
    for alone in ("latitude", "longitude"):
        await run.step(
            f"bulk update {alone} alone",
            "PUT",
            "/assets",
            actor="alice",
            json_body={"ids": [a2], alone: 10},
        )
    await run.step(
        "bulk update a2",
        "PUT",
        "/assets",
        actor="alice",
        json_body={"ids": [a2], "rating": 0, "isFavorite": True, "description": "d"},
    )
    await run.step(
        "trash a3 again", "DELETE", "/assets", actor="alice", json_body={"ids": [a3]}
    )
    await run.step("empty trash", "POST", "/trash/empty", actor="alice")
    await run.step("empty trash again", "POST", "/trash/empty", actor="alice")


async def script(run: Run) -> None:  # noqa: PLR0915
    """The scripted sequence: the same requests against either server."""
    tag = run.tag
    _, me = await run.send("GET", "/users/me")
    run.ids["user:admin"] = me["id"]

    # --- users, logins, keys, auth errors
    for user in ("alice", "bob", "carol"):
        body = await run.step(
            f"create user {user}",
            "POST",
            "/admin/users",
            json_body={
                "email": f"{user}-{tag}@example.com",
                "name": user.title(),
                "password": f"Pw-{user}-{tag}",
                "shouldChangePassword": False,
            },
        )
        run.ids[f"user:{user}"] = body["id"]
        login = await run.step(
            f"login {user}",
            "POST",
            "/auth/login",
            actor="raw:",
            json_body={
                "email": f"{user}-{tag}@example.com",
                "password": f"Pw-{user}-{tag}",
            },
        )
        run.tokens[user] = register(login["accessToken"])
        made = await run.step(
            f"create key {user}",
            "POST",
            "/api-keys",
            actor=f"token:{user}",
            json_body={"name": f"{user} all", "permissions": ["all"]},
        )
        run.keys[user] = register(made["secret"])
        run.ids[f"apikey:{user}"] = made["apiKey"]["id"]
    await run.step(
        "login wrong password",
        "POST",
        "/auth/login",
        actor="raw:",
        json_body={"email": f"alice-{tag}@example.com", "password": "wrong"},
    )
    made = await run.step(
        "create limited key",
        "POST",
        "/api-keys",
        actor="token:alice",
        json_body={"name": "limited", "permissions": ["album.read", "apiKey.create"]},
    )
    run.keys["alice-limited"] = register(made["secret"])
    run.ids["apikey:alice-limited"] = made["apiKey"]["id"]
    await run.step(
        "limited key grants more",
        "POST",
        "/api-keys",
        actor="alice-limited",
        json_body={"name": "more", "permissions": ["all"]},
    )
    await run.step("bad key", "GET", "/albums", actor="raw:not-a-key")
    await run.step("no key", "GET", "/albums", actor="raw:")
    await run.step(
        "user on admin endpoint",
        "POST",
        "/admin/users",
        actor="alice",
        json_body={"email": f"x-{tag}@example.com", "name": "X", "password": "x"},
    )

    # --- uploads and duplicates
    for user, assets in (
        ("alice", ("a1", "a2", "a3")),
        ("bob", ("b1",)),
        ("carol", ("c1", "c2")),
    ):
        for asset in assets:
            await run.upload(f"upload {asset}", user, asset)
    await run.upload("upload a1 again", "alice", "a1-again", run.files["a1"])
    await run.step(
        "bulk upload check",
        "POST",
        "/assets/bulk-upload-check",
        actor="alice",
        json_body={
            "assets": [
                {"id": "known", "checksum": sha1_hex(run.files["a1"])},
                {"id": "new", "checksum": sha1_hex(b"never uploaded")},
            ]
        },
    )

    # --- albums: own, shared (viewer bob, editor carol), list order and scope
    async def album(name: str, actor: str, step: str, **body: Any) -> None:
        made = await run.step(
            step,
            "POST",
            "/albums",
            actor=actor,
            json_body={"albumName": name, **body},
            view=_album,
        )
        run.ids[f"album:{name}"] = made["id"]

    await album("own1", "alice", "create album own1", assetIds=[run.id("asset:a1")])
    await album(
        "shared",
        "alice",
        "create shared album",
        assetIds=[run.id("asset:a2"), run.id("asset:b1")],
        albumUsers=[
            {"userId": run.id("user:bob"), "role": "viewer"},
            {"userId": run.id("user:carol"), "role": "editor"},
        ],
    )
    await album("own2", "alice", "create album own2")
    await album("bown", "bob", "create album bown", assetIds=[run.id("asset:b1")])
    await run.step(
        "create album shared with oneself",
        "POST",
        "/albums",
        actor="alice",
        json_body={
            "albumName": "self",
            "albumUsers": [{"userId": run.id("user:alice"), "role": "editor"}],
        },
    )
    for user in ("alice", "bob", "carol"):
        for label, params in (
            ("", {}),
            (" shared", {"shared": "true"}),
            (" not shared", {"shared": "false"}),
        ):
            await run.step(
                f"albums of {user}{label}",
                "GET",
                "/albums",
                actor=user,
                params=params,
                view=_each("id", "albumName", "shared", "assetCount", "ownerId"),
            )
        await run.step(
            f"album statistics {user}", "GET", "/albums/statistics", actor=user
        )
    await run.step(
        "albums holding a2 (bob)",
        "GET",
        "/albums",
        actor="bob",
        params={"assetId": run.id("asset:a2")},
        view=_each("id"),
    )

    shared = run.id("album:shared")
    await run.step(
        "shared album as viewer", "GET", f"/albums/{shared}", actor="bob", view=_album
    )
    await run.step(
        "viewer adds",
        "PUT",
        f"/albums/{shared}/assets",
        actor="bob",
        json_body={"ids": [run.id("asset:b1")]},
    )
    await run.step(
        "viewer removes",
        "DELETE",
        f"/albums/{shared}/assets",
        actor="bob",
        json_body={"ids": [run.id("asset:a2")]},
    )
    await run.step(
        "viewer renames",
        "PATCH",
        f"/albums/{shared}",
        actor="bob",
        json_body={"description": "viewer"},
    )
    await run.step(
        "editor adds",
        "PUT",
        f"/albums/{shared}/assets",
        actor="carol",
        json_body={
            "ids": [
                run.id("asset:c1"),
                run.id("asset:c2"),
                run.id("asset:a1"),
                run.id("asset:a2"),
            ]
        },
    )
    await run.step(
        "editor removes",
        "DELETE",
        f"/albums/{shared}/assets",
        actor="carol",
        json_body={"ids": [run.id("asset:a2"), run.id("asset:c2"), run.id("asset:a3")]},
    )
    await run.step(
        "editor updates",
        "PATCH",
        f"/albums/{shared}",
        actor="carol",
        json_body={"description": "by the editor"},
        view=_album,
    )
    await run.step("editor deletes", "DELETE", f"/albums/{shared}", actor="carol")
    missing = str(uuid.UUID(int=7, version=4))
    await run.step(
        "add to unknown album",
        "PUT",
        f"/albums/{missing}/assets",
        actor="alice",
        json_body={"ids": [run.id("asset:a1")]},
    )
    await run.step(
        "remove from unknown album",
        "DELETE",
        f"/albums/{missing}/assets",
        actor="alice",
        json_body={"ids": [run.id("asset:a1")]},
    )
    await run.step(
        "owner removes another's asset",
        "DELETE",
        f"/albums/{shared}/assets",
        actor="alice",
        json_body={"ids": [run.id("asset:c1"), run.id("asset:b1")]},
    )
    await run.step(
        "editor adds back",
        "PUT",
        f"/albums/{shared}/assets",
        actor="carol",
        json_body={"ids": [run.id("asset:c1")]},
    )
    await run.step(
        "add asset seen through an album",
        "PUT",
        f"/albums/{run.id('album:bown')}/assets",
        actor="bob",
        json_body={"ids": [run.id("asset:a2")]},
    )
    await run.step(
        "read asset seen through an album",
        "GET",
        f"/assets/{run.id('asset:a2')}",
        actor="bob",
        view=_pick("id", "ownerId"),
    )

    # --- partners: alice shares with bob
    await run.step(
        "create partner",
        "POST",
        "/partners",
        actor="alice",
        json_body={"sharedWithId": run.id("user:bob")},
    )
    await run.step(
        "partners of bob",
        "GET",
        "/partners",
        actor="bob",
        params={"direction": "shared-with"},
    )
    await run.step(
        "add partner asset",
        "PUT",
        f"/albums/{run.id('album:bown')}/assets",
        actor="bob",
        json_body={"ids": [run.id("asset:a1")]},
    )
    await run.step(
        "search bob",
        "POST",
        "/search/metadata",
        actor="bob",
        json_body={},
        view=_search_ids,
    )
    await run.step(
        "random bob",
        "POST",
        "/search/random",
        actor="bob",
        json_body={},
        view=_sorted_ids,
    )
    await run.step(
        "show partner in timeline",
        "PUT",
        f"/partners/{run.id('user:alice')}",
        actor="bob",
        json_body={"inTimeline": True},
    )
    await run.step(
        "search bob with partner",
        "POST",
        "/search/metadata",
        actor="bob",
        json_body={},
        view=_search_ids,
    )
    await run.step(
        "random bob with partner",
        "POST",
        "/search/random",
        actor="bob",
        json_body={},
        view=_sorted_ids,
    )
    # The main timeline (the media browser's): own and timeline partners' by month.
    await run.step(
        "timeline buckets bob with partner",
        "GET",
        "/timeline/buckets",
        actor="bob",
        params={"visibility": "timeline", "withPartners": "true", "order": "desc"},
    )
    await run.step(
        "timeline buckets with partners but no visibility",
        "GET",
        "/timeline/buckets",
        actor="bob",
        params={"withPartners": "true"},
    )
    await run.step(
        "countries of bob",
        "GET",
        "/search/suggestions",
        actor="bob",
        params={"type": "country"},
    )
    # Without any city, Immich 2.7.5 answers one photo without a city.
    await run.step("cities of bob", "GET", "/search/cities", actor="bob", view=_cities)
    await run.step(
        "search carol in shared album",
        "POST",
        "/search/metadata",
        actor="carol",
        json_body={"albumIds": [shared]},
        view=_search_ids,
    )
    await run.step(
        "random carol",
        "POST",
        "/search/random",
        actor="carol",
        json_body={},
        view=_sorted_ids,
    )
    await run.step(
        "search alice",
        "POST",
        "/search/metadata",
        actor="alice",
        json_body={"size": 2},
        view=_search_ids,
    )

    # --- tags: own and partner assets only
    tags = await run.step(
        "create tag",
        "PUT",
        "/tags",
        actor="carol",
        json_body={"tags": [f"diff-{tag}"]},
        view=_each("id", "name"),
    )
    run.ids["tag:carol"] = tags[0]["id"]
    await run.step(
        "tag assets",
        "PUT",
        f"/tags/{run.id('tag:carol')}/assets",
        actor="carol",
        json_body={"ids": [run.id("asset:c1"), run.id("asset:a2"), run.id("asset:c1")]},
    )
    await run.step(
        "bulk tag assets",
        "PUT",
        "/tags/assets",
        actor="carol",
        json_body={
            "tagIds": [run.id("tag:carol")],
            "assetIds": [run.id("asset:c1"), run.id("asset:a1")],
        },
    )
    bob_tags = await run.step(
        "create tag bob",
        "PUT",
        "/tags",
        actor="bob",
        json_body={"tags": [f"bob-{tag}"]},
        view=_each("id", "name"),
    )
    run.ids["tag:bob"] = bob_tags[0]["id"]
    await run.step(
        "tag partner assets",
        "PUT",
        f"/tags/{run.id('tag:bob')}/assets",
        actor="bob",
        # Not a1: once its metadata job ran, the real server shows the owner's own
        # tag of that name on it (a1 is compared in full below).
        json_body={"ids": [run.id("asset:a2"), run.id("asset:c1")]},
    )
    await run.step(
        "untag assets",
        "DELETE",
        f"/tags/{run.id('tag:carol')}/assets",
        actor="carol",
        json_body={"ids": [run.id("asset:c1"), run.id("asset:a1")]},
    )

    # --- permission denials of a limited key
    await run.step(
        "limited key lists albums",
        "GET",
        "/albums",
        actor="alice-limited",
        view=_each("id"),
    )
    await run.step(
        "limited key creates album",
        "POST",
        "/albums",
        actor="alice-limited",
        json_body={"albumName": "x"},
    )
    await run.step(
        "limited key statistics", "GET", "/assets/statistics", actor="alice-limited"
    )
    await run.step(
        "limited key searches",
        "POST",
        "/search/metadata",
        actor="alice-limited",
        json_body={},
    )

    # --- an album's timeline holds every member's photos (what 3.x clients read)
    album_timeline = {"albumId": shared, "order": "desc"}
    buckets = await run.step(
        "timeline buckets of the shared album",
        "GET",
        "/timeline/buckets",
        actor="bob",
        params=album_timeline,
    )
    for index, bucket in enumerate(buckets):
        await run.step(
            f"timeline bucket {index} of the shared album",
            "GET",
            "/timeline/bucket",
            actor="bob",
            params={**album_timeline, "timeBucket": bucket["timeBucket"]},
            view=_pick("id", "ownerId", "isImage", "isTrashed", "visibility"),
        )

    # --- the server (what does not depend on other tests' data)
    await run.step("version", "GET", "/server/version", actor="alice")
    await run.step("features", "GET", "/server/features", actor="alice")
    await run.step("config", "GET", "/server/config", actor="raw:")
    await run.step("version check", "GET", "/server/version-check", actor="alice")
    await run.step(
        "media types",
        "GET",
        "/server/media-types",
        actor="raw:",
        view=lambda body: {key: sorted(value) for key, value in body.items()},
    )
    await run.step(
        "about",
        "GET",
        "/server/about",
        actor="alice",
        view=_pick("version", "licensed", "repository"),
    )
    await run.step(
        "queue names",
        "GET",
        "/queues",
        view=lambda body: sorted(queue["name"] for queue in body),
    )
    mine = {run.id(f"user:{user}") for user in ("alice", "bob", "carol")}
    await run.step(
        "server statistics of our users",
        "GET",
        "/server/statistics",
        view=lambda body: sorted(
            (row for row in body["usageByUser"] if row["userId"] in mine),
            key=lambda row: row["userName"],
        ),
    )

    # --- who am I, what may my key do
    await run.step("me", "GET", "/users/me", actor="alice")
    await run.step("my key", "GET", "/api-keys/me", actor="alice")
    await run.step("my limited key", "GET", "/api-keys/me", actor="alice-limited")

    # --- shared links (an owner's and an editor's), downloads, asset changes
    for actor, album_name in (("alice", "own1"), ("carol", "shared")):
        link = await run.step(
            f"shared link of {album_name} by {actor}",
            "POST",
            "/shared-links",
            actor=actor,
            json_body={"type": "ALBUM", "albumId": run.id(f"album:{album_name}")},
            view=_shared_link,
        )
        run.ids[f"link:{album_name}"] = link["id"]
    await run.step(
        "shared links of own1",
        "GET",
        "/shared-links",
        actor="alice",
        params={"albumId": run.id("album:own1")},
        view=lambda body: [_shared_link(item) for item in body],
    )
    await run.step(
        "albums of alice shared, with a link",
        "GET",
        "/albums",
        actor="alice",
        params={"shared": "true"},
        view=_each("id", "shared", "hasSharedLink"),
    )
    await run.step(
        "albums of carol shared, with her link",
        "GET",
        "/albums",
        actor="carol",
        params={"shared": "true"},
        view=_each("id", "shared", "hasSharedLink"),
    )
    await run.step(
        "download info of the shared album",
        "POST",
        "/download/info",
        actor="bob",
        json_body={"albumId": shared},
        view=lambda body: {
            "assets": Unordered(
                asset for archive in body["archives"] for asset in archive["assetIds"]
            ),
            "archives": len(body["archives"]),
        },
    )
    await run.step(
        "describe and favour a1",
        "PUT",
        f"/assets/{run.id('asset:a1')}",
        actor="alice",
        json_body={"description": "diff", "isFavorite": True},
        view=_pick("id", "isFavorite", "exifInfo"),
    )
    await run.step(
        "partner describes a1",
        "PUT",
        f"/assets/{run.id('asset:a1')}",
        actor="bob",
        json_body={"description": "not mine"},
    )
    await run.step(
        "partner favours a1 in bulk",
        "PUT",
        "/assets",
        actor="bob",
        json_body={"ids": [run.id("asset:a1")], "isFavorite": False},
    )
    await run.step(
        "tags of carol",
        "GET",
        "/tags",
        actor="carol",
        view=_each("id", "name", "value"),
    )

    # --- sharing an album, deleting albums and links, files of others
    await run.step(
        "share own2 with bob",
        "PUT",
        f"/albums/{run.id('album:own2')}/users",
        actor="alice",
        json_body={"albumUsers": [{"userId": run.id("user:bob"), "role": "viewer"}]},
        view=_album,
    )
    for user, label in (("bob", "again"), ("alice", "with the owner")):
        await run.step(
            f"share own2 {label}",
            "PUT",
            f"/albums/{run.id('album:own2')}/users",
            actor="alice",
            json_body={"albumUsers": [{"userId": run.id(f"user:{user}")}]},
        )
    await run.step(
        "stranger shares own2",
        "PUT",
        f"/albums/{run.id('album:own2')}/users",
        actor="carol",
        json_body={"albumUsers": [{"userId": run.id("user:carol")}]},
    )
    await run.step(
        "delete own2", "DELETE", f"/albums/{run.id('album:own2')}", actor="alice"
    )
    await run.step(
        "read deleted own2", "GET", f"/albums/{run.id('album:own2')}", actor="alice"
    )
    await run.step(
        "stranger deletes a link",
        "DELETE",
        f"/shared-links/{run.id('link:own1')}",
        actor="carol",
    )
    await run.step(
        "delete a link", "DELETE", f"/shared-links/{run.id('link:own1')}", actor="alice"
    )
    await run.step(
        "original seen through an album",
        "GET",
        f"/assets/{run.id('asset:a2')}/original",
        actor="carol",
    )
    await run.step(
        "original of a stranger",
        "GET",
        f"/assets/{run.id('asset:c2')}/original",
        actor="bob",
    )
    await run.step("people of alice", "GET", "/people", actor="alice")
    await run.step(
        "users",
        "GET",
        "/users",
        actor="alice",
        view=lambda body: sorted(
            (user for user in body if user["id"] in mine), key=lambda user: user["name"]
        ),
    )
    await run.step("legacy queues", "GET", "/jobs", view=sorted)
    await run.step("ping", "GET", "/server/ping", actor="raw:")
    await run.step(
        "smart search",
        "POST",
        "/search/smart",
        actor="alice",
        json_body={"query": "beach"},
    )

    # --- asset statistics: default visibility
    await run.step("statistics alice", "GET", "/assets/statistics", actor="alice")
    for visibility in ("archive", "hidden"):
        await run.step(
            f"make a3 {visibility}",
            "PUT",
            f"/assets/{run.id('asset:a3')}",
            actor="alice",
            json_body={"visibility": visibility},
            view=_pick("id", "visibility", "isArchived"),
        )
        await run.step(
            f"statistics alice, a3 {visibility}",
            "GET",
            "/assets/statistics",
            actor="alice",
        )
        await run.step(
            f"statistics alice {visibility} only",
            "GET",
            "/assets/statistics",
            actor="alice",
            params={"visibility": visibility},
        )
        await run.step(
            f"search alice, a3 {visibility}",
            "POST",
            "/search/metadata",
            actor="alice",
            json_body={},
            view=_search_ids,
        )
    await run.step(
        "trash a3",
        "DELETE",
        "/assets",
        actor="alice",
        json_body={"ids": [run.id("asset:a3")]},
    )
    await run.step(
        "statistics alice trashed",
        "GET",
        "/assets/statistics",
        actor="alice",
        params={"isTrashed": "true"},
    )

    await _trash_steps(run)

    # --- an external library: its files are never duplicates of uploads
    library = await run.step(
        "create library",
        "POST",
        "/libraries",
        json_body={"ownerId": run.id("user:alice"), "importPaths": [str(run.folder)]},
        view=_pick("ownerId", "importPaths", "exclusionPatterns", "assetCount"),
    )
    run.ids["library"] = library["id"]
    await run.step(
        "libraries",
        "GET",
        "/libraries",
        view=lambda body: [item for item in body if item["id"] == library["id"]],
    )
    await run.step("scan library", "POST", f"/libraries/{library['id']}/scan")
    query = {"libraryId": library["id"]}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, found = await run.send(
            "POST", "/search/metadata", actor="alice", json_body=query
        )
        if found["assets"]["items"]:
            run.ids["asset:library"] = found["assets"]["items"][0]["id"]
            break
        await asyncio.sleep(0.2)
    await run.step(
        "library assets",
        "POST",
        "/search/metadata",
        actor="alice",
        json_body=query,
        view=_search_ids,
    )
    library_file = run.data["library"]
    await run.step(
        "bulk upload check of a library file",
        "POST",
        "/assets/bulk-upload-check",
        actor="alice",
        json_body={"assets": [{"id": "lib", "checksum": sha1_hex(library_file)}]},
    )
    await run.upload("upload a library file", "alice", "library-upload", library_file)

    # --- one asset and one album in full, once the server's jobs are done
    await run.wait_idle()
    await run.step("asset a1", "GET", f"/assets/{run.id('asset:a1')}", actor="alice")
    await run.step(
        "album own1",
        "GET",
        f"/albums/{run.id('album:own1')}",
        actor="alice",
        view=_album,
    )

    # --- queues (admin): pause, empty, clear failed, resume
    name = "thumbnailGeneration"
    try:
        await run.step(
            "pause queue",
            "PUT",
            f"/queues/{name}",
            json_body={"isPaused": True},
            view=_queue,
        )
        await run.step(
            "pause background queue",
            "PUT",
            "/queues/backgroundTask",
            json_body={"isPaused": True},
            view=_queue,
        )
        await run.step("empty queue", "DELETE", f"/queues/{name}/jobs", json_body={})
        await run.step(
            "empty queue and failed",
            "DELETE",
            f"/queues/{name}/jobs",
            json_body={"failed": True},
        )
        await run.step(
            "legacy clear failed",
            "PUT",
            f"/jobs/{name}",
            json_body={"command": "clear-failed"},
            view=lambda body: body["queueStatus"],
        )
        await run.step("queue is paused", "GET", f"/queues/{name}", view=_queue)
        await run.step(
            "user pauses queue",
            "PUT",
            f"/queues/{name}",
            actor="alice",
            json_body={"isPaused": True},
        )
    finally:
        await run.step(
            "resume queue",
            "PUT",
            f"/queues/{name}",
            json_body={"isPaused": False},
            view=_queue,
        )
    await _trash_and_counts(run)
    await run.step("delete library", "DELETE", f"/libraries/{run.id('library')}")


async def _trash_and_counts(run: Run) -> None:
    """A trashed duplicate found, uploaded again and restored; search counts."""
    await run.upload("upload t1", "alice", "t1")
    await run.step(
        "trash t1",
        "DELETE",
        "/assets",
        actor="alice",
        json_body={"ids": [run.id("asset:t1")]},
    )
    await run.step(
        "bulk upload check trashed",
        "POST",
        "/assets/bulk-upload-check",
        actor="alice",
        json_body={"assets": [{"id": "t1", "checksum": sha1_hex(run.files["t1"])}]},
    )
    await run.upload("upload trashed t1 again", "alice", "t1-again", run.files["t1"])
    await run.step(
        "count without the trash",
        "POST",
        "/search/statistics",
        actor="alice",
        json_body={},
    )
    await run.step(
        "restore someone else's",
        "POST",
        "/trash/restore/assets",
        actor="bob",
        json_body={"ids": [run.id("asset:t1")]},
    )
    await run.step(
        "restore t1",
        "POST",
        "/trash/restore/assets",
        actor="alice",
        json_body={"ids": [run.id("asset:t1")]},
    )
    await run.step(
        "t1 restored",
        "GET",
        f"/assets/{run.id('asset:t1')}",
        actor="alice",
        view=_pick("id", "isTrashed"),
    )
    await run.step(
        "count with t1", "POST", "/search/statistics", actor="alice", json_body={}
    )
    await run.step(
        "count unrated",
        "POST",
        "/search/statistics",
        actor="alice",
        json_body={"rating": None},
    )
    await run.step(
        "search rated 5",
        "POST",
        "/search/metadata",
        actor="alice",
        json_body={"rating": 5},
        view=_search_ids,
    )
    await run.step(
        "search alice page 2",
        "POST",
        "/search/metadata",
        actor="alice",
        json_body={"size": 2, "page": 2},
        view=_search_ids,
    )


async def _run(
    url: str, admin_key: str, tag: str, data: dict[str, bytes], folder: Path
) -> Run:
    """Run the script against one server."""
    async with aiohttp.ClientSession() as session:
        run = Run(
            url=url,
            admin_key=admin_key,
            session=session,
            tag=tag,
            data=data,
            folder=folder,
        )
        await script(run)
    normalise = Normaliser(run.ids)
    for step in run.steps:
        step.body = normalise(step.body)
    return run


def _report(rows: list[tuple[str, Any, Any]]) -> str:
    """Format differences for a failure message."""
    return "\n".join(
        f"  {key!r}: stand-in {json.dumps(fake, default=str)[:300]}"
        f" / real {json.dumps(real, default=str)[:300]}"
        for key, fake, real in rows
    )


@pytest.fixture
def library() -> Iterator[tuple[Path, dict[str, bytes]]]:
    """Return an external library's folder holding one JPEG, and the JPEG's bytes."""
    # Not pytest's tmp_path (0700 base folder): the server must read this folder.
    folder = Path(tempfile.mkdtemp(prefix="immich-diff-", dir="/var/tmp"))
    folder.chmod(0o755)
    data = jpeg("library")
    (folder / "library.jpg").write_bytes(data)
    yield folder, {"library": data}
    shutil.rmtree(folder, ignore_errors=True)


async def test_stand_in_answers_like_the_real_server(
    immich: ImmichApi, library: tuple[Path, dict[str, bytes]]
) -> None:
    """Every step answers the same status and body on both, but for ALLOWED."""
    require_spec("v2")
    tag = uuid.uuid4().hex[:8]
    folder, data = library
    fake = FakeImmich("v2")
    await fake.start()
    try:
        stand_in = await _run(fake.url, fake.admin_key, tag, data, folder)
    finally:
        await fake.stop()
    real = await _run(immich.server.url, immich.server.admin_key, tag, data, folder)

    assert [s.name for s in stand_in.steps] == [s.name for s in real.steps]
    found: list[tuple[str, Any, Any]] = []
    for one, other in zip(stand_in.steps, real.steps, strict=True):
        if one.status != other.status:  # the bodies differ as a whole then
            found.append((f"{one.name} status", one.status, other.status))
            found.append((f"{one.name} $", one.body, other.body))
            continue
        found += [
            (f"{one.name} {path}", mine, theirs)
            for path, mine, theirs in _diff("$", one.body, other.body)
        ]
    unexpected = [row for row in found if row[0] not in ALLOWED]
    stale = sorted(set(ALLOWED) - {key for key, _, _ in found})
    assert not unexpected, "the stand-in differs from the real server:\n" + _report(
        unexpected
    )
    assert not stale, f"allowed differences that no longer differ: {stale}"
    assert fake.violations == []
