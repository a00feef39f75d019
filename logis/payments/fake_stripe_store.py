"""Where the local fake of Stripe keeps its objects (``fake_stripe.py``): in memory for the tests' instance
(``MemoryStore``), in the database for the demo (``DatabaseStore``, the ``FakeStripeObject`` model); and the
small pieces every part of the fake shares (its error, its ids, Stripe's form encoding)."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

from django.db import IntegrityError, transaction

from logis.payments.fake_stripe_autopay import AUTOPAY_KINDS


class FakeError(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def parse_form(body: str) -> dict[str, Any]:
    """``a[b][0][c]=1`` (Stripe's form encoding) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: dict[str, Any] = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


# --- Where the fake's objects live -----------------------------------------------------------------

SESSION, CHARGE, REFUND, EVENT, IDEMPOTENCY = "session", "charge", "refund", "event", "idempotency"
KINDS = (SESSION, CHARGE, REFUND, EVENT, IDEMPOTENCY, *AUTOPAY_KINDS)


class MemoryStore:
    """The objects of one process, in dicts (the tests' fake, served in a thread)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self.parents: dict[tuple[str, str], str] = {}
        self._lock = threading.RLock()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def get(self, kind: str, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        return self.tables[kind].get(object_id)

    def put(self, kind: str, object_id: str, obj: dict[str, Any], *, parent: str = "") -> None:
        with self._lock:
            self.tables[kind][object_id] = obj
            if parent:
                self.parents[(kind, object_id)] = parent

    def put_if_absent(self, kind: str, object_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.tables[kind].setdefault(object_id, obj)

    def children(self, kind: str, parent: str) -> list[dict[str, Any]]:
        with self._lock:
            return [o for i, o in self.tables[kind].items() if self.parents.get((kind, i)) == parent]

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.tables[kind].values())


class DatabaseStore:
    """The objects in the database (``FakeStripeObject``): shared by every process of the demo."""

    @contextmanager
    def locked(self) -> Iterator[None]:
        with transaction.atomic():
            yield

    @staticmethod
    def _rows(kind: str) -> Any:
        from logis.payments.models import FakeStripeObject

        return FakeStripeObject.objects.filter(kind=kind)

    def get(self, kind: str, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        rows = self._rows(kind).filter(object_id=object_id)
        if for_update:
            rows = rows.select_for_update()
        row = rows.only("data").first()
        return dict(row.data) if row is not None else None

    def put(self, kind: str, object_id: str, obj: dict[str, Any], *, parent: str = "") -> None:
        from logis.payments.models import FakeStripeObject

        with transaction.atomic():
            updated = self._rows(kind).filter(object_id=object_id).update(data=obj)
            if not updated:
                FakeStripeObject.objects.create(kind=kind, object_id=object_id, parent=parent, data=obj)

    def put_if_absent(self, kind: str, object_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        from logis.payments.models import FakeStripeObject

        try:
            with transaction.atomic():
                FakeStripeObject.objects.create(kind=kind, object_id=object_id, data=obj)
                return obj
        except IntegrityError:
            found = self.get(kind, object_id)
            assert found is not None
            return found

    def children(self, kind: str, parent: str) -> list[dict[str, Any]]:
        return [
            dict(d)
            for d in self._rows(kind).filter(parent=parent).order_by("id").values_list("data", flat=True)
        ]

    def all(self, kind: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self._rows(kind).order_by("id").values_list("data", flat=True)]


Store = MemoryStore | DatabaseStore


class StoreView(Mapping[str, dict[str, Any]]):
    """The objects of one kind by id, read from the store each time (a live view, like a dict's)."""

    def __init__(self, store: Store, kind: str) -> None:
        self.store = store
        self.kind = kind

    def __getitem__(self, object_id: str) -> dict[str, Any]:
        found = self.store.get(self.kind, object_id)
        if found is None:
            raise KeyError(object_id)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([str(o["id"]) for o in self.store.all(self.kind)])

    def __len__(self) -> int:
        return len(self.store.all(self.kind))
