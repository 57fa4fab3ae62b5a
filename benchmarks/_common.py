"""Share server start-up, memory readings and client set-up between the benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import json
import os
from pathlib import Path
import resource
import subprocess
import sys
import types
from typing import Any
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
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


def rss_mib() -> float:
    """Return this process's resident memory now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    """Return this process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_size(text: str) -> int:
    """Parse a size such as 1G, 64M or 4096."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)
