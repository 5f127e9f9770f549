from django.urls import path

from wudian.core import views

app_name = "core"
urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("home/", views.home_for_user, name="home_for_user"),
    path("desk/", views.desk, name="desk"),
    path("me/", views.me, name="me"),
    path("duties/", views.duties, name="duties"),
]
