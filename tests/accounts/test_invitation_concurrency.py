"""An invitation link clicked twice at once (two tabs, a double submit), on PostgreSQL: one account, one
acceptance; the other attempt is refused cleanly."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from logis.accounts.models import Invitation, User
from logis.accounts.services import accept_invitation, invite_resident
from logis.core.errors import DomainError
from logis.core.permissions import Role
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only checked on PostgreSQL")


@pytest.mark.parametrize("round_", range(3))
def test_a_link_accepted_twice_at_once_creates_one_account(round_: int) -> None:
    prop = PropertyFactory()
    manager = member(prop, Role.MANAGER)
    resident = ResidentFactory(property=prop, email=f"marie{round_}@example.com")
    OccupancyFactory(unit=UnitFactory(property=prop), resident=resident)
    token = invite_resident(actor=manager, property=prop, resident_id=resident.pk).token
    start = threading.Barrier(2)

    def accept(password: str) -> str:
        try:
            start.wait()
            accept_invitation(token=token, password=password)
            return "accepted"
        except DomainError:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(accept, ["Premier-mot-2031", "Second-mot-2031"]))

    assert outcomes == ["accepted", "refused"]
    assert User.objects.filter(email=f"marie{round_}@example.com").count() == 1
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None
    resident.refresh_from_db()
    assert resident.user == invitation.accepted_by
