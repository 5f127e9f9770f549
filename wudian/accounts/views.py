from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wudian.accounts.models import Role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def duties(request: HttpRequest) -> HttpResponse:
    roles = Role.objects.prefetch_related("duties")
    return render(request, "accounts/duties.html", {"roles": roles})
