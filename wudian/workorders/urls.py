from django.urls import path

from wudian.workorders import usage_views, views

app_name = "workorders"
urlpatterns = [
    path("me/requests/", views.my_list, name="my_list"),
    path("me/requests/new/", views.my_new, name="my_new"),
    path("me/requests/<int:pk>/", views.my_detail, name="my_detail"),
    path("me/requests/<int:pk>/<slug:action>/", views.my_action, name="my_action"),
    path("me/requests/<int:pk>/usage/<int:report_id>/", usage_views.my_usage, name="my_usage"),
    path(
        "me/requests/<int:pk>/usage/<int:report_id>.pdf",
        usage_views.my_usage_pdf,
        name="my_usage_pdf",
    ),
    path("requests/<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("desk/requests/", views.desk_list, name="desk_list"),
    path("desk/requests/new/", views.desk_new, name="desk_new"),
    path("desk/requests/counts/", views.desk_counts, name="desk_counts"),
    path("desk/requests/<int:pk>/", views.desk_detail, name="desk_detail"),
    path("desk/requests/<int:pk>/<slug:action>/", views.desk_action, name="desk_action"),
    path(
        "desk/requests/<int:pk>/usage/<int:report_id>/",
        usage_views.desk_usage,
        name="desk_usage",
    ),
    path(
        "desk/requests/<int:pk>/usage/<int:report_id>.pdf",
        usage_views.desk_usage_pdf,
        name="desk_usage_pdf",
    ),
    path(
        "desk/circle-messages/<int:pk>/request/",
        views.from_circle_message,
        name="from_circle_message",
    ),
]
