"""A resident's messages about a request: a link that is a link, words that match the
request's state, and the reader's language (the message keeps its template and values)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from wudian.conftest import City, api
from wudian.notify.models import Message
from wudian.workorders.services import workorder_accept, workorder_resolve

pytestmark = pytest.mark.django_db


def resolved(city: City, file_request: Any) -> Any:
    wo = file_request("fault_behind_meter")
    workorder_accept(workorder=wo, by=city.electrician)
    workorder_resolve(workorder=wo, by=city.electrician, note="更换了漏电开关")
    return wo


def test_the_inbox_shows_the_request_as_a_link(city: City, file_request: Any, login: Any) -> None:
    wo = resolved(city, file_request)

    page = login(city.resident).get(reverse("notify:inbox")).text

    assert f'<a href="/me/requests/{wo.pk}/">' in page
    assert f"<br>/me/requests/{wo.pk}/" not in page


def test_a_resolved_request_is_not_told_as_closed(
    city: City, file_request: Any, login: Any
) -> None:
    resolved(city, file_request)

    page = login(city.resident).get(reverse("notify:inbox")).text
    staff = login(city.manager).get(reverse("notify:inbox")).text

    assert "已办结" not in page
    assert "待确认" in page
    assert "已办结" not in staff


def test_an_english_reader_reads_english(city: City, file_request: Any, login: Any) -> None:
    wo = resolved(city, file_request)
    client = login(city.resident)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("notify:inbox")).text
    listed = api(city.resident, "en").get("/api/v1/me/messages").json()

    assert f"Your request #{wo.pk}: Resolved, awaiting confirmation" in page
    assert "已处理" not in page
    newest = listed["items"][0]
    assert newest["title"] == f"Your request #{wo.pk}: Resolved, awaiting confirmation"
    assert newest["link"] == f"/me/requests/{wo.pk}/"
    # The message keeps the state's code, not words in the language it was written in.
    stored = Message.objects.filter(user=city.resident).first()
    assert stored is not None
    assert stored.context["status_code"] == "resolved"


def test_messages_written_before_the_change_still_read(city: City, login: Any) -> None:
    Message.objects.create(
        user=city.resident,
        channel="inapp",
        address=str(city.resident.pk),
        template="workorder_resident",
        context={
            "id": 9,
            "kind": "accepted",
            "status": "已受理",
            "actor": "王电工",
            "category": "表后故障",
            "resident_link": "/me/requests/9/",
            "note": "",
        },
        event_key="workorder:9:1:resident",
        idempotency_key="old",
        state="sent",
    )

    page = login(city.resident).get(reverse("notify:inbox")).text

    assert "已受理" in page
    assert '<a href="/me/requests/9/">' in page
