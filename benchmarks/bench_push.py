"""What Immich's push connection costs over an hour of activity, against polling.

Run by hand: ``.venv/bin/python benchmarks/bench_push.py [--minutes 60] [--every 30]``.
It starts a real Immich 2.7.5 (``../shared/toolchain/immich-server``; ``IMMICH_URL`` and
``IMMICH_API_KEY`` point it at a running server instead, which needs a key with
``all``) and three processes beside it:

- **push**: our ``ImmichPush`` (the socket.io client the integration runs), connected
  for the whole run, doing nothing but answering pings and counting events;
- **poll**: the reference measured in the same run, the one-minute search that the
  new-asset watcher makes without a push (``POST /search/metadata`` for what was
  created since the last look);
- **activity**: an upload of a small JPEG every ``--every`` seconds, and every fifth one
  moved to the trash, so that both see the same traffic.

Each worker samples its own process every minute: resident memory, Python heap
(tracemalloc), open sockets, CPU time; it reports connections made, events seen and the
latency from an upload's answer to its event (push) or its discovery (poll). A
``--minutes 2`` smoke run keeps the script working; the hour is the figure of record.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime
import io
import json
import os
from pathlib import Path
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import aiohttp

from _common import ROOT  # isort: skip

TOOL = ROOT.parent / "shared" / "toolchain" / "immich-server"


def _rss_kib() -> int:
    """Return this process's resident memory now (KiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # pragma: no cover


def _sockets() -> int:
    """Return how many sockets this process has open."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += str(fd.readlink()).startswith("socket:")
        except OSError:
            continue
    return count


def _cpu() -> float:
    """Return this process's CPU seconds (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Sampler:
    """Take a reading of the process every minute."""

    def __init__(self) -> None:
        """Start from a reading taken now."""
        tracemalloc.start()
        self.samples: list[dict[str, float]] = []
        self.start = time.monotonic()

    def take(self, **extra: float) -> None:
        """Record memory, sockets and CPU now."""
        heap, _peak = tracemalloc.get_traced_memory()
        self.samples.append(
            {
                "minute": round((time.monotonic() - self.start) / 60, 2),
                "rss_kib": _rss_kib(),
                "heap_kib": heap / 1024,
                "sockets": _sockets(),
                "cpu_s": _cpu(),
                **extra,
            }
        )

    async def every_minute(self, **counters: Any) -> None:
        """Sample every minute until cancelled (counters: callables)."""
        while True:
            await asyncio.sleep(60)
            self.take(**{name: get() for name, get in counters.items()})


async def _push_worker(url: str, key: str, minutes: float, uploads: Path) -> dict:
    """Hold the push connection for the run; count what it costs."""
    from custom_components.immich_bridge.api import (  # noqa: PLC0415
        ImmichClient,
        ImmichPush,
        ImmichPushEvent,
    )

    seen: dict[str, float] = {}
    events = 0

    def on_event(event: ImmichPushEvent) -> None:
        nonlocal events
        events += 1
        if event.name == "on_upload_success" and event.args:
            first = event.args[0]
            if isinstance(first, dict) and "id" in first:
                seen.setdefault(str(first["id"]), time.time())

    sampler = Sampler()
    async with ImmichClient(None, url, key) as client:
        push = ImmichPush(client=client, on_event=on_event)
        push.start()
        sampler.take(connections=0, events=0)
        task = asyncio.create_task(
            sampler.every_minute(
                connections=lambda: push.connections, events=lambda: events
            )
        )
        await asyncio.sleep(minutes * 60)
        task.cancel()
        sampler.take(connections=push.connections, events=events)
        await push.close()
    return {
        "samples": sampler.samples,
        "connections": push.connections,
        "events": events,
        "latency": _latencies(uploads, seen),
    }


async def _poll_worker(url: str, key: str, minutes: float, uploads: Path) -> dict:
    """Search for new uploads once a minute, as the watcher does without a push."""
    from custom_components.immich_bridge.api import ImmichClient  # noqa: PLC0415

    seen: dict[str, float] = {}
    requests = 0
    sampler = Sampler()
    deadline = time.monotonic() + minutes * 60
    async with ImmichClient(None, url, key) as client:
        sampler.take(requests=0)
        since = datetime.now(UTC)
        next_sample = time.monotonic() + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(min(60.0, max(0.0, deadline - time.monotonic())))
            looked = datetime.now(UTC)
            page = await client.search_metadata(size=100, created_after=since)
            requests += 1
            for asset in page.items:
                seen.setdefault(asset.id, time.time())
            since = looked
            if time.monotonic() >= next_sample:
                sampler.take(requests=requests)
                next_sample += 60
        sampler.take(requests=requests)
    return {
        "samples": sampler.samples,
        "requests": requests,
        "latency": _latencies(uploads, seen),
    }


def _latencies(uploads: Path, seen: dict[str, float]) -> dict[str, float | int]:
    """Return how long after each upload's answer it was seen."""
    done = [json.loads(line) for line in uploads.read_text().splitlines() if line]
    delays = [seen[u["id"]] - u["at"] for u in done if u["id"] in seen]
    if not delays:
        return {"uploads": len(done), "seen": 0}
    return {
        "uploads": len(done),
        "seen": len(delays),
        "median_s": round(statistics.median(delays), 3),
        "max_s": round(max(delays), 3),
    }


def _jpeg(index: int) -> bytes:
    """Return a small JPEG, different for every index."""
    from PIL import Image  # noqa: PLC0415

    image = Image.new("RGB", (64, 48), (index * 37 % 256, index * 11 % 256, 90))
    image.putpixel((index % 64, index // 64 % 48), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, comment=f"bench-push-{index}-{time.time()}")
    return out.getvalue()


async def _activity(
    url: str, key: str, minutes: float, every: float, uploads: Path
) -> None:
    """Upload a photo every few seconds; move every fifth one to the trash."""
    deadline = time.monotonic() + minutes * 60 - 70  # the last ones can still be seen
    headers = {"x-api-key": key, "Accept": "application/json"}
    index = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        while time.monotonic() < deadline:
            await asyncio.sleep(every)
            index += 1
            moment = datetime.now(UTC).isoformat()
            form = aiohttp.FormData()
            form.add_field("deviceAssetId", f"bench-push-{index}-{time.time()}")
            form.add_field("deviceId", "bench-push")
            form.add_field("fileCreatedAt", moment)
            form.add_field("fileModifiedAt", moment)
            form.add_field(
                "assetData",
                _jpeg(index),
                filename=f"{index}.jpg",
                content_type="image/jpeg",
            )
            async with session.post(f"{url}/api/assets", data=form) as answer:
                body = await answer.json()
            with uploads.open("a") as out:
                out.write(json.dumps({"id": body["id"], "at": time.time()}) + "\n")
            if index % 5 == 0:
                async with session.delete(
                    f"{url}/api/assets", json={"ids": [body["id"]]}
                ) as answer:
                    answer.raise_for_status()


def _worker(role: str, args: argparse.Namespace) -> None:
    """Run one role and print its report as JSON."""
    url, key, uploads = args.url, args.key, Path(args.uploads)
    if role == "activity":
        asyncio.run(_activity(url, key, args.minutes, args.every, uploads))
        return
    work = _push_worker if role == "push" else _poll_worker
    print(json.dumps(asyncio.run(work(url, key, args.minutes, uploads))))


def _start_server(folder: Path) -> tuple[str, str]:
    """Start a private real Immich; return its URL and admin key."""
    out = subprocess.run(
        [str(TOOL), "start", str(folder)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    return str(info["url"]), str(info["admin_key"])


def _make_folder(tmp: Path, folder: Path) -> None:
    """Make the server's folder, reachable by the database's own user."""
    tmp.chmod(0o755)
    folder.mkdir(mode=0o755)


def _version(url: str, key: str) -> str:
    """Return the server's version as it tells it."""
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(  # noqa: S310  # our own loopback URL
        f"{url}/api/server/version", headers={"x-api-key": key}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        body = json.loads(answer.read())
    return f"{body['major']}.{body['minor']}.{body['patch']}"


def _report(push: dict, poll: dict, minutes: float, every: float, version: str) -> None:
    """Print the figures side by side, and push ÷ poll."""
    print(f"Immich {version}; {minutes:g} min; an upload every {every:g} s")
    print()
    print(
        "minute | push RSS MiB | push heap KiB | push sockets "
        "| poll RSS MiB | poll heap KiB | poll sockets"
    )
    for a, b in zip(push["samples"], poll["samples"], strict=False):
        print(
            f"{a['minute']:6.1f} | {a['rss_kib'] / 1024:12.1f} | {a['heap_kib']:13.0f} "
            f"| {a['sockets']:12.0f} | {b['rss_kib'] / 1024:12.1f} "
            f"| {b['heap_kib']:13.0f} | {b['sockets']:12.0f}"
        )

    def growth(report: dict, field: str) -> float:
        samples = report["samples"]
        # From the first minute on: start-up (imports, the first connection) is not the
        # cost of the hour.
        first = samples[1] if len(samples) > 2 else samples[0]
        return float(samples[-1][field] - first[field])

    push_cpu = push["samples"][-1]["cpu_s"] - push["samples"][0]["cpu_s"]
    poll_cpu = poll["samples"][-1]["cpu_s"] - poll["samples"][0]["cpu_s"]
    print()
    print(f"push: {push['connections']} connection(s) made, {push['events']} events")
    print(f"poll: {poll['requests']} searches")
    print(f"push latency: {push['latency']}")
    print(f"poll latency: {poll['latency']}")
    print(f"CPU over the run: push {push_cpu:.2f} s, poll {poll_cpu:.2f} s")
    print(
        f"RSS growth after minute 1: push {growth(push, 'rss_kib') / 1024:+.2f} MiB, "
        f"poll {growth(poll, 'rss_kib') / 1024:+.2f} MiB"
    )
    print(
        f"heap growth after minute 1: push {growth(push, 'heap_kib'):+.1f} KiB, "
        f"poll {growth(poll, 'heap_kib'):+.1f} KiB"
    )
    print(
        f"peak sockets: push {max(s['sockets'] for s in push['samples'])}, "
        f"poll {max(s['sockets'] for s in poll['samples'])}"
    )
    if poll_cpu > 0:
        print(f"CPU push ÷ poll: {push_cpu / poll_cpu:.2f}x")


def main() -> None:
    """Start the server and the three processes; print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=30.0)
    parser.add_argument("--role", choices=["push", "poll", "activity"])
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--uploads")
    args = parser.parse_args()
    if args.role:
        _worker(args.role, args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-push-", dir="/var/tmp") as tmp:
        asyncio.run(_orchestrate(args, Path(tmp)))


async def _orchestrate(args: argparse.Namespace, tmp: Path) -> None:
    """Run the three roles side by side against one server."""
    folder = tmp / "immich"
    started = False
    if (url := os.environ.get("IMMICH_URL")) and (
        key := os.environ.get("IMMICH_API_KEY")
    ):
        url = url.rstrip("/").removesuffix("/api")
    else:
        await asyncio.to_thread(_make_folder, tmp, folder)
        url, key = await asyncio.to_thread(_start_server, folder)
        started = True
    try:
        version = _version(url, key)
        uploads = tmp / "uploads.jsonl"
        uploads.touch()
        common = [
            "--url", url, "--key", key, "--uploads", str(uploads),
            "--minutes", str(args.minutes), "--every", str(args.every),
        ]  # fmt: skip
        async with AsyncExitStack():
            procs = {
                role: await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--role",
                    role,
                    *common,
                    stdout=subprocess.PIPE,
                    cwd=ROOT,
                )
                for role in ("push", "poll", "activity")
            }
            outputs = {
                role: (await proc.communicate())[0] for role, proc in procs.items()
            }
        push = json.loads(outputs["push"])
        poll = json.loads(outputs["poll"])
        _report(push, poll, args.minutes, args.every, version)
    finally:
        if started:
            await asyncio.to_thread(
                subprocess.run,
                [str(TOOL), "stop", str(folder)],
                check=False,
                timeout=300,
            )


if __name__ == "__main__":
    main()
