"""Which key to make for what: the README's table, checked by the tests.

Each recipe is a use case with the permissions of its key and the features
(permissions.FEATURES) that key unlocks, no more and no less.
`tests/test_permissions.py` checks the READMEs' tables against this;
`tests/real/test_config_flow.py` checks, on a real Immich, that the setup's summary
lists exactly these features for such a key.
"""

from __future__ import annotations

from dataclasses import dataclass

from custom_components.immich_bridge.permissions import FEATURES


@dataclass(frozen=True, kw_only=True)
class KeyRecipe:
    """A use case, the permissions of its key, and what the key unlocks."""

    use: str
    permissions: tuple[str, ...]
    admin: bool = False
    unlocks: frozenset[str]


CAMERA = KeyRecipe(
    use="camera snapshots into an album",
    permissions=("asset.upload", "album.read", "album.create", "albumAsset.create"),
    unlocks=frozenset({"upload", "upload_to_album", "upload_to_new_album"}),
)

RECIPES: tuple[KeyRecipe, ...] = (
    CAMERA,
    KeyRecipe(
        use="uploads with tags and descriptions",
        permissions=(
            *CAMERA.permissions,
            "asset.update",
            "tag.read",
            "tag.create",
            "tag.asset",
        ),
        unlocks=CAMERA.unlocks | {"upload_with_tags", "upload_with_details"},
    ),
    KeyRecipe(
        use="dashboard sensors",
        permissions=(
            "user.read",
            "server.about",
            "server.storage",
            "server.versionCheck",
            "asset.statistics",
            "album.statistics",
            "album.read",
        ),
        unlocks=frozenset({"account", "server_sensors", "library_statistics"}),
    ),
    KeyRecipe(
        use="slideshows, search and the media browser",
        permissions=(
            "asset.read",
            "asset.view",
            "asset.download",
            "album.read",
            "person.read",
            "tag.read",
            "memory.read",
        ),
        unlocks=frozenset({"search_and_photos", "people_and_tags"}),
    ),
    KeyRecipe(
        use="everything",
        permissions=("all",),
        admin=True,
        unlocks=frozenset(FEATURES),  # all of them, by definition
    ),
)
