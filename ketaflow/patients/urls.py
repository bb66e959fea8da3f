from django.urls import path

from ketaflow.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("<uuid:patient_uuid>/", views.patient_chart, name="chart"),
    path("<uuid:patient_uuid>/edit/", views.patient_edit, name="edit"),
    path("<uuid:patient_uuid>/measurements/new/", views.measurement_add, name="measurement_add"),
    path("<uuid:patient_uuid>/allergies/new/", views.allergy_add, name="allergy_add"),
    path("<uuid:patient_uuid>/medications/new/", views.medication_add, name="medication_add"),
    path(
        "<uuid:patient_uuid>/medications/<uuid:record_uuid>/stop/",
        views.medication_stop,
        name="medication_stop",
    ),
    path("<uuid:patient_uuid>/diagnoses/new/", views.diagnosis_add, name="diagnosis_add"),
    path("<uuid:patient_uuid>/documents/new/", views.document_upload, name="document_upload"),
    path(
        "<uuid:patient_uuid>/documents/<uuid:record_uuid>/", views.document_download, name="document_download"
    ),
    path(
        "<uuid:patient_uuid>/<slug:kind>/<uuid:record_uuid>/entered-in-error/",
        views.record_error,
        name="record_error",
    ),
]
