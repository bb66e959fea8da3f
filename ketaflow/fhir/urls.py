from django.urls import path

from ketaflow.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<uuid:patient_uuid>/$everything", views.patient_everything, name="patient_everything"),
]
