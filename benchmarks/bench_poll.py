"""Refresh cost, Immich Bridge against HA core's aioimmich: CPU and wall time.

Run by hand: ``.venv/bin/python benchmarks/bench_poll.py [--rounds 15]``. By default it
starts a real Immich (``../shared/toolchain/immich-server``; with IMMICH_URL and
IMMICH_API_KEY, an admin key, it uses that server), uploads --photos small photos into
a few albums and waits for the server's jobs to finish. ``--fake`` uses the stand-in
instead (v3, validation off), seeded with --albums/--users/--assets, to show how the
cost grows with the library. ``aioimmich==0.12.0`` (the version Home Assistant 2026.2.3
pins) is installed into ``benchmarks/.work/aioimmich`` when missing.

Each figure is the median of --rounds runs after a warm-up, of this process's CPU time
(user + system; the server runs elsewhere) and of the wall time:

- core's refresh: aioimmich's four calls (about, storage, statistics, version check),
  one after the other, as core's coordinator makes them;
- the same four calls through our client, concurrently, as our coordinator makes them
  (like for like);
- our full refresh: every request of ImmichBridgeServerCoordinator's first refresh (the
  sources it reads hourly or every 15 minutes included), in its waves;
- our usual refresh: the 5-minute tick, without those slower sources;
- an hour of the four core figures: twelve ticks each. Core asks all four every tick;
  our coordinator reads storage and statistics every tick, the server's version and
  its update once an hour (READ_EVERY in coordinator.py).

The ratios print last.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp
from yarl import URL

from _common import ROOT, WORK, real_server  # isort: skip

AIOIMMICH = WORK / "aioimmich"
AIOIMMICH_VERSION = "0.12.0"
TICKS_PER_HOUR = 12  # SERVER_SCAN_INTERVAL: 5 minutes


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


Refresh = Callable[[], Awaitable[Any]]


def _client(session: aiohttp.ClientSession, url: str, key: str) -> Any:
    """Return our client (imported late: after the stand-alone api/ loader)."""
    from custom_components.immich_bridge.api import ImmichClient  # noqa: PLC0415

    return ImmichClient(session, url, key)


async def _ours(
    session: aiohttp.ClientSession, url: str, key: str, *, full: bool
) -> Refresh:
    """Return one refresh as ImmichBridgeServerCoordinator makes it: one round.

    A 5-minute tick asks what changes often; `full` adds what the coordinator reads
    every 15 minutes (people, tags) or hourly (about, version check, duplicates), as
    its first refresh does (READ_EVERY in coordinator.py). The libraries' counts
    follow their list in the same round.
    """
    client = _client(session, url, key)
    await client.server_version()

    async def libraries() -> Any:
        found = await client.libraries()
        return await asyncio.gather(
            *(client.library_statistics(library.id) for library in found)
        )

    async def refresh() -> Any:
        calls = [
            client.storage(),
            client.statistics(),
            client.asset_statistics(),
            client.me(),
            client.album_statistics(),
            client.asset_statistics(is_trashed=True),
            libraries(),
        ]
        if full:
            calls += [
                client.about(),
                client.version_check(),
                client.people(size=1),
                client.tags(),
                client.duplicates(),
            ]
        return await asyncio.gather(*calls)

    return refresh


async def _ours_core_calls(
    session: aiohttp.ClientSession, url: str, key: str, *, tick: int | None = None
) -> Refresh:
    """Return core's four calls made through our client, concurrently.

    With `tick`, only what our coordinator asks at that tick of an hour: storage and
    statistics every tick, about and the version check at the first.
    """
    client = _client(session, url, key)
    await client.server_version()

    async def refresh() -> Any:
        calls = [client.storage(), client.statistics()]
        if tick is None or tick == 0:
            calls += [client.about(), client.version_check()]
        return await asyncio.gather(*calls)

    return refresh


async def _theirs(session: aiohttp.ClientSession, url: str, key: str) -> Refresh:
    """Return one refresh as Home Assistant core's immich coordinator makes it."""
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


async def _measure(refresh: Refresh, rounds: int) -> tuple[float, float]:
    """Return the median CPU and wall seconds of one refresh after a warm-up."""
    await refresh()
    cpu, wall = [], []
    for _ in range(rounds):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        await refresh()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return statistics.median(cpu), statistics.median(wall)


async def _hour(make: Callable[[int], Awaitable[Refresh]], rounds: int) -> float:
    """Return the median CPU seconds of an hour's twelve ticks."""
    ticks = [await make(tick) for tick in range(TICKS_PER_HOUR)]
    for refresh in ticks:
        await refresh()
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for refresh in ticks:
            await refresh()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


async def _run(url: str, key: str, rounds: int) -> dict[str, tuple[float, float]]:
    """Measure every refresh against one server, in a fixed interleaved order."""
    results: dict[str, tuple[float, float]] = {}
    async with aiohttp.ClientSession() as session:
        makers: dict[str, Callable[[], Awaitable[Refresh]]] = {
            "theirs": lambda: _theirs(session, url, key),
            "same": lambda: _ours_core_calls(session, url, key),
            "full": lambda: _ours(session, url, key, full=True),
            "tick": lambda: _ours(session, url, key, full=False),
        }
        refreshes = {name: await make() for name, make in makers.items()}
        for name, refresh in refreshes.items():
            results[name] = await _measure(refresh, rounds)
        theirs_hour = await _hour(lambda _tick: _theirs(session, url, key), rounds)
        ours_hour = await _hour(
            lambda tick: _ours_core_calls(session, url, key, tick=tick), rounds
        )
    results["hour theirs"] = (theirs_hour, 0.0)
    results["hour ours"] = (ours_hour, 0.0)
    return results


async def _seed_real(url: str, key: str, photos: int) -> None:
    """Upload small photos into a few albums (not timed)."""
    from tests.fake_immich.jpeg import sample_jpeg  # noqa: PLC0415

    async with aiohttp.ClientSession() as session:
        client = _client(session, url, key)
        ids = []
        for index in range(photos):
            data = sample_jpeg(index, width=160, height=120, label="poll")
            result = await client.upload_bytes(data, f"poll-{index:04d}.jpg")
            ids.append(result.asset_id)
        for number in range(5):
            album = await client.create_album(f"Poll {number}")
            await client.add_assets_to_album(album.id, ids[number::5])


def _fake_server(args: argparse.Namespace, stack: ExitStack) -> tuple[str, str, str]:
    """Start the seeded stand-in; return its URL, key and label."""
    command = [
        sys.executable,
        __file__,
        "--serve",
        f"--albums={args.albums}",
        f"--users={args.users}",
        f"--assets={args.assets}",
    ]
    print(
        f"seeding the stand-in: {args.albums} albums, {args.users} users, "
        f"{args.assets} assets ..."
    )
    proc = stack.enter_context(
        subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, text=True)
    )
    stack.callback(proc.wait, 60)
    stack.callback(proc.terminate)
    assert proc.stdout is not None  # PIPE above
    info = json.loads(proc.stdout.readline())
    label = f"stand-in (v3 spec), {args.albums} albums, {args.assets} assets"
    return info["url"], info["key"], label


def main() -> None:
    """Start or seed the server, measure, print the figures and the ratios last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fake", action="store_true", help="use the stand-in")
    parser.add_argument("--photos", type=int, default=60, help="real server: photos")
    parser.add_argument("--albums", type=int, default=10_000, help="stand-in only")
    parser.add_argument("--users", type=int, default=50, help="stand-in only")
    parser.add_argument("--assets", type=int, default=1_000_000, help="stand-in only")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.albums, args.users, args.assets)
        return
    _ensure_aioimmich()
    with ExitStack() as stack:
        if args.fake:
            url, key, label = _fake_server(args, stack)
        else:
            real = stack.enter_context(real_server())
            url, key = real.url, real.admin_key
            asyncio.run(_seed_real(url, key, args.photos))
            real.wait_idle()
            label = f"real Immich {real.version()}, {args.photos} photos in 5 albums"
        results = asyncio.run(_run(url, key, args.rounds))
    print(f"server: {label}; aioimmich {AIOIMMICH_VERSION}; median of {args.rounds}")
    names = {
        "theirs": "core (aioimmich), 4 calls in sequence",
        "same": "ours, the same 4 calls, concurrently",
        "full": "ours, full refresh (first: 12 requests + 1 per library)",
        "tick": "ours, a 5-minute tick (7 requests + 1 per library)",
    }
    for name, text in names.items():
        cpu, wall = results[name]
        print(f"{text:54s} {cpu * 1000:7.2f} ms CPU {wall * 1000:8.2f} ms wall")
    hour_theirs, hour_ours = results["hour theirs"][0], results["hour ours"][0]
    print(
        f"an hour of core's four figures (12 ticks): core {hour_theirs * 1000:.1f} ms"
        f" CPU (48 requests), ours {hour_ours * 1000:.1f} ms CPU (26 requests)"
    )
    theirs_cpu, theirs_wall = results["theirs"]
    print(
        f"ratio CPU, same 4 calls, ours/core: "
        f"{results['same'][0] / theirs_cpu:.2f}x (goal <= 0.8)"
    )
    hour_ratio = hour_ours / hour_theirs
    print(f"ratio CPU, an hour of the same data, ours/core: {hour_ratio:.2f}x")
    print(
        f"ratio wall, our full refresh/core's refresh: "
        f"{results['full'][1] / theirs_wall:.2f}x (goal <= 1)"
    )
    print(
        f"ratio wall, our 5-minute tick/core's refresh: "
        f"{results['tick'][1] / theirs_wall:.2f}x"
    )


if __name__ == "__main__":
    main()
