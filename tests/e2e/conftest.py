"""Fixtures of the end-to-end test: Chromium, the demo Immich, Home Assistant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import re
import shutil

from playwright.sync_api import Page, expect, sync_playwright
import pytest

from tests.reliability.guards import SecretsGuard, register_secret

from . import harness

OUTPUT = Path(__file__).parent / "output"
TIMEOUT_MS = 20_000


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker (deselect with ``-m "not e2e"``)."""
    config.addinivalue_line(
        "markers", "e2e: end-to-end test in a real browser (Home Assistant subprocess)"
    )


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Return Debian's Chromium, installing it first (see harness.require_chromium)."""
    return harness.require_chromium()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """Return tests/e2e/output/<test>/, emptied, for screenshots and logs."""
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def immich(output_dir: Path) -> Iterator[harness.Immich]:
    """Run the demo Immich as a subprocess on a free port; fail on its violations.

    Its keys are secrets for the guard (tests/reliability/guards.py).
    """
    with harness.immich_demo(output_dir) as server:
        register_secret(server.api_key)
        register_secret(server.user_key)
        yield server


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """Return the folder Home Assistant may read (allowlist_external_dirs)."""
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


@pytest.fixture
def home_assistant(
    tmp_path: Path,
    media_dir: Path,
    output_dir: Path,
    no_leaked_secrets: SecretsGuard,
) -> Iterator[harness.HomeAssistant]:
    """Run a real Home Assistant with a temporary copy of config/.

    Its log (our logger at DEBUG level, from config/configuration.yaml) is read by the
    secrets guard once Home Assistant has stopped.
    """
    with harness.home_assistant(tmp_path / "config", media_dir, output_dir) as hass:
        yield hass
    no_leaked_secrets.check_file(hass.log)


@pytest.fixture
def page(chromium: Path, tmp_path: Path) -> Iterator[Page]:
    """Return a page of a fresh, headless Chromium profile."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=chromium,
            headless=True,
            args=harness.CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            timezone_id="UTC",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
