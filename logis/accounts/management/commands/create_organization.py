"""``manage.py create_organization``: an organization and its first administrator, where open sign-up
is off (production). The administrator then signs in and creates the properties (« Mes propriétés »)."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from logis.accounts.models import OrganizationKind, User
from logis.accounts.organizations import create_organization
from logis.core.errors import ValidationError


class Command(BaseCommand):
    help = "Create an organization (syndicate or management firm) and its first administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The organization's name.")
        parser.add_argument("--kind", choices=OrganizationKind.values, default=OrganizationKind.SYNDICATE)
        parser.add_argument("--email", required=True, help="The first administrator's email address.")
        parser.add_argument("--language", choices=["fr", "en"], default="fr")
        parser.add_argument(
            "--password",
            help="Password of a new account (asked for when omitted; ignored for an existing account).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except DjangoValidationError as exc:
            raise CommandError(f"Not a valid email address: {email}") from exc
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                password = options["password"] or getpass.getpass(f"Password for {email}: ")
                user = User(email=email, language=options["language"])
                try:
                    password_validation.validate_password(password, user)
                except DjangoValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
                user.set_password(password)
                user.save()  # recorded with a confirmed address (logis/accounts/signals.py)
                self.stdout.write(f"Created the account {email}.")
            try:
                organization = create_organization(actor=user, name=options["name"], kind=options["kind"])
            except ValidationError as exc:
                raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Organization #{organization.pk} « {organization.name} » created; "
                f"{email} is its administrator."
            )
        )
