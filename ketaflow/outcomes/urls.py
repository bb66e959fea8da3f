"""Outcomes URLs: the measurement workflow (links, check-ins, worklists) and progress (trajectories, boosters)."""

from ketaflow.outcomes import urls_progress, urls_workflow

app_name = "outcomes"

urlpatterns = [*urls_workflow.urlpatterns, *urls_progress.urlpatterns]
