from django.urls import URLPattern, path

from wudian.metrics import export_views, views

app_name = "metrics"

urlpatterns: list[URLPattern] = [
    path("desk/dashboard/", views.dashboard, name="dashboard"),
    path("desk/dashboard/export.xlsx", export_views.dashboard_xlsx, name="export_xlsx"),
    path("desk/dashboard/requests.xlsx", export_views.requests_xlsx, name="requests_xlsx"),
    path("desk/dashboard/outages.xlsx", export_views.outages_xlsx, name="outages_xlsx"),
    path("desk/dashboard/areas.xlsx", export_views.areas_xlsx, name="areas_xlsx"),
    path("desk/dashboard/report.pdf", export_views.report_pdf, name="report_pdf"),
]
