from django.urls import path

from wudian.grid import views

app_name = "grid"
urlpatterns = [
    path("c/<str:code>/", views.compound_window, name="compound_window"),
]
