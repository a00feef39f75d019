"""Keyset (cursor) pagination: a page is "the N rows after (or before) this row in this order".

Why not ``Paginator``: a page number costs a COUNT(*) over every matching row and an OFFSET that reads and
discards all the rows before the page, so both grow with the property's history. A keyset page reads N + 1
rows from an index whatever its depth (docs/decisions/0026-keyset-pagination-and-indexes.md).

The order is a list of ``(name, descending)`` over values readable on each row (a field, a ``__`` path or
an annotation), ending with a unique column (``id``) so that it is total. The cursor is the last (or
first) row's values in that order, JSON then URL-safe base64, signed (``django.core.signing``): opaque to
people, and only a cursor this server wrote is read back. One that does not verify, does not decode or was
made for another order is ignored: the first page. Unsigned, a hand-made cursor put any value into the
query (a word where a date or an id is compared, a number beyond the column's range) and the page failed
with a server error (decision 0041).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet

T = TypeVar("T", bound=Model)

# The order: (lookup name, descending).
Order = Sequence[tuple[str, bool]]


def _value(row: Any, name: str) -> Any:
    for part in name.split("__"):
        row = getattr(row, part)
    return row


def _names(order: Order) -> list[str]:
    return [f"-{n}" if desc else n for n, desc in order]


def _plain(value: Any) -> Any:
    """JSON for a sort value, exactly (Django's encoder would cut microseconds off a timestamp)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# « . » is not in URL-safe base64: the signature's separator cannot be taken for a part of the payload.
_SIGNER = signing.Signer(salt="logis.core.keyset", sep=".")


def encode(order: Order, row: Any) -> str:
    payload = {"o": _names(order), "v": [_plain(_value(row, n)) for n, _ in order]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return _SIGNER.sign(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode(order: Order, cursor: str | None) -> list[Any] | None:
    """The values a cursor holds, or None when it is missing, damaged, not signed by this server or made
    for another order."""
    if not cursor or len(cursor) > 2000:
        return None
    try:
        cursor = _SIGNER.unsign(cursor)
    except signing.BadSignature:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("o") != _names(order):
        return None
    values = payload.get("v")
    if not isinstance(values, list) or len(values) != len(order):
        return None
    if any(v is None or isinstance(v, (list, dict)) for v in values):
        return None
    return values


def beyond(order: Order, values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after (``forward``) or before ``values`` in ``order``.

    The expanded form (a > x) OR (a = x AND b > y)…, led by a bound on the first column alone
    (a >= x) that lets the database start the index scan at the cursor instead of filtering from the top.
    """
    condition = Q()
    equal = Q()
    for (name, descending), value in zip(order, values, strict=True):
        smaller = descending == forward  # forward over a descending column: smaller values
        step = Q(**{f"{name}__{'lt' if smaller else 'gt'}": value})
        condition |= equal & step
        equal &= Q(**{name: value})
    first, descending = order[0]
    bound = Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": values[0]})
    return bound & condition


def order_by(order: Order, *, reverse: bool = False) -> list[str]:
    return [f"{'-' if desc != reverse else ''}{name}" for name, desc in order]


@dataclass
class KeysetPage(Generic[T]):
    """One page: its rows, and the cursors of the pages around it (None at either end)."""

    object_list: list[T]
    order: Order
    has_next: bool
    has_previous: bool
    is_first: bool
    count: int | None = None  # the total when known for free (a summary), else None
    next_cursor: str | None = field(default=None)
    previous_cursor: str | None = field(default=None)

    def __post_init__(self) -> None:
        if self.object_list:
            if self.has_next:
                self.next_cursor = encode(self.order, self.object_list[-1])
            if self.has_previous:
                self.previous_cursor = encode(self.order, self.object_list[0])

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def page(
    queryset: QuerySet[T],
    order: Order,
    *,
    size: int,
    after: str | None = None,
    before: str | None = None,
    count: int | None = None,
) -> KeysetPage[T]:
    """The ``size`` rows of ``queryset`` after the cursor ``after`` (else before ``before``, else the
    first ones) in ``order``: one query of ``size + 1`` rows, whatever the depth."""
    after_values = decode(order, after)
    before_values = None if after_values is not None else decode(order, before)
    if before_values is not None:
        rows = list(
            queryset.filter(beyond(order, before_values, forward=False)).order_by(
                *order_by(order, reverse=True)
            )[: size + 1]
        )
        if len(rows) <= size:  # back at the start: the first page, full
            return page(queryset, order, size=size, count=count)
        rows = rows[:size][::-1]
        return KeysetPage(rows, order, has_next=True, has_previous=True, is_first=False, count=count)
    qs = queryset
    if after_values is not None:
        qs = qs.filter(beyond(order, after_values, forward=True))
    rows = list(qs.order_by(*order_by(order))[: size + 1])
    more = len(rows) > size
    started = after_values is not None
    return KeysetPage(
        rows[:size], order, has_next=more, has_previous=started, is_first=not started, count=count
    )
