"""The end-to-end fixtures fail on what the demo Immich reports (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.guards import SecretsGuard

from . import harness


def test_demo_violation_fails(tmp_path: Path) -> None:
    """A request the spec does not allow, reported in the demo's log, fails."""
    demo = harness.immich_demo(tmp_path)
    immich = demo.__enter__()
    assert harness.http_status(immich.port, "/api/nowhere") == 404
    assert immich.api("GET", "/api/users/me")["name"] == "Admin"
    with pytest.raises(AssertionError, match="SPEC VIOLATION: GET /api/nowhere"):
        demo.__exit__(None, None, None)


def test_clean_demo_passes(tmp_path: Path, no_leaked_secrets: SecretsGuard) -> None:
    """A demo that saw only valid requests ends quietly; keys it makes are secrets."""
    with harness.immich_demo(tmp_path) as immich:
        assert immich.api("GET", "/api/users/me")["isAdmin"] is True
        body = {"name": "e2e", "permissions": ["asset.upload"]}
        made = immich.api("POST", "/api/api-keys", body)
        assert made["secret"] in no_leaked_secrets.secrets
    assert "Fake Immich stopped: 0 spec violation(s)" in immich.log.read_text()


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip")])
def test_no_chromium_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    """Without Chromium the browser test fails under CI=true, else it is skipped."""
    monkeypatch.setattr(harness, "install_chromium", lambda: "apt-get needs root")
    monkeypatch.setenv("CI", ci)
    expected = {"fail": pytest.fail.Exception, "skip": pytest.skip.Exception}[outcome]
    with pytest.raises(expected, match="apt-get needs root"):
        harness.require_chromium()
