"""Measurement workflow URLs: the patient's links (public, tokenised) and the staff Follow-up worklist."""

from django.urls import path

from ketaflow.outcomes import views_workflow as views

urlpatterns: list = [
    path("m/<str:token>/", views.measure_link, name="measure_link"),
    path("check-in/<str:token>/", views.check_in_link, name="check_in_link"),
    path("follow-up/", views.worklist, name="worklist"),
    path("follow-up/check-ins/<uuid:check_in_uuid>/review/", views.check_in_review, name="check_in_review"),
    path("follow-up/tasks/<uuid:task_uuid>/<str:action>/", views.task_action, name="task_action"),
    path("follow-up/measures/<uuid:request_uuid>/", views.clinician_measure, name="clinician_measure"),
]
