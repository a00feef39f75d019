"""Every property that existed before organizations joins one: an organization of its own (a
syndicate, named after it), whose administrators are the property's administrators."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Property = apps.get_model("properties", "Property")
    Organization = apps.get_model("accounts", "Organization")
    OrganizationMembership = apps.get_model("accounts", "OrganizationMembership")
    Membership = apps.get_model("accounts", "Membership")
    for prop in Property.objects.filter(organization__isnull=True).order_by("pk"):
        organization = Organization.objects.create(name=prop.name, kind="syndicate")
        prop.organization = organization
        prop.save(update_fields=["organization"])
        for user_id in Membership.objects.filter(property=prop, role="admin").values_list(
            "user_id", flat=True
        ):
            OrganizationMembership.objects.get_or_create(
                user_id=user_id, organization=organization, defaults={"role": "admin"}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("properties", "0004_onboarding_property_setup"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
