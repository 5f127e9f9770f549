"""A patrol on a phone in a real Chromium: the answers are kept on the phone while the signal
drops, and sent once when it returns (no Content-Security-Policy violation)."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.conftest import PHONE, City, image_bytes, log_in, screenshot
from wudian.fieldwork.models import ChecklistItem, Defect, DefectPhoto, Patrol, PatrolAnswer
from wudian.fieldwork.tests.patrol_helpers import started

pytestmark = pytest.mark.browser


def test_a_patrol_sent_without_signal_is_kept_and_sent_once_it_returns(
    live_server: Any, world: City, browser: Any
) -> None:
    patrol = started(world)
    items = list(
        ChecklistItem.objects.filter(version=patrol.checklist_version).order_by("position")
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.electrician.username)
    page.goto(f"{live_server.url}/patrols/{patrol.pk}/")
    first = items[0]
    # The finding's fields show once "finding" is ticked.
    page.wait_for_selector(f"#item-{first.pk} [data-finding]", state="hidden")
    page.check(f"input[name=result-{first.pk}][value=finding]")
    page.fill(f"textarea[name=note-{first.pk}]", "配电室挡板缺失")
    page.select_option(f"select[name=severity-{first.pk}]", "serious")
    page.select_option(f"select[name=responsible-{first.pk}]", "utility")
    page.set_input_files(
        f"input[name=photos-{first.pk}]",
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": image_bytes()}],
    )
    for item in items[1:]:
        page.check(f"input[name=result-{item.pk}][value=ok]")
    page.wait_for_selector("#draft-status:has-text('已保存在本手机上')")
    screenshot(page, "patrol-phone-draft")

    context.set_offline(True)
    page.click("#send-patrol")
    page.wait_for_selector("#draft-status:has-text('没有信号')")
    screenshot(page, "patrol-phone-offline")
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.IN_PROGRESS
    assert not PatrolAnswer.objects.filter(patrol=patrol).exists()

    context.set_offline(False)
    page.wait_for_selector("#patrol-status [data-status=signed]", timeout=15000)
    screenshot(page, "patrol-phone-sent")
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SIGNED
    assert PatrolAnswer.objects.filter(patrol=patrol).count() == len(items)
    defect = Defect.objects.get(patrol=patrol)
    assert defect.severity == "serious"
    assert DefectPhoto.objects.filter(defect=defect).count() == 1
    context.close()
