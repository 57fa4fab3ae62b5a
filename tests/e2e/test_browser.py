"""Onboard Home Assistant, add Immich Bridge and upload a photo, all in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from pathlib import Path
import re

from playwright.sync_api import Error as PlaywrightError, Page, expect
import pytest
import yaml

from tests.fake_immich.jpeg import sample_jpeg

from . import harness

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.timeout(480),  # a safety net: every wait inside is bounded
]

OWNER = {
    "name": "E2E Owner",
    "username": "owner",
    "password": "e2e-Owner-pass-1",
    "password_confirm": "e2e-Owner-pass-1",
}
UPLOAD_NAME = "e2e-upload.jpg"
SERVICES_YAML = harness.REPO / "custom_components" / "immich_bridge" / "services.yaml"


class Steps:
    """Name the steps of a test and save a screenshot after each one."""

    def __init__(self, page: Page, folder: Path) -> None:
        """Save screenshots of ``page`` to ``folder``."""
        self.page = page
        self.folder = folder
        self.count = 0
        self.current = "start"

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one step, then save ``NN-name.png``."""
        self.count += 1
        self.current = name
        yield
        # Let icons and lazy parts load (bounded: the websocket never goes idle).
        with contextlib.suppress(PlaywrightError):
            self.page.wait_for_load_state("networkidle", timeout=3_000)
        self.page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png")

    def failure_shot(self) -> Path:
        """Save a screenshot of the page as it is when a step failed."""
        path = self.folder / f"{self.count:02d}-FAILED-{self.current}.png"
        with contextlib.suppress(Exception):
            self.page.screenshot(path=path)
        return path


def upload_field() -> str:
    """Return the upload action's field for file paths, as services.yaml names it."""
    fields = yaml.safe_load(SERVICES_YAML.read_text())["upload"]["fields"]
    names = [name for name in fields if name.startswith("file_path")]
    assert names, f"no file_path field in {SERVICES_YAML.name}: {list(fields)}"
    return names[0]


def uploaded(immich: harness.Immich) -> list[dict[str, object]]:
    """Return the demo server's assets named like the uploaded file."""
    found = immich.api("POST", "/api/search/metadata", {"originalFileName": "e2e-up"})
    return list(found["assets"]["items"])


def onboard(page: Page, steps: Steps, url: str) -> None:
    """Create the owner and walk through the onboarding steps."""
    with steps.step("onboarding-welcome"):
        page.goto(url)
        expect(page).to_have_url(re.compile(r"/onboarding\.html"))
        expect(page.get_by_text("Welcome!", exact=True)).to_be_visible()
    with steps.step("onboarding-user"):
        page.get_by_role("button", name="Create my smart home").click()
        for name, value in OWNER.items():
            page.locator(f"input[name={name}]").fill(value)
    with steps.step("onboarding-location"):
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("Home location", exact=True)).to_be_visible()
    with steps.step("onboarding-country"):
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("the country your home is in")).to_be_visible()
    with steps.step("onboarding-analytics"):
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Help us help you", exact=True)).to_be_visible()
    with steps.step("onboarding-done"):
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("All set!", exact=True)).to_be_visible()
    with steps.step("overview"):
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_text(f"Welcome {OWNER['name']}")).to_be_visible()


def add_integration(page: Page, steps: Steps, immich: harness.Immich) -> str:
    """Add Immich Bridge in Settings → Devices & services; return the entry id."""
    with steps.step("devices-and-services"):
        page.locator("a[href='/config']").click()
        page.get_by_text("Devices & services", exact=True).first.click()
        expect(page).to_have_url(re.compile(r"/config/integrations"))
        expect(page.get_by_role("button", name="Add integration")).to_be_visible()
    with steps.step("search-brand"):
        page.get_by_role("button", name="Add integration").click()
        search = page.get_by_role("textbox", name="Search for a brand name")
        search.fill("Immich Bridge")
        expect(page.get_by_text("Immich Bridge", exact=True)).to_be_visible()
    with steps.step("connect-form"):
        page.get_by_text("Immich Bridge", exact=True).click()
        expect(page.get_by_text("Connect to Immich", exact=True).first).to_be_visible()
        page.locator("input[name=url]").fill(immich.url)
        page.locator("input[name=api_key]").fill(immich.api_key)
    with steps.step("permissions-summary"):
        page.get_by_role("button", name="Submit").click()
        expect(
            page.get_by_text("What this key can do", exact=True).first
        ).to_be_visible()
        expect(page.get_by_text("Connected as Admin.")).to_be_visible()
    with steps.step("device-created"):
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Device created", exact=True).first).to_be_visible()
    with steps.step("integration-page"):
        page.get_by_role("button", name=re.compile("finish", re.IGNORECASE)).click()
        expect(page.get_by_text("Device created", exact=True).first).to_be_hidden()
        page.get_by_text("Immich Bridge", exact=True).first.click()
        expect(page).to_have_url(re.compile(r"/integration/immich_bridge"))
        link = page.locator("a[href*='config_entry=']").first
        expect(link).to_be_attached()
    href = link.get_attribute("href") or ""
    entry_id = re.search(r"config_entry=(\w+)", href)
    assert entry_id, f"no config entry id in the link {href!r}"
    return entry_id[1]


def check_device_page(page: Page, steps: Steps) -> None:
    """Open the device page and find the server sensors."""
    with steps.step("device-page"):
        page.locator("a[href^='/config/devices/device/']").first.click()
        expect(page).to_have_url(re.compile(r"/config/devices/device/"))
        expect(page.get_by_text("Sensors", exact=True)).to_be_visible()
        for sensor in ("Disk size", "Albums"):
            expect(page.get_by_text(sensor, exact=True)).to_be_visible()


def perform_upload(page: Page, steps: Steps, entry_id: str, photo: Path) -> None:
    """Perform immich_bridge.upload in Developer tools → Actions, in YAML mode."""
    path_field = upload_field()
    action = {
        "action": "immich_bridge.upload",
        "data": {"config_entry_id": entry_id, path_field: [str(photo)]},
    }
    with steps.step("actions-yaml"):
        page.locator("a[href='/config']").click()
        page.locator("a[href='/config/developer-tools']").click()
        page.get_by_role("tab", name="Actions").click()
        expect(page).to_have_url(re.compile(r"/developer-tools/action"))
        page.get_by_text("Go to YAML mode", exact=True).click()
        editor = page.locator(".cm-content").first
        editor.click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(yaml.safe_dump(action, sort_keys=False))
        expect(editor).to_contain_text("immich_bridge.upload")
        expect(
            page.get_by_text("immich_bridge.upload", exact=True).first
        ).to_be_visible()
        # The web UI learns a new action's fields (and that it responds) from a refresh
        # debounced by 5 s after the last service_registered event; until then the
        # parameter table is empty and the action is performed without its response.
        field = page.locator("td").filter(has_text=re.compile(rf"^\s*{path_field}\s*$"))
        expect(field).to_be_visible()
    with steps.step("action-response"):
        page.get_by_role("button", name="Perform action").click()
        expect(page.get_by_text("Response", exact=True)).to_be_visible()
        expect(page.locator(".cm-line", has_text="status: created")).to_be_visible()


def test_onboard_add_integration_and_upload(
    chromium: Path,
    immich: harness.Immich,
    home_assistant: harness.HomeAssistant,
    media_dir: Path,
    output_dir: Path,
    page: Page,
) -> None:
    """Onboard, add Immich Bridge, see its sensors and upload a JPEG with the action."""
    photo = media_dir / UPLOAD_NAME
    photo.write_bytes(sample_jpeg(7, label="e2e"))
    assert uploaded(immich) == [], "the demo server already has the photo"
    steps = Steps(page, output_dir)
    try:
        onboard(page, steps, home_assistant.url)
        entry_id = add_integration(page, steps, immich)
        check_device_page(page, steps)
        perform_upload(page, steps, entry_id, photo)
    except (PlaywrightError, AssertionError) as err:
        shot = steps.failure_shot()
        pytest.fail(
            f"step {steps.count:02d} '{steps.current}' failed: {err}\n"
            f"screenshot: {shot}\nlogs: {output_dir}\nHome Assistant's log ends with:\n"
            f"{harness.tail(home_assistant.log)}"
        )
    assets = uploaded(immich)
    assert [asset["originalFileName"] for asset in assets] == [UPLOAD_NAME]
    assert assets[0]["originalMimeType"] == "image/jpeg"
