from django.urls import path

from ketaflow.public import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
]
