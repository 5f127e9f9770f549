"""`wudian import_grid`: an all-or-nothing import of compounds, buildings, households and
meters from .xlsx or .csv, with a report that names every bad row and column."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from wudian.conftest import City, snapshot
from wudian.grid.importing import grid_import
from wudian.grid.models import (
    Building,
    Community,
    Compound,
    Household,
    Meter,
    PropertyCompany,
    StationArea,
)

COMPOUND_HEADERS = ["小区编码", "小区名称", "社区编码", "地址", "物业公司", "物业电话"]
HOUSEHOLD_HEADERS = [
    "小区编码",
    "楼栋",
    "单元",
    "房号",
    "户号",
    "户名",
    "电话",
    "地址",
    "台区编码",
    "电表号",
    "倍率",
]
SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"


def household(**overrides: Any) -> list[Any]:
    values: dict[str, Any] = {
        "小区编码": "NORTH",
        "楼栋": "2号楼",
        "单元": "1",
        "房号": "301",
        "户号": "3400100001",
        "户名": "陈晓梅",
        "电话": "13955200001",
        "地址": "",
        "台区编码": "TA1",
        "电表号": "E3400100001",
        "倍率": "",
    }
    values.update(overrides)
    return [values[h] for h in HOUSEHOLD_HEADERS]


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(path: Path, *args: str, language: str = "en") -> str:
    out = io.StringIO()
    call_command("import_grid", str(path), "--language", language, *args, stdout=out)
    return out.getvalue()


def run_failing(path: Path, *args: str, language: str = "en") -> str:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_grid",
            str(path),
            "--language",
            language,
            *args,
            stdout=io.StringIO(),
            stderr=err,
        )
    return err.getvalue()


def grid_rows() -> dict[str, Any]:
    """Every row an import may write, as stored: a refused or repeated import leaves them."""
    models = (PropertyCompany, Compound, Building, Household, Meter)
    return snapshot(*(row for model in models for row in model.objects.all()))


def test_xlsx_creates_compounds_buildings_households_and_meters(city: City, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "grid.xlsx",
        {
            "小区": [
                COMPOUND_HEADERS,
                ["XINHE", "新河苑", "CM1", "新河路8号", "新河物业", "0552-3123456"],
            ],
            "住户": [
                HOUSEHOLD_HEADERS,
                household(小区编码="XINHE", 楼栋="1号楼", 倍率=2),
                household(
                    小区编码="XINHE",
                    楼栋="1号楼",
                    房号="302",
                    户号=3400100002,
                    电话=13955200002,
                    电表号="",
                ),
                household(户号="3400100003", 电表号="E3400100003", 单元=""),
            ],
        },
    )

    output = run(path)

    assert "compounds: 1 created, 0 updated, 0 unchanged" in output
    assert "buildings: 2 created, 0 updated, 0 unchanged" in output
    assert "households: 3 created, 0 updated, 0 unchanged" in output
    assert "meters: 2 created, 0 updated, 0 unchanged" in output
    xinhe = Compound.objects.get(code="XINHE")
    assert xinhe.community == city.community
    assert xinhe.property_company is not None
    assert xinhe.property_company.name == "新河物业"
    assert xinhe.property_office_phone == "0552-3123456"
    assert city.station_area.compounds.filter(code="XINHE").exists()
    first = Household.objects.select_related("building", "meter").get(account_no="3400100001")
    assert first.building.code == "XINHE-1"
    assert first.building.compound == xinhe
    assert first.address == "新河路8号新河苑1号楼1单元301室"
    assert first.meter.meter_no == "E3400100001"
    assert first.meter.multiplier == Decimal(2)
    assert first.meter.station_area == city.station_area
    second = Household.objects.get(account_no="3400100002")
    assert second.phone == "13955200002"
    assert not Meter.objects.filter(household=second).exists()
    third = Household.objects.select_related("building").get(account_no="3400100003")
    assert third.building.compound == city.north
    assert third.building.name == "2号楼"
    assert third.unit == ""
    assert third.meter.multiplier == Decimal(1)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_each_excel_encoding_is_imported(city: City, tmp_path: Path, encoding: str) -> None:
    path = write_csv(
        tmp_path / "households.csv",
        [HOUSEHOLD_HEADERS, household(户名="欧阳娜娜", 地址="涂山路100号北苑小区2号楼")],
        encoding=encoding,
    )

    output = run(path)

    assert "households: 1 created" in output
    home = Household.objects.get(account_no="3400100001")
    assert home.holder_name == "欧阳娜娜"
    assert home.address == "涂山路100号北苑小区2号楼"


def test_english_headers_and_full_width_digits_are_accepted(city: City, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "households.csv",
        [
            [
                "compound_code",
                "Building",
                "unit",
                "room",
                "Account No",
                "holder_name",
                "phone *",
                "Station Area Code",
            ],
            [
                "NORTH",
                "2号楼",
                "1",
                "３０１",
                "３４００１０００01",
                "陈晓梅",
                "139 5520 0001",
                "TA1",
            ],
        ],
    )

    run(path)

    home = Household.objects.get(account_no="3400100001")
    assert (home.room, home.phone) == ("301", "13955200001")


def test_second_run_changes_nothing_and_a_changed_row_is_updated(
    city: City, tmp_path: Path
) -> None:
    rows = [
        HOUSEHOLD_HEADERS,
        household(),
        household(户号="3400100002", 房号="302", 电表号="E3400100002"),
    ]
    path = write_csv(tmp_path / "households.csv", rows)
    run(path)
    before = grid_rows()

    output = run(path)

    assert grid_rows() == before
    assert "buildings: 0 created, 0 updated, 1 unchanged" in output
    assert "households: 0 created, 0 updated, 2 unchanged" in output
    assert "meters: 0 created, 0 updated, 2 unchanged" in output

    rows[2] = household(
        户号="3400100002", 房号="302", 电表号="E3400100002", 电话="13955209999", 倍率="1.5"
    )
    output = run(write_csv(path, rows))

    assert "households: 0 created, 1 updated, 1 unchanged" in output
    assert "meters: 0 created, 1 updated, 1 unchanged" in output
    assert Household.objects.get(account_no="3400100002").phone == "13955209999"
    assert Meter.objects.get(meter_no="E3400100002").multiplier == Decimal("1.5")


def test_existing_households_swap_rooms_and_get_new_meters(city: City, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "households.csv",
        [
            HOUSEHOLD_HEADERS,
            household(楼栋="1号楼", 房号="102", 户号="3400000001", 电表号="M3400000002"),
            household(楼栋="1号楼", 房号="101", 户号="3400000002", 电表号="NEW-0002"),
            # From 南苑小区 into a new building of 北苑小区, keeping its meter.
            household(楼栋="3号楼", 房号="101", 户号="3400000003", 电表号="M3400000003"),
        ],
    )

    output = run(path)

    assert "households: 0 created, 3 updated, 0 unchanged" in output
    assert "meters: 1 created, 1 updated, 1 unchanged" in output
    assert "meters detached from their previous household: 2" in output
    moved = Household.objects.select_related("building__compound").get(account_no="3400000003")
    assert (moved.building.compound, moved.building.name) == (city.north, "3号楼")
    assert moved.meter.meter_no == "M3400000003"
    city.north_home.refresh_from_db()
    city.north_home_2.refresh_from_db()
    assert (city.north_home.room, city.north_home_2.room) == ("102", "101")
    assert city.north_home.meter.meter_no == "M3400000002"
    assert city.north_home_2.meter.meter_no == "NEW-0002"
    old = Meter.objects.get(meter_no="M3400000001")
    assert old.household is None


def test_compounds_sheet_updates_a_compound_and_blank_cells_keep_values(
    city: City, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "grid.xlsx",
        {"compounds": [COMPOUND_HEADERS, ["NORTH", "北苑小区一期", "CM2", "涂山路102号", "", ""]]},
    )

    output = run(path)

    assert "compounds: 0 created, 1 updated, 0 unchanged" in output
    city.north.refresh_from_db()
    assert (city.north.name, city.north.address) == ("北苑小区一期", "涂山路102号")
    assert city.north.community == city.other_community
    assert city.north.property_company is not None
    assert city.north.property_company.name == "皖投物业"


def test_households_of_a_bad_compound_row_are_not_reported_twice(
    city: City, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "grid.xlsx",
        {
            "小区": [COMPOUND_HEADERS, ["XINHE", "新河苑", "CM1", "", "", ""]],
            "住户": [HOUSEHOLD_HEADERS, household(小区编码="XINHE")],
        },
    )

    report = run_failing(path)

    assert "小区, row 2, column “地址”: This value is required." in report
    assert "住户" not in report


def test_dry_run_validates_and_writes_nothing(city: City, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "households.csv", [HOUSEHOLD_HEADERS, household()])
    before = grid_rows()

    output = run(path, "--dry-run")

    assert "households: 1 created" in output
    assert "nothing was written" in output
    assert grid_rows() == before


BAD_ROWS = [
    pytest.param(
        {"户号": "3400100001"},
        "户号",
        "Account number 3400100001 also appears in row 2",
        id="duplicate-account",
    ),
    pytest.param({"户号": "12345"}, "户号", "10 to 16 digits", id="short-account"),
    pytest.param({"户号": "34001000A2"}, "户号", "10 to 16 digits", id="letters-in-account"),
    pytest.param({"小区编码": "NOPE"}, "小区编码", "Unknown compound NOPE", id="unknown-compound"),
    pytest.param(
        {"台区编码": "TA9"}, "台区编码", "Unknown station area TA9", id="unknown-station-area"
    ),
    pytest.param({"电话": "12345"}, "电话", "mainland mobile number", id="bad-phone"),
    pytest.param({"户名": ""}, "户名", "This value is required", id="missing-holder"),
    pytest.param({"房号": ""}, "房号", "This value is required", id="missing-room"),
    pytest.param({"倍率": "-2"}, "倍率", "positive number", id="negative-multiplier"),
    pytest.param({"倍率": "abc"}, "倍率", "positive number", id="text-multiplier"),
    pytest.param(
        {"电表号": "E3400100001"},
        "电表号",
        "also given to account 3400100001 in row 2",
        id="meter-twice-in-file",
    ),
    pytest.param(
        {"电表号": "M3400000003"},
        "电表号",
        "belongs to household 3400000003",
        id="meter-of-another-household",
    ),
    pytest.param({"电表号": "SUPPLY-TA1"}, "电表号", "supply meter", id="supply-meter"),
    pytest.param(
        {"房号": "301"},
        "房号",
        "also given to account 3400100001 in row 2",
        id="room-twice-in-file",
    ),
    pytest.param(
        {"楼栋": "1号楼", "房号": "101"},
        "房号",
        "already held by account 3400000001",
        id="room-taken-in-database",
    ),
    pytest.param({"户名": "王" * 65}, "户名", "at most 64 characters", id="name-too-long"),
]


@pytest.mark.parametrize(("bad", "column", "message"), BAD_ROWS)
def test_a_bad_row_is_reported_with_row_and_column_and_nothing_is_written(
    city: City, tmp_path: Path, bad: dict[str, str], column: str, message: str
) -> None:
    second = {"户号": "3400100002", "房号": "302", "电表号": "E3400100002", **bad}
    path = write_csv(
        tmp_path / "households.csv",
        [
            HOUSEHOLD_HEADERS,
            household(),
            household(**second),
            household(户号="3400100003", 房号="303", 电表号="E3400100003"),
        ],
    )
    before = grid_rows()

    report = run_failing(path)

    assert f"households.csv, row 3, column “{column}”: " in report
    assert message in report
    assert "row 2," not in report
    assert "row 4," not in report
    assert grid_rows() == before


def test_every_bad_row_is_reported_at_once(city: City, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "households.csv",
        [
            HOUSEHOLD_HEADERS,
            household(电话="110"),
            household(户号="3400100002", 房号="302", 小区编码="NOPE", 电表号="E2", 倍率="0"),
            household(户号="34001", 房号="303", 台区编码="", 电表号="E3", 户名=""),
            household(户号="3400100002", 房号="304", 电表号="E" * 33),
        ],
    )
    before = grid_rows()

    report = run_failing(path)

    assert report.splitlines() == [
        "households.csv, row 2, column “电话”: Enter a mainland mobile number (11 digits) or a "
        "landline such as 0552-1234567.",
        "households.csv, row 3, column “小区编码”: Unknown compound NOPE: create it first or add "
        "it to the compounds sheet.",
        "households.csv, row 3, column “倍率”: The multiplier must be a positive number.",
        "households.csv, row 4, column “户名”: This value is required.",
        "households.csv, row 4, column “台区编码”: This value is required.",
        "households.csv, row 4, column “户号”: An account number is 10 to 16 digits.",
        "households.csv, row 5, column “户号”: Account number 3400100002 also appears in row 3 "
        "of households.csv.",
        "households.csv, row 5, column “电表号”: Ensure this value has at most 32 characters (it "
        "has 33).",
    ]
    assert grid_rows() == before


def test_compounds_sheet_errors_name_their_sheet(city: City, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "grid.xlsx",
        {
            "小区": [
                COMPOUND_HEADERS,
                ["XINHE", "新河苑", "CM9", "新河路8号", "", ""],
                ["XINHE", "新河苑二期", "CM1", "新河路9号", "", ""],
                ["bad code!", "坏编码", "CM1", "新河路10号", "", "12"],
            ],
            "住户": [HOUSEHOLD_HEADERS, household(小区编码="XINHE")],
        },
    )
    before = grid_rows()

    report = run_failing(path)

    assert "小区, row 2, column “社区编码”: Unknown community CM9." in report
    assert "小区, row 3, column “小区编码”: Compound XINHE also appears in row 2 of 小区." in report
    assert "小区, row 4, column “小区编码”: Use letters, digits" in report
    assert "小区, row 4, column “物业电话”" in report
    assert "住户" not in report  # the household refers to a compound of the file: no cascade
    assert grid_rows() == before


def test_numbers_excel_has_rounded_are_refused(city: City, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "grid.xlsx",
        {"住户": [HOUSEHOLD_HEADERS, household(户号=3400100000000001)]},
    )

    report = run_failing(path)

    assert "住户, row 2, column “户号”: Excel has rounded this number" in report


def test_report_follows_the_language(city: City, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "households.csv", [HOUSEHOLD_HEADERS, household(户名="王" * 65)])

    english = run_failing(path, language="en")
    chinese = run_failing(path, language="zh-hans")
    default = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_grid", str(path), stdout=io.StringIO(), stderr=default)

    assert "Ensure this value has at most 64 characters" in english
    assert "不超过 64 字符" in chinese
    assert "Ensure this value" not in chinese
    assert default.getvalue() == chinese


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("grid.xls", b"\xd0\xcf\x11\xe0", "Unsupported file type “.xls”"),
        ("grid.xlsx", b"not a zip file", "not a readable .xlsx workbook"),
        ("households.csv", b"\xff\xfe\xff\xff", "neither UTF-8 nor GB18030"),
        ("households.csv", b"", "no data rows"),
        ("households.csv", ("\ufeff" + ",".join(HOUSEHOLD_HEADERS)).encode(), "no data rows"),
    ],
)
def test_unreadable_files_are_refused(
    city: City, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    report = run_failing(path)

    assert f"{name}: " in report
    assert message in report


def test_missing_file_is_refused_with_a_failing_exit(db: None, tmp_path: Path) -> None:
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 error; nothing was written\.$"):
        call_command("import_grid", str(tmp_path / "nowhere.csv"), "--language", "en", stderr=err)

    assert err.getvalue().startswith("nowhere.csv: File not found: ")


def test_missing_required_headers_are_named(city: City, tmp_path: Path) -> None:
    headers = [h for h in HOUSEHOLD_HEADERS if h not in ("户号", "台区编码")]
    path = write_csv(tmp_path / "households.csv", [headers, ["NORTH"] + [""] * 8])

    report = run_failing(path)

    assert "households.csv, row 1, column “户号 / account_no”: " in report
    assert "The required column “台区编码 / station_area_code” is missing." in report


def test_workbook_without_known_sheets_is_refused(city: City, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "grid.xlsx", {"Sheet1": [["hello", "world"], [1, 2]]})

    assert "no sheet of compounds" in run_failing(path)


def test_unknown_columns_are_ignored_with_a_warning(city: City, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "households.csv",
        [[*HOUSEHOLD_HEADERS, "备注"], [*household(), "老人独居"]],
    )

    output = run(path)

    assert "households.csv, row 1, column “备注”: Unknown column, ignored." in output
    assert Household.objects.filter(account_no="3400100001").exists()


def test_template_is_an_importable_empty_workbook(city: City, tmp_path: Path) -> None:
    zh_path, en_path = tmp_path / "模板.xlsx", tmp_path / "template.xlsx"
    call_command("import_grid", "--template", str(zh_path), stdout=io.StringIO())
    call_command(
        "import_grid", "--template", str(en_path), "--language", "en", stdout=io.StringIO()
    )

    chinese = load_workbook(zh_path)
    assert chinese.sheetnames == ["说明", "小区", "住户"]
    assert [c.value for c in chinese["住户"][1]] == HOUSEHOLD_HEADERS
    assert [c.value for c in chinese["小区"][1]] == COMPOUND_HEADERS
    assert "no data rows" in run_failing(zh_path)

    english = load_workbook(en_path)
    assert english.sheetnames == ["instructions", "compounds", "households"]
    english["compounds"].append(["XINHE", "新河苑", "CM1", "新河路8号", "", ""])
    english["households"].append(household(小区编码="XINHE"))
    english.save(en_path)

    output = run(en_path)

    assert "households: 1 created" in output
    assert Household.objects.get(account_no="3400100001").building.compound.code == "XINHE"


def test_building_codes_stay_unique_when_names_look_alike(city: City, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "households.csv",
        [
            HOUSEHOLD_HEADERS,
            household(楼栋="1栋", 电表号=""),  # "1" is taken by 1号楼 (NORTH-1)
            household(楼栋="东区1号", 户号="3400100002", 电表号=""),
            household(楼栋="综合楼", 户号="3400100003", 电表号=""),
        ],
    )

    run(path)

    codes = set(Building.objects.filter(compound=city.north).values_list("code", flat=True))
    assert len(codes) == 4
    assert all(code.startswith("NORTH-") and len(code) <= 32 for code in codes)


def test_sample_files_import_cleanly(city: City) -> None:
    """The samples in docs/ use the demo city's codes (`wudian seed_demo`)."""
    community = Community.objects.create(street=city.street, code="BS-CHAOYANG", name="朝阳社区")
    Compound.objects.create(
        community=community, code="jinxiu-huating", name="锦绣华庭", address="蚌山区朝阳路366号"
    )
    for code in ("TQ-JXHT-1", "TQ-JXHT-2"):
        StationArea.objects.create(feeder=city.station_area.feeder, code=code, name=code)

    for sample in sorted(SAMPLES.iterdir()):
        report = grid_import(path=sample, dry_run=True)
        assert report.ok, [str(e) for e in report.errors]
        assert not report.warnings
    assert grid_import(path=SAMPLES / "grid-sample.xlsx").written
    assert grid_import(path=SAMPLES / "households.csv").written
    assert Household.objects.filter(account_no__startswith="340099").count() == 8


def test_many_rows_import_with_a_bounded_number_of_queries(
    city: City, tmp_path: Path, django_assert_max_num_queries: Any
) -> None:
    rows = [HOUSEHOLD_HEADERS] + [
        household(
            楼栋=f"{n // 100 + 2}号楼",
            单元=str(n // 20 % 5 + 1),
            房号=str(n % 20 + 101),
            户号=f"34002{n:05d}",
            电话=f"139{n:08d}",
            电表号=f"E{n:06d}",
        )
        for n in range(2000)
    ]
    path = write_csv(tmp_path / "households.csv", rows)

    with django_assert_max_num_queries(60):
        report = grid_import(path=path)
    assert report.written
    assert report.households.created == 2000
    assert report.buildings.created == 20

    for row in rows[1:]:
        row[HOUSEHOLD_HEADERS.index("户名")] = "李四"
    with django_assert_max_num_queries(60):
        report = grid_import(path=write_csv(path, rows))
    assert report.households.updated == 2000
    assert Household.objects.filter(holder_name="李四").count() == 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give the file to import"),
        (["--template", "out.csv"], "give a path ending .xlsx"),
        (["households.csv", "--language", "fr"], "Unknown language 'fr'"),
    ],
)
def test_command_refuses_bad_arguments(db: None, args: list[str], message: str) -> None:
    language = [] if "--language" in args else ["--language", "en"]
    with pytest.raises(CommandError, match=message):
        call_command("import_grid", *args, *language)
