from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.audit import selectors
from wudian.audit.kinds import Kind
from wudian.core.errors import NotAllowed

PAGE_SIZE = 50


class EntryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("All kinds")), *Kind.choices],
        required=False,
    )
    who = forms.CharField(
        label=gettext_lazy("Person"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("username or name")}),
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data


@login_required
@require_GET
@never_cache
def entries(request: HttpRequest) -> HttpResponse:
    """The audit log: who read or changed special-group status, roles, scope assignments and
    Open311 keys. Supervisors see their districts' entries, administrators all of them."""
    user: User = request.user  # type: ignore[assignment]
    if not selectors.may_see_audit(user):
        raise NotAllowed(_("Only supervisors and administrators may read the audit log."))
    filters = EntryFilterForm(request.GET or None)
    visible = selectors.entries_visible_to(user)
    status = 200
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
            visible = selectors.entries_filtered(
                visible,
                kind=data["kind"],
                who=data["who"].strip(),
                since=data["since"],
                until=data["until"],
            )
        else:
            visible = visible.none()
            status = 422
    page = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "rows": selectors.entry_rows(list(page.object_list)),
        "filter_query": query.urlencode(),
    }
    return render(request, "audit/entries.html", context, status=status)
