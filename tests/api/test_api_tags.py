"""Tagging several assets with several tags in one request."""

from __future__ import annotations

import uuid

import pytest

from custom_components.immich_bridge.api import ImmichClient, ImmichResponseError
from tests.fake_immich import FakeImmich


async def test_tag_assets_bulk(client: ImmichClient, immich_server: FakeImmich) -> None:
    """Every tag on every asset in one call; the count is of the new links only."""
    state = immich_server.state
    first = state.add_asset(immich_server.admin_id)
    second = state.add_asset(immich_server.admin_id)
    tags = await client.upsert_tags(["garden", "pets"])
    ids = [tag.id for tag in tags]
    assert await client.tag_assets_bulk(ids, [first, second]) == 4
    assert await client.tag_assets_bulk(ids, [first]) == 0
    asset = await client.asset(first)
    assert {tag.value for tag in asset.tags} == {"garden", "pets"}


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"count": true}'])
async def test_tag_assets_bulk_wrong_shape(
    client_v3: ImmichClient, immich_server_v3: FakeImmich, body: bytes
) -> None:
    """An answer without a count is a response error."""
    immich_server_v3.set_fault("bulkTagAssets", body=body)
    with pytest.raises(ImmichResponseError, match="unexpected response"):
        await client_v3.tag_assets_bulk([str(uuid.uuid4())], [str(uuid.uuid4())])
