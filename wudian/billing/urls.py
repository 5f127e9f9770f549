from django.urls import URLPattern, URLResolver

from wudian.billing.views import arrears

app_name = "billing"
urlpatterns: list[URLPattern | URLResolver] = [*arrears.urlpatterns]
