"""factory_boy factories: tests build exactly the world their rule needs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from logis.accounts.models import Membership, User
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Occupancy, OccupancyKind, Property, Resident, Unit


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    language = "fr"
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class PropertyFactory(factory.django.DjangoModelFactory[Property]):
    class Meta:
        model = Property

    name = factory.Sequence(lambda n: f"Propriété {n}")
    address = "1, rue Principale"
    timezone = "America/Toronto"
    payments_enabled = True


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    property = factory.SubFactory(PropertyFactory)
    role = Role.MANAGER


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit

    property = factory.SubFactory(PropertyFactory)
    number = factory.Sequence(lambda n: str(100 + n))


class ResidentFactory(factory.django.DjangoModelFactory[Resident]):
    class Meta:
        model = Resident

    property = factory.SubFactory(PropertyFactory)
    name = factory.Sequence(lambda n: f"Résident {n}")
    email = factory.Sequence(lambda n: f"resident{n}@example.com")
    language = "fr"


class OccupancyFactory(factory.django.DjangoModelFactory[Occupancy]):
    class Meta:
        model = Occupancy

    unit = factory.SubFactory(UnitFactory)
    resident = factory.LazyAttribute(lambda o: ResidentFactory(property=o.unit.property))
    kind = OccupancyKind.OWNER
    is_primary = True


class InvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    """A draft by default; pass status/number for other states (services are tested separately)."""

    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    property = factory.SubFactory(PropertyFactory)
    unit = factory.LazyAttribute(lambda o: UnitFactory(property=o.property))
    title = factory.Sequence(lambda n: f"Facture {n}")
    amount = Decimal("100.00")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    status = InvoiceStatus.DRAFT
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def lines(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """One line of the whole amount in the default category, as the services write it
        (``lines=False``: none, to build an invoice as it was before lines existed)."""
        if not create or extracted is False:
            return
        from logis.finances.selectors import default_category
        from logis.invoicing.models import InvoiceLine

        InvoiceLine.objects.create(  # type: ignore[misc]  # factory_boy types ``self`` as the factory
            invoice=self,
            position=1,
            description=self.title,
            category=default_category(self.property),
            amount=self.amount,
        )


def member(property: Property, role: str = Role.MANAGER, **user_kwargs: Any) -> User:
    """A user holding ``role`` on ``property``."""
    user = UserFactory(**user_kwargs)
    MembershipFactory(user=user, property=property, role=role)
    return user


def open_invoice(
    property: Property,
    *,
    number: int,
    amount: Decimal = Decimal("100.00"),
    amount_paid: Decimal = Decimal("0.00"),
    due_date: dt.date | None = None,
    **kwargs: Any,
) -> Invoice:
    """A published invoice as the services leave it (numbered; paid when the balance is 0)."""
    status = InvoiceStatus.PAID if amount_paid >= amount else InvoiceStatus.OPEN
    if "unit" not in kwargs:
        kwargs["unit"] = UnitFactory(property=property, number=f"T{number}")
    return InvoiceFactory(
        property=property,
        number=number,
        amount=amount,
        amount_paid=amount_paid,
        status=status,
        published_at=timezone.now(),
        **({"due_date": due_date} if due_date else {}),
        **kwargs,
    )


def add_unit_credit(**kwargs: Any) -> Any:
    """``payments.credits.add_credit`` as a service calls it: inside a ledger event (decision 0029);
    here the credit stands for money received at the bank."""
    from logis.ledger import posting as ledger
    from logis.ledger.models import AccountKind, EntryKind
    from logis.payments.credits import add_credit

    unit = kwargs["unit"]
    with ledger.event(
        property_id=unit.property_id, date=timezone.localdate(), kind=EntryKind.PAYMENT, source=("test", None)
    ) as ev:
        if kwargs.get("amount", 0) > 0:
            ev.add(AccountKind.BANK, kwargs["amount"])
        return add_credit(**kwargs)


def outside_quebec(property: Property) -> Property:
    """Move the property to Ontario: its documents then follow the reader's language alone. In Quebec an
    English reader gets French with English beside (s. 57, core/charter.py)."""
    property.province = "ON"
    property.save(update_fields=["province"])
    return property
