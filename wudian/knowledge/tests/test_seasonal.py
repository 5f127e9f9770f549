"""Seasonal reminders: written once, published each year on their date, once a year, for
their targets; the Spring Festival from the official calendar or a date set for the year."""

from __future__ import annotations

import datetime

import pytest

from wudian.conftest import City, snapshot
from wudian.core.calendar import CHINA
from wudian.core.errors import BadInput, NotAllowed, WrongState
from wudian.knowledge import services
from wudian.knowledge.models import Article, Reach, SeasonalReminder
from wudian.knowledge.selectors import articles_for_reader
from wudian.knowledge.tests.conftest import content, for_compounds

pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 8) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=CHINA)


def summer(city: City, **season: object) -> SeasonalReminder:
    return services.reminder_create(
        by=city.manager,
        content=content(
            title="迎峰度夏安全用电提醒",
            category="safe_use",
            target=for_compounds(city.north),
        ),
        season=services.Season(month=6, day=15, **season),  # type: ignore[arg-type]
    )


def test_a_reminder_is_published_on_its_date_once_a_year(
    city: City, django_capture_on_commit_callbacks: object
) -> None:
    reminder = summer(city)
    assert services.reminders_publish_due(now=at(2026, 6, 14, 23)) == []

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        first = services.reminders_publish_due(now=at(2026, 6, 15))
    again = services.reminders_publish_due(now=at(2026, 6, 15, 9))
    later = services.reminders_publish_due(now=at(2026, 6, 20))
    assert len(first) == 1
    assert again == []
    assert later == []
    article = Article.objects.get(reminder=reminder)
    assert (article.season, article.state, article.title) == (2026, "published", reminder.title)
    assert list(article.compounds.all()) == [city.north]
    assert article.announced_at is not None
    # The residents of north read it; south's do not.
    assert article in articles_for_reader(city.resident)
    assert article not in articles_for_reader(city.resident_b)

    next_year = services.reminders_publish_due(now=at(2027, 6, 15))
    assert [a.season for a in next_year] == [2027]
    assert reminder.publications.count() == 2


def test_a_day_the_task_did_not_run_is_caught_up_within_the_window(city: City) -> None:
    reminder = summer(city, window_days=10)
    assert len(services.reminders_publish_due(now=at(2026, 6, 24))) == 1
    other = summer(city, window_days=10)
    assert services.reminders_publish_due(now=at(2026, 6, 25)) == []
    assert not other.publications.exists()
    assert reminder.publications.get().season == 2026


def test_a_paused_reminder_publishes_nothing(city: City) -> None:
    reminder = summer(city)
    services.reminder_pause(reminder=reminder, by=city.manager, active=False)
    assert services.reminders_publish_due(now=at(2026, 6, 15)) == []
    with pytest.raises(WrongState):
        services.reminder_pause(reminder=reminder, by=city.manager, active=False)


def test_the_spring_festival_comes_from_the_official_calendar_or_a_date_set_for_the_year(
    city: City,
) -> None:
    reminder = services.reminder_create(
        by=city.admin,
        content=content(title="春节期间安全用电提醒", category="safe_use"),
        season=services.Season(anchor=SeasonalReminder.Anchor.SPRING_FESTIVAL, days_before=5),
    )
    # 2026: the holiday starts on 15 February.
    assert services.reminder_date(reminder, 2026) == datetime.date(2026, 2, 10)
    # A year the calendar does not know: nothing is guessed, nothing published.
    assert services.reminder_date(reminder, 2099) is None
    assert services.reminders_publish_due(now=at(2099, 2, 1)) == []
    services.reminder_set_date(
        reminder=reminder, by=city.admin, year=2099, date=datetime.date(2099, 1, 14)
    )
    reminder.refresh_from_db()
    assert services.reminder_date(reminder, 2099) == datetime.date(2099, 1, 14)
    assert [a.season for a in services.reminders_publish_due(now=at(2099, 1, 15))] == [2099]


def test_a_season_late_in_the_year_is_caught_up_after_new_year(city: City) -> None:
    services.reminder_create(
        by=city.admin,
        content=content(title="冬季取暖用电安全"),
        season=services.Season(month=12, day=28, window_days=10),
    )
    published = services.reminders_publish_due(now=at(2027, 1, 3))
    assert [a.season for a in published] == [2026]


@pytest.mark.parametrize(
    ("season", "field"),
    [
        (services.Season(month=2, day=30), "day"),
        (services.Season(month=2, day=29), "day"),
        (services.Season(month=None, day=None), "day"),
        (services.Season(month=6, day=15, window_days=0), "window_days"),
        (services.Season(anchor="lunar", month=6, day=15), "anchor"),
        (
            services.Season(anchor=SeasonalReminder.Anchor.SPRING_FESTIVAL, days_before=90),
            "days_before",
        ),
    ],
)
def test_a_date_rule_that_cannot_be_used_is_refused(
    city: City, season: services.Season, field: str
) -> None:
    before = snapshot(SeasonalReminder)
    with pytest.raises(BadInput) as caught:
        services.reminder_create(by=city.admin, content=content(), season=season)
    assert field in caught.value.message_dict
    assert snapshot(SeasonalReminder) == before


def test_a_reminder_outside_ones_reach_is_refused(city: City) -> None:
    before = snapshot(SeasonalReminder)
    with pytest.raises(NotAllowed):
        services.reminder_create(
            by=city.manager,
            content=content(target=for_compounds(city.south)),
            season=services.Season(month=4, day=1),
        )
    with pytest.raises(NotAllowed):
        services.reminder_create(
            by=city.electrician,
            content=content(target=for_compounds(city.north)),
            season=services.Season(month=4, day=1),
        )
    assert snapshot(SeasonalReminder) == before
    reminder = summer(city)
    changed = snapshot(reminder)
    with pytest.raises(NotAllowed):
        services.reminder_update(
            reminder=reminder,
            by=city.manager_b,
            content=content(target=for_compounds(city.south)),
            season=services.Season(month=6, day=15),
        )
    assert snapshot(reminder) == changed


def test_changing_a_reminder_leaves_past_years_as_they_were(city: City) -> None:
    reminder = summer(city)
    services.reminders_publish_due(now=at(2026, 6, 15))
    services.reminder_update(
        reminder=reminder,
        by=city.supervisor,
        content=content(
            title="迎峰度夏：错峰用电倡议",
            target=services.Target(reach=Reach.DISTRICT, district=city.district),
        ),
        season=services.Season(month=6, day=20),
    )
    assert Article.objects.get(reminder=reminder).title == "迎峰度夏安全用电提醒"
    assert services.reminders_publish_due(now=at(2026, 6, 20)) == []
    article = services.reminders_publish_due(now=at(2027, 6, 20))[0]
    assert (article.title, article.reach) == ("迎峰度夏：错峰用电倡议", Reach.DISTRICT)


def test_the_spring_festival_holiday_is_read_from_the_official_calendar() -> None:
    from wudian.core.calendar import CalendarUnavailable, spring_festival_holiday

    assert spring_festival_holiday(2024) == datetime.date(2024, 2, 10)
    assert spring_festival_holiday(2025) == datetime.date(2025, 1, 28)
    assert spring_festival_holiday(2026) == datetime.date(2026, 2, 15)
    with pytest.raises(CalendarUnavailable):
        spring_festival_holiday(2099)
