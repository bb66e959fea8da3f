from django.urls import path

from ketaflow.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    # Unnamed on purpose: the shared URL matrix counts only 403/404/login redirects as denials, and FHIR
    # answers an anonymous caller 401. Its persona × token matrix is in ketaflow/fhir/tests/test_export.py.
    path("Patient/<uuid:patient_uuid>/$everything", views.patient_everything),
]
