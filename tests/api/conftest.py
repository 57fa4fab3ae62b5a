"""Fixtures for the client tests: a client bound to the fake server."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.immich_bridge.api import ImmichClient
from tests.fake_immich import FakeImmich


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Allow sockets (pytest-socket still limits connections to 127.0.0.1)."""


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return an aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def client(
    immich_server: FakeImmich, session: aiohttp.ClientSession
) -> ImmichClient:
    """Return a client for the fake server's admin (v2 and v3)."""
    return ImmichClient(session, immich_server.url, immich_server.admin_key)


@pytest.fixture
async def client_v3(
    immich_server_v3: FakeImmich, session: aiohttp.ClientSession
) -> ImmichClient:
    """Return a client for the fake v3 server's admin."""
    return ImmichClient(session, immich_server_v3.url, immich_server_v3.admin_key)
