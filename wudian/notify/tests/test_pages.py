from __future__ import annotations

from typing import Any

from django.urls import reverse

from wudian.conftest import City, api, post, snapshot
from wudian.notify.models import CallTask, Channel, Message, Preference
from wudian.notify.services import Audience, notify_publish

CONTEXT = {"title": "计划停电", "body": "3月17日8:00-12:00停电。"}


def publish(
    city: City,
    *,
    households: list[Any],
    calls: list[tuple[int, int]] | None = None,
    event: str = "outage:3:published",
) -> None:
    notify_publish(
        audience=Audience(households=households, calls=calls or ()),
        template="message",
        context=CONTEXT,
        event_key=event,
        urgent=True,
        source="outage:3",
    )


def failed_sms(city: City) -> tuple[Message, Message]:
    publish(city, households=[city.north_home, city.south_home])
    Message.objects.filter(channel=Channel.SMS).update(
        state=Message.State.FAILED, attempts=5, last_error="HTTP 500"
    )
    return (
        Message.objects.get(channel=Channel.SMS, household=city.north_home),
        Message.objects.get(channel=Channel.SMS, household=city.south_home),
    )


def test_inbox_shows_the_rendered_message_and_marks_it_read(city: City, login: Any) -> None:
    publish(city, households=[city.north_home])
    client = login(city.resident)

    page = client.get(reverse("notify:inbox"))
    message = Message.objects.get(user=city.resident)
    response = client.post(reverse("notify:inbox"), {"message": message.pk})

    assert page.status_code == 200
    assert "计划停电" in page.text
    assert "3月17日8:00-12:00停电。" in page.text
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.read_at is not None


def test_nobody_marks_another_users_message_read(city: City, login: Any) -> None:
    publish(city, households=[city.north_home])
    message = Message.objects.get(user=city.resident)
    before = snapshot(message)

    login(city.resident_b).post(reverse("notify:inbox"), {"message": message.pk})
    page = login(city.resident_b).get(reverse("notify:inbox"))

    assert snapshot(message) == before
    assert "计划停电" not in page.text


def test_preferences_default_to_the_rule_and_are_saved(city: City, login: Any) -> None:
    client = login(city.manager)

    page = client.get(reverse("notify:preferences"))
    response = client.post(
        reverse("notify:preferences"),
        {"sms": "on", "quiet_start_hour": "23", "quiet_end_hour": "6"},
    )

    assert 'value="22" selected' in page.text
    assert response.status_code == 302
    preference = Preference.objects.get(user=city.manager)
    assert (preference.sms, preference.email) == (True, False)
    assert (preference.quiet_start_hour, preference.quiet_end_hour) == (23, 6)


def test_an_impossible_hour_is_refused_and_nothing_saved(city: City, login: Any) -> None:
    before = snapshot(Preference)
    response = login(city.manager).post(
        reverse("notify:preferences"), {"quiet_start_hour": "25", "quiet_end_hour": "x"}
    )

    assert response.status_code == 400
    assert snapshot(Preference) == before


def test_assignee_records_a_call_as_done(city: City, login: Any) -> None:
    publish(
        city,
        households=[city.north_home],
        calls=[(city.north_home.pk, city.electrician.pk)],
    )
    task = CallTask.objects.get()
    client = login(city.electrician)

    page = client.get(reverse("notify:calls"))
    response = client.post(reverse("notify:call_done", args=[task.pk]), {"outcome": "reached"})

    assert city.north_home.phone in page.text
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.outcome, task.done_by) == ("done", "reached", city.electrician)


def test_a_call_without_outcome_or_of_someone_else_is_refused(city: City, login: Any) -> None:
    publish(
        city,
        households=[city.north_home],
        calls=[(city.north_home.pk, city.electrician.pk)],
    )
    task = CallTask.objects.get()
    before = snapshot(task)

    bad = login(city.electrician).post(reverse("notify:call_done", args=[task.pk]), {})
    other = login(city.electrician_b).post(
        reverse("notify:call_done", args=[task.pk]), {"outcome": "reached"}
    )

    assert bad.status_code == 400
    assert other.status_code == 404
    assert snapshot(task) == before


def test_failed_page_shows_a_manager_only_their_compounds(city: City, login: Any) -> None:
    north, south = failed_sms(city)

    page = login(city.manager).get(reverse("notify:failed"))

    assert page.status_code == 200
    assert north.address in page.text
    assert south.address not in page.text


def test_a_supervisor_sees_failed_messages_of_households_they_do_not_serve_masked(
    city: City, login: Any
) -> None:
    north, south = failed_sms(city)

    page = login(city.supervisor).get(reverse("notify:failed")).text

    for message, home in ((north, city.north_home), (south, city.south_home)):
        assert message.address not in page
        assert f"{message.address[:3]}****{message.address[-4:]}" in page
        assert home.address not in page
    assert "1号楼" in page


def test_manager_retries_failed_messages_in_scope_only(city: City, login: Any) -> None:
    north, south = failed_sms(city)

    client = login(city.manager)
    mine = client.post(reverse("notify:failed_retry", args=[north.pk]))
    theirs = client.post(reverse("notify:failed_retry", args=[south.pk]))
    everything = client.post(reverse("notify:failed_retry_all"))

    north.refresh_from_db()
    south.refresh_from_db()
    assert (mine.status_code, theirs.status_code, everything.status_code) == (302, 404, 302)
    assert (north.state, north.attempts) == (Message.State.PENDING, 0)
    assert (south.state, south.attempts) == (Message.State.FAILED, 5)


def test_failed_page_is_refused_to_residents_and_electricians(city: City, login: Any) -> None:
    failed = failed_sms(city)
    before = snapshot(*failed)

    assert login(city.resident).get(reverse("notify:failed")).status_code == 403
    electrician = login(city.electrician)
    assert electrician.post(reverse("notify:failed_retry_all")).status_code == 403
    assert electrician.post(reverse("notify:failed_retry", args=[failed[0].pk])).status_code == 403
    assert snapshot(*failed) == before


def test_api_lists_and_marks_the_callers_messages(city: City) -> None:
    publish(city, households=[city.north_home])
    resident = api(city.resident)

    listed = resident.get("/api/v1/me/messages")
    marked = post(resident, "/api/v1/me/messages/read")

    assert listed.status_code == 200
    assert listed.json()["items"][0]["title"] == "计划停电"
    assert marked.json() == {"marked": 1}
