from django.urls import path

from wudian.analytics import views

app_name = "analytics"
urlpatterns = [
    path("desk/lineloss/", views.lineloss_overview, name="lineloss"),
    path(
        "desk/lineloss/<slug:code>/",
        views.lineloss_station_area,
        name="lineloss_station_area",
    ),
    path("desk/lineloss/<slug:code>/check/", views.lineloss_check, name="lineloss_check"),
]
