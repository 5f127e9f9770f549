from django.urls import path

from wudian.core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(".well-known/security.txt", views.security_txt_view, name="security_txt"),
]
