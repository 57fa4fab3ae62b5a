"""Start and stop what the end-to-end test needs: Chromium, Immich, Home Assistant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import fcntl
import http.client
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
import yaml

from tests.reliability.guards import register_secret

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Only 127.0.0.1 is reachable: fail other names at once (brand icons, map tiles).
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
APT_LOCK = Path("/tmp/immich-bridge-e2e-apt.lock")  # noqa: S108  # shared by workers
APT_TIMEOUT = 180.0
START_TIMEOUT = 90.0


def install_chromium() -> str | None:
    """Install Debian's chromium if missing; return why that is impossible, or None."""
    if CHROMIUM.exists():
        return None
    apt = shutil.which("apt-get")
    if apt is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return "apt-get needs root"
    with APT_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time (pytest -n N)
        if not CHROMIUM.exists():
            problem = _apt(apt, "update", "-q") or _apt(
                apt, "install", "-y", "-q", "chromium"
            )
            if problem is not None:
                return problem
    return None if CHROMIUM.exists() else f"{CHROMIUM} is still missing after apt-get"


def require_chromium() -> Path:
    """Return Chromium, installing it; skip without it, or fail under ``CI=true``.

    A missing spec fails CI the same way: CI must not pass without the browser test.
    """
    reason = install_chromium()
    if reason is not None:
        message = (
            f"Chromium cannot be installed ({reason}): the end-to-end browser test "
            f"needs {CHROMIUM} (`apt-get install -y chromium`)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _apt(apt: str, *args: str) -> str | None:
    """Run apt-get non-interactively; return what went wrong, or None."""
    command = f"apt-get {' '.join(args)}"
    try:
        done = subprocess.run(  # noqa: S603  # fixed arguments
            [apt, *args],
            capture_output=True,
            text=True,
            timeout=APT_TIMEOUT,
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except subprocess.TimeoutExpired:
        return f"`{command}` took longer than {APT_TIMEOUT:.0f} s"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return f"`{command}` failed: {' | '.join(lines)}"
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout:.0f} s waiting for {what}"
            raise TimeoutError(msg)
        time.sleep(0.2)


def http_json(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> tuple[int, Any]:
    """Send one request to 127.0.0.1:port; return the status and the decoded JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, raw.decode(errors="replace")


def http_status(port: int, path: str) -> int | None:
    """Return the status of GET path, or None while nothing answers."""
    try:
        return http_json(port, "GET", path)[0]
    except OSError:
        return None


def tail(path: Path, lines: int = 30) -> str:
    """Return the last lines of a log file."""
    if not path.is_file():
        return f"({path.name} is missing)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(text)


@contextlib.contextmanager
def process(
    args: list[str], log: Path, *, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command in its own process group, logging to ``log``; kill it after."""
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603  # our own interpreter and scripts
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group started by ``process``: SIGTERM, then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure nothing else of its group lingers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


@dataclass(frozen=True)
class Immich:
    """The demo Immich server: its URL, port, API keys (admin, Alice) and log."""

    url: str
    port: int
    api_key: str = field(repr=False)
    user_key: str = field(repr=False)
    log: Path

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the demo's REST API as the admin; fail on an error status.

        A key or session token in the answer (``POST /api/api-keys``, a login) becomes
        a secret of the running test's guard.
        """
        status, data = http_json(
            self.port, method, path, headers={"x-api-key": self.api_key}, body=body
        )
        if status >= 400:
            msg = f"{method} {path} answered {status}: {data}"
            raise AssertionError(msg)
        if isinstance(data, dict):
            for field_name in ("secret", "accessToken"):
                if isinstance(secret := data.get(field_name), str):
                    register_secret(secret)
        return data


def demo_problems(log: Path, returncode: int | None) -> list[str]:
    """Return the spec violations the demo reported in its log, and a bad exit."""
    lines = log.read_text(errors="replace").splitlines()
    problems = [line for line in lines if line.startswith("SPEC VIOLATION")]
    if returncode != 0 or not any(
        line.startswith("Fake Immich stopped") for line in lines
    ):
        problems.append(f"the demo Immich ended with {returncode}:\n{tail(log)}")
    return problems


@contextlib.contextmanager
def immich_demo(logs: Path) -> Iterator[Immich]:
    """Run ``python -m tests.fake_immich`` on a free port; yield its URL and keys.

    On the way out the demo is stopped (SIGTERM: it prints its last report) and its
    log is read: any spec violation it reported fails the test.
    """
    log = logs / "immich.log"
    args = [sys.executable, "-u", "-m", "tests.fake_immich"]
    args += ["--host", "127.0.0.1", "--port", "0", "--spec", "v3"]
    with process(args, log, cwd=REPO) as proc:

        def banner() -> re.Match[str] | None:
            if proc.poll() is not None:
                msg = f"the demo Immich exited ({proc.returncode}):\n{tail(log)}"
                raise RuntimeError(msg)
            text = log.read_text(errors="replace")
            return re.search(
                r"URL:\s+(http://127\.0\.0\.1:(\d+))\s.*?admin API key:\s+(\S+)"
                r".*?user API key:\s+(\S+)",
                text,
                re.DOTALL,
            )

        found = wait_for("the demo Immich's banner", banner, START_TIMEOUT)
        port = int(found[2])
        wait_for(
            "the demo Immich to answer",
            lambda: http_status(port, "/api/server/ping") == 200,
            START_TIMEOUT,
        )
        yield Immich(
            url=found[1], port=port, api_key=found[3], user_key=found[4], log=log
        )
    problems = demo_problems(log, proc.returncode)
    if problems:
        msg = "the demo Immich reported:\n  " + "\n  ".join(problems)
        raise AssertionError(msg)


@dataclass(frozen=True)
class HomeAssistant:
    """A running Home Assistant: its URL, config folder and log."""

    url: str
    config: Path
    log: Path


AUTOMATIONS = "automations.yaml"


def write_config(config: Path, port: int, media: Path) -> None:
    """Copy config/configuration.yaml with another port and folders under ``media``.

    Besides: a doorbell (input_boolean.doorbell) and automations read from
    ``automations.yaml`` (empty; a test writes it, then reloads automations). No
    blueprint is copied: the integration installs its own when it is set up.
    """
    data = yaml.safe_load((REPO / "config" / "configuration.yaml").read_text())
    core = data.setdefault("homeassistant", {})
    core["allowlist_external_dirs"] = [str(media)]
    core["media_dirs"] = {"media": str(media)}
    data["http"] = {**(data.get("http") or {}), "server_port": port}
    data["input_boolean"] = {"doorbell": {"name": "Doorbell"}}
    config.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, sort_keys=False)
    text += f"automation: !include {AUTOMATIONS}\n"
    (config / "configuration.yaml").write_text(text)
    (config / AUTOMATIONS).write_text("[]\n")
    (config / "custom_components").mkdir(exist_ok=True)
    link = config / "custom_components" / "immich_bridge"
    link.symlink_to(REPO / "custom_components" / "immich_bridge")


@contextlib.contextmanager
def home_assistant(config: Path, media: Path, logs: Path) -> Iterator[HomeAssistant]:
    """Run ``hass --config <config> --skip-pip`` on a free port; wait for its web UI."""
    port = free_port()
    write_config(config, port, media)
    log = logs / "home-assistant.log"
    hass = Path(sys.executable).with_name("hass")
    args = [str(hass), "--config", str(config), "--skip-pip"]
    with process(args, log, cwd=REPO) as proc:

        def ready() -> bool:
            if proc.poll() is not None:
                msg = f"Home Assistant exited ({proc.returncode}):\n{tail(log)}"
                raise RuntimeError(msg)
            return (
                http_status(port, "/api/onboarding") == 200
                and http_status(port, "/onboarding.html") == 200
            )

        wait_for("Home Assistant to serve its web UI", ready, START_TIMEOUT)
        yield HomeAssistant(url=f"http://127.0.0.1:{port}", config=config, log=log)
