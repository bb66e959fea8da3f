import importlib.util

from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketaflow.outcomes"
    label = "outcomes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ketaflow.outcomes import signals

        signals.connect()
        # Progress (trajectories, boosters) registers its own hooks when that module is present.
        if importlib.util.find_spec("ketaflow.outcomes.signals_progress") is not None:
            importlib.import_module("ketaflow.outcomes.signals_progress")
