"""Sample API payloads (shaped like the OpenAPI DTOs) for the model tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from custom_components.immich_bridge.api import (
    ImmichAlbum,
    ImmichAlbumStatistics,
    ImmichAlbumUser,
    ImmichApiKeyInfo,
    ImmichAsset,
    ImmichAssetStatistics,
    ImmichBulkIdResult,
    ImmichLibrary,
    ImmichMediaTypes,
    ImmichMemory,
    ImmichPeoplePage,
    ImmichPerson,
    ImmichQueue,
    ImmichSearchPage,
    ImmichServerAbout,
    ImmichServerConfig,
    ImmichServerFeatures,
    ImmichServerStatistics,
    ImmichServerStorage,
    ImmichServerVersion,
    ImmichSharedLink,
    ImmichTag,
    ImmichUploadCheckResult,
    ImmichUploadResult,
    ImmichUser,
    ImmichUserUsage,
    ImmichVersionCheck,
)

UID = "7c4a3b9e-1f2d-4c5b-8a6e-0d9f8e7c6b5a"
AID = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"
ALB = "a1b2c3d4-e5f6-4789-9abc-def012345678"
TS = "2026-04-25T10:11:12.000Z"

USER = {
    "id": UID,
    "name": "Admin",
    "email": "admin@example.com",
    "avatarColor": "primary",
    "profileChangedAt": TS,
    "profileImagePath": "",
}
USER_ADMIN = {
    **USER,
    "isAdmin": True,
    "quotaSizeInBytes": None,
    "quotaUsageInBytes": 1234,
    "status": "active",
    "storageLabel": "admin",
    "createdAt": TS,
    "updatedAt": TS,
    "deletedAt": None,
    "oauthId": "",
    "shouldChangePassword": False,
    "license": None,
}
ASSET = {
    "id": AID,
    "type": "IMAGE",
    "originalFileName": "IMG_0001.jpg",
    "originalMimeType": "image/jpeg",
    "originalPath": "/upload/IMG_0001.jpg",
    "fileCreatedAt": TS,
    "fileModifiedAt": TS,
    "localDateTime": TS,
    "createdAt": TS,
    "updatedAt": TS,
    "checksum": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
    "ownerId": UID,
    "isFavorite": False,
    "isArchived": False,
    "isTrashed": False,
    "isOffline": False,
    "isEdited": False,
    "hasMetadata": True,
    "visibility": "timeline",
    "duration": None,
    "width": 640,
    "height": 480.0,
    "thumbhash": None,
    "exifInfo": {"description": "Beach", "rating": 4, "fileSizeInByte": 1000},
}
ALBUM_V3 = {
    "id": ALB,
    "albumName": "Holidays",
    "description": "",
    "albumThumbnailAssetId": None,
    "albumUsers": [{"user": USER, "role": "owner"}],
    "assetCount": 1,
    "createdAt": TS,
    "updatedAt": TS,
    "hasSharedLink": False,
    "isActivityEnabled": True,
    "shared": False,
    "order": "desc",
}
ALBUM_V2 = {
    **{key: value for key, value in ALBUM_V3.items() if key != "albumUsers"},
    "albumUsers": [],
    "owner": USER,
    "ownerId": UID,
    "assets": [ASSET],
}

SAMPLES: dict[str, tuple[Callable[[Mapping[str, Any]], object], dict[str, Any]]] = {
    "version": (
        ImmichServerVersion.from_api,
        {"major": 2, "minor": 7, "patch": 5},
    ),
    "about": (
        ImmichServerAbout.from_api,
        {
            "version": "v2.7.5",
            "versionUrl": "https://x",
            "licensed": False,
            "nodejs": "v22",
        },
    ),
    "version_check": (
        ImmichVersionCheck.from_api,
        {"checkedAt": TS, "releaseVersion": "v3.0.0"},
    ),
    "features": (
        ImmichServerFeatures.from_api,
        {
            "smartSearch": True,
            "facialRecognition": True,
            "duplicateDetection": True,
            "map": True,
            "reverseGeocoding": True,
            "trash": True,
            "search": True,
            "sidecar": True,
            "oauth": False,
            "passwordLogin": True,
            "ocr": False,
            "email": False,
            "configFile": False,
            "importFaces": False,
            "oauthAutoLaunch": False,
        },
    ),
    "config": (
        ImmichServerConfig.from_api,
        {
            "externalDomain": "",
            "isInitialized": True,
            "isOnboarded": True,
            "maintenanceMode": False,
            "trashDays": 30,
            "userDeleteDelay": 7,
            "loginPageMessage": "",
        },
    ),
    "storage": (
        ImmichServerStorage.from_api,
        {
            "diskSize": "100 GiB",
            "diskUse": "50 GiB",
            "diskAvailable": "50 GiB",
            "diskSizeRaw": 100,
            "diskUseRaw": 50,
            "diskAvailableRaw": 50,
            "diskUsagePercentage": 50.0,
        },
    ),
    "usage": (
        ImmichUserUsage.from_api,
        {
            "userId": UID,
            "userName": "Admin",
            "photos": 1,
            "videos": 2,
            "usage": 3,
            "usagePhotos": 1,
            "usageVideos": 2,
            "quotaSizeInBytes": None,
        },
    ),
    "statistics": (
        ImmichServerStatistics.from_api,
        {
            "photos": 1,
            "videos": 2,
            "usage": 3,
            "usagePhotos": 1,
            "usageVideos": 2,
            "usageByUser": [
                {
                    "userId": UID,
                    "userName": "Admin",
                    "photos": 1,
                    "videos": 2,
                    "usage": 3,
                    "usagePhotos": 1,
                    "usageVideos": 2,
                    "quotaSizeInBytes": 10,
                }
            ],
        },
    ),
    "media_types": (
        ImmichMediaTypes.from_api,
        {"image": [".jpg", ".JPEG"], "video": [".mp4"], "sidecar": [".xmp"]},
    ),
    "user": (ImmichUser.from_api, USER),
    "user_admin": (ImmichUser.from_api, USER_ADMIN),
    "api_key": (
        ImmichApiKeyInfo.from_api,
        {
            "id": UID,
            "name": "ha",
            "permissions": ["album.read"],
            "createdAt": TS,
            "updatedAt": TS,
        },
    ),
    "asset": (ImmichAsset.from_api, ASSET),
    "asset_statistics": (
        ImmichAssetStatistics.from_api,
        {"images": 1, "videos": 2, "total": 3},
    ),
    "album_user": (ImmichAlbumUser.from_api, {"user": USER, "role": "editor"}),
    "album_v3": (ImmichAlbum.from_api, ALBUM_V3),
    "album_v2": (ImmichAlbum.from_api, ALBUM_V2),
    "album_statistics": (
        ImmichAlbumStatistics.from_api,
        {"owned": 1, "shared": 2, "notShared": 3},
    ),
    "tag": (
        ImmichTag.from_api,
        {
            "id": UID,
            "name": "b",
            "value": "a/b",
            "parentId": AID,
            "color": "#ff0000",
            "createdAt": TS,
            "updatedAt": TS,
        },
    ),
    "shared_link": (
        ImmichSharedLink.from_api,
        {
            "id": UID,
            "key": "c2VjcmV0LWtleQ",
            "type": "ALBUM",
            "userId": UID,
            "allowDownload": True,
            "allowUpload": False,
            "showMetadata": True,
            "password": "pw",
            "slug": None,
            "description": None,
            "album": ALBUM_V3,
            "assets": [ASSET],
            "createdAt": TS,
            "expiresAt": None,
        },
    ),
    "queue": (
        ImmichQueue.from_api,
        {
            "name": "thumbnailGeneration",
            "isPaused": False,
            "statistics": {
                "active": 1,
                "completed": 2,
                "failed": 3,
                "delayed": 4,
                "waiting": 5,
                "paused": 6,
            },
        },
    ),
    "library": (
        ImmichLibrary.from_api,
        {
            "id": UID,
            "name": "NAS",
            "ownerId": UID,
            "assetCount": 5,
            "refreshedAt": None,
            "importPaths": ["/mnt/photos"],
            "exclusionPatterns": ["**/tmp/**"],
            "createdAt": TS,
            "updatedAt": TS,
        },
    ),
    "person": (
        ImmichPerson.from_api,
        {
            "id": UID,
            "name": "Ann",
            "isHidden": False,
            "birthDate": "1990-05-01",
            "thumbnailPath": "/t.jpg",
            "isFavorite": True,
            "updatedAt": TS,
        },
    ),
    "people": (
        ImmichPeoplePage.from_api,
        {
            "total": 1,
            "hidden": 0,
            "hasNextPage": False,
            "people": [
                {"id": UID, "name": "Ann", "isHidden": False, "birthDate": None}
            ],
        },
    ),
    "search": (
        ImmichSearchPage.from_api,
        {
            "assets": {
                "items": [ASSET],
                "count": 1,
                "total": 1,
                "nextPage": "2",
                "facets": [],
            },
            "albums": {"items": [], "count": 0, "total": 0, "facets": []},
        },
    ),
    "memory": (
        ImmichMemory.from_api,
        {
            "id": UID,
            "type": "on_this_day",
            "memoryAt": TS,
            "isSaved": False,
            "assets": [ASSET],
            "data": {"year": 2020},
            "ownerId": UID,
            "createdAt": TS,
            "updatedAt": TS,
        },
    ),
    "upload": (ImmichUploadResult.from_api, {"id": AID, "status": "created"}),
    "bulk_id": (
        ImmichBulkIdResult.from_api,
        {"id": AID, "success": False, "error": "duplicate"},
    ),
    "upload_check": (
        ImmichUploadCheckResult.from_api,
        {"id": "0", "action": "reject", "reason": "duplicate", "assetId": AID},
    ),
}
