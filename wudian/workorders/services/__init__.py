"""Writes of resident requests, one function per business action: filing a request (intake,
with routing and its service clocks) and every step of its life — in hand (steps), passed on
(handover), closing the loop (closing) — and the clocks' sweep. Every step locks the request,
checks the policy (wudian.workorders.policy), records a WorkOrderEvent and writes its
notifications to the outbox, in one transaction (recording).

The modules depend one way: clocks (pure) and routing ← recording ← intake, steps, handover,
closing ← sweep, and usage (a metering dispute's analysis and its meter test). Other apps and
the pages call the names below."""

from wudian.workorders.services.closing import (
    MAX_RATING_COMMENT,
    workorder_cancel,
    workorder_confirm,
    workorder_rate,
    workorder_reopen,
)
from wudian.workorders.services.handover import (
    workorder_escalate,
    workorder_transfer,
    workorders_transfer,
)
from wudian.workorders.services.intake import (
    MAX_DESCRIPTION,
    Location,
    category_for_intake,
    request_from_circle_message,
    workorder_create,
)
from wudian.workorders.services.recording import MAX_NOTE, MAX_PHOTOS
from wudian.workorders.services.routing import certified_electricians, risk_topics, route
from wudian.workorders.services.steps import (
    workorder_accept,
    workorder_add_photos,
    workorder_arrive,
    workorder_comment,
    workorder_resolve,
    workorder_resume,
    workorder_wait,
)
from wudian.workorders.services.sweep import (
    workorders_check_clocks,
    workorders_hand_back_lapsed,
    workorders_retry_clocks,
)
from wudian.workorders.services.usage import (
    answer_working_days,
    metering_centre_of,
    workorder_attach_usage,
    workorder_request_meter_test,
)

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_NOTE",
    "MAX_PHOTOS",
    "MAX_RATING_COMMENT",
    "Location",
    "answer_working_days",
    "category_for_intake",
    "certified_electricians",
    "metering_centre_of",
    "request_from_circle_message",
    "risk_topics",
    "route",
    "workorder_accept",
    "workorder_add_photos",
    "workorder_arrive",
    "workorder_attach_usage",
    "workorder_cancel",
    "workorder_comment",
    "workorder_confirm",
    "workorder_create",
    "workorder_escalate",
    "workorder_rate",
    "workorder_reopen",
    "workorder_request_meter_test",
    "workorder_resolve",
    "workorder_resume",
    "workorder_transfer",
    "workorder_wait",
    "workorders_check_clocks",
    "workorders_hand_back_lapsed",
    "workorders_retry_clocks",
    "workorders_transfer",
]
