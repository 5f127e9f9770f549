"""Forms of the knowledge pages: they parse what a page sends and offer targets within the
writer's reach; the rules are the services', who may do what the policy's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import User
from wudian.core import photos as photo_checks
from wudian.grid.models import Community, Compound, District
from wudian.knowledge import services
from wudian.knowledge.models import Article, Category, Reach, SeasonalReminder
from wudian.knowledge.selectors import writable_compounds

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class TextField(forms.CharField):
    """Text whose line breaks count once (a textarea sends CR LF)."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Up to `limit` images, each checked and cleaned by core.photos, as request photos are:
    the result is the list of cleaned images, ready for the service. An oversize file is
    refused before it is read."""

    def __init__(self, *, limit: int, multiple: bool = True, **kwargs: Any) -> None:
        widget = MultipleFileInput if multiple else forms.FileInput
        kwargs.setdefault("widget", widget(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.limit = limit

    def clean(self, data: Any, initial: Any = None) -> list[photo_checks.PhotoUpload]:
        uploads: list[UploadedFile] = [
            upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload
        ]
        if len(uploads) > self.limit:
            raise ValidationError(
                _("At most %(n)s images at once.") % {"n": self.limit}, code="too_many"
            )
        cleaned: list[photo_checks.PhotoUpload] = []
        errors: list[str] = []
        limit = photo_checks.MAX_PHOTO_BYTES
        for upload in uploads:
            name = upload.name or "image"
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


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class NamedMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 空调 省电")}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
    )


class ContentForm(forms.Form):
    """What an article or a reminder says and whom it is for, the targets within the writer's
    reach offered."""

    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE)
    summary = forms.CharField(
        label=_("Summary (optional)"),
        max_length=services.MAX_SUMMARY,
        required=False,
        help_text=_("One or two sentences: what lists and the circles' posts show."),
    )
    body = TextField(
        label=_("Text"),
        max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Plain text. A blank line starts a paragraph; a line “## …” is a heading; lines "
            "starting with “- ” make a list; a line “[图1]” shows image 1 there."
        ),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    reach = forms.ChoiceField(
        label=_("For"), choices=Reach.choices, widget=forms.RadioSelect, initial=Reach.COMPOUNDS
    )
    district = NamedChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False
    )
    community = NamedChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False
    )
    compounds = NamedMultipleChoiceField(
        label=_("Compounds"),
        queryset=Compound.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        compounds = writable_compounds(user)
        ids = compounds.values("pk")
        fields: dict[str, Any] = self.fields
        fields["compounds"].queryset = Compound.objects.filter(pk__in=ids).order_by("name")
        fields["community"].queryset = (
            Community.objects.filter(compounds__in=ids).distinct().order_by("name")
        )
        fields["district"].queryset = (
            District.objects.filter(streets__communities__compounds__in=ids)
            .distinct()
            .order_by("name")
        )
        if not user.is_superuser:
            self.fields["reach"].choices = [  # type: ignore[attr-defined]
                choice for choice in Reach.choices if choice[0] != Reach.ALL
            ]

    def content(self) -> services.Content:
        data = self.cleaned_data
        return services.Content(
            title=data["title"],
            summary=data.get("summary", ""),
            body=data["body"],
            category=data["category"],
            target=services.Target(
                reach=data["reach"],
                district=data.get("district"),
                community=data.get("community"),
                compounds=tuple(data.get("compounds") or ()),
            ),
        )

    @staticmethod
    def initial_of(item: Article | SeasonalReminder) -> dict[str, Any]:
        return {
            "title": item.title,
            "summary": item.summary,
            "body": item.body,
            "category": item.category,
            "reach": item.reach,
            "district": item.district_id,
            "community": item.community_id,
            "compounds": list(item.compounds.values_list("pk", flat=True)),
        }


class ArticleForm(ContentForm):
    publish_at = forms.DateTimeField(
        label=_("Publish at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=_("Leave empty to publish when you press “Publish”; a later time schedules it."),
    )


class NewArticleForm(ArticleForm):
    cover = ImagesField(label=_("Cover image (optional)"), limit=1, multiple=False)
    images = ImagesField(label=_("Images in the text (optional)"), limit=services.MAX_IMAGES)


class ImagesForm(forms.Form):
    cover = ImagesField(label=_("New cover"), limit=1, multiple=False)
    images = ImagesField(label=_("Images in the text"), limit=services.MAX_IMAGES)


class ReminderForm(ContentForm):
    anchor = forms.ChoiceField(
        label=_("Its date each year"),
        choices=SeasonalReminder.Anchor.choices,
        widget=forms.RadioSelect,
        initial=SeasonalReminder.Anchor.FIXED,
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        choices=[("", "—"), *[(m, m) for m in range(1, 13)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    day = forms.TypedChoiceField(
        label=_("Day"),
        choices=[("", "—"), *[(d, d) for d in range(1, 32)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    days_before = forms.IntegerField(
        label=_("Days before the Spring Festival holiday"),
        min_value=0,
        max_value=services.MAX_DAYS_BEFORE,
        initial=7,
        required=False,
    )
    window_days = forms.IntegerField(
        label=_("Published within (days from its date)"),
        min_value=1,
        max_value=services.MAX_WINDOW_DAYS,
        initial=14,
        help_text=_("If the server was down on the day, it is still published within this time."),
    )

    def season(self) -> services.Season:
        data = self.cleaned_data
        return services.Season(
            anchor=data["anchor"],
            month=data.get("month"),
            day=data.get("day"),
            days_before=data.get("days_before") or 0,
            window_days=data["window_days"],
        )

    @staticmethod
    def initial_of(item: Article | SeasonalReminder) -> dict[str, Any]:
        initial = ContentForm.initial_of(item)
        if isinstance(item, SeasonalReminder):
            initial |= {
                "anchor": item.anchor,
                "month": item.month,
                "day": item.day,
                "days_before": item.days_before,
                "window_days": item.window_days,
            }
        return initial


class SeasonDateForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    date = forms.DateField(
        label=_("Date (empty: follow the rule)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class VoteForm(forms.Form):
    useful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Say whether it was useful.")},
    )
