"""Forms of the request pages. They parse what a page sends and offer choices within the
user's scope; who may do what, in which state, is policy.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import Department, RoleCode, User, localized
from wudian.core import photos as photo_checks
from wudian.grid.models import Compound, Household
from wudian.grid.scope import (
    Purpose,
    assignments_in,
    compounds_for,
    departments_serving,
    own_households,
)
from wudian.grid.selectors import households_found
from wudian.workorders import services
from wudian.workorders.models import Category, Channel, WorkOrder
from wudian.workorders.policy import passes_to_departments

# Channels a member of staff records when typing in what someone told them.
STAFF_CHANNELS = [
    Channel.PHONE,
    Channel.VISIT,
    Channel.LINK_DAY,
    Channel.PATROL,
    Channel.CIRCLE,
]
MAX_BULK = 100
# How many households the intake lists when what a caller said matches several.
MAX_CANDIDATES = 5


def category_label(category: Category) -> str:
    return localized(category.name, category.name_en)


# Intake --------------------------------------------------------------------------------------


@dataclass
class CategoryGroup:
    key: str
    label: Any
    categories: list[Category] = field(default_factory=list)


# The intake page groups categories the way residents think of them.
GROUPS: list[tuple[str, Any, frozenset[str]]] = [
    (
        "faults",
        _("Faults and hazards"),
        frozenset({Category.Kind.FAULT, Category.Kind.HAZARD}),
    ),
    (
        "enquiries",
        _("Enquiries"),
        frozenset({Category.Kind.ENQUIRY, Category.Kind.METERING}),
    ),
    ("business", _("Electricity business"), frozenset({Category.Kind.BUSINESS})),
    ("other", _("Complaints, suggestions and other"), frozenset()),
]


def grouped_categories(categories: Iterable[Category]) -> list[CategoryGroup]:
    groups = [CategoryGroup(key=key, label=label) for key, label, _kinds in GROUPS]
    for category in categories:
        index = next(
            (i for i, (_key, _label, kinds) in enumerate(GROUPS) if category.kind in kinds),
            len(GROUPS) - 1,
        )
        groups[index].categories.append(category)
    return [group for group in groups if group.categories]


class TextField(forms.CharField):
    """Text whose line breaks count once, as the browser's counter counts them: a textarea
    sends CR LF."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS pictures, each checked and cleaned by photos.photo_from_bytes; the
    result is the list of cleaned photos, ready for the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "class": "visually-hidden"})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[photo_checks.PhotoUpload]:
        uploads: list[UploadedFile] = [
            upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload
        ]
        if len(uploads) > services.MAX_PHOTOS:
            raise ValidationError(
                _("At most %(n)s photos may be attached.") % {"n": services.MAX_PHOTOS},
                code="too_many",
            )
        cleaned: list[photo_checks.PhotoUpload] = []
        errors: list[str] = []
        for upload in uploads:
            name = upload.name or "photo"
            # Refused before it is read: a large file never enters memory.
            limit = photo_checks.MAX_PHOTO_BYTES
            if upload.size is not None and upload.size > limit:
                errors.append(
                    str(_("“%(name)s” is %(size)s MB; a photo may be at most %(max)s MB."))
                    % {
                        "name": name,
                        "size": f"{upload.size / 1024 / 1024:.1f}",
                        "max": limit // 1024 // 1024,
                    }
                )
                continue
            try:
                cleaned.append(photo_checks.photo_from_bytes(upload.read(), name=name))
            except ValidationError as error:
                errors += error.messages
        if errors:
            raise ValidationError(errors)
        return cleaned


def _category_from_code(code: str, *, by: User) -> Category:
    try:
        return services.category_for_intake(code, by=by)
    except ValidationError as error:
        raise ValidationError(error.messages) from None


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Household) -> str:
        return f"{obj.address} ({obj.account_no})"


class ResidentRequestForm(forms.Form):
    """A resident reports something about one of their households."""

    household = HouseholdChoiceField(
        label=_("Which home"),
        queryset=Household.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("That household is not one of yours."),
            "required": _("Choose the home this is about."),
        },
    )
    category = forms.CharField(
        label=_("What is it about"),
        max_length=40,
        error_messages={"required": _("Choose what your request is about.")},
    )
    description = TextField(
        label=_("Describe the problem"),
        max_length=services.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Please describe what happened or what you need.")},
    )
    photos = PhotosField(label=_("Photos (optional)"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        households = own_households(user).select_related("building__compound")
        self.fields["household"].queryset = households.order_by("account_no")  # type: ignore[attr-defined]
        self.households = list(self.fields["household"].queryset)  # type: ignore[attr-defined]
        if len(self.households) == 1 and not self.is_bound:
            self.initial.setdefault("household", self.households[0].pk)

    def clean_category(self) -> Category:
        return _category_from_code(self.cleaned_data["category"], by=self.user)


class StaffRequestForm(forms.Form):
    """A member of staff types in a request someone made by phone, in person or on a patrol."""

    channel = forms.ChoiceField(
        label=_("How it reached you"),
        choices=[(channel.value, channel.label) for channel in STAFF_CHANNELS],
    )
    account_no = forms.CharField(
        label=_("Account number"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    compound = forms.ModelChoiceField(
        label=_("Compound"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=_("— choose —"),
    )
    building = forms.CharField(
        label=_("Building"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. 3")}),
    )
    room = forms.CharField(
        label=_("Unit and room"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. 2-502")}),
    )
    category = forms.CharField(
        label=_("Category"),
        max_length=40,
        error_messages={"required": _("Choose what the request is about.")},
    )
    description = TextField(
        label=_("What the resident said"),
        max_length=services.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    contact_name = forms.CharField(label=_("Caller's name"), max_length=64, required=False)
    contact_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    photos = PhotosField(label=_("Photos (optional)"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        compounds = compounds_for(user, Purpose.SERVE).order_by("name", "code")
        self.fields["compound"].queryset = compounds  # type: ignore[attr-defined]
        self.fields["compound"].label_from_instance = lambda compound: compound.name  # type: ignore[attr-defined]
        if not self.is_bound and len(served := list(compounds[:2])) == 1:
            self.initial.setdefault("compound", served[0].pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if any(name in self.errors for name in ("account_no", "compound", "contact_phone")):
            return data
        data["household"] = self._household(data)
        return data

    def _household(self, data: dict[str, Any]) -> Household | None:
        """The one household the caller means, found by account number, by compound,
        building and room, or by the caller's phone; else an error saying what to give."""
        account_no = data.get("account_no", "")
        compound = data.get("compound")
        building, room = data.get("building", ""), data.get("room", "")
        phone = data.get("contact_phone", "")
        missing: Any
        finder: dict[str, Any]
        if account_no.strip():
            finder = {"account_no": account_no}
            field, missing = (
                "account_no",
                _("No household with this account number among the households you serve."),
            )
        elif compound is not None and room.strip():
            finder = {"compound": compound, "building": building, "room": room}
            field, missing = (
                "room",
                _(
                    "No household with this building and room in %(compound)s among the "
                    "households you serve."
                )
                % {"compound": compound.name},
            )
        elif phone.strip():
            # A compound chosen (or preselected) without a room does not hide the phone.
            finder = {"phone": phone}
            field, missing = (
                "contact_phone",
                _(
                    "No household you serve has this phone number on record. Ask for the "
                    "account number or the address."
                ),
            )
        elif compound is not None:
            self.add_error("room", _("Give the room (and the building) in this compound."))
            return None
        else:
            self.add_error(
                "account_no",
                _(
                    "Find the household: give its account number, or its compound, building "
                    "and room, or the caller's phone number."
                ),
            )
            return None
        found = list(
            households_found(self.user, **finder)
            .select_related("building__compound")
            .order_by("account_no")[: MAX_CANDIDATES + 1]
        )
        if not found:
            self.add_error(field, missing)
            return None
        if len(found) > 1:
            self.candidates = found[:MAX_CANDIDATES]
            self.add_error(
                field,
                _("Several households match; type the account number of the right one: %(list)s")
                % {"list": "；".join(f"{h.address} ({h.account_no})" for h in self.candidates)},
            )
            return None
        return found[0]

    def clean_category(self) -> Category:
        return _category_from_code(self.cleaned_data["category"], by=self.user)


# Staff actions ---------------------------------------------------------------------------------


def _note(label: Any, *, required: bool = True, limit: int = services.MAX_NOTE) -> TextField:
    return TextField(
        label=label,
        required=required,
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def transfer_targets(
    compounds: QuerySet[Compound], *, departments: bool = True
) -> list[tuple[Any, list[tuple[str, str]]]]:
    """Whom requests of these compounds can be passed to, as grouped choices: the customer
    managers and electricians serving them, and the departments of their districts. The
    service checks each target against each request."""
    staff: dict[int, str] = {}
    roles: dict[str, Any] = {
        RoleCode.CUSTOMER_MANAGER: _("customer manager"),
        RoleCode.ELECTRICIAN: _("electrician"),
    }
    for user_id, display_name, username, role in (
        assignments_in(RoleCode.CUSTOMER_MANAGER, RoleCode.ELECTRICIAN, compounds=compounds)
        .order_by("role", "user__display_name", "user__username")
        .values_list("user_id", "user__display_name", "user__username", "role")
        .distinct()
    ):
        label = f"{display_name or username} ({roles[role]})"
        staff[user_id] = f"{staff[user_id]}, {roles[role]}" if user_id in staff else label
    choices: list[tuple[Any, list[tuple[str, str]]]] = [
        (_("Staff"), [(f"user:{pk}", label) for pk, label in staff.items()])
    ]
    if departments:
        teams = departments_serving(compounds).order_by("name")
        choices.append((_("Departments"), [(f"dept:{d.pk}", d.name) for d in teams]))
    return choices


class PlainSelect(forms.Select):
    """A select rendered by one template. Django's own renders a template per option, which
    showed in the workbench's CPU time: four selects on every page."""

    template_name = "workorders/widgets/select.html"


class TargetField(forms.ChoiceField):
    """Turns "user:<id>" or "dept:<id>", among the offered choices, into the user or the
    department."""

    widget = PlainSelect

    default_error_messages = {"required": _("Choose whom to pass it to.")}

    def clean(self, value: Any) -> User | Department:
        value = super().clean(value)
        kind, _sep, pk = value.partition(":")
        target: User | Department | None
        if kind == "user":
            target = User.objects.filter(pk=pk, is_active=True).first()
        else:
            target = Department.objects.filter(pk=pk).first()
        if target is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return target


class ActionForm(forms.Form):
    """One step on one request. Service errors on a field named in `aliases` land on the
    form field it maps to."""

    aliases: dict[str, str] = {}

    def __init__(self, *args: Any, workorder: WorkOrder, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workorder = workorder
        self.user = user


class EmptyForm(ActionForm):
    pass


class OptionalNoteForm(ActionForm):
    note = _note(_("Note (optional)"), required=False)


class ArriveForm(ActionForm):
    note = _note(_("Note (optional)"), required=False)


class WaitForm(ActionForm):
    note = _note(_("What do you need from the resident?"))


class ResolveForm(ActionForm):
    note = _note(_("What was done"))


class EscalateForm(ActionForm):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("— the customer manager —"),
        help_text=_(
            "An electrician passes a fault up to the customer manager; the customer "
            "manager passes it to a department."
        ),
    )
    reason = _note(_("Why"))

    def __init__(self, *args: Any, workorder: WorkOrder, user: User, **kwargs: Any) -> None:
        super().__init__(*args, workorder=workorder, user=user, **kwargs)
        if not passes_to_departments(user):
            del self.fields["department"]
            return
        compound = Compound.objects.filter(pk=workorder.compound_id)
        self.fields["department"].queryset = departments_serving(compound).order_by("name")  # type: ignore[attr-defined]


class TransferForm(ActionForm):
    to = TargetField(label=_("Pass to"))
    reason = _note(_("Why"))
    aliases = {"department": "to"}

    def __init__(self, *args: Any, workorder: WorkOrder, user: User, **kwargs: Any) -> None:
        super().__init__(*args, workorder=workorder, user=user, **kwargs)
        compounds = Compound.objects.filter(pk=workorder.compound_id)
        targets = transfer_targets(compounds, departments=passes_to_departments(user))
        self.fields["to"].choices = [("", "—"), *targets]  # type: ignore[attr-defined]


class ReasonForm(ActionForm):
    reason = _note(_("Why"))


class CommentForm(ActionForm):
    note = _note(_("Comment"))


class UsageForm(ActionForm):
    """Which months a metering dispute's usage analysis covers."""

    until = forms.DateField(
        label=_("Last month analysed"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("Empty: the latest month read."),
    )
    months = forms.TypedChoiceField(
        label=_("Number of months"),
        choices=[(6, "6"), (12, "12"), (24, "24")],
        coerce=int,
        initial=12,
    )
    aliases = {"until": "until", "months": "months"}


class MeterTestForm(ActionForm):
    note = _note(_("Note for the metering centre (optional)"), required=False)


# Resident actions ------------------------------------------------------------------------------


class ResidentCancelForm(ActionForm):
    reason = _note(_("Why (optional)"), required=False)


class ReplyForm(ActionForm):
    note = _note(_("Your answer"))


class RateForm(ActionForm):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[
            (5, _("Very satisfied")),
            (4, _("Satisfied")),
            (3, _("Neither")),
            (2, _("Dissatisfied")),
            (1, _("Very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )
    visited_hall = forms.TypedChoiceField(
        label=_("Did you have to go to the service hall for this?"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": _(
                "One more question before your rating is sent: did you have to go to the "
                "service hall for this matter? Please tick “Yes” or “No”."
            )
        },
    )
    comment = _note(_("Comment (optional)"), required=False, limit=services.MAX_RATING_COMMENT)


# The workbench ---------------------------------------------------------------------------------


class CompoundChoiceField(forms.ModelChoiceField):
    widget = PlainSelect

    def label_from_instance(self, obj: Compound) -> str:
        return obj.name


class CategoryChoiceField(forms.ModelChoiceField):
    widget = PlainSelect

    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


TABS = ("mine", "due", "overdue", "all")


class WorkbenchFilterForm(forms.Form):
    tab = forms.ChoiceField(
        required=False, choices=[(tab, tab) for tab in TABS], widget=forms.HiddenInput
    )
    compound = CompoundChoiceField(
        label=_("Compound"),
        required=False,
        queryset=Compound.objects.none(),
        to_field_name="code",
        empty_label=_("All compounds"),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.all(),
        to_field_name="code",
        empty_label=_("All categories"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *WorkOrder.Status.choices],
        widget=PlainSelect,
    )

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds.order_by("code")  # type: ignore[attr-defined]


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise ValidationError(_("Unknown request."), code="invalid") from None
        if len(ids) > MAX_BULK:
            raise ValidationError(
                _("At most %(n)s requests can be passed on at once.") % {"n": MAX_BULK},
                code="too_many",
            )
        return ids


class BulkTransferForm(forms.Form):
    ids = IdListField(error_messages={"required": _("Tick the requests to pass on.")})
    to = TargetField(label=_("Pass to"))
    reason = _note(_("Why"))

    def __init__(
        self, *args: Any, compounds: QuerySet[Compound], user: User, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        targets = transfer_targets(compounds, departments=passes_to_departments(user))
        self.fields["to"].choices = [("", "—"), *targets]  # type: ignore[attr-defined]


class CircleRequestForm(forms.Form):
    """Turning a circle message into a request: its category, and the household when the
    resident has several in the circle's compounds."""

    category = forms.ChoiceField(label=_("Request category"), choices=())
    household = forms.TypedChoiceField(label=_("Household"), choices=(), coerce=int)

    def __init__(
        self,
        *args: Any,
        categories: Sequence[tuple[str, str]] = (),
        households: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)  # type: ignore[attr-defined]
        if len(households) > 1:
            self.fields["household"].choices = list(households)  # type: ignore[attr-defined]
        else:
            del self.fields["household"]
