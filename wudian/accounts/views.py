from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from wudian.accounts.forms import LoginForm, WudianPasswordChangeForm
from wudian.accounts.models import User
from wudian.accounts.services import api_tokens_revoke_all


def login_refused(response: HttpResponse, form: LoginForm) -> HttpResponse:
    """The login page (ours or the admin's) showing a refused form, with its status."""
    response.status_code = form.refusal_status
    if form.locked_for:
        response["Retry-After"] = str(form.locked_for)
    return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        return login_refused(super().form_invalid(form), form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = WudianPasswordChangeForm
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: WudianPasswordChangeForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        # Someone who changes a password because it leaked must not leave working tokens
        # behind; Django already ends the other browser sessions.
        api_tokens_revoke_all(user=form.user)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A member of staff's portrait, as the compound windows show it to everyone. Uploaded
    files are served only through views like this one, never as a public media folder."""
    person = get_object_or_404(User, pk=pk, is_active=True)
    if not person.photo.name:
        raise Http404
    try:
        handle = person.photo.storage.open(person.photo.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
