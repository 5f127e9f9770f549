"""Knowledge pages: the public list with search (/knowledge/), an article with its images and
"was this useful" (/knowledge/<id>/), and the writers' desk (/desk/knowledge/…): drafts,
scheduled, published and withdrawn articles, the editor, images, and seasonal reminders. The
views parse, call one service and render; a refusal gets the status the API gives it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.core.calendar import china_date
from wudian.core.errors import REFUSED, NotAllowed, refusal_text, status_of
from wudian.core.throttle import client_address, throttle_wait
from wudian.grid.scope import own_households
from wudian.knowledge import services
from wudian.knowledge.forms import (
    ArticleForm,
    ImagesForm,
    NewArticleForm,
    ReminderForm,
    SearchForm,
    SeasonDateForm,
    VoteForm,
)
from wudian.knowledge.models import BILL_CATEGORIES, Article, ArticleImage, SeasonalReminder
from wudian.knowledge.policy import ARTICLES, REMINDERS, article_parties, reminder_parties
from wudian.knowledge.readers import reader_key, voter_key
from wudian.knowledge.selectors import (
    article_for_writer,
    articles_for_reader,
    articles_found,
    inline_images,
    is_writer,
    public_article,
    reminder_for_writer,
    writable_by,
)
from wudian.knowledge.text import blocks, plain

PAGE_SIZE = 20
# "Was this useful" answers a client may send in an hour (one counts per article).
VOTES_PER_HOUR = 60
TABS = {
    "drafts": Article.State.DRAFT,
    "scheduled": Article.State.SCHEDULED,
    "published": Article.State.PUBLISHED,
    "withdrawn": Article.State.WITHDRAWN,
}


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _writer(request: HttpRequest) -> User:
    user = _user(request)
    if not is_writer(user):
        raise NotAllowed(
            _("Only customer managers, supervisors and administrators write power knowledge.")
        )
    return user


def _covers() -> Prefetch[Any]:
    return Prefetch("images", queryset=ArticleImage.objects.filter(is_cover=True), to_attr="covers")


# The public pages -----------------------------------------------------------------------


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    """Published knowledge: the reader's compounds' first, then the city's; by category and
    by words."""
    user = _user(request)
    search = SearchForm(request.GET or None)
    articles = articles_for_reader(user)
    query, category, status = "", "", 200
    if search.is_bound:
        if search.is_valid():
            query = search.cleaned_data["q"]
            category = search.cleaned_data["category"]
        else:
            articles, status = articles.none(), 400
    articles = articles_found(articles, query=query, category=category)
    page = Paginator(
        articles.select_related("community", "district").prefetch_related(_covers()), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for article in page.object_list:
        article.excerpt = article.summary or plain(article.body)  # type: ignore[attr-defined]
    filters = {key: value for key, value in (("q", query), ("category", category)) if value}
    context = {
        "search": search,
        "page": page,
        "query": query,
        "category": category,
        "filter_query": urlencode(filters),
        "may_write": is_writer(user),
    }
    return render(request, "knowledge/article_list.html", context, status=status)


def _useful_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    session = getattr(request, "session", None)
    known = request.user.is_authenticated or bool(session and session.session_key)
    voted = services.vote_of(article, voter_key(request)) if known else None
    return {"article": article, "voted": voted, **extra}


@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published article, for anyone: a draft, a scheduled or a withdrawn one is not
    there (404). A read counts once a reader a day."""
    article = public_article(pk)
    if services.article_read(article=article, reader=reader_key(request)):
        article.views += 1
    images = list(article.images.all())
    cover = next((image for image in images if image.is_cover), None)
    numbered = inline_images(article)
    shown = {block.image.pk for block in blocks(article.body, numbered) if block.kind == "img"}
    related = list(
        articles_for_reader(_user(request))
        .filter(category=article.category)
        .exclude(pk=article.pk)[:3]
    )
    context = _useful_context(
        request,
        article,
        cover=cover,
        blocks=blocks(article.body, numbered),
        gallery=[image for image in numbered.values() if image.pk not in shown],
        related=related,
        bill_link=article.category in BILL_CATEGORIES
        and request.user.is_authenticated
        and own_households(request.user).exists(),
    )
    return render(request, "knowledge/article_detail.html", context)


@require_POST
def article_useful(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Was this useful?": one answer a reader (a user, or an anonymous browser session),
    throttled by address."""
    article = public_article(pk)
    form = VoteForm(request.POST)
    status, error = 200, ""
    wait = throttle_wait(
        scope="knowledge-vote",
        key=str(request.user.pk) if request.user.is_authenticated else client_address(request),
        limit=VOTES_PER_HOUR,
        window=3600,
    )
    if wait:
        status, error = 429, _("Too many answers from here; please try again later.")
    elif not form.is_valid():
        status, error = 422, " ".join(str(e) for e in form.errors.get("useful", []))
    else:
        try:
            article = services.article_vote(
                article=article,
                voter=voter_key(request),
                useful=form.cleaned_data["useful"],
                user=_user(request),
            )
        except REFUSED as refusal:
            status, error = status_of(refusal), refusal_text(refusal)
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, error)
        return redirect("knowledge:detail", pk=article.pk)
    context = _useful_context(request, article, useful_error=error)
    return render(request, "knowledge/article_detail.html#useful", context, status=status)


@require_GET
def article_image(request: HttpRequest, pk: int, image_id: int) -> FileResponse:
    """An image of an article: to anyone once the article is published, else to its writers;
    never a public media URL."""
    user = _user(request)
    article = Article.objects.filter(pk=pk, state=Article.State.PUBLISHED).first()
    if article is None:
        article = article_for_writer(user, pk)
    item = ArticleImage.objects.filter(article=article, pk=image_id).first()
    if item is None or not item.image.name:
        raise Http404
    try:
        handle = item.image.storage.open(item.image.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=item.content_type)
    public = article.state == Article.State.PUBLISHED
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# The writers' desk -----------------------------------------------------------------------


def _desk_articles(user: User, state: str) -> QuerySet[Article]:
    articles = writable_by(Article, user).filter(state=state)
    if state == Article.State.SCHEDULED:
        return articles.order_by("publish_at", "pk")
    if state == Article.State.DRAFT:
        return articles.order_by("-updated_at", "-pk")
    return articles.order_by("-published_at", "-pk")


@login_required
@require_GET
@never_cache
def desk_list(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    tab = request.GET.get("tab", "drafts")
    if tab not in (*TABS, "reminders"):
        tab = "drafts"
    counts = {
        name: writable_by(Article, user).filter(state=state).count() for name, state in TABS.items()
    }
    reminders = writable_by(SeasonalReminder, user)
    counts["reminders"] = reminders.count()
    context: dict[str, Any] = {"tab": tab, "counts": counts, "tabs": TABS}
    if tab == "reminders":
        today = china_date(timezone.now())
        rows = list(
            reminders.select_related("community", "district")
            .prefetch_related("dates", "publications", "compounds")
            .order_by("month", "day", "pk")
        )
        for reminder in rows:
            next_date = services.reminder_date(reminder, today.year)
            if (
                next_date is not None
                and next_date + datetime.timedelta(days=reminder.window_days) <= today
            ):
                next_date = services.reminder_date(reminder, today.year + 1)
            seasons = [a.season or 0 for a in reminder.publications.all()]
            setattr(reminder, "next_date", next_date)  # noqa: B010
            setattr(reminder, "last", max(seasons, default=None))  # noqa: B010
        context["reminders"] = rows
    else:
        page = Paginator(
            _desk_articles(user, TABS[tab])
            .select_related("author", "community", "district")
            .prefetch_related("compounds"),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        context["page"] = page
        context["filter_query"] = urlencode({"tab": tab})
    return render(request, "knowledge/desk_list.html", context)


def _submit(
    request: HttpRequest,
    form: Form,
    save: Callable[[dict[str, Any]], Any],
    *,
    done: str,
    then: Callable[[Any], str],
) -> HttpResponse | int:
    """Save a bound form through its service: the redirect to `then(saved)` once saved, else
    the status to show the form again with (422 for its fields; a refusal's own, told as a
    message)."""
    if not form.is_valid():
        return 422
    try:
        saved = save(form.cleaned_data)
    except REFUSED as refusal:
        text = refusal_text(refusal, form)
        if text:
            messages.error(request, text)
        return status_of(refusal)
    messages.success(request, done)
    return redirect(then(saved))


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def desk_new(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    form = NewArticleForm(request.POST or None, request.FILES or None, user=user)
    status = 200
    if request.method == "POST":
        outcome = _submit(
            request,
            form,
            lambda data: services.article_create(
                by=user,
                content=form.content(),
                publish_at=data.get("publish_at"),
                cover=(data.get("cover") or [None])[0],
                images=data.get("images") or [],
            ),
            done=_("The draft is saved. Publish it when it is ready."),
            then=lambda article: reverse("knowledge:desk_detail", args=[article.pk]),
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        status = outcome
    context = {"form": form, "images_lost": bool(request.FILES) and status != 200}
    return render(request, "knowledge/desk_new.html", context, status=status)


def _desk_detail_context(user: User, article: Article, **forms: Any) -> dict[str, Any]:
    parties = article_parties(user, article)
    images = list(article.images.all())
    numbered = inline_images(article)
    return {
        "article": article,
        "form": forms.get("form")
        or ArticleForm(
            initial=ArticleForm.initial_of(article)
            | {
                "publish_at": timezone.localtime(article.publish_at) if article.publish_at else None
            },
            user=user,
        ),
        "images_form": forms.get("images_form") or ImagesForm(),
        "actions": ARTICLES.allowed(article, parties, among=("publish", "withdraw")),
        "may_edit": ARTICLES.allows("edit", article, parties),
        "cover": next((image for image in images if image.is_cover), None),
        "numbered": sorted(numbered.items()),
        "blocks": blocks(article.body, numbered),
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def desk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An article being written: its text, targets and time; a preview; images; publish or
    withdraw."""
    user = _writer(request)
    article = article_for_writer(user, pk)
    status = 200
    form = None
    if request.method == "POST":
        form = ArticleForm(request.POST, user=user)
        outcome = _submit(
            request,
            form,
            lambda data: services.article_update(
                article=article,
                by=user,
                content=form.content(),
                publish_at=data.get("publish_at"),
            ),
            done=_("Saved."),
            then=lambda _saved: reverse("knowledge:desk_detail", args=[article.pk]),
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        status = outcome
    context = _desk_detail_context(user, article, form=form)
    return render(request, "knowledge/desk_detail.html", context, status=status)


ARTICLE_ACTIONS: dict[str, tuple[Callable[..., Article], Any]] = {
    "publish": (services.article_publish, _("Done: the article is published (or scheduled).")),
    "withdraw": (services.article_withdraw, _("The article is withdrawn.")),
}


@login_required
@require_POST
def desk_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ARTICLE_ACTIONS:
        raise Http404
    user = _writer(request)
    article = article_for_writer(user, pk)
    service, done = ARTICLE_ACTIONS[action]
    try:
        article = service(article=article, by=user)
    except REFUSED as refusal:
        context = _desk_detail_context(user, article)
        messages.error(request, refusal_text(refusal))
        return render(request, "knowledge/desk_detail.html", context, status=status_of(refusal))
    if action == "publish" and article.state == Article.State.SCHEDULED:
        messages.success(
            request,
            _("Scheduled: it is published at %(at)s.")
            % {"at": timezone.localtime(article.publish_at).strftime("%Y-%m-%d %H:%M")},
        )
    else:
        messages.success(request, str(done))
    return redirect("knowledge:desk_detail", pk=article.pk)


@login_required
@require_POST
def desk_images(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a cover or inline images; each is checked as request photos are."""
    user = _writer(request)
    article = article_for_writer(user, pk)
    form = ImagesForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            services.article_add_images(
                article=article,
                by=user,
                cover=(form.cleaned_data.get("cover") or [None])[0],
                images=form.cleaned_data.get("images") or [],
            )
        except REFUSED as refusal:
            status = status_of(refusal)
            text = refusal_text(refusal, form)
            if text:
                messages.error(request, text)
        else:
            messages.success(request, _("The images are added."))
            return redirect("knowledge:desk_detail", pk=article.pk)
    context = _desk_detail_context(user, article, images_form=form)
    return render(request, "knowledge/desk_detail.html", context, status=status)


@login_required
@require_POST
def desk_image_remove(request: HttpRequest, pk: int, image_id: int) -> HttpResponse:
    user = _writer(request)
    article = article_for_writer(user, pk)
    try:
        services.article_remove_image(article=article, by=user, image_id=image_id)
    except REFUSED as refusal:
        messages.error(request, refusal_text(refusal))
        context = _desk_detail_context(user, article)
        return render(request, "knowledge/desk_detail.html", context, status=status_of(refusal))
    messages.success(request, _("The image is removed."))
    return redirect("knowledge:desk_detail", pk=article.pk)


# Seasonal reminders ----------------------------------------------------------------------


def _reminder_context(
    user: User, reminder: SeasonalReminder | None, **forms: Any
) -> dict[str, Any]:
    context: dict[str, Any] = {"reminder": reminder, **forms}
    if reminder is None:
        return context
    today = china_date(timezone.now())
    parties = reminder_parties(user, reminder)
    context |= {
        "form": forms.get("form")
        or ReminderForm(initial=ReminderForm.initial_of(reminder), user=user),
        "date_form": forms.get("date_form") or SeasonDateForm(initial={"year": today.year + 1}),
        "actions": REMINDERS.allowed(reminder, parties, among=("pause", "resume")),
        "years": [
            (year, services.reminder_date(reminder, year))
            for year in range(today.year, today.year + 3)
        ],
        "dates": list(reminder.dates.all()),
        "publications": list(reminder.publications.order_by("-season")),
    }
    return context


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def reminder_new(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    form = ReminderForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        outcome = _submit(
            request,
            form,
            lambda _data: services.reminder_create(
                by=user, content=form.content(), season=form.season()
            ),
            done=_("The seasonal reminder is saved."),
            then=lambda reminder: reverse("knowledge:reminder_detail", args=[reminder.pk]),
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        status = outcome
    return render(
        request, "knowledge/desk_reminder.html", {"form": form, "reminder": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def reminder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    reminder = reminder_for_writer(user, pk)
    status, form = 200, None
    if request.method == "POST":
        form = ReminderForm(request.POST, user=user)
        outcome = _submit(
            request,
            form,
            lambda _data: services.reminder_update(
                reminder=reminder, by=user, content=form.content(), season=form.season()
            ),
            done=_("Saved."),
            then=lambda _saved: reverse("knowledge:reminder_detail", args=[reminder.pk]),
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        status = outcome
    context = _reminder_context(user, reminder, form=form)
    return render(request, "knowledge/desk_reminder.html", context, status=status)


@login_required
@require_POST
def reminder_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Pause or resume a reminder, or set its date in one year."""
    if action not in ("pause", "resume", "date"):
        raise Http404
    user = _writer(request)
    reminder = reminder_for_writer(user, pk)
    date_form = None
    try:
        if action == "date":
            date_form = SeasonDateForm(request.POST)
            if not date_form.is_valid():
                context = _reminder_context(user, reminder, date_form=date_form)
                return render(request, "knowledge/desk_reminder.html", context, status=422)
            services.reminder_set_date(
                reminder=reminder,
                by=user,
                year=date_form.cleaned_data["year"],
                date=date_form.cleaned_data.get("date"),
            )
        else:
            services.reminder_pause(reminder=reminder, by=user, active=action == "resume")
    except REFUSED as refusal:
        text = refusal_text(refusal, date_form)
        if text:
            messages.error(request, text)
        context = _reminder_context(user, reminder, date_form=date_form)
        return render(request, "knowledge/desk_reminder.html", context, status=status_of(refusal))
    messages.success(request, _("Saved."))
    return redirect("knowledge:reminder_detail", pk=reminder.pk)
