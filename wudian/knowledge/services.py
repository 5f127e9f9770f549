"""Every write of power knowledge: writing, publishing (at once or scheduled), withdrawing,
images, reads and "was this useful", seasonal reminders and their yearly publication; and
handing a published article to the circles it is for (article_announce, the one hand-off).

Refusals: outside the writer's reach OutsideScope (selectors), not a writer or a target they
do not serve NotAllowed, the wrong state WrongState, bad input BadInput naming its field.
Nothing is saved when anything is refused: each action is one transaction, and image files
written before a failure are deleted again."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.circles.models import Post
from wudian.circles.selectors import circles_of_compounds
from wudian.circles.services import post_publish, posts_withdraw
from wudian.core.calendar import CHINA, CalendarUnavailable, china_date, spring_festival_holiday
from wudian.core.errors import BadInput, WrongState, invalid
from wudian.core.photos import PhotoUpload, photo_store, photos_removed_on_failure
from wudian.grid.models import Community, Compound, District
from wudian.knowledge.models import (
    Article,
    ArticleImage,
    ArticleVote,
    Category,
    Reach,
    SeasonalDate,
    SeasonalReminder,
)
from wudian.knowledge.policy import (
    ARTICLES,
    REMINDERS,
    article_parties,
    check_may_write,
    reminder_parties,
)
from wudian.knowledge.selectors import target_compounds
from wudian.knowledge.text import plain

logger = logging.getLogger(__name__)

MAX_TITLE = 80
MAX_SUMMARY = 200
MAX_BODY = 20_000
MAX_COMPOUNDS = 200
MAX_IMAGES = 12
# How far ahead an article may be scheduled.
MAX_SCHEDULE = datetime.timedelta(days=366)
MAX_WINDOW_DAYS = 60
MAX_DAYS_BEFORE = 30
State = Article.State


# What an article or a reminder says, and whom it is for ------------------------------------


@dataclass(frozen=True)
class Target:
    reach: str = Reach.ALL
    district: District | None = None
    community: Community | None = None
    compounds: Sequence[Compound] = ()

    def compound_ids(self) -> set[int]:
        if self.reach == Reach.COMPOUNDS:
            return {compound.pk for compound in self.compounds}
        if self.reach == Reach.DISTRICT and self.district is not None:
            found = Compound.objects.filter(community__street__district=self.district)
        elif self.reach == Reach.COMMUNITY and self.community is not None:
            found = Compound.objects.filter(community=self.community)
        else:
            found = Compound.objects.all()
        return set(found.values_list("pk", flat=True))


@dataclass(frozen=True)
class Content:
    title: str
    body: str
    category: str
    summary: str = ""
    target: Target = field(default_factory=Target)


def _text(value: str) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _cleaned(content: Content) -> Content:
    """The content with its text tidied, or BadInput naming every field at fault."""
    title, summary, body = _text(content.title), _text(content.summary), _text(content.body)
    errors: dict[str, list[ValidationError]] = {}

    def refuse(name: str, message: str, code: str) -> None:
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if not title:
        refuse("title", _("Give the article a title."), "required")
    elif len(title) > MAX_TITLE:
        refuse("title", _("A title may have at most %(n)s characters.") % {"n": MAX_TITLE}, "long")
    if "\n" in title:
        refuse("title", _("A title is one line."), "lines")
    if len(summary) > MAX_SUMMARY:
        refuse(
            "summary",
            _("A summary may have at most %(n)s characters.") % {"n": MAX_SUMMARY},
            "long",
        )
    if not body:
        refuse("body", _("Write the text of the article."), "required")
    elif len(body) > MAX_BODY:
        refuse("body", _("The text may have at most %(n)s characters.") % {"n": MAX_BODY}, "long")
    if content.category not in Category.values:
        refuse("category", _("Choose one of the six categories."), "invalid")
    target = content.target
    if target.reach not in Reach.values:
        refuse("reach", _("Choose whom it is for."), "invalid")
    elif target.reach == Reach.DISTRICT and target.district is None:
        refuse("district", _("Choose the district it is for."), "required")
    elif target.reach == Reach.COMMUNITY and target.community is None:
        refuse("community", _("Choose the community it is for."), "required")
    elif target.reach == Reach.COMPOUNDS and not target.compounds:
        refuse("compounds", _("Choose at least one compound it is for."), "required")
    elif target.reach == Reach.COMPOUNDS and len(target.compounds) > MAX_COMPOUNDS:
        refuse(
            "compounds",
            _("At most %(n)s compounds; choose their community or district instead.")
            % {"n": MAX_COMPOUNDS},
            "too_many",
        )
    if errors:
        raise BadInput(errors)
    # Only the reach's own target is kept.
    target = Target(
        reach=target.reach,
        district=target.district if target.reach == Reach.DISTRICT else None,
        community=target.community if target.reach == Reach.COMMUNITY else None,
        compounds=tuple(target.compounds) if target.reach == Reach.COMPOUNDS else (),
    )
    return Content(
        title=title, summary=summary, body=body, category=content.category, target=target
    )


def _check_publish_at(publish_at: datetime.datetime | None, now: datetime.datetime) -> None:
    if publish_at is not None and publish_at > now + MAX_SCHEDULE:
        raise invalid(
            "publish_at", _("An article may be scheduled at most a year ahead."), "too_far"
        )


def _apply(item: Article | SeasonalReminder, content: Content) -> None:
    item.title = content.title
    item.summary = content.summary
    item.body = content.body
    item.category = content.category
    item.reach = content.target.reach
    item.district = content.target.district
    item.community = content.target.community


CONTENT_FIELDS = ["title", "summary", "body", "category", "reach", "district", "community"]


def _set_compounds(item: Article | SeasonalReminder, target: Target) -> None:
    item.compounds.set(target.compounds if target.reach == Reach.COMPOUNDS else [])


def _same_target(item: Article | SeasonalReminder, target: Target) -> bool:
    return (
        item.reach == target.reach
        and item.district_id == (target.district.pk if target.district else None)
        and item.community_id == (target.community.pk if target.community else None)
        and set(item.compounds.values_list("pk", flat=True))
        == {compound.pk for compound in target.compounds}
    )


# Images -------------------------------------------------------------------------------


def _attach(
    article: Article, photo: PhotoUpload, *, by: User | None, cover: bool, position: int
) -> ArticleImage:
    item = ArticleImage(article=article, is_cover=cover, position=position, uploaded_by=by)
    return photo_store(item, photo)


def _add_images(
    article: Article,
    attached: list[ArticleImage],
    *,
    by: User | None,
    cover: PhotoUpload | None,
    images: Sequence[PhotoUpload],
) -> None:
    inline = article.images.filter(is_cover=False)
    if inline.count() + len(images) > MAX_IMAGES:
        raise invalid(
            "images",
            _("An article may have at most %(n)s images besides its cover.") % {"n": MAX_IMAGES},
            "too_many",
        )
    if cover is not None:
        for old in article.images.filter(is_cover=True):
            # The file goes once the row is gone for good.
            transaction.on_commit(partial(old.image.delete, save=False))
            old.delete()
        attached.append(_attach(article, cover, by=by, cover=True, position=0))
    last = max(inline.values_list("position", flat=True), default=0)
    for offset, photo in enumerate(images, start=1):
        attached.append(_attach(article, photo, by=by, cover=False, position=last + offset))


# Articles ------------------------------------------------------------------------------


def _locked(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def article_create(
    *,
    by: User,
    content: Content,
    publish_at: datetime.datetime | None = None,
    cover: PhotoUpload | None = None,
    images: Sequence[PhotoUpload] = (),
    now: datetime.datetime | None = None,
) -> Article:
    """Write a draft (published by article_publish)."""
    now = now or timezone.now()
    content = _cleaned(content)
    _check_publish_at(publish_at, now)
    check_may_write(by, reach=content.target.reach, compound_ids=content.target.compound_ids())
    with photos_removed_on_failure() as attached, transaction.atomic():
        article = Article(author=by, publish_at=publish_at)
        _apply(article, content)
        article.save()
        _set_compounds(article, content.target)
        _add_images(article, attached, by=by, cover=cover, images=images)
    return article


def article_update(
    *,
    article: Article,
    by: User,
    content: Content,
    publish_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Article:
    """Change what an article says, whom it is for and, before it is published, when it is
    published. A new target must lie within the writer's reach too."""
    now = now or timezone.now()
    content = _cleaned(content)
    with transaction.atomic():
        article = _locked(article)
        ARTICLES.check("edit", article, article_parties(by, article))
        if not _same_target(article, content.target):
            check_may_write(
                by, reach=content.target.reach, compound_ids=content.target.compound_ids()
            )
        fields = list(CONTENT_FIELDS)
        if article.state != State.PUBLISHED:
            _check_publish_at(publish_at, now)
            article.publish_at = publish_at
            fields.append("publish_at")
        _apply(article, content)
        article.save(update_fields=[*fields, "updated_at"])
        _set_compounds(article, content.target)
        if article.state == State.SCHEDULED and (publish_at is None or publish_at <= now):
            _publish_now(article, now)
    return article


def _publish_now(article: Article, now: datetime.datetime) -> None:
    article.state = State.PUBLISHED
    article.published_at = now
    article.publish_at = article.publish_at or now
    article.withdrawn_at = None
    article.save(
        update_fields=["state", "published_at", "publish_at", "withdrawn_at", "updated_at"]
    )
    _announce_on_commit(article.pk, now)


def article_publish(*, article: Article, by: User, now: datetime.datetime | None = None) -> Article:
    """Publish now, or schedule it when its publish time lies ahead (the periodic task
    publishes it then). The circles it is for are told once, on its first publication."""
    now = now or timezone.now()
    with transaction.atomic():
        article = _locked(article)
        ARTICLES.check("publish", article, article_parties(by, article))
        if article.publish_at is not None and article.publish_at > now:
            article.state = State.SCHEDULED
            article.withdrawn_at = None
            article.save(update_fields=["state", "withdrawn_at", "updated_at"])
        else:
            _publish_now(article, now)
    return article


def article_withdraw(
    *, article: Article, by: User, now: datetime.datetime | None = None
) -> Article:
    """Take a published or scheduled article off every list and page, and its posts out of
    the circles (kept for staff with the reason); published again, it is posted anew."""
    now = now or timezone.now()
    with transaction.atomic():
        article = _locked(article)
        ARTICLES.check("withdraw", article, article_parties(by, article))
        article.state = State.WITHDRAWN
        article.withdrawn_at = now
        article.announced_at = None
        article.save(update_fields=["state", "withdrawn_at", "announced_at", "updated_at"])
        posts_withdraw(
            link=article_link(article),
            reason=_("The article was withdrawn by its writer."),
            now=now,
        )
    return article


def article_add_images(
    *,
    article: Article,
    by: User,
    cover: PhotoUpload | None = None,
    images: Sequence[PhotoUpload] = (),
) -> list[ArticleImage]:
    """Add checked images (core.photos): a new cover replaces the old one; inline images are
    numbered after those there."""
    if cover is None and not images:
        raise invalid("images", _("Choose at least one image."), "required")
    with photos_removed_on_failure() as attached, transaction.atomic():
        article = _locked(article)
        ARTICLES.check("images", article, article_parties(by, article))
        _add_images(article, attached, by=by, cover=cover, images=images)
        Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    return attached


def article_remove_image(*, article: Article, by: User, image_id: int) -> None:
    with transaction.atomic():
        article = _locked(article)
        ARTICLES.check("images", article, article_parties(by, article))
        image = article.images.filter(pk=image_id).first()
        if image is None:
            raise invalid("image", _("This image is not one of the article's."), "invalid")
        image.delete()
        transaction.on_commit(partial(image.image.delete, save=False))


def articles_publish_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Publish the scheduled articles whose time has come (the periodic task); safe to run
    twice and beside another run: each is taken by one conditional update."""
    now = now or timezone.now()
    due = Article.objects.filter(state=State.SCHEDULED, publish_at__lte=now)
    published: list[int] = []
    for pk in due.order_by("publish_at", "pk").values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            taken = Article.objects.filter(pk=pk, state=State.SCHEDULED).update(
                state=State.PUBLISHED, published_at=F("publish_at"), updated_at=now
            )
            if taken:
                published.append(pk)
                _announce_on_commit(pk, now)
    return published


# Reads and votes ------------------------------------------------------------------------


def _end_of_day(now: datetime.datetime) -> int:
    tomorrow = datetime.datetime.combine(
        china_date(now) + datetime.timedelta(days=1), datetime.time.min, CHINA
    )
    return max(60, int((tomorrow - now).total_seconds()))


def article_read(*, article: Article, reader: str, now: datetime.datetime | None = None) -> bool:
    """Count one read: once a reader a day (China's day), with one UPDATE … SET views =
    views + 1. Whether it counted."""
    now = now or timezone.now()
    key = f"knowledge:read:{article.pk}:{china_date(now).isoformat()}:{reader}"
    try:
        first = cache.add(key, 1, timeout=_end_of_day(now))
    except Exception:
        # A count is not worth a page: with the cache away, the read is not counted.
        logger.warning("Could not count a read of knowledge %s", article.pk, exc_info=True)
        return False
    if not first:
        return False
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
    return True


def article_vote(
    *, article: Article, voter: str, useful: bool, user: User | None = None
) -> Article:
    """One reader's "was this useful" on a published article; a second answer is refused."""
    with transaction.atomic():
        if not Article.objects.filter(pk=article.pk, state=State.PUBLISHED).exists():
            raise WrongState(_("This article is not published."))
        try:
            with transaction.atomic():
                ArticleVote.objects.create(
                    article=article,
                    voter=voter,
                    user=user if user is not None and user.is_authenticated else None,
                    useful=useful,
                )
        except IntegrityError:
            raise WrongState(
                _("You have already told us whether this article was useful. Thank you!"),
                code="voted",
            ) from None
        counter = "useful_yes" if useful else "useful_no"
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    article.refresh_from_db(fields=["views", "useful_yes", "useful_no"])
    return article


def vote_of(article: Article, voter: str) -> bool | None:
    """The reader's answer, if they gave one."""
    return (
        ArticleVote.objects.filter(article=article, voter=voter)
        .values_list("useful", flat=True)
        .first()
    )


def _announce_on_commit(pk: int, now: datetime.datetime) -> None:
    transaction.on_commit(partial(_announce_by_id, pk, now))


def _announce_by_id(pk: int, now: datetime.datetime) -> None:
    """After the publication's commit, posted as of the publication's time: a failure is
    logged, and articles_announce_missed tries again from the periodic task; the publication
    itself stands."""
    try:
        article_announce(Article.objects.get(pk=pk), now=now)
    except Exception:
        logger.exception("Knowledge article %s could not be posted to its circles", pk)


# The hand-off to the circles -----------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """What the circles the article is for are told: a staff post of kind "knowledge"."""

    author: User | None
    compounds: QuerySet[Compound]
    kind: str
    title: str
    body: str
    link: str


def announcement_of(article: Article) -> Announcement:
    """Posted by the article's author; a seasonal reminder's by the system."""
    return Announcement(
        author=None if article.reminder_id is not None else article.author,
        compounds=target_compounds(article),
        kind=Post.Kind.KNOWLEDGE,
        title=article.title,
        body=article.summary or plain(article.body, 120),
        link=article_link(article),
    )


def article_link(article: Article) -> str:
    """The article's page: the link its circle posts carry."""
    return reverse("knowledge:detail", args=[article.pk])


def article_announce(article: Article, *, now: datetime.datetime | None = None) -> list[Post]:
    """Post a published article in the circles of the compounds it is for, once (its first
    publication; a withdrawn article published again is not posted twice): the one hand-off
    from knowledge to the circles. Returns the posts (none when it was posted before)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Article.objects.filter(
            pk=article.pk, state=State.PUBLISHED, announced_at__isnull=True
        ).update(announced_at=now)
        if not claimed:
            return []
        return post_to_circles(announcement_of(article), now=now)


def post_to_circles(announcement: Announcement, *, now: datetime.datetime) -> list[Post]:
    """One post in each circle covering the compounds. Knowledge's own table allowed the
    writer to publish for these compounds; a writer the circles do not let post there (a
    supervisor reads circles and posts nothing; a manager no longer serving one) is
    replaced by the system, as a seasonal reminder is."""
    circles = list(circles_of_compounds(announcement.compounds))
    if not circles:
        return []
    post = partial(
        post_publish,
        circles=circles,
        kind=announcement.kind,
        title=announcement.title,
        body=announcement.body,
        link=announcement.link,
        now=now,
    )
    if announcement.author is not None:
        try:
            with transaction.atomic():
                return post(author=announcement.author)
        except (PermissionDenied, Http404):
            logger.info("Knowledge %s is posted by the system", announcement.link)
    return post(author=None)


def articles_announce_missed(*, now: datetime.datetime | None = None) -> int:
    """Post the articles published in the last two days whose posting failed (the periodic
    task): safe beside a posting under way, each is claimed once."""
    now = now or timezone.now()
    missed = Article.objects.filter(
        state=State.PUBLISHED,
        announced_at__isnull=True,
        published_at__gte=now - datetime.timedelta(days=2),
        published_at__lte=now - datetime.timedelta(minutes=1),
    )
    posted = 0
    for article in missed.order_by("pk")[:100]:
        try:
            posted += bool(article_announce(article, now=now))
        except Exception:
            logger.exception("Knowledge article %s could not be posted to its circles", article.pk)
    return posted


# Seasonal reminders -------------------------------------------------------------------


@dataclass(frozen=True)
class Season:
    """When a reminder comes each year."""

    anchor: str = SeasonalReminder.Anchor.FIXED
    month: int | None = None
    day: int | None = None
    days_before: int = 0
    window_days: int = 14


def _cleaned_season(season: Season) -> Season:
    errors: dict[str, list[ValidationError]] = {}

    def refuse(name: str, message: str, code: str) -> None:
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if season.anchor not in SeasonalReminder.Anchor.values:
        refuse("anchor", _("Choose how its date is found each year."), "invalid")
    elif season.anchor == SeasonalReminder.Anchor.FIXED:
        try:
            # 29 February comes only in leap years: refused.
            datetime.date(2023, season.month or 0, season.day or 0)
        except (TypeError, ValueError):
            refuse("day", _("Give a day that comes every year, such as 6-15."), "invalid")
    if not 0 <= season.days_before <= MAX_DAYS_BEFORE:
        refuse(
            "days_before",
            _("Between 0 and %(n)s days before.") % {"n": MAX_DAYS_BEFORE},
            "invalid",
        )
    if not 1 <= season.window_days <= MAX_WINDOW_DAYS:
        refuse(
            "window_days",
            _("Between 1 and %(n)s days.") % {"n": MAX_WINDOW_DAYS},
            "invalid",
        )
    if errors:
        raise BadInput(errors)
    fixed = season.anchor == SeasonalReminder.Anchor.FIXED
    return Season(
        anchor=season.anchor,
        month=season.month if fixed else None,
        day=season.day if fixed else None,
        days_before=0 if fixed else season.days_before,
        window_days=season.window_days,
    )


def _apply_season(reminder: SeasonalReminder, season: Season) -> None:
    reminder.anchor = season.anchor
    reminder.month = season.month
    reminder.day = season.day
    reminder.days_before = season.days_before
    reminder.window_days = season.window_days


SEASON_FIELDS = ["anchor", "month", "day", "days_before", "window_days"]


def reminder_create(*, by: User, content: Content, season: Season) -> SeasonalReminder:
    content, season = _cleaned(content), _cleaned_season(season)
    check_may_write(by, reach=content.target.reach, compound_ids=content.target.compound_ids())
    with transaction.atomic():
        reminder = SeasonalReminder(author=by)
        _apply(reminder, content)
        _apply_season(reminder, season)
        reminder.save()
        _set_compounds(reminder, content.target)
    return reminder


def _locked_reminder(reminder: SeasonalReminder) -> SeasonalReminder:
    return SeasonalReminder.objects.select_for_update().get(pk=reminder.pk)


def reminder_update(
    *, reminder: SeasonalReminder, by: User, content: Content, season: Season
) -> SeasonalReminder:
    """Change a reminder; what it published in past years stays as it was."""
    content, season = _cleaned(content), _cleaned_season(season)
    with transaction.atomic():
        reminder = _locked_reminder(reminder)
        REMINDERS.check("edit", reminder, reminder_parties(by, reminder))
        if not _same_target(reminder, content.target):
            check_may_write(
                by, reach=content.target.reach, compound_ids=content.target.compound_ids()
            )
        _apply(reminder, content)
        _apply_season(reminder, season)
        reminder.save(update_fields=[*CONTENT_FIELDS, *SEASON_FIELDS, "updated_at"])
        _set_compounds(reminder, content.target)
    return reminder


def reminder_pause(*, reminder: SeasonalReminder, by: User, active: bool) -> SeasonalReminder:
    """Pause a reminder (it publishes nothing until resumed) or resume it."""
    with transaction.atomic():
        reminder = _locked_reminder(reminder)
        REMINDERS.check("resume" if active else "pause", reminder, reminder_parties(by, reminder))
        reminder.active = active
        reminder.save(update_fields=["active", "updated_at"])
    return reminder


def reminder_set_date(
    *, reminder: SeasonalReminder, by: User, year: int, date: datetime.date | None
) -> SeasonalReminder:
    """Set (or, with no date, clear) the reminder's date in one year."""
    if not 2000 <= year <= 2100:
        raise invalid("year", _("Give a year such as 2027."), "invalid")
    if date is not None and abs(date.year - year) > 1:
        raise invalid("date", _("The date must lie in or next to that year."), "invalid")
    with transaction.atomic():
        reminder = _locked_reminder(reminder)
        REMINDERS.check("edit", reminder, reminder_parties(by, reminder))
        if date is None:
            SeasonalDate.objects.filter(reminder=reminder, year=year).delete()
        else:
            SeasonalDate.objects.update_or_create(
                reminder=reminder, year=year, defaults={"date": date}
            )
    return reminder


def reminder_date(reminder: SeasonalReminder, year: int) -> datetime.date | None:
    """The reminder's date in that year: the date set for the year, else its rule; None when
    the rule cannot tell (a Spring Festival the official calendar does not list yet)."""
    # all(): the prefetched dates when the caller prefetched them.
    for set_date in reminder.dates.all():
        if set_date.year == year:
            return set_date.date
    if reminder.anchor == SeasonalReminder.Anchor.SPRING_FESTIVAL:
        try:
            holiday = spring_festival_holiday(year)
        except CalendarUnavailable:
            return None
        return holiday - datetime.timedelta(days=reminder.days_before)
    return datetime.date(year, reminder.month or 1, reminder.day or 1)


def reminder_due_season(reminder: SeasonalReminder, today: datetime.date) -> int | None:
    """The season (year) whose publication of the reminder is due today, if any: today lies
    within `window_days` from its date."""
    for year in (today.year, today.year + 1, today.year - 1):
        date = reminder_date(reminder, year)
        if date is not None and date <= today < date + datetime.timedelta(
            days=reminder.window_days
        ):
            return year
    return None


def reminders_publish_due(*, now: datetime.datetime | None = None) -> list[Article]:
    """Publish each active reminder whose date has come, as an article for its targets, once a
    year: the article is the year's publication record (unique per reminder and season), so a
    second run, or one beside it, publishes nothing more."""
    now = now or timezone.now()
    today = china_date(now)
    published: list[Article] = []
    reminders = (
        SeasonalReminder.objects.filter(active=True)
        .prefetch_related("dates", "compounds")
        .order_by("pk")
    )
    for reminder in reminders:
        season = reminder_due_season(reminder, today)
        if season is None or reminder.publications.filter(season=season).exists():
            continue
        try:
            with transaction.atomic():
                article = Article(
                    title=reminder.title,
                    summary=reminder.summary,
                    body=reminder.body,
                    category=reminder.category,
                    reach=reminder.reach,
                    district_id=reminder.district_id,
                    community_id=reminder.community_id,
                    author=reminder.author,
                    reminder=reminder,
                    season=season,
                    state=State.PUBLISHED,
                    publish_at=now,
                    published_at=now,
                )
                article.save()
                article.compounds.set(reminder.compounds.all())
                pk = article.pk
                _announce_on_commit(pk, now)
        except IntegrityError:
            # Published by a run beside this one.
            continue
        published.append(article)
    return published
