"""The demo city's defects (消缺) in manager1's compounds, made once through the services staff
use: a critical one found this morning, a serious one overdue and escalated to the customer
manager and on to the supervisors, one fixed and awaiting the customer manager's check, two
closed with their before and after photos, one opened from resident1's hazard report and one
from a station area's line-loss alarm."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from PIL import Image, ImageDraw

from wudian.accounts.models import User
from wudian.core.photos import PhotoUpload, photo_from_bytes
from wudian.fieldwork.models import Defect, Severity
from wudian.fieldwork.services.defects import (
    defect_check,
    defect_fix,
    defect_open,
    defects_escalate,
)
from wudian.front.demo.common import DemoSummary
from wudian.grid import scope
from wudian.grid.models import Compound, StationArea
from wudian.workorders.models import Category, Channel
from wudian.workorders.services import workorder_create

# The first defect's words: when it exists, the demo's defects were made.
MARK = "地下配电室进水，低压柜下方积水约5厘米"
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _photo(colour: str, *, fixed: bool) -> PhotoUpload:
    """A small drawn photo: a cabinet, with a cross (as found) or a tick (fixed)."""
    image = Image.new("RGB", (320, 240), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 40, 220, 200), outline="#334155", width=6)
    if fixed:
        draw.line((120, 130, 150, 165, 205, 90), fill="#16a34a", width=10)
    else:
        draw.line((125, 75, 195, 165), fill="#dc2626", width=10)
        draw.line((195, 75, 125, 165), fill="#dc2626", width=10)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return photo_from_bytes(out.getvalue(), name="defect.png")


def defects_seed(summary: DemoSummary) -> None:
    """Create the demo's defects, unless they exist."""
    if Defect.objects.filter(description=MARK).exists():
        return
    users = User.objects.in_bulk(
        ["manager1", "electrician1", "staff1", "resident1"], field_name="username"
    )
    if len(users) < 4:
        return
    manager, electrician = users["manager1"], users["electrician1"]
    compounds = Compound.objects.in_bulk(
        ["jinxiu-huating", "chaoyang-xincun", "tianqiao-xiaoqu"], field_name="code"
    )
    if len(compounds) < 3:
        return
    jinxiu, chaoyang, tianqiao = (
        compounds["jinxiu-huating"],
        compounds["chaoyang-xincun"],
        compounds["tianqiao-xiaoqu"],
    )
    building = jinxiu.buildings.order_by("code").first()
    now = timezone.now()
    made: list[Defect] = []

    # A critical defect found this morning: the customer manager and the electrician told.
    made.append(
        defect_open(
            compound=jinxiu,
            building=building,
            location="地下一层配电室",
            description=MARK,
            severity=Severity.CRITICAL,
            responsible=Defect.Responsible.PROPERTY,
            by=electrician,
            source=Defect.Source.STAFF,
            photos=[_photo("#bfdbfe", fixed=False)],
            now=now - 3 * HOUR,
        )
    )
    # A serious one overdue: escalated to manager1, then to the supervisors.
    overdue = defect_open(
        compound=chaoyang,
        location="5号楼单元门口",
        description="单元总表箱箱门脱落，表计裸露",
        severity=Severity.SERIOUS,
        responsible=Defect.Responsible.PROPERTY,
        by=manager,
        source=Defect.Source.PATROL,
        photos=[_photo("#fde68a", fixed=False)],
        now=now - 9 * DAY,
    )
    made.append(overdue)
    defects_escalate(now=overdue.deadline + HOUR)
    defects_escalate(now=overdue.deadline + 26 * HOUR)
    # Fixed by electrician1, awaiting manager1's check.
    waiting = defect_open(
        compound=jinxiu,
        building=building,
        location="2单元楼道",
        description="楼道照明线路接头裸露，未做绝缘包扎",
        severity=Severity.NORMAL,
        responsible=Defect.Responsible.PROPERTY,
        by=manager,
        source=Defect.Source.PATROL,
        photos=[_photo("#e9d5ff", fixed=False)],
        now=now - 4 * DAY,
    )
    made.append(
        defect_fix(
            defect=waiting,
            by=electrician,
            note="已重新压接并用绝缘胶带包扎",
            photos=[_photo("#e9d5ff", fixed=True)],
            now=now - 5 * HOUR,
        )
    )
    # Closed: a property defect checked by manager1, a utility one checked by staff1.
    closed = defect_open(
        compound=tianqiao,
        location="小区东门充电车棚",
        description="充电车棚插座面板破损",
        severity=Severity.SERIOUS,
        responsible=Defect.Responsible.PROPERTY,
        by=manager,
        source=Defect.Source.PATROL,
        photos=[_photo("#fecaca", fixed=False)],
        now=now - 20 * DAY,
    )
    closed = defect_fix(
        defect=closed,
        by=electrician,
        note="更换插座面板",
        photos=[_photo("#fecaca", fixed=True)],
        now=now - 17 * DAY,
    )
    made.append(defect_check(defect=closed, by=manager, passed=True, now=now - 16 * DAY))
    utility = defect_open(
        compound=jinxiu,
        building=building,
        location="1单元表箱",
        description="表箱内进线端子发热变色",
        severity=Severity.SERIOUS,
        responsible=Defect.Responsible.UTILITY,
        by=electrician,
        source=Defect.Source.PATROL,
        photos=[_photo("#fed7aa", fixed=False)],
        now=now - 12 * DAY,
    )
    utility = defect_fix(
        defect=utility,
        by=manager,
        note="停电更换进线端子并紧固",
        photos=[_photo("#fed7aa", fixed=True)],
        now=now - 10 * DAY,
    )
    made.append(defect_check(defect=utility, by=users["staff1"], passed=True, now=now - 9 * DAY))
    # From resident1's hazard report.
    home = scope.own_households(users["resident1"]).select_related("building__compound").first()
    if home is not None:
        report = workorder_create(
            category=Category.objects.get(code="hazard"),
            description="楼下绿化带里有一根电缆外皮破损，小孩经常在那里玩，很危险。",
            channel=Channel.WEB,
            by=users["resident1"],
            household=home,
            now=now - 6 * HOUR,
        )
        made.append(
            defect_open(
                compound=home.building.compound,
                building=home.building,
                location="楼下绿化带",
                description=report.description,
                severity=Severity.SERIOUS,
                responsible=Defect.Responsible.UTILITY,
                by=manager,
                source=Defect.Source.HAZARD,
                workorder=report,
                now=now - 5 * HOUR,
            )
        )
    # From a line-loss alarm of a station area of 锦绣华庭.
    area = StationArea.objects.filter(code="TQ-JXHT-1").first()
    if area is not None:
        made.append(
            defect_open(
                compound=jinxiu,
                description="台区线损率连续三天超过10%，疑似表计接线错误或窃电",
                severity=Severity.NORMAL,
                responsible=Defect.Responsible.UTILITY,
                by=manager,
                source=Defect.Source.LINE_LOSS,
                station_area=area,
                now=now - 2 * DAY,
            )
        )
    summary.created["Defect"] += len(made)
