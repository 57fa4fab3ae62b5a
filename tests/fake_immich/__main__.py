"""Serve a seeded fake Immich: ``python -m tests.fake_immich [--port N] [--spec v3]``.

Prints the URL and the admin API key, then serves until Ctrl-C. Spec violations are
printed as they happen (the demo keeps serving).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from .server import FakeImmich
from .spec import spec_path


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_immich",
        description="Serve a seeded, spec-checked fake Immich server.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument(
        "--port", type=int, default=2283, help="port (0: any free port)"
    )
    parser.add_argument(
        "--spec", choices=("v3", "v2"), default="v3", help="API flavour"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    """Start the server, print how to reach it and report violations until cancelled."""
    server = FakeImmich(args.spec, seed=True)
    url = await server.start(args.host, args.port)
    state = server.state
    version = ".".join(map(str, server.spec.version))
    lines = [
        f"Fake Immich ({args.spec}, server version {version})",
        f"  spec:          {server.spec.path}",
        f"  URL:           {url}",
        f"  API base:      {url}/api",
        f"  admin API key: {server.admin_key}",
        f"  user API key:  {server.user_key}   (Alice, not an admin)",
        (
            f"  data:          {len(state.users)} users, {len(state.assets)} assets, "
            f"{len(state.albums)} albums, {len(state.tags)} tags, "
            f"{len(state.people)} people, {len(state.libraries)} library"
        ),
        f"  try:           curl -H 'x-api-key: {server.admin_key}' {url}/api/albums",
        "Press Ctrl-C to stop.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    reported = 0
    try:
        while True:
            await asyncio.sleep(0.5)
            for violation in server.violations[reported:]:
                sys.stderr.write(f"SPEC VIOLATION: {violation}\n")
            reported = len(server.violations)
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the demo server; return the exit code."""
    args = _parse(argv)
    if not spec_path(args.spec).is_file():
        sys.stderr.write(f"Immich spec not found: {spec_path(args.spec)}\n")
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
