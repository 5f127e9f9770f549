from django.urls import path

from wudian.civic import views

app_name = "civic"
urlpatterns = [
    path("desk/visits/", views.visit_list, name="visit_list"),
    path("desk/visits/new/", views.visit_new, name="visit_new"),
    path("desk/visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("desk/appeals/<int:pk>/<slug:action>/", views.appeal_action, name="appeal_action"),
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/<slug:action>/", views.activity_action, name="activity_action"),
]
