from django.urls import path

from wudian.notify import views

app_name = "notify"
urlpatterns = [
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("desk/calls/", views.calls, name="calls"),
    path("desk/calls/<int:pk>/done/", views.call_done, name="call_done"),
    path("desk/notifications/failed/", views.failed, name="failed"),
    # Debug mode only (404 otherwise): see views.dev_gateway.
    path("dev/gateway/", views.dev_gateway, name="dev_gateway"),
    path("dev/gateway/<str:channel>/", views.dev_gateway_receive, name="dev_gateway_receive"),
    path(
        "dev/gateway/<str:channel>/<slug:name>/",
        views.dev_gateway_receive,
        name="dev_gateway_receive_circle",
    ),
    path("desk/notifications/failed/retry/", views.failed_retry_all, name="failed_retry_all"),
    path("desk/notifications/failed/<int:pk>/retry/", views.failed_retry, name="failed_retry"),
]
