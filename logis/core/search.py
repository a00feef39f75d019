"""Search that ignores accents and case, the same on PostgreSQL and SQLite (« reparation » finds
« Réparation »): ``Fold(expr)`` is ``lower(unaccent(expr))`` on PostgreSQL (the ``unaccent`` extension,
created by a migration) and a Python function registered on each SQLite connection. The searched text
is folded in Python by ``fold``. See docs/decisions/0014-accent-insensitive-search.md."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import CharField, Func
from django.dispatch import receiver

SQLITE_FUNCTION = "logis_fold"


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

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, template="lower(unaccent(%(expressions)s))", **extra_context)


@receiver(connection_created)
def _register_sqlite_fold(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
