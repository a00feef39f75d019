"""The French catalogs are complete and the compiled .mo files match them (they are committed)."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted(p for p in ROOT.glob("**/locale/fr/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def test_there_are_french_catalogs() -> None:
    assert CATALOGS, "no French catalog found"


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_french_message_is_translated(po_path: Path) -> None:
    catalog = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy[:10]}"


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalog_matches_its_source(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run msgfmt"
    po = {
        (e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural)
        for e in polib.pofile(str(po_path)).translated_entries()
    }
    mo = {(e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural) for e in polib.mofile(str(mo_path))}
    mo.pop((None, ""), None)
    stale = sorted(str(k[1]) for k in po.keys() ^ mo.keys())
    assert not stale, f"{mo_path} is stale (re-run msgfmt): {stale[:10]}"
    changed = sorted(str(k[1]) for k in po if k in mo and str(po[k]) != str(mo[k]))
    assert not changed, f"{mo_path} is stale (re-run msgfmt): {changed[:10]}"


def test_a_message_has_one_french_translation_across_the_catalogs() -> None:
    """Django merges every app's catalog into one (the first app listed wins): a msgid translated two ways
    shows one of them on every page, so where the French must differ (gender, number) a context tells them
    apart (``pgettext``)."""
    seen: dict[tuple[str | None, str], dict[str, list[str]]] = {}
    for po_path in CATALOGS:
        for entry in polib.pofile(str(po_path)).translated_entries():
            if entry.obsolete:
                continue
            french = entry.msgstr or str(sorted(entry.msgstr_plural.items()))
            where = seen.setdefault((entry.msgctxt, entry.msgid), {})
            where.setdefault(french, []).append(str(po_path.relative_to(ROOT)))
    differing = {key[1]: where for key, where in seen.items() if len(where) > 1}
    assert not differing, differing
