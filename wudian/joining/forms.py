"""The forms of the joining pages: they parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wudian.grid.models import Compound
from wudian.joining.models import Application


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )


class BindForm(forms.Form):
    account_no = forms.CharField(
        label=_("Account number (户号)"),
        max_length=16,
        help_text=_("On your electricity bill or in the payment app."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    surname = forms.CharField(label=_("Account holder's surname"), max_length=4)
    phone_last4 = forms.CharField(
        label=_("Last 4 digits of the holder's phone on record"),
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class ApplyForm(forms.Form):
    compound = forms.ChoiceField(label=_("Compound"))
    account_no = forms.CharField(
        label=_("Account number (户号)"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    relation = forms.ChoiceField(
        label=_("You are"), choices=Application.RELATIONS, widget=forms.RadioSelect
    )
    name = forms.CharField(label=_("Your name"), max_length=32)
    note = forms.CharField(
        label=_("Note for the property office"),
        max_length=200,
        required=False,
        help_text=_("For example: the holder's name, your room, your lease."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, compounds: list[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compounds = {compound.code: compound for compound in compounds}
        field = self.fields["compound"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.code, c.name) for c in compounds]
        if compounds:
            self.fields["compound"].initial = compounds[0].code

    def chosen_compound(self) -> Compound:
        return self.compounds[self.cleaned_data["compound"]]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The applicant reads it."),
    )
