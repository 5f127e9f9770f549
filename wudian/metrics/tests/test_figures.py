"""The figures equal a direct computation from the rows, for every cut; targets, the cache
and the refusals of periods and cuts."""

from __future__ import annotations

import datetime
import random
import statistics
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.conftest import City
from wudian.core.errors import BadInput, NotAllowed, OutsideScope
from wudian.metrics.cuts import CutKind, cut_choices, resolve_cut
from wudian.metrics.figures import bars_by_compound, bars_by_manager, figures, parse_codes, series
from wudian.metrics.models import Target
from wudian.metrics.periods import (
    Period,
    Preset,
    month_period,
    parse_period,
    preset_period,
)
from wudian.metrics.registry import METRICS
from wudian.metrics.warming import dashboards_warm
from wudian.notify.models import Message
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.tests.conftest import make_outage
from wudian.workorders import services
from wudian.workorders.models import ONLINE_CHANNELS, Category, WorkOrder

# Local (Asia/Shanghai) days: the figures' periods are whole local days.
NOVEMBER = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
OCTOBER = Period(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def file_history(city: City, seed: int = 14) -> list[WorkOrder]:
    """Forty requests over October–November 2026 and November 2025, through the services:
    every kind, online and not, some accepted late, some resolved, rated, reopened."""
    rng = random.Random(seed)
    categories = list(Category.objects.filter(resident_may_report=True).order_by("code"))
    homes = [city.north_home, city.north_home_2, city.south_home]
    channels = ["web", "phone", "visit", "open311", "circle", "api"]
    made = []
    days = [datetime.date(2025, 11, 10), datetime.date(2025, 11, 20)] + [
        datetime.date(2026, 10, 1) + datetime.timedelta(days=n) for n in range(0, 60, 2)
    ]
    for n in range(40):
        home = homes[n % 3]
        manager = city.manager if home.building.compound_id == city.north.pk else city.manager_b
        filer = {city.north_home.pk: city.resident, city.south_home.pk: city.resident_b}.get(
            home.pk, manager
        )
        filed = at(days[n % len(days)], 9 + n % 8, rng.randint(0, 59))
        workorder = services.workorder_create(
            category=categories[n % len(categories)],
            description=f"第{n}号诉求：家中用电问题。",
            channel=channels[n % len(channels)],
            by=filer,
            household=home,
            now=filed,
        )
        if n % 5 == 4:
            made.append(workorder)
            continue  # left waiting for acceptance
        accepted = filed + datetime.timedelta(minutes=rng.choice([5, 20, 90, 600]))
        services.workorder_accept(workorder=workorder, by=manager, now=accepted)
        if workorder.arrive_due is not None and n % 3:
            services.workorder_arrive(
                workorder=workorder, by=manager, now=accepted + datetime.timedelta(minutes=40)
            )
        if n % 4 != 1:
            resolved = accepted + datetime.timedelta(hours=rng.choice([1, 5, 30, 200]))
            services.workorder_resolve(workorder=workorder, by=manager, note="已处理", now=resolved)
            if n % 7 == 0:
                services.workorder_reopen(
                    workorder=workorder,
                    by=filer,
                    reason="住户反映问题仍在",
                    now=resolved + datetime.timedelta(hours=1),
                )
                services.workorder_resolve(
                    workorder=workorder,
                    by=manager,
                    note="再次处理",
                    now=resolved + datetime.timedelta(hours=3),
                )
            if n % 2 == 0 and filer != manager:
                services.workorder_rate(
                    workorder=workorder,
                    by=filer,
                    rating=1 + n % 5,
                    visited_hall=n % 6 == 0,
                    now=resolved + datetime.timedelta(hours=5),
                )
        made.append(workorder)
    return made


def expected_requests(period: Period, compound_ids: set[int]) -> dict[str, Any]:
    """Counted row by row, without the sources' queries."""
    rows = [
        w
        for w in WorkOrder.objects.select_related("category")
        if w.compound_id in compound_ids and period.start <= w.created_at < period.end
    ]

    def share(good: int, total: int) -> Decimal | None:
        return Decimal(good) * 100 / total if total else None

    def hours(field: str, fraction: float) -> Decimal | None:
        values = sorted(
            (getattr(w, field) - w.created_at).total_seconds()
            for w in rows
            if getattr(w, field) is not None
        )
        if not values:
            return None
        if len(values) == 1:
            return Decimal(values[0]) / 3600
        # percentile_cont: linear interpolation, as quantiles' inclusive method
        cuts = statistics.quantiles(values, n=10, method="inclusive")
        value = statistics.median(values) if fraction == 0.5 else cuts[8]
        return Decimal(value) / 3600

    business = [w for w in rows if w.category.kind == "business"]
    ratings = [w.rating for w in rows if w.rating is not None]
    answered = [w for w in rows if w.status == "closed" and w.visited_hall is not None]
    resolved = [w for w in rows if w.resolved_at is not None]
    out: dict[str, Any] = {
        "requests.filed": Decimal(len(rows)),
        "requests.reopened": share(sum(w.reopen_count > 0 for w in rows), len(resolved)),
        "requests.rating_mean": (Decimal(sum(ratings)) / len(ratings) if ratings else None),
        "requests.rating_high": share(sum(r >= 4 for r in ratings), len(ratings)),
        "requests.no_visit": share(sum(not w.visited_hall for w in answered), len(answered)),
        "business.online_rate": share(
            sum(w.channel in ONLINE_CHANNELS for w in business), len(business)
        ),
        "complaints.count": Decimal(sum(w.category.kind == "complaint" for w in rows)),
    }
    for clock in ("accept", "arrive", "resolve"):
        measured = [w for w in rows if getattr(w, f"{clock}_late") is not None]
        out[f"requests.{clock}_on_time"] = share(
            sum(not getattr(w, f"{clock}_late") for w in measured), len(measured)
        )
        field = {"accept": "accepted_at", "arrive": "arrived_at", "resolve": "resolved_at"}[clock]
        out[f"requests.{clock}_p50"] = hours(field, 0.5)
        out[f"requests.{clock}_p90"] = hours(field, 0.9)
    return out


def close_enough(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < Decimal("0.001")


@pytest.mark.django_db
def test_request_figures_equal_a_direct_count_for_every_cut(city: City) -> None:
    file_history(city)
    north, south = city.north.pk, city.south.pk
    cases = [
        (city.supervisor, None, {north, south}),
        (city.supervisor, f"district:{city.district.pk}", {north, south}),
        (city.supervisor, f"compound:{south}", {south}),
        (city.supervisor, f"manager:{city.manager.pk}", {north}),
        (city.manager, None, {north}),
        (city.admin, f"community:{city.community.pk}", {north}),
    ]
    metrics = [METRICS[code] for code in expected_requests(NOVEMBER, {north})]
    for user, text, ids in cases:
        cut = resolve_cut(user, text)
        assert cut.compound_ids == ids
        for period in (NOVEMBER, OCTOBER):
            expected = expected_requests(period, ids)
            got = {f.metric.code: f.value for f in figures(metrics, period, cut)}
            wrong = {
                code: (got[code], value)
                for code, value in expected.items()
                if not close_enough(got[code], value)
            }
            assert wrong == {}, (text, period)
    assert expected_requests(NOVEMBER, {north, south})["requests.filed"] > 5


@pytest.mark.django_db
def test_the_previous_period_and_the_year_before(city: City) -> None:
    file_history(city)
    cut = resolve_cut(city.supervisor, None)
    (filed, change) = figures(
        [METRICS["requests.filed"], METRICS["complaints.yoy_change"]], NOVEMBER, cut
    )
    assert filed.previous == expected_requests(OCTOBER, set(cut.compound_ids))["requests.filed"]
    now = expected_requests(NOVEMBER, set(cut.compound_ids))["complaints.count"]
    before = expected_requests(
        Period(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30)), set(cut.compound_ids)
    )["complaints.count"]
    assert (change.numerator, change.denominator) == (now, before)
    if before:
        assert close_enough(change.value, (now - before) * 100 / before)


@pytest.mark.django_db
def test_months_and_bars_add_up_to_the_whole(city: City) -> None:
    file_history(city)
    cut = resolve_cut(city.supervisor, None)
    both = Period(OCTOBER.first, NOVEMBER.last)
    filed = METRICS["requests.filed"]
    months = series(filed, both, cut)
    assert [m for m, _v in months] == [OCTOBER.first, NOVEMBER.first]
    assert [v for _m, v in months] == [
        figures([filed], OCTOBER, cut)[0].value,
        figures([filed], NOVEMBER, cut)[0].value,
    ]
    compounds = dict(bars_by_compound(filed, both, cut))
    assert sum(v for v in compounds.values() if v) == figures([filed], both, cut)[0].value
    managers = dict(bars_by_manager(METRICS["requests.resolve_on_time"], both, cut))
    for manager, compound in ((city.manager, city.north), (city.manager_b, city.south)):
        alone = resolve_cut(city.supervisor, f"compound:{compound.pk}")
        assert (
            managers[str(manager)]
            == figures([METRICS["requests.resolve_on_time"]], both, alone)[0].value
        )


@pytest.mark.django_db
def test_outage_figures(city: City) -> None:
    day = datetime.date(2026, 11, 10)
    planned = make_outage(
        city,
        start=at(day, 8),
        end=at(day, 12),
        published_at=at(day, 8) - datetime.timedelta(days=8),
        state=Outage.State.RESTORED,
        restored_at=at(day, 11),
    )
    late = make_outage(
        city,
        kind=Outage.Kind.TEMPORARY,
        start=at(day, 14),
        end=at(day, 16),
        published_at=at(day, 8),
        state=Outage.State.RESTORED,
        restored_at=at(day, 16),
    )
    for outage, homes in (
        (planned, [city.north_home, city.north_home_2]),
        (late, [city.north_home]),
    ):
        for home in homes:
            AffectedHousehold.objects.create(outage=outage, household=home)
    AffectedHousehold.objects.filter(outage=planned, household=city.north_home).update(
        acknowledged_at=at(day, 7)
    )
    # Told: north_home by SMS and in the app (counted once), north_home_2's SMS failed.
    for n, (home, channel, state) in enumerate(
        [
            (city.north_home, "sms", Message.State.SENT),
            (city.north_home, "inapp", Message.State.SENT),
            (city.north_home_2, "sms", Message.State.FAILED),
        ]
    ):
        Message.objects.create(
            household=home,
            channel=channel,
            template="outage_published",
            event_key=f"outage:{planned.pk}:published",
            idempotency_key=f"test-{n}",
            state=state,
            source=f"outage:{planned.pk}",
        )
    cut = resolve_cut(city.supervisor, None)
    got = {
        f.metric.code: f
        for f in figures(
            parse_codes(
                "outages.notice_on_time,outages.acknowledged,outages.reach,"
                "outages.customer_hours,outages.reliability"
            ),
            NOVEMBER,
            cut,
        )
    }
    assert (got["outages.notice_on_time"].numerator, got["outages.notice_on_time"].denominator) == (
        1,
        2,
    )
    assert got["outages.acknowledged"].numerator == 1
    assert (got["outages.reach"].numerator, got["outages.reach"].denominator) == (1, 3)
    assert got["outages.acknowledged"].denominator == 3
    # Two households three hours each, one household two hours.
    assert got["outages.customer_hours"].value == Decimal(8)
    households = 3  # the city's homes, north and south
    assert close_enough(
        got["outages.reliability"].value,
        (1 - Decimal(8) / (households * NOVEMBER.hours)) * 100,
    )


@pytest.mark.django_db
def test_line_loss_figures(city: City) -> None:
    statuses = [LossStatus.QUALIFIED] * 7 + [LossStatus.HIGH_LOSS] * 2 + [LossStatus.NEGATIVE_LOSS]
    for n, status in enumerate(statuses):
        StationAreaDay.objects.create(
            station_area=city.station_area,
            date=datetime.date(2026, 11, 1) + datetime.timedelta(days=n),
            supply_kwh=Decimal(1000),
            user_kwh=Decimal(950),
            loss_kwh=Decimal(50),
            loss_rate=Decimal("0.05"),
            meters_total=100,
            meters_collected=99 if n else 90,
            collection_rate=Decimal("0.99"),
            status=status,
        )
    got = {
        f.metric.code: f.value
        for f in figures(parse_codes(None), NOVEMBER, resolve_cut(city.supervisor, None))
    }
    assert got["lineloss.qualified"] == Decimal(70)
    assert got["lineloss.high"] == Decimal(20)
    assert got["lineloss.negative"] == Decimal(10)
    assert got["lineloss.collection_rate"] == Decimal(981) * 100 / 1000
    assert got["lineloss.rate"] == Decimal(5)
    # The station area supplies north only: south's figure has no days.
    south = figures(
        parse_codes("lineloss.qualified"),
        NOVEMBER,
        resolve_cut(city.supervisor, f"compound:{city.south.pk}"),
    )
    assert south[0].value is None


@pytest.mark.django_db
def test_the_1_plus_n_structure(city: City) -> None:
    file_history(city)
    got = {
        f.metric.code: f
        for f in figures(parse_codes(None), NOVEMBER, resolve_cut(city.supervisor, None))
    }
    assert got["structure.compounds_per_manager"].value == 1  # two compounds, two managers
    # electrician_expired still holds the role and the assignment: three electricians.
    assert got["structure.requests_per_electrician"].denominator == 3
    assert got["structure.requests_per_manager"].numerator == got["requests.filed"].value


# Targets ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_most_specific_target_applies(city: City) -> None:
    code = "business.online_rate"
    Target.objects.filter(metric=code).delete()
    Target.objects.create(metric=code, value=90)
    Target.objects.create(metric=code, value=80, district=city.district)
    Target.objects.create(metric=code, value=70, compound=city.north)
    Target.objects.create(metric=code, value=60, manager=city.manager_b)

    def target(text: str | None) -> Decimal:
        found = figures([METRICS[code]], NOVEMBER, resolve_cut(city.supervisor, text))[0].target
        assert found is not None
        return found.value

    assert target(None) == 90
    assert target(f"district:{city.district.pk}") == 80
    assert target(f"community:{city.community.pk}") == 80
    assert target(f"compound:{city.north.pk}") == 70
    assert target(f"compound:{city.south.pk}") == 80
    assert target(f"manager:{city.manager_b.pk}") == 60
    assert target(f"manager:{city.manager.pk}") == 90


@pytest.mark.django_db
def test_a_target_is_met_the_metrics_way() -> None:
    assert Target(metric="complaints.yoy_change", value=-50).met_by(Decimal(-60)) is True
    assert Target(metric="complaints.yoy_change", value=-50).met_by(Decimal(-20)) is False
    assert Target(metric="business.online_rate", value=90).met_by(Decimal(91)) is True
    assert Target(metric="business.online_rate", value=90).met_by(None) is None


@pytest.mark.django_db
def test_the_standing_targets_are_installed() -> None:
    assert Target.objects.get(metric="complaints.yoy_change", district=None).value == -50
    assert Target.objects.get(metric="business.online_rate", district=None).value == 90
    assert Target.objects.get(metric="lineloss.collection_rate", district=None).value == 99


@pytest.mark.django_db
def test_the_cache_is_used_and_emptied_when_a_target_changes(city: City, settings: Any) -> None:
    settings.WUDIAN_METRICS_CACHE_SECONDS = 300
    file_history(city)
    cut = resolve_cut(city.supervisor, None)
    metric = [METRICS["requests.filed"]]
    first = figures(metric, NOVEMBER, cut)[0].value
    WorkOrder.objects.filter(compound=city.north).delete()
    assert figures(metric, NOVEMBER, cut)[0].value == first  # kept
    Target.objects.create(metric="business.online_rate", value=50, compound=city.north)
    again = figures(metric, NOVEMBER, cut)[0].value
    assert again is not None
    assert first is not None
    assert again < first  # computed again


@pytest.mark.django_db
def test_the_queries_do_not_grow_with_the_compounds(city: City) -> None:
    file_history(city)
    metrics = parse_codes(None)

    def count(text: str) -> int:
        cut = resolve_cut(city.supervisor, text)
        with CaptureQueriesContext(connection) as queries:
            figures(metrics, NOVEMBER, cut)
        return len(queries)

    assert count(f"compound:{city.north.pk}") == count(f"district:{city.district.pk}")


# Periods and cuts refused -----------------------------------------------------------------


def test_periods() -> None:
    assert NOVEMBER.previous() == OCTOBER
    assert Period(datetime.date(2024, 2, 29), datetime.date(2024, 3, 1)).year_before() == Period(
        datetime.date(2023, 2, 28), datetime.date(2023, 3, 1)
    )
    assert parse_period("2026-11-01", "2026-11-30")[0] == NOVEMBER
    assert [
        p.first.month
        for p in Period(datetime.date(2026, 1, 15), datetime.date(2026, 3, 2)).months()
    ] == [1, 2, 3]


@pytest.mark.parametrize(
    ("first", "last", "preset", "field"),
    [
        ("2026-11-30", "2026-11-01", None, "to"),
        ("2026-13-01", None, None, "from"),
        ("2020-01-01", "2026-01-01", None, "to"),
        (None, None, "next_year", "period"),
        ("0001-01-01", "0001-01-02", None, "to"),
        ("9999-12-30", "9999-12-31", None, "to"),
        (None, "1999-12-31", None, "to"),
    ],
)
def test_a_period_that_cannot_be_used_is_refused(
    first: str | None, last: str | None, preset: str | None, field: str
) -> None:
    with pytest.raises(BadInput) as refused:
        parse_period(first, last, preset)
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_cuts_outside_ones_reach_are_refused(city: City) -> None:
    for user, text in [
        (city.manager, f"compound:{city.south.pk}"),
        (city.manager, f"district:{city.district.pk}"),  # south is not theirs
        (city.manager, f"manager:{city.manager_b.pk}"),
        (city.supervisor, "compound:999999"),
        (city.supervisor, f"manager:{city.electrician.pk}"),
    ]:
        with pytest.raises(OutsideScope):
            resolve_cut(user, text)
    for user in (city.resident, city.electrician, city.staff, city.dept, city.gridadmin):
        with pytest.raises(NotAllowed):
            resolve_cut(user, None)
    for text in ("county:1", "district:", "district:x", "all:3", "compound:1;drop"):
        with pytest.raises(BadInput):
            resolve_cut(city.supervisor, text)


@pytest.mark.django_db
def test_the_cuts_offered_are_the_ones_accepted(city: City) -> None:
    for user in (city.supervisor, city.manager, city.admin):
        for key, _kind, _name in cut_choices(user):
            resolve_cut(user, key)
    keys = [key for key, *_ in cut_choices(city.manager)]
    assert keys == [
        "all",
        f"community:{city.community.pk}",
        f"compound:{city.north.pk}",
        f"manager:{city.manager.pk}",
    ]
    assert resolve_cut(city.manager, None).kind == CutKind.ALL


def test_a_month_outside_the_calendar_we_compare_with_is_refused() -> None:
    for month in ("0001-01", "9999-12", "2026-13", "2026-1x"):
        with pytest.raises(BadInput):
            month_period(month)
    assert month_period("2000-01").first == datetime.date(2000, 1, 1)


def test_an_unknown_metric_is_refused() -> None:
    with pytest.raises(BadInput):
        parse_codes("requests.filed,requests.nothing")
    assert [m.code for m in parse_codes("requests.filed, requests.filed")] == ["requests.filed"]


@pytest.mark.django_db
def test_the_warming_task_computes_the_standing_boards_afresh(city: City, settings: Any) -> None:
    settings.WUDIAN_METRICS_CACHE_SECONDS = 300
    file_history(city)
    filed = [METRICS["requests.filed"]]
    district = resolve_cut(city.supervisor, f"district:{city.district.pk}")
    mine = resolve_cut(city.manager, None)
    period = preset_period(Preset.YEAR_TO_DATE)
    # The district and each manager's compounds, three periods each; the district's report.
    assert dashboards_warm() == 3 * 3 + 1
    before = figures(filed, period, district)[0].value
    with CaptureQueriesContext(connection) as queries:
        assert figures(filed, period, district)[0].value == before
        assert figures(filed, period, mine)[0].value is not None
    assert not [q for q in queries.captured_queries if "workorders_workorder" in q["sql"]]
    WorkOrder.objects.filter(compound=city.north).delete()
    assert figures(filed, period, district)[0].value == before  # kept until the next run
    dashboards_warm()
    after = figures(filed, period, district)[0].value
    assert (
        after
        == figures(filed, period, resolve_cut(city.supervisor, f"compound:{city.south.pk}"))[
            0
        ].value
    )
    assert after is not None
    assert before is not None
    assert after < before


@pytest.mark.django_db
def test_nothing_is_warmed_when_figures_are_not_kept(city: City) -> None:
    assert dashboards_warm() == 0
