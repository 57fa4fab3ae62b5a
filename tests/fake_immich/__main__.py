"""Serve a seeded fake Immich: ``python -m tests.fake_immich [--port N] [--spec v3]``.

Prints the URL and the admin API key, then serves until Ctrl-C. Spec violations are
printed as they happen (the demo keeps serving). A port that is taken ends it with a
one-line message and exit code 1, unless ``--any-port-if-taken`` lets it use a free one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
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
        "--any-port-if-taken",
        action="store_true",
        help="serve on a free port when --port is taken (the URL printed tells which)",
    )
    parser.add_argument(
        "--spec", choices=("v3", "v2"), default="v3", help="API flavour"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    """Start the server, print how to reach it and report violations until cancelled."""
    server = FakeImmich(args.spec, seed=True)
    try:
        url = await server.start(args.host, args.port)
    except OSError as err:
        taken = err.errno == errno.EADDRINUSE
        if not (taken and args.any_port_if_taken) or args.port == 0:
            raise
        url = await server.start(args.host, 0)
        sys.stderr.write(f"Port {args.port} is taken; serving on {url} instead.\n")
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
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args))
    except OSError as err:
        reason = "the port is taken" if err.errno == errno.EADDRINUSE else str(err)
        sys.stderr.write(
            f"Fake Immich can't serve on {args.host}:{args.port}: {reason}\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
