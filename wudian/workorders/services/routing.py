"""Where a new request goes, and which words make it an opinion risk: for behind-the-meter
work a certified electrician of the compound (on the roster that day first, then the least
loaded), for everything else its customer manager."""

from __future__ import annotations

import datetime
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from wudian.accounts.models import User
from wudian.accounts.selectors import valid_certificates
from wudian.grid import scope
from wudian.grid.models import Compound, DutyShift
from wudian.workorders.models import Category, WorkOrder

# Words that make a request an opinion risk (舆情风险) for the supervisor, by topic.
RISK_TERMS: dict[str, tuple[str, ...]] = {
    "outage": ("停电", "断电", "限电", "outage", "blackout"),
    "payment": ("电费", "缴费", "交费", "欠费", "收费", "多扣", "payment", "bill"),
    "handover": ("移交", "接管", "供电改造", "handover"),
    "media": (
        "媒体",
        "记者",
        "曝光",
        "电视台",
        "报社",
        "微博",
        "抖音",
        "12345",
        "12398",
        "media",
        "journalist",
    ),
}


class CompoundStaff:
    """The customer manager and the supervisors of one compound, each read once, when first
    needed."""

    def __init__(self, compound: Compound) -> None:
        self.compound = compound

    @cached_property
    def manager(self) -> User | None:
        return scope.customer_manager_of(self.compound)

    @cached_property
    def supervisor_ids(self) -> list[int]:
        return scope.supervisor_ids_of(self.compound)


def electricians_by_preference(compound: Compound, *, on: datetime.date) -> list[User]:
    """The compound's active electricians with a valid certificate on that day: those on the
    roster that day first, then the least loaded (fewest requests in hand), in one query."""
    in_hand = (
        WorkOrder.objects.filter(assignee=OuterRef("pk"), status__in=WorkOrder.ACTIVE_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        scope.electricians_of(compound)
        .filter(Exists(valid_certificates(on=on).filter(holder=OuterRef("pk"))))
        .annotate(
            on_duty=Exists(
                DutyShift.objects.filter(
                    compound=compound, electrician=OuterRef("pk"), weekday=on.isoweekday()
                )
            ),
            load=Coalesce(Subquery(in_hand), 0),
        )
        .order_by("-on_duty", "load", "pk")
    )


def certified_electricians(compound: Compound, *, on: datetime.date) -> list[int]:
    """The ids of the compound's active electricians with a valid certificate, those on the
    roster that day first, then the least loaded."""
    return [user.pk for user in electricians_by_preference(compound, on=on)]


def routed_to(category: Category, staff: CompoundStaff, *, on: datetime.date) -> User | None:
    if category.routing == Category.Routing.ELECTRICIAN:
        electricians = electricians_by_preference(staff.compound, on=on)
        if electricians:
            return electricians[0]
    return staff.manager


def route(category: Category, compound: Compound, *, on: datetime.date) -> int | None:
    """Whose hands a new request goes to: for behind-the-meter work a certified electrician
    of the compound, else (and for everything else) its customer manager."""
    user = routed_to(category, CompoundStaff(compound), on=on)
    return user.pk if user else None


def risk_topics(text: str, category: Category) -> list[str]:
    lowered = text.lower()
    topics = [topic for topic, terms in RISK_TERMS.items() if any(t in lowered for t in terms)]
    if category.kind == Category.Kind.COMPLAINT:
        topics.insert(0, "complaint")
    return topics


def raise_risk(workorder: WorkOrder, text: str) -> list[str]:
    """Flag the topics a resident's later words add (a threat to call the press); returns
    the fields changed."""
    new = [t for t in risk_topics(text, workorder.category) if t not in workorder.risk_topics]
    if not new:
        return []
    workorder.risk_topics = [*workorder.risk_topics, *new]
    workorder.opinion_risk = True
    return ["risk_topics", "opinion_risk"]
