"""TLS: the fake Immich over HTTPS with a self-signed certificate made in the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
import datetime as dt
import ipaddress
from pathlib import Path
import ssl

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
import pytest_asyncio

from custom_components.immich_bridge.const import DOMAIN
from tests.common import make_entry
from tests.fake_immich import FakeImmich
from tests.fake_immich.spec import SpecName


@pytest.fixture
def server_tls(tmp_path: Path) -> ssl.SSLContext:
    """Make a self-signed certificate for 127.0.0.1; return a server TLS context."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "immich.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest_asyncio.fixture
async def https_server(
    immich_api_v3: SpecName, server_tls: ssl.SSLContext
) -> AsyncIterator[FakeImmich]:
    """Serve a fake Immich (v3) over HTTPS (FakeImmich.start has no TLS option)."""
    server = FakeImmich(immich_api_v3)
    runner = web.AppRunner(server.app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    server._runner = runner  # so that stop() cleans it up
    server.url = f"https://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    await server.stop()
    assert not server.violations


@pytest.mark.parametrize("verify", [True, False])
async def test_setup_over_https(
    hass: HomeAssistant, https_server: FakeImmich, verify: bool
) -> None:
    """Verify on: not ready with a certificate error. Verify off: loaded."""
    entry = make_entry(https_server)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_VERIFY_SSL: verify}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if not verify:
        assert entry.state is ConfigEntryState.LOADED
        assert hass.states.get("sensor.immich_admin_photos").state == "0"
        return
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "certificate" in entry.reason
    assert not https_server.requests  # the handshake failed: nothing was sent


@pytest.mark.parametrize(("verify", "error"), [(True, "ssl_error"), (False, None)])
async def test_config_flow_over_https(
    hass: HomeAssistant, https_server: FakeImmich, verify: bool, error: str | None
) -> None:
    """Show ssl_error with verification on; create the entry with it off."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: https_server.url,
            CONF_API_KEY: https_server.admin_key,
            CONF_VERIFY_SSL: verify,
        },
    )
    if error is None:
        if result.get("step_id") == "permissions":  # what the key unlocks
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {}
            )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_VERIFY_SSL] is False
    else:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": error}
