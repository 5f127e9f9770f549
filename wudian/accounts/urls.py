from django.contrib.auth import views as auth_views
from django.urls import path

from wudian.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    # Django 5 logs out on POST only; a GET is answered with 405.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("people/<int:pk>/photo/", views.photo, name="photo"),
]
