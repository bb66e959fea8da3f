"""Outcomes work for the task worker (django-tasks): the send sweep and the escalation of urgent tasks."""

from __future__ import annotations

from django_tasks import task

from ketaflow.outcomes import services


@task()
def outcomes_send_due_task() -> dict[str, int]:
    """The whole sweep: expire, send links and check-ins, remind once, escalate urgent tasks."""
    return services.outcomes_send_due()


@task()
def urgent_tasks_escalate() -> int:
    """Escalate urgent tasks left unacknowledged past ``OUTCOMES_ESCALATE_AFTER_MINUTES`` to the manager."""
    return services.urgent_tasks_escalate()
