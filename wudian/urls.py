from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from wudian.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("wudian.front.urls")),
    path("", include("wudian.core.urls")),
    path("", include("wudian.grid.urls")),
    path("", include("wudian.accounts.urls")),
    path("", include("wudian.outages.urls")),
    path("", include("wudian.notify.urls")),
    path("", include("wudian.audit.urls")),
    path("", include("wudian.analytics.urls")),
    path("", include("wudian.workorders.urls")),
    path("", include("wudian.metrics.urls")),
    path("", include("wudian.joining.urls")),
    path("", include("wudian.knowledge.urls")),
    path("", include("wudian.circles.urls")),
    path("", include("wudian.civic.urls")),
    path("", include("wudian.fieldwork.urls")),
    path("", include("wudian.billing.urls")),
    path("open311/", include("wudian.workorders.open311_urls")),
    path("feeds/", include("wudian.outages.feed_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
