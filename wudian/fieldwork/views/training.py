"""Pages of fieldwork: training."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
