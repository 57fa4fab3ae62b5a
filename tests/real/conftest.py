"""Fixtures of the real-server tier.

``real_server`` (session): builds the server (a no-op once built) and starts one private
instance per test process (each xdist worker has its own). Without the tool or when the
build or start fails, the tier is skipped on a developer's machine and **fails** under
``CI=true``.

``immich`` (per test): an :class:`ImmichApi` bound to that instance, with which a test
creates its own users, keys, albums and files.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from dataclasses import replace
import os
import time

import aiohttp
import pytest

from .harness import (
    ImmichApi,
    RealServer,
    ServerUnavailableError,
    build_server,
    start_server,
    stop_server,
)

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/real with ``real``."""
    here = os.path.dirname(__file__)  # noqa: PTH120
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.real)


@pytest.fixture(scope="session")
def real_server() -> Generator[RealServer]:
    """Build (once per machine) and start a real Immich for this test process."""
    try:
        build_seconds = build_server()
        began = time.monotonic()
        server = start_server()
    except ServerUnavailableError as err:
        if IN_CI:
            pytest.fail(f"the real Immich server is unavailable: {err}")
        pytest.skip(f"the real Immich server is unavailable: {err}")
    print(  # noqa: T201  # shown with -s / in the durations report
        f"\nreal Immich at {server.url}: build {build_seconds:.1f} s, "
        f"start {time.monotonic() - began:.1f} s"
    )
    try:
        yield server
    finally:
        stop_server(server.dir)


@pytest.fixture
async def immich(
    real_server: RealServer, socket_enabled: None
) -> AsyncGenerator[ImmichApi]:
    """Return a helper that drives the real server through its API."""
    async with aiohttp.ClientSession() as session:
        api = ImmichApi(real_server, session)
        admin_id = await api.admin_id()
        api.admin = replace(api.admin, id=admin_id, token=await api.admin_token())
        yield api
