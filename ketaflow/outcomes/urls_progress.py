"""Progress URLs: a patient's trajectories, the progress report PDF and the booster decision page."""

from django.urls import path

from ketaflow.outcomes import views_progress

urlpatterns = [
    path("patients/<uuid:patient_uuid>/progress/", views_progress.progress, name="progress"),
    path("patients/<uuid:patient_uuid>/progress.pdf", views_progress.progress_pdf, name="progress_pdf"),
    path("boosters/<uuid:review_uuid>/", views_progress.booster_review, name="booster_review"),
]
