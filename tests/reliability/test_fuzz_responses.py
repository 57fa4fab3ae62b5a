"""Fuzz: malformed server responses against the client, the coordinators and actions.

Hypothesis builds a mutation of the fake's real answer to one operation: fields dropped,
added (unknown names, or known optional names with odd values) or given another type
(null, numbers out of range or not finite, near-miss strings such as naive date-times,
non-ASCII digits or a lone surrogate), or the whole body replaced (null, empty,
truncated, not JSON, nested too deep). The fake serves it through its ``mutate`` fault:
the request is still checked against the spec and handled, only the response is
replaced (and, being off-spec on purpose, not validated).

* Client (most examples, both spec flavours): a call parses or raises
  ``ImmichResponseError`` (``ImmichUnsupportedVersionError`` too for the version). What
  it parses keeps the models' promises (finite numbers, int64 integers, date-times with
  an offset, valid Unicode); when only unknown fields were added, it is what the clean
  answer gives.
* Coordinators (the full Home Assistant path: server, queues, watcher and photo-frame
  coordinators, entities, states, entity registry): a refresh succeeds or fails with
  ``UpdateFailed`` and the coordinator's entities are unavailable; after one clean
  refresh every entity is back with its values.
* Actions: succeed, or raise ``HomeAssistantError`` (``ServiceValidationError`` is
  one) with a translation key of ours; the same call works again right after.

Only the mutated response goes unchecked: every request (also one sent right after a
mutated answer, which must not echo its bad ids) and every clean answer between the
mutations is checked against the spec, and any violation fails the example. The
``@example`` regressions are answers that once got through (see ``CLIENT_REGRESSIONS``
and ``COORDINATOR_REGRESSIONS``).

Hypothesis runs in a worker thread and hands each example to Home Assistant's loop,
as the actions fuzz of ``tests/test_services.py`` does. The CI run is derandomised so
it is reproducible; ``IMMICH_BRIDGE_LONG=1`` adds a random run of 10,250 more.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime, timedelta, timezone
import json
import math
from pathlib import Path
from typing import Any, Literal

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.update_coordinator import (
    DataUpdateCoordinator,
    UpdateFailed,
)
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.api import (
    ImmichClient,
    ImmichResponseError,
    ImmichUnsupportedVersionError,
)
from custom_components.immich_bridge.const import CONF_ALBUMS, CONF_FRAMES, DOMAIN
from custom_components.immich_bridge.services import ACTIONS
from tests.common import make_entry
from tests.fake_immich import FakeImmich
from tests.reliability.conftest import long_only
from tests.reliability.guards import keep_out_of_capture

# Examples per run. CI: 2 x 850 (client, v3 and v2) + 200 + 150 = 2,050.
# Long (IMMICH_BRIDGE_LONG=1, on top of CI): 2 x 4,000 + 1,250 + 1,000 = 10,250.
CLIENT_EXAMPLES = {"ci": 850, "long": 4000}
COORDINATOR_EXAMPLES = {"ci": 200, "long": 1250}
ACTION_EXAMPLES = {"ci": 150, "long": 1000}
RUNS = [
    pytest.param("ci", id="ci"),
    pytest.param("long", id="long", marks=long_only),
]
RESULT_TIMEOUT = 120  # seconds for one example; a hang fails instead of blocking

# ------------------------------------------------------------------- mutations

# Strings a sloppy or hostile server could send where something else is expected.
NEAR_MISS_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e400",
    "NaN",
    "true",
    "null",
    "²",
    "١٢",
    "v",
    "v3",
    "3.0",
    "999.0.0",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "2024-01-01T00:00:00",
    "2024-06-01T12:30:00.123",
    "2024-01-01T00:00:00+05:30",
    "2024-02-30T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2024-01-01",
    "IMAGE",
    "VIDEO",
    "owner",
    "duplicate",
    "accept",
    "reject",
    "\x00",
    "\ud800",
]
# Numbers out of every range the API documents; Python's json writes NaN and
# Infinity, reads them back, and reads 1e400 as infinity.
ODD_NUMBERS = [
    float("inf"),
    float("-inf"),
    float("nan"),
    10**400,
    -(10**400),
    2**63,
    2**53 + 1,
    -1,
    0.5,
    1e308,
    -0.0,
]
# Near misses for a leaf, by the leaf's type (a nudge picks one by its index).
NEAR_MISSES: dict[type, list[Any]] = {
    str: [*NEAR_MISS_TEXT, None, 0, [], {}],
    float: [*ODD_NUMBERS, "1", "", None, True, [], {}],
    bool: [0, 1, "true", "false", None, []],
    type(None): [None, "", 0, False, [], {}, [None], {"": None}],
}
OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-12))]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(ODD_NUMBERS)
    | st.text(max_size=12)
    | st.sampled_from(NEAR_MISS_TEXT)
    | st.datetimes().map(datetime.isoformat)
    | st.datetimes(timezones=OFFSETS).map(datetime.isoformat)
)
# One level of nesting is enough to be the wrong type, and much cheaper to draw.
JSON_VALUES = (
    LEAVES
    | st.lists(LEAVES, max_size=3)
    | st.dictionaries(st.text(max_size=6), LEAVES, max_size=2)
)
# Optional fields of the models: adding one with an odd value where it was absent.
KNOWN_FIELDS = st.sampled_from(
    [
        "album",
        "assets",
        "createdAt",
        "data",
        "exifInfo",
        "expiresAt",
        "hasNextPage",
        "importPaths",
        "isAdmin",
        "localDateTime",
        "nextPage",
        "ownerId",
        "password",
        "people",
        "quotaSizeInBytes",
        "slug",
        "statistics",
        "updatedAt",
        "usageByUser",
    ]
)
# Steps down into the body; each picks a child (index modulo the children).
PATHS = st.lists(st.integers(min_value=0, max_value=50), max_size=4).map(tuple)

type OpKind = Literal["drop", "retype", "nudge", "extra", "known"]


@dataclass(frozen=True, slots=True)
class Op:
    """One change at one place of a JSON body.

    ``path`` picks a node (see ``_locate``). ``drop`` removes it, ``retype`` replaces
    it with ``value``, ``extra`` and ``known`` add the field ``key`` to the nearest
    object, and ``nudge`` replaces the leaves numbered ``leaves`` (modulo their
    count, in document order) under the node with near misses for their types
    (``value`` picks one from each ``NEAR_MISSES`` table).
    """

    kind: OpKind
    path: tuple[int | str, ...] = ()
    key: str = ""
    value: Any = None
    leaves: tuple[int, ...] = ()


def _locate(data: Any, path: tuple[int | str, ...]) -> tuple[Any, Any, Any]:
    """Follow a path down containers; return (parent, key in parent, node).

    Each step picks a child by its index modulo the number of children (or, in the
    regression examples, by its name); the walk stops at a leaf. The parent is None
    for the root.
    """
    parent: Any = None
    key: Any = None
    node = data
    for step in path:
        if isinstance(step, str):
            if not isinstance(node, dict) or step not in node:
                break
            parent, key = node, step
        elif isinstance(node, dict) and node:
            keys = list(node)
            parent, key = node, keys[step % len(keys)]
        elif isinstance(node, list) and node:
            parent, key = node, step % len(node)
        else:
            break
        node = parent[key]
    return parent, key, node


def _leaves(parent: Any, key: Any, node: Any) -> list[tuple[Any, Any, Any]]:
    """Return every leaf under a node as (parent, key, value), in document order."""
    if isinstance(node, dict) and node:
        items: Iterable[tuple[Any, Any]] = node.items()
    elif isinstance(node, list) and node:
        items = enumerate(node)
    else:
        return [(parent, key, node)]
    return [leaf for k, v in items for leaf in _leaves(node, k, v)]


def _nudged(node: Any, choice: int) -> Any:
    """Return a near miss for a leaf, from the table of the leaf's type."""
    kind = float if type(node) is int else type(node)
    table = NEAR_MISSES.get(kind, NEAR_MISSES[type(None)])
    return deepcopy(table[choice % len(table)])


def _apply(data: Any, op: Op) -> Any:
    """Apply one change; return the (possibly new) root."""
    parent, key, node = _locate(data, op.path)
    if op.kind == "nudge":
        leaves = _leaves(parent, key, node)
        for index in op.leaves:
            at, name, value = leaves[index % len(leaves)]
            if at is None:
                return _nudged(value, op.value)
            at[name] = _nudged(value, op.value)
    elif op.kind == "drop":
        if parent is None:
            return type(data)() if isinstance(data, dict | list) else None
        del parent[key]
    elif op.kind == "retype":
        if parent is None:
            return deepcopy(op.value)
        parent[key] = deepcopy(op.value)
    else:  # extra, known: add a field to the nearest object
        target = node if isinstance(node, dict) else parent
        if not isinstance(target, dict):
            target = data if isinstance(data, dict) else None
        if target is not None and (op.kind == "known" or op.key not in target):
            target[op.key] = deepcopy(op.value)
    return data


HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"

type BodyKind = Literal[
    "ops", "null", "empty", "truncated", "garbage", "deep", "utf16", "html"
]


@dataclass(frozen=True, slots=True)
class Mutation:
    """What to do to one response body: changes (``ops``) or another body."""

    kind: BodyKind
    ops: tuple[Op, ...] = ()
    cut: float = 0.5
    raw: bytes = b""
    depth: int = 0

    @property
    def extra_only(self) -> bool:
        """Return whether only unknown fields were added (the model must not change)."""
        return self.kind in ("ops", "utf16") and all(
            op.kind == "extra" for op in self.ops
        )

    def __call__(self, data: Any) -> bytes:
        """Return the mutated body of a pruned JSON reply (None: no body)."""
        if self.kind == "deep":
            return b"[" * self.depth + b"]" * self.depth
        if self.kind == "garbage":
            return self.raw
        body = json.loads(json.dumps(data))  # a private copy
        for op in self.ops:
            body = _apply(body, op)
        # UTF-16 is still JSON: RFC 8259 readers may accept it.
        encoded = json.dumps(body).encode("utf-16" if self.kind == "utf16" else "utf-8")
        if self.kind == "truncated":
            return encoded[: int(len(encoded) * self.cut)]
        return {"null": b"null", "empty": b"", "html": HTML}.get(self.kind, encoded)


# Unknown names start with "zz": apart from real (optional) fields such as startDate.
OPS = st.one_of(
    st.builds(
        Op,
        kind=st.just("nudge"),
        path=PATHS,
        value=st.integers(0, 255),
        leaves=st.lists(st.integers(0, 99), min_size=1, max_size=3).map(tuple),
    ),
    st.builds(
        Op, kind=st.sampled_from(["drop", "retype"]), path=PATHS, value=JSON_VALUES
    ),
    st.builds(
        Op,
        kind=st.just("extra"),
        path=PATHS,
        key=st.text(max_size=10).map("zz".__add__),
        value=JSON_VALUES,
    ),
    st.builds(
        Op, kind=st.just("known"), path=PATHS, key=KNOWN_FIELDS, value=JSON_VALUES
    ),
)
CHANGES = st.builds(
    Mutation, kind=st.just("ops"), ops=st.lists(OPS, min_size=1, max_size=3).map(tuple)
)
BODIES = st.one_of(
    st.builds(Mutation, kind=st.sampled_from(["null", "empty", "html", "utf16"])),
    st.builds(
        Mutation,
        kind=st.just("truncated"),
        cut=st.floats(min_value=0, max_value=0.999),
    ),
    st.builds(Mutation, kind=st.just("garbage"), raw=st.binary(max_size=40)),
    st.builds(Mutation, kind=st.just("deep"), depth=st.sampled_from([64, 100_000])),
)
# Changed fields are where the parsing is subtle: three in four examples.
MUTATIONS = st.integers(0, 3).flatmap(lambda n: BODIES if n == 3 else CHANGES)


def _summary(name: str, counts: Counter[str]) -> None:
    """Print one line of figures for the report."""
    line = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
    print(f"\nFUZZ {name}: {line}")  # noqa: T201  # the figures for the report


def _run(
    hass: HomeAssistant,
    strategy: st.SearchStrategy[Any],
    attempt: Callable[[Any], Awaitable[None]],
    *,
    run: str,
    examples: int,
    regressions: tuple[Any, ...] = (),
) -> Callable[[], None]:
    """Return a blocking function that runs Hypothesis over `attempt` on the loop."""

    def one(drawn: Any) -> None:
        asyncio.run_coroutine_threadsafe(attempt(drawn), hass.loop).result(
            timeout=RESULT_TIMEOUT
        )

    for regression in regressions:
        one = example(drawn=regression)(one)
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=run == "ci",
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )(given(drawn=strategy)(one))


@pytest.fixture(autouse=True)
def quiet_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep our records out of pytest's capture (the secrets guard still reads them)."""
    keep_out_of_capture(monkeypatch)


# ----------------------------------------------------------------------- client


@dataclass(kw_only=True)
class World:
    """What the client calls can name on the fake server."""

    server: FakeImmich
    album_id: str
    asset_id: str
    checksum: str
    jpeg: bytes
    albums: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    assets: frozenset[str] = frozenset()

    def remember(self) -> None:
        """Note what exists now, to undo what examples create."""
        state = self.server.state
        self.albums = frozenset(state.albums)
        self.tags = frozenset(state.tags)
        self.links = frozenset(state.shared_links)
        self.assets = frozenset(state.assets)

    def reset(self) -> None:
        """Forget what examples created, so answers don't grow."""
        state = self.server.state
        for found, kept in (
            (state.albums, self.albums),
            (state.tags, self.tags),
            (state.shared_links, self.links),
            (state.assets, self.assets),
        ):
            for item in set(found) - kept:
                del found[item]
        self.server.requests.clear()


def _seed(server: FakeImmich) -> World:
    """Fill the fake with one of everything the polled endpoints return."""
    state = server.state
    owner = server.admin_id
    assets = [
        state.add_asset(owner, filename=f"fuzz{n}.jpg", city="Porto", favorite=n == 0)
        for n in range(3)
    ]
    album_id = state.add_album(owner, "Fuzz", asset_ids=assets[:2])
    state.add_album(server.user_id, "Alice's", asset_ids=assets[2:])
    person = state.add_person(owner, "Fuzz person")
    state.assets[assets[0]].person_ids.append(person)
    state.add_tag(owner, "Fuzz/Tag")
    state.add_library(owner, "NAS")
    state.add_memory(owner, 2020, assets[:1])
    state.queues["thumbnailGeneration"].active = 2
    state.queues["metadataExtraction"].failed = 1
    state.version_check_release = "v9.9.9"
    jpeg = state.next_jpeg("fuzz upload")
    duplicate = state.add_asset(owner, data=jpeg, filename="dup.jpg")
    world = World(
        server=server,
        album_id=album_id,
        asset_id=assets[0],
        checksum=state.assets[duplicate].checksum,
        jpeg=jpeg,
    )
    world.remember()
    return world


INT64 = range(-(2**63), 2**63)


def _unicode(text: str) -> bool:
    """Return whether a text is valid Unicode (no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _leaf_problem(value: Any) -> str | None:
    """Return how a value breaks what the models promise, if it does."""
    problem = None
    if isinstance(value, str):
        if not value.isascii() and not _unicode(value):
            problem = f"{value!r} is not valid Unicode"
    elif isinstance(value, float):
        if not math.isfinite(value):
            problem = f"{value} is not finite"
    elif isinstance(value, int) and not isinstance(value, bool):
        if value not in INT64:
            problem = f"an integer of {value.bit_length()} bits"
    elif isinstance(value, datetime) and value.utcoffset() is None:
        problem = f"{value.isoformat()} has no offset"
    return problem


def _children(value: Any) -> Iterable[tuple[str, Any]]:
    """Return the parts of a parsed result, each with its place."""
    if is_dataclass(value) and not isinstance(value, type):
        return ((f".{item.name}", getattr(value, item.name)) for item in fields(value))
    if isinstance(value, Mapping):
        return ((f"[{key!r}]", item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ((f"[{index}]", item) for index, item in enumerate(value))
    return ()


def _broken_promises(value: Any, where: str = "result") -> Iterator[str]:
    """Yield the places of a parsed result that break what the models promise.

    Home Assistant code relies on it: numbers are finite (a sensor refuses NaN and
    infinity), integers fit the spec's int64 (a sensor converts them to float),
    date-times carry their offset (they are compared with Home Assistant's clock), and
    texts are valid Unicode (ids end up in the registries, saved as UTF-8 JSON, which
    refuses a lone surrogate).
    """
    if (problem := _leaf_problem(value)) is not None:
        yield f"{where}: {problem}"
    for place, child in _children(value):
        yield from _broken_promises(child, where + place)


type Call = Callable[[ImmichClient, World], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One client call and the operation whose answer is mutated."""

    operation: str
    call: Call
    stable: bool = True  # answers the same twice (compare models for extra fields)

    def __repr__(self) -> str:
        """Name the operation (Hypothesis prints failing examples)."""
        return f"Endpoint({self.operation!r})"


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("getServerVersion", lambda c, _: c.server_version()),
    Endpoint("getAboutInfo", lambda c, _: c.about()),
    Endpoint("getVersionCheck", lambda c, _: c.version_check()),
    Endpoint("getServerFeatures", lambda c, _: c.features()),
    Endpoint("getServerConfig", lambda c, _: c.server_config()),
    Endpoint("getSupportedMediaTypes", lambda c, _: c.media_types()),
    Endpoint("getStorage", lambda c, _: c.storage()),
    Endpoint("getServerStatistics", lambda c, _: c.statistics()),
    Endpoint("getAssetStatistics", lambda c, _: c.asset_statistics()),
    Endpoint("getMyUser", lambda c, _: c.me()),
    Endpoint("getMyApiKey", lambda c, _: c.api_key_info()),
    Endpoint("searchUsers", lambda c, _: c.users()),
    Endpoint("getAllAlbums", lambda c, _: c.albums()),
    Endpoint("getAlbumInfo", lambda c, w: c.album(w.album_id)),
    Endpoint("getAlbumStatistics", lambda c, _: c.album_statistics()),
    Endpoint("getAssetInfo", lambda c, w: c.asset(w.asset_id)),
    Endpoint("getAllTags", lambda c, _: c.tags()),
    Endpoint("getAllLibraries", lambda c, _: c.libraries()),
    Endpoint("getAllPeople", lambda c, _: c.people(with_hidden=True, size=10)),
    Endpoint("getQueues", lambda c, _: c.queues()),
    Endpoint("getAllSharedLinks", lambda c, _: c.shared_links()),
    Endpoint("searchMemories", lambda c, _: c.memories()),
    Endpoint("searchAssets", lambda c, _: c.search_metadata(size=10)),
    Endpoint("checkBulkUpload", lambda c, w: c.upload_check({"0": w.checksum})),
    Endpoint("searchSmart", lambda c, _: c.search_smart("fuzz", size=10), False),
    Endpoint("searchRandom", lambda c, _: c.search_random(size=5), False),
    Endpoint("createAlbum", lambda c, _: c.create_album("Fuzz new"), False),
    Endpoint(
        "createSharedLink",
        lambda c, w: c.create_shared_link(album_id=w.album_id),
        False,
    ),
    Endpoint("upsertTags", lambda c, _: c.upsert_tags(["Fuzz/New"]), False),
    Endpoint(
        "addAssetsToAlbum",
        lambda c, w: c.add_assets_to_album(w.album_id, [w.asset_id]),
        False,
    ),
    Endpoint(
        "uploadAsset",
        lambda c, w: c.upload(w.jpeg, filename="fuzz.jpg", check_duplicate=False),
        False,
    ),
)


def _setting(key: str, value: Any, *path: int | str) -> Mutation:
    """Return a mutation that sets one field (of the object at `path`)."""
    return Mutation(
        kind="ops", ops=(Op(kind="known", path=path, key=key, value=value),)
    )


def _endpoint(operation: str) -> Endpoint:
    """Return the endpoint of an operation."""
    return next(item for item in ENDPOINTS if item.operation == operation)


NAIVE = "2024-01-01T00:00:00"
# Regressions: answers the client once parsed into values its users choke on, or
# let another exception out.
CLIENT_REGRESSIONS: tuple[tuple[Endpoint, Mutation], ...] = (
    # json.loads raised RecursionError (not a ValueError).
    (_endpoint("getServerVersion"), Mutation(kind="deep", depth=100_000)),
    # A float field took infinity (a sensor refuses it) ...
    (_endpoint("getStorage"), _setting("diskUsagePercentage", float("inf"))),
    # ... or an integer too big for a float: OverflowError.
    (_endpoint("getAssetInfo"), _setting("width", 10**400)),
    # An integer field took a 401-digit number (a sensor's float() overflows).
    (_endpoint("getServerVersion"), _setting("major", 10**400)),
    # A date-time without offset parsed as naive: comparisons with aware ones fail.
    (_endpoint("getAllAlbums"), _setting("startDate", NAIVE, 0)),
    # A lone surrogate ("\ud800" in JSON) parsed into a text: not valid Unicode.
    (_endpoint("getAllTags"), _setting("name", "\ud800", 0)),
)


@pytest.mark.parametrize("run", RUNS)
async def test_client_parses_or_raises_response_error(
    hass: HomeAssistant, immich_server: FakeImmich, run: str
) -> None:
    """Parse a mutated answer or raise the client's malformed-response error."""
    server = immich_server
    world = _seed(server)
    counts: Counter[str] = Counter()
    async with ImmichClient(
        aiohttp.ClientSession(), server.url, server.admin_key
    ) as client:
        client._owns_session = True  # close the session with the client
        version = await client.server_version()

        async def attempt(drawn: tuple[Endpoint, Mutation]) -> None:
            endpoint, mutation = drawn
            server.set_fault(endpoint.operation, mutate=mutation, times=1)
            try:
                result = await endpoint.call(client, world)
            except ImmichUnsupportedVersionError:
                assert endpoint.operation == "getServerVersion"
                counts["unsupported_version"] += 1
            except ImmichResponseError:
                counts["malformed"] += 1
            else:
                counts["parsed_ok"] += 1
                broken = list(_broken_promises(result))
                assert not broken, broken
                if mutation.extra_only and endpoint.stable:
                    assert result == await endpoint.call(client, world), mutation
            finally:
                served = [
                    request.status
                    for request in server.requests
                    if request.operation_id == endpoint.operation
                ]
                server.clear_faults()
                client.version = version
                world.reset()
            # Asked for, and answered with the mutated body (not a crash of the fake).
            assert served, f"{endpoint.operation} was not asked for"
            assert 200 <= served[0] < 300, served
            counts["examples"] += 1

        examples = CLIENT_EXAMPLES[run]
        await hass.async_add_executor_job(
            _run(
                hass,
                st.tuples(st.sampled_from(ENDPOINTS), MUTATIONS),
                attempt,
                run=run,
                examples=examples,
                regressions=CLIENT_REGRESSIONS,
            )
        )
    _summary(f"client {server.spec.path.name} {run}", counts)
    assert counts["examples"] >= examples
    assert counts["parsed_ok"] > examples // 20
    assert counts["malformed"] > examples // 4


# ------------------------------------------------------------------ coordinators

PREFIX = "immich_admin"
# Coordinator -> (operations its refresh asks, an entity it feeds).
POLLED: dict[str, tuple[tuple[str, ...], str]] = {
    "server": (
        (
            "getAboutInfo",
            "getVersionCheck",
            "getStorage",
            "getServerStatistics",
            "getAssetStatistics",
            "getMyUser",
            "getAlbumStatistics",
            "getAllAlbums",  # the watched album (the options pick one)
            "getAllPeople",
            "getAllTags",
            "getAllLibraries",
        ),
        f"sensor.{PREFIX}_disk_size",
    ),
    "queues": (("getQueues",), f"binary_sensor.{PREFIX}_library_busy"),
    "watcher": (("searchAssets",), f"event.{PREFIX}_new_upload"),
    "favorites": (("searchRandom",), f"image.{PREFIX}_favorites_slideshow"),
    "person": (("searchRandom",), f"image.{PREFIX}_fuzz_person_slideshow"),
    "search": (("searchSmart",), f"image.{PREFIX}_fuzz_slideshow"),
    "memories": (("searchMemories",), f"image.{PREFIX}_on_this_day_slideshow"),
}
# A coordinator first, then one of its operations: each coordinator gets its share.
TARGETS = st.sampled_from(sorted(POLLED)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(POLLED[name][0]))
)
# Entities whose state is a value that one refresh may move (a photo, an event time).
MOVING = ("image.", "event.")


def _coordinator(entry: MockConfigEntry, name: str) -> DataUpdateCoordinator[Any]:
    """Return one of the entry's coordinators by name."""
    runtime = entry.runtime_data
    if name in ("server", "queues"):
        return getattr(runtime, name)  # type: ignore[no-any-return]
    if name == "watcher":
        return runtime.photos.watcher  # type: ignore[no-any-return]
    return next(  # type: ignore[no-any-return]
        frame for frame in runtime.photos.frames.values() if frame.source.kind == name
    )


def _states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return the state of every entity of the entry."""
    registry = er.async_get(hass)
    found = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (state := hass.states.get(entity.entity_id)) is not None:
            found[entity.entity_id] = state.state
    return found


def _failed_cleanly(coordinator: DataUpdateCoordinator[Any]) -> bool:
    """Return False after success; True after UpdateFailed; raise otherwise."""
    if coordinator.last_update_success:
        return False
    err = coordinator.last_exception
    assert isinstance(err, UpdateFailed), repr(err)
    assert err.translation_domain == DOMAIN, repr(err)
    assert err.translation_key, repr(err)
    return True


async def _loaded(
    hass: HomeAssistant, server: FakeImmich, world: World
) -> MockConfigEntry:
    """Set up the admin's entry with an album sensor and every kind of photo frame."""
    person = next(iter(server.state.people))
    entry = make_entry(
        server,
        options={
            CONF_ALBUMS: [world.album_id],
            CONF_FRAMES: ["favorites", "memories", "search:fuzz", f"person:{person}"],
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _assert_as_before(now: dict[str, str], baseline: dict[str, str]) -> None:
    """Check every entity has its baseline state (moving ones: its availability)."""
    for entity_id, value in baseline.items():
        if entity_id.startswith(MOVING):
            assert (now.get(entity_id) == STATE_UNAVAILABLE) == (
                value == STATE_UNAVAILABLE
            ), (entity_id, now.get(entity_id), value)
        else:
            assert now.get(entity_id) == value, (entity_id, now.get(entity_id), value)


# Regressions: answers that once broke a refresh with another exception than
# UpdateFailed, or a sensor while it wrote its state.
COORDINATOR_REGRESSIONS: tuple[tuple[tuple[str, str], Mutation], ...] = (
    (("server", "getStorage"), _setting("diskUsagePercentage", float("inf"))),
    (("server", "getStorage"), _setting("diskSizeRaw", 10**400)),
    (
        ("watcher", "searchAssets"),
        _setting("createdAt", NAIVE, "assets", "items", 0),
    ),
    # A queue named with a lone surrogate got entities whose unique id made the
    # entity registry unable to save itself (orjson refuses it).
    (("queues", "getQueues"), _setting("name", "\ud800", 0)),
)


@pytest.mark.parametrize("run", RUNS)
async def test_coordinators_fail_cleanly_and_recover(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    run: str,
) -> None:
    """Refresh with one mutated answer: success or unavailable; then all recover."""
    server = immich_server_v3
    world = _seed(server)
    entry = await _loaded(hass, server, world)
    for name in POLLED:  # a clean round first: the baseline
        await _coordinator(entry, name).async_refresh()
    await hass.async_block_till_done()
    world.remember()
    baseline = _states(hass, entry)
    for name, (_, entity_id) in POLLED.items():
        assert baseline[entity_id] != STATE_UNAVAILABLE, (name, baseline)
    counts: Counter[str] = Counter()

    async def attempt(drawn: tuple[tuple[str, str], Mutation]) -> None:
        (name, operation), mutation = drawn
        coordinator = _coordinator(entry, name)
        server.set_fault(operation, mutate=mutation)
        try:
            await coordinator.async_refresh()
        finally:
            server.clear_faults()
        if _failed_cleanly(coordinator):
            key = coordinator.last_exception.translation_key  # type: ignore[union-attr]
            counts[f"update_failed_{key}"] += 1
            entity_id = POLLED[name][1]
            assert hass.states.get(entity_id).state == STATE_UNAVAILABLE, entity_id
        else:
            counts["refresh_ok"] += 1
        # The server is right again: one refresh brings everything back.
        await coordinator.async_refresh()
        assert not _failed_cleanly(coordinator), (name, operation)
        assert not server.violations, server.violations  # requests and clean answers
        _assert_as_before(_states(hass, entry), baseline)
        # Entities come and go with the items: the registry must still be savable.
        json_bytes(er.async_get(hass)._data_to_save())
        world.reset()
        counts["examples"] += 1

    examples = COORDINATOR_EXAMPLES[run]
    await hass.async_add_executor_job(
        _run(
            hass,
            st.tuples(TARGETS, MUTATIONS),
            attempt,
            run=run,
            examples=examples,
            regressions=COORDINATOR_REGRESSIONS,
        )
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    _summary(f"coordinators {run}", counts)
    assert counts["examples"] >= examples
    assert counts["refresh_ok"] > examples // 20
    assert counts["update_failed_server_error"] > examples // 4


# ---------------------------------------------------------------------- actions

# Action -> (payload without config_entry_id, operations whose answers it reads).
ACTION_CALLS: dict[
    str, tuple[Callable[[World, Path], dict[str, Any]], tuple[str, ...]]
] = {
    "create_album": (
        lambda w, _: {"name": "Fuzz album", "asset_id": [w.asset_id]},
        ("getAssetInfo", "createAlbum"),
    ),
    "search": (
        lambda _, __: {"query": "fuzz", "album": "Fuzz", "person": "Fuzz person"},
        ("getAllAlbums", "getAllPeople", "searchSmart"),
    ),
    "create_shared_link": (
        lambda _, __: {"album": "Fuzz", "expires_in": {"days": 1}},
        ("getAllAlbums", "createSharedLink", "getServerConfig"),
    ),
    "create_tag": (lambda _, __: {"name": "Fuzz/Other"}, ("upsertTags",)),
    "scan_library": (lambda _, __: {"library": "NAS"}, ("getAllLibraries",)),
    "empty_trash": (lambda _, __: {}, ("emptyTrash",)),
    "upload": (
        lambda _, folder: {"file_path": str(folder / "fuzz.jpg"), "tags": ["Fuzz/Tag"]},
        ("getSupportedMediaTypes", "getAllTags", "checkBulkUpload", "tagAssets"),
    ),
}
ACTION_TARGETS = tuple(
    (action, operation)
    for action, (_, operations) in ACTION_CALLS.items()
    for operation in operations
)


def _translated(err: HomeAssistantError) -> str:
    """Return the error's translation key after checking it is one of ours."""
    assert err.translation_domain == DOMAIN, repr(err)
    assert err.translation_key, repr(err)
    return err.translation_key


@pytest.mark.parametrize("run", RUNS)
async def test_actions_fail_translated_and_recover(
    hass: HomeAssistant,
    immich_server_v3: FakeImmich,
    allowed: Path,
    run: str,
) -> None:
    """Run an action on a mutated answer: a result or a translated error; then ok."""
    server = immich_server_v3
    world = _seed(server)
    (allowed / "fuzz.jpg").write_bytes(world.jpeg)
    entry = make_entry(server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    world.remember()
    counts: Counter[str] = Counter()

    async def call(action: str) -> Any:
        payload, _ = ACTION_CALLS[action]
        return await hass.services.async_call(
            DOMAIN,
            action,
            {"config_entry_id": entry.entry_id, **payload(world, allowed)},
            blocking=True,
            return_response=ACTIONS[action].response is not SupportsResponse.NONE,
        )

    async def attempt(drawn: tuple[tuple[str, str], Mutation]) -> None:
        (action, operation), mutation = drawn
        server.set_fault(operation, mutate=mutation)
        try:
            await call(action)
        except HomeAssistantError as err:
            counts[f"{type(err).__name__}_{_translated(err)}"] += 1
        else:
            counts["action_ok"] += 1
        finally:
            server.clear_faults()
        await call(action)  # the server is right again: so is the action
        assert not server.violations, server.violations  # requests and clean answers
        world.reset()
        counts["examples"] += 1

    examples = ACTION_EXAMPLES[run]
    await hass.async_add_executor_job(
        _run(
            hass,
            st.tuples(st.sampled_from(ACTION_TARGETS), MUTATIONS),
            attempt,
            run=run,
            examples=examples,
        )
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    _summary(f"actions {run}", counts)
    assert counts["examples"] >= examples
    assert counts["action_ok"] > examples // 20
    assert counts["HomeAssistantError_server_error"] > examples // 4
