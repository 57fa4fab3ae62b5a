"""Serve a seeded fake Immich: ``python -m tests.fake_immich [--port N] [--spec v3]``.

Prints the URL and the admin API key, then serves until Ctrl-C or SIGTERM. Spec
violations are printed to stderr as they happen (``SPEC VIOLATION: ...``; the demo keeps
serving); on the way out the last ones are printed with a count, and the exit status is
1 when there were any (the end-to-end test fails on that, and ``script/develop`` shows
it). A port that is taken ends it with a one-line message and exit code 1, unless
``--any-port-if-taken`` lets it use a free one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
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


def _report(server: FakeImmich, reported: int) -> int:
    """Print the violations from number ``reported`` on; return how many there are."""
    for violation in server.violations[reported:]:
        sys.stderr.write(f"SPEC VIOLATION: {violation}\n")
    sys.stderr.flush()
    return len(server.violations)


async def _serve(args: argparse.Namespace, stop: asyncio.Event) -> int:
    """Serve and report violations until ``stop`` is set; return how many there were."""
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
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            reported = _report(server, reported)
    finally:
        await server.stop()
        total = _report(server, reported)
        sys.stderr.write(f"Fake Immich stopped: {total} spec violation(s)\n")
        sys.stderr.flush()
    return total


def main(argv: list[str] | None = None) -> int:
    """Run the demo server; return the exit code."""
    args = _parse(argv)
    if not spec_path(args.spec).is_file():
        sys.stderr.write(f"Immich spec not found: {spec_path(args.spec)}\n")
        return 2
    try:
        violations = asyncio.run(_until_signalled(args))
    except OSError as err:
        reason = "the port is taken" if err.errno == errno.EADDRINUSE else str(err)
        sys.stderr.write(
            f"Fake Immich can't serve on {args.host}:{args.port}: {reason}\n"
        )
        return 1
    return 1 if violations else 0


async def _until_signalled(args: argparse.Namespace) -> int:
    """Serve until SIGINT (Ctrl-C) or SIGTERM; return the number of violations."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await _serve(args, stop)


if __name__ == "__main__":
    sys.exit(main())
