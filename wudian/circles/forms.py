"""The circles' forms: what a page takes in; the rules (lengths, who may, when) are the
services'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wudian.circles.models import (
    LINK_MAX,
    MESSAGE_MAX,
    POST_BODY_MAX,
    REASON_MAX,
    TITLE_MAX,
    Delivery,
    Post,
)

MUTE_CHOICES = [
    (1, _("1 hour")),
    (24, _("1 day")),
    (72, _("3 days")),
    (168, _("7 days")),
    (720, _("30 days")),
    (0, _("Lift the mute")),
]


class PostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text"), max_length=POST_BODY_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    link = forms.CharField(
        label=_("Link (optional)"),
        max_length=LINK_MAX,
        required=False,
        help_text=_("A page of this site, such as /c/NORTH/, or a web address."),
    )
    pinned = forms.BooleanField(label=_("Pin to the top"), required=False)
    publish_at = forms.DateTimeField(
        label=_("Publish at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Leave empty to publish now."),
    )

    def __init__(self, *args: Any, kinds: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Post.Kind.choices)
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in kinds]  # type: ignore[attr-defined]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX}),
        help_text=_("Everyone in the circle reads it. Do not write your phone number or address."),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MESSAGE_MAX}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX)


class MuteForm(forms.Form):
    hours = forms.TypedChoiceField(
        label=_("For how long"), choices=MUTE_CHOICES, coerce=int, initial=24
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, required=False)


class DeliveryForm(forms.Form):
    delivery = forms.ChoiceField(
        label=_("How I hear of new posts"),
        choices=Delivery.choices,
        widget=forms.RadioSelect,
    )
