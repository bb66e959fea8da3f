from django.contrib import admin
from django.urls import include, path

from ketaflow.api.api import api

urlpatterns = [
    path("", include("ketaflow.public.urls")),
    path("", include("ketaflow.core.urls")),
    path("", include("ketaflow.scheduling.urls")),
    path("accounts/", include("ketaflow.accounts.urls")),
    path("clinic/", include("ketaflow.clinics.urls")),
    path("patients/", include("ketaflow.patients.urls")),
    path("intake/", include("ketaflow.intake.urls")),
    path("stock/", include("ketaflow.ledger.urls")),
    path("treatment/", include("ketaflow.treatment.urls")),
    path("outcomes/", include("ketaflow.outcomes.urls")),
    path("analytics/", include("ketaflow.analytics.urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include("ketaflow.fhir.urls")),
    path("calendar/", include("ketaflow.api.calendar_urls")),
    path("django-admin/", admin.site.urls),
]
