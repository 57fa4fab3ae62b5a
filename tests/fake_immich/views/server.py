"""Handlers: server information, users, API keys and partners."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_immich import dto
from tests.fake_immich.state import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, iso, new_id, now

from .base import Call, ImmichHTTPError, Reply, handles

if TYPE_CHECKING:
    from tests.fake_immich.state import ApiKey


# --- server ---------------------------------------------------------------------------


@handles("pingServer")
def ping(_call: Call) -> Reply:
    """Answer the ping."""
    return Reply({"res": "pong"})


@handles("getServerVersion")
def server_version(call: Call) -> Reply:
    """Return the version the spec stands for (3.0.0 or 2.7.5)."""
    major, minor, patch = call.spec.version
    return Reply({"major": major, "minor": minor, "patch": patch})


@handles("getVersionHistory")
def version_history(call: Call) -> Reply:
    """Return one install record."""
    version = "v{}.{}.{}".format(*call.spec.version)
    return Reply([{"id": new_id(), "version": version, "createdAt": iso(now())}])


@handles("getAboutInfo")
def about(call: Call) -> Reply:
    """Return build information."""
    version = "v{}.{}.{}".format(*call.spec.version)
    return Reply(
        {
            "version": version,
            "versionUrl": f"https://github.com/immich-app/immich/releases/tag/{version}",
            "licensed": False,
            "nodejs": "v22.14.0",
            "ffmpeg": "7.0.2-9",
            "libvips": "8.16.1",
            "exiftool": "13.00",
            "imagemagick": "7.1.1-47",
            "repository": "immich-app/immich",
            "repositoryUrl": "https://github.com/immich-app/immich",
            "sourceRef": version,
            "sourceCommit": "0" * 40,
        }
    )


@handles("getVersionCheck")
def version_check(call: Call) -> Reply:
    """Return the latest release the server has seen."""
    state = call.state
    return Reply(
        {
            "checkedAt": iso(state.version_check_at),
            "releaseVersion": state.version_check_release,
        }
    )


@handles("getServerFeatures")
def features(call: Call) -> Reply:
    """Return the feature flags."""
    return Reply(dict(call.state.features))


@handles("getServerConfig")
def server_config(call: Call) -> Reply:
    """Return the public server config."""
    state = call.state
    return Reply(
        {
            "externalDomain": state.external_domain,
            "isInitialized": True,
            "isOnboarded": True,
            "maintenanceMode": False,
            "trashDays": state.trash_days,
            "userDeleteDelay": 7,
            "loginPageMessage": state.login_page_message,
            "oauthButtonText": "Login with OAuth",
            "publicUsers": True,
            "mapDarkStyleUrl": "https://tiles.immich.cloud/v1/style/dark.json",
            "mapLightStyleUrl": "https://tiles.immich.cloud/v1/style/light.json",
        }
    )


@handles("getSupportedMediaTypes")
def media_types(_call: Call) -> Reply:
    """Return the supported file extensions (Immich sends extensions, not MIME)."""
    return Reply(
        {
            "image": list(IMAGE_EXTENSIONS),
            "video": sorted(VIDEO_EXTENSIONS),
            "sidecar": [".xmp"],
        }
    )


@handles("getStorage")
def storage(call: Call) -> Reply:
    """Return disk usage."""
    size, use = call.state.disk_size, call.state.disk_use
    available = max(0, size - use - call.state.disk_reserved)
    return Reply(
        {
            "diskSize": dto.human_size(size),
            "diskUse": dto.human_size(use),
            "diskAvailable": dto.human_size(available),
            "diskSizeRaw": size,
            "diskUseRaw": use,
            "diskAvailableRaw": available,
            "diskUsagePercentage": round(use / size * 100, 2) if size else 0.0,
        }
    )


@handles("getServerStatistics")
def server_statistics(call: Call) -> Reply:
    """Return per-user and total usage."""
    rows: list[dict[str, Any]] = []
    for item in call.state.users.values():
        owned = [a for a in call.state.assets.values() if a.owner_id == item.id]
        photos = [a for a in owned if a.asset_type == "IMAGE"]
        videos = [a for a in owned if a.asset_type == "VIDEO"]
        rows.append(
            {
                "userId": item.id,
                "userName": item.name,
                "photos": len(photos),
                "videos": len(videos),
                "usage": sum(a.size for a in owned),
                "usagePhotos": sum(a.size for a in photos),
                "usageVideos": sum(a.size for a in videos),
                "quotaSizeInBytes": item.quota_size_in_bytes,
            }
        )
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("photos", "videos", "usage", "usagePhotos", "usageVideos")
    }
    return Reply({**totals, "usageByUser": rows})


# --- users and keys -------------------------------------------------------------------


@handles("getMyUser")
def my_user(call: Call) -> Reply:
    """Return the caller."""
    assert call.user is not None
    return Reply(dto.user_admin(call.state, call.user))


@handles("searchUsers")
def users(call: Call) -> Reply:
    """Return every user."""
    return Reply([dto.user(item) for item in call.state.users.values()])


@handles("createUserAdmin")
def create_user_admin(call: Call) -> Reply:
    """Create a user with a password (admin)."""
    body = call.body
    email = body["email"].lower()
    if any(item.email.lower() == email for item in call.state.users.values()):
        raise ImmichHTTPError(400, "User exists")
    user_id = call.state.add_user(
        body["name"],
        body["email"],
        is_admin=bool(body.get("isAdmin")),
        password=body["password"],
    )
    item = call.state.users[user_id]
    item.quota_size_in_bytes = body.get("quotaSizeInBytes")
    item.storage_label = body.get("storageLabel")
    item.should_change_password = body.get("shouldChangePassword", True)
    if body.get("avatarColor"):
        item.avatar_color = body["avatarColor"]
    return Reply(dto.user_admin(call.state, item))


@handles("login")
def login(call: Call) -> Reply:
    """Log in with e-mail and password; answer a session token."""
    body = call.body
    email = body["email"].lower()
    item = next(
        (u for u in call.state.users.values() if u.email.lower() == email), None
    )
    if item is None or item.password is None or item.password != body["password"]:
        raise ImmichHTTPError(401, "Incorrect email or password")
    return Reply(
        {
            "accessToken": call.state.add_session(item.id),
            "userId": item.id,
            "userEmail": item.email,
            "name": item.name,
            "isAdmin": item.is_admin,
            "isOnboarded": False,
            "profileImagePath": "",
            "shouldChangePassword": item.should_change_password,
        },
        201,
    )


def _check_grant(call: Call, wanted: list[str]) -> None:
    """Refuse a key granting what it doesn't hold itself (sessions may grant all)."""
    key = call.key
    assert key is not None
    from_key = key.secret in call.state.api_keys
    if (
        from_key
        and "all" not in key.permissions
        and ("all" in wanted or not set(wanted) <= set(key.permissions))
    ):
        raise ImmichHTTPError(400, "Cannot grant permissions you do not have")


@handles("createApiKey")
def create_api_key(call: Call) -> Reply:
    """Create a key; a key may only grant what it holds itself (sessions: all)."""
    wanted = call.body["permissions"]
    _check_grant(call, wanted)
    secret = call.state.add_api_key(
        call.user_id, wanted, name=call.body.get("name") or "API Key"
    )
    made = call.state.api_keys[secret]
    return Reply({"secret": secret, "apiKey": _api_key(made)}, 201)


@handles("updateApiKey")
def update_api_key(call: Call) -> Reply:
    """Rename a key of the caller's user or change its permissions."""
    key_id = call.path["id"]
    found = next(
        (
            key
            for key in call.state.api_keys.values()
            if key.id == key_id and key.user_id == call.user_id
        ),
        None,
    )
    if found is None:
        raise ImmichHTTPError(400, "API Key not found")
    if "permissions" in call.body:
        _check_grant(call, call.body["permissions"])
        found.permissions = tuple(call.body["permissions"])
    if "name" in call.body:
        found.name = call.body["name"]
    found.updated_at = now()
    return Reply(_api_key(found))


def _api_key(key: ApiKey) -> dict[str, Any]:
    """Return an ``APIKeyResponseDto``."""
    return {
        "id": key.id,
        "name": key.name,
        "permissions": list(key.permissions),
        "createdAt": iso(key.created_at),
        "updatedAt": iso(key.updated_at),
    }


def _partner(call: Call, user_id: str, in_timeline: bool) -> dict[str, Any]:
    """Return a ``PartnerResponseDto`` (the other user, and ``inTimeline``)."""
    return {**dto.user(call.state.users[user_id]), "inTimeline": in_timeline}


@handles("createPartner")
def create_partner(call: Call) -> Reply:
    """Share the caller's photos with another user."""
    other = call.body["sharedWithId"]
    if (call.user_id, other) in call.state.partners:
        raise ImmichHTTPError(400, "Partner already exists")
    if other not in call.state.users:
        raise ImmichHTTPError(400, "User not found")
    call.state.add_partner(call.user_id, other)
    return Reply(_partner(call, other, in_timeline=False), 201)


@handles("getPartners")
def partners(call: Call) -> Reply:
    """List partners: ``shared-by`` (the caller shares with) or ``shared-with``."""
    by_me = call.query.get("direction") == "shared-by"
    me = call.user_id
    return Reply(
        [
            _partner(call, to if by_me else by, shown)
            for (by, to), shown in call.state.partners.items()
            if (by if by_me else to) == me
        ]
    )


@handles("updatePartner")
def update_partner(call: Call) -> Reply:
    """Show (or hide) a partner's photos in the caller's timeline."""
    pair = (call.path["id"], call.user_id)
    if pair not in call.state.partners:
        call.deny("partner.update")
    call.state.partners[pair] = bool(call.body["inTimeline"])
    return Reply(_partner(call, pair[0], call.state.partners[pair]))


@handles("removePartner")
def remove_partner(call: Call) -> Reply:
    """Stop sharing the caller's photos with a user."""
    pair = (call.user_id, call.path["id"])
    if pair not in call.state.partners:
        raise ImmichHTTPError(400, "Partner not found")
    del call.state.partners[pair]
    return Reply()


@handles("getMyApiKey")
def my_api_key(call: Call) -> Reply:
    """Return the key used for this request."""
    key = call.key
    assert key is not None
    return Reply(
        {
            "id": key.id,
            "name": key.name,
            "permissions": list(key.permissions),
            "createdAt": iso(key.created_at),
            "updatedAt": iso(key.updated_at),
        }
    )
