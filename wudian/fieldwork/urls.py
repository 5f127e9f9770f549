from wudian.fieldwork.views import defects, patrols, training

app_name = "fieldwork"
urlpatterns = [*training.urlpatterns, *patrols.urlpatterns, *defects.urlpatterns]
