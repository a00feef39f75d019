"""Email confirmation becomes mandatory at sign-in (allauth's ACCOUNT_EMAIL_VERIFICATION): the
accounts that existed before were created by an administrator or from an invitation link sent to
their address, so their address counts as confirmed (allauth's EmailAddress, verified and primary)."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user.pk, email=user.email.lower(), verified=True, primary=True)
            for user in User.objects.exclude(email="").order_by("pk")
            if user.pk not in known
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_onboarding_organizations_and_staff_invitations"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
