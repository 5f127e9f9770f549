"""Open311 GeoReport v2 under /open311/: every resource ends in .xml or .json; any other
ending is answered 404 by the view, with the spec's error document."""

from django.urls import URLPattern, re_path

from wudian.workorders.open311 import views as open311

FORMAT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

app_name = "open311"
urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + FORMAT, open311.discovery, name="discovery"),
    re_path(r"^v2/services" + FORMAT, open311.service_list, name="services"),
    re_path(
        r"^v2/services/(?P<code>[-A-Za-z0-9_]+)" + FORMAT,
        open311.service_definition,
        name="service",
    ),
    re_path(r"^v2/requests" + FORMAT, open311.request_list, name="requests"),
    re_path(r"^v2/requests/(?P<pk>[^/.]+)" + FORMAT, open311.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/.]+)" + FORMAT, open311.token_detail, name="token"),
]
