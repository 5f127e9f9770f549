"""The resident's request pages: the list, the report form with photos and its refusals,
the request page with who holds it, deadlines, photos and timeline, the steps that close the
loop, and the scoped photo view. Every refusal leaves nothing saved or changed."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wudian.conftest import City, image_bytes, snapshot, stored_files, upload, zh
from wudian.core import photos as photo_checks
from wudian.core.photos import photo_from_bytes
from wudian.grid.models import HouseholdMembership
from wudian.workorders.models import Channel, WorkOrder, WorkOrderEvent
from wudian.workorders.services import (
    workorder_accept,
    workorder_cancel,
    workorder_resolve,
    workorder_wait,
)
from wudian.workorders.tests.conftest import FILED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def report(city: City, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "household": city.north_home.pk,
        "category": "fault_behind_meter",
        "description": "卫生间插座没有电，空开跳了合不上",
    }
    data.update(overrides)
    return data


# The list ----------------------------------------------------------------------------------


def test_my_list_shows_my_requests_newest_first_in_chinese(
    login: Any, city: City, file_request: Any
) -> None:
    older = file_request(now=timezone.now() - datetime.timedelta(hours=3))
    newer = file_request("billing_enquiry", description="这个月电费怎么这么多")
    file_request(by=city.resident_b, household=city.south_home, description="南苑的问题")
    response = login(city.resident).get("/me/requests/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-Hans"' in body
    assert zh("My requests") in body
    assert 'href="/me/requests/new/"' in body
    assert "表后故障报修" in body
    assert "电费及缴费咨询" in body
    assert "南苑的问题" not in body
    assert body.index(f'data-request="{newer.pk}"') < body.index(f'data-request="{older.pk}"')
    assert zh("Waiting to be accepted.") in body


def test_my_list_takes_the_same_number_of_queries_for_more_requests(
    login: Any, city: City, file_request: Any
) -> None:
    client = login(city.resident)
    file_request()
    with CaptureQueriesContext(connection) as few:
        assert client.get("/me/requests/").status_code == 200
    for n in range(12):
        file_request("billing_enquiry", description=f"第{n}个问题")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/me/requests/").status_code == 200
    assert len(many) == len(few)


def test_me_page_has_the_report_button_and_my_requests(login: Any, city: City) -> None:
    body = login(city.resident).get("/me/").content.decode()
    assert 'href="/me/requests/new/"' in body
    assert 'href="/me/requests/"' in body
    assert zh("Report a problem") in body
    assert zh("My requests") in body


# Reporting ---------------------------------------------------------------------------------


def test_report_page_groups_categories_and_shows_documents(login: Any, city: City) -> None:
    response = login(city.resident).get("/me/requests/new/")
    assert response.status_code == 200
    body = response.content.decode()
    for label in (
        "Faults and hazards",
        "Enquiries",
        "Electricity business",
        "Complaints, suggestions and other",
    ):
        assert zh(label) in body
    assert 'value="fault_behind_meter"' in body
    assert 'value="business_new"' in body
    # Business categories list what to bring; staff-only categories are not offered.
    assert "不动产权证书或购房合同" in body
    assert 'value="meter_data_check"' not in body
    # One home: it is chosen for the resident.
    assert f'type="hidden" name="household" value="{city.north_home.pk}"' in body
    assert 'accept="image/*"' in body
    assert 'capture="environment"' in body  # the camera, straight away
    assert 'maxlength="4000"' in body


def test_a_resident_with_several_homes_picks_one(login: Any, city: City) -> None:
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    client = login(city.resident)
    body = client.get("/me/requests/new/").content.decode()
    assert f'type="radio" name="household" value="{city.north_home.pk}"' in body
    assert f'type="radio" name="household" value="{city.north_home_2.pk}"' in body
    response = client.post("/me/requests/new/", report(city, household=""))
    assert response.status_code == 422
    assert zh("Choose the home this is about.") in response.content.decode()
    response = client.post("/me/requests/new/", report(city, household=city.north_home_2.pk))
    assert response.status_code == 302
    assert WorkOrder.objects.get().household == city.north_home_2


def test_resident_files_a_fault_with_photos(login: Any, city: City, media: Path) -> None:
    client = login(city.resident)
    photos = [
        upload("a.png", image_bytes()),
        upload("b.jpg", image_bytes("JPEG", color="blue"), "image/jpeg"),
    ]
    response = client.post("/me/requests/new/", {**report(city), "photos": photos})
    workorder = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/me/requests/{workorder.pk}/"
    assert workorder.channel == Channel.WEB
    assert workorder.household == city.north_home
    assert workorder.created_by == city.resident
    assert workorder.assignee == city.electrician
    assert sorted(workorder.photos.values_list("content_type", flat=True)) == [
        "image/jpeg",
        "image/png",
    ]
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    for item in workorder.photos.all():
        assert f'src="/requests/{workorder.pk}/photos/{item.pk}/"' in body
    assert "/media/" not in body
    assert "张电工" in body  # who holds it
    assert zh("Submitted") in body  # the timeline


@pytest.mark.parametrize(
    ("change", "msgid", "params"),
    [
        (
            lambda city: {"photos": [upload("x.png", b"not an image at all", "image/png")]},
            "“%(name)s” is not a JPEG, PNG or WebP photo.",
            {"name": "x.png"},
        ),
        (
            lambda city: {"photos": [upload("doc.pdf", b"%PDF-1.4 fake", "application/pdf")]},
            "“%(name)s” is not a JPEG, PNG or WebP photo.",
            {"name": "doc.pdf"},
        ),
        (
            lambda city: {"photos": [upload(f"{n}.png", image_bytes()) for n in range(7)]},
            "At most %(n)s photos may be attached.",
            {"n": 6},
        ),
        (lambda city: {"description": "电" * 4001}, "", {}),
        (
            lambda city: {"description": "   "},
            "Please describe what happened or what you need.",
            {},
        ),
        (
            lambda city: {"category": "no_such_thing"},
            "Unknown request category “%(code)s”.",
            {"code": "no_such_thing"},
        ),
        (lambda city: {"category": ""}, "Choose what your request is about.", {}),
        (
            lambda city: {"category": "meter_data_check"},
            "Residents cannot file requests of this category.",
            {},
        ),
        (
            lambda city: {"household": city.south_home.pk},
            "That household is not one of yours.",
            {},
        ),
        (lambda city: {"household": "abc"}, "That household is not one of yours.", {}),
    ],
)
def test_refused_reports_save_nothing(
    login: Any, city: City, media: Path, change: Any, msgid: str, params: dict[str, Any]
) -> None:
    data = {**report(city), "photos": [upload("ok.png", image_bytes())], **change(city)}
    before = snapshot(*FILED)
    response = login(city.resident).post("/me/requests/new/", data)
    assert response.status_code == 422
    body = response.content.decode()
    if msgid:
        assert zh(msgid) % params in body
    else:  # Django's own length message names the limit and the length
        assert "4000" in body
        assert "4001" in body
    assert 'class="field-error"' in body
    # The photos cannot be kept across a refusal; the resident is told to choose them again.
    assert zh("For your safety the photos were not kept: please choose them again.") in body
    assert snapshot(*FILED) == before
    assert stored_files(media) == []


def test_a_too_large_photo_is_refused_before_it_is_read(
    login: Any, city: City, media: Path, monkeypatch: Any
) -> None:
    big = image_bytes(size=(400, 400))
    monkeypatch.setattr(photo_checks, "MAX_PHOTO_BYTES", len(big) - 1)
    before = snapshot(*FILED)
    response = login(city.resident).post(
        "/me/requests/new/", {**report(city), "photos": [upload("big.png", big)]}
    )
    assert response.status_code == 422
    assert "“big.png”" in response.content.decode()
    assert snapshot(*FILED) == before
    assert stored_files(media) == []


def test_line_breaks_count_once_against_the_limit(login: Any, city: City) -> None:
    text = ("电" * 9 + "\r\n") * 400  # 4000 characters once CR LF is one line break
    response = login(city.resident).post("/me/requests/new/", report(city, description=text))
    assert response.status_code == 302
    assert len(WorkOrder.objects.get().description) == 3999  # the last break is stripped


def test_a_user_without_a_home_is_told_to_link_one(login: Any, city: City) -> None:
    response = login(city.outsider).get("/me/requests/new/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="report-form"' not in body
    assert (
        zh(
            "No electricity account is linked to your login yet, so you cannot report a "
            "problem here."
        )
        in body
    )
    before = snapshot(*FILED)
    response = login(city.outsider).post("/me/requests/new/", report(city))
    assert response.status_code == 422
    assert snapshot(*FILED) == before


# One request -------------------------------------------------------------------------------


def test_request_page_shows_holder_deadlines_and_timeline(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request("complaint", description="抄表员态度不好")
    response = login(city.resident).get(f"/me/requests/{workorder.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "投诉" in body
    assert "李经理" in body
    assert 'href="tel:13900000001"' in body
    assert zh("Our deadlines") in body
    assert zh("Progress") in body
    assert zh("Withdraw this request") in body
    # The resident never sees the deadline warnings meant for staff.
    WorkOrderEvent.objects.create(workorder=workorder, kind="warned", at=timezone.now())
    body = login(city.resident).get(f"/me/requests/{workorder.pk}/").content.decode()
    assert zh("Deadline warning") not in body


@pytest.mark.parametrize("who", ["resident_b", "outsider", "manager_b", "electrician_b"])
def test_request_page_is_404_outside_scope(
    login: Any, city: City, file_request: Any, who: str
) -> None:
    workorder = file_request()
    client = login(getattr(city, who))
    assert client.get(f"/me/requests/{workorder.pk}/").status_code == 404
    before = snapshot(workorder)
    assert client.post(f"/me/requests/{workorder.pk}/cancel/", {}).status_code == 404
    assert (
        client.post(
            f"/me/requests/{workorder.pk}/comment/", {"comment-note": "我来看看"}
        ).status_code
        == 404
    )
    assert snapshot(workorder) == before


def test_staff_who_see_a_request_are_sent_to_the_desk_page(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    response = login(city.manager).get(f"/me/requests/{workorder.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/desk/requests/{workorder.pk}/"


def test_anonymous_visitors_are_sent_to_log_in(city: City, client: Any, file_request: Any) -> None:
    workorder = file_request()
    for url in ("/me/requests/", "/me/requests/new/", f"/me/requests/{workorder.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# Photos ------------------------------------------------------------------------------------


def test_photos_are_served_only_to_those_who_see_the_request(
    login: Any, city: City, file_request: Any, client: Any
) -> None:
    workorder = file_request(photos=[photo_from_bytes(image_bytes(), name="a.png")])
    other = file_request(description="另一个问题")
    item = workorder.photos.get()
    url = f"/requests/{workorder.pk}/photos/{item.pk}/"
    assert client.get(url).status_code == 302  # log in first
    for user in (city.resident, city.electrician, city.manager, city.supervisor):
        response = login(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert "private" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    for user in (city.resident_b, city.outsider, city.manager_b):
        assert login(user).get(url).status_code == 404
    # A photo id under another request of the same resident does not resolve.
    assert login(city.resident).get(f"/requests/{other.pk}/photos/{item.pk}/").status_code == 404


# Closing the loop --------------------------------------------------------------------------


def resolved(city: City, file_request: Any) -> WorkOrder:
    workorder = file_request()
    workorder_accept(workorder=workorder, by=city.electrician)
    return workorder_resolve(workorder=workorder, by=city.electrician, note="更换了空开")


def test_resolved_request_offers_confirm_rate_and_reopen(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = resolved(city, file_request)
    body = login(city.resident).get(f"/me/requests/{workorder.pk}/").content.decode()
    assert f'action="/me/requests/{workorder.pk}/confirm/"' in body
    assert f'action="/me/requests/{workorder.pk}/rate/"' in body
    assert f'action="/me/requests/{workorder.pk}/reopen/"' in body
    assert "更换了空开" in body
    assert zh("Did you have to go to the service hall for this?") in body
    assert zh("Resolved: please confirm and rate it.") in body


def test_resident_rates_and_thereby_confirms(login: Any, city: City, file_request: Any) -> None:
    workorder = resolved(city, file_request)
    client = login(city.resident)
    response = client.post(
        f"/me/requests/{workorder.pk}/rate/",
        {"rate-rating": "4", "rate-visited_hall": "no", "rate-comment": "师傅很快"},
    )
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.CLOSED
    assert workorder.rating == 4
    assert workorder.visited_hall is False
    assert workorder.rating_comment == "师傅很快"
    body = client.get(f"/me/requests/{workorder.pk}/").content.decode()
    assert f'action="/me/requests/{workorder.pk}/rate/"' not in body
    assert zh("Closed. Thank you for your rating.") in body


def test_resident_confirms_then_rates(login: Any, city: City, file_request: Any) -> None:
    workorder = resolved(city, file_request)
    client = login(city.resident)
    assert client.post(f"/me/requests/{workorder.pk}/confirm/").status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.CLOSED
    assert workorder.confirmed_at is not None
    body = client.get(f"/me/requests/{workorder.pk}/").content.decode()
    assert f'action="/me/requests/{workorder.pk}/rate/"' in body
    assert f'action="/me/requests/{workorder.pk}/confirm/"' not in body
    response = client.post(
        f"/me/requests/{workorder.pk}/rate/",
        {"rate-rating": "5", "rate-visited_hall": "yes"},
    )
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.rating == 5
    assert workorder.visited_hall is True


def test_a_blank_service_hall_answer_is_asked_again_in_words(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = resolved(city, file_request)
    before = snapshot(workorder)
    response = login(city.resident).post(
        f"/me/requests/{workorder.pk}/rate/", {"rate-rating": "4", "rate-comment": "很快"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "请回答是或否" not in body
    assert "还差一个问题" in body
    assert "营业厅" in body
    # What the resident already chose stays chosen, so only the question is left to answer.
    assert re.search(r'name="rate-rating" value="4"[^>]*checked', body)
    assert "很快" in body
    assert snapshot(workorder) == before


def test_refused_closing_steps_change_nothing(login: Any, city: City, file_request: Any) -> None:
    workorder = resolved(city, file_request)
    client = login(city.resident)
    before = snapshot(workorder)
    # Bad input: 422 with the message next to the field.
    response = client.post(
        f"/me/requests/{workorder.pk}/rate/", {"rate-rating": "7", "rate-visited_hall": "no"}
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    response = client.post(f"/me/requests/{workorder.pk}/rate/", {"rate-rating": "3"})
    assert response.status_code == 422
    assert zh("Your rating is not sent yet: please answer the question marked below.") in (
        response.content.decode()
    )
    response = client.post(f"/me/requests/{workorder.pk}/reopen/", {"reopen-reason": " "})
    assert response.status_code == 422
    assert snapshot(workorder) == before
    # Not in this state: 409 with the service's message.
    response = client.post(f"/me/requests/{workorder.pk}/reply/", {"reply-note": "好的"})
    assert response.status_code == 409
    assert 'id="refusal"' in response.content.decode()
    assert snapshot(workorder) == before
    # Another resident of the same compound is outside the scope.
    assert login(city.resident_b).post(f"/me/requests/{workorder.pk}/confirm/").status_code == 404
    assert snapshot(workorder) == before
    # An unknown step is not a page.
    assert client.post(f"/me/requests/{workorder.pk}/explode/").status_code == 404


def test_confirming_a_closed_request_is_409(login: Any, city: City, file_request: Any) -> None:
    workorder = resolved(city, file_request)
    client = login(city.resident)
    assert client.post(f"/me/requests/{workorder.pk}/confirm/").status_code == 302
    before = snapshot(workorder)
    response = client.post(f"/me/requests/{workorder.pk}/confirm/")
    assert response.status_code == 409
    assert snapshot(workorder) == before


def test_resident_reopens_with_a_reason(login: Any, city: City, file_request: Any) -> None:
    workorder = resolved(city, file_request)
    response = login(city.resident).post(
        f"/me/requests/{workorder.pk}/reopen/", {"reopen-reason": "还是跳闸"}
    )
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.ACCEPTED
    assert workorder.reopen_count == 1
    assert workorder.events.filter(kind="reopened", note="还是跳闸").exists()


def test_resident_answers_when_asked(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request("business_new", description="新房需要装表")
    workorder_accept(workorder=workorder, by=city.manager)
    workorder_wait(workorder=workorder, by=city.manager, note="请上传房产证照片")
    client = login(city.resident)
    body = client.get(f"/me/requests/{workorder.pk}/").content.decode()
    assert "请上传房产证照片" in body
    assert f'action="/me/requests/{workorder.pk}/reply/"' in body
    assert zh("Your answer is needed: please reply.") in body
    before = snapshot(workorder)
    response = client.post(f"/me/requests/{workorder.pk}/reply/", {"reply-note": ""})
    assert response.status_code == 422
    assert snapshot(workorder) == before
    response = client.post(f"/me/requests/{workorder.pk}/reply/", {"reply-note": "已经准备好了"})
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.ACCEPTED
    assert workorder.events.filter(kind="resumed", note="已经准备好了").exists()


def test_resident_comments_and_withdraws(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request()
    client = login(city.resident)
    response = client.post(f"/me/requests/{workorder.pk}/comment/", {"comment-note": "下午在家"})
    assert response.status_code == 302
    assert workorder.events.filter(kind="commented", note="下午在家").exists()
    response = client.post(f"/me/requests/{workorder.pk}/cancel/", {"cancel-reason": ""})
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.CANCELLED
    body = client.get(f"/me/requests/{workorder.pk}/").content.decode()
    assert f'action="/me/requests/{workorder.pk}/cancel/"' not in body
    assert f'action="/me/requests/{workorder.pk}/comment/"' not in body


def test_a_cancelled_request_refuses_comments(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request()
    workorder_cancel(workorder=workorder, by=city.resident)
    before = snapshot(workorder)
    response = login(city.resident).post(
        f"/me/requests/{workorder.pk}/comment/", {"comment-note": "还在吗"}
    )
    assert response.status_code == 409
    assert snapshot(workorder) == before


def test_pages_speak_english_when_asked(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request()
    client = login(city.resident)
    client.cookies["django_language"] = "en"
    body = client.get("/me/requests/new/").content.decode()
    assert '<html lang="en"' in body
    assert "Fault behind the meter (household wiring)" in body
    assert "Report a problem" in body
    body = client.get(f"/me/requests/{workorder.pk}/").content.decode()
    assert "Fault behind the meter (household wiring)" in body
    assert "Who is handling it" in body


def test_the_fault_categories_explain_before_and_behind_the_meter(login: Any, city: City) -> None:
    body = login(city.resident).get("/me/requests/new/").content.decode()
    guide = body.split('id="meter-guide"', 1)[1].split("</figure>", 1)[0]
    assert "/static/wudian/meter-box.svg" in guide
    assert zh("Before the meter (表前)") in guide
    assert "只有您家停电" in guide
    assert zh("The power company's customer manager comes.") in guide
    assert zh("Your compound's property electrician comes.") in guide
    # Each fault category says who comes, next to its radio button.
    options = {
        code: body.split(f'value="{code}"', 1)[1].split("</label>", 1)[0]
        for code in ("fault_behind_meter", "fault_before_meter")
    }
    assert (
        zh("Inside your home, behind the meter: the property electrician comes.")
        in (options["fault_behind_meter"])
    )
    assert (
        zh("Up to and including the meter, or public equipment: the power company comes.")
        in (options["fault_before_meter"])
    )


def test_the_meter_box_picture_is_drawn_here_and_loads_nothing() -> None:
    svg = Path(__file__).parents[2] / "static" / "wudian" / "meter-box.svg"
    root = ElementTree.parse(svg).getroot()  # noqa: S314  our own file
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.read_text()
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text
    assert "<image" not in text
    assert "<script" not in text
