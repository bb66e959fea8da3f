from django.urls import path, re_path

from ketaflow.public import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("ketamine/", views.page_index, name="page_index"),
    path("ketamine/<slug:slug>/", views.page_detail, name="page"),
    path("faq/", views.faq, name="faq"),
    path("locations/", views.locations, name="locations"),
    path("screening/", views.screening_start, name="screening"),
    path("screening/result/", views.screening_result, name="screening_result"),
    re_path(r"^screening/(?P<path>depression|pain)/$", views.screening_questions, name="screening_questions"),
    path("staff/content/", views.content_list, name="content_list"),
    path("staff/content/preview/", views.content_preview, name="content_preview"),
    path("staff/content/pages/new/", views.page_edit, name="page_new"),
    path("staff/content/pages/<uuid:page_uuid>/", views.page_edit, name="page_edit"),
    path("staff/content/faq/new/", views.faq_edit, name="faq_new"),
    path("staff/content/faq/<uuid:faq_uuid>/", views.faq_edit, name="faq_edit"),
]
