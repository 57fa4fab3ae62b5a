"""Connect to a server and learn what a key acts for: one function for setup and flows.

Any key is accepted. A key with ``user.read`` names its account; a key without it is
known by its own id and name (``GET /api-keys/me`` needs no permission). Whether the
account is an administrator is read from the user, or, when the user can't be read,
tried on one admin-only endpoint the key may call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import ssl
from typing import TYPE_CHECKING, Final

import certifi
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    ImmichApiKeyInfo,
    ImmichClient,
    ImmichPermissionError,
    ImmichServerVersion,
    ImmichUser,
)
from .const import REQUEST_TIMEOUT
from .permissions import SOURCE_REQUIREMENTS, Source

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant

# The unique id of an entry whose key can't read its user: the key's own id.
KEY_ID_PREFIX: Final = "key-"
USER_READ: Final = "user.read"


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeAccount:
    """What a key tells about itself and the account it acts for."""

    key_info: ImmichApiKeyInfo
    user: ImmichUser | None  # None when the key lacks user.read
    is_admin: bool

    @property
    def unique_id(self) -> str:
        """Return the entry's unique id: the user's id, else the key's."""
        if self.user is not None:
            return self.user.id
        return f"{KEY_ID_PREFIX}{self.key_info.id}"

    @property
    def name(self) -> str:
        """Return the account's name, or the key's when the user can't be read."""
        return self.user.name if self.user is not None else self.key_info.name


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeConnection:
    """A checked connection: the client, the server's version and the account."""

    client: ImmichClient
    version: ImmichServerVersion
    account: ImmichBridgeAccount


def is_key_id(unique_id: str | None) -> bool:
    """Return True for the unique id of an entry known only by its key."""
    return unique_id is not None and unique_id.startswith(KEY_ID_PREFIX)


def same_account(unique_id: str | None, user: ImmichUser | None) -> bool:
    """Return True when a new key may replace an entry's key: same account.

    An entry known by its key's id, or a new key that can't read its user, can't be
    checked: then the key is accepted (the user chose it for this entry).
    """
    if user is None or is_key_id(unique_id):
        return True
    return user.id == unique_id


class InvalidCaCertError(ValueError):
    """The CA certificate is neither PEM text nor a PEM file in the config folder."""


def ca_context(config_dir: str, ca_cert: str) -> ssl.SSLContext:
    """Trust the usual authorities and the user's own CA (blocking: file reads).

    `ca_cert` is PEM text, or the path of a PEM file inside Home Assistant's
    configuration folder (relative to it, or absolute).
    """
    text = ca_cert.strip()
    if "-----BEGIN" not in text:
        base = Path(config_dir).resolve()
        path = (base / text).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise InvalidCaCertError
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidCaCertError from err
    context = ssl.create_default_context(cafile=certifi.where())
    try:
        context.load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as err:
        raise InvalidCaCertError from err
    return context


async def async_make_client(
    hass: HomeAssistant,
    url: str,
    api_key: str,
    *,
    verify_ssl: bool,
    ca_cert: str | None = None,
) -> ImmichClient:
    """Return a client on Home Assistant's shared session (and the user's CA)."""
    context = None
    if verify_ssl and ca_cert:
        context = await hass.async_add_executor_job(
            ca_context, hass.config.config_dir, ca_cert
        )
    return ImmichClient(
        async_get_clientsession(hass, verify_ssl),
        url,
        api_key,
        request_timeout=REQUEST_TIMEOUT,
        verify_ssl=verify_ssl,
        ssl_context=context,
    )


async def async_connect(
    hass: HomeAssistant,
    url: str,
    api_key: str,
    *,
    verify_ssl: bool,
    ca_cert: str | None = None,
) -> ImmichBridgeConnection:
    """Check the server and the key; read the account as far as the key allows.

    Raises InvalidCaCertError for a CA certificate that can't be used.
    """
    client = await async_make_client(
        hass, url, api_key, verify_ssl=verify_ssl, ca_cert=ca_cert
    )
    version = await client.server_version()
    key_info = await client.api_key_info()
    user = await client.me() if key_info.has(USER_READ) else None
    if user is not None:
        is_admin = user.is_admin is True
    else:
        is_admin = await _async_probe_admin(client, key_info)
    return ImmichBridgeConnection(
        client=client,
        version=version,
        account=ImmichBridgeAccount(key_info=key_info, user=user, is_admin=is_admin),
    )


async def _async_probe_admin(client: ImmichClient, key_info: ImmichApiKeyInfo) -> bool:
    """Tell an administrator's key from a user's without reading the user.

    Only admin-only sources need the answer: try the cheapest one the key may call
    (the server refuses a non-admin with 403). A key allowed none of them unlocks no
    admin feature either way.
    """
    probes: tuple[tuple[Source, Callable[[], Awaitable[object]]], ...] = (
        (Source.QUEUES, client.queues),
        (Source.LIBRARIES, client.libraries),
        (Source.STATISTICS, client.statistics),
    )
    for source, call in probes:
        if all(key_info.has(p) for p in SOURCE_REQUIREMENTS[source].permissions):
            try:
                await call()
            except ImmichPermissionError:
                return False
            return True
    return False
