from django.urls import path

from ketaflow.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("<uuid:patient_uuid>/", views.patient_chart, name="chart"),
]
