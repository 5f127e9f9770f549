"""Pages of fieldwork: patrols."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from wudian.fieldwork.policy.patrols import patrol_actions
from wudian.fieldwork.selectors.patrols import patrol_for


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = patrol_for(request.user, pk)  # type: ignore[arg-type]
    actions = patrol_actions(request.user, patrol)  # type: ignore[arg-type]
    return render(request, "fieldwork/patrols/detail.html", {"patrol": patrol, "actions": actions})


urlpatterns: list[URLPattern] = [
    path("patrols/<int:pk>/", patrol_detail, name="patrol_detail"),
]
