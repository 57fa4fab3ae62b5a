"""Share server start-up, memory readings and client set-up between the benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import json
import os
from pathlib import Path
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from typing import Any
import urllib.request
import uuid

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
TOOL = ROOT.parent / "shared" / "toolchain" / "immich-server"
sys.path.insert(0, str(ROOT))


def _standalone_api() -> None:
    """Load api/ as the stand-alone library it is: skip the HA glue's package import.

    The package __init__ imports Home Assistant (about 1.4 s), which a benchmark of the
    client should not count; inside Home Assistant that import is already done.
    """
    name = "custom_components.immich_bridge"
    if name not in sys.modules:
        module = types.ModuleType(name)
        module.__path__ = [str(ROOT / "custom_components" / "immich_bridge")]
        sys.modules[name] = module


_standalone_api()


@dataclass
class Target:
    """Describe the server under test."""

    url: str
    key: str
    stats_url: str | None
    fake: bool

    def stats(self) -> dict[str, Any] | None:
        """Return the fake server's counters (None for a real server)."""
        if self.stats_url is None:
            return None
        with urllib.request.urlopen(self.stats_url, timeout=30) as answer:  # noqa: S310  # our own loopback URL
            return json.loads(answer.read())  # type: ignore[no-any-return]


@contextmanager
def target(spec: str, *, validate: bool) -> Iterator[Target]:
    """Yield IMMICH_URL/IMMICH_API_KEY, or a fake server started for the run."""
    url, key = os.environ.get("IMMICH_URL"), os.environ.get("IMMICH_API_KEY")
    if url and key:
        yield Target(url.rstrip("/").removesuffix("/api"), key, None, fake=False)
        return
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "fake_server.py"),
        "--spec",
        spec,
    ]
    if not validate:
        command.append("--no-validate")
    with subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, text=True) as proc:
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            yield Target(info["url"], info["key"], info["stats"], fake=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _call(
    url: str,
    method: str,
    path: str,
    *,
    key: str | None = None,
    token: str | None = None,
    body: object = None,
) -> Any:
    """Send one JSON request to a server's API (blocking) and decode the answer."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310  # our own loopback URL
        f"{url}/api{path}",
        method=method,
        headers=headers,
        data=None if body is None else json.dumps(body).encode(),
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        raw = answer.read()
    return json.loads(raw) if raw else None


@dataclass
class RealServer:
    """A real Immich the benchmark talks to (started by the tool, or given)."""

    url: str
    admin_key: str
    cli: str
    folder: Path | None

    def version(self) -> str:
        """Return the server's version as it tells it."""
        body = _call(self.url, "GET", "/server/version", key=self.admin_key)
        return f"{body['major']}.{body['minor']}.{body['patch']}"

    def cli_version(self) -> str:
        """Return the CLI's version."""
        out = subprocess.run(
            [self.cli, "--version"], capture_output=True, text=True, check=False
        )
        return out.stdout.strip() or out.stderr.strip()

    def new_user(self) -> str:
        """Create a user with an API key (permission all); return the key.

        Each tool and round gets a user of its own, so that no run finds another's
        uploads on the server (Immich deduplicates per user).
        """
        suffix = uuid.uuid4().hex[:10]
        email = f"bench-{suffix}@example.com"
        password = f"Pw-{uuid.uuid4().hex}"
        _call(
            self.url,
            "POST",
            "/admin/users",
            key=self.admin_key,
            body={
                "email": email,
                "name": f"Bench {suffix}",
                "password": password,
                "shouldChangePassword": False,
            },
        )
        login = _call(
            self.url,
            "POST",
            "/auth/login",
            body={"email": email, "password": password},
        )
        made = _call(
            self.url,
            "POST",
            "/api-keys",
            token=login["accessToken"],
            body={"name": "bench", "permissions": ["all"]},
        )
        return str(made["secret"])

    def asset_count(self, key: str) -> int:
        """Return how many assets the owner of `key` has (any visibility)."""
        total = 0
        for visibility in ("timeline", "archive", "hidden"):
            stats = _call(
                self.url,
                "GET",
                f"/assets/statistics?visibility={visibility}",
                key=key,
            )
            total += int(stats["total"])
        return total

    def wait_idle(self, within: float = 600) -> float:
        """Wait until the server's job queues are idle; return the seconds waited.

        Uploads start thumbnail and metadata jobs that run for a while on the same
        two cores: every timed run starts on an idle server.
        """
        start = time.monotonic()
        while time.monotonic() - start < within:
            queues = _call(self.url, "GET", "/jobs", key=self.admin_key)
            busy = [
                name
                for name, queue in queues.items()
                if queue["jobCounts"]["active"] or queue["jobCounts"]["waiting"]
            ]
            if not busy:
                return time.monotonic() - start
            time.sleep(0.5)
        return time.monotonic() - start


@contextmanager
def real_server() -> Iterator[RealServer]:
    """Yield a real Immich: IMMICH_URL/IMMICH_API_KEY, or one started for the run."""
    cli = subprocess.run(
        [str(TOOL), "cli-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    url, key = os.environ.get("IMMICH_URL"), os.environ.get("IMMICH_API_KEY")
    if url and key:
        yield RealServer(url.rstrip("/").removesuffix("/api"), key, cli, None)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-immich-", dir="/var/tmp"))
    tmp.chmod(0o755)
    folder = tmp / "immich"
    folder.mkdir(mode=0o755)
    try:
        out = subprocess.run(
            [str(TOOL), "start", str(folder)],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
        info = json.loads(out.stdout.strip().splitlines()[-1])
        yield RealServer(str(info["url"]), str(info["admin_key"]), cli, folder)
    finally:
        subprocess.run([str(TOOL), "stop", str(folder)], check=False, timeout=300)
        shutil.rmtree(tmp, ignore_errors=True)


def rss_mib() -> float:
    """Return this process's resident memory now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> None:
    """Start this process's peak resident memory (VmHWM) afresh from now (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    """Return this process's peak resident memory (since the last reset), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_size(text: str) -> int:
    """Parse a size such as 1G, 64M or 4096."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)
