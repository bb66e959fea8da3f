from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "ketaflow.clinics"
    label = "clinics"
    default_auto_field = "django.db.models.BigAutoField"
