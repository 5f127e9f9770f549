"""Pages for residents joining by themselves: the join link of a compound (/join/<token>/),
log in or register with a phone and a one-time code (/join/, /join/code/), binding and
leaving households and one's applications (/me/households/), and the staff's queue of
applications (/desk/joining/). Views parse, call one service and render; a refusal is shown
as wudian.core.errors maps it, a throttle as 429 with Retry-After."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.core.privacy import mask_phone
from wudian.core.throttle import Throttled, client_address, throttled_response
from wudian.grid.models import Compound
from wudian.joining import services
from wudian.joining.forms import ApplyForm, BindForm, CodeForm, PhoneForm, RejectForm
from wudian.joining.links import LinkExpired, LinkInvalid, join_link_compound
from wudian.joining.models import Application
from wudian.joining.policy import (
    APPLICATION_POLICY,
    application_parties,
    editable_compound_ids,
)
from wudian.joining.selectors import (
    application_of,
    application_to_decide,
    applications_of,
    applications_to_decide,
    compounds_to_apply_in,
    my_households,
)

FormT = TypeVar("FormT", bound=forms.Form)
SESSION_COMPOUND = "joining:compound"
SESSION_PHONE = "joining:phone"
BACKEND = "wudian.accounts.backends.WudianBackend"
DESK_PAGE_SIZE = 30


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _add_refusal(form: forms.Form, error: Exception) -> None:
    text = refusal_text(error, form)
    if text:
        form.add_error(None, text)


def _with_error(form: FormT, error: Throttled) -> FormT:
    form.add_error(None, str(error.message))
    return form


def _join_compound(request: HttpRequest) -> Compound | None:
    pk = request.session.get(SESSION_COMPOUND)
    if not isinstance(pk, int):
        return None
    return Compound.objects.filter(pk=pk).first()


# The join link ---------------------------------------------------------------------------


@require_GET
@never_cache
def join_link(request: HttpRequest, token: str) -> HttpResponse:
    """Where the window's QR code leads: the compound, then registration (or, for someone
    logged in, binding) with the compound chosen."""
    try:
        compound = join_link_compound(token)
    except LinkExpired as expired:
        context = {"expired": True, "compound": expired.compound}
        return render(request, "joining/link_refused.html", context, status=410)
    except LinkInvalid:
        return render(request, "joining/link_refused.html", {"expired": False}, status=400)
    request.session[SESSION_COMPOUND] = compound.pk
    if request.user.is_authenticated:
        return redirect("joining:my_households")
    return render(request, "joining/join_link.html", {"compound": compound, "form": PhoneForm()})


# Phone and code --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache
def join_start(request: HttpRequest) -> HttpResponse:
    """Log in or register with a mobile number: send a code."""
    if request.user.is_authenticated:
        return redirect("joining:my_households")
    compound = _join_compound(request)
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.code_send(phone=form.cleaned_data["phone"], client=client_address(request))
        except Throttled as error:
            form.add_error(None, str(error.message))
            response = render(
                request, "joining/join_start.html", {"form": form, "compound": compound}
            )
            return throttled_response(response, error)
        except REFUSED as error:
            _add_refusal(form, error)
            return render(
                request,
                "joining/join_start.html",
                {"form": form, "compound": compound},
                status=status_of(error),
            )
        request.session[SESSION_PHONE] = services.clean_phone(form.cleaned_data["phone"])
        return redirect("joining:join_code")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "joining/join_start.html", {"form": form, "compound": compound}, status=status
    )


@require_http_methods(["GET", "POST"])
@never_cache
def join_code(request: HttpRequest) -> HttpResponse:
    """Enter the code: logged in (the account is made on the first good code)."""
    if request.user.is_authenticated:
        return redirect("joining:my_households")
    phone = request.session.get(SESSION_PHONE)
    if not isinstance(phone, str):
        return redirect("joining:join_start")
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "masked_phone": mask_phone(phone),
        "phone": phone,
        "compound": _join_compound(request),
    }
    if request.method == "POST" and form.is_valid():
        try:
            result = services.code_verify(
                phone=phone, code=form.cleaned_data["code"], client=client_address(request)
            )
        except Throttled as error:
            form.add_error(None, str(error.message))
            return throttled_response(render(request, "joining/join_code.html", context), error)
        except REFUSED as error:
            _add_refusal(form, error)
            return render(request, "joining/join_code.html", context, status=status_of(error))
        compound_pk = request.session.get(SESSION_COMPOUND)
        login(request, result.user, backend=BACKEND)
        # login() rotates the session: what the join link chose is carried over.
        if compound_pk is not None:
            request.session[SESSION_COMPOUND] = compound_pk
        request.session.pop(SESSION_PHONE, None)
        if result.created:
            messages.success(request, _("Welcome! Your account is ready. Now link your home."))
        return redirect("joining:my_households")
    status = 422 if request.method == "POST" else 200
    return render(request, "joining/join_code.html", context, status=status)


# A resident's households ---------------------------------------------------------------


def _render_households(
    request: HttpRequest,
    *,
    bind_form: BindForm | None = None,
    apply_form: ApplyForm | None = None,
    status: int = 200,
    refusal: str = "",
    open_form: str = "",
) -> HttpResponse:
    user = _user(request)
    join_compound = _join_compound(request)
    compounds = compounds_to_apply_in(
        user, join_compound_id=join_compound.pk if join_compound else None
    )
    applications = list(applications_of(user)[:20])
    context = {
        "households": list(my_households(user)),
        "bind_form": bind_form or BindForm(),
        "apply_form": apply_form or ApplyForm(compounds=compounds),
        "compounds": compounds,
        "join_compound": join_compound,
        "applications": [
            (
                application,
                APPLICATION_POLICY.allows(
                    "withdraw", application, application_parties(user, application)
                ),
            )
            for application in applications
        ],
        "refusal": refusal,
        "open_form": open_form,
    }
    return render(request, "joining/my_households.html", context, status=status)


@login_required
@require_GET
@never_cache
def my_households_page(request: HttpRequest) -> HttpResponse:
    return _render_households(request)


@login_required
@require_POST
def bind(request: HttpRequest) -> HttpResponse:
    form = BindForm(request.POST)
    if not form.is_valid():
        return _render_households(request, bind_form=form, status=422, open_form="bind")
    try:
        membership = services.household_bind(
            user=_user(request),
            account_no=form.cleaned_data["account_no"],
            surname=form.cleaned_data["surname"],
            phone_last4=form.cleaned_data["phone_last4"],
            client=client_address(request),
        )
    except Throttled as error:
        return throttled_response(
            _render_households(request, bind_form=_with_error(form, error), open_form="bind"),
            error,
        )
    except REFUSED as error:
        _add_refusal(form, error)
        return _render_households(
            request, bind_form=form, status=status_of(error), open_form="bind"
        )
    messages.success(
        request,
        _("Account %(account_no)s is now linked to your login.")
        % {"account_no": membership.household.account_no},
    )
    return redirect("joining:my_households")


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    join_compound = _join_compound(request)
    compounds = compounds_to_apply_in(
        user, join_compound_id=join_compound.pk if join_compound else None
    )
    form = ApplyForm(request.POST, compounds=compounds)
    if not form.is_valid():
        return _render_households(request, apply_form=form, status=422, open_form="apply")
    try:
        services.application_file(
            user=user,
            compound=form.chosen_compound(),
            account_no=form.cleaned_data["account_no"],
            relation=form.cleaned_data["relation"],
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
        )
    except Throttled as error:
        return throttled_response(
            _render_households(request, apply_form=_with_error(form, error), open_form="apply"),
            error,
        )
    except REFUSED as error:
        _add_refusal(form, error)
        return _render_households(
            request, apply_form=form, status=status_of(error), open_form="apply"
        )
    messages.success(
        request,
        _("Your application was sent to the property office and the customer manager."),
    )
    return redirect("joining:my_households")


@login_required
@require_POST
def leave(request: HttpRequest, household_id: int) -> HttpResponse:
    household = services.household_leave(user=_user(request), household_id=household_id)
    messages.success(
        request,
        _("Account %(account_no)s is no longer linked to your login.")
        % {"account_no": household.account_no},
    )
    return redirect("joining:my_households")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_of(_user(request), pk)
    try:
        services.application_withdraw(application=application, by=_user(request))
    except REFUSED as error:
        return _render_households(request, status=status_of(error), refusal=refusal_text(error))
    messages.success(request, _("Your application was withdrawn."))
    return redirect("joining:my_households")


# The staff's queue -------------------------------------------------------------------------


def _render_desk(
    request: HttpRequest,
    *,
    status: int = 200,
    refusal: str = "",
    failed: Application | None = None,
    reject_form: RejectForm | None = None,
) -> HttpResponse:
    user = _user(request)
    tab = request.GET.get("tab", "pending")
    queue = applications_to_decide(user)
    if tab == "decided":
        queue = queue.exclude(state=Application.State.PENDING).order_by("-decided_at", "-pk")
    else:
        tab = "pending"
        queue = queue.filter(state=Application.State.PENDING).order_by("created_at", "pk")
    page = Paginator(queue, DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    editable = editable_compound_ids(user)
    rows = [
        (
            application,
            APPLICATION_POLICY.allowed(
                application,
                application_parties(user, application, editable=editable),
                among=("approve", "reject"),
            ),
            reject_form
            if reject_form is not None and failed is not None and failed.pk == application.pk
            else RejectForm(auto_id=f"reject-{application.pk}-%s"),
        )
        for application in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "tab": tab,
        "filter_query": f"tab={tab}",
        "refusal": refusal,
        "failed": failed,
        "reject_form": reject_form,
        "pending_count": applications_to_decide(user)
        .filter(state=Application.State.PENDING)
        .count(),
    }
    return render(request, "joining/desk_list.html", context, status=status)


@login_required
@require_GET
@never_cache
def desk_list(request: HttpRequest) -> HttpResponse:
    return _render_desk(request)


@login_required
@require_POST
def desk_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    application = application_to_decide(user, pk)
    form = None
    if action == "reject":
        form = RejectForm(request.POST)
        form.auto_id = f"reject-{application.pk}-%s"
        if not form.is_valid():
            return _render_desk(request, status=422, failed=application, reject_form=form)
    try:
        if action == "approve":
            services.application_approve(application=application, by=user)
            messages.success(
                request,
                _("Approved: %(name)s now belongs to account %(account_no)s.")
                % {"name": application.name, "account_no": application.account_no},
            )
        else:
            assert form is not None
            services.application_reject(
                application=application,
                by=user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, _("Rejected; %(name)s is told why.") % {"name": application.name}
            )
    except REFUSED as error:
        refusal = refusal_text(error, form)
        return _render_desk(
            request,
            status=status_of(error),
            refusal=refusal,
            failed=application,
            reject_form=form,
        )
    return redirect(reverse("joining:desk_list"))
