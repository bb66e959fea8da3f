from django.urls import path

from ketaflow.api import calendar_views

app_name = "calendar"

urlpatterns = [
    path(
        "appointments/<uuid:appointment_uuid>.ics",
        calendar_views.appointment_ics_download,
        name="appointment_ics",
    ),
    path("feed/", calendar_views.feed_settings, name="feed_settings"),
    path("feed/<str:token>.ics", calendar_views.feed, name="feed"),
]
