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
# Reauth data (not kept): the permissions the new key should have, from the repair.
REAUTH_PERMISSIONS: Final = "reauth_permissions"

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

# The fields of the actions.
ATTR_ALBUM: Final = "album"
ATTR_ALBUM_FROM_FOLDER: Final = "album_from_folder"
ATTR_ALLOW_DOWNLOAD: Final = "allow_download"
ATTR_ALLOW_UPLOAD: Final = "allow_upload"
ATTR_ASSET_ID: Final = "asset_id"
ATTR_CAMERA_ENTITY_ID: Final = "camera_entity_id"
ATTR_CITY: Final = "city"
ATTR_COMMAND: Final = "command"
ATTR_CONCURRENCY: Final = "concurrency"
ATTR_COUNTRY: Final = "country"
ATTR_DELETE_AFTER_UPLOAD: Final = "delete_after_upload"
ATTR_DESCRIPTION: Final = "description"
ATTR_DRY_RUN: Final = "dry_run"
ATTR_DURATION: Final = "duration"
ATTR_EXCLUDE: Final = "exclude"
ATTR_EXPIRES_AT: Final = "expires_at"
ATTR_EXPIRES_IN: Final = "expires_in"
ATTR_FAVORITE: Final = "favorite"
ATTR_FILE_PATH: Final = "file_path"
ATTR_FOLDER: Final = "folder"
ATTR_FORCE: Final = "force"
ATTR_IMAGE_ENTITY_ID: Final = "image_entity_id"
ATTR_INCLUDE: Final = "include"
ATTR_LIBRARY: Final = "library"
ATTR_LIMIT: Final = "limit"
ATTR_LINK_ID: Final = "link_id"
ATTR_MAX_SIZE: Final = "max_size"
ATTR_MEDIA: Final = "media"
ATTR_NAME: Final = "name"
ATTR_NEWEST: Final = "newest"
ATTR_ORDER: Final = "order"
ATTR_PAGE: Final = "page"
ATTR_PASSWORD: Final = "password"  # noqa: S105  # a field name, not a secret
ATTR_PERSON: Final = "person"
ATTR_QUERY: Final = "query"
ATTR_QUEUE: Final = "queue"
ATTR_RATING: Final = "rating"
ATTR_RECURSIVE: Final = "recursive"
ATTR_RESTORE_TRASHED: Final = "restore_trashed"
ATTR_ROLE: Final = "role"
ATTR_SHOW_METADATA: Final = "show_metadata"
ATTR_SIZE: Final = "size"
ATTR_SOURCE: Final = "source"
ATTR_TAGS: Final = "tags"
ATTR_TAGS_FROM_SUBFOLDERS: Final = "tags_from_subfolders"
ATTR_TAKEN_AFTER: Final = "taken_after"
ATTR_TAKEN_BEFORE: Final = "taken_before"
ATTR_TYPE: Final = "type"
ATTR_URL: Final = "url"
ATTR_USERS: Final = "users"
ATTR_VISIBILITY: Final = "visibility"
ATTR_DATE_TIME: Final = "date_time"
ATTR_LATITUDE: Final = "latitude"
ATTR_LONGITUDE: Final = "longitude"
ATTR_OLDER_THAN: Final = "older_than"
ATTR_MAX_ASSETS: Final = "max_assets"
