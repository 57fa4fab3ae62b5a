"""CPU time of one full refresh: Immich Bridge's calls vs HA core's aioimmich.

Run by hand: ``.venv/bin/python benchmarks/bench_poll.py [--albums 10000] [--users 50]
[--assets 1000000] [--rounds 7]``. It starts the fake Immich (v3, validation off) in a
separate process seeded with that library, installs ``aioimmich==0.12.0`` (the version
Home Assistant 2026.2.3 pins) into ``benchmarks/.work/aioimmich`` when missing, and
measures this process's CPU time (user + system) for one refresh of each: the median
of several rounds after a warm-up. Ours is every request of the server coordinator
plus building its data, in the default configuration (10 requests, concurrently: the
album counts come from ``/albums/statistics``, no album is listed); theirs is the four
calls of core's coordinator (about, storage, statistics, version check); a third figure
makes those same four calls through our client. A fourth figure is our refresh when an
album is picked in the options (album sensor, album event or album frame): the owned
and shared albums are listed too (12 requests) and only the picked one is kept, so that
one still grows with the number of albums. The server's CPU is not counted (it runs in
the other process). The ratios are printed last.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp
from yarl import URL

from _common import ROOT, WORK  # isort: skip

AIOIMMICH = WORK / "aioimmich"
AIOIMMICH_VERSION = "0.12.0"


def _serve(albums: int, users: int, assets: int) -> None:
    """Run the seeded fake server (validation off) and print its URL and key."""
    from tests.fake_immich import FakeImmich  # noqa: PLC0415

    async def main() -> None:
        server = FakeImmich("v3")
        server.spec.check_request = lambda *_args: []  # type: ignore[method-assign]
        server.spec.check_response = lambda *_args: []  # type: ignore[method-assign]
        state = server.state
        owners = [server.admin_id, server.user_id]
        owners += [
            state.add_user(f"User {n}", f"user{n}@example.com")
            for n in range(users - 2)
        ]
        data = b"\xff\xd8\xff\xd9"
        asset_ids = [
            state.add_asset(
                owners[n % len(owners)], data=data + n.to_bytes(4), filename=f"{n}.jpg"
            )
            for n in range(assets)
        ]
        per_album = max(1, assets // max(albums, 1))
        for n in range(albums):
            start = (n * per_album) % max(assets, 1)
            state.add_album(
                server.admin_id,
                f"Album {n}",
                asset_ids=asset_ids[start : start + per_album],
            )
        url = await server.start("127.0.0.1", 0)
        print(json.dumps({"url": url, "key": server.admin_key}), flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def _ensure_aioimmich() -> None:
    """Install aioimmich into benchmarks/.work/aioimmich once."""
    if not (AIOIMMICH / "aioimmich").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(AIOIMMICH),
                f"aioimmich=={AIOIMMICH_VERSION}",
            ],
            check=True,
        )
    # Appended: the venv's aiohttp (Home Assistant's) stays the one in use.
    sys.path.append(str(AIOIMMICH))


async def _ours(
    session: aiohttp.ClientSession, url: str, key: str, *, picked: bool = False
) -> Callable[[], Awaitable[Any]]:
    """Return one refresh as ImmichBridgeServerCoordinator does it (without HA).

    With `picked`, one album is picked in the options: albums are listed too.
    """
    from custom_components.immich_bridge.api import ImmichClient  # noqa: PLC0415

    client = ImmichClient(session, url, key)
    await client.server_version()
    wanted = frozenset({(await client.albums())[0].id}) if picked else frozenset()

    async def albums() -> Any:
        if not wanted:
            return {}
        owned, shared = await asyncio.gather(
            client.albums(), client.albums(shared=True)
        )
        return {a.id: a for a in (*owned, *shared) if a.id in wanted}

    async def refresh() -> Any:
        return await asyncio.gather(
            asyncio.gather(
                client.about(),
                client.version_check(),
                client.storage(),
                client.statistics(),
                client.asset_statistics(),
                client.me(),
            ),
            asyncio.gather(
                client.album_statistics(),
                albums(),
                client.people(size=1),
                client.tags(),
                client.libraries(),
            ),
        )

    return refresh


async def _ours_core_calls(
    session: aiohttp.ClientSession, url: str, key: str
) -> Callable[[], Awaitable[Any]]:
    """Return core's four calls made through our client (like for like)."""
    from custom_components.immich_bridge.api import ImmichClient  # noqa: PLC0415

    client = ImmichClient(session, url, key)
    await client.server_version()

    async def refresh() -> Any:
        return await asyncio.gather(
            client.about(),
            client.storage(),
            client.statistics(),
            client.version_check(),
        )

    return refresh


async def _theirs(
    session: aiohttp.ClientSession, url: str, key: str
) -> Callable[[], Awaitable[Any]]:
    """Return one refresh as Home Assistant core's immich coordinator does it."""
    from aioimmich import Immich  # noqa: PLC0415

    parsed = URL(url)
    api = Immich(session, key, str(parsed.host), int(parsed.port or 80), False)

    async def refresh() -> Any:
        about = await api.server.async_get_about_info()
        storage = await api.server.async_get_storage_info()
        stats = await api.server.async_get_server_statistics()
        check = await api.server.async_get_version_check()
        return (about, storage, stats, check)

    return refresh


async def _measure(refresh: Callable[[], Awaitable[Any]], rounds: int) -> float:
    """Return the median CPU seconds of one refresh after a warm-up."""
    await refresh()
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        await refresh()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


async def _run(url: str, key: str, rounds: int) -> tuple[float, float, float, float]:
    """Measure the refreshes against one server."""
    async with aiohttp.ClientSession() as session:
        ours = await _measure(await _ours(session, url, key), rounds)
        same = await _measure(await _ours_core_calls(session, url, key), rounds)
        theirs = await _measure(await _theirs(session, url, key), rounds)
        picked = await _measure(await _ours(session, url, key, picked=True), rounds)
    return ours, same, theirs, picked


def main() -> None:
    """Seed the server, measure, print the figures and the ratio last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--albums", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.albums, args.users, args.assets)
        return
    _ensure_aioimmich()
    command = [
        sys.executable,
        __file__,
        "--serve",
        f"--albums={args.albums}",
        f"--users={args.users}",
        f"--assets={args.assets}",
    ]
    print(
        f"seeding the fake Immich: {args.albums} albums, {args.users} users, "
        f"{args.assets} assets ..."
    )
    with subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, text=True) as proc:
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            ours, same, theirs, picked = asyncio.run(
                _run(info["url"], info["key"], args.rounds)
            )
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    print(f"immich_bridge full refresh (10 requests): {ours * 1000:8.2f} ms CPU")
    print(f"immich_bridge, core's 4 calls:            {same * 1000:8.2f} ms CPU")
    print(f"aioimmich (HA core), 4 calls:             {theirs * 1000:8.2f} ms CPU")
    print(f"immich_bridge, an album picked (12 req.): {picked * 1000:8.2f} ms CPU")
    print(f"ratio, same 4 calls, ours/theirs: {same / theirs:.2f}x")
    print(f"ratio, full refresh vs core's refresh: {ours / theirs:.2f}x (goal <= 0.5x)")


if __name__ == "__main__":
    main()
