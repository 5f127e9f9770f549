"""The defect pages: who sees which defects, the list's filters and constant queries, a
defect's page and its steps, photos served by scope, and opening a defect or an extra patrol
in one action from a hazard report or a line-loss alarm."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.conftest import City, image_bytes, queries_of, snapshot, upload
from wudian.core.photos import photo_from_bytes
from wudian.fieldwork.models import Defect, DefectPhoto, Patrol, Severity
from wudian.fieldwork.services.defects import defect_open
from wudian.workorders.models import Category, Channel, WorkOrder
from wudian.workorders.services import workorder_create

pytestmark = pytest.mark.django_db


def found(city: City, compound: Any = None, **given: Any) -> Defect:
    fields: dict[str, Any] = {
        "compound": compound or city.north,
        "description": "表箱锈蚀",
        "severity": Severity.NORMAL,
        "responsible": Defect.Responsible.PROPERTY,
        "by": city.manager if compound in (None, city.north) else city.manager_b,
        "source": Defect.Source.STAFF,
    }
    fields.update(given)
    return defect_open(**fields)


def listed(client: Any, query: str = "") -> set[int]:
    response = client.get(reverse("fieldwork:defect_list") + query)
    assert response.status_code == 200
    return {defect.pk for defect in response.context["rows"]}


def test_who_sees_which_defects(city: City, login: Any) -> None:
    north = found(city)
    south = found(city, city.south)
    given = found(city, responsible=Defect.Responsible.UTILITY, department=city.dept.department)
    assert listed(login(city.electrician)) == {north.pk, given.pk}
    assert listed(login(city.electrician_b)) == {south.pk}
    assert listed(login(city.staff)) == {north.pk, given.pk}
    assert listed(login(city.manager_b)) == {south.pk}
    assert listed(login(city.supervisor)) == {north.pk, south.pk, given.pk}
    assert listed(login(city.dept)) == {given.pk}
    for who in (city.resident, city.outsider):
        assert login(who).get(reverse("fieldwork:defect_list")).status_code == 403
    # Outside one's compounds: 404.
    response = login(city.electrician).get(reverse("fieldwork:defect_detail", args=[south.pk]))
    assert response.status_code == 404


def test_filters_and_deadline_order(city: City, login: Any) -> None:
    normal = found(city)
    critical = found(city, severity=Severity.CRITICAL, building=city.north_building)
    found(city, city.south)
    client = login(city.supervisor)
    rows = client.get(reverse("fieldwork:defect_list")).context["rows"]
    assert rows[0].pk == critical.pk  # the nearest deadline first
    assert listed(client, f"?compound={city.north.pk}") == {normal.pk, critical.pk}
    assert listed(client, f"?building={city.north_building.pk}") == {critical.pk}
    assert listed(client, "?severity=critical") == {critical.pk}
    assert listed(client, "?overdue=on") == set()
    Defect.objects.filter(pk=normal.pk).update(
        deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    assert listed(client, "?overdue=on") == {normal.pk}
    assert listed(client, "?status=closed") == set()
    assert listed(client, "?responsible=utility") == set()


def test_list_queries_are_constant(city: City, login: Any) -> None:
    found(city)
    client = login(city.supervisor)
    few = queries_of(client, reverse("fieldwork:defect_list"))
    for _n in range(6):
        found(city, severity=Severity.SERIOUS)
        found(city, city.south, building=city.south_building)
    assert queries_of(client, reverse("fieldwork:defect_list")) == few


def test_detail_shows_the_steps_of_the_viewer(city: City, login: Any) -> None:
    defect = found(city)
    page = login(city.electrician).get(reverse("fieldwork:defect_detail", args=[defect.pk]))
    assert page.status_code == 200
    assert [name for name, _s, _f in page.context["steps"]] == ["fix", "add_photos", "comment"]
    page = login(city.manager).get(reverse("fieldwork:defect_detail", args=[defect.pk]))
    assert [name for name, _s, _f in page.context["steps"]] == [
        "reassign",
        "add_photos",
        "comment",
    ]


def test_fix_and_check_through_the_pages(city: City, login: Any, media: Path) -> None:
    defect = found(city)
    url = reverse("fieldwork:defect_action", args=[defect.pk, "fix"])
    client = login(city.electrician)
    before = snapshot(defect, DefectPhoto)
    # Without the after-photo: 422, nothing saved.
    response = client.post(url, {"fix-note": "已更换"})
    assert response.status_code == 422
    assert snapshot(defect, DefectPhoto) == before
    response = client.post(
        url, {"fix-note": "已更换", "fix-photos": upload("after.png", image_bytes())}
    )
    assert response.status_code == 302
    defect.refresh_from_db()
    assert defect.status == Defect.Status.FIXED
    # The electrician cannot accept their own fix: 403.
    before = snapshot(defect)
    check = reverse("fieldwork:defect_action", args=[defect.pk, "check_pass"])
    assert client.post(check, {}).status_code == 403
    assert snapshot(defect) == before
    # The customer manager accepts it.
    assert login(city.manager).post(check, {}).status_code == 302
    defect.refresh_from_db()
    assert defect.status == Defect.Status.CLOSED
    # Closing twice: 409.
    assert login(city.manager).post(check, {}).status_code == 409


def test_photos_are_served_by_scope(city: City, login: Any, media: Path) -> None:
    defect = found(city, photos=[photo_from_bytes(image_bytes(), name="a.png")])
    photo = DefectPhoto.objects.get(defect=defect)
    url = reverse("fieldwork:defect_photo", args=[defect.pk, photo.pk])
    response = login(city.electrician).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert login(city.electrician_b).get(url).status_code == 404
    assert login(city.resident).get(url).status_code == 403


def hazard(city: City) -> WorkOrder:
    return workorder_create(
        category=Category.objects.get(code="hazard"),
        description="楼道配电箱冒烟，有焦糊味",
        channel=Channel.WEB,
        by=city.resident,
        household=city.north_home,
        now=timezone.now(),
    )


def test_a_hazard_report_opens_a_defect_in_one_action(city: City, login: Any) -> None:
    workorder = hazard(city)
    client = login(city.manager)
    page = client.get(reverse("workorders:desk_detail", args=[workorder.pk]))
    assert b'id="open-defect"' in page.content
    assert b'id="open-patrol"' in page.content
    response = client.post(
        reverse("fieldwork:defect_from_request", args=[workorder.pk, "defect"]),
        {
            "compound": city.north.pk,
            "severity": "critical",
            "responsible": "property",
            "description": workorder.description,
        },
    )
    assert response.status_code == 302
    defect = Defect.objects.get(workorder=workorder)
    assert defect.source == Defect.Source.HAZARD
    assert defect.building == city.north_building
    page = client.get(reverse("workorders:desk_detail", args=[workorder.pk]))
    assert f'data-defect="{defect.pk}"'.encode() in page.content


def test_a_hazard_report_opens_an_extra_patrol(city: City, login: Any) -> None:
    workorder = hazard(city)
    response = login(city.manager).post(
        reverse("fieldwork:defect_from_request", args=[workorder.pk, "patrol"]),
        {"compound": city.north.pk, "reason": "居民报告隐患"},
    )
    assert response.status_code == 302
    patrol = Patrol.objects.get(workorder=workorder)
    assert patrol.kind == Patrol.Kind.EXTRA
    assert patrol.compound == city.north


def test_hazard_actions_refused_outside(city: City, login: Any) -> None:
    workorder = hazard(city)
    url = reverse("fieldwork:defect_from_request", args=[workorder.pk, "defect"])
    data = {
        "compound": city.north.pk,
        "severity": "normal",
        "responsible": "property",
        "description": "x",
    }
    before = snapshot(Defect)
    assert login(city.manager_b).post(url, data).status_code == 404
    assert login(city.resident).post(url, data).status_code == 403
    assert login(city.outsider).post(url, data).status_code == 403
    response = login(city.manager).post(url, {**data, "severity": "deadly"})
    assert response.status_code == 422
    assert snapshot(Defect) == before
    # Not a hazard report: no such action.
    other = workorder_create(
        category=Category.objects.get(code="complaint"),
        description="投诉",
        channel=Channel.WEB,
        by=city.resident,
        household=city.north_home,
    )
    assert (
        login(city.manager)
        .post(reverse("fieldwork:defect_from_request", args=[other.pk, "defect"]), data)
        .status_code
        == 404
    )


def test_a_line_loss_alarm_opens_a_defect(city: City, login: Any) -> None:
    area = city.station_area
    StationAreaDay.objects.create(
        station_area=area,
        date=datetime.date(2026, 6, 1),
        supply_kwh=Decimal(800),
        user_kwh=Decimal(600),
        loss_kwh=Decimal(200),
        loss_rate=Decimal("0.25"),
        meters_total=4,
        meters_collected=4,
        collection_rate=Decimal(1),
        status=LossStatus.HIGH_LOSS,
    )
    client = login(city.manager)
    page = client.get(reverse("analytics:lineloss_station_area", args=[area.code]))
    assert b'id="alarm-defect"' in page.content
    url = reverse("fieldwork:defect_from_station_area", args=[area.code, "defect"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "compound": city.north.pk,
            "severity": "serious",
            "responsible": "utility",
            "description": "台区线损率25%，疑似窃电",
        },
    )
    assert response.status_code == 302
    defect = Defect.objects.get(station_area=area)
    assert defect.source == Defect.Source.LINE_LOSS
    assert defect.owner == city.manager
    assert login(city.manager_b).post(url, {}).status_code == 404
