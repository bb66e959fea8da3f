from django.urls import path

from ketaflow.treatment import views

app_name = "treatment"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("protocols/", views.protocols, name="protocols"),
    path("rems/", views.rems_tracker, name="rems"),
    path("patients/<uuid:patient_uuid>/courses/new/", views.course_new, name="course_new"),
    path("courses/<uuid:course_uuid>/", views.course_detail, name="course"),
    path("sessions/<uuid:session_uuid>/", views.session_detail, name="session"),
    path("sessions/<uuid:session_uuid>/move/", views.session_move, name="session_move"),
    path("sessions/<uuid:session_uuid>/chart.svg", views.session_chart, name="session_chart"),
    path("sessions/<uuid:session_uuid>/note.pdf", views.session_pdf, name="session_pdf"),
    path("sessions/<uuid:session_uuid>/<slug:action>/", views.session_action, name="session_action"),
]
