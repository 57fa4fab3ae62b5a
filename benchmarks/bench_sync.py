"""Benchmark a folder sync: ImmichClient.sync_folder against @immich/cli's `upload`.

Run by hand, not in CI: ``.venv/bin/python benchmarks/bench_sync.py [--count 1000]``.
Each tool gets its own folder of --count generated JPEGs (about --kb KiB each), half of
which are put on the server first; then the tool syncs the whole folder, timed from the
outside (process start to exit): ours and the CLI at --concurrency, and the CLI at its
default (1); the best of --runs rounds counts. Without IMMICH_URL/IMMICH_API_KEY each
run gets a fresh fake Immich (v3 unless --spec v2) in its own process, without spec
validation unless --validate; with them, every run gets folders of its own. The CLI
(and Node >= 22, from the npm package `node`) is installed into benchmarks/.work/ on
first use. Ratios print last: goal <= 0.7x the CLI's wall time, zero duplicate uploads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import random
import shutil
import struct
import subprocess
import sys
import time

from _common import WORK, Target, target

from custom_components.immich_bridge.api import ImmichClient

NODE_MAJOR = 22
CLI = "@immich/cli"


def ensure_cli() -> list[str]:
    """Install Node >= 22 and the CLI into benchmarks/.work; return the command."""
    node = WORK / "node_modules" / ".bin" / "node"
    cli = WORK / "node_modules" / "@immich" / "cli" / "bin" / "immich"
    if not (node.exists() and cli.exists()):
        WORK.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is needed to install the Immich CLI")
        print(
            subprocess.run(
                [npm, "view", CLI, "version", "engines"],
                check=False,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(WORK),
                f"node@{NODE_MAJOR}",
                CLI,
            ],
            check=True,
        )
    version = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not version.startswith(f"v{NODE_MAJOR}") and not version[1:3].isdigit():
        sys.exit(f"Node from the npm package does not run ({version!r})")
    return [str(node), str(cli)]


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


async def seed(server: Target, folder: Path, concurrency: int) -> None:
    """Put every other file of the folder on the server (not timed)."""
    files = (await asyncio.to_thread(lambda: sorted(folder.rglob("*.jpg"))))[::2]
    slots = asyncio.Semaphore(concurrency)
    async with ImmichClient(None, server.url, server.key) as client:

        async def one(path: Path) -> None:
            async with slots:
                await client.upload(path)

        await asyncio.gather(*(one(path) for path in files))


async def child(url: str, folder: Path, concurrency: int) -> None:
    """Sync the folder (key from IMMICH_API_KEY) and print the counts as JSON."""
    start = time.perf_counter()
    async with ImmichClient(None, url, os.environ["IMMICH_API_KEY"]) as client:
        result = await client.sync_folder(folder, concurrency=concurrency)
    counts = {
        "sync_seconds": round(time.perf_counter() - start, 3),
        "uploaded": result.uploaded,
        "duplicates": result.duplicates,
        "failed": result.failed,
        "skipped": result.skipped,
    }
    print(json.dumps(counts))


def uploads(server: Target) -> dict[str, float]:
    """Return the fake server's upload answers by status, and its CPU seconds."""
    stats = server.stats()
    if stats is None:
        return {}
    return {**stats["uploads"], "server_cpu_s": round(stats["cpu_seconds"], 2)}


def run_tool(
    tool: str, server: Target, folder: Path, concurrency: int | None, cli: list[str]
) -> tuple[float, str, dict[str, float]]:
    """Sync a folder with one tool; return wall seconds, its output and the uploads."""
    before = uploads(server)
    if tool == "ours":
        command = [sys.executable, __file__, "--child", server.url, str(folder)]
        command += ["--concurrency", str(concurrency or 4)]
        env = {**os.environ, "IMMICH_API_KEY": server.key}
    else:
        command = [*cli, "upload", "--recursive", "--no-progress", str(folder)]
        if concurrency is not None:
            command += ["--concurrency", str(concurrency)]
        env = {
            **os.environ,
            "IMMICH_INSTANCE_URL": f"{server.url}/api",
            "IMMICH_API_KEY": server.key,
            "IMMICH_CONFIG_DIR": str(WORK / "cli-config"),
        }
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{tool} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    after = uploads(server)
    delta = {key: round(after[key] - before.get(key, 0), 2) for key in after}
    tail = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    return seconds, tail, delta


def main() -> None:
    """Parse the arguments, run both tools and print the figures, ratios last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--kb", type=int, default=256, help="approximate JPEG size")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="rounds; the best counts")
    parser.add_argument("--spec", choices=("v3", "v2"), default="v3")
    parser.add_argument("--validate", action="store_true", help="keep spec checks on")
    parser.add_argument(
        "--child", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child[0], Path(args.child[1]), args.concurrency))
        return

    cli = ensure_cli()
    size = args.kb * 1024
    runs = {
        "ours": ("ours", args.concurrency),
        "cli": ("cli", args.concurrency),
        "cli-default": ("cli", None),
    }
    results: dict[str, tuple[float, str, dict[str, float]]] = {}
    for round_ in range(1, args.runs + 1):
        for name, (tool, concurrency) in runs.items():
            with target(args.spec, validate=args.validate) as server:
                label = name if server.fake else f"{name}-{round_}"
                folder = make_folder(label, args.count, size)
                asyncio.run(seed(server, folder, 8))
                result = run_tool(tool, server, folder, concurrency, cli)
                stats = server.stats() or {}
            seconds, tail, delta = result
            if name not in results or seconds < results[name][0]:
                results[name] = result
            level = concurrency or "CLI default (1)"
            print(
                f"run {round_} {name} (concurrency {level}): {seconds:.2f} s wall; "
                f"{delta}; {tail[:120]}"
            )
            if stats.get("violations"):
                print(f"  server spec violations: {stats['violation_sample']}")
            refused = sum(v for k, v in delta.items() if k.isdigit() and int(k) >= 400)
            if refused:
                print(
                    f"  WARNING: {refused} uploads refused: this run does not compare"
                )
    checks = "on" if args.validate else "off"
    print(
        f"{args.count} JPEGs of ~{args.kb} KiB, half already on the server, "
        f"our concurrency {args.concurrency}, validation {checks}"
    )
    print(
        "best wall times: "
        + ", ".join(f"{name} {result[0]:.2f} s" for name, result in results.items())
    )
    dupes = {name: result[2].get("200", 0) for name, result in results.items()}
    print(f"duplicate uploads: ours {dupes['ours']}, CLI {dupes['cli']} (goal: ours 0)")
    ours = results["ours"][0]
    print(
        f"ratio wall time ours/CLI at its default concurrency: "
        f"{ours / results['cli-default'][0]:.2f}x (goal <= 0.7)"
    )
    print(
        f"ratio wall time ours/CLI at the same concurrency ({args.concurrency}): "
        f"{ours / results['cli'][0]:.2f}x (goal <= 0.7)"
    )


if __name__ == "__main__":
    main()
