from django.urls import URLPattern, URLResolver

from wudian.billing.views import arrears, bills, readings, reminders

app_name = "billing"
urlpatterns: list[URLPattern | URLResolver] = [
    *arrears.urlpatterns,
    *readings.urlpatterns,
    *bills.urlpatterns,
    *reminders.urlpatterns,
]
