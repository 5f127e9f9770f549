"""The service dashboard and the lists behind its figures: who may open them, what a bad
period or scope gets, that each list holds exactly the rows its figure counts, the risk list,
and that no page shows a resident's contact details."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from wudian.accounts.models import User
from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.analytics.services import lineloss_open_check
from wudian.conftest import City, queries_of, zh
from wudian.core.privacy import mask_phone
from wudian.grid.models import Building, Compound, CompoundAssignment, Household, StationArea
from wudian.metrics.board import trend_period
from wudian.metrics.cuts import resolve_cut
from wudian.metrics.figures import figures
from wudian.metrics.models import Target
from wudian.metrics.periods import Period
from wudian.metrics.registry import METRIC_LIST, METRICS, DrillKind, Unit
from wudian.outages.models import Outage
from wudian.outages.tests.conftest import make_outage
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.models import Channel as RequestChannel
from wudian.workorders.services import workorder_accept, workorder_create

pytestmark = pytest.mark.django_db

DASHBOARD = "/desk/dashboard/"
DRILLS = {
    DrillKind.REQUESTS: "/desk/dashboard/requests/",
    DrillKind.OUTAGES: "/desk/dashboard/outages/",
    DrillKind.AREAS: "/desk/dashboard/areas/",
}


def period_now() -> Period:
    """A period around now, so what the tests file today lies inside it."""
    today = timezone.localdate()
    return Period(today - datetime.timedelta(days=20), today + datetime.timedelta(days=20))


def query(period: Period, scope: str = "all", **more: str) -> str:
    return urlencode(
        {"from": period.first.isoformat(), "to": period.last.isoformat(), "scope": scope, **more}
    )


def file(city: City, code: str, *, channel: str = RequestChannel.WEB, **kwargs: Any) -> WorkOrder:
    values: dict[str, Any] = {
        "category": Category.objects.get(code=code),
        "description": "楼道灯不亮，已经一周了",
        "channel": channel,
        "by": city.resident,
        "household": city.north_home,
    }
    values.update(kwargs)
    return workorder_create(**values)


@pytest.fixture
def filled(city: City) -> City:
    """North: a fault accepted on time, two complaints from one household, an online and a
    phoned-in business application; south: a complaint. Two outages reach north, one
    announced in time and one late; TA1 had a high-loss day yesterday."""
    fault = file(city, "fault_behind_meter")
    workorder_accept(workorder=fault, by=city.electrician)
    file(city, "complaint")
    file(city, "complaint", contact_phone="13700000009")
    file(city, "business_new")
    file(city, "business_capacity", channel=RequestChannel.PHONE, by=city.manager)
    file(city, "complaint", by=city.resident_b, household=city.south_home)
    on_time = make_outage(city, title="北苑小区按时通知的检修")
    late = make_outage(
        city,
        title="北苑小区通知晚了的检修",
        start=timezone.now().replace(microsecond=0) + datetime.timedelta(days=2),
        end=timezone.now().replace(microsecond=0) + datetime.timedelta(days=2, hours=4),
        published_at=timezone.now(),
    )
    for outage in (on_time, late):
        outage.compounds.add(city.north)
        outage.affected.create(household=city.north_home)
        outage.affected.create(household=city.north_home_2)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for day, status, loss in (
        (yesterday, LossStatus.HIGH_LOSS, "0.16"),
        (yesterday - datetime.timedelta(days=1), LossStatus.QUALIFIED, "0.05"),
    ):
        StationAreaDay.objects.create(
            station_area=city.station_area,
            date=day,
            supply_kwh=Decimal(1000),
            user_kwh=Decimal(1000) * (1 - Decimal(loss)),
            loss_kwh=Decimal(1000) * Decimal(loss),
            loss_rate=Decimal(loss),
            meters_total=3,
            meters_collected=3,
            collection_rate=Decimal(1),
            status=status,
        )
    return city


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


# Who may open them ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [DASHBOARD, *DRILLS.values()])
@pytest.mark.parametrize("role", ["resident", "electrician", "staff", "gridadmin", "dept"])
def test_people_who_do_not_measure_are_refused(
    client: Client, city: City, url: str, role: str
) -> None:
    response = as_user(client, getattr(city, role)).get(url)
    assert response.status_code == 403
    assert zh("You may not open this page") in response.content.decode()


@pytest.mark.parametrize("url", [DASHBOARD, *DRILLS.values()])
def test_anonymous_visitors_are_sent_to_log_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", [DASHBOARD, *DRILLS.values()])
def test_a_scope_outside_ones_reach_is_not_found(client: Client, filled: City, url: str) -> None:
    manager = as_user(client, filled.manager)
    for scope in (
        f"compound:{filled.south.pk}",
        f"community:{filled.other_community.pk}",
        f"district:{filled.district.pk}",  # south lies in it: not wholly his
        f"manager:{filled.manager_b.pk}",
        "compound:999999",
    ):
        assert manager.get(f"{url}?{query(period_now(), scope)}").status_code == 404, scope


@pytest.mark.parametrize("url", [DASHBOARD, *DRILLS.values()])
@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "The period ends before it starts."),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "Enter a date as YYYY-MM-DD."),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "A period is at most two years long."),
        ({"period": "fortnight"}, "Choose a period from the list."),
        (
            {"scope": "street:1"},
            "Choose a scope: all, or district:, community:, compound: or manager: with an id.",
        ),
        ({"scope": "compound:x"}, "The scope needs a number after the colon."),
    ],
)
def test_a_bad_period_or_scope_is_told_on_the_page(
    client: Client, city: City, url: str, asked: dict[str, str], message: str
) -> None:
    response = as_user(client, city.supervisor).get(f"{url}?{urlencode(asked)}")
    assert response.status_code == 422
    text = response.content.decode()
    assert zh(message) in text
    assert 'id="dash-chooser"' in text  # the chooser is there to put it right


@pytest.mark.parametrize("kind", list(DrillKind))
def test_a_list_for_an_unknown_figure_or_one_of_another_kind_is_refused(
    client: Client, city: City, kind: DrillKind
) -> None:
    supervisor = as_user(client, city.supervisor)
    response = supervisor.get(f"{DRILLS[kind]}?{query(period_now(), metric='no.such')}")
    assert response.status_code == 422
    assert zh("Unknown metric: %(codes)s.") % {"codes": "no.such"} in response.content.decode()
    other = next(m for m in METRIC_LIST if m.drill is not None and m.drill.kind != kind)
    response = supervisor.get(f"{DRILLS[kind]}?{query(period_now(), metric=other.code)}")
    assert response.status_code == 422
    assert zh("This figure has no list of this kind.") in response.content.decode()


# What they show ------------------------------------------------------------------------


def test_the_dashboard_shows_each_section_with_targets_trends_and_links(
    client: Client, filled: City
) -> None:
    # The city-wide targets of the data migration; one narrower for the district.
    assert Target.objects.get(metric="business.online_rate", district=None).value == 90
    Target.objects.create(
        metric="requests.accept_on_time", value=Decimal(90), district=filled.district
    )
    response = as_user(client, filled.supervisor).get(f"{DASHBOARD}?{query(period_now())}")
    assert response.status_code == 200
    board = response.context["board"]
    assert [s.key for s in board.sections] == [
        "requests",
        "complaints",
        "outages",
        "lineloss",
        "structure",
        "training",
        "patrols",
        "defects",
        "reminders",
    ]
    shown = {item.metric.code: item for s in board.sections for item in s.figures}
    assert set(shown) == set(METRICS)
    assert shown["requests.accept_on_time"].value == "100.0%"
    assert shown["requests.accept_on_time"].figure.met is True
    assert shown["business.online_rate"].value == "50.0%"
    assert shown["business.online_rate"].parts == "n = 1 / 2"
    assert shown["business.online_rate"].figure.met is False
    assert shown["complaints.count"].value == "3"
    text = response.content.decode()
    assert 'data-met="met"' in text
    assert 'data-met="missed"' in text
    assert shown["requests.filed"].drill_url in text.replace("&amp;", "&")
    assert (
        str(METRICS["business.online_rate"].formula) in text
        or zh(
            "Low-voltage business applications through online channels (web, app API, "
            "Open311, circle) / all low-voltage business applications"
        )
        in text
    )
    # Complaints by kind, this period against the same one a year before, and the −50 %.
    assert [(row.count, row.last_year) for row in board.complaints] == [(3, 0)]
    assert board.goal == Decimal(-50)
    assert board.goal_set
    # The charts' data is a JSON document the CSP lets through, never a script.
    assert '<script id="dashboard-charts" type="application/json">' in text
    charts = {chart["id"]: chart for chart in board.charts["charts"]}
    months = trend_period(period_now()).months()
    assert charts["complaints-yoy"]["categories"] == [m.first.strftime("%Y-%m") for m in months]
    assert charts["complaints-yoy"]["series"][0]["data"][-2:] in ([0, 3], [3, 0], [3, 3])
    assert charts["business-online_rate"]["target"] == 90.0
    assert {"requests-filed-by-compound", "requests-filed-by-manager"} <= set(charts)
    by_compound = charts["requests-filed-by-compound"]
    assert dict(zip(by_compound["categories"], by_compound["series"][0]["data"], strict=True)) == {
        "北苑小区": 5.0,
        "南苑小区": 1.0,
    }


def test_a_customer_manager_sees_his_own_compounds_only(client: Client, filled: City) -> None:
    response = as_user(client, filled.manager).get(f"{DASHBOARD}?{query(period_now())}")
    assert response.status_code == 200
    assert response.context["selection"].cut.compound_ids == {filled.north.pk}
    shown = {i.metric.code: i for s in response.context["board"].sections for i in s.figures}
    assert shown["complaints.count"].value == "2"
    scopes = [key for _kind, choices in response.context["cut_groups"] for key, _n in choices]
    assert scopes == [
        "all",
        f"community:{filled.community.pk}",  # north is the whole of it
        f"compound:{filled.north.pk}",
        f"manager:{filled.manager.pk}",
    ]


def test_the_trend_compares_with_the_previous_period(client: Client, filled: City) -> None:
    before = period_now().previous()
    old = file(
        filled,
        "complaint",
        now=timezone.make_aware(datetime.datetime.combine(before.first, datetime.time(10))),
    )
    assert old.created_at < period_now().start
    response = as_user(client, filled.supervisor).get(f"{DASHBOARD}?{query(period_now())}")
    shown = {i.metric.code: i for s in response.context["board"].sections for i in s.figures}
    complaints = shown["complaints.count"]
    assert complaints.previous == "1"
    assert complaints.direction == "up"
    assert complaints.figure.better is False
    assert 'class="figure-trend trend-worse" data-trend="up"' in response.content.decode()


def test_the_risk_list(client: Client, filled: City) -> None:
    WorkOrder.objects.filter(category__code="complaint", compound=filled.north).update(
        opinion_risk=True
    )
    overdue = WorkOrder.objects.get(category__code="business_new")
    WorkOrder.objects.filter(pk=overdue.pk).update(
        next_due=timezone.now() - datetime.timedelta(hours=1)
    )
    response = as_user(client, filled.supervisor).get(f"{DASHBOARD}?{query(period_now())}")
    risks = {risk.code: risk for risk in response.context["risks"]}
    assert [w.pk for w in risks["overdue"].rows] == [overdue.pk]
    flagged = WorkOrder.objects.filter(
        opinion_risk=True, status__in=WorkOrder.OPEN_STATUSES
    ).count()
    assert risks["opinion"].count == flagged >= 2
    # Two complaints from north's first home; south's single one is not a repeat.
    assert risks["repeated"].count == 1
    assert risks["repeated"].rows[0].household
    assert risks["repeated"].rows[0].count == 2
    assert [r.outage.title for r in risks["late_notices"].rows] == ["北苑小区通知晚了的检修"]
    assert [a.code for a in risks["high_loss"].rows] == ["TA1"]
    text = response.content.decode()
    assert f"/desk/requests/{overdue.pk}/" in text
    assert f"/desk/lineloss/{filled.station_area.code}/" in text
    # An open check of the area takes it off the list.
    lineloss_open_check(station_area=filled.station_area, by=filled.manager)
    response = as_user(client, filled.supervisor).get(f"{DASHBOARD}?{query(period_now())}")
    risks = {risk.code: risk for risk in response.context["risks"]}
    assert risks["high_loss"].count == 0


def test_repeated_complaints_from_one_building_count_once_per_building(
    client: Client, filled: City
) -> None:
    file(filled, "complaint", household=filled.north_home_2, by=filled.manager)
    response = as_user(client, filled.supervisor).get(f"{DASHBOARD}?{query(period_now())}")
    repeated = {risk.code: risk for risk in response.context["risks"]}["repeated"]
    assert [(row.household, row.count) for row in repeated.rows] == [(True, 2), (False, 3)]
    assert repeated.rows[1].building == filled.north_building.name


# Each list holds exactly what its figure counts --------------------------------------------


def counted_by_list(code: str, figure: Any) -> Any:
    """Which part of the figure its list of requests or outages holds one row for."""
    metric = METRICS[code]
    if metric.unit == Unit.COUNT:
        return figure.value
    if metric.unit == Unit.RATIO or code == "complaints.yoy_change":
        return figure.numerator
    return figure.denominator


def test_each_request_list_holds_the_rows_its_figure_counts(client: Client, filled: City) -> None:
    supervisor = as_user(client, filled.supervisor)
    period = period_now()
    cut = resolve_cut(filled.supervisor, "all")
    checked = 0
    for figure in figures(list(METRIC_LIST), period, cut):
        metric = figure.metric
        if metric.drill is None or metric.drill.kind != DrillKind.REQUESTS:
            continue
        if metric.unit == Unit.HOURS:
            continue  # a percentile: its sample is the list, but it shows no n
        response = supervisor.get(
            f"{DRILLS[DrillKind.REQUESTS]}?{query(period, metric=metric.code)}"
        )
        assert response.status_code == 200, metric.code
        listed = response.context["page"].paginator.count
        assert listed == counted_by_list(metric.code, figure), metric.code
        checked += 1
    assert checked >= 10


def test_the_outage_and_area_lists_add_up_to_their_figures(client: Client, filled: City) -> None:
    supervisor = as_user(client, filled.supervisor)
    period = period_now()
    cut = resolve_cut(filled.supervisor, "all")
    found = {
        f.metric.code: f
        for f in figures(
            [METRICS[c] for c in ("outages.notice_on_time", "outages.reach", "lineloss.qualified")],
            period,
            cut,
        )
    }
    notices = supervisor.get(
        f"{DRILLS[DrillKind.OUTAGES]}?{query(period, metric='outages.notice_on_time')}"
    )
    rows = notices.context["rows"]
    assert len(rows) == found["outages.notice_on_time"].denominator == 2
    assert sum(row["on_time"] for row in rows) == found["outages.notice_on_time"].numerator == 1
    reach = supervisor.get(f"{DRILLS[DrillKind.OUTAGES]}?{query(period, metric='outages.reach')}")
    assert (
        sum(row["affected"] for row in reach.context["rows"]) == found["outages.reach"].denominator
    )
    text = notices.content.decode()
    assert 'data-notice="late"' in text
    assert 'data-notice="on-time"' in text
    areas = supervisor.get(
        f"{DRILLS[DrillKind.AREAS]}?{query(period, metric='lineloss.qualified')}"
    )
    assert areas.status_code == 200
    area_rows = list(areas.context["page"].object_list)
    assert sum(row["area_days"] for row in area_rows) == found["lineloss.qualified"].denominator
    assert sum(row["qualified"] for row in area_rows) == found["lineloss.qualified"].numerator
    assert 'data-check="none"' in areas.content.decode()


def test_a_list_is_cut_like_its_figure(client: Client, filled: City) -> None:
    """The manager's list of complaints holds north's two, not south's."""
    response = as_user(client, filled.manager).get(
        f"{DRILLS[DrillKind.REQUESTS]}?{query(period_now(), metric='complaints.count')}"
    )
    rows = list(response.context["page"].object_list)
    assert len(rows) == 2
    assert {w.compound_id for w in rows} == {filled.north.pk}


# Queries -------------------------------------------------------------------------------


def add_compounds(city: City, n: int) -> None:
    """n more compounds in the district, each with a building, a home, a manager and a
    request filed today."""
    for k in range(n):
        compound = Compound.objects.create(
            community=city.community, code=f"MORE{k}", name=f"新村{k}号小区", address="涂山路"
        )
        building = Building.objects.create(compound=compound, code=f"MORE{k}-1", name="1号楼")
        home = Household.objects.create(
            building=building,
            station_area=city.station_area,
            account_no=f"35000000{k:02d}",
            unit="1",
            room="101",
            address=f"涂山路新村{k}号小区1号楼1单元101室",
            holder_name="刘芳",
            phone=f"137000001{k:02d}",
        )
        StationArea.objects.get(pk=city.station_area.pk).compounds.add(compound)
        CompoundAssignment.objects.create(
            user=city.manager_b, compound=compound, role="customer_manager"
        )
        file(city, "complaint", household=home, by=city.manager_b)


def test_the_dashboards_queries_do_not_grow_with_the_compounds(
    client: Client, filled: City
) -> None:
    supervisor = as_user(client, filled.supervisor)
    url = f"{DASHBOARD}?{query(period_now())}"
    few = queries_of(supervisor, url)
    add_compounds(filled, 6)
    assert queries_of(supervisor, url) == few
    assert few <= 120, few


# No contact details --------------------------------------------------------------------


@pytest.fixture
def demo_city(db: None, settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", households_per_building=2, stdout=StringIO())


def test_no_page_shows_a_residents_contact_details(client: Client, demo_city: None) -> None:
    phones = set(Household.objects.exclude(phone="").values_list("phone", flat=True))
    phones |= set(
        WorkOrder.objects.exclude(contact_phone="").values_list("contact_phone", flat=True)
    )
    assert len(phones) > 10
    addresses = set(Household.objects.values_list("address", flat=True))
    pages = 0
    for username in ("supervisor1", "manager1", "admin"):
        user = User.objects.get(username=username)
        client.force_login(user)
        period = Period(timezone.localdate() - datetime.timedelta(days=60), timezone.localdate())
        urls = [f"{DASHBOARD}?{query(period)}", "/desk/"]
        urls += [
            f"{DRILLS[kind]}?{query(period)}"
            for kind in (DrillKind.REQUESTS, DrillKind.OUTAGES, DrillKind.AREAS)
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.content.decode()
            for phone in phones:
                assert phone not in text, (username, url, phone)
                assert mask_phone(phone) not in text, (username, url, phone)
            if "dashboard" in url:
                for address in addresses:
                    assert address not in text, (username, url, address)
            pages += 1
    assert pages == 15


def test_outage_kinds_are_listed(client: Client, filled: City) -> None:
    Outage.objects.update(kind=Outage.Kind.TEMPORARY)
    response = as_user(client, filled.supervisor).get(
        f"{DRILLS[DrillKind.OUTAGES]}?{query(period_now())}"
    )
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2


@pytest.mark.parametrize("kind", list(DrillKind))
def test_the_lists_queries_do_not_grow_with_their_rows(
    client: Client, filled: City, kind: DrillKind
) -> None:
    supervisor = as_user(client, filled.supervisor)
    url = f"{DRILLS[kind]}?{query(period_now())}"
    few = queries_of(supervisor, url)
    for _n in range(4):
        file(filled, "complaint", household=filled.north_home_2)
        outage = make_outage(filled, title="北苑小区又一次检修")
        outage.affected.create(household=filled.north_home)
    area = StationArea.objects.create(
        feeder=filled.station_area.feeder, code="TA9", name="北苑9号台区"
    )
    area.compounds.add(filled.north)
    StationAreaDay.objects.create(
        station_area=area,
        date=timezone.localdate(),
        supply_kwh=Decimal(100),
        user_kwh=Decimal(95),
        loss_kwh=Decimal(5),
        loss_rate=Decimal("0.05"),
        meters_total=1,
        meters_collected=1,
        collection_rate=Decimal(1),
        status=LossStatus.QUALIFIED,
    )
    assert queries_of(supervisor, url) == few


def test_the_dashboard_and_its_lists_link_to_their_exports(client: Client, filled: City) -> None:
    """The links a supervisor follows from the page give the workbook and the monthly report
    of the same period and scope."""
    page = as_user(client, filled.supervisor).get(
        DASHBOARD, {"period": "last_month", "scope": f"district:{filled.district.pk}"}
    )
    links = re.findall(r'href="(/desk/dashboard/(?:export\.xlsx|report\.pdf)[^"]*)"', page.text)
    assert len(links) == 2
    workbook, report = (client.get(html.unescape(link)) for link in links)
    assert workbook.status_code == 200
    assert workbook["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"
    drill = client.get(
        DRILLS[DrillKind.REQUESTS], {"metric": "complaints.count", "period": "this_month"}
    )
    (listed,) = re.findall(r'href="(/desk/dashboard/requests\.xlsx[^"]*)"', drill.text)
    assert "metric=complaints.count" in html.unescape(listed)
    assert client.get(html.unescape(listed)).status_code == 200
