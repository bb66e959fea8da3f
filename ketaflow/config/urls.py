from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("ketaflow.core.urls")),
    path("accounts/", include("ketaflow.accounts.urls")),
    path("clinic/", include("ketaflow.clinics.urls")),
    path("patients/", include("ketaflow.patients.urls")),
    path("django-admin/", admin.site.urls),
]
