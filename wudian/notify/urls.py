from django.urls import path

from wudian.notify import views

app_name = "notify"
urlpatterns = [
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("desk/calls/", views.calls, name="calls"),
    path("desk/calls/<int:pk>/done/", views.call_done, name="call_done"),
    path("desk/notifications/failed/", views.failed, name="failed"),
    path("desk/notifications/failed/retry/", views.failed_retry_all, name="failed_retry_all"),
    path("desk/notifications/failed/<int:pk>/retry/", views.failed_retry, name="failed_retry"),
]
