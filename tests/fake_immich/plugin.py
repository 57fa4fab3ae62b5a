"""pytest fixtures for the fake Immich server (``-p tests.fake_immich.plugin``).

* ``immich_api``: ``"v3"`` and ``"v2"`` (parametrised); skips when a spec file is
  missing, or fails instead when the environment has ``CI=true``.
* ``immich_server``: a started :class:`FakeImmich` for ``immich_api``.
* ``immich_server_v3``: the same, v3 only (for endpoints whose shape is equal on both).

The server fixtures fail the test at teardown when spec violations were recorded and not
claimed (``server.expect_violations(...)``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import os

import pytest
import pytest_asyncio

from .server import FakeImmich
from .spec import SPEC_ENV, SpecName, load_spec, spec_path


def require_spec(name: SpecName) -> SpecName:
    """Skip (or fail under ``CI=true``) when the spec file is missing; preload it."""
    path = spec_path(name)
    if not path.is_file():
        message = (
            f"Immich OpenAPI spec {name!r} not found at {path} "
            "(expected in ../shared/immich next to the repository; "
            f"${SPEC_ENV} overrides v3)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    load_spec(name)  # outside the event loop: reading and indexing the spec blocks
    return name


@pytest.fixture(params=["v3", "v2"])
def immich_api(request: pytest.FixtureRequest, socket_enabled: None) -> SpecName:
    """Return the spec flavour to test against (``"v3"`` or ``"v2"``).

    Requests pytest-socket's ``socket_enabled``: the fake listens on 127.0.0.1, and
    pytest-homeassistant-custom-component blocks creating sockets otherwise.
    """
    return require_spec(request.param)


@pytest.fixture
def immich_api_v3(socket_enabled: None) -> SpecName:
    """Return ``"v3"`` after checking its spec exists (sockets enabled, see above)."""
    return require_spec("v3")


async def _serve(spec: SpecName) -> AsyncGenerator[FakeImmich]:
    """Start a server, hand it out, stop it and fail on unclaimed violations."""
    server = FakeImmich(spec)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    if server.violations:
        listed = "\n  ".join(server.violations)
        pytest.fail(f"fake Immich ({spec}) recorded spec violations:\n  {listed}")


@pytest_asyncio.fixture
async def immich_server(immich_api: SpecName) -> AsyncGenerator[FakeImmich]:
    """Return a started fake Immich for the ``immich_api`` flavour."""
    async for server in _serve(immich_api):
        yield server


@pytest_asyncio.fixture
async def immich_server_v3(immich_api_v3: SpecName) -> AsyncGenerator[FakeImmich]:
    """Return a started fake Immich speaking the v3 spec."""
    async for server in _serve(immich_api_v3):
        yield server
