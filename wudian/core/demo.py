"""The demo city for `wudian seed_demo`: 蚌埠市蚌山区 with three communities, twelve
compounds, a few thousand households, their supply network, and one login per role.

Everything is keyed by a stable natural key (codes, account numbers, meter numbers,
usernames), so seeding again creates only what is missing and never duplicates. Rows that
exist are left as they are: whatever a demo user edited (a phone number, a compound's name,
their password) survives a re-run. The few things the demo promises — who serves which
compound, which certificate is valid — are put back on every run.

Names, phones and account numbers are generated deterministically: each household's data
comes from a random generator seeded with its account number, so the same flat always gets
the same holder whatever scale the city is seeded at.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import Certificate, Department, Role, RoleCode, User
from wudian.grid.models import (
    Building,
    Community,
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    District,
    DistrictAssignment,
    DutyShift,
    Feeder,
    Household,
    HouseholdMembership,
    Meter,
    PropertyCompany,
    StationArea,
    Street,
)

CITY = "蚌埠市"
DISTRICT_CODE = "BS"
DISTRICT_NAME = "蚌山区"
CERTIFICATE_ISSUER = "蚌埠市应急管理局"
BATCH = 500


class DemoRefused(Exception):
    """Demo logins share a published password, which a production server refuses."""


# --- the data, as tables: one row a line, columns separated by "|" ------------------------


def table(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("|")]
        for line in text.strip().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def words(text: str) -> list[str]:
    return text.split()


# --- places --------------------------------------------------------------------------------

STREETS = [
    ("BS-TIANQIAO", "天桥街道"),
    ("BS-HUANGZHUANG", "黄庄街道"),
    ("BS-WEISI", "纬四街道"),
]


@dataclass(frozen=True)
class CommunitySpec:
    code: str
    street: str
    name: str
    service_point_address: str
    service_point_phone: str


COMMUNITIES = [
    CommunitySpec(*row)
    for row in table("""
        BS-CHAOYANG | BS-TIANQIAO    | 朝阳社区 | 蚌山区朝阳路218号社区服务中心一楼 | 0552-2081260
        BS-NANSHAN  | BS-HUANGZHUANG | 南山社区 | 蚌山区南山路66号社区党群服务中心   | 0552-3172215
        BS-JINGER   | BS-WEISI       | 经二社区 | 蚌山区经二路156号社区便民服务站    | 0552-2046738
    """)
]
SERVICE_HOURS = "周一至周五 8:30–12:00、14:30–18:00；每月第一个周五物电联动日全天"

PROPERTY_COMPANIES = table("""
    蚌埠恒信物业管理有限公司   | 0552-2089916 | 蚌山区朝阳路302号
    安徽万家物业服务有限公司   | 0552-3126688 | 蚌山区黄山大道1088号
    蚌埠银河物业有限公司       | 0552-2073310 | 蚌山区涂山路455号
    蚌埠市建投物业服务有限公司 | 0552-2052207 | 蚌山区纬四路90号
""")


@dataclass(frozen=True)
class CompoundSpec:
    code: str
    name: str
    community: str
    company: int | None  # index into PROPERTY_COMPANIES; None: an old compound with no property
    address: str
    buildings: int
    floors: int
    units: int
    per_floor: int
    office_phone: str

    @property
    def households(self) -> int:
        return self.buildings * self.floors * self.units * self.per_floor


def compound_spec(row: list[str]) -> CompoundSpec:
    code, name, community, company, address, layout, phone = row
    buildings, floors, units, per_floor = (int(n) for n in layout.split("x"))
    return CompoundSpec(
        code, name, community, None if company == "-" else int(company), DISTRICT_NAME + address,
        buildings, floors, units, per_floor, phone,
    )  # fmt: skip


# Layout: buildings x floors x units per building x flats per floor and unit. Old walk-ups
# have 5 or 6 floors, newer towers 11 to 26. "-": no property company (社区代管). Addresses
# are in 蚌山区.
COMPOUNDS = [
    compound_spec(row)
    for row in table("""
        jinxiu-huating   | 锦绣华庭     | BS-CHAOYANG | 0 | 朝阳路366号    | 6x11x2x2 | 0552-2089917
        chaoyang-xincun  | 朝阳新村     | BS-CHAOYANG | 0 | 朝阳路120号    | 10x6x3x2 | 0552-2089918
        tianqiao-xiaoqu  | 天桥小区     | BS-CHAOYANG | 1 | 天桥路58号     | 8x6x2x2  | 0552-3126690
        dongfang-mingzhu | 东方明珠花园 | BS-CHAOYANG | 0 | 胜利西路201号  | 6x18x2x2 | 0552-2089919
        nanshan-yuan     | 南山苑       | BS-NANSHAN  | 2 | 南山路88号     | 8x6x3x2  | 0552-2073311
        tushan-huayuan   | 涂山花园     | BS-NANSHAN  | 2 | 涂山路502号    | 6x11x2x2 | 0552-2073312
        yanshan-xincun   | 燕山新村     | BS-NANSHAN  | - | 燕山路17号     | 8x5x2x2  |
        feicui-wan       | 翡翠湾       | BS-NANSHAN  | 1 | 黄山大道1118号 | 5x26x2x2 | 0552-3126691
        huafu-mingyuan   | 华府名苑     | BS-JINGER   | 1 | 工农路236号    | 6x18x2x2 | 0552-3126692
        xiangzhang-yuan  | 香樟园       | BS-JINGER   | 3 | 经二路208号    | 8x6x3x2  | 0552-2052208
        jinse-gangwan    | 金色港湾     | BS-JINGER   | 3 | 延安南路77号   | 6x11x2x2 | 0552-2052209
        jinger-lu        | 经二路小区   | BS-JINGER   | - | 经二路95号     | 6x5x2x2  |
    """)
]
COMPOUND_INDEX = {spec.code: index for index, spec in enumerate(COMPOUNDS)}

# --- supply network ------------------------------------------------------------------------

FEEDERS = table("""
    F-CHAOYANG  | 10kV朝阳线 | 110kV朝阳变电站
    F-TUSHAN    | 10kV涂山线 | 110kV涂山变电站
    F-HUANGSHAN | 10kV黄山线 | 110kV黄山变电站
    F-JINGER    | 10kV经二线 | 110kV纬四变电站
""")


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    feeder: str
    capacity_kva: int
    compounds: tuple[str, ...]

    @property
    def multiplier(self) -> Decimal:
        """The supply meter reads through a current transformer sized to the transformer:
        200/5, 400/5, 600/5 or 800/5 A, hence a multiplier of 40, 80, 120 or 160."""
        return Decimal({200: 40, 400: 80, 630: 120, 800: 160}[self.capacity_kva])


# TQ-CYXC-2 is an old transformer that still feeds the north end of 朝阳新村 and all of
# 天桥小区: a station area may serve more than one compound.
AREAS = [
    AreaSpec(code, name, feeder, int(kva), tuple(words(compounds)))
    for code, name, feeder, kva, compounds in table("""
        TQ-JXHT-1  | 锦绣华庭1号台区    | F-CHAOYANG  | 400 | jinxiu-huating
        TQ-JXHT-2  | 锦绣华庭2号台区    | F-CHAOYANG  | 400 | jinxiu-huating
        TQ-CYXC-1  | 朝阳新村1号台区    | F-CHAOYANG  | 630 | chaoyang-xincun
        TQ-CYXC-2  | 朝阳新村2号台区    | F-CHAOYANG  | 800 | chaoyang-xincun tianqiao-xiaoqu
        TQ-DFMZ-1  | 东方明珠1号台区    | F-CHAOYANG  | 630 | dongfang-mingzhu
        TQ-DFMZ-2  | 东方明珠2号台区    | F-CHAOYANG  | 630 | dongfang-mingzhu
        TQ-NSY-1   | 南山苑1号台区      | F-TUSHAN    | 630 | nanshan-yuan
        TQ-TSHY-1  | 涂山花园1号台区    | F-TUSHAN    | 400 | tushan-huayuan
        TQ-TSHY-2  | 涂山花园2号台区    | F-TUSHAN    | 400 | tushan-huayuan
        TQ-YSXC-1  | 燕山新村公变台区   | F-TUSHAN    | 200 | yanshan-xincun
        TQ-FCW-1   | 翡翠湾1号台区      | F-HUANGSHAN | 800 | feicui-wan
        TQ-FCW-2   | 翡翠湾2号台区      | F-HUANGSHAN | 630 | feicui-wan
        TQ-HFMY-1  | 华府名苑1号台区    | F-HUANGSHAN | 630 | huafu-mingyuan
        TQ-HFMY-2  | 华府名苑2号台区    | F-HUANGSHAN | 630 | huafu-mingyuan
        TQ-XZY-1   | 香樟园1号台区      | F-JINGER    | 630 | xiangzhang-yuan
        TQ-JSGW-1  | 金色港湾1号台区    | F-JINGER    | 400 | jinse-gangwan
        TQ-JSGW-2  | 金色港湾2号台区    | F-JINGER    | 400 | jinse-gangwan
        TQ-JELXQ-1 | 经二路小区公变台区 | F-JINGER    | 200 | jinger-lu
    """)
]

DEPARTMENTS = [
    ("REPAIR-BS", "蚌山供电抢修班", Department.Kind.REPAIR_CREW, "0552-3020110"),
    ("HALL-BS", "蚌山区供电营业厅", Department.Kind.BUSINESS_HALL, "0552-3020201"),
    ("METER-BB", "蚌埠供电计量中心", Department.Kind.METERING, "0552-3020302"),
]

# --- people --------------------------------------------------------------------------------

# Common surnames, the commonest listed more than once so they come up more often.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
    "袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯"
    "龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN_NAMES = words("""
    伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建国 建华
    志强 海燕 玉兰 文 华 红 梅 俊 鹏 辉 斌 宇 浩 凯 婷 雪 琳 晨 欣怡 子涵 浩然 梓萱 国庆
    红梅 玉梅 春花 德明 永红 立新 卫东 淑珍 桂兰 凤英 海涛 晓东 晓红 丽娟 文杰 志刚 振华
    雨桐 思远 佳怡 家豪 一鸣 小燕 金凤 长江 淮生 学军 秀珍 庆华 兰英
""")
MOBILE_PREFIXES = words("""
    130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159
    166 173 176 177 180 181 182 183 184 185 186 187 188 189 191 199
""")


@dataclass(frozen=True)
class Home:
    compound: str
    building: int
    unit: int
    floor: int
    position: int


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    title: str
    phone: str
    roles: tuple[RoleCode, ...]
    hint: Promise
    superuser: bool = False
    department: str | None = None
    home: Home | None = None


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


# --- the generator -------------------------------------------------------------------------


@dataclass
class DemoSummary:
    created: Counter[str] = field(default_factory=Counter)
    totals: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)


def account_no(home: Home) -> str:
    """A 10-digit account number (户号) that encodes the flat, so it is stable at any scale."""
    index = COMPOUND_INDEX[home.compound]
    return f"34{index:02d}{home.building:02d}{home.unit}{home.floor:02d}{home.position}"


def room_of(home: Home) -> str:
    return f"{home.floor}{home.position:02d}"


def homes_of_building(
    spec: CompoundSpec, building: int, limit: int | None, always: Sequence[Home]
) -> Iterator[Home]:
    count = 0
    for unit in range(1, spec.units + 1):
        for floor in range(1, spec.floors + 1):
            for position in range(1, spec.per_floor + 1):
                home = Home(spec.code, building, unit, floor, position)
                if limit is None or count < limit or home in always:
                    count += 1
                    yield home


def person(seed: str) -> tuple[str, str]:
    """A plausible holder name and mobile number (about 3% of households left no phone)."""
    rng = random.Random(f"wudian-demo-{seed}")  # noqa: S311  demo data, not a secret
    name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    phone = (
        "" if rng.random() < 0.03 else rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    )
    return name, phone


def demo_city_seed(
    *, households_per_building: int | None = None, reset_passwords: bool = False
) -> DemoSummary:
    """Create what is missing of the demo city and its logins. Refused unless DEBUG."""
    if not settings.DEBUG:
        raise DemoRefused
    if households_per_building is not None and households_per_building < 1:
        raise ValueError("households_per_building must be at least 1")
    summary = DemoSummary(logins=LOGINS)
    with transaction.atomic():
        district, communities, compounds = _places(summary)
        areas = _network(summary, compounds)
        _households(summary, compounds, areas, households_per_building)
        _people(summary, district, communities, compounds, reset_passwords=reset_passwords)
        _outages(summary)
    _readings(summary)
    with transaction.atomic():
        _requests(summary)
    summary.totals = {
        "compounds": Compound.objects.filter(code__in=COMPOUND_INDEX).count(),
        "buildings": Building.objects.filter(compound__code__in=COMPOUND_INDEX).count(),
        "households": Household.objects.filter(building__compound__code__in=COMPOUND_INDEX).count(),
        "station_areas": StationArea.objects.filter(code__in=[a.code for a in AREAS]).count(),
        "meters": Meter.objects.filter(station_area__code__in=[a.code for a in AREAS]).count(),
    }
    return summary


M = TypeVar("M", bound=models.Model)


def batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _get_or_create(
    summary: DemoSummary, model: type[M], defaults: dict[str, object], **key: object
) -> M:
    row, created = model._default_manager.get_or_create(defaults=defaults, **key)
    if created:
        summary.created[model.__name__] += 1
    return row


def _places(
    summary: DemoSummary,
) -> tuple[District, dict[str, Community], dict[str, Compound]]:
    district = _get_or_create(
        summary, District, {"name": DISTRICT_NAME, "city": CITY}, code=DISTRICT_CODE
    )
    streets = {
        code: _get_or_create(summary, Street, {"district": district, "name": name}, code=code)
        for code, name in STREETS
    }
    communities = {
        spec.code: _get_or_create(
            summary,
            Community,
            {
                "street": streets[spec.street],
                "name": spec.name,
                "service_point_name": f"{spec.name}物电联络站",
                "service_point_address": spec.service_point_address,
                "service_point_phone": spec.service_point_phone,
                "service_hours": SERVICE_HOURS,
            },
            code=spec.code,
        )
        for spec in COMMUNITIES
    }
    companies = [
        _get_or_create(summary, PropertyCompany, {"phone": phone, "address": address}, name=name)
        for name, phone, address in PROPERTY_COMPANIES
    ]
    compounds = {
        spec.code: _get_or_create(
            summary,
            Compound,
            {
                "community": communities[spec.community],
                "property_company": None if spec.company is None else companies[spec.company],
                "name": spec.name,
                "address": spec.address,
                "property_office_phone": spec.office_phone,
            },
            code=spec.code,
        )
        for spec in COMPOUNDS
    }
    return district, communities, compounds


def _network(summary: DemoSummary, compounds: dict[str, Compound]) -> dict[str, StationArea]:
    feeders = {
        code: _get_or_create(summary, Feeder, {"name": name, "substation": substation}, code=code)
        for code, name, substation in FEEDERS
    }
    existing = StationArea.objects.in_bulk([spec.code for spec in AREAS], field_name="code")
    missing = [
        StationArea(
            feeder=feeders[spec.feeder],
            code=spec.code,
            name=spec.name,
            capacity_kva=spec.capacity_kva,
        )
        for spec in AREAS
        if spec.code not in existing
    ]
    StationArea.objects.bulk_create(missing)
    summary.created["StationArea"] += len(missing)
    areas = StationArea.objects.in_bulk([spec.code for spec in AREAS], field_name="code")
    links = [
        StationArea.compounds.through(
            stationarea_id=areas[spec.code].pk, compound_id=compounds[c].pk
        )
        for spec in AREAS
        for c in spec.compounds
    ]
    StationArea.compounds.through.objects.bulk_create(links, ignore_conflicts=True)

    supply_meters = {f"3409{index:08d}": spec for index, spec in enumerate(AREAS, start=1)}
    taken = set(Meter.objects.filter(meter_no__in=supply_meters).values_list("meter_no", flat=True))
    new_meters = [
        Meter(
            station_area=areas[spec.code],
            meter_no=meter_no,
            role=Meter.Role.SUPPLY,
            multiplier=spec.multiplier,
        )
        for meter_no, spec in supply_meters.items()
        if meter_no not in taken
    ]
    Meter.objects.bulk_create(new_meters)
    summary.created["Meter"] += len(new_meters)
    return areas


def _area_of_building(spec: CompoundSpec, building: int) -> str:
    """A compound's buildings are split into contiguous runs, one per station area."""
    codes = [area.code for area in AREAS if spec.code in area.compounds]
    return codes[(building - 1) * len(codes) // spec.buildings]


def _households(
    summary: DemoSummary,
    compounds: dict[str, Compound],
    areas: dict[str, StationArea],
    limit: int | None,
) -> None:
    building_codes = {
        f"{spec.code}-{number}": (spec, number)
        for spec in COMPOUNDS
        for number in range(1, spec.buildings + 1)
    }
    existing = Building.objects.in_bulk(list(building_codes), field_name="code")
    new_buildings = [
        Building(
            compound=compounds[spec.code],
            code=code,
            name=f"{number}号楼",
            floors=spec.floors,
        )
        for code, (spec, number) in building_codes.items()
        if code not in existing
    ]
    Building.objects.bulk_create(new_buildings)
    summary.created["Building"] += len(new_buildings)
    buildings = Building.objects.in_bulk(list(building_codes), field_name="code")

    always = [login.home for login in LOGINS if login.home is not None]
    wanted: list[tuple[Home, Building, str]] = []
    for code, (spec, number) in building_codes.items():
        area = _area_of_building(spec, number)
        wanted.extend(
            (home, buildings[code], area) for home in homes_of_building(spec, number, limit, always)
        )

    taken_accounts: set[str] = set()
    for chunk in batched([account_no(home) for home, _b, _a in wanted], BATCH):
        taken_accounts.update(
            Household.objects.filter(account_no__in=chunk).values_list("account_no", flat=True)
        )
    taken_rooms = set(
        Household.objects.filter(building__in=buildings.values()).values_list(
            "building_id", "unit", "room"
        )
    )
    new_households = []
    for home, building, area in wanted:
        account = account_no(home)
        room = room_of(home)
        if account in taken_accounts or (building.pk, str(home.unit), room) in taken_rooms:
            continue
        compound = compounds[home.compound]
        holder, phone = person(account)
        new_households.append(
            Household(
                building=building,
                station_area=areas[area],
                account_no=account,
                unit=str(home.unit),
                room=room,
                address=f"{CITY}{compound.address}{compound.name}{building.name}"
                f"{home.unit}单元{room}室",
                holder_name=holder,
                phone=phone,
            )
        )
    Household.objects.bulk_create(new_households, batch_size=BATCH)
    summary.created["Household"] += len(new_households)

    # Every demo household has a user meter; look up the ones still without one.
    unmetered = Household.objects.filter(
        building__in=buildings.values(), meter__isnull=True
    ).values_list("pk", "account_no", "station_area_id")
    candidates = {f"3401{number[2:]}": (pk, area_id) for pk, number, area_id in unmetered}
    taken_meters: set[str] = set()
    for chunk in batched(list(candidates), BATCH):
        taken_meters.update(
            Meter.objects.filter(meter_no__in=chunk).values_list("meter_no", flat=True)
        )
    new_meters = [
        Meter(station_area_id=area_id, meter_no=meter_no, household_id=pk)
        for meter_no, (pk, area_id) in candidates.items()
        if meter_no not in taken_meters and area_id is not None
    ]
    Meter.objects.bulk_create(new_meters, batch_size=BATCH)
    summary.created["Meter"] += len(new_meters)


def _people(
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
        household = Household.objects.get(account_no=account_no(login.home))
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


# Outage notices: one ahead for each customer manager's resident, and one fault that is over,
# so the window, /me/, the desk and the feeds have something to show. Created once (by title)
# through the same services staff use, so they are notified like real ones.
DEMO_OUTAGES = [
    # username, kind, title, station area, days from today, start hour, hours, reason
    (
        "manager1",
        "planned",
        "锦绣华庭1号台区计划检修停电",
        "TQ-JXHT-1",
        10,
        8,
        9,
        "更换1号台区配电变压器低压出线柜，提升供电可靠性。",
    ),
    (
        "manager2",
        "planned",
        "华府名苑1号台区计划检修停电",
        "TQ-HFMY-1",
        12,
        9,
        6,
        "10kV黄山线华府名苑支线带电作业条件不足，停电检修环网柜。",
    ),
    (
        "manager1",
        "fault",
        "朝阳新村1号台区低压故障停电",
        "TQ-CYXC-1",
        -3,
        19,
        3,
        "低压电缆分支箱进水短路，抢修班已到场处理。",
    ),
]


def _outages(summary: DemoSummary) -> None:
    from wudian.outages.models import Outage
    from wudian.outages.services import outage_create, outage_restore

    today = timezone.localdate()
    for username, kind, title, area, days, hour, hours, reason in DEMO_OUTAGES:
        if Outage.objects.filter(title=title).exists():
            continue
        by = User.objects.get(username=username)
        start = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour))
        )
        end = start + datetime.timedelta(hours=hours)
        outage = outage_create(
            by=by,
            kind=kind,
            title=title,
            reason=reason,
            start=start,
            end=end,
            station_areas=[area],
            estimated_restoration=end if kind == Outage.Kind.FAULT else None,
        )
        if end < timezone.now():
            outage_restore(outage=outage, by=by, at=end)
        summary.created["outages"] += 1


# Two weeks of collection data, so the line-loss pages have something to show: most areas lose
# 3-7 %; 燕山新村's old public transformer loses 16 % (high loss) and 经二路小区's supply meter
# has a wrong multiplier on record (negative loss); a few meters miss days (incomplete) and
# one register goes backwards. Loaded once, through the same import staff use.
HIGH_LOSS_AREA, NEGATIVE_LOSS_AREA = "TQ-YSXC-1", "TQ-JELXQ-1"
SILENT_METER_AREA, BACKWARDS_AREA = "TQ-CYXC-1", "TQ-DFMZ-1"
READING_DAYS = 15


def _readings(summary: DemoSummary) -> None:
    import csv
    import tempfile
    from pathlib import Path

    from wudian.analytics.models import StationAreaDay
    from wudian.analytics.services import readings_import

    codes = [area.code for area in AREAS]
    if StationAreaDay.objects.filter(station_area__code__in=codes).exists():
        return
    meters = list(
        Meter.objects.filter(station_area__code__in=codes)
        .order_by("station_area__code", "role", "meter_no")
        .values_list("meter_no", "role", "multiplier", "station_area__code")
    )
    first = timezone.localdate() - datetime.timedelta(days=READING_DAYS)
    days = [first + datetime.timedelta(days=n) for n in range(READING_DAYS + 1)]
    rows: list[tuple[str, str, str]] = []
    users_by_area: dict[str, list[Decimal]] = {}
    silent_done = backwards_done = False
    for meter_no, role, _multiplier, area in meters:
        if role != Meter.Role.USER:
            continue
        rng = random.Random(meter_no)  # noqa: S311  demo data
        register = Decimal(rng.randint(500, 9000))
        silent = area == SILENT_METER_AREA and not silent_done
        backwards = area == BACKWARDS_AREA and not backwards_done
        silent_done |= silent
        backwards_done |= backwards
        daily = users_by_area.setdefault(area, [Decimal(0)] * READING_DAYS)
        for n, day in enumerate(days):
            if silent and n in (5, 6):
                continue  # the meter did not report
            value = register - 40 if backwards and n == 9 else register
            rows.append((meter_no, day.isoformat(), str(value)))
            if n < READING_DAYS:
                use = Decimal(rng.randint(30, 140)) / 10
                register += use
                daily[n] += use
    for meter_no, role, multiplier, area in meters:
        if role != Meter.Role.SUPPLY:
            continue
        rng = random.Random(meter_no)  # noqa: S311  demo data
        base = Decimal(rng.randint(30, 70)) / 1000
        if area == HIGH_LOSS_AREA:
            base = Decimal("0.16")
        elif area == NEGATIVE_LOSS_AREA:
            base = Decimal("-0.03")
        register = Decimal(rng.randint(1000, 5000))
        for n, day in enumerate(days):
            rows.append((meter_no, day.isoformat(), str(register.quantize(Decimal("0.000001")))))
            if n < READING_DAYS:
                loss = base + Decimal(rng.randint(-12, 12)) / 1000
                register += (
                    users_by_area.get(area, [Decimal(0)] * READING_DAYS)[n]
                    * (1 + loss)
                    / Decimal(multiplier)
                )
    folder = Path(tempfile.mkdtemp(prefix="wudian-demo-"))
    path = folder / "demo-readings.csv"
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["meter_id", "read_date", "register_kwh"])
            writer.writerows(rows)
        result = readings_import(readings_path=path)
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    summary.created["station-area days"] += result.run.rows


# Requests in every state a desk shows: a fault waiting for electrician1, one resolved and
# awaiting resident1's confirmation, one closed and rated, a phone call whose arrival is
# already overdue, a priority complaint phoned in for a special-group household and waiting for
# the caller, a fault escalated to the repair crew, and resident2's enquiry with manager2.
# (minutes ago filed, username filing, home, category, channel, description, steps)
DEMO_REQUESTS: list[tuple[int, str, str, str, str, str, list[tuple[int, str, str, str]]]] = [
    (
        20,
        "resident1",
        "resident1",
        "fault_behind_meter",
        "web",
        "厨房插座没电了，家里空开合上又跳，麻烦师傅来看看。",
        [],
    ),
    (
        60 * 26,
        "resident1",
        "resident1",
        "billing_enquiry",
        "web",
        "这个月的电费比上个月多了一倍，想了解一下阶梯电价是怎么算的。",
        [
            (60 * 25, "manager1", "accept", ""),
            (
                60 * 22,
                "manager1",
                "resolve",
                "已电话解释年度阶梯电价：本年用电已超过第一档 2160 度。",
            ),
        ],
    ),
    (
        60 * 24 * 4,
        "resident1",
        "resident1",
        "business_new",
        "web",
        "新买的车库想单独装一块电表，请问需要准备什么材料？",
        [
            (60 * 24 * 4 - 30, "manager1", "accept", ""),
            (60 * 24 * 2, "manager1", "resolve", "已现场勘查并完成装表接电。"),
            (60 * 24 * 2 - 60, "resident1", "rate", "客户经理上门服务，不用跑营业厅，很满意。"),
        ],
    ),
    (
        120,
        "manager1",
        "neighbour",
        "fault_before_meter",
        "phone",
        "电话报修：1号楼1单元楼道总闸冒烟，整个单元没电。",
        [(110, "manager1", "accept", "")],
    ),
    (
        60 * 5,
        "manager1",
        "special",
        "complaint",
        "phone",
        "来电：家里有卧床老人，上周停电没有提前通知，电费也不知道怎么交，希望有人上门说明。",
        [
            (60 * 4, "manager1", "accept", ""),
            (60 * 3, "manager1", "wait", "已约上门，请告知方便的时间。"),
        ],
    ),
    (
        90,
        "electrician1",
        "neighbour",
        "fault_behind_meter",
        "visit",
        "巡查发现住户电表箱内进线端子烧蚀，需要停电更换。",
        [
            (80, "electrician1", "accept", ""),
            (70, "electrician1", "escalate", "端子在表前，需供电公司处理。"),
            (60, "manager1", "escalate", "表前进线需停电更换，转抢修班。"),
        ],
    ),
    (
        45,
        "resident2",
        "resident2",
        "outage_enquiry",
        "web",
        "今天下午小区停电了吗？什么时候恢复？",
        [(40, "manager2", "accept", "")],
    ),
]


def _requests(summary: DemoSummary) -> None:
    from wudian.workorders import services
    from wudian.workorders.models import Category, WorkOrder
    from wudian.workorders.open311.keys import open311_key_issue

    open311_key_issue(name="演示客户端", key="demo-open311-key")
    if WorkOrder.objects.filter(description=DEMO_REQUESTS[0][5]).exists():
        return
    users = {
        user.username: user
        for user in User.objects.filter(username__in=[login.username for login in LOGINS])
    }
    resident1_home = Household.objects.get(memberships__user=users["resident1"])
    others = (
        Household.objects.filter(building__compound=resident1_home.building.compound)
        .exclude(pk=resident1_home.pk)
        .select_related("building__compound", "station_area")
    )
    homes = {
        "resident1": resident1_home,
        "resident2": Household.objects.get(memberships__user=users["resident2"]),
        "neighbour": others.order_by("account_no")[0],
        "special": others.order_by("-account_no")[0],
    }
    if not homes["special"].special_group:
        homes["special"].special_group = True
        homes["special"].save(update_fields=["special_group"])
    repair_crew = Department.objects.filter(code="REPAIR-BS").first()
    now = timezone.now()
    for ago, username, home, code, channel, text, steps in DEMO_REQUESTS:
        workorder = services.workorder_create(
            category=Category.objects.get(code=code),
            description=text,
            channel=channel,
            by=users[username],
            household=homes[home],
            now=now - datetime.timedelta(minutes=ago),
        )
        for step_ago, actor, action, note in steps:
            at = now - datetime.timedelta(minutes=step_ago)
            by = users[actor]
            if action == "accept":
                services.workorder_accept(workorder=workorder, by=by, now=at)
            elif action == "resolve":
                services.workorder_resolve(workorder=workorder, by=by, note=note, now=at)
            elif action == "wait":
                services.workorder_wait(workorder=workorder, by=by, note=note, now=at)
            elif action == "rate":
                services.workorder_rate(
                    workorder=workorder, by=by, rating=5, comment=note, visited_hall=False, now=at
                )
            elif action == "escalate":
                department = repair_crew if by.has_role(RoleCode.CUSTOMER_MANAGER) else None
                services.workorder_escalate(
                    workorder=workorder, by=by, reason=note, department=department, now=at
                )
        summary.created["requests"] += 1
