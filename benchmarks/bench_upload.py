"""Benchmark one big upload: ImmichClient.upload against `curl -F` to the same server.

Run by hand, not in CI: ``.venv/bin/python benchmarks/bench_upload.py [--size 1G]``.
By default it starts a real Immich (``../shared/toolchain/immich-server``; with
IMMICH_URL/IMMICH_API_KEY, an admin key, it uses that server instead); ``--fake``
runs the stand-in (v3 unless --spec v2, validation off unless --validate) instead.
Every upload goes to a new user (so none is a duplicate of an earlier run), on a
server whose job queues are idle. Each round runs: ours as a user calls it (SHA-1,
duplicate check and upload, overlapped), ours with the checksum already known and no
check (the upload step alone), curl, and ours again with the same file (a duplicate:
how many bytes it sent before it stopped). Ours runs in a child process so its peak
RSS growth can be read. The best of --runs rounds counts; the ratios print last:
goal >= 0.97x curl's throughput and <= 32 MiB RSS growth.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import ExitStack
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import random
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

from _common import (
    WORK,
    parse_size,
    peak_rss_mib,
    real_server,
    reset_peak_rss,
    rss_mib,
    target,
)
import aiohttp

from custom_components.immich_bridge.api import ImmichClient
from custom_components.immich_bridge.api.files import sha1_file

BLOCK = 8 * 1024 * 1024


def make_file(size: int) -> Path:
    """Write (once) a pseudo-random file of `size` bytes, block by block."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"upload-{size}.jpg"
    if path.is_file() and path.stat().st_size == size:
        return path
    rng = random.Random(size)
    with path.open("wb") as handle:
        left = size
        while left > 0:
            block = rng.randbytes(min(BLOCK, left))
            handle.write(block)
            left -= len(block)
    return path


async def child(url: str, path: Path, *, precheck: bool) -> None:
    """Upload once (key from IMMICH_API_KEY); print seconds and RSS growth as JSON."""
    key = os.environ["IMMICH_API_KEY"]
    sent = 0

    async def on_chunk(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestChunkSentParams,
    ) -> None:
        nonlocal sent
        sent += len(params.chunk)

    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(on_chunk)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        ImmichClient(session, url, key, request_timeout=600) as client,
    ):
        await client.server_version()
        checksum = None if precheck else await sha1_file(path)
        # VmHWM reset here: ru_maxrss would count the parent's RSS at fork time.
        base = rss_mib()
        reset_peak_rss()
        sent = 0
        start = time.perf_counter()
        result = await client.upload(path, checksum=checksum, check_duplicate=precheck)
        seconds = time.perf_counter() - start
        growth = peak_rss_mib() - base
    line = {"seconds": seconds, "rss_growth_mib": growth, "asset_id": result.asset_id}
    print(json.dumps({**line, "duplicate": result.duplicate, "bytes_sent": sent}))


def run_ours(
    url: str, key: str, path: Path, *, precheck: bool
) -> dict[str, float | str]:
    """Run one upload in a child process and return its figures."""
    command = [sys.executable, __file__, "--child", url, str(path)]
    if not precheck:
        command.append("--no-precheck")
    env = {**os.environ, "IMMICH_API_KEY": key}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_curl(url: str, key: str, path: Path, *, v2: bool) -> tuple[float, str]:
    """Upload with curl -F (key from a private header file); return seconds and id."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).isoformat()
    fields = [
        "-F",
        f"assetData=@{path};filename={path.name}",
        "-F",
        f"fileCreatedAt={stamp}",
        "-F",
        f"fileModifiedAt={stamp}",
        "-F",
        f"filename={path.name}",
    ]
    if v2:
        fields += ["-F", "deviceAssetId=bench-curl", "-F", "deviceId=bench"]
    with tempfile.NamedTemporaryFile("w", dir=WORK, suffix=".hdr") as header:
        header.write(f"x-api-key: {key}\nExpect:\n")
        header.flush()
        start = time.perf_counter()
        out = subprocess.run(
            [
                *("curl", "-sS", "--fail-with-body", "-H", f"@{header.name}"),
                *fields,
                f"{url}/api/assets",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
    return seconds, json.loads(out.stdout)["id"]


async def server_is_v2(url: str, key: str) -> bool:
    """Return whether the server speaks Immich 2.x."""
    async with ImmichClient(None, url, key) as client:
        return (await client.server_version()).major < 3


def main() -> None:  # noqa: PLR0915  # one report
    """Parse the arguments, run both tools and print the figures, ratios last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1G", help="file size (1G, 256M, …)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fake", action="store_true", help="use the stand-in")
    parser.add_argument("--spec", choices=("v3", "v2"), default="v3")
    parser.add_argument("--validate", action="store_true", help="keep spec checks on")
    parser.add_argument(
        "--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS
    )
    parser.add_argument("--no-precheck", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(
            child(args.child[0], Path(args.child[1]), precheck=not args.no_precheck)
        )
        return

    size = parse_size(args.size)
    path = make_file(size)
    mib = size / 1024**2
    ours: list[float] = []
    transfer: list[float] = []
    growth: list[float] = []
    curl: list[float] = []
    dupes: list[tuple[float, int]] = []
    curl_version = subprocess.run(
        ["curl", "--version"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    with ExitStack() as stack:
        real = None if args.fake else stack.enter_context(real_server())
        if real is None:
            fake = stack.enter_context(target(args.spec, validate=args.validate))
            url = fake.url
            where = f"fake Immich {args.spec} (validation {args.validate})"
        else:
            url = real.url
            where = f"real Immich {real.version()} at {real.url}"
        v2 = asyncio.run(server_is_v2(url, real.admin_key if real else fake.key))
        print(f"upload of {mib:.0f} MiB to {where}")
        print(
            f"ours: Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}; "
            f"peer: {curl_version}"
        )

        def key() -> str:
            """Return a key that has no copy of the file; flush the disk cache."""
            if real is None:
                wipe_fake(fake.url, fake.key)
                user = fake.key
            else:
                real.wait_idle()
                user = real.new_user()
            # The server writes what it receives: start each run without the
            # previous run's dirty pages still being written back.
            os.sync()
            return user

        for run in range(1, args.runs + 1):
            # Rotate the order: the first upload of a round meets the calmest disk.
            order = ["full", "bare", "curl"]
            order = order[(run - 1) % 3 :] + order[: (run - 1) % 3]
            for name in order:
                if name == "full":
                    user = key()
                    full = run_ours(url, user, path, precheck=True)
                    os.sync()
                    again = run_ours(url, user, path, precheck=True)
                elif name == "bare":
                    bare = run_ours(url, key(), path, precheck=False)
                else:
                    seconds, _asset_id = run_curl(url, key(), path, v2=v2)
            ours.append(float(full["seconds"]))
            transfer.append(float(bare["seconds"]))
            growth += [float(full["rss_growth_mib"]), float(bare["rss_growth_mib"])]
            curl.append(seconds)
            dupes.append((float(again["seconds"]), int(again["bytes_sent"])))
            print(
                f"run {run}: ours {full['seconds']:.2f} s (hash + check + upload), "
                f"ours {bare['seconds']:.2f} s (upload only), curl {seconds:.2f} s, "
                f"RSS growth {full['rss_growth_mib']:.1f} / "
                f"{bare['rss_growth_mib']:.1f} MiB; the same file again: "
                f"duplicate {again['duplicate']} after {again['seconds']:.2f} s, "
                f"{int(again['bytes_sent']) / 1024**2:.1f} MiB sent"
            )
        if real:
            real.wait_idle()
    best_ours, best_transfer, best_curl = min(ours), min(transfer), min(curl)
    print(
        f"best: ours {mib / best_ours:.0f} MiB/s, ours upload-only "
        f"{mib / best_transfer:.0f} MiB/s, curl {mib / best_curl:.0f} MiB/s"
    )
    print(
        "ratio throughput ours/curl (with SHA-1 + duplicate check): "
        f"{best_curl / best_ours:.2f}x (goal >= 0.97)"
    )
    print(f"ratio throughput ours/curl (upload only): {best_curl / best_transfer:.2f}x")
    print(f"peak RSS growth: {max(growth):.1f} MiB (goal <= 32)")
    worst = max(sent for _seconds, sent in dupes)
    print(
        f"a duplicate of {mib:.0f} MiB sent at most {worst / 1024**2:.1f} MiB "
        f"({worst / size:.0%}) before it stopped"
    )


def wipe_fake(url: str, key: str) -> None:
    """Empty the stand-in's library (by API) so the next round uploads again."""

    async def wipe() -> None:
        async with ImmichClient(None, url, key) as client:
            page = await client.search_metadata(size=1000)
            if ids := [asset.id for asset in page.items]:
                await client.delete_assets(ids, force=True)

    asyncio.run(wipe())


if __name__ == "__main__":
    main()
