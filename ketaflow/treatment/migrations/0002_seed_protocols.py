"""Default protocols and PRN formulary are clinic configuration: present on a fresh install."""

from django.db import migrations


def seed(apps, schema_editor):
    from ketaflow.treatment.seeds import seed_protocols

    seed_protocols(apps.get_model("treatment", "Protocol"), apps.get_model("treatment", "PrnMedicine"))


class Migration(migrations.Migration):
    dependencies = [("treatment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
