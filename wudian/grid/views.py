from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from wudian.grid.models import Compound


def compound_window(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_object_or_404(Compound, code=code)
    return render(request, "grid/compound_window.html", {"compound": compound})
