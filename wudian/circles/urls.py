from django.urls import path

from wudian.circles import views

app_name = "circles"
urlpatterns = [
    path("circles/", views.circle_list, name="list"),
    path("circles/<int:pk>/", views.circle_detail, name="detail"),
    path("circles/<int:pk>/post/", views.post_new, name="post_new"),
    path("circles/<int:pk>/write/", views.message_new, name="message_new"),
    path("circles/<int:pk>/settings/", views.member_settings, name="settings"),
    path("circles/posts/<int:pk>/", views.post_detail, name="post"),
    path("circles/posts/<int:pk>/<slug:action>/", views.post_action, name="post_action"),
    path("circles/messages/<int:pk>/", views.message_detail, name="message"),
    path("circles/messages/<int:pk>/<slug:action>/", views.message_action, name="message_action"),
    path("desk/circles/reports/", views.report_queue, name="reports"),
    path("desk/circles/reports/<int:pk>/dismiss/", views.report_dismiss, name="report_dismiss"),
]
