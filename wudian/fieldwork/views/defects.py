"""Pages of fieldwork: defects."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
