"""Checklists in the admin: a draft's items are edited inline, a published version is frozen,
and "publish" and "new draft from this version" are actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from wudian.conftest import City
from wudian.fieldwork.models import ChecklistItem, ChecklistVersion
from wudian.fieldwork.selectors.patrols import latest_published_version
from wudian.fieldwork.services.patrols import checklist_default

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:fieldwork_checklistversion_changelist"


def items_form(version: ChecklistVersion, **changes: str) -> dict[str, Any]:
    items = list(version.items.order_by("position"))
    data: dict[str, Any] = {
        "note": version.note,
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        data |= {
            f"items-{index}-id": str(item.pk),
            f"items-{index}-version": str(version.pk),
            f"items-{index}-position": str(item.position),
            f"items-{index}-area": item.area,
            f"items-{index}-text": item.text,
            f"items-{index}-guidance": item.guidance,
        }
    data |= changes
    return data


def test_a_published_version_is_frozen_and_a_draft_is_edited(login: Any, city: City) -> None:
    client = login(city.admin)
    checklist_default()
    published = latest_published_version()
    assert published is not None
    change = reverse("admin:fieldwork_checklistversion_change", args=[published.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="items-0-text"' not in page.text
    assert client.get(reverse("admin:fieldwork_checklist_changelist")).status_code == 200

    client.post(reverse(CHANGELIST), {"action": "new_draft", "_selected_action": [published.pk]})
    draft = ChecklistVersion.objects.get(published_at__isnull=True)
    assert draft.items.count() == published.items.count()
    draft_change = reverse("admin:fieldwork_checklistversion_change", args=[draft.pk])
    assert 'name="items-0-text"' in client.get(draft_change).text
    response = client.post(draft_change, items_form(draft, **{"items-0-text": "配电室门锁完好"}))
    assert response.status_code == 302
    assert draft.items.get(position=1).text == "配电室门锁完好"

    client.post(reverse(CHANGELIST), {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert latest_published_version() == draft
    # Published meanwhile: the items the page sends are not taken.
    client.post(draft_change, items_form(draft, **{"items-0-text": "改了"}))
    assert ChecklistItem.objects.filter(text="改了").count() == 0
    assert draft.items.get(position=1).text == "配电室门锁完好"
