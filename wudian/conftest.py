"""Shared fixtures and helpers: a small city with one user per role and an outsider, the
snapshot a refused action must leave as it was, an API client with a bearer token, an image
maker and the browser.

Compound "north" (北苑小区) is served by manager/electrician/staff; compound "south"
(南苑小区) by manager_b/electrician_b only; both sit in one community of one district.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from wudian.accounts.models import Certificate, Department, Role, RoleCode, User
from wudian.accounts.services import api_token_issue
from wudian.core.kept import Kept
from wudian.grid.models import (
    Building,
    Community,
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    District,
    DistrictAssignment,
    Feeder,
    Household,
    HouseholdMembership,
    Meter,
    PropertyCompany,
    StationArea,
    Street,
)
from wudian.notify.models import Message

PASSWORD = "correct-horse-battery"  # noqa: S105


@dataclass
class City:
    district: District
    street: Street
    community: Community
    other_community: Community
    north: Compound
    south: Compound
    north_building: Building
    south_building: Building
    station_area: StationArea
    north_home: Household
    north_home_2: Household
    south_home: Household
    manager: User
    manager_b: User
    electrician: User
    electrician_b: User
    electrician_expired: User
    staff: User
    gridadmin: User
    dept: User
    supervisor: User
    resident: User
    resident_b: User
    outsider: User
    admin: User


def make_user(username: str, *roles: str, **fields: Any) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    if roles:
        user.roles.set(Role.objects.filter(code__in=roles))
    return user


@pytest.fixture
def roles(db: None) -> None:
    for order, code in enumerate(RoleCode):
        Role.objects.get_or_create(code=code, defaults={"name": str(code.label), "order": order})


@pytest.fixture
def city(roles: None) -> City:
    district = District.objects.create(code="D1", name="蚌山区", city="蚌埠市")
    street = Street.objects.create(district=district, code="S1", name="黄庄街道")
    community = Community.objects.create(
        street=street, code="CM1", name="涂山社区", service_point_name="涂山社区物电联络站"
    )
    other_community = Community.objects.create(street=street, code="CM2", name="延安社区")
    pm = PropertyCompany.objects.create(name="皖投物业", phone="0552-3012345")
    north = Compound.objects.create(
        community=community,
        property_company=pm,
        code="NORTH",
        name="北苑小区",
        address="涂山路100号",
    )
    south = Compound.objects.create(
        community=other_community, code="SOUTH", name="南苑小区", address="延安路20号"
    )
    nb = Building.objects.create(compound=north, code="NORTH-1", name="1号楼")
    sb = Building.objects.create(compound=south, code="SOUTH-1", name="1号楼")
    feeder = Feeder.objects.create(code="F1", name="10kV涂山线")
    area = StationArea.objects.create(feeder=feeder, code="TA1", name="北苑1号台区")
    area.compounds.add(north)

    def home(building: Building, account: str, room: str, phone: str) -> Household:
        household = Household.objects.create(
            building=building,
            station_area=area,
            account_no=account,
            unit="1",
            room=room,
            address=f"{building.compound.address}{building.compound.name}{building.name}1单元{room}室",
            holder_name="王建国",
            phone=phone,
        )
        Meter.objects.create(station_area=area, meter_no=f"M{account}", household=household)
        return household

    north_home = home(nb, "3400000001", "101", "13800000001")
    north_home_2 = home(nb, "3400000002", "102", "13800000002")
    south_home = home(sb, "3400000003", "101", "13800000003")
    Meter.objects.create(
        station_area=area, meter_no="SUPPLY-TA1", role=Meter.Role.SUPPLY, multiplier=80
    )

    manager = make_user(
        "manager", RoleCode.CUSTOMER_MANAGER, display_name="李经理", phone="13900000001"
    )
    manager_b = make_user("manager_b", RoleCode.CUSTOMER_MANAGER, display_name="赵经理")
    electrician = make_user("electrician", RoleCode.ELECTRICIAN, display_name="张电工")
    electrician_b = make_user("electrician_b", RoleCode.ELECTRICIAN)
    electrician_expired = make_user("electrician_expired", RoleCode.ELECTRICIAN)
    staff = make_user("staff", RoleCode.PROPERTY_STAFF)
    gridadmin = make_user("gridadmin", RoleCode.GRID_ADMIN)
    department = Department.objects.create(
        code="REPAIR", name="抢修班", kind=Department.Kind.REPAIR_CREW, district=district
    )
    dept = make_user("dept", RoleCode.DEPARTMENT, department=department)
    supervisor = make_user("supervisor", RoleCode.SUPERVISOR)
    resident = make_user("resident", RoleCode.RESIDENT)
    resident_b = make_user("resident_b", RoleCode.RESIDENT)
    outsider = make_user("outsider")
    admin = User.objects.create_superuser("admin", "admin@example.com", PASSWORD)

    for user, compound, role in [
        (manager, north, RoleCode.CUSTOMER_MANAGER),
        (manager_b, south, RoleCode.CUSTOMER_MANAGER),
        (electrician, north, RoleCode.ELECTRICIAN),
        (electrician_expired, north, RoleCode.ELECTRICIAN),
        (electrician_b, south, RoleCode.ELECTRICIAN),
        (staff, north, RoleCode.PROPERTY_STAFF),
    ]:
        CompoundAssignment.objects.create(user=user, compound=compound, role=role)
    CommunityAssignment.objects.create(user=gridadmin, community=community)
    DistrictAssignment.objects.create(user=supervisor, district=district)
    HouseholdMembership.objects.create(user=resident, household=north_home)
    HouseholdMembership.objects.create(user=resident_b, household=south_home)

    today = datetime.date.today()
    for user, number, expires in [
        (electrician, "T1", today + datetime.timedelta(days=365)),
        (electrician_b, "T2", today + datetime.timedelta(days=365)),
        (electrician_expired, "T3", today - datetime.timedelta(days=1)),
    ]:
        Certificate.objects.create(
            holder=user,
            number=number,
            issuer="蚌埠市应急管理局",
            issued_on=expires - datetime.timedelta(days=6 * 365),
            expires_on=expires,
        )

    return City(
        district=district,
        street=street,
        community=community,
        other_community=other_community,
        north=north,
        south=south,
        north_building=nb,
        south_building=sb,
        station_area=area,
        north_home=north_home,
        north_home_2=north_home_2,
        south_home=south_home,
        manager=manager,
        manager_b=manager_b,
        electrician=electrician,
        electrician_b=electrician_b,
        electrician_expired=electrician_expired,
        staff=staff,
        gridadmin=gridadmin,
        dept=dept,
        supervisor=supervisor,
        resident=resident,
        resident_b=resident_b,
        outsider=outsider,
        admin=admin,
    )


@pytest.fixture
def login(client: Client) -> Any:
    """login(user) → the test client, logged in as that user."""

    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _clean_cache(settings: Any) -> Any:
    """Login-failure counters live in the cache; every test starts with none. The database
    cache is rolled back with each test's transaction; with Redis, this worker's keys are
    removed, so parallel workers do not disturb each other. The rules and categories this
    process keeps are forgotten, since a test's changes to them are rolled back with it, and
    so are the API tokens `api` issued."""
    yield
    Kept.forget_all()
    _TOKENS.clear()
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        from django.core.cache import cache

        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


# Refusals change nothing ---------------------------------------------------------------


def snapshot(*things: Model | type[Model]) -> dict[str, Any]:
    """Everything a refused action must leave as it was: each object's stored row (every
    concrete field, read back from the database) and, when it keeps a timeline (`events`),
    its events; for each model, how many rows its table holds (a refused creation); and the
    outbox's size."""
    taken: dict[str, Any] = {}
    for thing in things:
        if isinstance(thing, type):
            taken[thing._meta.label] = thing._base_manager.count()
            continue
        model = type(thing)
        key = f"{model._meta.label}#{thing.pk}"
        taken[key] = model._base_manager.filter(pk=thing.pk).values().get()
        if any(rel.get_accessor_name() == "events" for rel in model._meta.related_objects):
            events = thing.events.order_by("pk")  # type: ignore[attr-defined]
            taken[f"{key} events"] = list(events.values_list("pk", flat=True))
    taken["outbox"] = Message.objects.count()
    return taken


def told(user: User, kind: str, template: str = "workorder_staff") -> int:
    """How many in-app messages about steps of that kind the user got."""
    return Message.objects.filter(
        user=user, template=template, channel="inapp", context__kind=kind
    ).count()


# The API -------------------------------------------------------------------------------

_TOKENS: dict[int, str] = {}


def api(user: User, language: str | None = None) -> Client:
    """A client with the user's bearer token, one token per user for the test (a token's
    first use is written down, later ones within a minute are not). Without a language it
    gets the default, Simplified Chinese."""
    if user.pk not in _TOKENS:
        _TOKENS[user.pk] = api_token_issue(user=user).token
    headers = {"Authorization": f"Bearer {_TOKENS[user.pk]}"}
    if language:
        headers["Accept-Language"] = language
    return Client(headers=headers)


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    """POST `data` as JSON (dates and times as ISO text)."""
    return client.post(url, json.dumps(data or {}, default=str), content_type="application/json")


# Pages -----------------------------------------------------------------------------------


def zh(msgid: str) -> str:
    """What a page shows for a msgid in the default language."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def queries_of(client: Client, url: str) -> int:
    """How many queries a page takes (it must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def english() -> Iterator[None]:
    """Messages rendered outside a request (the test's own `gettext`) come out in English."""
    with translation.override("en"):
        yield


# Photos and files ------------------------------------------------------------------------


def image_bytes(
    fmt: str = "PNG",
    color: str | tuple[int, ...] = "red",
    size: tuple[int, int] = (40, 30),
    **save: Any,
) -> bytes:
    """A real image file of one colour; a colour with an alpha channel makes it RGBA."""
    mode = "RGBA" if isinstance(color, tuple) and len(color) == 4 else "RGB"
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


# Browser journeys ---------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the browser journeys: skipped where it is not installed,
    a failure in CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: browser journeys must run in CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    # Playwright's sync API keeps an event loop in this thread while the tests' database
    # work (fixtures, teardown) stays synchronous: lift Django's guard for this module only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            _report_csp_violations(chromium)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


CSP_VIOLATIONS: list[str] = []


def _report_csp_violations(chromium: Any) -> None:
    """Every page of every browser context reports what the Content-Security-Policy blocked."""
    new_context = chromium.new_context

    def reporting_context(*args: Any, **kwargs: Any) -> Any:
        context = new_context(*args, **kwargs)
        context.on(
            "console",
            lambda message: (
                CSP_VIOLATIONS.append(f"{message.location.get('url')}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return context

    chromium.new_context = reporting_context


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser journey fails when the Content-Security-Policy blocked anything on its pages."""
    CSP_VIOLATIONS.clear()
    yield
    if "browser" in request.fixturenames:
        assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def screenshot(page: Any, name: str) -> None:
    """Save the whole page as var/screenshots/<name>.png, for people to look at what the
    journeys saw."""
    from playwright.sync_api import Error as PlaywrightError

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    try:
        page.screenshot(path=path, full_page=True)
    except PlaywrightError:
        # Chromium now and then fails a full-page capture on a busy machine ("Unable to
        # capture screenshot"); the picture is for people, so it is tried once more.
        page.wait_for_timeout(250)
        page.screenshot(path=path, full_page=True)


def image_loaded(image: Any, timeout: float = 10) -> bool:
    """Whether an <img> has loaded within the timeout. A lazy image is scrolled into view
    first, and the check is polled from here: a predicate polled in the page is compiled
    there, which the Content-Security-Policy forbids."""
    image.scroll_into_view_if_needed()
    deadline = time.monotonic() + timeout
    while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        if time.monotonic() > deadline:
            return False
        image.page.wait_for_timeout(50)
    return True


def log_in(page: Any, base: str, username: str) -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.fixture
def world(transactional_db: None, city: City) -> City:
    """The city, committed, so the live server's threads can see it."""
    return city
