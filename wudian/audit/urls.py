from django.urls import path

from wudian.audit import views

app_name = "audit"

urlpatterns = [
    path("desk/audit/", views.entries, name="entries"),
]
