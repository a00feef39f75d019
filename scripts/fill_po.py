"""Fill a .po catalog from a JSON dict {msgid: msgstr | [singular, plural]} and compile it (dev tool)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib


def main() -> int:
    po_path, json_path = Path(sys.argv[1]), Path(sys.argv[2])
    translations = json.loads(json_path.read_text(encoding="utf-8"))
    catalog = polib.pofile(str(po_path))
    missing = []
    for entry in catalog:
        if entry.obsolete:
            continue
        value = translations.get(entry.msgid)
        if value is None:
            if not (entry.msgstr or any(entry.msgstr_plural.values())):
                missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: value[0], 1: value[1]}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.metadata["Language"] = "fr"
    catalog.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
    catalog.save()
    catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
    for msgid in missing:
        print(f"missing: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
