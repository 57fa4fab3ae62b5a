"""Benchmark one big upload: ImmichClient.upload against `curl -F` to the same server.

Run by hand, not in CI: ``.venv/bin/python benchmarks/bench_upload.py [--size 1G]``.
Without IMMICH_URL/IMMICH_API_KEY it starts the fake Immich (v3 unless --spec v2) in its
own process, without spec validation unless --validate (openapi-core costs ms per
request; above 8 MiB the fake validates only the form fields anyway). Each tool runs
--runs times; the best time counts, and the asset is deleted between runs. Our upload
runs in a child process so its peak RSS growth can be read. The ratios print last:
goal >= 0.95x curl's throughput and <= 64 MiB RSS growth.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import random
import subprocess
import sys
import tempfile
import time

from _common import WORK, Target, parse_size, peak_rss_mib, rss_mib, target

from custom_components.immich_bridge.api import ImmichClient
from custom_components.immich_bridge.api.upload import sha1_file

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
    async with ImmichClient(None, url, key, request_timeout=600) as client:
        await client.server_version()
        checksum = None if precheck else await sha1_file(path)
        base = rss_mib()
        start = time.perf_counter()
        result = await client.upload(path, checksum=checksum, check_duplicate=precheck)
        seconds = time.perf_counter() - start
        growth = peak_rss_mib() - base
    line = {"seconds": seconds, "rss_growth_mib": growth, "asset_id": result.asset_id}
    print(json.dumps({**line, "duplicate": result.duplicate}))


def run_ours(server: Target, path: Path, *, precheck: bool) -> dict[str, float | str]:
    """Run one upload in a child process and return its figures."""
    command = [sys.executable, __file__, "--child", server.url, str(path)]
    if not precheck:
        command.append("--no-precheck")
    env = {**os.environ, "IMMICH_API_KEY": server.key}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_curl(server: Target, path: Path, *, v2: bool) -> tuple[float, str]:
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
        header.write(f"x-api-key: {server.key}\nExpect:\n")
        header.flush()
        start = time.perf_counter()
        out = subprocess.run(
            [
                *("curl", "-sS", "--fail-with-body", "-H", f"@{header.name}"),
                *fields,
                f"{server.url}/api/assets",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
    return seconds, json.loads(out.stdout)["id"]


async def delete(server: Target, asset_id: str) -> None:
    """Delete an uploaded asset for good so the next run uploads again."""
    async with ImmichClient(None, server.url, server.key) as client:
        await client.delete_assets([asset_id], force=True)


async def server_is_v2(server: Target) -> bool:
    """Return whether the server speaks Immich 2.x."""
    async with ImmichClient(None, server.url, server.key) as client:
        return (await client.server_version()).major < 3


def main() -> None:
    """Parse the arguments, run both tools and print the figures, ratios last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1G", help="file size (1G, 256M, …)")
    parser.add_argument("--runs", type=int, default=3)
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
    with target(args.spec, validate=args.validate) as server:
        v2 = asyncio.run(server_is_v2(server))
        where = "fake Immich " + args.spec if server.fake else server.url
        checks = "on" if args.validate else "off"
        print(f"upload of {mib:.0f} MiB to {where} (validation {checks})")
        ours: list[float] = []
        transfer: list[float] = []
        growth: list[float] = []
        curl: list[float] = []
        for run in range(1, args.runs + 1):
            full = run_ours(server, path, precheck=True)
            asyncio.run(delete(server, str(full["asset_id"])))
            bare = run_ours(server, path, precheck=False)
            asyncio.run(delete(server, str(bare["asset_id"])))
            seconds, asset_id = run_curl(server, path, v2=v2)
            asyncio.run(delete(server, asset_id))
            ours.append(float(full["seconds"]))
            transfer.append(float(bare["seconds"]))
            growth += [float(full["rss_growth_mib"]), float(bare["rss_growth_mib"])]
            curl.append(seconds)
            print(
                f"run {run}: ours {full['seconds']:.2f} s (hash + check + upload), "
                f"ours {bare['seconds']:.2f} s (upload only), curl {seconds:.2f} s, "
                f"RSS growth {full['rss_growth_mib']:.1f} / "
                f"{bare['rss_growth_mib']:.1f} MiB"
            )
        if server.fake:
            stats = server.stats() or {}
            print(f"fake server: {stats.get('violations', 0)} spec violations")
    best_ours, best_transfer, best_curl = min(ours), min(transfer), min(curl)
    print(
        f"best: ours {mib / best_ours:.0f} MiB/s, ours upload-only "
        f"{mib / best_transfer:.0f} MiB/s, curl {mib / best_curl:.0f} MiB/s"
    )
    print(
        "ratio throughput ours/curl (with SHA-1 + bulk check): "
        f"{best_curl / best_ours:.2f}x (goal >= 0.95)"
    )
    print(f"ratio throughput ours/curl (upload only): {best_curl / best_transfer:.2f}x")
    print(f"peak RSS growth: {max(growth):.1f} MiB (goal <= 64)")


if __name__ == "__main__":
    main()
