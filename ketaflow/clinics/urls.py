from django.urls import path

from ketaflow.clinics import views

app_name = "clinics"
urlpatterns = [
    path("settings/", views.settings_index, name="settings"),
    path("settings/<uuid:location_uuid>/", views.location_edit, name="location_edit"),
    path("settings/<uuid:location_uuid>/<str:kind>/new/", views.child_edit, name="child_new"),
    path("settings/<uuid:location_uuid>/<str:kind>/<uuid:item_uuid>/", views.child_edit, name="child_edit"),
    path("switch-location/", views.switch_location, name="switch_location"),
]
