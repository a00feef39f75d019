"""Search that ignores accents and case, the same on PostgreSQL and SQLite (« reparation » finds
« Réparation »): ``Fold(expr)`` is ``logis_fold(expr)``, on PostgreSQL an IMMUTABLE SQL function,
``lower(unaccent(expr))`` (migration core 0002), which the trigram indexes of the searched columns are built
on, and on SQLite a Python function registered on each connection. The searched text is folded in Python by
``fold``. See docs/decisions/0014-accent-insensitive-search.md and 0044."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import CharField, Func
from django.dispatch import receiver

SQLITE_FUNCTION = "logis_fold"


# pg_trgm indexes a pattern by its runs of three characters: a shorter text is matched by reading every row.
TRIGRAM = 3


def fold(text: str | None) -> str:
    """Lower case without accents: « Réparation » -> « reparation »."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Fold(Func):
    """The folded text of a column, in SQL (see the module's docstring)."""

    function = SQLITE_FUNCTION
    arity = 1
    output_field = CharField()


@receiver(connection_created)
def _register_sqlite_fold(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
