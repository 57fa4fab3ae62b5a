"""Benchmark how long one big upload blocks the event loop: the longest stall.

Run by hand, not in CI: ``.venv/bin/python benchmarks/bench_loop_stall.py [--size 1G]``
(256 MiB by default). Without IMMICH_URL/IMMICH_API_KEY it starts the fake Immich (v3
unless --spec v2) in its own process, without spec validation unless --validate (above
8 MiB the fake validates only the form fields anyway). A sampler task sleeps 1 ms at a
time on the loop that runs ``ImmichClient.upload`` (SHA-1, bulk check, streamed
upload) and records how late each wake-up is; the asset is deleted between runs. Each
run prints its time, throughput and stalls; the worst run's longest stall is compared
last with the goal of issue #10: <= 20 ms.
``tests/reliability/test_loop_stall.py`` samples the same through the upload action.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import time

from _common import Target, parse_size, target
from bench_upload import make_file

from custom_components.immich_bridge.api import ImmichClient

TICK = 0.001
GOAL_MS = 20.0


async def sample(lateness: list[float]) -> None:
    """Sleep one tick at a time until cancelled; record how late each wake-up was."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(TICK)
        lateness.append(max(0.0, loop.time() - start - TICK))


async def run_once(server: Target, path: Path) -> dict[str, float]:
    """Upload once while sampling; delete the asset; return the figures."""
    async with ImmichClient(
        None, server.url, server.key, request_timeout=600
    ) as client:
        await client.server_version()
        lateness: list[float] = []
        sampler = asyncio.create_task(sample(lateness))
        await asyncio.sleep(0.05)  # the sampler is running
        lateness.clear()
        start = time.perf_counter()
        result = await client.upload(path)
        seconds = time.perf_counter() - start
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        await client.delete_assets([result.asset_id], force=True)
    lateness.sort()
    return {
        "seconds": seconds,
        "wakeups": len(lateness),
        "max_ms": lateness[-1] * 1000,
        "p99_ms": lateness[int(0.99 * (len(lateness) - 1))] * 1000,
    }


def main() -> None:
    """Parse the arguments, run the uploads and print the figures, the ratio last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="256M", help="file size (256M, 1G, …)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spec", choices=("v3", "v2"), default="v3")
    parser.add_argument("--validate", action="store_true", help="keep spec checks on")
    args = parser.parse_args()

    size = parse_size(args.size)
    path = make_file(size)
    mib = size / 1024**2
    with target(args.spec, validate=args.validate) as server:
        where = "fake Immich " + args.spec if server.fake else server.url
        checks = "on" if args.validate else "off"
        print(f"loop stall, upload of {mib:.0f} MiB to {where} (validation {checks})")
        worst: list[float] = []
        for run in range(1, args.runs + 1):
            figures = asyncio.run(run_once(server, path))
            worst.append(figures["max_ms"])
            print(
                f"run {run}: {figures['seconds']:.2f} s "
                f"({mib / figures['seconds']:.0f} MiB/s), "
                f"{figures['wakeups']:.0f} wake-ups, "
                f"max stall {figures['max_ms']:.1f} ms, "
                f"p99 stall {figures['p99_ms']:.2f} ms"
            )
    print(
        f"ratio max stall / goal: {max(worst):.1f} / {GOAL_MS:.0f} ms = "
        f"{max(worst) / GOAL_MS:.2f}x (goal <= 1.0)"
    )


if __name__ == "__main__":
    main()
