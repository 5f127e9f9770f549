from django.urls import URLPattern, URLResolver

from wudian.billing.views import bills, readings

app_name = "billing"
urlpatterns: list[URLPattern | URLResolver] = [*readings.urlpatterns, *bills.urlpatterns]
