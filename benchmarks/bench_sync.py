"""Benchmark a folder sync: api.sync_folder against the `immich` CLI's upload.

Run by hand, not in CI: ``.venv/bin/python benchmarks/bench_sync.py [--count 300]``.
By default it starts a real Immich (``../shared/toolchain/immich-server``; with
IMMICH_URL/IMMICH_API_KEY, an admin key, it uses that server instead) and runs the
CLI of the same source (``immich-server cli-path``). ``--fake`` runs against the
stand-in (v2 spec, the CLI's version, validation off unless --validate) instead.

Each tool syncs its own folder of --count generated JPEGs (about --kb KiB each), half
of which are put on the server first (not timed); every tool and round gets a new
user, so the same folder serves every round. A run is timed from the outside
(process start to exit), on a server whose job queues are idle: ours and the CLI at
--concurrency, and the CLI at its default (1). The best of --runs rounds counts.
Ratios print last: goal <= 0.7x the CLI's wall time at the same concurrency, zero
duplicate uploads. ``--ours-only`` skips the CLI (for the memory runs).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from contextlib import ExitStack
import json
import os
from pathlib import Path
import random
import shutil
import struct
import subprocess
import sys
import time
from types import SimpleNamespace

from _common import WORK, peak_rss_mib, real_server, target
import aiohttp

from custom_components.immich_bridge.api import ImmichClient, sync_folder

CLI_DEFAULT_CONCURRENCY = 1  # `immich upload --help`: "default: 1"


def jpeg(index: int, label: str, size: int) -> bytes:
    """Return a valid JPEG padded with comment segments to about `size` bytes."""
    from tests.fake_immich.jpeg import sample_jpeg  # noqa: PLC0415  # slow import

    base = sample_jpeg(index, width=320, height=240, label=label)
    rng = random.Random(f"{label}-{index}")
    padding = bytearray()
    left = max(0, size - len(base))
    while left > 0:
        chunk = min(left, 60000)
        padding += b"\xff\xfe" + struct.pack(">H", chunk + 2) + rng.randbytes(chunk)
        left -= chunk + 4
    return base[:2] + bytes(padding) + base[2:]


def make_folder(label: str, count: int, size: int) -> Path:
    """Write (once) `count` JPEGs in nested folders for one tool."""
    folder = WORK / f"sync-{label}-{count}-{size // 1024}k"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for index in range(count):
        sub = folder / f"day-{index // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"IMG_{index:05d}.jpg").write_bytes(jpeg(index, label, size))
    marker.write_text("")
    return folder


async def seed(url: str, key: str, folder: Path, concurrency: int) -> None:
    """Put every other file of the folder on the server (not timed)."""
    files = (await asyncio.to_thread(lambda: sorted(folder.rglob("*.jpg"))))[::2]
    slots = asyncio.Semaphore(concurrency)
    async with ImmichClient(None, url, key) as client:

        async def one(path: Path) -> None:
            async with slots:
                await client.upload(path, check_duplicate=False)

        await asyncio.gather(*(one(path) for path in files))


async def child(url: str, folder: Path, concurrency: int) -> None:
    """Sync the folder (key from IMMICH_API_KEY) and print the counts as JSON.

    The answers to POST /assets are counted on the client: 201 is a new asset,
    200 a duplicate that was sent for nothing.
    """
    start = time.perf_counter()
    statuses: Counter[str] = Counter()

    async def on_end(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if params.method == "POST" and params.url.path == "/api/assets":
            statuses[str(params.response.status)] += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_end)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        ImmichClient(session, url, os.environ["IMMICH_API_KEY"]) as client,
    ):
        result = await sync_folder(client, folder, concurrency=concurrency)
    counts = {
        "sync_seconds": round(time.perf_counter() - start, 3),
        "uploaded": result.uploaded,
        "duplicates": result.duplicates,
        "failed": result.failed,
        "skipped": result.skipped,
        "sent_duplicates": statuses.get("200", 0),
        # VmHWM, not ru_maxrss: Linux keeps the parent's RSS at fork in the latter.
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }
    print(json.dumps(counts))


async def floor(url: str, folder: Path, concurrency: int) -> None:
    """POST only the files the server lacks, bare: no hashing, no checks.

    The lower bound any client pays at this concurrency: the server's own work per
    upload. The fields are those Immich 2.x requires (the CLI's), the body is read
    from disk as the request goes out.
    """
    start = time.perf_counter()
    files = (await asyncio.to_thread(lambda: sorted(folder.rglob("*.jpg"))))[1::2]
    slots = asyncio.Semaphore(concurrency)
    headers = {"x-api-key": os.environ["IMMICH_API_KEY"], "Accept": "application/json"}
    async with aiohttp.ClientSession() as session:

        async def one(path: Path) -> None:
            stat = await asyncio.to_thread(path.stat)
            when = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(stat.st_mtime))
            form = aiohttp.FormData()
            form.add_field("deviceAssetId", f"{path.name}-{stat.st_size}")
            form.add_field("deviceId", "floor")
            form.add_field("fileCreatedAt", when)
            form.add_field("fileModifiedAt", when)
            async with slots:
                with path.open("rb") as handle:
                    form.add_field("assetData", handle, filename=path.name)
                    async with session.post(
                        f"{url}/api/assets", data=form, headers=headers
                    ) as answer:
                        answer.raise_for_status()
                        await answer.read()

        await asyncio.gather(*(one(path) for path in files))
    print(json.dumps({"upload_seconds": round(time.perf_counter() - start, 3)}))


def run_tool(
    tool: str,
    url: str,
    key: str,
    folder: Path,
    concurrency: int | None,
    cli: str,
    config: Path,
) -> tuple[float, str]:
    """Sync a folder with one tool; return wall seconds and its last output line."""
    if tool in ("ours", "floor"):
        command = [sys.executable, __file__, f"--{tool}", url, str(folder)]
        command += ["--concurrency", str(concurrency or 4)]
        env = {**os.environ, "IMMICH_API_KEY": key}
    else:
        command = [cli, "upload", "--recursive", "--no-progress", str(folder)]
        if concurrency is not None:
            command += ["--concurrency", str(concurrency)]
        env = {
            **os.environ,
            "IMMICH_INSTANCE_URL": f"{url}/api",
            "IMMICH_API_KEY": key,
            "IMMICH_CONFIG_DIR": str(config),
        }
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{tool} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    lines = out.stdout.strip().splitlines()
    return seconds, lines[-1] if lines else ""


def main() -> None:  # noqa: C901, PLR0915  # one report
    """Parse the arguments, run the tools and print the figures, ratios last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--kb", type=int, default=256, help="approximate JPEG size")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="rounds; the best counts")
    parser.add_argument("--fake", action="store_true", help="use the stand-in")
    parser.add_argument("--spec", choices=("v3", "v2"), default="v2")
    parser.add_argument("--validate", action="store_true", help="keep spec checks on")
    parser.add_argument("--ours-only", action="store_true", help="skip the CLI")
    parser.add_argument(
        "--no-cli-default", action="store_true", help="skip the CLI at its default"
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the bare-upload floor run"
    )
    parser.add_argument(
        "--ours", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--floor", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.ours:
        asyncio.run(child(args.ours[0], Path(args.ours[1]), args.concurrency))
        return
    if args.floor:
        asyncio.run(floor(args.floor[0], Path(args.floor[1]), args.concurrency))
        return

    size = args.kb * 1024
    runs = plan_runs(args)
    folders = {name: make_folder(name, args.count, size) for name in runs}
    results: dict[str, float] = {}
    lines: dict[str, str] = {}
    sent_dupes = 0
    with ExitStack() as stack:
        real = None if args.fake else stack.enter_context(real_server())
        cli = real.cli if real else "" if args.ours_only else real_server_cli()
        server_label = (
            f"real Immich {real.version()}"
            if real
            else f"fake Immich ({args.spec} spec)"
        )
        peer = "none"
        if cli:
            version = subprocess.run(
                [cli, "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
            peer = f"immich CLI {version} ({cli})"
        print(
            f"server: {server_label}; peer: {peer}; "
            f"ours: Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}"
        )
        for round_ in range(1, args.runs + 1):
            names = list(runs)
            names = names[round_ - 1 :] + names[: round_ - 1]  # rotate the order
            for name in names:
                tool, concurrency = runs[name]
                with ExitStack() as inner:
                    if real is not None:
                        url, key = real.url, real.new_user()
                    else:
                        fake = inner.enter_context(
                            target(args.spec, validate=args.validate)
                        )
                        url, key = fake.url, fake.key
                    asyncio.run(seed(url, key, folders[name], 4))
                    waited = real.wait_idle() if real else 0.0
                    before = real.asset_count(key) if real else 0
                    config = WORK / f"cli-config-{name}-{round_}"
                    seconds, tail = run_tool(
                        tool, url, key, folders[name], concurrency, cli, config
                    )
                    after = real.asset_count(key) if real else 0
                    if real:
                        real.wait_idle()
                level = concurrency or f"{CLI_DEFAULT_CONCURRENCY} (CLI default)"
                if name not in results or seconds < results[name]:
                    results[name] = seconds
                    lines[name] = tail
                if tool == "ours":
                    sent_dupes += int(json.loads(tail).get("sent_duplicates", 0))
                new = f"; {after - before} new assets" if real else ""
                print(
                    f"round {round_} {name} (concurrency {level}): "
                    f"{seconds:.2f} s wall{new} (idle wait {waited:.0f} s); "
                    f"{tail[:160]}"
                )
    print(
        f"{args.count} JPEGs of ~{args.kb} KiB, half already on the server; "
        f"{server_label}; best of {args.runs}"
    )
    print(
        "best wall times: "
        + ", ".join(
            f"{name} (concurrency {runs[name][1] or CLI_DEFAULT_CONCURRENCY}) "
            f"{seconds:.2f} s"
            for name, seconds in results.items()
        )
    )
    print(f"duplicate uploads (ours, POST /assets answered 200): {sent_dupes}")
    print(f"our peak RSS: {json.loads(lines['ours']).get('peak_rss_mib')} MiB")
    if not args.ours_only:
        print_ratios(results, args.concurrency)


def plan_runs(args: argparse.Namespace) -> dict[str, tuple[str, int | None]]:
    """Name the runs of a round: (tool, concurrency, None for the CLI's default)."""
    runs: dict[str, tuple[str, int | None]] = {"ours": ("ours", args.concurrency)}
    if not args.no_floor:
        runs["floor"] = ("floor", args.concurrency)
    if not args.ours_only:
        runs["cli"] = ("cli", args.concurrency)
        if not args.no_cli_default:
            runs["cli-default"] = ("cli", None)
    return runs


def print_ratios(results: dict[str, float], concurrency: int) -> None:
    """Print our wall time over the CLI's (same concurrency, and its default)."""
    ours = results["ours"]
    print(
        f"ratio wall time ours/CLI at the same concurrency ({concurrency}): "
        f"{ours / results['cli']:.2f}x (goal <= 0.7)"
    )
    if "cli-default" in results:
        print(
            "ratio wall time ours/CLI at its default concurrency "
            f"({CLI_DEFAULT_CONCURRENCY}): {ours / results['cli-default']:.2f}x "
            "(goal <= 0.5)"
        )
    if "floor" in results:
        print(
            f"bare uploads of the new files alone (the floor) at concurrency "
            f"{concurrency}: {results['floor']:.2f} s; ours/floor "
            f"{ours / results['floor']:.2f}x, CLI/floor "
            f"{results['cli'] / results['floor']:.2f}x; the goal 0.7x the CLI is "
            f"{0.7 * results['cli']:.2f} s"
        )


def real_server_cli() -> str:
    """Return the path of the CLI the tool built (for runs against the stand-in)."""
    from _common import TOOL  # noqa: PLC0415

    return subprocess.run(
        [str(TOOL), "cli-path"], capture_output=True, text=True, check=True
    ).stdout.strip()


if __name__ == "__main__":
    main()
