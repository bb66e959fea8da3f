from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "ketaflow.treatment"
    label = "treatment"
    default_auto_field = "django.db.models.BigAutoField"
