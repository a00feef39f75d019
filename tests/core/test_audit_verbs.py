"""Every audit event Logis writes is a member of ``audit.Verb`` and reads as a French label in the journal."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from logis.core.audit import VERB_LABELS, Verb, verb_label

LOGIS = Path(__file__).resolve().parents[2] / "logis"
# Files other engineers were changing when the enum landed: they still write plain strings (the values of
# the enum, so nothing changes for the rows). The lead converts them after the merge; then this list empties.
STILL_STRINGS = {
    "invoicing/services.py",
    "payments/checkout.py",
    "payments/credits.py",
    "payments/online_refunds.py",
    "payments/paylinks.py",
    "payments/services.py",
    "payments/stripe_events.py",
}
# An audit.record( call (its verb is among the first arguments), or an AuditEvent row built by hand.
CALL = re.compile(r"audit\.record\(")
KEYWORD = re.compile(r'\bverb=(?:"([a-z_]+\.[a-z_]+)"|Verb\.([A-Z_]+))')
STRING = re.compile(r'"([a-z_]+\.[a-z_]+)"')
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
    # "payment.online_" is completed with the payment's status (online_succeeded, _pending, _failed).
    unknown = {
        f"{name}: {value}"
        for name, found in strings.items()
        for value in found
        if value not in values and value != "payment.online_"
    }
    assert sorted(unknown) == []


def test_files_outside_the_allow_list_write_enum_members_not_strings() -> None:
    _members, strings = _written()
    values = {v.value for v in Verb}
    still = {name for name, found in strings.items() if found & values}
    assert sorted(still - STILL_STRINGS) == []


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
