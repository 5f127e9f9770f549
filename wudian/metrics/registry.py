"""The metrics, each defined once: its code, its name (translated), its formula in words, its
unit, which way is good, the source of its parts and how its value follows from them, and
what its drill-down lists. The dashboard, the exports, the monthly report and the API all
read figures computed from this registry (`wudian.metrics.figures`).

A later app adds its metrics here, with a source in `sources.py` that adds up its records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wudian.metrics.sources import Parts, change_percent


class Unit(StrEnum):
    PERCENT = "percent"
    HOURS = "hours"
    COUNT = "count"
    RATING = "rating"
    RATIO = "ratio"


UNIT_SUFFIX: dict[Unit, Promise | str] = {
    Unit.PERCENT: "%",
    Unit.HOURS: _("h"),
    Unit.COUNT: "",
    Unit.RATING: _("/ 5"),
    Unit.RATIO: "",
}


class Good(StrEnum):
    """Which way a figure should move."""

    UP = "up"
    DOWN = "down"
    NEITHER = "neither"


class Section(StrEnum):
    REQUESTS = "requests"
    COMPLAINTS = "complaints"
    OUTAGES = "outages"
    LINELOSS = "lineloss"
    STRUCTURE = "structure"
    TRAINING = "training"
    PATROLS = "patrols"
    DEFECTS = "defects"
    REMINDERS = "reminders"


SECTION_LABELS = {
    Section.REQUESTS: _("Requests"),
    Section.COMPLAINTS: _("Complaints and online applications"),
    Section.OUTAGES: _("Outages"),
    Section.LINELOSS: _("Meter data and line loss"),
    Section.STRUCTURE: _("1+N structure"),
    Section.TRAINING: _("Electricians' training and certificates"),
    Section.PATROLS: _("Joint patrols"),
    Section.DEFECTS: _("Defects to closure (消缺)"),
    Section.REMINDERS: _("Payment reminders (友情化催费)"),
}


class DrillKind(StrEnum):
    REQUESTS = "requests"
    OUTAGES = "outages"
    AREAS = "areas"


@dataclass(frozen=True)
class Drill:
    """What is behind a figure: the requests filed in the period, the outages starting in
    it, or the station areas, narrowed by a condition on those rows."""

    kind: DrillKind
    where: Q = field(default_factory=Q)


ValueOf = Callable[[Parts], Decimal | None]


def ratio(numerator: str, denominator: str) -> ValueOf:
    """numerator / denominator, in percent; none when there is nothing to divide by."""

    def value(parts: Parts) -> Decimal | None:
        if not parts.get(denominator):
            return None
        return Decimal(parts.get(numerator) or 0) * 100 / Decimal(parts[denominator])

    return value


def quotient(numerator: str, denominator: str) -> ValueOf:
    def value(parts: Parts) -> Decimal | None:
        if not parts.get(denominator):
            return None
        return Decimal(parts.get(numerator) or 0) / Decimal(parts[denominator])

    return value


def part(name: str, *, counted: bool = True) -> ValueOf:
    """One part as it is; a count is 0 where nothing was recorded (a month without rows),
    a percentile is none."""

    def value(parts: Parts) -> Decimal | None:
        found = parts.get(name)
        if found is None:
            return Decimal(0) if counted else None
        return Decimal(found)

    return value


def _complaints_change(parts: Parts) -> Decimal | None:
    return change_percent(parts.get("complaints") or 0, parts.get("complaints_last_year") or 0)


def _reliability(parts: Parts) -> Decimal | None:
    # RS = 1 − Σ customer outage hours / (customers × hours in the period)
    customers, hours = parts.get("customers"), parts.get("period_hours")
    if not customers or not hours:
        return None
    lost = Decimal(parts.get("customer_seconds") or 0) / 3600
    return (1 - lost / (Decimal(customers) * hours)) * 100


def _customer_hours(parts: Parts) -> Decimal | None:
    return Decimal(parts.get("customer_seconds") or 0) / 3600


def _loss_rate(parts: Parts) -> Decimal | None:
    if not parts.get("supply_kwh"):
        return None
    return Decimal(parts.get("loss_kwh") or 0) * 100 / Decimal(parts["supply_kwh"])


@dataclass(frozen=True)
class Metric:
    code: str
    name: Promise
    formula: Promise
    unit: Unit
    good: Good
    section: Section
    source: str
    value: ValueOf = field(compare=False)
    # The parts the value is computed from, shown beside it ("n = …").
    numerator: str | None = None
    denominator: str | None = None
    drill: Drill | None = None
    # Whether bars by compound and by customer manager make sense for it.
    bars: bool = True

    @property
    def targetable(self) -> bool:
        return self.good != Good.NEITHER

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": str(self.name),
            "formula": str(self.formula),
            "unit": self.unit.value,
            "good": self.good.value,
            "section": self.section.value,
        }


REQUESTS = Drill(DrillKind.REQUESTS)
R, C, OUT, L, S, F = (
    Section.REQUESTS,
    Section.COMPLAINTS,
    Section.OUTAGES,
    Section.LINELOSS,
    Section.STRUCTURE,
    Section.PATROLS,
)


def _durations() -> list[Metric]:
    names = {
        ("accept", "p50"): _("Acceptance time, median"),
        ("accept", "p90"): _("Acceptance time, 90th percentile"),
        ("arrive", "p50"): _("Arrival time, median"),
        ("arrive", "p90"): _("Arrival time, 90th percentile"),
        ("resolve", "p50"): _("Resolution time, median"),
        ("resolve", "p90"): _("Resolution time, 90th percentile"),
    }
    formulas = {
        "accept": _("Hours from filing to acceptance, over the requests filed in the period"),
        "arrive": _("Hours from filing to arrival on site, over the requests filed in the period"),
        "resolve": _("Hours from filing to resolution, over the requests filed in the period"),
    }
    fields = {"accept": "accepted_at", "arrive": "arrived_at", "resolve": "resolved_at"}
    return [
        Metric(
            code=f"requests.{clock}_{label}",
            name=name,
            formula=formulas[clock],
            unit=Unit.HOURS,
            good=Good.DOWN,
            section=R,
            source="durations",
            value=part(f"{clock}_{label}", counted=False),
            drill=Drill(DrillKind.REQUESTS, Q(**{f"{fields[clock]}__isnull": False})),
            bars=False,
        )
        for (clock, label), name in names.items()
    ]


def _on_time(clock: str, name: Promise, formula: Promise) -> Metric:
    return Metric(
        code=f"requests.{clock}_on_time",
        name=name,
        formula=formula,
        unit=Unit.PERCENT,
        good=Good.UP,
        section=R,
        source="requests",
        value=ratio(f"{clock}_on_time", f"{clock}_measured"),
        numerator=f"{clock}_on_time",
        denominator=f"{clock}_measured",
        drill=Drill(DrillKind.REQUESTS, Q(**{f"{clock}_late__isnull": False})),
    )


METRIC_LIST: list[Metric] = [
    Metric(
        code="requests.filed",
        name=_("Requests filed"),
        formula=_("Requests filed in the period, every kind and channel"),
        unit=Unit.COUNT,
        good=Good.NEITHER,
        section=R,
        source="requests",
        value=part("filed"),
        drill=REQUESTS,
    ),
    *_durations(),
    _on_time(
        "accept",
        _("Accepted on time"),
        _("Requests accepted within their acceptance clock / requests accepted"),
    ),
    _on_time(
        "arrive",
        _("Arrived on time"),
        _("Requests reached on site within their arrival clock / requests reached on site"),
    ),
    _on_time(
        "resolve",
        _("Resolved on time"),
        _("Requests resolved within their resolution clock / requests resolved"),
    ),
    Metric(
        code="requests.reopened",
        name=_("Reopened"),
        formula=_("Resolved requests the resident reopened at least once / requests resolved"),
        unit=Unit.PERCENT,
        good=Good.DOWN,
        section=R,
        source="requests",
        value=ratio("reopened", "resolved"),
        numerator="reopened",
        denominator="resolved",
        drill=Drill(DrillKind.REQUESTS, Q(resolved_at__isnull=False)),
    ),
    Metric(
        code="requests.rating_mean",
        name=_("Satisfaction, mean rating"),
        formula=_("Mean of the residents' ratings (1–5) of the requests filed in the period"),
        unit=Unit.RATING,
        good=Good.UP,
        section=R,
        source="requests",
        value=quotient("rating_sum", "rated"),
        denominator="rated",
        drill=Drill(DrillKind.REQUESTS, Q(rating__isnull=False)),
    ),
    Metric(
        code="requests.rating_high",
        name=_("Satisfied (rated 4–5)"),
        formula=_("Requests rated 4 or 5 / requests rated"),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=R,
        source="requests",
        value=ratio("rating_high", "rated"),
        numerator="rating_high",
        denominator="rated",
        drill=Drill(DrillKind.REQUESTS, Q(rating__isnull=False)),
    ),
    Metric(
        code="requests.no_visit",
        name=_("Settled without a visit (一次都不跑)"),
        formula=_(
            "Closed requests whose resident did not have to go to the service hall / closed "
            "requests whose resident answered"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=R,
        source="requests",
        value=ratio("no_visit", "hall_answered"),
        numerator="no_visit",
        denominator="hall_answered",
        drill=Drill(DrillKind.REQUESTS, Q(status="closed", visited_hall__isnull=False)),
    ),
    Metric(
        code="complaints.count",
        name=_("Complaints"),
        formula=_("Complaints filed in the period"),
        unit=Unit.COUNT,
        good=Good.DOWN,
        section=C,
        source="complaints",
        value=part("complaints"),
        drill=Drill(DrillKind.REQUESTS, Q(category__kind="complaint")),
    ),
    Metric(
        code="complaints.yoy_change",
        name=_("Complaints, change year on year"),
        formula=_(
            "(complaints in the period − complaints in the same days a year before) / "
            "complaints a year before"
        ),
        unit=Unit.PERCENT,
        good=Good.DOWN,
        section=C,
        source="complaints",
        value=_complaints_change,
        numerator="complaints",
        denominator="complaints_last_year",
        drill=Drill(DrillKind.REQUESTS, Q(category__kind="complaint")),
    ),
    Metric(
        code="business.online_rate",
        name=_("Online application rate"),
        formula=_(
            "Low-voltage business applications through online channels (web, app API, "
            "Open311, circle) / all low-voltage business applications"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=C,
        source="requests",
        value=ratio("business_online", "business"),
        numerator="business_online",
        denominator="business",
        drill=Drill(DrillKind.REQUESTS, Q(category__kind="business")),
    ),
    Metric(
        code="outages.notice_on_time",
        name=_("Notices published on time"),
        formula=_(
            "Outages announced at least the notice period ahead (planned 7 days, temporary "
            "24 hours, arrears 7 days; the rules in force) / outages with a notice period"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=OUT,
        source="outages",
        value=ratio("notices_on_time", "notices_due"),
        numerator="notices_on_time",
        denominator="notices_due",
        drill=Drill(DrillKind.OUTAGES, ~Q(kind="fault")),
    ),
    Metric(
        code="outages.reach",
        name=_("Households told"),
        formula=_(
            "Affected households a notice reached on some channel / affected households, over "
            "the outages starting in the period"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=OUT,
        source="outages",
        value=ratio("told", "affected"),
        numerator="told",
        denominator="affected",
        drill=Drill(DrillKind.OUTAGES),
    ),
    Metric(
        code="outages.acknowledged",
        name=_("Notices acknowledged"),
        formula=_("Affected households that acknowledged the notice / affected households"),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=OUT,
        source="outages",
        value=ratio("acknowledged", "affected"),
        numerator="acknowledged",
        denominator="affected",
        drill=Drill(DrillKind.OUTAGES),
    ),
    Metric(
        code="outages.reliability",
        name=_("Supply reliability (RS)"),
        formula=_(
            "1 − customer outage hours / (households × hours in the period); arrears "
            "disconnections and cancelled outages left out"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=OUT,
        source="outages",
        value=_reliability,
        denominator="customers",
        drill=Drill(DrillKind.OUTAGES, ~Q(kind="arrears")),
    ),
    Metric(
        code="outages.customer_hours",
        name=_("Customer outage hours"),
        formula=_(
            "Σ over affected households of the hours without power inside the period, until "
            "restoration (or the planned end)"
        ),
        unit=Unit.HOURS,
        good=Good.DOWN,
        section=OUT,
        source="outages",
        value=_customer_hours,
        drill=Drill(DrillKind.OUTAGES, ~Q(kind="arrears")),
    ),
    Metric(
        code="lineloss.collection_rate",
        name=_("Meter-data collection rate"),
        formula=_("Meters read / meters that should have been read, over station-area days"),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=L,
        source="lineloss",
        value=ratio("meters_collected", "meters_total"),
        numerator="meters_collected",
        denominator="meters_total",
        drill=Drill(DrillKind.AREAS),
        bars=False,
    ),
    Metric(
        code="lineloss.qualified",
        name=_("Station-area days qualified"),
        formula=_("Station-area days with the loss rate in the qualified range / all days"),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=L,
        source="lineloss",
        value=ratio("qualified", "area_days"),
        numerator="qualified",
        denominator="area_days",
        drill=Drill(DrillKind.AREAS),
        bars=False,
    ),
    Metric(
        code="lineloss.high",
        name=_("Station-area days with high loss"),
        formula=_("Station-area days above the qualified range / all days"),
        unit=Unit.PERCENT,
        good=Good.DOWN,
        section=L,
        source="lineloss",
        value=ratio("high_loss", "area_days"),
        numerator="high_loss",
        denominator="area_days",
        drill=Drill(DrillKind.AREAS),
        bars=False,
    ),
    Metric(
        code="lineloss.negative",
        name=_("Station-area days with negative loss"),
        formula=_("Station-area days with a loss rate below zero / all days"),
        unit=Unit.PERCENT,
        good=Good.DOWN,
        section=L,
        source="lineloss",
        value=ratio("negative_loss", "area_days"),
        numerator="negative_loss",
        denominator="area_days",
        drill=Drill(DrillKind.AREAS),
        bars=False,
    ),
    Metric(
        code="lineloss.rate",
        name=_("Line loss rate"),
        formula=_("(supply − users' energy) / supply, both summed over the period (同期)"),
        unit=Unit.PERCENT,
        good=Good.NEITHER,
        section=L,
        source="lineloss",
        value=_loss_rate,
        drill=Drill(DrillKind.AREAS),
        bars=False,
    ),
    Metric(
        code="structure.compounds_per_manager",
        name=_("Compounds per customer manager"),
        formula=_("Compounds / customer managers assigned to them"),
        unit=Unit.RATIO,
        good=Good.NEITHER,
        section=S,
        source="structure",
        value=quotient("compounds", "managers"),
        numerator="compounds",
        denominator="managers",
        bars=False,
    ),
    Metric(
        code="structure.requests_per_manager",
        name=_("Requests per customer manager"),
        formula=_("Requests filed in the period / customer managers of the compounds"),
        unit=Unit.RATIO,
        good=Good.NEITHER,
        section=S,
        source="structure",
        value=quotient("filed", "managers"),
        numerator="filed",
        denominator="managers",
        drill=REQUESTS,
        bars=False,
    ),
    Metric(
        code="structure.requests_per_electrician",
        name=_("Behind-the-meter requests per electrician"),
        formula=_(
            "Requests of the kinds routed to property electricians, filed in the period / "
            "electricians of the compounds"
        ),
        unit=Unit.RATIO,
        good=Good.NEITHER,
        section=S,
        source="structure",
        value=quotient("for_electricians", "electricians"),
        numerator="for_electricians",
        denominator="electricians",
        drill=Drill(DrillKind.REQUESTS, Q(category__routing="electrician")),
        bars=False,
    ),
    Metric(
        code="training.certified_share",
        name=_("Certified electricians"),
        formula=_(
            "Electricians assigned to the compounds holding a valid low-voltage certificate on "
            "the period's last day / electricians assigned"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=Section.TRAINING,
        source="training",
        value=ratio("certified", "electricians"),
        numerator="certified",
        denominator="electricians",
    ),
    Metric(
        code="training.hours",
        name=_("Training hours"),
        formula=_("Hours credited to the compounds' electricians by trainings held in the period"),
        unit=Unit.HOURS,
        good=Good.UP,
        section=Section.TRAINING,
        source="training",
        value=part("training_hours"),
    ),
    Metric(
        code="patrols.on_time",
        name=_("Patrols done on time"),
        formula=_(
            "Monthly joint patrols done (both parties signed) by the end of their month / "
            "monthly patrols due in the period (their month ends in it)"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=F,
        source="patrols",
        value=ratio("patrols_on_time", "patrols_due"),
        numerator="patrols_on_time",
        denominator="patrols_due",
    ),
    Metric(
        code="patrols.findings_per_patrol",
        name=_("Findings per patrol"),
        formula=_("Findings recorded by the patrols done in the period / patrols done"),
        unit=Unit.RATIO,
        good=Good.NEITHER,
        section=F,
        source="patrols",
        value=quotient("findings", "patrols_done"),
        numerator="findings",
        denominator="patrols_done",
    ),
]

SEVERITY_NAMES = {
    "critical": _("Critical defects closed on time"),
    "serious": _("Serious defects closed on time"),
    "normal": _("Normal defects closed on time"),
}


def _defects_on_time(severity: str | None) -> Metric:
    suffix = f"_{severity}" if severity else ""
    return Metric(
        code=f"defects.closed_on_time{suffix}",
        name=SEVERITY_NAMES[severity] if severity else _("Defects closed on time"),
        formula=_(
            "Defects closed (their fix checked by the other side) by their deadline / defects "
            "whose deadline falls in the period"
        )
        if not severity
        else _(
            "Defects of this severity closed by their deadline / those whose deadline falls "
            "in the period"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=Section.DEFECTS,
        source="defects",
        value=ratio(f"defects_on_time{suffix}", f"defects_due{suffix}"),
        numerator=f"defects_on_time{suffix}",
        denominator=f"defects_due{suffix}",
    )


METRIC_LIST += [
    _defects_on_time(None),
    *(_defects_on_time(severity) for severity in ("critical", "serious", "normal")),
    Metric(
        code="defects.open_critical",
        name=_("Open critical defects"),
        formula=_("Critical defects (危急) not closed yet, today"),
        unit=Unit.COUNT,
        good=Good.DOWN,
        section=Section.DEFECTS,
        source="open_defects",
        value=part("open_critical"),
    ),
]


def _recovery(days: int, name: Promise, formula: Promise) -> Metric:
    return Metric(
        code=f"reminders.recovery_{days}d",
        name=name,
        formula=formula,
        unit=Unit.PERCENT,
        good=Good.UP,
        section=Section.REMINDERS,
        source="reminders",
        value=ratio(f"paid_{days}d", "reminded_households"),
        numerator=f"paid_{days}d",
        denominator="reminded_households",
    )


METRIC_LIST += [
    Metric(
        code="reminders.coverage",
        name=_("Reminder coverage"),
        formula=_(
            "Households on the arrears lists of the period that were reminded (any outcome "
            "but not reachable; for a special-group household a visit or a call only) / "
            "households on the lists (owing, or a prepaid balance below its warning level)"
        ),
        unit=Unit.PERCENT,
        good=Good.UP,
        section=Section.REMINDERS,
        source="reminders",
        value=ratio("reminded_households", "arrears_households"),
        numerator="reminded_households",
        denominator="arrears_households",
    ),
    _recovery(
        3,
        _("Recovery after reminder, 3 days"),
        _(
            "Reminded households that paid (absent from a later list, or owing less on it) "
            "within 3 days of their first reminder / reminded households"
        ),
    ),
    _recovery(
        7,
        _("Recovery after reminder, 7 days"),
        _(
            "Reminded households that paid (absent from a later list, or owing less on it) "
            "within 7 days of their first reminder / reminded households"
        ),
    ),
]

METRICS: dict[str, Metric] = {metric.code: metric for metric in METRIC_LIST}
assert len(METRICS) == len(METRIC_LIST), "metric codes are unique"


def metric_choices() -> list[tuple[str, str]]:
    return [(m.code, f"{m.code} · {m.name}") for m in METRIC_LIST]
