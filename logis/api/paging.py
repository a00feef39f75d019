"""One page of an API list: by cursor (preferred) or by limit and offset (kept for existing clients).

By cursor the page is read as the Factures and Paiements pages read theirs (``logis.core.keyset``): the
``limit`` rows after (or before) the row the cursor names, in the list's order, one query whatever the
depth, no COUNT and no OFFSET (docs/decisions/0026, 0034). By offset the answer keeps its ``count`` and the
offset its cap (``MAX_OFFSET``); it also gives the cursors of the pages around it, so a client can switch.

A cursor is the keyset cursor of the row (its sort values), a direction, and a signature
(``django.core.signing``, salted per list): the server only reads values it wrote itself, so a damaged,
forged or foreign cursor (another list, another sort, an old secret key) is refused with a message (422),
never read into a query that could fail, and never silently taken for the first page (a client walking
the pages would start again from the top and read every row twice).
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from logis.api.schemas import PageParams
from logis.core import keyset
from logis.core.errors import ValidationError

AFTER, BEFORE = "a", "b"


def order_of(queryset: QuerySet[Any]) -> keyset.Order:
    """The queryset's ordering (plain field names, ending with a unique one) as a keyset order."""
    names = [n for n in queryset.query.order_by if isinstance(n, str)]
    if not names or len(names) != len(queryset.query.order_by):
        raise TypeError("A list paged by cursor needs an ordering of field names; pass its order.")
    return [("id" if n.lstrip("-") == "pk" else n.lstrip("-"), n.startswith("-")) for n in names]


def _signer(kind: str) -> signing.Signer:
    return signing.Signer(salt=f"logis.api.cursor.{kind}")


def _cursor(kind: str, order: keyset.Order, row: Any, direction: str) -> str:
    return _signer(kind).sign(f"{direction}.{keyset.encode(order, row)}")


def _read_cursor(kind: str, order: keyset.Order, cursor: str) -> tuple[str, str]:
    """(direction, keyset cursor) of a cursor this list made for this sort, else a 422 on ``cursor``."""
    try:
        value = _signer(kind).unsign(cursor)
    except signing.BadSignature:
        value = ""
    direction, _dot, inner = value.partition(".")
    if direction not in (AFTER, BEFORE) or keyset.decode(order, inner) is None:
        raise ValidationError(
            {
                "cursor": _(
                    "This cursor was not given by this list with this sort (or it was changed): "
                    "start again from the first page, with an empty cursor."
                )
            }
        )
    return direction, inner


def page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    params: PageParams,
    *,
    kind: str,
    order: keyset.Order | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    """One page of ``queryset`` as the list's answer (``count``, ``limit``, ``offset``, the cursors,
    ``items``). ``kind`` names the list (its cursors are good for it alone); ``order`` defaults to the
    queryset's ordering, which both ways of paging follow. ``count``: the number of rows when the caller
    knows it already (a list's summary rows), instead of a COUNT over the queryset.

    An unknown query parameter is refused rather than ignored: a misspelt filter (``stauts=overdue``)
    must not silently answer every row."""
    unknown = sorted(set(request.GET) - set(type(params).model_fields))
    if unknown:
        raise ValidationError({name: _("This parameter is not accepted here.") for name in unknown})
    order = order if order is not None else order_of(queryset)
    if params.cursor is not None:
        if "offset" in request.GET:
            raise ValidationError({"offset": _("Send a cursor or an offset, not both.")})
        return _by_cursor(queryset, params, kind=kind, order=order)
    if count is None:
        count = queryset.count()
    items = list(queryset[params.offset : params.offset + params.limit])
    more = params.offset + len(items) < count
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "next_cursor": _cursor(kind, order, items[-1], AFTER) if items and more else None,
        "previous_cursor": _cursor(kind, order, items[0], BEFORE) if items and params.offset else None,
        "items": items,
    }


def _by_cursor(
    queryset: QuerySet[Any], params: PageParams, *, kind: str, order: keyset.Order
) -> dict[str, Any]:
    after = before = None
    if params.cursor:
        direction, inner = _read_cursor(kind, order, params.cursor)
        after, before = (inner, None) if direction == AFTER else (None, inner)
    found = keyset.page(queryset, order, size=params.limit, after=after, before=before)
    rows = found.object_list
    return {
        "count": None,
        "limit": params.limit,
        "offset": None,
        "next_cursor": _cursor(kind, order, rows[-1], AFTER) if rows and found.has_next else None,
        "previous_cursor": _cursor(kind, order, rows[0], BEFORE) if rows and found.has_previous else None,
        "items": rows,
    }
