from django.urls import URLPattern, path

from wudian.metrics import views

app_name = "metrics"

urlpatterns: list[URLPattern] = [
    # The dashboard and the lists behind its figures.
    path("desk/dashboard/", views.dashboard, name="dashboard"),
    path("desk/dashboard/requests/", views.drill_requests, name="drill_requests"),
    path("desk/dashboard/outages/", views.drill_outages, name="drill_outages"),
    path("desk/dashboard/areas/", views.drill_areas, name="drill_areas"),
]
