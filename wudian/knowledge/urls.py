from django.urls import path

from wudian.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("knowledge/", views.article_list, name="list"),
    path("knowledge/<int:pk>/", views.article_detail, name="detail"),
    path("knowledge/<int:pk>/useful/", views.article_useful, name="useful"),
    path("knowledge/<int:pk>/images/<int:image_id>/", views.article_image, name="image"),
    path("desk/knowledge/", views.desk_list, name="desk_list"),
    path("desk/knowledge/new/", views.desk_new, name="desk_new"),
    path("desk/knowledge/<int:pk>/", views.desk_detail, name="desk_detail"),
    path("desk/knowledge/<int:pk>/images/", views.desk_images, name="desk_images"),
    path(
        "desk/knowledge/<int:pk>/images/<int:image_id>/remove/",
        views.desk_image_remove,
        name="desk_image_remove",
    ),
    path("desk/knowledge/<int:pk>/<slug:action>/", views.desk_action, name="desk_action"),
    path("desk/knowledge/reminders/new/", views.reminder_new, name="reminder_new"),
    path("desk/knowledge/reminders/<int:pk>/", views.reminder_detail, name="reminder_detail"),
    path(
        "desk/knowledge/reminders/<int:pk>/<slug:action>/",
        views.reminder_action,
        name="reminder_action",
    ),
]
