from wudian.billing.views import reminders

app_name = "billing"
urlpatterns = [*reminders.urlpatterns]
