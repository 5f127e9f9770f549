"""The readings imports' page: the history with the upload form, for those who import
(billing.policy). A refused file answers 422 with every problem in a table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wudian.accounts.models import User
from wudian.billing.forms import ReadingsUploadForm
from wudian.billing.policy import check_may_import_readings
from wudian.billing.selectors.readings import reading_imports
from wudian.billing.services.readings import readings_import
from wudian.billing.tables import TableRefused
from wudian.core.errors import REFUSED, refusal_text, status_of

PAGE_SIZE = 30


def _render(
    request: HttpRequest,
    form: ReadingsUploadForm,
    *,
    refused: TableRefused | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    page = Paginator(reading_imports(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "imports": list(page.object_list),
        "refused": refused,
        "refusal": refusal,
    }
    return render(request, "billing/readings_imports.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def readings_imports_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    check_may_import_readings(user)
    if request.method == "GET":
        return _render(request, ReadingsUploadForm())
    form = ReadingsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, form, status=422)
    upload = form.cleaned_data["file"]
    try:
        readings_import(upload, upload.name or "", by=user)
    except TableRefused as refused:
        return _render(request, form, refused=refused, status=422)
    except REFUSED as error:
        return _render(request, form, refusal=refusal_text(error, form), status=status_of(error))
    return redirect("billing:readings_imports")


urlpatterns = [
    path("desk/readings/", readings_imports_page, name="readings_imports"),
]
