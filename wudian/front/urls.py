from django.urls import path

from wudian.front import views

app_name = "front"
urlpatterns = [
    path("", views.index, name="index"),
    path("home/", views.home_for_user, name="home_for_user"),
    path("desk/", views.desk, name="desk"),
    path("me/", views.me, name="me"),
    path("duties/", views.duties, name="duties"),
    path("c/<slug:code>/", views.compound_window, name="compound_window"),
    path("c/<slug:code>/poster.pdf", views.compound_poster, name="compound_poster"),
]
