"""``core.links.path_maker``: the same path as ``reverse`` for every id, built once per list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from logis.core.links import path_maker


@pytest.mark.parametrize("ids", [(1,), (42,), (987_654_320,), (10**12,)])
def test_one_id_gives_reverse_s_path(ids: tuple[int, ...]) -> None:
    assert path_maker("properties:dashboard")(*ids) == reverse("properties:dashboard", args=ids)


@pytest.mark.parametrize("ids", [(1, 2), (7, 987_654_321), (987_654_321, 987_654_320)])
def test_two_ids_give_reverse_s_path(ids: tuple[int, ...]) -> None:
    assert path_maker("invoicing:detail", 2)(*ids) == reverse("invoicing:detail", args=ids)


def test_wrong_number_of_ids_or_a_non_number_is_refused() -> None:
    make = path_maker("invoicing:detail", 2)
    with pytest.raises(TypeError):
        make(1)
    with pytest.raises(ValueError):
        make(1, "2/../x")
