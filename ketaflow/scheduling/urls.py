from django.urls import path

from ketaflow.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("book/", views.book, name="book"),
    path("book/hold/", views.hold, name="hold"),
    path("book/details/", views.details, name="details"),
    path("book/confirmed/", views.confirmed, name="confirmed"),
    path("appointments/manage/<str:token>/", views.manage, name="manage"),
    path("staff/schedule/", views.calendar, name="calendar"),
    path("staff/schedule/book/", views.phone_book, name="phone_book"),
    path(
        "staff/schedule/appointments/<uuid:appointment_uuid>/", views.appointment_detail, name="appointment"
    ),
    path("staff/inbox/", views.inbox, name="inbox"),
    path("staff/inbox/<uuid:appointment_uuid>/", views.inbox_update, name="inbox_update"),
    path(
        "staff/inbox/screenings/<uuid:screening_uuid>/",
        views.inbox_screening_update,
        name="inbox_screening_update",
    ),
]
