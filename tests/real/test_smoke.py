"""The harness works: a real server answers and an entry loads against it."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from tests.reliability.guards import SecretsGuard

from .common import number, setup_entry, state_of
from .harness import ImmichApi, real_entry


async def test_admin_entry_sensors_match_server(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """An admin key sets up, and the photo counter equals the server's statistics."""
    await immich.upload(immich.admin.key)
    stats = await immich.call("GET", "/server/statistics")
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))
    assert number(state_of(hass, entry, "sensor", "photos")) == stats["photos"]
    assert state_of(hass, entry, "sensor", "server_version") == "2.7.5"


async def test_keys_and_tokens_are_guarded(
    hass: HomeAssistant, immich: ImmichApi, no_leaked_secrets: SecretsGuard
) -> None:
    """Every key and session token the tier makes is a secret the guard watches.

    The entry then runs at DEBUG level against the real server: the guard checks its
    records, states and action results for each of them.
    """
    user = await immich.create_user(permissions=("all",))
    extra = await immich.create_key(user, ["all"])
    made = {immich.server.admin_key, immich.admin.token, user.key, user.token, extra}
    assert made <= no_leaked_secrets.secrets
    for secret in (user.key, user.token, user.password):
        assert secret not in repr(user)
    assert immich.server.admin_key not in repr(immich.server)
    entry = await setup_entry(hass, real_entry(immich.server, user, key=extra))
    assert state_of(hass, entry, "sensor", "server_version") == "2.7.5"
