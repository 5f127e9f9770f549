"""The arrears list's pages and API: imports for the business hall and administrators (403
for others), a refused file answering 422 with its problems and saving nothing, one import's
counts and unknown accounts, and a household's history for those who remind it (404
outside)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from wudian.billing.models import Arrears, ArrearsImport
from wudian.billing.services.arrears import arrears_import
from wudian.billing.tests.arrears_helpers import business_hall_member, csv_file, xlsx_file
from wudian.conftest import City, api, snapshot, zh

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DUE = (TODAY - datetime.timedelta(days=10)).isoformat()
A1, A2 = "3400000001", "3400000002"
UNKNOWN = "3499999999"
ROWS: list[list[object]] = [
    [A1, "120.50", None, DUE, None],
    [A2, None, "35.20", None, "50"],
    [UNKNOWN, "8", None, DUE, None],
]
PAGE = "/desk/arrears/"


def logged_in(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_business_hall_imports_a_list_on_the_page(city: City) -> None:
    client = logged_in(business_hall_member(city))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert zh("Download the template (.xlsx)") in page.content.decode()
    answer = client.post(PAGE, {"file": xlsx_file(ROWS), "as_of": TODAY.isoformat()})
    run = ArrearsImport.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/desk/arrears/imports/{run.pk}/"
    detail = client.get(answer["Location"]).content.decode()
    assert UNKNOWN in detail
    # Counts and unknown account numbers, never a household's amount or account number.
    assert "120.50" not in detail
    assert A1 not in detail
    listing = client.get(PAGE).content.decode()
    assert "list.xlsx" in listing


def test_a_refused_file_answers_422_with_its_problems_and_saves_nothing(city: City) -> None:
    client = logged_in(city.admin)
    before = snapshot(ArrearsImport, Arrears)
    bad: list[list[object]] = [*ROWS, ["123", "-1", None, DUE, None]]
    answer = client.post(PAGE, {"file": csv_file(bad)})
    assert answer.status_code == 422
    problems = answer.context["refused"].problems
    assert [(p.row, p.column) for p in problems] == [(5, "户号"), (5, "欠费金额")]
    text = answer.content.decode()
    assert 'id="arrears-problems"' in text
    assert zh("the amount cannot be negative ({text}).").format(text="-1") in text
    assert snapshot(ArrearsImport, Arrears) == before


def test_a_page_without_a_file_or_with_a_future_date_answers_422(city: City) -> None:
    client = logged_in(city.admin)
    assert client.post(PAGE, {}).status_code == 422
    future = (TODAY + datetime.timedelta(days=2)).isoformat()
    answer = client.post(PAGE, {"file": csv_file(ROWS), "as_of": future})
    assert answer.status_code == 422
    assert answer.context["form"].errors["as_of"] == [
        zh("The list's date cannot be in the future.")
    ]
    assert not ArrearsImport.objects.exists()


@pytest.mark.parametrize("role", ["manager", "supervisor", "dept", "staff", "resident", "outsider"])
def test_others_may_not_import_or_see_imports(city: City, role: str) -> None:
    run = arrears_import(csv_file(ROWS), "a.csv")
    client = logged_in(getattr(city, role))
    before = snapshot(ArrearsImport, Arrears)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"file": csv_file(ROWS)}).status_code == 403
    assert client.get(f"/desk/arrears/imports/{run.pk}/").status_code == 403
    assert client.get("/desk/arrears/template.xlsx").status_code == 403
    assert snapshot(ArrearsImport, Arrears) == before


def test_the_template_has_the_list_s_headers(city: City) -> None:
    answer = logged_in(city.admin).get("/desk/arrears/template.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True)) == (
        "户号",
        "欠费金额",
        "预存余额",
        "缴费截止日",
        "预警金额",
    )


def test_an_unknown_import_is_404(city: City) -> None:
    assert logged_in(city.admin).get("/desk/arrears/imports/999/").status_code == 404


def test_a_household_s_history_for_those_who_remind_it(city: City) -> None:
    arrears_import(csv_file(ROWS), "a.csv", as_of=TODAY - datetime.timedelta(days=7))
    arrears_import(csv_file([ROWS[0]]), "b.csv", as_of=TODAY)
    url = f"/desk/households/{A2}/arrears/"
    for user in (city.manager, city.electrician, city.staff, city.admin):
        page = logged_in(user).get(url)
        assert page.status_code == 200, user
        text = page.content.decode()
        assert "35.20" in text
        assert zh("Not on the list: settled, nothing owed.") in text
    for user in (city.manager_b, city.electrician_b, city.supervisor, city.gridadmin, city.dept):
        assert logged_in(user).get(url).status_code == 404, user
    assert logged_in(city.admin).get("/desk/households/3499999999/arrears/").status_code == 404


def test_the_api_lists_and_imports(city: City) -> None:
    hall = business_hall_member(city)
    url = "/api/v1/billing/arrears/imports"
    answer = api(hall).post(url, {"file": xlsx_file(ROWS), "as_of": TODAY.isoformat()})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["rows"], body["households"], body["postpaid"], body["prepaid"]) == (3, 2, 1, 1)
    assert body["unknown_accounts"] == [{"row": 4, "account_no": UNKNOWN}]
    listed = api(city.admin).get(url).json()
    assert [(item["id"], item["unknown"]) for item in listed["items"]] == [(body["id"], 1)]


def test_the_api_refuses_a_bad_file_with_its_problems(city: City) -> None:
    before = snapshot(ArrearsImport, Arrears)
    url = "/api/v1/billing/arrears/imports"
    answer = api(city.admin).post(url, {"file": csv_file([[A1, "1.234", None, DUE, None]])})
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {
            "row": 2,
            "column": "欠费金额",
            "message": zh("at most {places} decimals are allowed ({text}).").format(
                places=2, text="1.234"
            ),
        }
    ]
    assert api(city.admin).post(url, {}).status_code == 422
    assert api(city.manager).post(url, {"file": csv_file(ROWS)}).status_code == 403
    assert api(city.manager).get(url).status_code == 403
    assert snapshot(ArrearsImport, Arrears) == before


def test_the_desk_links_the_imports_for_the_business_hall_only(city: City) -> None:
    hall = business_hall_member(city)
    arrears_import(csv_file(ROWS), "a.csv")
    desk = logged_in(hall).get("/desk/").content.decode()
    assert 'id="arrears-card"' in desk
    assert "/desk/arrears/" in desk
    assert 'id="arrears-card"' not in logged_in(city.manager).get("/desk/").content.decode()


def test_the_household_list_links_each_history_for_those_who_remind(city: City) -> None:
    link = f"/desk/households/{A1}/arrears/"
    assert link in logged_in(city.staff).get("/desk/compounds/NORTH/").content.decode()
    # A grid administrator sees the list but does not remind its households.
    assert link not in logged_in(city.gridadmin).get("/desk/compounds/NORTH/").content.decode()
