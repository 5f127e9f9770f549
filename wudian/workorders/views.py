"""Pages for resident requests: a resident's list, the report form and the request page with
the steps that close the loop (/me/requests/…); the staff workbench, requests typed in from a
phone call or a visit and the request page with its actions (/desk/requests/…); and the photo
view that serves a request's photos to those who may see it. Who may do what in which state is
policy.py (the buttons come from it), the rules are in services; these views parse, call and
render, and show a refusal the way wudian.core.errors maps it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import Department, User
from wudian.audit.services import special_group_reads_record
from wudian.billing.services.usage import UsageAnalysis
from wudian.circles.policy import MESSAGE_POLICY, CircleParties
from wudian.circles.selectors import households_of_author
from wudian.circles.selectors import message_for as circle_message_for
from wudian.core.errors import REFUSED, messages_of, refusal_text, status_of
from wudian.core.privacy import mask_name, mask_phone
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, reaches_compound
from wudian.grid.selectors import household_views_for
from wudian.workorders import services
from wudian.workorders.forms import (
    STAFF_CHANNELS,
    ActionForm,
    ArriveForm,
    BulkTransferForm,
    CircleRequestForm,
    CommentForm,
    EmptyForm,
    EscalateForm,
    MeterTestForm,
    OptionalNoteForm,
    RateForm,
    ReasonForm,
    ReplyForm,
    ResidentCancelForm,
    ResidentRequestForm,
    ResolveForm,
    StaffRequestForm,
    TransferForm,
    UsageForm,
    WaitForm,
    WorkbenchFilterForm,
    category_label,
    grouped_categories,
)
from wudian.workorders.models import Category, Channel, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from wudian.workorders.policy import DESK_ACTIONS as DESK_STEPS
from wudian.workorders.policy import RESIDENT_ACTIONS as RESIDENT_STEPS
from wudian.workorders.policy import actions_for, is_requester, usage_actions_for
from wudian.workorders.selectors import (
    Viewer,
    categories_open_to,
    count_up_to,
    meter_tests_of,
    priority_households,
    requests_of_home,
    timeline_of,
    usage_reports_of,
    workbench_tabs,
    workorder_compounds_of,
    workorder_for,
    workorder_rows,
    workorders_visible_to,
)
from wudian.workorders.services.clocks import DONE_FIELDS

MY_PAGE_SIZE = 20
DESK_PAGE_SIZE = 25
# The workbench counts and pages through at most this many requests per list; past it, the
# count reads "1000+" and the filters narrow the list.
DESK_COUNT_CAP = 1000

Status = WorkOrder.Status


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if user.is_resident_only:
        raise PermissionDenied(_("This page is for staff."))
    return user


RISK_TOPICS: dict[str, Any] = {
    "complaint": gettext_lazy("complaint"),
    "outage": gettext_lazy("outage"),
    "payment": gettext_lazy("payment"),
    "handover": gettext_lazy("power handover of the compound"),
    "media": gettext_lazy("media"),
}


@dataclass(frozen=True)
class Clock:
    label: str
    due: datetime.datetime | None
    done: datetime.datetime | None
    late: bool | None


def clocks_of(workorder: WorkOrder) -> list[Clock]:
    labels = {
        "accept": _("Accept"),
        "arrive": _("Arrive on site"),
        "resolve": _("Resolve"),
    }
    clocks = []
    for clock, label in labels.items():
        due = getattr(workorder, f"{clock}_due")
        done = getattr(workorder, DONE_FIELDS[clock])
        if due is None and done is None:
            continue
        late = getattr(workorder, f"{clock}_late")
        clocks.append(Clock(label=label, due=due, done=done, late=late))
    return clocks


def _photos(workorder: WorkOrder) -> list[WorkOrderPhoto]:
    return list(workorder.photos.only("pk", "workorder_id", "content_type", "size"))


# The resident's side ---------------------------------------------------------------------------


NEXT_STEPS: dict[str, Any] = {
    Status.SUBMITTED: gettext_lazy("Waiting to be accepted."),
    Status.ACCEPTED: gettext_lazy("Accepted: the person handling it will contact you."),
    Status.ARRIVED: gettext_lazy("Someone is on site working on it."),
    Status.WAITING: gettext_lazy("Your answer is needed: please reply."),
    Status.RESOLVED: gettext_lazy("Resolved: please confirm and rate it."),
    Status.CANCELLED: gettext_lazy("Cancelled."),
}


def resident_next_step(workorder: WorkOrder) -> str:
    if workorder.status == Status.CLOSED:
        if workorder.rating:
            return _("Closed. Thank you for your rating.")
        return _("Closed: you can still rate it.")
    return str(NEXT_STEPS.get(workorder.status, ""))


@login_required
@require_GET
@never_cache
def my_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(workorder_rows(requests_of_home(user)), MY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": [(workorder, resident_next_step(workorder)) for workorder in page.object_list],
    }
    return render(request, "workorders/my_list.html", context)


def _render_my_new(
    request: HttpRequest, form: ResidentRequestForm, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "groups": grouped_categories(categories_open_to(form.user)),
        "chosen": form["category"].value() or "",
        "households": form.households,
        "photos_lost": form.is_bound and bool(request.FILES) and status != 200,
        "refusal": refusal,
        "max_photos": services.MAX_PHOTOS,
        "max_description": services.MAX_DESCRIPTION,
    }
    return render(request, "workorders/my_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def my_new(request: HttpRequest) -> HttpResponse:
    """Report a fault, ask a question or apply for a service (报事报修), with photos."""
    user = _user(request)
    if request.method != "POST":
        return _render_my_new(request, ResidentRequestForm(user=user))
    form = ResidentRequestForm(request.POST, request.FILES, user=user)
    if not form.is_valid():
        return _render_my_new(request, form, status=422)
    data = form.cleaned_data
    try:
        workorder = services.workorder_create(
            category=data["category"],
            description=data["description"],
            channel=Channel.WEB,
            by=user,
            household=data["household"],
            photos=data["photos"],
        )
    except REFUSED as error:
        refusal = refusal_text(error, form, aliases={"household_id": "household"})
        return _render_my_new(request, form, refusal=refusal, status=status_of(error))
    messages.success(
        request,
        _("Your request No. %(id)s has been received. You can follow it on this page.")
        % {"id": workorder.pk},
    )
    return redirect("workorders:my_detail", pk=workorder.pk)


ActionCall = Callable[[WorkOrder, User, dict[str, Any]], Any]


@dataclass(frozen=True)
class Action:
    form: type[ActionForm]
    call: ActionCall
    done: Any


MY_ACTIONS: dict[str, Action] = {
    "confirm": Action(
        EmptyForm,
        lambda wo, by, data: services.workorder_confirm(workorder=wo, by=by),
        gettext_lazy("Thank you: you confirmed that it is settled."),
    ),
    "rate": Action(
        RateForm,
        lambda wo, by, data: services.workorder_rate(
            workorder=wo,
            by=by,
            rating=data["rating"],
            comment=data["comment"],
            visited_hall=data["visited_hall"],
        ),
        gettext_lazy("Thank you for your rating."),
    ),
    "reopen": Action(
        ReasonForm,
        lambda wo, by, data: services.workorder_reopen(workorder=wo, by=by, reason=data["reason"]),
        gettext_lazy("The request is open again and back with the person who handled it."),
    ),
    "reply": Action(
        ReplyForm,
        lambda wo, by, data: services.workorder_resume(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("Your answer has been sent."),
    ),
    "cancel": Action(
        ResidentCancelForm,
        lambda wo, by, data: services.workorder_cancel(workorder=wo, by=by, reason=data["reason"]),
        gettext_lazy("The request is withdrawn."),
    ),
    "comment": Action(
        CommentForm,
        lambda wo, by, data: services.workorder_comment(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("Your message has been added."),
    ),
}


# The resident's page names the policy's "resume" a reply.
RESIDENT_PAGE_NAMES = {"resume": "reply"}


def resident_actions(user: User, workorder: WorkOrder) -> list[str]:
    """The steps the page offers the resident: what the policy allows them now."""
    return [
        RESIDENT_PAGE_NAMES.get(name, name)
        for name in actions_for(user, workorder, among=RESIDENT_STEPS)
    ]


def _resident_workorder(user: User, pk: int) -> WorkOrder:
    workorder = workorder_for(user, pk)
    if not is_requester(user, workorder):
        raise Http404
    return workorder


def _render_my_detail(
    request: HttpRequest,
    workorder: WorkOrder,
    *,
    bound: dict[str, ActionForm] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    actions = resident_actions(_user(request), workorder)
    bound = bound or {}
    action_forms = {
        name: bound.get(name)
        or MY_ACTIONS[name].form(workorder=workorder, user=_user(request), prefix=name)
        for name in actions
    }
    for name, form in bound.items():
        action_forms.setdefault(name, form)
    events = list(timeline_of(workorder, Viewer.RESIDENT))
    asked = [event for event in events if event.kind == WorkOrderEvent.Kind.WAITING]
    context = {
        "workorder": workorder,
        "category_name": category_label(workorder.category),
        "next_step": resident_next_step(workorder),
        "actions": set(action_forms),
        "forms": action_forms,
        "failed": next(iter(bound), ""),
        "refusal": refusal,
        "photos": _photos(workorder),
        "events": events,
        "waiting_note": asked[-1].note if asked and workorder.status == Status.WAITING else "",
        "clocks": clocks_of(workorder),
        **usage_of(workorder),
    }
    return render(request, "workorders/my_detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def my_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    workorder = workorder_for(user, pk)
    if not is_requester(user, workorder):
        if not user.is_resident_only:
            return redirect("workorders:desk_detail", pk=pk)
        raise Http404
    return _render_my_detail(request, workorder)


@login_required
@require_POST
def my_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    if action not in MY_ACTIONS:
        raise Http404
    workorder = _resident_workorder(user, pk)
    return _take_step(
        request, workorder, MY_ACTIONS[action], action, _render_my_detail, "workorders:my_detail"
    )


@login_required
@require_GET
def photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """One photo of a request, to those who may see the request; never a public media URL."""
    workorder = workorder_for(_user(request), pk)
    item = get_object_or_404(WorkOrderPhoto, pk=photo_id, workorder_id=workorder.pk)
    if not item.image.name:
        raise Http404
    try:
        handle = item.image.storage.open(item.image.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# The staff workbench ----------------------------------------------------------------------------


def _workbench_compounds(user: User) -> QuerySet[Compound]:
    return Compound.objects.all() if user.is_superuser else workorder_compounds_of(user)


def _query_with(query: QueryDict, **changes: str) -> str:
    query = query.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if value:
            query[key] = value
        else:
            query.pop(key, None)
    return query.urlencode()


TAB_LABELS = {
    "mine": gettext_lazy("My queue"),
    "due": gettext_lazy("Due soon"),
    "overdue": gettext_lazy("Overdue"),
    "all": gettext_lazy("All in my scope"),
}


def _render_workbench(
    request: HttpRequest,
    user: User,
    *,
    bulk: BulkTransferForm | None = None,
    refusal: str = "",
    status: int = 200,
    checked: Collection[int] = (),
) -> HttpResponse:
    compounds = _workbench_compounds(user)
    filters = WorkbenchFilterForm(request.GET or None, compounds=compounds)
    workorders = workorders_visible_to(user)
    tab = ""
    bad_filter = False
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
            tab = data["tab"]
            if data["compound"]:
                workorders = workorders.filter(compound=data["compound"])
            if data["category"]:
                workorders = workorders.filter(category=data["category"])
            if data["status"]:
                workorders = workorders.filter(status=data["status"])
        else:
            workorders = workorders.none()
            bad_filter = True
            status = 400
    lists = workbench_tabs(user, workorders, now=timezone.now())
    counts = {name: count_up_to(lists[name], DESK_COUNT_CAP) for name in lists}
    # Without a chosen list, the user's own queue, or everything when nothing waits on them
    # (a supervisor, a grid administrator).
    tab = tab or ("mine" if counts["mine"] else "all")
    paginator = Paginator(workorder_rows(lists[tab]), DESK_PAGE_SIZE)
    # The tab's count is already known: the paginator need not ask again.
    paginator.__dict__["count"] = min(counts[tab], DESK_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    special_group_reads_record(viewer=user, households=priority_households(page))
    query = request.GET
    context = {
        "filters": filters,
        "bad_filter": bad_filter,
        "tab": tab,
        "tabs": [
            {
                "name": name,
                "label": label,
                "count": _shown(counts[name]),
                "query": _query_with(query, tab=name),
                "active": name == tab,
            }
            for name, label in TAB_LABELS.items()
        ],
        "page": page,
        "capped": counts[tab] > DESK_COUNT_CAP,
        "cap": DESK_COUNT_CAP,
        "filter_query": _query_with(query),
        "list_query": request.GET.urlencode(),
        "bulk": bulk or BulkTransferForm(compounds=compounds, user=user),
        "checked": set(checked),
        "refusal": refusal,
        "now": timezone.now(),
    }
    template = "workorders/desk_list.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and request.method == "GET":
        template += "#results"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def desk_list(request: HttpRequest) -> HttpResponse:
    """The workbench: my queue, due soon, overdue and everything in my scope. A POST passes
    the ticked requests on; the list's filters stay in the query string either way."""
    user = _staff(request)
    if request.method == "POST":
        return _transfer(request, user)
    return _render_workbench(request, user)


def _checked_ids(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.POST.getlist("ids") if value.isdigit()]


def _transfer(request: HttpRequest, user: User) -> HttpResponse:
    """Pass several requests on at once: all of them, or none if one is refused."""
    form = BulkTransferForm(request.POST, compounds=_workbench_compounds(user), user=user)
    checked = _checked_ids(request)
    if not form.is_valid():
        return _render_workbench(request, user, bulk=form, status=422, checked=checked)
    ids = form.cleaned_data["ids"]
    chosen = list(workorders_visible_to(user).filter(pk__in=ids).order_by("pk"))
    if len(chosen) != len(ids):
        raise Http404
    target = form.cleaned_data["to"]
    try:
        services.workorders_transfer(
            workorders=chosen,
            by=user,
            reason=form.cleaned_data["reason"],
            to_user=target if isinstance(target, User) else None,
            department=target if isinstance(target, Department) else None,
        )
    except REFUSED as error:
        return _render_workbench(
            request,
            user,
            bulk=form,
            refusal=" ".join(messages_of(error)),
            status=status_of(error),
            checked=checked,
        )
    messages.success(
        request,
        ngettext(
            "%(count)s request passed to %(to)s.",
            "%(count)s requests passed to %(to)s.",
            len(chosen),
        )
        % {"count": len(chosen), "to": target},
    )
    query = request.GET.urlencode()
    return redirect(reverse("workorders:desk_list") + (f"?{query}" if query else ""))


@login_required
@require_GET
@never_cache
def desk_counts(request: HttpRequest) -> HttpResponse:
    """The workbench's counts for the desk page (loaded by htmx)."""
    user = _staff(request)
    lists = workbench_tabs(user, workorders_visible_to(user), now=timezone.now())
    counts = {name: count_up_to(lists[name], DESK_COUNT_CAP) for name in ("mine", "due", "overdue")}
    shown = {name: _shown(count) for name, count in counts.items()}
    return render(request, "workorders/_desk_counts.html", {"counts": counts, "shown": shown})


def _shown(count: int) -> str:
    return f"{DESK_COUNT_CAP}+" if count > DESK_COUNT_CAP else str(count)


def _render_desk_new(
    request: HttpRequest, form: StaffRequestForm, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "groups": grouped_categories(categories_open_to(form.user)),
        "chosen": form["category"].value() or "",
        "photos_lost": form.is_bound and bool(request.FILES) and status != 200,
        "refusal": refusal,
        "max_photos": services.MAX_PHOTOS,
        "max_description": services.MAX_DESCRIPTION,
        "channels": STAFF_CHANNELS,
    }
    return render(request, "workorders/desk_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def desk_new(request: HttpRequest) -> HttpResponse:
    """Type in a request that came by phone, in person, at a link day, on a patrol or in a
    circle."""
    user = _staff(request)
    if request.method != "POST":
        return _render_desk_new(request, StaffRequestForm(user=user))
    form = StaffRequestForm(request.POST, request.FILES, user=user)
    if not form.is_valid():
        return _render_desk_new(request, form, status=422)
    data = form.cleaned_data
    try:
        workorder = services.workorder_create(
            category=data["category"],
            description=data["description"],
            channel=data["channel"],
            by=user,
            household=data["household"],
            photos=data["photos"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
        )
    except REFUSED as error:
        refusal = refusal_text(error, form, aliases={"household_id": "account_no"})
        return _render_desk_new(request, form, refusal=refusal, status=status_of(error))
    messages.success(request, _("Request No. %(id)s is filed.") % {"id": workorder.pk})
    return redirect("workorders:desk_detail", pk=workorder.pk)


# One request on the desk -------------------------------------------------------------------------


DESK_ACTIONS: dict[str, Action] = {
    "accept": Action(
        EmptyForm,
        lambda wo, by, data: services.workorder_accept(workorder=wo, by=by),
        gettext_lazy("You accepted the request; you are its first responsible."),
    ),
    "arrive": Action(
        ArriveForm,
        lambda wo, by, data: services.workorder_arrive(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("Arrival on site is recorded."),
    ),
    "wait": Action(
        WaitForm,
        lambda wo, by, data: services.workorder_wait(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("The resident is asked; the clocks are paused."),
    ),
    "resume": Action(
        OptionalNoteForm,
        lambda wo, by, data: services.workorder_resume(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("Work on the request goes on; the clocks run again."),
    ),
    "resolve": Action(
        ResolveForm,
        lambda wo, by, data: services.workorder_resolve(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("Resolved: the resident is asked to confirm."),
    ),
    "escalate": Action(
        EscalateForm,
        lambda wo, by, data: services.workorder_escalate(
            workorder=wo, by=by, reason=data["reason"], department=data.get("department")
        ),
        gettext_lazy("The request is passed up."),
    ),
    "transfer": Action(
        TransferForm,
        lambda wo, by, data: services.workorder_transfer(
            workorder=wo,
            by=by,
            reason=data["reason"],
            to_user=data["to"] if isinstance(data["to"], User) else None,
            department=data["to"] if isinstance(data["to"], Department) else None,
        ),
        gettext_lazy("The request is passed on."),
    ),
    "cancel": Action(
        ReasonForm,
        lambda wo, by, data: services.workorder_cancel(workorder=wo, by=by, reason=data["reason"]),
        gettext_lazy("The request is cancelled."),
    ),
    "comment": Action(
        CommentForm,
        lambda wo, by, data: services.workorder_comment(workorder=wo, by=by, note=data["note"]),
        gettext_lazy("Your comment has been added."),
    ),
    "attach_usage": Action(
        UsageForm,
        lambda wo, by, data: services.workorder_attach_usage(
            workorder=wo, by=by, until=data["until"], months=data["months"]
        ),
        gettext_lazy("The usage analysis is attached; the resident can read it on the request."),
    ),
    "request_meter_test": Action(
        MeterTestForm,
        lambda wo, by, data: services.workorder_request_meter_test(
            workorder=wo, by=by, note=data["note"]
        ),
        gettext_lazy("A meter test is requested and handed to the metering centre."),
    ),
}


def staff_actions(user: User, workorder: WorkOrder) -> list[str]:
    """The steps the desk offers this member of staff: what the policies allow them now (a
    metering dispute's usage steps after the request's own)."""
    return actions_for(user, workorder, among=DESK_STEPS) + usage_actions_for(user, workorder)


def usage_of(workorder: WorkOrder) -> dict[str, Any]:
    """What a request page shows of a metering dispute's analyses and meter tests, and of the
    dispute a meter test was raised from (other requests ask nothing more)."""
    if workorder.category.kind != Category.Kind.METERING:
        return {"usage_reports": [], "meter_tests": []}
    return {
        "usage_reports": [
            (report, UsageAnalysis.from_json(report.data)) for report in usage_reports_of(workorder)
        ],
        "meter_tests": list(meter_tests_of(workorder)),
    }


@dataclass(frozen=True)
class Contact:
    """The household and caller as this member of staff may see them."""

    masked: bool
    holder_name: str
    phone: str
    address: str
    account_no: str
    contact_name: str
    contact_phone: str


def contact_for(user: User, workorder: WorkOrder) -> Contact:
    if workorder.household is not None:
        household = workorder.household
        view = household_views_for(user, [household])[0]
        masked = view.masked
        holder_name, phone, address = view.holder_name, view.phone, view.address
        account_no = view.account_no
    else:
        masked = not reaches_compound(user, Purpose.SERVE, workorder.compound_id)
        holder_name, phone, account_no = "", "", ""
        address = workorder.address_text if not masked else workorder.compound.name
    contact_name, contact_phone = workorder.contact_name, workorder.contact_phone
    if masked:
        contact_name, contact_phone = mask_name(contact_name), mask_phone(contact_phone)
    return Contact(
        masked=masked,
        holder_name=holder_name,
        phone=phone,
        address=address,
        account_no=account_no,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )


def _render_desk_detail(
    request: HttpRequest,
    workorder: WorkOrder,
    *,
    bound: dict[str, ActionForm] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    actions = staff_actions(user, workorder)
    bound = bound or {}
    action_forms = {
        name: bound.get(name)
        or DESK_ACTIONS[name].form(workorder=workorder, user=user, prefix=name)
        for name in actions
    }
    # A refused form is shown even when the state no longer offers it, with its message.
    for name, form in bound.items():
        action_forms.setdefault(name, form)
    if workorder.priority and workorder.household is not None:
        special_group_reads_record(viewer=user, households=[workorder.household])
    context = {
        "workorder": workorder,
        "category_name": category_label(workorder.category),
        "contact": contact_for(user, workorder),
        "actions": list(action_forms),
        "forms": action_forms,
        "failed": next(iter(bound), ""),
        "refusal": refusal,
        "photos": _photos(workorder),
        "events": list(timeline_of(workorder, Viewer.STAFF)),
        "clocks": clocks_of(workorder),
        "risk_topics": [str(RISK_TOPICS.get(topic, topic)) for topic in workorder.risk_topics],
        **usage_of(workorder),
    }
    return render(request, "workorders/desk_detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def desk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    workorder = workorder_for(user, pk)
    if user.is_resident_only:
        return redirect("workorders:my_detail", pk=pk)
    return _render_desk_detail(request, workorder)


@login_required
@require_POST
def desk_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    if action not in DESK_ACTIONS:
        raise Http404
    workorder = workorder_for(user, pk)
    if user.is_resident_only:
        raise PermissionDenied(_("This page is for staff."))
    return _take_step(
        request,
        workorder,
        DESK_ACTIONS[action],
        action,
        _render_desk_detail,
        "workorders:desk_detail",
    )


def _take_step(
    request: HttpRequest,
    workorder: WorkOrder,
    step: Action,
    action: str,
    render: Callable[..., HttpResponse],
    detail: str,
) -> HttpResponse:
    """One step from a request page, for residents and staff alike: validate the form, call
    the service, and re-render with the refusal or go back to the page."""
    user = _user(request)
    form = step.form(request.POST, workorder=workorder, user=user, prefix=action)
    if not form.is_valid():
        return render(request, workorder, bound={action: form}, status=422)
    try:
        step.call(workorder, user, form.cleaned_data)
    except REFUSED as error:
        return render(
            request,
            workorder,
            bound={action: form},
            refusal=refusal_text(error, form, aliases=form.aliases),
            status=status_of(error),
        )
    messages.success(request, step.done)
    return redirect(detail, pk=workorder.pk)


# A circle message becomes a request -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def from_circle_message(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a resident's circle message into a request, in one step by the staff serving the
    circle: choose its category (and the household, when the resident has several there)."""
    user = _staff(request)
    message = circle_message_for(user, pk)
    MESSAGE_POLICY.check("request", message, CircleParties(user, message.circle))
    homes = list(households_of_author(message))
    households = [(home.pk, f"{home.building.compound.name} {home.address}") for home in homes]
    categories = [
        (category.code, category_label(category))
        for category in categories_open_to(user).order_by("kind", "code")
    ]
    form = CircleRequestForm(request.POST or None, categories=categories, households=households)
    refusal, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            chosen = form.cleaned_data.get("household")
            try:
                workorder = services.request_from_circle_message(
                    message=message,
                    by=user,
                    category=form.cleaned_data["category"],
                    household=next((home for home in homes if home.pk == chosen), None),
                )
            except REFUSED as error:
                refusal = refusal_text(error, form, aliases={"household_id": "household"})
                status = status_of(error)
            else:
                messages.success(
                    request,
                    _("Request No. %(id)s is filed from the message.") % {"id": workorder.pk},
                )
                return redirect("workorders:desk_detail", pk=workorder.pk)
        else:
            status = 422
    return render(
        request,
        "workorders/from_circle.html",
        {"message": message, "form": form, "refusal": refusal, "no_home": not homes},
        status=status,
    )
