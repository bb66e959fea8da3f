from django.db import migrations

TYPES = [
    ("new-patient-consultation", "New-patient consultation", "in_person"),
    ("telehealth-consultation", "Telehealth consultation", "telehealth"),
]


def seed(apps, schema_editor):
    ConsultationType = apps.get_model("scheduling", "ConsultationType")
    for slug, name, mode in TYPES:
        ConsultationType.objects.get_or_create(
            slug=slug, defaults={"name": name, "mode": mode, "duration_minutes": 30, "buffer_after_minutes": 10}
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
