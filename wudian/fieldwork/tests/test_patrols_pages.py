"""The patrol pages and API: one's list, a patrol on the phone sent as a plain form or by
the script (JSON), sent twice recorded once, conflicts and bad input refused with nothing
changed, the second party's confirmation, the field history, the window's last patrol and
the desk card."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wudian.conftest import City, api, image_bytes, post, queries_of, snapshot, upload, zh
from wudian.fieldwork.models import ChecklistItem, Defect, DefectPhoto, Patrol, PatrolAnswer
from wudian.fieldwork.services.patrols import (
    checklist_version_new_draft,
    checklist_version_publish,
    patrol_confirm,
)
from wudian.fieldwork.tests.patrol_helpers import NOW, planned, started, submitted

pytestmark = pytest.mark.django_db


def page_form(
    patrol: Patrol, changes: dict[str, Any] | None = None, *, key: uuid.UUID | None = None
) -> dict[str, Any]:
    items = ChecklistItem.objects.filter(version=patrol.checklist_version).order_by("position")
    data: dict[str, Any] = {
        "submission_key": str(key or uuid.uuid4()),
        "version": patrol.checklist_version_id,
        **{f"result-{item.pk}": "ok" for item in items},
    }
    data.update(changes or {})
    return data


def test_the_list_shows_ones_patrols_and_refuses_residents(city: City, login: Any) -> None:
    patrol = planned(city)
    page = login(city.electrician).get("/patrols/")
    assert page.status_code == 200
    assert f'data-patrol="{patrol.pk}"' in page.text
    other = Patrol.objects.get(compound=city.south)
    assert f'data-patrol="{other.pk}"' not in page.text
    assert login(city.resident).get("/patrols/").status_code == 403


@pytest.mark.parametrize("who", ["electrician_b", "manager_b", "resident", "gridadmin", "outsider"])
def test_a_patrol_outside_ones_compounds_is_not_found(city: City, login: Any, who: str) -> None:
    patrol = started(city)
    client = login(getattr(city, who))
    before = snapshot(patrol, PatrolAnswer, Defect)
    assert client.get(f"/patrols/{patrol.pk}/").status_code == 404
    assert client.post(f"/patrols/{patrol.pk}/submit/", page_form(patrol)).status_code == 404
    assert snapshot(patrol, PatrolAnswer, Defect) == before


def test_the_patrol_page_is_a_form_that_works_without_script(city: City, login: Any) -> None:
    patrol = started(city)
    client = login(city.electrician)
    page = client.get(f"/patrols/{patrol.pk}/")
    assert 'id="patrol-form"' in page.text
    assert 'capture="environment"' in page.text
    first = ChecklistItem.objects.filter(version=patrol.checklist_version).order_by("position")[0]
    data = page_form(
        patrol,
        {
            f"result-{first.pk}": "finding",
            f"note-{first.pk}": "挡板缺失",
            f"severity-{first.pk}": "critical",
            f"responsible-{first.pk}": "utility",
            f"building-{first.pk}": str(city.north_building.pk),
            f"photos-{first.pk}": upload("site.png", image_bytes()),
        },
    )
    response = client.post(f"/patrols/{patrol.pk}/submit/", data)
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SIGNED
    defect = Defect.objects.get(patrol=patrol)
    assert defect.building == city.north_building
    assert DefectPhoto.objects.filter(defect=defect, stage="before").count() == 1


def test_sent_twice_by_the_script_is_recorded_once(city: City, login: Any) -> None:
    patrol = started(city)
    client = login(city.electrician)
    data = page_form(patrol, key=uuid.uuid4())
    headers = {"Accept": "application/json"}
    first = client.post(f"/patrols/{patrol.pk}/submit/", data, headers=headers)
    again = client.post(f"/patrols/{patrol.pk}/submit/", data, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["recorded"] is True
    assert again.json()["recorded"] is False
    assert again.json()["status"] == "signed"
    assert PatrolAnswer.objects.filter(patrol=patrol).count() == len(data) - 2


def test_a_checklist_changed_under_the_page_is_a_conflict(city: City, login: Any) -> None:
    patrol = started(city)
    draft = checklist_version_new_draft(version=patrol.checklist_version)  # type: ignore[arg-type]
    checklist_version_publish(version=draft)
    client = login(city.electrician)
    before = snapshot(patrol, PatrolAnswer, Defect)
    stale = page_form(patrol, {"version": draft.pk})
    response = client.post(
        f"/patrols/{patrol.pk}/submit/", stale, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    assert "刷新" in response.json()["detail"]
    page = client.post(f"/patrols/{patrol.pk}/submit/", stale)
    assert page.status_code == 409
    assert snapshot(patrol, PatrolAnswer, Defect) == before


def test_a_done_patrol_cannot_be_sent_again(city: City, login: Any) -> None:
    patrol = patrol_confirm(patrol=submitted(city), by=city.manager, now=NOW)
    before = snapshot(patrol, PatrolAnswer, Defect)
    response = login(city.electrician).post(f"/patrols/{patrol.pk}/submit/", page_form(patrol))
    assert response.status_code == 409
    assert snapshot(patrol, PatrolAnswer, Defect) == before


def test_an_incomplete_finding_is_shown_on_its_item(city: City, login: Any) -> None:
    patrol = started(city)
    first = ChecklistItem.objects.filter(version=patrol.checklist_version).order_by("position")[0]
    before = snapshot(patrol, PatrolAnswer, Defect)
    response = login(city.electrician).post(
        f"/patrols/{patrol.pk}/submit/", page_form(patrol, {f"result-{first.pk}": "finding"})
    )
    assert response.status_code == 422
    assert zh("Say what was found.") in response.text
    assert snapshot(patrol, PatrolAnswer, Defect) == before


def test_the_other_party_confirms_on_the_page(city: City, login: Any) -> None:
    patrol = submitted(city)
    page = login(city.manager).get(f"/patrols/{patrol.pk}/")
    assert 'id="confirm-patrol"' in page.text
    assert 'id="confirm-patrol"' not in login(city.electrician).get(f"/patrols/{patrol.pk}/").text
    assert login(city.manager).post(f"/patrols/{patrol.pk}/confirm/").status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.DONE


def test_a_wrong_move_on_the_page_is_422(city: City, login: Any) -> None:
    patrol = planned(city)
    before = snapshot(patrol)
    next_month = (patrol.month + datetime.timedelta(days=40)).replace(day=2)
    response = login(city.manager).post(
        f"/patrols/{patrol.pk}/move/", {"planned_on": next_month.isoformat(), "reason": "改期"}
    )
    assert response.status_code == 422
    assert snapshot(patrol) == before


def test_field_history_shows_patrols_findings_and_defects_by_building(
    city: City, login: Any
) -> None:
    patrol = submitted(city)
    client = login(city.manager)
    page = client.get("/desk/compounds/NORTH/field/")
    assert page.status_code == 200
    assert f'data-patrol="{patrol.pk}"' in page.text
    assert 'data-findings="1"' in page.text
    defect = Defect.objects.get(patrol=patrol)
    assert f'data-defect="{defect.pk}"' in page.text
    other = client.get(f"/desk/compounds/NORTH/field/?building={city.north_building.pk}")
    assert f'data-defect="{defect.pk}"' not in other.text
    first = queries_of(client, "/desk/compounds/NORTH/field/")
    submitted_again = Patrol.objects.create(
        compound=city.north, kind="extra", month=patrol.month, planned_on=patrol.planned_on
    )
    assert submitted_again.pk
    assert queries_of(client, "/desk/compounds/NORTH/field/") == first
    assert login(city.electrician_b).get("/desk/compounds/NORTH/field/").status_code == 404


def test_the_window_shows_the_last_patrol(city: City) -> None:
    assert "last-patrolled" in Client().get("/c/NORTH/").text
    patrol = patrol_confirm(patrol=submitted(city), by=city.manager, now=NOW)
    text = Client().get("/c/NORTH/").text
    assert patrol.submitted_at is not None
    day = timezone.localtime(patrol.submitted_at).strftime("%Y-%m-%d")
    assert f"{day}" in text.split('id="last-patrolled"')[1][:300]


def test_the_desk_card_counts_patrols(city: City, login: Any) -> None:
    planned(city)
    page = login(city.electrician).get("/desk/")
    assert 'id="fieldwork-card"' in page.text
    assert 'data-count="patrols-due">1<' in page.text
    assert 'id="fieldwork-card"' not in login(city.gridadmin).get("/desk/").text


# The API ------------------------------------------------------------------------------------


def test_api_patrol_has_its_items_and_actions(city: City) -> None:
    patrol = started(city)
    answer = api(city.electrician).get(f"/api/v1/fieldwork/patrols/{patrol.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["actions"] == ["submit"]
    assert body["checklist_version"] == patrol.checklist_version_id
    assert (
        len(body["items"]) == ChecklistItem.objects.filter(version=patrol.checklist_version).count()
    )
    listed = api(city.electrician).get("/api/v1/fieldwork/patrols?status=in_progress").json()
    assert [row["id"] for row in listed["items"]] == [patrol.pk]


def test_api_submit_is_idempotent_and_refuses_a_changed_version(city: City) -> None:
    patrol = started(city)
    items = ChecklistItem.objects.filter(version=patrol.checklist_version)
    payload = {
        "submission_key": str(uuid.uuid4()),
        "checklist_version": patrol.checklist_version_id,
        "answers": [{"item": item.pk, "result": "ok"} for item in items],
    }
    client = api(city.manager)
    url = f"/api/v1/fieldwork/patrols/{patrol.pk}/submit"
    stale = {**payload, "checklist_version": patrol.checklist_version_id + 1000}  # type: ignore[operator]
    before = snapshot(patrol, PatrolAnswer)
    assert post(client, url, stale).status_code == 409
    assert snapshot(patrol, PatrolAnswer) == before
    first = post(client, url, payload)
    again = post(client, url, payload)
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "signed"
    assert PatrolAnswer.objects.filter(patrol=patrol).count() == items.count()
    assert (
        post(api(city.manager), f"/api/v1/fieldwork/patrols/{patrol.pk}/confirm").status_code == 403
    )
    confirmed = post(api(city.electrician), f"/api/v1/fieldwork/patrols/{patrol.pk}/confirm")
    assert confirmed.json()["status"] == "done"
    fresh = {**payload, "submission_key": str(uuid.uuid4())}
    assert post(client, url, fresh).status_code == 409


def test_api_move_outside_the_month_is_422(city: City) -> None:
    patrol = planned(city)
    before = snapshot(patrol)
    answer = post(
        api(city.electrician),
        f"/api/v1/fieldwork/patrols/{patrol.pk}/move",
        {"planned_on": (patrol.month - datetime.timedelta(days=1)).isoformat(), "reason": "改期"},
    )
    assert answer.status_code == 422
    assert snapshot(patrol) == before
    assert api(city.resident).get(f"/api/v1/fieldwork/patrols/{patrol.pk}").status_code == 404
