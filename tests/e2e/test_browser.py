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
from tests.key_recipes import CAMERA

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
DOMAIN = "immich_bridge"
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
        # The form renders in steps, moves the focus and derives the username from the
        # name: a fill can land in another field. Fill, read every field back, and fill
        # again what doesn't hold its value.
        expect(page.locator("input[name=password_confirm]")).to_be_visible()
        for _ in range(5):
            wrong = [
                (name, value)
                for name, value in OWNER.items()
                if page.locator(f"input[name={name}]").input_value() != value
            ]
            if not wrong:
                break
            for name, value in wrong:
                page.locator(f"input[name={name}]").fill(value)
            page.wait_for_timeout(300)  # let the form settle before reading back
        for name, value in OWNER.items():
            expect(page.locator(f"input[name={name}]")).to_have_value(value)
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


def add_integration(
    page: Page,
    steps: Steps,
    immich: harness.Immich,
    *,
    api_key: str | None = None,
    account: str = "Admin",
    available: str = "Upload into existing albums",
    created: str = "Device created",
) -> str:
    """Add Immich Bridge in Settings → Devices & services; return the entry id.

    The summary must say whom the key acts for (``account``) and list ``available``
    among what the key can do; ``created`` is the text of the last dialog.
    """
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
        page.locator("input[name=api_key]").fill(api_key or immich.api_key)
    with steps.step("permissions-summary"):
        page.get_by_role("button", name="Submit").click()
        expect(
            page.get_by_text("What this key can do", exact=True).first
        ).to_be_visible()
        expect(page.get_by_text(f"Connected as {account}")).to_be_visible()
        # An available feature is a bare list item; a missing one ends in ": <perms>".
        item = page.locator("li").filter(
            has_text=re.compile(rf"^\s*{re.escape(available)}\s*$")
        )
        expect(item.first).to_be_visible()
    with steps.step("entry-created"):
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text(created).first).to_be_visible()
    with steps.step("integration-page"):
        page.get_by_role("button", name=re.compile("finish", re.IGNORECASE)).click()
        expect(page.get_by_text(created).first).to_be_hidden()
        page.get_by_text("Immich Bridge", exact=True).first.click()
        expect(page).to_have_url(re.compile(r"/integration/immich_bridge"))
        entries = hass_ws(page, {"type": "config_entries/get", "domain": DOMAIN})
    assert isinstance(entries, list), entries
    [entry] = entries
    return str(entry["entry_id"])


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


def hass_ws(page: Page, message: dict[str, object]) -> object:
    """Send a websocket command as the logged-in owner (from the web UI)."""
    return page.evaluate(
        "(message) => document.querySelector('home-assistant').hass.callWS(message)",
        message,
    )


def hass_api(page: Page, method: str, path: str, data: object = None) -> object:
    """Call Home Assistant's REST API as the logged-in owner (from the web UI)."""
    return page.evaluate(
        "([method, path, data]) => document.querySelector('home-assistant')"
        ".hass.callApi(method, path, data)",
        [method, path, data],
    )


def add_camera(page: Page, steps: Steps, picture: Path) -> str:
    """Add a Local file camera showing ``picture``; return its entity id."""
    with steps.step("camera"):
        flow = hass_api(
            page, "POST", "config/config_entries/flow", {"handler": "local_file"}
        )
        assert isinstance(flow, dict), flow
        done = hass_api(
            page,
            "POST",
            f"config/config_entries/flow/{flow['flow_id']}",
            {"name": "Front door", "file_path": str(picture)},
        )
        assert isinstance(done, dict), done
        assert done.get("type") == "create_entry", done
    return "camera.front_door"


def install_automation(
    page: Page, steps: Steps, config: Path, entry_id: str, camera: str
) -> None:
    """Use the blueprint: doorbell on → snapshot into "Doorbell"; reload automations."""
    automation = {
        "id": "doorbell_snapshot",
        "alias": "Doorbell snapshot",
        "use_blueprint": {
            # Installed by the integration at setup (as for a HACS user).
            "path": "immich_bridge/camera_snapshot_to_album.yaml",
            "input": {
                "immich": entry_id,
                "trigger_entity": "input_boolean.doorbell",
                "camera": camera,
                "album": "Doorbell",
            },
        },
    }
    (config / harness.AUTOMATIONS).write_text(yaml.safe_dump([automation]))
    with steps.step("automation"):
        hass_api(page, "POST", "services/automation/reload", {})
        page.goto(page.url.split("/config", 1)[0] + "/config/automation/dashboard")
        expect(page.get_by_text("Doorbell snapshot", exact=True)).to_be_visible()


def ring_doorbell(page: Page, steps: Steps, immich: harness.Immich) -> list[str]:
    """Turn the doorbell on; return the photos of the album "Doorbell" on Immich."""
    with steps.step("doorbell"):
        hass_api(
            page,
            "POST",
            "services/input_boolean/turn_on",
            {"entity_id": "input_boolean.doorbell"},
        )

        def album() -> list[str] | None:
            for item in immich.api("GET", "/api/albums"):
                if item["albumName"] == "Doorbell" and item["assetCount"]:
                    found = immich.api(
                        "POST", "/api/search/metadata", {"albumIds": [item["id"]]}
                    )
                    return [asset["id"] for asset in found["assets"]["items"]]
            return None

        return list(harness.wait_for("the snapshot on Immich", album, 30))


def check_no_repairs(page: Page, steps: Steps, base: str) -> None:
    """Open Settings → Repairs: nothing pending."""
    with steps.step("no-repairs"):
        page.goto(f"{base}/config/repairs")
        expect(
            page.get_by_text("There are currently no repairs pending")
        ).to_be_visible()


def reconfigure_keeping_key(page: Page, steps: Steps, base: str) -> None:
    """Reconfigure the entry, leaving the key field empty."""
    with steps.step("reconfigure-form"):
        page.goto(f"{base}/config/integrations/integration/immich_bridge")
        # The entry's own menu (the page's header has one too, before it).
        page.get_by_role("button", name="Menu").last.click()
        page.get_by_role("menuitem", name="Reconfigure").click()
        expect(
            page.get_by_text("Change the Immich connection", exact=True).first
        ).to_be_visible()
        expect(page.locator("input[name=api_key]")).to_have_value("")
    with steps.step("reconfigured"):
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Re-configuration was successful")).to_be_visible()
        page.get_by_role(
            "button", name=re.compile("close|finish", re.IGNORECASE)
        ).first.click()


def test_least_privilege_key_camera_blueprint_then_full_key(
    chromium: Path,
    immich: harness.Immich,
    home_assistant: harness.HomeAssistant,
    media_dir: Path,
    output_dir: Path,
    page: Page,
) -> None:
    """A new user with a camera uploader's key: the summary says it can upload into
    albums, no repair issue, the blueprint puts a doorbell snapshot into an album;
    then the key gets every permission in Immich and a reconfigure with the key field
    left empty brings the server sensors.
    """
    made = immich.api(
        "POST",
        "/api/api-keys",
        {"name": "Doorbell uploader", "permissions": list(CAMERA.permissions)},
    )
    picture = media_dir / "front-door.jpg"
    picture.write_bytes(sample_jpeg(11, label="doorbell"))
    steps = Steps(page, output_dir)
    base = home_assistant.url
    try:
        onboard(page, steps, base)
        entry_id = add_integration(
            page,
            steps,
            immich,
            api_key=made["secret"],
            account="the API key “Doorbell uploader”",
            available="Upload into existing albums",
            created="Created configuration for Immich Doorbell uploader",
        )
        camera = add_camera(page, steps, picture)
        install_automation(page, steps, home_assistant.config, entry_id, camera)
        photos = ring_doorbell(page, steps, immich)
        check_no_repairs(page, steps, base)
        immich.api(
            "PUT", f"/api/api-keys/{made['apiKey']['id']}", {"permissions": ["all"]}
        )
        reconfigure_keeping_key(page, steps, base)
        check_device_page(page, steps)
    except (PlaywrightError, AssertionError, TimeoutError) as err:
        shot = steps.failure_shot()
        pytest.fail(
            f"step {steps.count:02d} '{steps.current}' failed: {err}\n"
            f"screenshot: {shot}\nlogs: {output_dir}\nHome Assistant's log ends with:\n"
            f"{harness.tail(home_assistant.log)}"
        )
    assert len(photos) == 1
