"""Volunteer activities: organising one (and the refusals that save nothing), signing up
within places and time, giving a place back, marking attendance, and cancelling — which tells
everyone signed up; the pages and who reaches them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from wudian.civic import services
from wudian.civic.models import Activity, SignUp
from wudian.civic.policy import ACTIVITIES, activity_actions, activity_parties
from wudian.civic.selectors import activities_visible_to, my_signups
from wudian.civic.tests.conftest import DAY, NOW, activity_in
from wudian.conftest import City, snapshot, zh
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, WrongState
from wudian.notify.models import Channel, Message

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def sign_up(activity: Activity, user: Any, now: datetime.datetime = NOW) -> SignUp:
    return services.activity_signup(activity=activity, by=user, now=now)


# Organising -------------------------------------------------------------------------------


def test_a_grid_admin_organises_a_draft_and_publishes_it(city: City) -> None:
    activity = services.activity_create(by=city.gridadmin, data=activity_in(city), now=NOW)
    assert activity.state == Activity.State.DRAFT
    assert not activities_visible_to(city.resident).filter(pk=activity.pk).exists()
    services.activity_publish(activity=activity, by=city.gridadmin, now=NOW)
    activity.refresh_from_db()
    assert activity.state == Activity.State.OPEN
    assert activities_visible_to(city.resident).filter(pk=activity.pk).exists()
    assert not activities_visible_to(city.resident_b).filter(pk=activity.pk).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": NOW + 3 * DAY}, "ends_at"),
        ({"starts_at": NOW - HOUR}, "starts_at"),
        ({"signup_deadline": NOW + 4 * DAY}, "signup_deadline"),
        ({"signup_deadline": NOW - HOUR}, "signup_deadline"),
        ({"capacity": 0}, "capacity"),
        ({"title": ""}, "title"),
        ({"compounds": []}, "compounds"),
        ({"ends_at": NOW + 30 * DAY}, "ends_at"),
    ],
)
def test_bad_activities_are_refused_and_nothing_is_saved(
    city: City, changes: dict[str, Any], field: str
) -> None:
    before = snapshot(Activity)
    with pytest.raises(BadInput) as refused:
        services.activity_create(by=city.gridadmin, data=activity_in(city, **changes), now=NOW)
    assert field in refused.value.message_dict
    assert snapshot(Activity) == before


def test_an_activity_outside_ones_compounds_is_refused(city: City) -> None:
    before = snapshot(Activity)
    with pytest.raises(OutsideScope):
        services.activity_create(
            by=city.gridadmin, data=activity_in(city, compounds=[city.south]), now=NOW
        )
    with pytest.raises(NotAllowed):
        services.activity_create(by=city.resident, data=activity_in(city), now=NOW)
    with pytest.raises(NotAllowed):
        services.activity_create(by=city.supervisor, data=activity_in(city), now=NOW)
    assert snapshot(Activity) == before


def test_places_cannot_drop_below_those_taken(city: City, activity: Activity) -> None:
    sign_up(activity, city.resident)
    sign_up(activity, city.electrician)
    before = snapshot(activity)
    with pytest.raises(BadInput) as refused:
        services.activity_update(
            activity=activity, by=city.gridadmin, data=activity_in(city, capacity=1), now=NOW
        )
    assert "capacity" in refused.value.message_dict
    assert snapshot(activity) == before


def test_moving_an_activity_tells_the_signed_up(city: City, activity: Activity) -> None:
    sign_up(activity, city.resident)
    services.activity_update(
        activity=activity,
        by=city.gridadmin,
        data=activity_in(city, place="社区服务中心二楼"),
        now=NOW,
    )
    assert Message.objects.filter(
        user=city.resident, template="civic_activity_changed", channel=Channel.INAPP
    ).exists()


# Signing up -------------------------------------------------------------------------------


def test_residents_and_staff_serving_its_compounds_sign_up(city: City, activity: Activity) -> None:
    sign_up(activity, city.resident)
    sign_up(activity, city.staff)
    assert set(activity.signups.values_list("user__username", flat=True)) == {"resident", "staff"}
    assert [s.activity for s in my_signups(city.resident, now=NOW)] == [activity]


@pytest.mark.parametrize("who", ["resident_b", "electrician_b", "supervisor", "outsider"])
def test_others_cannot_sign_up(city: City, activity: Activity, who: str) -> None:
    before = snapshot(activity, SignUp)
    with pytest.raises(NotAllowed):
        sign_up(activity, getattr(city, who))
    assert snapshot(activity, SignUp) == before


def test_a_full_activity_refuses_with_a_clear_message(city: City, activity: Activity) -> None:
    sign_up(activity, city.resident)
    sign_up(activity, city.electrician)
    before = snapshot(activity, SignUp)
    with pytest.raises(WrongState) as refused:
        sign_up(activity, city.staff)
    assert refused.value.messages == [
        zh("All %(n)s places are taken; nobody more can sign up.") % {"n": 2}
    ]
    assert snapshot(activity, SignUp) == before


def test_past_the_deadline_sign_up_is_refused(city: City, activity: Activity) -> None:
    before = snapshot(activity, SignUp)
    with pytest.raises(WrongState):
        sign_up(activity, city.resident, now=activity.signup_deadline)
    assert snapshot(activity, SignUp) == before


def test_signing_up_twice_is_refused(city: City, activity: Activity) -> None:
    sign_up(activity, city.resident)
    before = snapshot(activity, SignUp)
    with pytest.raises(NotAllowed, match=zh("You have already signed up for this activity.")):
        sign_up(activity, city.resident)
    assert snapshot(activity, SignUp) == before


def test_a_place_given_back_is_free_again_and_may_be_taken_up_again(
    city: City, activity: Activity
) -> None:
    sign_up(activity, city.resident)
    sign_up(activity, city.electrician)
    services.activity_withdraw(activity=activity, by=city.resident, now=NOW)
    sign_up(activity, city.staff)
    services.activity_withdraw(activity=activity, by=city.staff, now=NOW)
    again = sign_up(activity, city.resident)
    assert again.status == SignUp.Status.SIGNED_UP
    assert SignUp.objects.filter(activity=activity).count() == 3


def test_no_place_is_given_back_once_it_started(city: City, activity: Activity) -> None:
    signup = sign_up(activity, city.resident)
    with pytest.raises(WrongState):
        services.activity_withdraw(activity=activity, by=city.resident, now=activity.starts_at)
    signup.refresh_from_db()
    assert signup.status == SignUp.Status.SIGNED_UP


# Attendance and cancelling --------------------------------------------------------------------


def test_the_organiser_marks_attendance_afterwards(city: City, activity: Activity) -> None:
    came = sign_up(activity, city.resident)
    stayed_away = sign_up(activity, city.electrician)
    marks = {
        came.pk: services.Mark("attended"),
        stayed_away.pk: services.Mark("absent", "3"),
    }
    with pytest.raises(WrongState):
        services.activity_attendance(activity=activity, by=city.gridadmin, marks=marks, now=NOW)
    after = activity.ends_at + HOUR
    services.activity_attendance(activity=activity, by=city.gridadmin, marks=marks, now=after)
    came.refresh_from_db()
    stayed_away.refresh_from_db()
    activity.refresh_from_db()
    assert (came.attendance, came.hours) == ("attended", Decimal("2.0"))
    assert (stayed_away.attendance, stayed_away.hours) == ("absent", None)
    assert activity.state == Activity.State.DONE


@pytest.mark.parametrize("hours", ["0", "25", "abc"])
def test_bad_hours_save_no_mark(city: City, activity: Activity, hours: str) -> None:
    first = sign_up(activity, city.resident)
    second = sign_up(activity, city.electrician)
    marks = {first.pk: services.Mark("attended"), second.pk: services.Mark("attended", hours)}
    before = snapshot(activity, first, second)
    with pytest.raises(BadInput):
        services.activity_attendance(
            activity=activity, by=city.gridadmin, marks=marks, now=activity.ends_at
        )
    assert snapshot(activity, first, second) == before


def test_only_the_organiser_side_marks_attendance(city: City, activity: Activity) -> None:
    signup = sign_up(activity, city.resident)
    with pytest.raises(NotAllowed):
        services.activity_attendance(
            activity=activity,
            by=city.resident,
            marks={signup.pk: services.Mark("attended")},
            now=activity.ends_at,
        )
    # The compound's customer manager does civic work in all of its compounds.
    services.activity_attendance(
        activity=activity,
        by=city.manager,
        marks={signup.pk: services.Mark("attended")},
        now=activity.ends_at,
    )


def test_cancelling_tells_everyone_signed_up_in_the_app_and_by_sms(
    city: City, activity: Activity
) -> None:
    sign_up(activity, city.resident)
    sign_up(activity, city.manager)  # has a phone on record
    services.activity_withdraw(activity=activity, by=city.resident, now=NOW)
    sign_up(activity, city.electrician)
    services.activity_cancel(activity=activity, by=city.gridadmin, reason="天气预报有暴雨", now=NOW)
    activity.refresh_from_db()
    assert activity.state == Activity.State.CANCELLED
    told = Message.objects.filter(template="civic_activity_cancelled")
    assert set(told.filter(channel=Channel.INAPP).values_list("user__username", flat=True)) == {
        "manager",
        "electrician",
    }
    assert told.filter(channel=Channel.SMS, address="13900000001").exists()
    with pytest.raises(WrongState):
        sign_up(activity, city.staff)


def test_cancelling_needs_a_reason_and_the_organisers_side(city: City, activity: Activity) -> None:
    before = snapshot(activity)
    with pytest.raises(BadInput):
        services.activity_cancel(activity=activity, by=city.gridadmin, reason=" ", now=NOW)
    with pytest.raises(NotAllowed):
        services.activity_cancel(activity=activity, by=city.electrician, reason="不办了", now=NOW)
    assert snapshot(activity) == before


# The policy table -----------------------------------------------------------------------------


def test_the_policy_offers_what_the_services_accept(city: City, activity: Activity) -> None:
    assert activity_actions(city.resident, activity, now=NOW) == ["signup"]
    assert activity_actions(city.gridadmin, activity, now=NOW) == [
        "signup",
        "change",
        "close",
        "cancel",
    ]
    assert activity_actions(city.supervisor, activity, now=NOW) == []
    sign_up(activity, city.resident)
    assert activity_actions(city.resident, activity, now=NOW) == ["withdraw"]
    activity.policy_at = activity.ends_at  # type: ignore[attr-defined]
    assert ACTIVITIES.allowed(activity, activity_parties(city.gridadmin, activity)) == [
        "attendance"
    ]


# Pages ------------------------------------------------------------------------------------


def test_a_resident_signs_up_on_the_page_and_sees_it_on_me(
    city: City, activity: Activity, login: Any
) -> None:
    client: Client = login(city.resident)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert f"/activities/{activity.pk}/signup/" in page
    assert client.post(f"/activities/{activity.pk}/signup/").status_code == 302
    me = client.get("/me/").content.decode()
    assert activity.title in me
    assert "/activities/" in me
    listed = client.get("/activities/?tab=mine").content.decode()
    assert f"/activities/{activity.pk}/" in listed


def test_a_full_activity_refuses_on_the_page(city: City, activity: Activity, login: Any) -> None:
    sign_up(activity, city.electrician)
    sign_up(activity, city.staff)
    client = login(city.resident)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert zh("All places are taken.") in page
    before = snapshot(activity, SignUp)
    response = client.post(f"/activities/{activity.pk}/signup/")
    assert response.status_code == 409
    assert (zh("All %(n)s places are taken; nobody more can sign up.") % {"n": 2}) in (
        response.content.decode()
    )
    assert snapshot(activity, SignUp) == before


@pytest.mark.parametrize("who", ["resident_b", "manager_b"])
def test_outside_its_compounds_the_activity_is_not_there(
    city: City, activity: Activity, login: Any, who: str
) -> None:
    client = login(getattr(city, who))
    before = snapshot(activity, SignUp)
    assert client.get(f"/activities/{activity.pk}/").status_code == 404
    assert client.post(f"/activities/{activity.pk}/signup/").status_code == 404
    assert f"/activities/{activity.pk}/" not in client.get("/activities/").content.decode()
    assert snapshot(activity, SignUp) == before


def test_the_organiser_creates_and_cancels_on_the_pages(city: City, login: Any) -> None:
    client = login(city.gridadmin)
    assert client.get("/activities/new/").status_code == 200
    local = "%Y-%m-%dT%H:%M"
    from django.utils import timezone

    def at(delta: datetime.timedelta) -> str:
        return timezone.localtime(NOW + delta).strftime(local)

    data = {
        "title": "节约用电宣传",
        "description": "入户发放节约用电手册。",
        "place": "涂山社区服务中心",
        "starts_at": at(3 * DAY),
        "ends_at": at(3 * DAY + 2 * HOUR),
        "signup_deadline": at(2 * DAY),
        "capacity": "10",
        "communities": [city.community.pk],
        "publish": "1",
    }
    wrong = client.post("/activities/new/", data | {"ends_at": at(2 * DAY)})
    assert wrong.status_code == 422
    assert zh("The activity must end after it starts.") in wrong.content.decode()
    assert not Activity.objects.exists()
    response = client.post("/activities/new/", data)
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert activity.state == Activity.State.OPEN
    assert list(activity.compounds.all()) == [city.north]
    refused = client.post(f"/activities/{activity.pk}/cancel/", {"cancel-reason": ""})
    assert refused.status_code == 422
    done = client.post(f"/activities/{activity.pk}/cancel/", {"cancel-reason": "场地临时占用"})
    assert done.status_code == 302
    activity.refresh_from_db()
    assert activity.state == Activity.State.CANCELLED


def test_the_attendance_sheet(city: City, login: Any) -> None:
    started = services.activity_create(
        by=city.gridadmin,
        data=activity_in(
            city,
            starts_at=NOW + 2 * HOUR,
            ends_at=NOW + 4 * HOUR,
            signup_deadline=NOW + HOUR,
        ),
        publish=True,
        now=NOW - DAY,
    )
    signup = sign_up(started, city.resident, now=NOW - DAY)
    Activity.objects.filter(pk=started.pk).update(
        starts_at=NOW - 3 * HOUR, ends_at=NOW - HOUR, signup_deadline=NOW - 4 * HOUR
    )
    client = login(city.gridadmin)
    page = client.get(f"/activities/{started.pk}/").content.decode()
    assert f'name="mark-{signup.pk}"' in page
    response = client.post(
        f"/activities/{started.pk}/attendance/",
        {f"mark-{signup.pk}": "attended", f"hours-{signup.pk}": "1.5"},
    )
    assert response.status_code == 302
    signup.refresh_from_db()
    assert (signup.attendance, signup.hours) == ("attended", Decimal("1.5"))


def test_the_activity_list_takes_as_many_queries_whatever_its_length(
    city: City, activity: Activity, login: Any
) -> None:
    from wudian.conftest import queries_of

    client = login(city.resident)
    sign_up(activity, city.resident)
    one = queries_of(client, "/activities/")
    for n in range(4):
        services.activity_create(
            by=city.gridadmin, data=activity_in(city, title=f"活动{n}"), publish=True, now=NOW
        )
    assert queries_of(client, "/activities/") == one
    assert queries_of(client, "/activities/?tab=mine") <= one


def test_places_below_those_taken_are_refused_on_the_edit_page(
    city: City, activity: Activity, login: Any
) -> None:
    sign_up(activity, city.resident)
    sign_up(activity, city.electrician)
    client = login(city.gridadmin)
    assert client.get(f"/activities/{activity.pk}/edit/").status_code == 200
    from django.utils import timezone

    def at(moment: datetime.datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")

    before = snapshot(activity)
    response = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            "title": activity.title,
            "description": activity.description,
            "place": activity.place,
            "starts_at": at(activity.starts_at),
            "ends_at": at(activity.ends_at),
            "signup_deadline": at(activity.signup_deadline),
            "capacity": "1",
            "compounds": [city.north.pk],
        },
    )
    assert response.status_code == 422
    assert (zh("%(n)s people have already signed up: places cannot be fewer.") % {"n": 2}) in (
        response.content.decode()
    )
    assert snapshot(activity) == before


def test_an_empty_attendance_sheet_is_refused(city: City, activity: Activity) -> None:
    sign_up(activity, city.resident)
    before = snapshot(activity)
    with pytest.raises(BadInput):
        services.activity_attendance(
            activity=activity, by=city.gridadmin, marks={}, now=activity.ends_at
        )
    assert snapshot(activity) == before


def test_someone_who_turned_sms_off_is_told_in_the_app_only(city: City, activity: Activity) -> None:
    from wudian.notify.services import preference_update

    preference_update(
        user=city.manager, sms=False, email=False, quiet_start_hour=22, quiet_end_hour=7
    )
    sign_up(activity, city.manager)
    services.activity_cancel(activity=activity, by=city.gridadmin, reason="场地临时占用", now=NOW)
    told = Message.objects.filter(template="civic_activity_cancelled", user=city.manager)
    assert list(told.values_list("channel", flat=True)) == [Channel.INAPP]


# Announcing in the circles ------------------------------------------------------------------


def test_publishing_announces_the_activity_in_its_compounds_circles(city: City) -> None:
    from wudian.circles.models import Post
    from wudian.circles.services import circle_for_compound

    north_circle = circle_for_compound(city.north)
    south_circle = circle_for_compound(city.south)
    draft = services.activity_create(by=city.gridadmin, data=activity_in(city), now=NOW)
    assert not Post.objects.filter(link=f"/activities/{draft.pk}/").exists()
    services.activity_publish(activity=draft, by=city.gridadmin, now=NOW)
    post = Post.objects.get(link=f"/activities/{draft.pk}/")
    assert post.circle == north_circle
    assert post.kind == Post.Kind.CIVIC
    assert post.author == city.gridadmin
    assert draft.title in post.title
    assert "北苑小区1号楼前广场" in post.body
    assert not Post.objects.filter(circle=south_circle, link=f"/activities/{draft.pk}/").exists()


def test_a_circle_that_refuses_the_post_does_not_hold_up_publishing(
    city: City, monkeypatch: Any
) -> None:
    from wudian.circles.models import Post
    from wudian.circles.services import circle_for_compound

    circle_for_compound(city.north)

    def refuse(**kwargs: Any) -> None:
        raise NotAllowed("不能发布")

    monkeypatch.setattr(services, "post_publish", refuse)
    activity = services.activity_create(
        by=city.gridadmin, data=activity_in(city), publish=True, now=NOW
    )
    activity.refresh_from_db()
    assert activity.state == Activity.State.OPEN
    assert not Post.objects.filter(link=f"/activities/{activity.pk}/").exists()
