"""The places of the demo city — district, streets, communities, property companies and
compounds — their supply network (feeders, station areas, supply meters) and their
households with a user meter each."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from wudian.front.demo.common import (
    BATCH,
    CITY,
    DISTRICT_CODE,
    DISTRICT_NAME,
    DemoSummary,
    Home,
    batched,
    get_or_create_counted,
    table,
    words,
)
from wudian.grid.models import (
    Building,
    Community,
    Compound,
    District,
    Feeder,
    Household,
    Meter,
    PropertyCompany,
    StationArea,
    Street,
)

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

# --- households ---------------------------------------------------------------------------

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


def _scrambled(number: int, key: str) -> str:
    """An eight-digit number from another, one-to-one (a four-round Feistel network on its two
    halves), so that neighbouring flats get unrelated numbers."""
    left, right = divmod(number, 10**4)
    for round_ in range(4):
        digest = hashlib.sha256(f"{key}-{round_}-{right}".encode()).digest()
        left, right = right, (left + int.from_bytes(digest[:4], "big")) % 10**4
    return f"{left:04d}{right:04d}"


def account_no(home: Home) -> str:
    """A 10-digit account number (户号), the same for a flat at any scale, that does not tell
    which flat it is (an account number is personal data)."""
    index = COMPOUND_INDEX[home.compound]
    flat = int(f"{index:02d}{home.building:02d}{home.unit}{home.floor:02d}{home.position}")
    return "34" + _scrambled(flat, "account")


def meter_no(account: str) -> str:
    """A household's meter number, which does not repeat its account number."""
    return "3401" + _scrambled(int(account[2:]), "meter")


def room_of(home: Home) -> str:
    return f"{home.floor}{home.position:02d}"


def household_of(home: Home) -> Household:
    """The seeded household of a demo login's home."""
    return Household.objects.get(
        building__code=f"{home.compound}-{home.building}", unit=str(home.unit), room=room_of(home)
    )


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


def places_seed(
    summary: DemoSummary,
) -> tuple[District, dict[str, Community], dict[str, Compound]]:
    district = get_or_create_counted(
        summary, District, {"name": DISTRICT_NAME, "city": CITY}, code=DISTRICT_CODE
    )
    streets = {
        code: get_or_create_counted(
            summary, Street, {"district": district, "name": name}, code=code
        )
        for code, name in STREETS
    }
    communities = {
        spec.code: get_or_create_counted(
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
        get_or_create_counted(
            summary, PropertyCompany, {"phone": phone, "address": address}, name=name
        )
        for name, phone, address in PROPERTY_COMPANIES
    ]
    compounds = {
        spec.code: get_or_create_counted(
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


def network_seed(summary: DemoSummary, compounds: dict[str, Compound]) -> dict[str, StationArea]:
    feeders = {
        code: get_or_create_counted(
            summary, Feeder, {"name": name, "substation": substation}, code=code
        )
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


def households_seed(
    summary: DemoSummary,
    compounds: dict[str, Compound],
    areas: dict[str, StationArea],
    limit: int | None,
    *,
    always: Sequence[Home],
) -> None:
    """Every household of every building, or at most `limit` a building and those in
    `always` (the demo residents' homes)."""
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
    candidates = {meter_no(number): (pk, area_id) for pk, number, area_id in unmetered}
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
