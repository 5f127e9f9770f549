from django.urls import URLPattern, path

from wudian.metrics import views

app_name = "metrics"

urlpatterns: list[URLPattern] = [
    path("desk/dashboard/", views.dashboard, name="dashboard"),
]
