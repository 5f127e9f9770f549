from django.urls import URLPattern

app_name = "outages"
urlpatterns: list[URLPattern] = []
