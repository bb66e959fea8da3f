from django.urls import path

from ketaflow.core import views

app_name = "core"
urlpatterns = [
    path("staff/", views.dashboard, name="dashboard"),
    path("staff/audit/", views.audit_log, name="audit_log"),
    path("portal/", views.portal, name="portal"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
