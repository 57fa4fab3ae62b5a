"""Keep the sync and upload benchmarks working: a tiny run of each on the stand-in."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        (
            "bench_sync.py",
            ["--fake", "--ours-only", "--count", "6", "--kb", "4", "--runs", "1"],
            "duplicate uploads (ours, POST /assets answered 200): 0",
        ),
        (
            "bench_upload.py",
            ["--fake", "--size", "20M", "--runs", "1"],
            "ratio throughput ours/curl (upload only)",
        ),
    ],
)
def test_benchmark_smoke(script: str, args: list[str], expect: str) -> None:
    """A benchmark runs end to end against the stand-in and prints its figures."""
    out = subprocess.run(  # noqa: S603  # our own script
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert expect in out.stdout
