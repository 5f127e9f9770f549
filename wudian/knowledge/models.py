"""Power knowledge (用电知识): articles in the station's six categories, whom they are for
(the whole city, a district, a community or some compounds), their images, how often they are
read and whether readers found them useful; and the seasonal reminders written once and
published as an article each year on their date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wudian.core.badges import Badge, Tone, badge
from wudian.grid.models import Community, Compound, District


class Category(models.TextChoices):
    SAFE_USE = "safe_use", _("Safe use of power")
    SAVING = "saving", _("Saving power")
    TARIFF = "tariff", _("Tariff policy")
    PAYMENT = "payment", _("Smart payment")
    SMART_METER = "smart_meter", _("Smart-meter billing")
    FACILITIES = "facilities", _("Protecting power facilities")


# The categories whose articles tell how a bill is computed (tiers, peak/valley, the smart
# meter's readings): they link a resident with a household to their own bill explained.
BILL_CATEGORIES = frozenset({Category.TARIFF, Category.SMART_METER})


class Reach(models.TextChoices):
    """Whom a piece of knowledge is for."""

    ALL = "all", _("The whole city")
    DISTRICT = "district", _("A district")
    COMMUNITY = "community", _("A community")
    COMPOUNDS = "compounds", _("Some compounds")


class Targeted(models.Model):
    """Whom it is for: everyone, one district, one community, or the compounds listed."""

    reach = models.CharField(_("for"), max_length=12, choices=Reach.choices, default=Reach.ALL)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    def target_label(self) -> str:
        if self.reach == Reach.DISTRICT and self.district is not None:
            return str(self.district.name)
        if self.reach == Reach.COMMUNITY and self.community is not None:
            return str(self.community.name)
        if self.reach == Reach.COMPOUNDS:
            return "、".join(c.name for c in self.compounds.all())  # type: ignore[attr-defined]
        return str(Reach.ALL.label)


# The one target each reach names, and none of the others.
TARGET_CONSTRAINTS = [
    (
        "target",
        Q(reach=Reach.ALL, district__isnull=True, community__isnull=True)
        | Q(reach=Reach.DISTRICT, district__isnull=False, community__isnull=True)
        | Q(reach=Reach.COMMUNITY, district__isnull=True, community__isnull=False)
        | Q(reach=Reach.COMPOUNDS, district__isnull=True, community__isnull=True),
    )
]


class Article(Targeted):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=80)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    # Plain text: paragraphs split by blank lines; a line "## …" is a heading, "- …" a list
    # item, "[图2]" the second image. Rendered by knowledge.text, always escaped.
    body = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    # When it is (to be) published: a scheduled article is published by the periodic task.
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # When it was handed to the circles it targets (once, at its first publication).
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    compounds = models.ManyToManyField(
        Compound, verbose_name=_("compounds"), blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The seasonal reminder it was published from, and for which year.
    reminder = models.ForeignKey(
        "SeasonalReminder",
        verbose_name=_("seasonal reminder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="publications",
    )
    season = models.PositiveSmallIntegerField(_("year of the season"), null=True, blank=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    useful_yes = models.PositiveIntegerField(_("found it useful"), default=0)
    useful_no = models.PositiveIntegerField(_("did not"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["state", "-published_at"], name="knowledge_article_list")]
        constraints = [
            *(
                models.CheckConstraint(condition=condition, name=f"knowledge_article_{name}")
                for name, condition in TARGET_CONSTRAINTS
            ),
            # One publication of a seasonal reminder a year, however often the task runs.
            models.UniqueConstraint(
                fields=["reminder", "season"],
                condition=Q(reminder__isnull=False),
                name="knowledge_one_publication_a_year",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state_badge(self) -> Badge:
        return badge(Article.State, self.state, STATE_TONES, default=Tone.MUTED)

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)


STATE_TONES = {
    Article.State.DRAFT: Tone.WARN,
    Article.State.SCHEDULED: Tone.INFO,
    Article.State.PUBLISHED: Tone.OK,
    Article.State.WITHDRAWN: Tone.MUTED,
}


def image_path(instance: ArticleImage, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"knowledge/{instance.article_id}/{instance.digest[:16]}.{suffix}"


class ArticleImage(models.Model):
    """A cover or an inline image of an article: checked and re-encoded on upload, served only
    through the article's image view (to everyone once the article is published)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=image_path)
    is_cover = models.BooleanField(_("cover"), default=False)
    # Inline images are numbered 1, 2, … in the order they were added: "[图2]" in the text.
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    digest = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article image")
        verbose_name_plural = _("article images")
        ordering = ["-is_cover", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article"], condition=Q(is_cover=True), name="knowledge_one_cover"
            )
        ]

    def __str__(self) -> str:
        return self.image.name or ""


class ArticleVote(models.Model):
    """One reader's "was this useful": a user once, an anonymous reader once per browser
    session (voter "u<id>" or "s<digest of the session key>")."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(_("voter"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    useful = models.BooleanField(_("useful"))
    created_at = models.DateTimeField(_("voted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("useful vote")
        verbose_name_plural = _("useful votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="knowledge_one_vote")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.voter} {self.useful}"


class SeasonalReminder(Targeted):
    """A reminder written once and published as an article every year on its date: a fixed
    day (迎峰度夏 on 6-15), or some days before the Spring Festival holiday of the official
    calendar. A date set for one year (SeasonalDate) goes before the rule. Published within
    `window_days` of its date, so a task that did not run on the day still publishes it."""

    class Anchor(models.TextChoices):
        FIXED = "fixed", _("A fixed day every year")
        SPRING_FESTIVAL = "spring_festival", _("Days before the Spring Festival holiday")

    title = models.CharField(_("title"), max_length=80)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    anchor = models.CharField(
        _("date rule"), max_length=16, choices=Anchor.choices, default=Anchor.FIXED
    )
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    window_days = models.PositiveSmallIntegerField(_("published within (days)"), default=14)
    active = models.BooleanField(_("active"), default=True)
    compounds = models.ManyToManyField(
        Compound, verbose_name=_("compounds"), blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("seasonal reminder")
        verbose_name_plural = _("seasonal reminders")
        ordering = ["month", "day", "pk"]
        constraints = [
            *(
                models.CheckConstraint(condition=condition, name=f"knowledge_reminder_{name}")
                for name, condition in TARGET_CONSTRAINTS
            ),
            models.CheckConstraint(
                condition=Q(anchor="spring_festival")
                | Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="knowledge_reminder_fixed_day",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SeasonalDate(models.Model):
    """The date of a reminder in one year, set by staff: a Spring Festival the official
    calendar does not list yet, or a season that comes early."""

    reminder = models.ForeignKey(SeasonalReminder, on_delete=models.CASCADE, related_name="dates")
    year = models.PositiveSmallIntegerField(_("year"))
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("date of a year")
        verbose_name_plural = _("dates of given years")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "year"], name="knowledge_one_date_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.reminder_id} {self.date}"
