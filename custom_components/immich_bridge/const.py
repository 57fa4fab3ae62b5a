"""Constants for the Immich Bridge integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "immich_bridge"
LOGGER: Final = logging.getLogger(__package__)

CONF_ALBUMS: Final = "albums"
# Photo-frame (slideshow image entity) sources, each a string: "album:<album id>",
# "person:<person id>", "favorites", "memories", "library" (the whole library, at
# random) or "search:<smart-search query>".
CONF_FRAMES: Final = "frames"
CONF_FRAME_INTERVAL: Final = "frame_interval"
# Slideshows also pick videos (shown as their preview picture); off: photos only.
CONF_FRAME_VIDEOS: Final = "frame_videos"
# People whose new photos fire events: person ids, or ALL_PEOPLE for every named one.
CONF_PEOPLE: Final = "people"
ALL_PEOPLE: Final = "all"  # minutes between two photos of a frame
CONF_LOW_DISK_THRESHOLD: Final = "low_disk_threshold"
CONF_QUOTA_THRESHOLD: Final = "quota_threshold"  # % of the quota: "near quota"
# Entry data: the user's own certificate authority, PEM text or a file in the config
# folder (absent: the usual authorities).
CONF_CA_CERT: Final = "ca_cert"
# Entry data: permissions whose repair issue the user dismissed for good.
CONF_IGNORED_PERMISSIONS: Final = "ignored_permissions"

DEFAULT_VERIFY_SSL: Final = True
DEFAULT_LOW_DISK_THRESHOLD: Final = 10.0
DEFAULT_QUOTA_THRESHOLD: Final = 90.0
DEFAULT_FRAME_INTERVAL: Final = 5
REQUEST_TIMEOUT: Final = 30.0

SERVER_SCAN_INTERVAL: Final = timedelta(minutes=5)
QUEUE_SCAN_INTERVAL: Final = timedelta(seconds=30)  # while a queue has jobs
QUEUE_IDLE_INTERVAL: Final = timedelta(minutes=1)  # while every queue is empty
SLOW_INTERVAL: Final = timedelta(hours=1)  # data that changes rarely and costs much

PERCENTAGE: Final = "%"
