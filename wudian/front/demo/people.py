"""The people of the demo city: the utility's departments, one login per role, who serves
which compound, the electricians' duty roster and certificates, and the residents' homes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import Certificate, Department, Role, RoleCode, User
from wudian.front.demo.common import DemoLogin, DemoSummary, Home
from wudian.front.demo.places import COMPOUNDS, household_of
from wudian.grid.models import (
    Community,
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    District,
    DistrictAssignment,
    DutyShift,
    HouseholdMembership,
)

CERTIFICATE_ISSUER = "蚌埠市应急管理局"

DEPARTMENTS = [
    ("REPAIR-BS", "蚌山供电抢修班", Department.Kind.REPAIR_CREW, "0552-3020110"),
    ("HALL-BS", "蚌山区供电营业厅", Department.Kind.BUSINESS_HALL, "0552-3020201"),
    ("METER-BB", "蚌埠供电计量中心", Department.Kind.METERING, "0552-3020302"),
]


MANAGER1_COMPOUNDS = [spec.code for spec in COMPOUNDS[:7]]
MANAGER2_COMPOUNDS = [spec.code for spec in COMPOUNDS[7:]]
RESIDENT1_HOME = Home("jinxiu-huating", building=3, unit=2, floor=5, position=2)
RESIDENT2_HOME = Home("huafu-mingyuan", building=2, unit=1, floor=12, position=1)

LOGINS = [
    DemoLogin(
        "manager1",
        "陈思远",
        "网格化供电客户经理",
        "13905521101",
        (RoleCode.CUSTOMER_MANAGER,),
        _("Serves seven compounds (1 + N), resident1's among them: open the desk."),
    ),
    DemoLogin(
        "manager2",
        "刘晓雯",
        "网格化供电客户经理",
        "13905521102",
        (RoleCode.CUSTOMER_MANAGER,),
        _("Serves the other five compounds, resident2's among them."),
    ),
    DemoLogin(
        "electrician1",
        "张国强",
        "物业电工",
        "13805521201",
        (RoleCode.ELECTRICIAN,),
        _("Certified; on duty in resident1's compound on weekdays."),
    ),
    DemoLogin(
        "electrician2",
        "赵建军",
        "物业电工",
        "13805521202",
        (RoleCode.ELECTRICIAN,),
        _("Certified; the only electrician of resident2's compound."),
    ),
    DemoLogin(
        "electrician3",
        "孙立平",
        "物业电工",
        "13805521203",
        (RoleCode.ELECTRICIAN,),
        _("Certificate expired: may not take fault repairs."),
    ),
    DemoLogin(
        "staff1",
        "周丽",
        "物业客服主管",
        "13705521301",
        (RoleCode.PROPERTY_STAFF,),
        _("Property office: payment reminders door to door."),
    ),
    DemoLogin(
        "gridadmin1",
        "吴静",
        "社区网格化管理员",
        "13605521401",
        (RoleCode.GRID_ADMIN,),
        _("Grid administrator of two communities."),
    ),
    DemoLogin(
        "dept1",
        "郑磊",
        "抢修班班长",
        "13505521501",
        (RoleCode.DEPARTMENT,),
        _("Repair crew: takes escalated work."),
        department="REPAIR-BS",
    ),
    DemoLogin(
        "supervisor1",
        "黄志刚",
        "蚌山供电服务中心主任",
        "13905521601",
        (RoleCode.SUPERVISOR,),
        _("Supervises the whole district: dashboards and alerts."),
    ),
    DemoLogin(
        "resident1",
        "王建国",
        "居民",
        "13855217788",
        (RoleCode.RESIDENT,),
        _("Resident: your household and your compound's window."),
        home=RESIDENT1_HOME,
    ),
    DemoLogin(
        "resident2",
        "李秀英",
        "居民",
        "15855219966",
        (RoleCode.RESIDENT,),
        _("Resident of a compound manager1 does not serve."),
        home=RESIDENT2_HOME,
    ),
    DemoLogin(
        "admin",
        "系统管理员",
        "系统管理员",
        "13905521000",
        (),
        _("Superuser: everything, and the admin at /admin/."),
        superuser=True,
    ),
]

# Who serves what: (username, compound code, role).
COMPOUND_ASSIGNMENTS = (
    [("manager1", code, RoleCode.CUSTOMER_MANAGER) for code in MANAGER1_COMPOUNDS]
    + [("manager2", code, RoleCode.CUSTOMER_MANAGER) for code in MANAGER2_COMPOUNDS]
    + [
        ("electrician1", code, RoleCode.ELECTRICIAN)
        for code in ("jinxiu-huating", "chaoyang-xincun", "tianqiao-xiaoqu", "dongfang-mingzhu")
    ]
    + [("electrician3", "dongfang-mingzhu", RoleCode.ELECTRICIAN)]
    + [
        ("electrician2", code, RoleCode.ELECTRICIAN)
        for code in ("feicui-wan", "huafu-mingyuan", "xiangzhang-yuan", "jinse-gangwan")
    ]
    + [("staff1", code, RoleCode.PROPERTY_STAFF) for code in ("jinxiu-huating", "chaoyang-xincun")]
)
GRID_ADMIN_COMMUNITIES = [("gridadmin1", "BS-CHAOYANG"), ("gridadmin1", "BS-NANSHAN")]
WEEKDAYS = range(1, 6)
# 东方明珠花园 shares its weekdays between a certified and an uncertified electrician.
DUTY_ROSTER = [
    (username, code, weekday)
    for username, code, role in COMPOUND_ASSIGNMENTS
    if role == RoleCode.ELECTRICIAN and code != "dongfang-mingzhu"
    for weekday in WEEKDAYS
] + [
    ("electrician1", "dongfang-mingzhu", 1),
    ("electrician3", "dongfang-mingzhu", 2),
    ("electrician1", "dongfang-mingzhu", 3),
    ("electrician3", "dongfang-mingzhu", 4),
    ("electrician1", "dongfang-mingzhu", 5),
]
# (username, certificate number, valid?)
CERTIFICATES = [
    ("electrician1", "T340303198203154512", True),
    ("electrician2", "T340304197811092219", True),
    ("electrician3", "T340302196905283013", False),
]


def people_seed(
    summary: DemoSummary,
    district: District,
    communities: dict[str, Community],
    compounds: dict[str, Compound],
    *,
    reset_passwords: bool,
) -> None:
    roles: dict[str, Role] = {}
    for order, role_code in enumerate(RoleCode, start=1):
        # The catalogue comes from a migration; this only covers a database where an
        # administrator deleted a role.
        roles[role_code], _created = Role.objects.get_or_create(
            code=role_code, defaults={"name": str(role_code.label), "order": order}
        )
    departments: dict[str, Department] = {}
    for dept_code, name, kind, phone in DEPARTMENTS:
        departments[dept_code], created = Department.objects.get_or_create(
            code=dept_code,
            defaults={"name": name, "kind": kind, "phone": phone, "district": district},
        )
        if created:
            summary.created["Department"] += 1

    existing = User.objects.in_bulk([login.username for login in LOGINS], field_name="username")
    # One hash for all, and only when needed: hashing is deliberately slow (about a second)
    # and the demo password is published anyway.
    needs_hash = reset_passwords or len(existing) < len(LOGINS)
    demo_hash = make_password(settings.DEMO_PASSWORD) if needs_hash else ""
    users: dict[str, User] = {}
    for login in LOGINS:
        user = existing.get(login.username)
        if user is None:
            user = User.objects.create(
                username=login.username,
                password=demo_hash,
                display_name=login.display_name,
                title=login.title,
                phone=login.phone,
                is_staff=login.superuser,
                is_superuser=login.superuser,
                department=departments[login.department] if login.department else None,
            )
            summary.created["User"] += 1
        elif reset_passwords:
            user.password = demo_hash
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
        user.roles.add(*(roles[code] for code in login.roles))
        users[login.username] = user

    # Assignments are what the demo promises: put them back if someone removed them. A
    # compound that an administrator gave to another customer manager keeps that manager.
    CompoundAssignment.objects.bulk_create(
        [
            CompoundAssignment(user=users[username], compound=compounds[code], role=role)
            for username, code, role in COMPOUND_ASSIGNMENTS
        ],
        ignore_conflicts=True,
    )
    CommunityAssignment.objects.bulk_create(
        [
            CommunityAssignment(user=users[username], community=communities[code])
            for username, code in GRID_ADMIN_COMMUNITIES
        ],
        ignore_conflicts=True,
    )
    DistrictAssignment.objects.bulk_create(
        [DistrictAssignment(user=users["supervisor1"], district=district)], ignore_conflicts=True
    )
    DutyShift.objects.bulk_create(
        [
            DutyShift(compound=compounds[code], electrician=users[username], weekday=weekday)
            for username, code, weekday in DUTY_ROSTER
        ],
        ignore_conflicts=True,
    )

    today = timezone.localdate()
    for username, number, valid in CERTIFICATES:
        # Dates follow today so the valid ones stay valid and the expired one stays expired.
        expires = today + datetime.timedelta(days=4 * 365 if valid else -30)
        Certificate.objects.update_or_create(
            number=number,
            defaults={
                "holder": users[username],
                "kind": Certificate.Kind.LOW_VOLTAGE,
                "issuer": CERTIFICATE_ISSUER,
                "issued_on": expires - datetime.timedelta(days=6 * 365),
                "expires_on": expires,
            },
        )

    for login in LOGINS:
        if login.home is None:
            continue
        household = household_of(login.home)
        user = users[login.username]
        _membership, created = HouseholdMembership.objects.get_or_create(
            user=user,
            household=household,
            defaults={"relation": HouseholdMembership.Relation.HOLDER},
        )
        # The resident is the account holder of their flat, so the name on the bill matches.
        if created:
            household.holder_name = user.display_name
            household.phone = user.phone
            household.save(update_fields=["holder_name", "phone"])
