from django.urls import path

from wudian.outages import views

app_name = "outages"
urlpatterns = [
    path("desk/outages/", views.outage_list, name="list"),
    path("desk/outages/new/", views.outage_new, name="new"),
    path("desk/outages/preview/", views.outage_preview, name="preview"),
    path("desk/outages/notice-check/", views.outage_notice_check, name="notice_check"),
    path("desk/outages/<int:pk>/", views.outage_detail, name="detail"),
    path("desk/outages/<int:pk>/<slug:action>/", views.outage_action, name="action"),
    path("me/outages/<int:pk>/acknowledge/", views.outage_acknowledge, name="acknowledge"),
]
