from django.urls import path

from wudian.grid import views

app_name = "grid"
urlpatterns = [
    path("desk/compounds/<slug:code>/", views.compound_households, name="compound_households"),
]
