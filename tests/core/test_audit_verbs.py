"""Every audit event Logis writes is a member of ``audit.Verb`` and reads as a French label in the journal."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from logis.core.audit import VERB_LABELS, Verb, verb_label

LOGIS = Path(__file__).resolve().parents[2] / "logis"
# An audit.record( call (its verb is among the first arguments), or an AuditEvent row built by hand.
CALL = re.compile(r"audit\.record\(")
KEYWORD = re.compile(r'\bverb=(?:"([a-z_]+\.[a-z_]+)"|Verb\.([A-Z_]+))')
STRING = re.compile(r'"([a-z_]+\.[a-z_]+)"')
# Any string literal, in either quotes.
LITERAL = re.compile(r"[\"']([a-z_]+\.[a-z_]+)[\"']")
MEMBER = re.compile(r"\bVerb\.([A-Z_]+)")


def _written() -> tuple[set[str], dict[str, set[str]]]:
    members: set[str] = set()
    strings: dict[str, set[str]] = {}
    for path in LOGIS.rglob("*.py"):
        name = str(path.relative_to(LOGIS))
        if name == "core/audit.py" or "/migrations/" in name:
            continue
        text = path.read_text(encoding="utf-8")
        found = strings.setdefault(name, set())
        for call in CALL.finditer(text):
            window = text[call.end() : call.end() + 200]
            # The verb, or both verbs of a conditional ("a.b" if … else "c.d").
            members.update(MEMBER.findall(window)[:2])
            found.update(STRING.findall(window)[:2])
        for value, member in KEYWORD.findall(text):
            if value:
                found.add(value)
            if member:
                members.add(member)
    return members, strings


def test_every_verb_written_is_a_member_of_the_enum() -> None:
    members, strings = _written()
    assert len(members) > 50
    assert sorted(m for m in members if m not in Verb.__members__) == []
    values = {v.value for v in Verb}
    unknown = {
        f"{name}: {value}" for name, found in strings.items() for value in found if value not in values
    }
    assert sorted(unknown) == []


def test_no_module_writes_a_verb_as_a_string() -> None:
    """Nowhere in logis/ (audit.record, a label, a comparison) is a verb written as its string."""
    values = {v.value for v in Verb}
    still = {
        f"{path.relative_to(LOGIS)}: {value}"
        for path in LOGIS.rglob("*.py")
        if path.relative_to(LOGIS).as_posix() != "core/audit.py" and "migrations" not in path.parts
        for value in LITERAL.findall(path.read_text(encoding="utf-8"))
        if value in values
    }
    assert sorted(still) == []


def test_every_verb_has_a_french_label() -> None:
    assert sorted(v.value for v in Verb if v.value not in VERB_LABELS) == []
    with translation.override("en"):
        english = {v: verb_label(v) for v in Verb}
    with translation.override("fr"):
        untranslated = sorted(
            v.value for v in Verb if verb_label(v) == english[v] or verb_label(v) == v.value
        )
    assert untranslated == []
    with translation.override("fr"):
        assert verb_label(Verb.INVOICE_PUBLISHED) == verb_label("invoice.published") == "Facture publiée"


def test_a_stored_string_and_a_member_are_the_same_verb() -> None:
    assert Verb.PAYMENT_RECORDED == "payment.recorded"
    assert f"{Verb.PAYMENT_RECORDED}" == "payment.recorded"
    assert verb_label("no.such_verb") == "no.such_verb"


# A template compares an event's verb with its string (templates cannot name the enum).
TEMPLATE_VERB = re.compile(r"\bverb\s*==\s*[\"']([^\"']+)[\"']")


def test_every_verb_a_template_compares_with_is_a_verb_logis_writes() -> None:
    """A verb renamed in ``Verb`` but not in a template would silently fall through to its ``else``."""
    values = {v.value for v in Verb}
    compared = {
        f"{path.relative_to(LOGIS)}: {value}"
        for path in LOGIS.rglob("*.html")
        for value in TEMPLATE_VERB.findall(path.read_text(encoding="utf-8"))
    }
    assert compared, "the pattern no longer finds the templates' comparisons"
    assert sorted(c for c in compared if c.rsplit(": ", 1)[1] not in values) == []
