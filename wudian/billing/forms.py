"""The upload forms of the business hall's lists (arrears, readings): a file of at most the
form's size; what is in it is the import's to check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class UploadForm(forms.Form):
    max_bytes = 64 * 1024 * 1024
    file = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(n)s MB.") % {"n": self.max_bytes // 1024 // 1024}
            )
        return upload


class ArrearsUploadForm(UploadForm):
    as_of = forms.DateField(
        label=gettext_lazy("List as of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The day the marketing system drew up the list (default: today)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext_lazy("List file (.xlsx or .csv)")


class ReadingsUploadForm(UploadForm):
    # A city's month of daily registers runs to millions of rows: allow a large .csv.
    max_bytes = 256 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext_lazy("Readings file (.xlsx or .csv)")
