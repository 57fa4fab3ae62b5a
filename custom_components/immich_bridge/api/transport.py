"""Carry requests to one Immich server: session, key, timeouts, errors, JSON.

`ImmichTransport` holds the connection settings and the one `_request()` every
endpoint goes through, and the server-version gate; `ImmichClient` (client.py)
adds the endpoints on top.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import logging
import re
import ssl
from typing import TYPE_CHECKING, Any, Final, Literal, Self
from urllib.parse import urlsplit

import aiohttp

from .errors import (
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichConnectionError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichRateLimitError,
    ImmichResponseError,
    ImmichSSLError,
    ImmichTimeoutError,
    ImmichUnsupportedVersionError,
)
from .models import ImmichServerVersion

if TYPE_CHECKING:
    from aiohttp.payload import Payload

_LOGGER: Final = logging.getLogger(__name__)

MINIMUM_VERSION: Final = ImmichServerVersion(major=2, minor=0, patch=0)
DEFAULT_TIMEOUT: Final = 30.0
_MAX_ERROR_BODY: Final = 64 * 1024
_USE_REQUEST_TIMEOUT: Final = -1.0  # a deadline meaning "the client's request_timeout"
_PERMISSION_RE: Final = re.compile(r"Missing required permission: ([\w.\-]+)")

type _Expect = Literal["json", "bytes", "none"]


def _normalize_url(url: str) -> str:
    """Return the base URL without a trailing slash or `/api`."""
    base = url.strip().rstrip("/")
    base = base.removesuffix("/api")
    return base.rstrip("/")


def _retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(eq=False)
class ImmichTransport:
    """Send requests to one Immich server with one API key."""

    session: aiohttp.ClientSession | None = field(repr=False)
    url: str
    api_key: str = field(repr=False)
    _: KW_ONLY
    request_timeout: float = DEFAULT_TIMEOUT
    verify_ssl: bool = True
    # Trust these certificate authorities instead of the session's (verify_ssl on).
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    version: ImmichServerVersion | None = field(default=None, init=False)
    _owns_session: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        """Normalise the URL."""
        self.url = _normalize_url(self.url)

    async def __aenter__(self) -> Self:
        """Enter the context."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close the session if the client created it."""
        await self.close()

    async def close(self) -> None:
        """Close the session if the client created it."""
        if self._owns_session and self.session is not None:
            await self.session.close()
            self.session = None
            self._owns_session = False

    def _session(self) -> aiohttp.ClientSession:
        """Return the session, creating (and owning) one when none was given."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._owns_session = True
        return self.session

    # ------------------------------------------------------------------ transport

    @asynccontextmanager
    async def _open(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        data: Payload | aiohttp.MultipartWriter | None = None,
        headers: Mapping[str, str] | None = None,
        deadline: float | None,
        sock_read: float | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send a request, map failures to Immich errors and yield the response."""
        request_headers = {"x-api-key": self.api_key, "Accept": "application/json"}
        if headers:
            request_headers.update(headers)
        where = f"{method} {path}"
        try:
            async with asyncio.timeout(deadline):
                async with self._session().request(
                    method,
                    f"{self.url}/api{path}",
                    params=params,
                    json=json_body,
                    data=data,
                    headers=request_headers,
                    ssl=self._ssl(),
                    timeout=aiohttp.ClientTimeout(
                        total=None,
                        sock_connect=self.request_timeout,
                        sock_read=sock_read,
                    ),
                    allow_redirects=True,
                ) as response:
                    _LOGGER.debug("%s -> %s", where, response.status)
                    if response.status >= HTTPStatus.MULTIPLE_CHOICES:
                        await self._raise_for_status(where, response)
                    yield response
        except TimeoutError as err:
            msg = f"{where}: no answer within the timeout"
            raise ImmichTimeoutError(msg) from err
        except aiohttp.ClientConnectorCertificateError as err:
            msg = (
                f"{where}: the server's TLS certificate was refused ({self._safe(err)})"
            )
            raise ImmichSSLError(msg, certificate=True) from err
        except aiohttp.ClientSSLError as err:
            msg = f"{where}: TLS failed ({self._safe(err)})"
            raise ImmichSSLError(msg) from err
        except aiohttp.ClientConnectorDNSError as err:
            msg = f"{where}: cannot resolve host {urlsplit(self.url).hostname}"
            raise ImmichConnectionError(msg) from err
        except aiohttp.ClientError as err:
            msg = f"{where}: connection failed ({self._safe(err)})"
            raise ImmichConnectionError(msg) from err

    def _ssl(self) -> ssl.SSLContext | bool:
        """Return aiohttp's `ssl` argument: the CA context, or whether to verify."""
        if self.verify_ssl and self.ssl_context is not None:
            return self.ssl_context
        return self.verify_ssl

    async def open_websocket(
        self, path: str, *, max_msg_size: int
    ) -> aiohttp.ClientWebSocketResponse:
        """Open a websocket at `path` (with the query) under the server URL.

        The key goes in the upgrade request's `x-api-key` header, as for REST calls.
        """
        scheme, _, rest = self.url.partition("://")
        url = f"{'wss' if scheme == 'https' else 'ws'}://{rest}{path}"
        try:
            return await self._session().ws_connect(
                url,
                headers={"x-api-key": self.api_key},
                ssl=self._ssl(),
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                max_msg_size=max_msg_size,
            )
        except aiohttp.WSServerHandshakeError as err:
            msg = f"websocket: upgrade refused (HTTP {err.status})"
            raise ImmichConnectionError(msg) from err
        except aiohttp.ClientConnectorCertificateError as err:
            msg = f"websocket: TLS certificate refused ({self._safe(err)})"
            raise ImmichSSLError(msg, certificate=True) from err
        except (aiohttp.ClientError, OSError) as err:
            msg = f"websocket: connection failed ({self._safe(err)})"
            raise ImmichConnectionError(msg) from err

    def _safe(self, err: BaseException | str) -> str:
        """Return an error text with the API key masked, just in case."""
        text = (
            (str(err) or type(err).__name__) if isinstance(err, BaseException) else err
        )
        if self.api_key:
            text = text.replace(self.api_key, "***")
        return text

    async def _raise_for_status(
        self, where: str, response: aiohttp.ClientResponse
    ) -> None:
        """Raise the Immich error that matches an unsuccessful response."""
        status = response.status
        detail = ""
        try:
            body = await response.content.read(_MAX_ERROR_BODY)
            parsed = json.loads(body) if body else None
        except (ValueError, aiohttp.ClientError):
            parsed = None
        if isinstance(parsed, Mapping):
            message = parsed.get("message")
            if isinstance(message, list):
                message = "; ".join(str(item) for item in message)
            if isinstance(message, str):
                detail = self._safe(message)[:300]
        text = f"{where}: HTTP {status}" + (f": {detail}" if detail else "")
        if status == HTTPStatus.UNAUTHORIZED:
            raise ImmichAuthenticationError(text)
        if status == HTTPStatus.FORBIDDEN:
            match = _PERMISSION_RE.search(detail)
            raise ImmichPermissionError(
                text, permission=match.group(1) if match else None
            )
        # Immich answers 400 "Not found or no <permission> access" for unknown ids.
        if status == HTTPStatus.NOT_FOUND or (
            status == HTTPStatus.BAD_REQUEST and detail.startswith("Not found or no ")
        ):
            raise ImmichNotFoundError(text)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise ImmichRateLimitError(
                text, retry_after=_retry_after(response.headers.get("Retry-After"))
            )
        if HTTPStatus.BAD_REQUEST <= status < HTTPStatus.INTERNAL_SERVER_ERROR:
            raise ImmichBadRequestError(text, status=status)
        raise ImmichResponseError(text, status=status)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        data: Payload | aiohttp.MultipartWriter | None = None,
        headers: Mapping[str, str] | None = None,
        expect: _Expect = "json",
        deadline: float | None = _USE_REQUEST_TIMEOUT,
    ) -> Any:
        """Send one request and return its decoded JSON (or bytes, or None)."""
        where = f"{method} {path}"
        async with self._open(
            method,
            path,
            params=params,
            json_body=json_body,
            data=data,
            headers=headers,
            deadline=(
                self.request_timeout if deadline == _USE_REQUEST_TIMEOUT else deadline
            ),
        ) as response:
            body = await response.read()
            status = response.status
        if expect == "bytes":
            return body
        if expect == "none" or not body:
            if expect == "json":
                msg = f"{where}: HTTP {status} with an empty body"
                raise ImmichResponseError(msg, status=status)
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as err:  # RecursionError: nested too deep
            msg = f"{where}: HTTP {status} with a body that is not JSON"
            raise ImmichResponseError(msg, status=status) from err

    @staticmethod
    def _parse[M](where: str, parse: Callable[[Mapping[str, Any]], M], data: Any) -> M:
        """Build a model, naming the request in the error when the body is wrong."""
        try:
            return parse(data)
        except ImmichResponseError as err:
            msg = f"{where}: unexpected response: {err}"
            raise ImmichResponseError(msg) from err

    @classmethod
    def _parse_list[M](
        cls, where: str, parse: Callable[[Mapping[str, Any]], M], data: Any
    ) -> list[M]:
        """Build a list of models from a JSON array."""
        if not isinstance(data, list):
            msg = f"{where}: unexpected response: expected an array"
            raise ImmichResponseError(msg)
        return [cls._parse(where, parse, item) for item in data]

    async def _get[M](
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], M],
        *,
        params: Mapping[str, str] | None = None,
    ) -> M:
        """GET one model."""
        data = await self._request("GET", path, params=params)
        return self._parse(f"GET {path}", parse, data)

    async def _get_list[M](
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], M],
        *,
        params: Mapping[str, str] | None = None,
    ) -> list[M]:
        """GET a list of models."""
        data = await self._request("GET", path, params=params)
        return self._parse_list(f"GET {path}", parse, data)

    async def _send[M](
        self,
        method: str,
        path: str,
        parse: Callable[[Mapping[str, Any]], M],
        body: object,
    ) -> M:
        """Send a JSON body and return one model."""
        data = await self._request(method, path, json_body=body)
        return self._parse(f"{method} {path}", parse, data)

    async def _send_list[M](
        self,
        method: str,
        path: str,
        parse: Callable[[Mapping[str, Any]], M],
        body: object,
    ) -> list[M]:
        """Send a JSON body and return a list of models."""
        data = await self._request(method, path, json_body=body)
        return self._parse_list(f"{method} {path}", parse, data)

    # ---------------------------------------------------------------- the version

    async def server_version(self) -> ImmichServerVersion:
        """Read the server version once; refuse servers older than 2.0."""
        version = await self._get("/server/version", ImmichServerVersion.from_api)
        if version < MINIMUM_VERSION:
            raise ImmichUnsupportedVersionError(str(version), str(MINIMUM_VERSION))
        self.version = version
        return version

    async def _version(self) -> ImmichServerVersion:
        """Return the server version, reading it on first use."""
        if self.version is None:
            return await self.server_version()
        return self.version


__all__ = ["DEFAULT_TIMEOUT", "MINIMUM_VERSION", "ImmichTransport"]
