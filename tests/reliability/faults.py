"""Ways the stand-in Immich can fail, for the fault-matrix and soak tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import json
import socket
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver, ResolveResult
from homeassistant.helpers.aiohttp_client import HassAsyncDNSResolver

from tests.fake_immich import FakeImmich

FAKE_HOST = "immich.test"

# Fault name -> keyword arguments of FakeImmich.set_fault.
STATUS_FAULTS: dict[str, dict[str, Any]] = {
    "http_500": {"status": 500},
    "http_502": {"status": 502},
    "http_503": {"status": 503},
    "http_429": {"status": 429},
    "malformed_json": {"body": b"{not json"},
    "truncated_json": {"body": b'{"diskSize": "1 TiB", "diskUse'},
    "dropped": {"drop": True},
}


def forbidden(permission: str) -> dict[str, Any]:
    """Return a 403 fault naming the permission, as Immich words it."""
    body = {
        "message": f"Missing required permission: {permission}",
        "error": "Forbidden",
        "statusCode": 403,
        "correlationId": "x",
    }
    return {"status": 403, "body": json.dumps(body).encode()}


def fault_everything(server: FakeImmich, **fault: Any) -> None:
    """Make every operation of the spec misbehave the same way."""
    for operation_id in server.spec.operations:
        server.set_fault(operation_id, **fault)


def port_of(server: FakeImmich) -> int:
    """Return the port the fake listens on."""
    return int(server.url.rsplit(":", 1)[1])


class Dns:
    """Stand in for HA's resolver: `immich.test` is 127.0.0.1 unless broken."""

    def __init__(self) -> None:
        """Start healthy."""
        self.broken = False
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: int = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve the fake host, or fail like a DNS server without the name."""
        self.lookups += 1
        if self.broken or host != FAKE_HOST:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=family,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    @contextmanager
    def installed(self) -> Iterator[Dns]:
        """Patch HA's shared resolver to use this one."""

        async def resolve(_self: Any, host: str, port: int = 0, family: int = 0) -> Any:
            return await self.resolve(host, port, socket.AF_INET)

        # The tests' session uses phcc's plain AsyncResolver; production uses HA's.
        with (
            patch.object(AsyncResolver, "resolve", resolve),
            patch.object(HassAsyncDNSResolver, "resolve", resolve),
        ):
            yield self
