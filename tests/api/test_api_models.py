"""Test the API models: parsing, defaults and malformed payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime
import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.immich_bridge.api import (
    ImmichAlbum,
    ImmichApiKeyInfo,
    ImmichAsset,
    ImmichMediaTypes,
    ImmichPeoplePage,
    ImmichPerson,
    ImmichQueue,
    ImmichResponseError,
    ImmichSearchPage,
    ImmichServerVersion,
    ImmichSharedLink,
    ImmichSyncFileResult,
    ImmichSyncResult,
    ImmichTimeBucket,
    ImmichTimelineAsset,
    ImmichUploadCheckResult,
    ImmichUploadResult,
    ImmichUser,
    ImmichVersionCheck,
)
from custom_components.immich_bridge.api.models import suggestions_from_api
from tests.fake_immich.plugin import require_spec
from tests.fake_immich.spec import SpecName, load_spec

from .payloads import AID, ALBUM_V2, ALBUM_V3, ASSET, SAMPLE_SCHEMAS, SAMPLES, TS, UID

NAMES = sorted(SAMPLES)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
HYPOTHESIS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("name", NAMES)
def test_samples_parse(name: str) -> None:
    """Every sample payload parses."""
    parse, payload = SAMPLES[name]
    assert parse(payload) is not None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [None, [], "x", 3])
def test_not_an_object(name: str, bad: object) -> None:
    """A payload that is not an object is a response error."""
    parse, _ = SAMPLES[name]
    with pytest.raises(ImmichResponseError, match="expected an object"):
        parse(bad)  # type: ignore[arg-type]


def test_version() -> None:
    """Versions order, print and parse."""
    low = ImmichServerVersion(major=2, minor=4, patch=0)
    high = ImmichServerVersion.from_api({"major": 3, "minor": 0, "patch": 0})
    assert low < high
    assert str(low) == "2.4.0"
    assert ImmichServerVersion.parse("v2.7.5") == ImmichServerVersion(
        major=2, minor=7, patch=5
    )
    assert ImmichServerVersion.parse("main") is None


def test_integral_float_accepted() -> None:
    """A float with an integral value counts as an integer; others do not."""
    assert (
        ImmichServerVersion.from_api({"major": 2.0, "minor": 1, "patch": 0}).major == 2
    )
    with pytest.raises(ImmichResponseError, match="'major' should be an integer"):
        ImmichServerVersion.from_api({"major": 2.5, "minor": 1, "patch": 0})
    with pytest.raises(ImmichResponseError, match="'major' should be an integer"):
        ImmichServerVersion.from_api({"major": True, "minor": 1, "patch": 0})


def test_missing_and_wrong_type_named() -> None:
    """The error names the model and the field."""
    with pytest.raises(
        ImmichResponseError, match=r"ImmichServerVersion: required field 'minor'"
    ):
        ImmichServerVersion.from_api({"major": 2, "patch": 0})
    with pytest.raises(
        ImmichResponseError, match=r"'name' should be a string, got int"
    ):
        ImmichUser.from_api({**SAMPLES["user"][1], "name": 5})


def test_bad_values() -> None:
    """Bad dates, numbers, booleans, arrays and enums are response errors."""
    with pytest.raises(ImmichResponseError, match="date-time"):
        ImmichAsset.from_api({**ASSET, "fileCreatedAt": "yesterday"})
    with pytest.raises(ImmichResponseError, match="a number"):
        ImmichAsset.from_api({**ASSET, "width": "wide"})
    with pytest.raises(ImmichResponseError, match="a boolean"):
        ImmichAsset.from_api({**ASSET, "isFavorite": "yes"})
    with pytest.raises(ImmichResponseError, match="an object"):
        ImmichAsset.from_api({**ASSET, "exifInfo": []})
    with pytest.raises(ImmichResponseError, match="an array"):
        ImmichAlbum.from_api({**ALBUM_V3, "albumUsers": {}})
    with pytest.raises(ImmichResponseError, match="an array of strings"):
        ImmichApiKeyInfo.from_api({**SAMPLES["api_key"][1], "permissions": [1]})
    with pytest.raises(ImmichResponseError, match="unknown value 'maybe'"):
        ImmichUploadCheckResult.from_api({"id": "0", "action": "maybe"})
    with pytest.raises(ImmichResponseError, match="ISO-8601 date"):
        ImmichPerson.from_api({**SAMPLES["person"][1], "birthDate": "someday"})
    with pytest.raises(ImmichResponseError, match="page number"):
        ImmichSearchPage.from_api(
            {"assets": {"items": [], "count": 0, "total": 0, "nextPage": "x"}}
        )


def test_asset_fields() -> None:
    """Assets convert dates and read EXIF details."""
    asset = ImmichAsset.from_api(ASSET)
    assert asset.file_created_at == datetime(2026, 4, 25, 10, 11, 12, tzinfo=UTC)
    assert asset.description == "Beach"
    assert asset.rating == 4.0
    assert asset.file_size_in_byte == 1000
    assert asset.width == 640.0
    assert asset.duration == "0:00:00.00000"
    bare = ImmichAsset.from_api({k: v for k, v in ASSET.items() if k != "exifInfo"})
    assert bare.description is None


@pytest.mark.parametrize(
    ("value", "expected", "photo", "video"),
    [
        ("IMAGE", "IMAGE", True, False),
        ("VIDEO", "VIDEO", False, True),
        ("AUDIO", "AUDIO", False, False),
        ("HOLOGRAM", "OTHER", False, False),  # a type a later Immich may add
    ],
)
def test_asset_type(value: str, expected: str, photo: bool, video: bool) -> None:
    """The asset type is typed: one this client doesn't know counts as OTHER."""
    asset = ImmichAsset.from_api({**ASSET, "type": value})
    assert asset.type == expected
    assert asset.is_photo is photo
    assert asset.is_video is video


def test_album_owner_v2_v3() -> None:
    """The owner comes from ownerId on v2 and from albumUsers on v3."""
    v3 = ImmichAlbum.from_api(ALBUM_V3)
    assert v3.owner_id == UID
    assert v3.assets is None
    assert v3.name == "Holidays"
    v2 = ImmichAlbum.from_api(ALBUM_V2)
    assert v2.owner_id == UID
    assert v2.assets is not None
    assert len(v2.assets) == 1
    nobody = ImmichAlbum.from_api({**ALBUM_V3, "albumUsers": []})
    assert nobody.owner_id is None


def test_api_key_has() -> None:
    """`has` honours the `all` permission."""
    key = ImmichApiKeyInfo.from_api(SAMPLES["api_key"][1])
    assert key.has("album.read")
    assert not key.has("asset.upload")
    everything = ImmichApiKeyInfo.from_api(
        {**SAMPLES["api_key"][1], "permissions": ["all"]}
    )
    assert everything.has("asset.upload")


def test_media_types() -> None:
    """Extensions are lower-cased and matched case-insensitively."""
    media = ImmichMediaTypes.from_api(SAMPLES["media_types"][1])
    assert media.accepts("a/B.JPEG")
    assert media.accepts("clip.MP4")
    assert not media.accepts("photo.xmp")
    assert media.media == {".jpg", ".jpeg", ".mp4"}


def test_queue_shapes() -> None:
    """Queues parse from /queues and from the legacy /jobs shape."""
    queue = ImmichQueue.from_api(SAMPLES["queue"][1])
    assert queue.active == 1
    assert queue.is_active is True
    legacy = ImmichQueue.from_legacy(
        "library",
        {
            "jobCounts": {
                "active": 0,
                "completed": 1,
                "failed": 0,
                "delayed": 0,
                "waiting": 2,
                "paused": 0,
            },
            "queueStatus": {"isActive": True, "isPaused": True},
        },
    )
    assert legacy.name == "library"
    assert legacy.is_paused is True
    assert legacy.is_active is True
    assert legacy.waiting == 2


def test_shared_link_keeps_no_password() -> None:
    """A shared link records only that a password exists, and hides its key."""
    link = ImmichSharedLink.from_api(SAMPLES["shared_link"][1])
    assert link.has_password is True
    assert link.album_id == ALBUM_V3["id"]
    assert link.asset_ids == (ASSET["id"],)
    assert "c2VjcmV0LWtleQ" not in repr(link)
    assert "pw" not in repr(link)


def test_misc_models() -> None:
    """Small models convert their fields."""
    assert ImmichVersionCheck.from_api({"checkedAt": None, "releaseVersion": None}) == (
        ImmichVersionCheck(checked_at=None, release_version=None)
    )
    assert ImmichUploadResult.from_api({"id": AID, "status": "duplicate"}).duplicate
    assert not ImmichUploadResult.from_api({"id": AID, "status": "created"}).duplicate
    check = ImmichUploadCheckResult.from_api(SAMPLES["upload_check"][1])
    assert check.duplicate
    assert not ImmichUploadCheckResult.from_api(
        {"id": "1", "action": "accept"}
    ).duplicate
    person = ImmichPerson.from_api(SAMPLES["person"][1])
    assert person.birth_date == date(1990, 5, 1)
    page = ImmichPeoplePage.from_api(SAMPLES["people"][1])
    assert page.people[0].birth_date is None
    search = ImmichSearchPage.from_api(SAMPLES["search"][1])
    assert search.next_page == 2
    admin = ImmichUser.from_api(SAMPLES["user_admin"][1])
    assert admin.is_admin is True
    assert admin.quota_usage_in_bytes == 1234
    assert ImmichUser.from_api(SAMPLES["user"][1]).is_admin is None
    assert ImmichUser.from_api(SAMPLES["user"][1]).created_at is None


def test_sync_result_pending() -> None:
    """A dry run's result counts the files it would upload."""
    result = ImmichSyncResult(
        uploaded=0,
        duplicates=0,
        failed=0,
        skipped=0,
        files=(
            ImmichSyncFileResult(
                path=__import__("pathlib").Path("a"), status="pending"
            ),
        ),
        dry_run=True,
    )
    assert result.pending == 1


def test_naive_date_read_as_utc() -> None:
    """A date-time without an offset is read as UTC (the server sends UTC with Z)."""
    check = ImmichVersionCheck.from_api(
        {"checkedAt": "2026-01-01T00:00:00", "releaseVersion": "v2"}
    )
    assert check.checked_at == datetime(2026, 1, 1, tzinfo=UTC)


def _parse_or_response_error(name: str, payload: Any) -> BaseException | None:
    """Parse a payload and return the error (which must be ImmichResponseError)."""
    parse, _ = SAMPLES[name]
    try:
        parse(payload)
    except ImmichResponseError as err:
        return err
    return None


@HYPOTHESIS
@given(
    name=st.sampled_from(NAMES),
    # "zz" keeps random names apart from real (optional) fields such as startDate.
    extra=st.dictionaries(
        st.text(max_size=12).map("zz".__add__), JSON_VALUES, max_size=5
    ),
)
def test_extra_fields_ignored(name: str, extra: dict[str, Any]) -> None:
    """Unknown fields never change the outcome."""
    _, payload = SAMPLES[name]
    merged = {**{k: v for k, v in extra.items() if k not in payload}, **payload}
    assert _parse_or_response_error(name, merged) is None


@HYPOTHESIS
@given(data=st.data(), name=st.sampled_from(NAMES))
def test_missing_fields(data: st.DataObject, name: str) -> None:
    """Dropping fields gives a model or an error naming a dropped field."""
    _, payload = SAMPLES[name]
    dropped = data.draw(st.sets(st.sampled_from(sorted(payload))))
    trimmed = {k: v for k, v in payload.items() if k not in dropped}
    err = _parse_or_response_error(name, trimmed)
    if err is not None:
        assert any(f"'{key}'" in str(err) for key in dropped), str(err)


@HYPOTHESIS
@given(data=st.data(), name=st.sampled_from(NAMES))
def test_wrong_types(data: st.DataObject, name: str) -> None:
    """Replacing fields with random JSON gives a model or a response error."""
    _, payload = SAMPLES[name]
    keys = data.draw(st.sets(st.sampled_from(sorted(payload)), min_size=1))
    mutated = dict(payload)
    for key in keys:
        mutated[key] = data.draw(JSON_VALUES)
    _parse_or_response_error(name, json.loads(json.dumps(mutated)))


@HYPOTHESIS
@given(ts=st.datetimes(timezones=st.just(UTC)))
def test_dates_round_trip(ts: datetime) -> None:
    """Any ISO-8601 date-time the server may send parses back to the same moment."""
    check = ImmichVersionCheck.from_api(
        {"checkedAt": ts.isoformat().replace("+00:00", "Z"), "releaseVersion": "v3"}
    )
    assert check.checked_at == ts


def test_timestamp_constant() -> None:
    """The shared sample timestamp parses."""
    assert datetime.fromisoformat(TS).tzinfo is not None


def test_timeline_bucket_columns() -> None:
    """A timeline bucket's columns become one entry per asset; ragged ones fail."""
    bucket = {"id": [AID, UID], "isImage": [True, False], "isTrashed": [False, True]}
    assert ImmichTimelineAsset.from_bucket(bucket) == [
        ImmichTimelineAsset(id=AID, is_image=True, is_trashed=False),
        ImmichTimelineAsset(id=UID, is_image=False, is_trashed=True),
    ]
    with pytest.raises(ImmichResponseError, match="'isImage' is not 2 booleans"):
        ImmichTimelineAsset.from_bucket(bucket | {"isImage": [True]})
    with pytest.raises(ImmichResponseError, match="'isTrashed' is not 2 booleans"):
        ImmichTimelineAsset.from_bucket(bucket | {"isTrashed": [0, 1]})
    assert ImmichTimeBucket.from_api({"timeBucket": "2024-01-01", "count": 3}) == (
        ImmichTimeBucket(time_bucket="2024-01-01", count=3, start=date(2024, 1, 1))
    )
    with pytest.raises(ImmichResponseError, match="'timeBucket' is not a YYYY-MM-DD"):
        ImmichTimeBucket.from_api({"timeBucket": "last year", "count": 3})


def test_search_suggestions() -> None:
    """Suggestions are strings; the null Immich may add is left out; others fail."""
    assert suggestions_from_api(["France", None, "Japan", ""]) == ["France", "Japan"]
    for wrong in ({"a": 1}, [1], ["\ud800"]):
        with pytest.raises(ImmichResponseError, match="array of strings"):
            suggestions_from_api(wrong)


@pytest.mark.parametrize(
    ("name", "spec"),
    [(name, spec) for name, (_, specs) in SAMPLE_SCHEMAS.items() for spec in specs],
)
def test_samples_are_spec_valid(name: str, spec: SpecName) -> None:
    """Every sample payload is valid for the DTO it stands for (formats included)."""
    immich = load_spec(require_spec(spec))
    dtos, _ = SAMPLE_SCHEMAS[name]
    dto = next(dto for dto in dtos if dto in immich.schemas)
    assert immich.check_schema(dto, SAMPLES[name][1]) == []


def test_every_sample_names_its_schema() -> None:
    """No sample escapes the spec check above."""
    assert set(SAMPLE_SCHEMAS) == set(SAMPLES)


def test_ids_must_be_uuids() -> None:
    """An id that is no UUID is a malformed answer (it would be sent back as is)."""
    person = {**SAMPLES["person"][1], "id": "owner"}
    with pytest.raises(ImmichResponseError, match="'id' should be a UUID"):
        ImmichPerson.from_api(person)
    bucket = {"id": [AID, "b"], "isImage": [True, True], "isTrashed": [False, False]}
    with pytest.raises(ImmichResponseError, match="'id' should be an array of UUIDs"):
        ImmichTimelineAsset.from_bucket(bucket)
