"""Forms of the outage pages. They parse and offer choices within the user's scope; the lead
times and the scope rules themselves live in the services, the lifecycle in policy.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import User
from wudian.grid.models import Building, Compound, Feeder, Household, StationArea
from wudian.grid.scope import Purpose, compounds_for
from wudian.outages.models import Outage
from wudian.outages.policy import may_override_notice

# What <input type="datetime-local"> sends and shows (minutes, no seconds, local time).
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=LOCAL_FORMAT)


def local_datetime_field(label: Any, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeInput(),
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class ScopeForm(forms.Form):
    """The supply-side scope of an outage; also parsed on its own for the htmx preview."""

    compounds = forms.ModelMultipleChoiceField(
        label=_("Compounds"),
        queryset=Compound.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    station_areas = forms.ModelMultipleChoiceField(
        label=_("Station areas"),
        queryset=StationArea.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"),
        queryset=Building.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    feeders = forms.ModelMultipleChoiceField(
        label=_("Feeders (10 kV lines)"),
        queryset=Feeder.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    household = forms.CharField(
        label=_("Account number (arrears disconnection of one household)"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        compounds = compounds_for(user, Purpose.PUBLISH_OUTAGES)
        compound_ids = compounds.values("pk")
        fields = self.fields
        fields["compounds"].queryset = Compound.objects.filter(pk__in=compound_ids)  # type: ignore[attr-defined]
        fields["station_areas"].queryset = (  # type: ignore[attr-defined]
            StationArea.objects.filter(compounds__in=compound_ids).distinct().order_by("code")
        )
        fields["buildings"].queryset = (  # type: ignore[attr-defined]
            Building.objects.filter(compound__in=compound_ids)
            .select_related("compound")
            .order_by("compound__code", "pk")
        )
        fields["feeders"].queryset = (  # type: ignore[attr-defined]
            Feeder.objects.filter(station_areas__compounds__in=compound_ids)
            .distinct()
            .order_by("code")
        )
        self._household_scope = Household.objects.filter(building__compound__in=compound_ids)

    def clean_household(self) -> Household | None:
        account_no = self.cleaned_data.get("household", "").strip()
        if not account_no:
            return None
        household = (
            self._household_scope.select_related("building__compound")
            .filter(account_no=account_no)
            .first()
        )
        if household is None:
            raise forms.ValidationError(
                _("No household with this account number in the compounds you serve.")
            )
        return household

    def scope_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "station_areas": list(data.get("station_areas") or ()),
            "compounds": list(data.get("compounds") or ()),
            "buildings": list(data.get("buildings") or ()),
            "feeders": list(data.get("feeders") or ()),
            "household": data.get("household"),
        }


class NoticeCheckForm(ScopeForm):
    """What the new-outage page sends to check the start against the notice period while it
    is being filled in (htmx)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Outage.Kind.choices)
    start = local_datetime_field(_("Power off from"))


class OutageForm(ScopeForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Outage.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    reason = forms.CharField(
        label=_("Reason and work"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start = local_datetime_field(_("Power off from"))
    end = local_datetime_field(_("Power back by"))
    estimated_restoration = local_datetime_field(
        _("Estimated restoration (faults)"), required=False
    )
    override_reason = forms.CharField(
        label=_("Reason for overriding the notice period"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only if the notice period cannot be kept; it is recorded with your name."),
    )

    field_order = [
        "kind",
        "title",
        "reason",
        "start",
        "end",
        "estimated_restoration",
        "compounds",
        "station_areas",
        "buildings",
        "feeders",
        "household",
        "override_reason",
    ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not may_override_notice(user):
            del self.fields["override_reason"]


class PostponeForm(forms.Form):
    start = local_datetime_field(_("New start"))
    end = local_datetime_field(_("New end"))
    note = forms.CharField(label=_("Why"), max_length=2000, widget=forms.TextInput)


class OverrideMixin:
    """Drops the notice-period override from the form of a user who may not give one."""

    fields: dict[str, forms.Field]

    def drop_override_unless(self, user: User) -> None:
        if not may_override_notice(user):
            self.fields.pop("override_reason", None)


class PublishForm(OverrideMixin, forms.Form):
    override_reason = forms.CharField(
        label=_("Reason for overriding the notice period"),
        required=False,
        max_length=2000,
        help_text=_("Only if the notice period cannot be kept; it is recorded with your name."),
    )


class ChangeForm(OverrideMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    reason = forms.CharField(
        label=_("Reason and work"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    start = local_datetime_field(_("Power off from"))
    end = local_datetime_field(_("Power back by"))
    note = forms.CharField(
        label=_("What changed (told to residents)"),
        required=False,
        max_length=2000,
        widget=forms.TextInput,
    )
    override_reason = forms.CharField(
        label=_("Reason for overriding the notice period"),
        required=False,
        max_length=2000,
        help_text=_("Only when bringing the start forward breaks the notice period."),
    )


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=2000, widget=forms.TextInput)


class EstimateForm(forms.Form):
    estimated_restoration = local_datetime_field(_("Estimated restoration"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class RestoreForm(forms.Form):
    at = local_datetime_field(_("Power restored at"), required=False)


class ListFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *Outage.State.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Outage.Kind.choices]
    )
    compound = forms.ModelChoiceField(
        label=_("Compound"),
        required=False,
        queryset=Compound.objects.none(),
        to_field_name="code",
        empty_label=_("All compounds"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds_for(user, Purpose.OVERSEE).order_by("code")  # type: ignore[attr-defined]
