from django.urls import path

from wudian.joining import views

app_name = "joining"
urlpatterns = [
    path("join/", views.join_start, name="join_start"),
    path("join/code/", views.join_code, name="join_code"),
    path("join/<str:token>/", views.join_link, name="join_link"),
    path("me/households/", views.my_households_page, name="my_households"),
    path("me/households/bind/", views.bind, name="bind"),
    path("me/households/apply/", views.apply, name="apply"),
    path("me/households/<int:household_id>/leave/", views.leave, name="leave"),
    path("me/households/applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("desk/joining/", views.desk_list, name="desk_list"),
    path(
        "desk/joining/<int:pk>/approve/",
        views.desk_decide,
        {"action": "approve"},
        name="desk_approve",
    ),
    path(
        "desk/joining/<int:pk>/reject/",
        views.desk_decide,
        {"action": "reject"},
        name="desk_reject",
    ),
]
