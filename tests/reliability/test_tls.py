"""TLS: the fake Immich over HTTPS with a certificate of a CA made in the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import CONF_CA_CERT, DOMAIN
from tests.common import make_entry, setup_with
from tests.fake_immich import FakeImmich
from tests.fake_immich.spec import SpecName


@dataclass(frozen=True)
class Tls:
    """A certificate authority of the test, and the server's context it signed."""

    ca_pem: str
    server: ssl.SSLContext


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    """Make a CA and a server certificate for 127.0.0.1 signed by it.

    A proper CA (not a self-signed leaf): Python's default context verifies strictly.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key, key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Home CA"))
        .issuer_name(_name("Home CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("immich.test"))
        .issuer_name(ca.subject)
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
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
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
    return Tls(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM).decode(), server=context
    )


@pytest_asyncio.fixture
async def https_server(immich_api_v3: SpecName, tls: Tls) -> AsyncIterator[FakeImmich]:
    """Serve a fake Immich (v3) over HTTPS (FakeImmich.start has no TLS option)."""
    server = FakeImmich(immich_api_v3)
    runner = web.AppRunner(server.app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server)
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
    entry = await setup_with(
        hass, make_entry(https_server), **{CONF_VERIFY_SSL: verify}
    )
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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def _setup_with_ca(
    hass: HomeAssistant, server: FakeImmich, ca_cert: str
) -> MockConfigEntry:
    """Set up the admin's entry with verification on and a CA certificate."""
    return await setup_with(hass, make_entry(server), **{CONF_CA_CERT: ca_cert})


@pytest.mark.parametrize("given", ["pem", "relative path", "absolute path"])
async def test_setup_trusts_the_users_ca(
    hass: HomeAssistant, https_server: FakeImmich, tls: Tls, given: str
) -> None:
    """Verify on, with the CA given as PEM text or as a file in the config folder."""
    ca_file = Path(hass.config.path("certs", "home-ca.pem"))
    await hass.async_add_executor_job(_write, ca_file, tls.ca_pem)
    ca_cert = {
        "pem": tls.ca_pem,
        "relative path": "certs/home-ca.pem",
        "absolute path": str(ca_file),
    }[given]
    entry = await _setup_with_ca(hass, https_server, ca_cert)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.immich_admin_photos").state == "0"


async def test_setup_with_a_ca_file_gone(
    hass: HomeAssistant, https_server: FakeImmich
) -> None:
    """A CA file removed from the config folder stops the setup, saying so."""
    entry = await _setup_with_ca(hass, https_server, "certs/removed.pem")
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "CA certificate" in entry.reason
    assert not https_server.requests


async def test_config_flow_with_the_users_ca(
    hass: HomeAssistant, https_server: FakeImmich, tls: Tls, tmp_path: Path
) -> None:
    """A wrong CA text and a file outside the config folder are refused on the
    field; the right CA creates an entry that keeps it.
    """
    outside = tmp_path / "outside-ca.pem"
    await hass.async_add_executor_job(_write, outside, tls.ca_pem)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    base = {
        CONF_URL: https_server.url,
        CONF_API_KEY: https_server.admin_key,
        CONF_VERIFY_SSL: True,
    }
    for wrong in ("-----BEGIN CERTIFICATE-----\nnot a certificate", str(outside)):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**base, CONF_CA_CERT: wrong}
        )
        assert result["errors"] == {CONF_CA_CERT: "invalid_ca_cert"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_CA_CERT: tls.ca_pem}
    )
    assert result["step_id"] == "permissions"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {**base, CONF_CA_CERT: tls.ca_pem.strip()}
