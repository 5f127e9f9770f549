"""Defects over the API: the list in scope, one defect with its actions, recording, the fix
with its after-photos (multipart) and the other side's check; refusals change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wudian.conftest import City, api, image_bytes, post, snapshot
from wudian.fieldwork.models import Defect, DefectPhoto, Severity
from wudian.fieldwork.services.defects import defect_open

pytestmark = pytest.mark.django_db

URL = "/api/v1/fieldwork/defects"


def found(city: City, **given: Any) -> Defect:
    fields: dict[str, Any] = {
        "compound": city.north,
        "description": "电缆桥架盖板缺失",
        "severity": Severity.SERIOUS,
        "responsible": Defect.Responsible.PROPERTY,
        "by": city.manager,
        "source": Defect.Source.PATROL,
    }
    fields.update(given)
    return defect_open(**fields)


def test_list_and_detail(city: City) -> None:
    defect = found(city)
    south = found(city, compound=city.south, by=city.manager_b)
    answer = api(city.electrician).get(URL)
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["items"]] == [defect.pk]
    answer = api(city.supervisor).get(URL, {"compound": "SOUTH"})
    assert [row["id"] for row in answer.json()["items"]] == [south.pk]
    assert api(city.supervisor).get(URL, {"compound": "NOWHERE"}).json()["items"] == []
    detail = api(city.electrician).get(f"{URL}/{defect.pk}").json()
    assert detail["actions"] == ["fix", "add_photos", "comment"]
    assert detail["timeline"][0]["kind"] == "opened"
    assert api(city.electrician).get(f"{URL}/{south.pk}").status_code == 404
    assert api(city.resident).get(f"{URL}/{defect.pk}").status_code == 403


def test_record(city: City) -> None:
    answer = post(
        api(city.staff),
        URL,
        {
            "compound": "NORTH",
            "description": "地下室配电房渗水",
            "severity": "critical",
            "responsible": "property",
        },
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["owner"] == "张电工"
    before = snapshot(Defect)
    bad = {"compound": "NORTH", "description": "", "severity": "normal", "responsible": "utility"}
    assert post(api(city.staff), URL, bad).status_code == 422
    assert (
        post(api(city.staff), URL, {**bad, "compound": "SOUTH", "description": "x"}).status_code
        == 404
    )
    assert snapshot(Defect) == before


def test_fix_and_check(city: City, media: Path) -> None:
    defect = found(city)
    fix = f"{URL}/{defect.pk}/fix"
    before = snapshot(defect, DefectPhoto)
    answer = api(city.electrician).post(fix, {"note": "已补装盖板"})
    assert answer.status_code == 422
    assert "photos" in str(answer.json())
    assert api(city.manager).post(fix, {"note": "x", "photos": [_file()]}).status_code == 403
    assert snapshot(defect, DefectPhoto) == before
    answer = api(city.electrician).post(fix, {"note": "已补装盖板", "photos": [_file()]})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "fixed"
    assert [p["stage"] for p in answer.json()["photos"]] == ["after"]
    check = f"{URL}/{defect.pk}/check"
    before = snapshot(defect)
    assert post(api(city.electrician), check, {"passed": True}).status_code == 403
    assert post(api(city.manager), check, {"passed": False}).status_code == 422
    assert snapshot(defect) == before
    answer = post(api(city.manager), check, {"passed": True})
    assert answer.status_code == 200
    assert answer.json()["status"] == "closed"
    assert answer.json()["actions"] == ["comment"]
    assert post(api(city.manager), check, {"passed": True}).status_code == 409


def _file() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("after.png", image_bytes(), content_type="image/png")
