"""The site's URLs and views that fail, to see the error pages (tests only)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from wudian.urls import urlpatterns as site


def bad(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("the request is not what a browser sends")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal detail")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("internal detail")


urlpatterns = [
    path("fail/400/", bad),
    path("fail/403/", forbidden),
    path("fail/500/", broken),
    *site,
]
