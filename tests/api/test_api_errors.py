"""Test how the client maps failures to its errors, and that the key never leaks."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import ipaddress
import json
import logging
from pathlib import Path
import socket
import ssl

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.immich_bridge.api import (
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitError,
    ImmichResponseError,
    ImmichSSLError,
    ImmichTimeoutError,
)
from custom_components.immich_bridge.api.transport import _retry_after
from tests.fake_immich import FakeImmich


async def test_bad_key(
    immich_server: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """A refused key is an authentication error naming the request."""
    client = ImmichClient(session, immich_server.url, "not-a-key")
    with pytest.raises(ImmichAuthenticationError, match=r"GET /users/me: HTTP 401"):
        await client.me()


async def test_missing_permission(
    immich_server: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """A key without a permission gets the permission the server named."""
    key = immich_server.state.add_api_key(immich_server.user_id, ("user.read",))
    client = ImmichClient(session, immich_server.url, key)
    assert (await client.me()).id == immich_server.user_id
    with pytest.raises(ImmichPermissionError, match=r"GET /albums: HTTP 403") as err:
        await client.albums()
    assert err.value.permission == "album.read"


async def test_admin_only(
    immich_server: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """A non-admin on an admin-only route gets a permission error without a name."""
    client = ImmichClient(session, immich_server.url, immich_server.user_key)
    with pytest.raises(ImmichPermissionError) as err:
        await client.statistics()
    assert err.value.permission is None
    assert "GET /server/statistics" in str(err.value)


@pytest.mark.parametrize(
    ("status", "error", "attribute", "value"),
    [
        (404, ImmichNotFoundError, None, None),
        (429, ImmichRateLimitError, "retry_after", None),
        (500, ImmichResponseError, "status", 500),
        (503, ImmichResponseError, "status", 503),
        (400, ImmichBadRequestError, "status", 400),
        (409, ImmichBadRequestError, "status", 409),
    ],
)
async def test_status_mapping(
    client_v3: ImmichClient,
    immich_server_v3: FakeImmich,
    status: int,
    error: type[ImmichError],
    attribute: str | None,
    value: object,
) -> None:
    """Each status maps to its error, and the message names method, path and status."""
    immich_server_v3.set_fault("getAlbumStatistics", status=status)
    with pytest.raises(error, match=rf"GET /albums/statistics: HTTP {status}") as err:
        await client_v3.album_statistics()
    if attribute is not None:
        assert getattr(err.value, attribute) == value


async def test_unknown_id_is_not_found(client: ImmichClient) -> None:
    """Immich's 400 "Not found or no … access" becomes a not-found error."""
    with pytest.raises(ImmichNotFoundError, match="Not found or no"):
        await client.album("3f0b1b5e-0000-4000-8000-000000000000")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b"", "empty body"),
        (b'{"major": "two", "minor": 0, "patch": 0}', "'major' should be an integer"),
        (b'{"major": 2}', "required field 'minor'"),
        (b"[1, 2]", "expected an object"),
    ],
)
async def test_bad_bodies(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, body: bytes, match: str
) -> None:
    """A body that is not what the spec promises is a response error."""
    immich_server_v3.set_fault("getServerVersion", body=body)
    with pytest.raises(ImmichResponseError, match=match) as err:
        await client_v3.server_version()
    assert "GET /server/version" in str(err.value)


@pytest.mark.parametrize(
    ("operation", "call", "body"),
    [
        ("getAllAlbums", "albums", b"{}"),
        ("getQueues", "queues", b"{}"),
        ("checkBulkUpload", "upload_check", b"[]"),
        ("checkBulkUpload", "upload_check", b'{"results": {}}'),
        ("getQueuesLegacy", "queues_legacy", b"[]"),
    ],
)
async def test_wrong_shapes(
    client_v3: ImmichClient,
    immich_server_v3: FakeImmich,
    operation: str,
    call: str,
    body: bytes,
) -> None:
    """An array where an object belongs (and the reverse) is a response error."""
    immich_server_v3.set_fault(operation, body=body)
    if call == "queues_legacy":
        immich_server_v3.set_fault(
            "getServerVersion", body=b'{"major": 2, "minor": 3, "patch": 0}'
        )
        call = "queues"
    method = getattr(client_v3, call)
    args = ({"0": "a" * 40},) if call == "upload_check" else ()
    with pytest.raises(ImmichResponseError, match="unexpected response"):
        await method(*args)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>oops</html>", r"HTTP 500$"),
        (b"[1, 2]", r"HTTP 500$"),
        (b'{"message": 42}', r"HTTP 500$"),
        (
            b'{"message": ["[name] too long", "[x] bad"]}',
            r"HTTP 500: \[name\] too long; \[x\] bad",
        ),
    ],
)
async def test_error_bodies(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, body: bytes, match: str
) -> None:
    """Odd error bodies still give a clean message; list messages are joined."""
    immich_server_v3.set_fault("getAboutInfo", status=500, body=body)
    with pytest.raises(ImmichResponseError, match=match):
        await client_v3.about()


async def test_empty_key_message(
    immich_server_v3: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """A client without a key still reports the server's refusal."""
    client = ImmichClient(session, immich_server_v3.url, "")
    with pytest.raises(ImmichAuthenticationError, match="Authentication required"):
        await client.me()


async def test_ping_false(
    client_v3: ImmichClient, immich_server_v3: FakeImmich
) -> None:
    """A ping without "pong" reports False."""
    immich_server_v3.set_fault("pingServer", body=b'{"res": "nope"}')
    assert await client_v3.ping() is False


async def test_timeout(
    immich_server_v3: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """A slow answer is a timeout, which is a connection error."""
    client = ImmichClient(
        session, immich_server_v3.url, immich_server_v3.admin_key, request_timeout=0.2
    )
    immich_server_v3.set_fault("getAboutInfo", delay=2, times=1)
    with pytest.raises(ImmichTimeoutError, match="GET /server/about") as err:
        await client.about()
    assert isinstance(err.value, ImmichConnectionError)


async def test_dropped_response(
    client_v3: ImmichClient, immich_server_v3: FakeImmich
) -> None:
    """A connection dropped half-way through the answer is a connection error."""
    immich_server_v3.set_fault("getAllAlbums", drop=True, times=1)
    immich_server_v3.state.add_album(immich_server_v3.admin_id, "x" * 5000)
    with pytest.raises(ImmichConnectionError, match="GET /albums"):
        await client_v3.albums()
    assert await client_v3.albums()


async def test_dns_failure(session: aiohttp.ClientSession) -> None:
    """An unresolvable host is a connection error."""
    client = ImmichClient(session, "http://nonexistent.invalid", "k", request_timeout=5)
    with pytest.raises(ImmichConnectionError, match="GET /server/ping") as err:
        await client.ping()
    assert not isinstance(err.value, ImmichSSLError)


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """A closed port is a connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ImmichClient(session, f"http://127.0.0.1:{port}", "k")
    with pytest.raises(ImmichConnectionError, match="connection failed"):
        await client.ping()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "immich.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_url(tmp_path: Path) -> AsyncGenerator[str]:
    """Serve a ping over TLS with a self-signed certificate."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def pong(_request: web.Request) -> web.Response:
        return web.json_response({"res": "pong"})

    app = web.Application()
    app.router.add_get("/api/server/ping", pong)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()


async def test_tls_certificate_refused(
    tls_url: str, session: aiohttp.ClientSession
) -> None:
    """A self-signed certificate is a TLS error flagged as a certificate problem."""
    client = ImmichClient(session, tls_url, "k")
    with pytest.raises(ImmichSSLError, match="certificate") as err:
        await client.ping()
    assert err.value.certificate is True
    assert isinstance(err.value, ImmichConnectionError)
    unverified = ImmichClient(session, tls_url, "k", verify_ssl=False)
    assert await unverified.ping() is True


async def test_tls_to_plain_http(
    immich_server_v3: FakeImmich, session: aiohttp.ClientSession
) -> None:
    """Speaking TLS to a plain HTTP server is a TLS error, not a certificate one."""
    url = immich_server_v3.url.replace("http://", "https://")
    client = ImmichClient(session, url, "k", verify_ssl=False)
    with pytest.raises(ImmichSSLError) as err:
        await client.ping()
    assert err.value.certificate is False


def test_retry_after_parsing() -> None:
    """Retry-After is read as seconds or as an HTTP date."""
    assert _retry_after(None) is None
    assert _retry_after("") is None
    assert _retry_after("12") == 12.0
    assert _retry_after("-3") == 0.0
    assert _retry_after("soon") is None
    later = datetime.now(UTC) + timedelta(seconds=120)
    parsed = _retry_after(format_datetime(later, usegmt=True))
    assert parsed is not None
    assert 100 < parsed <= 120


async def test_retry_after_header(session: aiohttp.ClientSession) -> None:
    """A 429 carries the server's Retry-After."""

    async def busy(_request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "Too many", "statusCode": 429},
            status=429,
            headers={"Retry-After": "30"},
        )

    app = web.Application()
    app.router.add_get("/api/server/about", busy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client = ImmichClient(session, f"http://127.0.0.1:{port}", "k")
        with pytest.raises(ImmichRateLimitError, match="Too many") as err:
            await client.about()
        assert err.value.retry_after == 30.0
    finally:
        await runner.cleanup()


async def test_key_never_leaks(
    immich_server_v3: FakeImmich,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The key is in no message, repr or log line, even if the server echoes it."""
    caplog.set_level(logging.DEBUG)
    key = immich_server_v3.admin_key
    client = ImmichClient(session, immich_server_v3.url, key, request_timeout=0.2)
    assert key not in repr(client)
    assert key not in str(client)
    await client.server_version()
    await client.albums()
    errors: list[ImmichError] = []
    echo = json.dumps({"message": f"bad key {key}", "statusCode": 400}).encode()
    for operation, status, body in (
        ("getAllAlbums", 400, echo),
        ("getAllAlbums", 500, None),
        ("getAllAlbums", 403, None),
        ("getAllAlbums", 401, None),
    ):
        immich_server_v3.set_fault(operation, status=status, body=body, times=1)
        with pytest.raises(ImmichError) as err:
            await client.albums()
        errors.append(err.value)
    immich_server_v3.set_fault("getAllAlbums", delay=1, times=1)
    with pytest.raises(ImmichTimeoutError) as timeout:
        await client.albums()
    errors.append(timeout.value)
    assert "***" in str(errors[0])
    for error in errors:
        for text in (str(error), repr(error), repr(error.__cause__)):
            assert key not in text
    assert caplog.records
    assert key not in caplog.text
