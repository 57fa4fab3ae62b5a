"""Compare the Simplified Chinese translation with strings.json.

Lists the keys zh-Hans.json lacks or has in excess, placeholders the translation
lost, and whether translations/en.json still equals strings.json. With
``--baseline PATH`` (a copy of the strings.json the translation was made from)
it also lists the keys whose English text has changed since, which the keys
alone can't show, and the keys added since (even when someone already gave
them a Chinese text, which is then worth a review).

    .venv/bin/python script/translations_sync.py [--baseline /tmp/strings.base.json]

Exits 1 when anything needs attention, 0 when the translation is in sync.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import sys
from typing import Any

PACKAGE = Path(__file__).parents[1] / "custom_components" / "immich_bridge"
STRINGS = PACKAGE / "strings.json"
ENGLISH = PACKAGE / "translations" / "en.json"
CHINESE = PACKAGE / "translations" / "zh-Hans.json"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested translation dicts into dotted keys."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def load(path: Path) -> dict[str, Any]:
    """Read a JSON file, or return an empty dict when it doesn't exist."""
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def report(title: str, lines: list[str]) -> bool:
    """Write a titled list; return True when it is not empty."""
    sys.stdout.write(f"{title}: {len(lines)}\n")
    for line in lines:
        sys.stdout.write(f"  {line}\n")
    return bool(lines)


def main() -> int:
    """Compare the files and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline",
        type=Path,
        help="copy of the strings.json the translation was made from",
    )
    args = parser.parse_args()

    strings = load(STRINGS)
    english = flatten(strings)
    chinese = flatten(load(CHINESE))

    problems = False
    problems |= report("missing in zh-Hans", sorted(set(english) - set(chinese)))
    problems |= report("extra in zh-Hans", sorted(set(chinese) - set(english)))
    lost = [
        f"{key}: {{{name}}}"
        for key, text in sorted(english.items())
        if key in chinese
        for name in PLACEHOLDER.findall(text)
        if f"{{{name}}}" not in chinese[key]
    ]
    problems |= report("placeholders lost in zh-Hans", lost)
    same = sorted(
        key
        for key, text in english.items()
        if chinese.get(key) == text and re.search("[A-Za-z]{3}", text)
    )
    problems |= report("zh-Hans same as English (untranslated?)", same)
    if args.baseline is not None:
        base = flatten(load(args.baseline))
        changed = sorted(
            key for key, text in english.items() if key in base and base[key] != text
        )
        problems |= report("English changed since the baseline", changed)
        added = sorted(set(english) - set(base))
        problems |= report("English added since the baseline", added)

    en_equal = load(ENGLISH) == strings
    sys.stdout.write(f"translations/en.json equals strings.json: {en_equal}\n")
    problems |= not en_equal
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
