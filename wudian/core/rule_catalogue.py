"""The service rules with numbers (DOMAIN.md): each rule's key, default, unit, label and
source. An administrator may change a rule's value (core.ServiceRule); code reads the value
through wudian.core.rules.rule_value()."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Rule:
    key: str
    default: Decimal
    unit: Promise
    label: Promise
    source: str


RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in [
        Rule(
            "outage.planned.notice_days",
            Decimal(7),
            _("days"),
            _("Planned maintenance outage: notice at least"),
            "电力供应与使用条例 第二十八条",
        ),
        Rule(
            "outage.temporary.notice_hours",
            Decimal(24),
            _("hours"),
            _("Temporary maintenance outage: notice at least"),
            "电力供应与使用条例 第二十八条",
        ),
        Rule(
            "outage.arrears.notice_days",
            Decimal(7),
            _("days"),
            _("Arrears disconnection: notice at least"),
            "电力供应与使用条例 第三十九条",
        ),
        Rule(
            "arrears.overdue_days",
            Decimal(30),
            _("days"),
            _("Arrears: supply may stop only after this many days overdue and reminders"),
            "电力供应与使用条例 第三十九条",
        ),
        Rule(
            "repair.arrival.city_minutes",
            Decimal(45),
            _("minutes"),
            _("Repair arrival in the city (average)"),
            "国家电网供电服务承诺",
        ),
        Rule(
            "repair.restoration.city_hours",
            Decimal(3),
            _("hours"),
            _("Restoration after arrival in the city (average)"),
            "国家电网供电服务承诺",
        ),
        Rule(
            "workorder.priority_percent",
            Decimal(50),
            _("percent"),
            _("Special-group requests: clocks shortened to"),
            "",
        ),
        Rule(
            "workorder.warn_remaining_percent",
            Decimal(20),
            _("percent"),
            _("Warn the owner when this share of a deadline remains"),
            "",
        ),
        Rule(
            "workorder.autoclose_days",
            Decimal(7),
            _("days"),
            _("Resolved requests the resident has not confirmed close after"),
            "",
        ),
        Rule(
            "notify.quiet_start_hour",
            Decimal(22),
            _("o'clock"),
            _("Quiet hours start (no non-urgent messages)"),
            "",
        ),
        Rule("notify.quiet_end_hour", Decimal(7), _("o'clock"), _("Quiet hours end"), ""),
        Rule(
            "lineloss.meter_failure_days",
            Decimal(3),
            _("days"),
            _("A meter not collected on this many days in a row opens a check request (0: never)"),
            "",
        ),
        Rule(
            "certificate.remind_first_days",
            Decimal(60),
            _("days"),
            _("Certificate expiry: first reminder to the electrician and the property company"),
            "",
        ),
        Rule(
            "certificate.remind_second_days",
            Decimal(30),
            _("days"),
            _("Certificate expiry: second reminder"),
            "",
        ),
        Rule(
            "patrol.plan_months_ahead",
            Decimal(3),
            _("months"),
            _("Monthly joint patrols are planned this many months ahead"),
            "",
        ),
        Rule(
            "defect.critical_hours",
            Decimal(24),
            _("hours"),
            _("Critical defect (危急): fixed within"),
            "",
        ),
        Rule(
            "defect.serious_days",
            Decimal(7),
            _("days"),
            _("Serious defect (严重): fixed within"),
            "",
        ),
        Rule(
            "defect.normal_days",
            Decimal(30),
            _("days"),
            _("Normal defect (一般): fixed within"),
            "",
        ),
        Rule(
            "defect.escalate_after_hours",
            Decimal(24),
            _("hours"),
            _("An overdue defect escalates again (customer manager → supervisor) after"),
            "",
        ),
    ]
}
