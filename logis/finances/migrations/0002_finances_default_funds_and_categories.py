"""Every existing property gets the three legal funds and the default charge categories."""

from django.db import migrations

from logis.finances.defaults import create_defaults


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Property = apps.get_model("properties", "Property")
    Fund = apps.get_model("finances", "Fund")
    ChargeCategory = apps.get_model("finances", "ChargeCategory")
    for property_id in Property.objects.values_list("pk", flat=True):
        create_defaults(property_id, Fund, ChargeCategory)


class Migration(migrations.Migration):
    dependencies = [("finances", "0001_finances_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
