"""The arrears list's pages: its imports with the upload form and the template, one import
(counts, the account numbers not in Wudian), and one household's arrears over the imports.
The list's pages are the business hall's and the administrators' (billing.policy); a
household's amounts are for those who remind it (billing.selectors, Purpose.REMIND)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from wudian.accounts.models import User
from wudian.billing.forms import ArrearsUploadForm
from wudian.billing.models import ArrearsImport
from wudian.billing.policy import arrears_check
from wudian.billing.selectors.arrears import (
    arrears_imports,
    arrears_kind_counts,
    household_arrears,
    household_reminded,
)
from wudian.billing.services.arrears import COLUMNS, arrears_import
from wudian.billing.tables import XLSX_TYPE, TableRefused, template_xlsx
from wudian.core.errors import REFUSED, refusal_text, status_of

IMPORT_PAGE_SIZE = 30


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _render_imports(
    request: HttpRequest,
    form: ArrearsUploadForm,
    *,
    refused: TableRefused | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    page = Paginator(arrears_imports(), IMPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "imports": list(page.object_list),
        "refused": refused,
        "refusal": refusal,
        "today": timezone.localdate(),
    }
    return render(request, "billing/arrears_imports.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def arrears_imports_page(request: HttpRequest) -> HttpResponse:
    """The imports of the arrears list, latest first, and the form to import a new one. A
    refused file answers 422 with every problem in a table; nothing is saved."""
    user = _user(request)
    if request.method == "GET":
        arrears_check(user, "view")
        return _render_imports(request, ArrearsUploadForm())
    arrears_check(user, "import")
    form = ArrearsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_imports(request, form, status=422)
    upload = form.cleaned_data["file"]
    try:
        run = arrears_import(upload, upload.name or "", as_of=form.cleaned_data["as_of"], by=user)
    except TableRefused as refused:
        return _render_imports(request, form, refused=refused, status=422)
    except REFUSED as error:
        return _render_imports(
            request, form, refusal=refusal_text(error, form), status=status_of(error)
        )
    return redirect("billing:arrears_import", pk=run.pk)


@login_required
@require_GET
def arrears_template(request: HttpRequest) -> HttpResponse:
    """An empty .xlsx with the list's headers."""
    arrears_check(_user(request), "view")
    response = HttpResponse(template_xlsx(COLUMNS), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="arrears-template.xlsx"'
    return response


@login_required
@require_GET
@never_cache
def arrears_import_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its households by kind and the account numbers that are not in Wudian (no
    household's amounts)."""
    arrears_check(_user(request), "view")
    run = get_object_or_404(ArrearsImport.objects.select_related("imported_by"), pk=pk)
    context = {"run": run, "counts": arrears_kind_counts(run)}
    return render(request, "billing/arrears_import.html", context)


@login_required
@require_GET
@never_cache
def household_arrears_page(request: HttpRequest, account_no: str) -> HttpResponse:
    """One household's lines over the imports, for those who remind it; outside: 404."""
    household = household_reminded(_user(request), account_no)
    context = {"household": household, "entries": household_arrears(household)}
    return render(request, "billing/household_arrears.html", context)


urlpatterns = [
    path("desk/arrears/", arrears_imports_page, name="arrears_imports"),
    path("desk/arrears/template.xlsx", arrears_template, name="arrears_template"),
    path("desk/arrears/imports/<int:pk>/", arrears_import_page, name="arrears_import"),
    path(
        "desk/households/<str:account_no>/arrears/",
        household_arrears_page,
        name="household_arrears",
    ),
]
