"""Pages of fieldwork: defects (消缺)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.fieldwork.selectors import defects as selectors


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
@never_cache
def defect_list(request: HttpRequest) -> HttpResponse:
    defects = selectors.defect_list(_user(request), selectors.DefectFilters())[:50]
    return render(request, "fieldwork/defects/list.html", {"defects": defects})


@login_required
@require_GET
@never_cache
def defect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    defect = selectors.defect_of(_user(request), pk)
    return render(request, "fieldwork/defects/detail.html", {"defect": defect})


urlpatterns: list[URLPattern] = [
    path("defects/", defect_list, name="defect_list"),
    path("defects/<int:pk>/", defect_detail, name="defect_detail"),
]
