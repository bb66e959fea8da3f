from django.urls import path

from ketaflow.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("panels/<slug:slug>/", views.panel, name="panel"),
    path("panels/<slug:slug>.csv", views.panel_csv, name="panel_csv"),
    path("durability/", views.durability, name="durability"),
    path("research-export/", views.research_export, name="research_export"),
]
