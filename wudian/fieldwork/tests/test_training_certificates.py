"""Certificates: recording one for an electrician (and the refusals that save nothing), its
scanned copy and who may see it, the registry's reach on the page, in CSV and in the API."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wudian.accounts.models import Certificate, RoleCode, User
from wudian.conftest import (
    City,
    api,
    image_bytes,
    make_user,
    post,
    queries_of,
    snapshot,
    stored_files,
    upload,
    zh,
)
from wudian.core.errors import BadInput, NotAllowed, OutsideScope
from wudian.core.photos import photo_from_bytes
from wudian.fieldwork.selectors.training import registry_rows
from wudian.fieldwork.services.training import CertificateIn, certificate_record
from wudian.grid.models import CompoundAssignment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
YEAR_START = timezone.make_aware(datetime.datetime(TODAY.year, 1, 1))
YEAR_END = timezone.make_aware(datetime.datetime(TODAY.year + 1, 1, 1))


def renewal(**changes: Any) -> CertificateIn:
    fields: dict[str, Any] = {
        "number": "T3-2",
        "issuer": "蚌埠市应急管理局",
        "issued_on": TODAY - 10 * DAY,
        "expires_on": TODAY + 6 * 365 * DAY,
    }
    fields.update(changes)
    return CertificateIn(**fields)


@pytest.mark.parametrize("who", ["staff", "supervisor", "admin"])
def test_staff_supervisor_and_admin_record_a_renewal(city: City, who: str) -> None:
    certificate = certificate_record(
        electrician_id=city.electrician_expired.pk, by=getattr(city, who), data=renewal()
    )
    assert certificate.holder == city.electrician_expired
    assert certificate.is_valid_on(TODAY)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"issued_on": TODAY - 2000 * DAY, "expires_on": TODAY - DAY},
            "expires_on",
            "an expired certificate cannot be recorded",
        ),
        ({"expires_on": TODAY - 20 * DAY}, "expires_on", "must come after the issue date"),
        ({"number": "t1"}, "number", "already on record"),
        ({"number": "  "}, "number", "Give the certificate's number"),
        ({"issued_on": TODAY + DAY}, "issued_on", "cannot be in the future"),
    ],
)
def test_bad_certificates_are_refused_and_nothing_is_saved(
    city: City, english: None, changes: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot(Certificate)
    with pytest.raises(BadInput) as refused:
        certificate_record(
            electrician_id=city.electrician_expired.pk, by=city.staff, data=renewal(**changes)
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert snapshot(Certificate) == before


def test_an_electrician_outside_ones_compounds_is_not_found(city: City) -> None:
    # staff serves north only; electrician_b serves south.
    before = snapshot(Certificate)
    with pytest.raises(OutsideScope):
        certificate_record(electrician_id=city.electrician_b.pk, by=city.staff, data=renewal())
    assert snapshot(Certificate) == before


@pytest.mark.parametrize("who", ["resident", "outsider", "electrician", "manager", "gridadmin"])
def test_others_record_no_certificate(city: City, who: str) -> None:
    before = snapshot(Certificate)
    with pytest.raises(NotAllowed):
        certificate_record(
            electrician_id=city.electrician_expired.pk, by=getattr(city, who), data=renewal()
        )
    assert snapshot(Certificate) == before


def test_the_page_records_a_certificate_with_its_scan(city: City, login: Any, media: Path) -> None:
    client = login(city.staff)
    page = client.get(f"/certificates/new/?electrician={city.electrician_expired.pk}")
    assert page.status_code == 200
    answer = client.post(
        "/certificates/new/",
        {
            "electrician": city.electrician_expired.pk,
            "number": "T3-2",
            "issuer": "蚌埠市应急管理局",
            "issued_on": (TODAY - 10 * DAY).isoformat(),
            "expires_on": (TODAY + 2000 * DAY).isoformat(),
            "scan": upload("scan.jpg", image_bytes("JPEG"), "image/jpeg"),
        },
    )
    assert answer.status_code == 302
    certificate = Certificate.objects.get(number="T3-2")
    assert (certificate.scan.name or "").startswith(f"certificates/{city.electrician_expired.pk}/")
    assert len(stored_files(media)) == 1
    url = f"/certificates/{certificate.pk}/scan/"
    for user, status in [
        (city.electrician_expired, 200),
        (city.staff, 200),
        (city.manager, 200),
        (city.supervisor, 200),
        (city.admin, 200),
        (city.gridadmin, 200),
        (city.manager_b, 404),
        (city.electrician_b, 404),
        (city.resident, 404),
        (city.outsider, 404),
    ]:
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "image/jpeg"


def test_a_scan_that_is_no_image_is_refused_and_nothing_is_stored(
    city: City, login: Any, media: Path
) -> None:
    before = snapshot(Certificate)
    answer = login(city.staff).post(
        "/certificates/new/",
        {
            "electrician": city.electrician_expired.pk,
            "number": "T3-2",
            "issued_on": (TODAY - 10 * DAY).isoformat(),
            "expires_on": (TODAY + 2000 * DAY).isoformat(),
            "scan": upload("scan.pdf", b"%PDF-1.4 not an image", "application/pdf"),
        },
    )
    assert answer.status_code == 422
    assert snapshot(Certificate) == before
    assert stored_files(media) == []


def test_the_page_refuses_an_expired_certificate_with_a_message(city: City, login: Any) -> None:
    before = snapshot(Certificate)
    answer = login(city.supervisor).post(
        "/certificates/new/",
        {
            "electrician": city.electrician_expired.pk,
            "number": "T3-2",
            "issued_on": (TODAY - 2000 * DAY).isoformat(),
            "expires_on": (TODAY - DAY).isoformat(),
        },
    )
    assert answer.status_code == 422
    assert zh("Not saved: please correct what is marked below.") in answer.content.decode()
    assert snapshot(Certificate) == before


def test_the_page_answers_404_for_an_electrician_outside(city: City, login: Any) -> None:
    before = snapshot(Certificate)
    answer = login(city.staff).post(
        "/certificates/new/",
        {
            "electrician": city.electrician_b.pk,
            "number": "X1",
            "issued_on": (TODAY - DAY).isoformat(),
            "expires_on": (TODAY + 100 * DAY).isoformat(),
        },
    )
    assert answer.status_code == 404
    assert snapshot(Certificate) == before


# The registry -------------------------------------------------------------------------------


def _names(user: User) -> dict[str, str]:
    rows = registry_rows(user, on=TODAY, year_start=YEAR_START, year_end=YEAR_END)
    return {row.electrician.username: row.standing for row in rows}


def test_the_registry_reaches_each_role_s_electricians(city: City) -> None:
    everyone = {"electrician": "valid", "electrician_expired": "expired", "electrician_b": "valid"}
    assert _names(city.supervisor) == everyone
    assert _names(city.admin) == everyone
    assert _names(city.staff) == {"electrician": "valid", "electrician_expired": "expired"}
    assert _names(city.manager) == {"electrician": "valid", "electrician_expired": "expired"}
    assert _names(city.manager_b) == {"electrician_b": "valid"}
    assert _names(city.resident) == {}
    assert _names(city.electrician) == {}


def test_the_registry_tells_who_expires_soon_and_who_has_none(city: City) -> None:
    Certificate.objects.filter(holder=city.electrician).update(expires_on=TODAY + 45 * DAY)
    Certificate.objects.filter(holder=city.electrician_b).delete()
    assert _names(city.supervisor) == {
        "electrician": "expiring",
        "electrician_expired": "expired",
        "electrician_b": "none",
    }


def test_the_registry_page_filters_and_exports(city: City, login: Any) -> None:
    client = login(city.supervisor)
    page = client.get("/certificates/?standing=expired")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-electrician="electrician_expired"' in body
    assert 'data-electrician="electrician"' not in body
    csv = client.get("/certificates/?format=csv").content.decode("utf-8-sig")
    assert "T1" in csv
    assert "T2" in csv
    assert "T3" in csv


@pytest.mark.parametrize("who", ["resident", "outsider", "electrician", "gridadmin", "dept"])
def test_the_registry_is_refused_to_others(city: City, login: Any, who: str) -> None:
    assert login(getattr(city, who)).get("/certificates/").status_code == 403


def test_the_api_registry_and_recording(city: City) -> None:
    rows = api(city.staff).get("/api/v1/fieldwork/certificates").json()["items"]
    assert {row["username"] for row in rows} == {"electrician", "electrician_expired"}
    before = snapshot(Certificate)
    refused = post(
        api(city.staff),
        "/api/v1/fieldwork/certificates",
        {
            "electrician_id": city.electrician_expired.pk,
            "number": "T3-2",
            "issued_on": TODAY - 2000 * DAY,
            "expires_on": TODAY - DAY,
        },
    )
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "expires_on"]]
    outside = post(
        api(city.staff),
        "/api/v1/fieldwork/certificates",
        {
            "electrician_id": city.electrician_b.pk,
            "number": "X1",
            "issued_on": TODAY - DAY,
            "expires_on": TODAY + 100 * DAY,
        },
    )
    assert outside.status_code == 404
    assert snapshot(Certificate) == before
    made = post(
        api(city.staff),
        "/api/v1/fieldwork/certificates",
        {
            "electrician_id": city.electrician_expired.pk,
            "number": "T3-2",
            "issued_on": TODAY - DAY,
            "expires_on": TODAY + 100 * DAY,
        },
    )
    assert made.status_code == 201
    assert made.json()["number"] == "T3-2"


def test_a_scan_is_checked_like_a_photo(city: City, media: Path) -> None:
    certificate = certificate_record(
        electrician_id=city.electrician_expired.pk,
        by=city.admin,
        data=renewal(),
        scan=photo_from_bytes(image_bytes("PNG")),
    )
    assert (certificate.scan.name or "").endswith(".png")


def test_the_registry_page_takes_the_same_queries_however_many_electricians(
    city: City, login: Any
) -> None:

    client = login(city.supervisor)
    few = queries_of(client, "/certificates/")
    for n in range(5):
        extra = make_user(f"extra_electrician_{n}", RoleCode.ELECTRICIAN)
        CompoundAssignment.objects.create(user=extra, compound=city.south, role="electrician")
        Certificate.objects.create(
            holder=extra, number=f"X{n}", issued_on=TODAY - DAY, expires_on=TODAY + 100 * DAY
        )
    assert queries_of(client, "/certificates/") == few
