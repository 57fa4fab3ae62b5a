"""Serve the fake Immich for the benchmarks, with an upload counter on a side port.

Run as ``python benchmarks/fake_server.py [--spec v3] [--no-validate]``. The first line
on stdout is JSON: ``{"url", "key", "stats"}``. ``GET <stats>`` answers
``{"uploads": {"<status>": n}, "assets": n, "violations": n}``. ``--no-validate`` skips
the openapi-core checks (they cost milliseconds per request) so the figures show the
client rather than the validator.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
from pathlib import Path
import resource
import sys

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_immich import FakeImmich


async def _serve(spec: str, *, validate: bool) -> None:
    """Start the fake server and the stats endpoint, then wait forever."""
    server = FakeImmich(spec)  # type: ignore[arg-type]
    if not validate:
        server.spec.check_request = lambda *_args: []  # type: ignore[method-assign]
        server.spec.check_response = lambda *_args: []  # type: ignore[method-assign]
    url = await server.start("127.0.0.1", 0)

    async def stats(_request: web.Request) -> web.Response:
        uploads = collections.Counter(
            str(r.status) for r in server.requests if r.operation_id == "uploadAsset"
        )
        return web.json_response(
            {
                "uploads": uploads,
                "assets": len(server.state.assets),
                "violations": len(server.violations),
                "violation_sample": server.violations[:3],
                "cpu_seconds": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
            }
        )

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    line = {
        "url": url,
        "key": server.admin_key,
        "stats": f"http://127.0.0.1:{port}/stats",
    }
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main() -> None:
    """Parse the arguments and serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", choices=("v3", "v2"), default="v3")
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args()
    asyncio.run(_serve(args.spec, validate=not args.no_validate))


if __name__ == "__main__":
    main()
