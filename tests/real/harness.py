"""Drive a real Immich v2.7.5 (from ``../shared/toolchain/immich-server``) in tests.

* :func:`start_server` / :func:`stop_server`: one private instance (its own PostgreSQL
  and Redis) in a fresh folder under ``/var/tmp``.
* :class:`ImmichApi`: a small async client of the tests' own (not the integration's)
  that creates users, keys, albums, partners and files through the real API, so every
  test builds the world it needs and does not depend on another.
* :func:`real_entry`: a config entry of Immich Bridge for one user's key.

Nothing here patches the integration: the integration talks HTTP to the real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import itertools
import json
import os
from pathlib import Path
import shutil
import subprocess
import tempfile
import time
from typing import Any
import uuid

import aiohttp
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN
from tests.fake_immich.jpeg import sample_jpeg
from tests.reliability.guards import register_secret

SHARED = Path(
    os.environ.get(
        "IMMICH_BRIDGE_SHARED", Path(__file__).resolve().parents[3] / "shared"
    )
)
TOOL = SHARED / "toolchain" / "immich-server"
BUILD_TIMEOUT = 1800  # a cold build on a minimal machine takes ~75 s; apt can be slow
START_TIMEOUT = 600

_labels = itertools.count(1)


class ServerUnavailableError(RuntimeError):
    """The real server could not be built or started."""


@dataclass(frozen=True, kw_only=True)
class RealServer:
    """One running instance: where it answers, its admin and its folder."""

    url: str
    admin_email: str
    admin_password: str = field(repr=False)
    admin_key: str = field(repr=False)
    dir: Path
    cli: Path

    @property
    def host(self) -> str:
        """Return host:port of the instance."""
        return self.url.split("//", 1)[1]


def _run(args: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run the tool, raising ServerUnavailableError with its stderr tail on failure."""
    try:
        result = subprocess.run(  # noqa: S603  # our own tool, fixed arguments
            [str(TOOL), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        msg = f"immich-server {' '.join(args)} failed: {err}"
        raise ServerUnavailableError(msg) from err
    if result.returncode != 0:
        tail = "\n".join(result.stderr.splitlines()[-25:])
        msg = f"immich-server {' '.join(args)} exited {result.returncode}:\n{tail}"
        raise ServerUnavailableError(msg)
    return result


def build_server() -> float:
    """Build the server once per machine (a no-op when built); return the seconds."""
    if not TOOL.is_file():
        msg = f"{TOOL} not found (../shared must sit beside the checkout)"
        raise ServerUnavailableError(msg)
    began = time.monotonic()
    _run(["build"], timeout=BUILD_TIMEOUT)
    return time.monotonic() - began


def start_server(prefix: str = "immich-real-") -> RealServer:
    """Start a new instance in a fresh folder and return it."""
    # Not pytest's tmp_path: its base folder is 0700 and the database user (immich-db)
    # must reach the instance folder.
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    folder.chmod(0o755)
    try:
        out = _run(["start", str(folder)], timeout=START_TIMEOUT)
        info = json.loads(out.stdout.strip().splitlines()[-1])
        cli = Path(_run(["cli-path"], timeout=60).stdout.strip())
    except (ServerUnavailableError, ValueError, IndexError):
        stop_server(folder)
        raise
    return RealServer(
        url=info["url"],
        admin_email=info["admin_email"],
        admin_password=info["admin_password"],
        admin_key=info["admin_key"],
        dir=folder,
        cli=cli,
    )


def stop_server(folder: Path) -> None:
    """Stop an instance and remove its folder."""
    try:
        _run(["stop", str(folder)], timeout=180)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_cli(server: RealServer, key: str, *args: str, timeout: float = 300) -> str:
    """Run the matching `immich` CLI as the owner of `key`; return its stdout."""
    env = {
        **os.environ,
        "IMMICH_INSTANCE_URL": server.url,
        "IMMICH_API_KEY": key,
        "IMMICH_CONFIG_DIR": str(server.dir / "cli"),
    }
    result = subprocess.run(  # noqa: S603  # the tool's own CLI wrapper
        [str(server.cli), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        msg = f"immich {' '.join(args)} exited {result.returncode}: {result.stderr}"
        raise AssertionError(msg)
    return result.stdout


def jpeg(label: str | None = None, *, width: int = 64, height: int = 48) -> bytes:
    """Return a small valid JPEG, different for every call (or every label)."""
    index = next(_labels)
    return sample_jpeg(
        index, width=width, height=height, label=label or f"real-{uuid.uuid4()}"
    )


def sha1_hex(data: bytes) -> str:
    """Return the SHA-1 of data in hex."""
    return hashlib.sha1(data).hexdigest()  # noqa: S324  # Immich's checksum


@dataclass(frozen=True, kw_only=True)
class RealUser:
    """A user made for one test, with a key of the given permissions."""

    id: str
    name: str
    email: str
    password: str = field(repr=False)
    key: str = field(repr=False)
    token: str = field(repr=False)
    is_admin: bool = False


class ApiError(AssertionError):
    """The real server answered a status the test did not expect."""

    def __init__(self, method: str, path: str, status: int, body: object) -> None:
        """Keep the status and body for assertions."""
        super().__init__(f"{method} {path} -> HTTP {status}: {body}")
        self.status = status
        self.body = body


class ImmichApi:
    """Call the real server as any user (by API key or session token)."""

    def __init__(self, server: RealServer, session: aiohttp.ClientSession) -> None:
        """Bind to one server through one session."""
        self.server = server
        self.session = session
        register_secret(server.admin_key)
        self.admin = RealUser(
            id="",
            name="Admin",
            email=server.admin_email,
            password=server.admin_password,
            key=server.admin_key,
            token="",
            is_admin=True,
        )

    async def raw(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        token: str | None = None,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        data: aiohttp.FormData | None = None,
    ) -> tuple[int, Any]:
        """Send a request; return the status and the decoded body (JSON or bytes)."""
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif key is not None:
            headers["x-api-key"] = key
        else:
            headers["x-api-key"] = self.server.admin_key
        async with self.session.request(
            method,
            f"{self.server.url}/api{path}",
            headers=headers,
            json=json_body,
            params=params,
            data=data,
        ) as response:
            body = await response.read()
            if response.content_type == "application/json" and body:
                return response.status, json.loads(body)
            return response.status, body

    async def call(self, method: str, path: str, **options: Any) -> Any:
        """Send a request (options as for raw) and return its body.

        Raise ApiError on a non-2xx answer.
        """
        status, body = await self.raw(method, path, **options)
        if status >= 300:
            raise ApiError(method, path, status, body)
        return body

    # ------------------------------------------------------------------ users

    async def admin_id(self) -> str:
        """Return the admin's user id."""
        me = await self.call("GET", "/users/me")
        return str(me["id"])

    async def create_user(
        self,
        name: str | None = None,
        *,
        permissions: Iterable[str] = ("all",),
        admin: bool = False,
        quota: int | None = None,
    ) -> RealUser:
        """Create a user (unique e-mail), log in and make an API key for it."""
        suffix = uuid.uuid4().hex[:10]
        name = name or f"User {suffix}"
        email = f"user-{suffix}@example.com"
        password = f"Pw-{uuid.uuid4().hex}"
        body: dict[str, Any] = {
            "email": email,
            "name": name,
            "password": password,
            "isAdmin": admin,
            "shouldChangePassword": False,
        }
        if quota is not None:
            body["quotaSizeInBytes"] = quota
        created = await self.call("POST", "/admin/users", json_body=body)
        login = await self.call(
            "POST", "/auth/login", json_body={"email": email, "password": password}
        )
        token = login["accessToken"]
        register_secret(token)
        key = await self.create_key_with_token(token, permissions)
        return RealUser(
            id=created["id"],
            name=name,
            email=email,
            password=password,
            key=key,
            token=token,
            is_admin=admin,
        )

    async def create_key_with_token(
        self, token: str, permissions: Iterable[str], name: str = "test"
    ) -> str:
        """Create an API key with a session token; return its secret."""
        made = await self.call(
            "POST",
            "/api-keys",
            token=token,
            json_body={"name": name, "permissions": list(permissions)},
        )
        secret = str(made["secret"])
        register_secret(secret)
        return secret

    async def create_key(self, user: RealUser, permissions: Iterable[str]) -> str:
        """Create another key for a user (with these permissions)."""
        return await self.create_key_with_token(user.token, permissions)

    async def admin_token(self) -> str:
        """Log the admin in and return a session token."""
        login = await self.call(
            "POST",
            "/auth/login",
            json_body={
                "email": self.server.admin_email,
                "password": self.server.admin_password,
            },
        )
        token = str(login["accessToken"])
        register_secret(token)
        return token

    async def revoke_keys(self, user: RealUser) -> None:
        """Delete every API key of a user."""
        for key in await self.call("GET", "/api-keys", token=user.token):
            await self.call("DELETE", f"/api-keys/{key['id']}", token=user.token)

    async def add_partner(self, owner: RealUser, partner: RealUser) -> None:
        """Let `partner` see `owner`'s photos (partner sharing)."""
        await self.call(
            "POST",
            "/partners",
            token=owner.token,
            json_body={"sharedWithId": partner.id},
        )

    # ----------------------------------------------------------------- assets

    async def upload(
        self,
        key: str,
        data: bytes | None = None,
        filename: str | None = None,
        *,
        taken: datetime | None = None,
    ) -> str:
        """Upload bytes (a fresh JPEG by default) as the key's owner; return the id."""
        data = data if data is not None else jpeg()
        filename = filename or f"{uuid.uuid4().hex[:8]}.jpg"
        moment = (taken or datetime.now(UTC)).isoformat()
        form = aiohttp.FormData()
        form.add_field("deviceAssetId", f"test-{sha1_hex(data)}")
        form.add_field("deviceId", "immich-bridge-tests")
        form.add_field("fileCreatedAt", moment)
        form.add_field("fileModifiedAt", moment)
        form.add_field(
            "assetData",
            data,
            filename=filename,
            content_type="application/octet-stream",
        )
        body = await self.call("POST", "/assets", key=key, data=form)
        return str(body["id"])

    async def create_memory(
        self, key: str, asset_ids: Sequence[str], *, year: int, days_ahead: int = 0
    ) -> None:
        """Make an "on this day" memory of `year`, shown today's UTC day (or later).

        Immich shows a memory from `showAt` to `hideAt`: one UTC day here.
        """
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        show_at = midnight + timedelta(days=days_ahead)
        await self.call(
            "POST",
            "/memories",
            key=key,
            json_body={
                "type": "on_this_day",
                "data": {"year": year},
                "memoryAt": show_at.replace(year=year).isoformat(),
                "showAt": show_at.isoformat(),
                "hideAt": (show_at + timedelta(days=1, milliseconds=-1)).isoformat(),
                "assetIds": list(asset_ids),
            },
        )

    async def tag_face(self, key: str, asset_id: str, person_id: str) -> None:
        """Put a person's face on a photo, as Immich's face recognition would.

        Immich lists only people with a face on a timeline photo.
        """
        await self.call(
            "POST",
            "/faces",
            key=key,
            json_body={
                "assetId": asset_id,
                "personId": person_id,
                "imageWidth": 64,
                "imageHeight": 64,
                "x": 8,
                "y": 8,
                "width": 32,
                "height": 32,
            },
        )

    async def asset(self, key: str, asset_id: str) -> dict[str, Any]:
        """Return one asset as the key's owner sees it."""
        return dict(await self.call("GET", f"/assets/{asset_id}", key=key))

    # ----------------------------------------------------------------- albums

    async def create_album(
        self,
        key: str,
        name: str | None = None,
        asset_ids: Sequence[str] = (),
        *,
        users: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """Create an album, optionally with assets and members (user id, role)."""
        body: dict[str, Any] = {"albumName": name or f"Album {uuid.uuid4().hex[:8]}"}
        if asset_ids:
            body["assetIds"] = list(asset_ids)
        if users:
            body["albumUsers"] = [{"userId": u, "role": r} for u, r in users]
        return dict(await self.call("POST", "/albums", key=key, json_body=body))

    async def add_to_album(
        self, key: str, album_id: str, asset_ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Add assets to an album as the key's owner; return the per-id results."""
        return list(
            await self.call(
                "PUT",
                f"/albums/{album_id}/assets",
                key=key,
                json_body={"ids": list(asset_ids)},
            )
        )

    async def album(self, key: str, album_id: str) -> dict[str, Any]:
        """Return one album with its assets (v2 answers them by default)."""
        return dict(await self.call("GET", f"/albums/{album_id}", key=key))

    async def album_asset_ids(self, key: str, album_id: str) -> set[str]:
        """Return the ids of the assets in an album."""
        album = await self.album(key, album_id)
        return {asset["id"] for asset in album.get("assets", [])}

    async def albums_named(self, key: str, name: str) -> list[dict[str, Any]]:
        """Return every album the key's owner sees (own and shared) with that name."""
        own = await self.call("GET", "/albums", key=key)
        shared = await self.call("GET", "/albums", key=key, params={"shared": "true"})
        by_id = {album["id"]: album for album in (*own, *shared)}
        return [album for album in by_id.values() if album["albumName"] == name]

    # ----------------------------------------------------------------- queues

    async def queues(self) -> dict[str, dict[str, Any]]:
        """Return the job queues by name (admin)."""
        return {queue["name"]: queue for queue in await self.call("GET", "/queues")}

    async def wait_idle(
        self, names: Iterable[str] | None = None, *, within: float = 90
    ) -> None:
        """Wait until the named (default: all) running queues have no job to run.

        Delayed jobs don't count: Immich defers some of its own (an album's update
        notification waits minutes for more changes), and those never hold up what a
        test looks at.
        """
        deadline = time.monotonic() + within
        while True:
            queues = await self.queues()
            busy = [
                name
                for name, queue in queues.items()
                if (names is None or name in names)
                and not queue["isPaused"]
                and (queue["statistics"]["active"] or queue["statistics"]["waiting"])
            ]
            if not busy:
                return
            if time.monotonic() > deadline:
                msg = f"queues still busy after {within} s: {busy}"
                raise AssertionError(msg)
            await asyncio.sleep(0.25)

    async def set_paused(self, name: str, *, paused: bool) -> None:
        """Pause or resume a queue (admin)."""
        await self.call("PUT", f"/queues/{name}", json_body={"isPaused": paused})


def real_entry(
    server: RealServer,
    user: RealUser,
    *,
    key: str | None = None,
    options: Mapping[str, Any] | None = None,
    url: str | None = None,
) -> MockConfigEntry:
    """Return an Immich Bridge config entry for a user (and one of its keys)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Immich {user.name}",
        unique_id=user.id,
        data={
            CONF_URL: url or server.url,
            CONF_API_KEY: key or user.key,
            CONF_VERIFY_SSL: True,
        },
        options=dict(options or {}),
    )
