"""Pages of fieldwork: patrols."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
