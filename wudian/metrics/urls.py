from django.urls import URLPattern, path

from wudian.metrics import export_views, views
from wudian.metrics.registry import DrillKind

app_name = "metrics"

urlpatterns: list[URLPattern] = [
    # The dashboard and the lists behind its figures.
    path("desk/dashboard/", views.dashboard, name="dashboard"),
    path("desk/dashboard/requests/", views.drill_requests, name="drill_requests"),
    path("desk/dashboard/outages/", views.drill_outages, name="drill_outages"),
    path("desk/dashboard/areas/", views.drill_areas, name="drill_areas"),
    # Exports: the figures and each list as .xlsx, the monthly report as PDF.
    path("desk/dashboard/export.xlsx", export_views.dashboard_xlsx, name="export_xlsx"),
    *(
        path(
            f"desk/dashboard/{kind.value}.xlsx",
            export_views.list_xlsx,
            {"kind": kind},
            name=f"{kind.value}_xlsx",
        )
        for kind in DrillKind
    ),
    path("desk/dashboard/report.pdf", export_views.report_pdf, name="report_pdf"),
]
