"""Forms of the civic pages. They parse what a page sends and offer choices within the
user's scope; who may do what, in which state, is policy.py; the rules are in services."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import RoleCode, User, localized
from wudian.civic import services
from wudian.civic.models import Appeal
from wudian.grid.models import Building, Community, Compound, Household
from wudian.grid.scope import Purpose, compounds_for, people_serving
from wudian.grid.selectors import households_found
from wudian.workorders.models import Category
from wudian.workorders.selectors import categories_open_to

MAX_CANDIDATES = 5


class TextField(forms.CharField):
    """Text whose line breaks count once, as the browser's counter counts them."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def local_datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )


_BUILDING_SUFFIX = re.compile(r"(号楼|栋|幢|号)$")


def building_named(compound: Compound, text: str) -> Building | None:
    """The compound's building as people name it: "3", "3号楼", "3栋" or its code."""
    text = text.strip()
    number = _BUILDING_SUFFIX.sub("", text)
    names = {text, f"{number}号楼", f"{number}栋", f"{number}幢"}
    return (
        Building.objects.filter(compound=compound)
        .filter(Q(name__in=names) | Q(code__iexact=text))
        .order_by("code")
        .first()
    )


def companions_for(user: User) -> QuerySet[User]:
    """The staff who may come along on a visit: customer managers and grid administrators
    doing civic work in the user's compounds."""
    ids = list(compounds_for(user, Purpose.CIVIC).values_list("pk", flat=True))
    return (
        people_serving(ids)
        .filter(roles__code__in=[RoleCode.CUSTOMER_MANAGER, RoleCode.GRID_ADMIN])
        .exclude(pk=user.pk)
        .distinct()
        .order_by("username")
    )


class CompoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Compound) -> str:
        return obj.name


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name or obj.username


class VisitForm(forms.Form):
    """A door-to-door visit: where, when, whom; the appeals come in their own formset."""

    compound = CompoundChoiceField(
        label=_("Compound"),
        queryset=Compound.objects.none(),
        empty_label=_("— choose —"),
        error_messages={
            "required": _("Choose the compound you visited."),
            "invalid_choice": _("That compound is not one of yours."),
        },
    )
    building = forms.CharField(
        label=_("Building (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. 3")}),
    )
    room = forms.CharField(
        label=_("Unit and room (optional)"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. 2-502")}),
        help_text=_("Give a room or an account number when the visit was to one household."),
    )
    account_no = forms.CharField(
        label=_("Account number (optional)"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    visited_on = forms.DateField(
        label=_("Day of the visit"),
        widget=DateInput(),
        error_messages={"invalid": _("Give the day as YYYY-MM-DD.")},
    )
    people_met = forms.IntegerField(
        label=_("People met"),
        min_value=1,
        max_value=services.MAX_PEOPLE_MET,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    summary = TextField(
        label=_("What was talked about"),
        max_length=services.MAX_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write down what was talked about.")},
    )
    companions = PersonChoiceField(
        label=_("Who came along"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        compounds = compounds_for(user, Purpose.CIVIC).order_by("community__name", "name")
        self.fields["compound"].queryset = compounds  # type: ignore[attr-defined]
        self.fields["companions"].queryset = companions_for(user)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        compound = data.get("compound")
        data["building_obj"], data["household"] = None, None
        if compound is None:
            return data
        building_text = data.get("building", "")
        if building_text.strip():
            data["building_obj"] = building_named(compound, building_text)
            if data["building_obj"] is None:
                self.add_error("building", _("No such building in this compound."))
                return data
        account_no, room = data.get("account_no", ""), data.get("room", "")
        if account_no.strip() or room.strip():
            data["household"] = self._household(compound, building_text, room, account_no)
        return data

    def _household(
        self, compound: Compound, building: str, room: str, account_no: str
    ) -> Household | None:
        if account_no.strip():
            finder: dict[str, Any] = {"account_no": account_no}
            field = "account_no"
        else:
            finder = {"compound": compound, "building": building, "room": room}
            field = "room"
        found = list(
            households_found(self.user, **finder)
            .filter(building__compound=compound)
            .select_related("building__compound")
            .order_by("account_no")[: MAX_CANDIDATES + 1]
        )
        if not found:
            self.add_error(field, _("No such household in this compound."))
            return None
        if len(found) > 1:
            self.add_error(
                field, _("Several households match: give the building too, or the account number.")
            )
            return None
        return found[0]


class AppealForm(forms.Form):
    """One appeal raised on the visit; a row left empty is no appeal."""

    text = TextField(
        label=_("What was asked for"),
        max_length=services.MAX_APPEAL,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(
        label=_("About"), choices=Appeal.Kind.choices, initial=Appeal.Kind.ELECTRICITY
    )

    def has_changed(self) -> bool:
        # The kind's default alone does not make a row.
        return bool((self["text"].value() or "").strip())


AppealFormSet = forms.formset_factory(
    AppealForm, extra=3, max_num=services.MAX_APPEALS, validate_max=True, absolute_max=50
)


class VisitFilterForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False,
        empty_label=_("All"),
    )  # fmt: skip
    compound = CompoundChoiceField(
        label=_("Compound"), queryset=Compound.objects.none(), required=False, empty_label=_("All")
    )
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    appeals = forms.ChoiceField(
        label=_("Appeals"),
        required=False,
        choices=[("", _("Any")), *Appeal.Status.choices],
    )

    def __init__(self, *args: Any, communities: Any, compounds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        self.fields["compound"].queryset = compounds  # type: ignore[attr-defined]

    def clean_month(self) -> datetime.date | None:
        text = self.cleaned_data.get("month", "").strip()
        if not text:
            return None
        try:
            month = datetime.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None
        if not 2000 <= month.year <= 2099:
            raise forms.ValidationError(_("Give the month as YYYY-MM."))
        return month


# Appeal actions ------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """A form of one appeal's action; the user is who acts. The categories a request may take
    are read once per page and shared by its forms."""

    def __init__(
        self, *args: Any, user: User, categories: list[Category] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user


class RequestForm(ActionForm):
    category = forms.ChoiceField(
        label=_("Request category"),
        error_messages={
            "required": _("Choose what the request is about."),
            "invalid_choice": _("Choose what the request is about."),
        },
    )
    description = TextField(
        label=_("Description (optional: the appeal's text)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, user: User, categories: list[Category] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        if categories is None:
            categories = list(categories_open_to(user))
        self.categories = {str(category.pk): category for category in categories}
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("— choose —")),
            *((pk, localized(c.name, c.name_en)) for pk, c in self.categories.items()),
        ]

    def clean_category(self) -> Category:
        return self.categories[self.cleaned_data["category"]]


class AnswerForm(ActionForm):
    answer = TextField(
        label=_("Answer"),
        max_length=services.MAX_ANSWER,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the answer given.")},
    )


class CloseForm(ActionForm):
    answer = TextField(
        label=_("Answer (optional when already answered)"),
        max_length=services.MAX_ANSWER,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# Activities ----------------------------------------------------------------------------------


class CompoundsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Compound) -> str:
        return obj.name


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE)
    description = TextField(
        label=_("What volunteers will do"),
        max_length=services.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    place = forms.CharField(label=_("Place"), max_length=services.MAX_PLACE)
    starts_at = local_datetime_field(_("Starts"))
    ends_at = local_datetime_field(_("Ends"))
    signup_deadline = local_datetime_field(_("Sign up by"))
    capacity = forms.IntegerField(
        label=_("Places"), min_value=1, max_value=services.MAX_CAPACITY, initial=20
    )
    communities = forms.ModelMultipleChoiceField(
        label=_("Whole communities"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    compounds = CompoundsField(
        label=_("Or these compounds"),
        queryset=Compound.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        compounds = compounds_for(user, Purpose.CIVIC).order_by("community__name", "name")
        self.fields["compounds"].queryset = compounds  # type: ignore[attr-defined]
        # A whole community only where the user does civic work in all of it.
        self.fields["communities"].queryset = Community.objects.filter(  # type: ignore[attr-defined]
            pk__in=compounds.values("community_id")
        ).exclude(compounds__in=Compound.objects.exclude(pk__in=compounds.values("pk")))
        self.fields["communities"].label_from_instance = lambda community: community.name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = {compound.pk: compound for compound in data.get("compounds") or []}
        for community in data.get("communities") or []:
            chosen.update({c.pk: c for c in community.compounds.all()})
        data["all_compounds"] = list(chosen.values())
        if not chosen and not self.errors:
            self.add_error("compounds", _("Choose at least one compound."))
        return data

    def activity_in(self) -> services.ActivityIn:
        data = self.cleaned_data
        return services.ActivityIn(
            title=data["title"],
            description=data["description"],
            place=data["place"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            signup_deadline=data["signup_deadline"],
            capacity=data["capacity"],
            compounds=data["all_compounds"],
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is cancelled (told to everyone signed up)"),
        max_length=services.MAX_REASON,
        error_messages={"required": _("Say why the activity is cancelled.")},
    )


class EmptyForm(forms.Form):
    pass
