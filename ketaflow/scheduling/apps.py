from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "ketaflow.scheduling"
    label = "scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ketaflow.scheduling import signals

        signals.connect()
