"""Uploaded files are never served as a public folder, in debug mode neither: request photos
only through the view that checks who may see the request, staff portraits through theirs."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import clear_url_caches

import wudian.urls
from wudian.conftest import City, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_urls(settings: Any) -> Iterator[None]:
    """The URLs as a server started with WUDIAN_DEBUG=1 has them."""
    settings.DEBUG = True
    importlib.reload(wudian.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(wudian.urls)
    clear_url_caches()


def test_media_files_are_not_served_in_debug_mode(
    media: Path, debug_urls: None, city: City
) -> None:
    stored = media / "workorders" / "2026" / "photo.png"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(image_bytes())

    assert Client().get("/media/workorders/2026/photo.png").status_code == 404


def test_a_staff_portrait_is_served_through_its_view(media: Path, city: City) -> None:
    city.manager.photo.save("manager.png", ContentFile(image_bytes()), save=True)

    window = Client().get("/c/NORTH/")
    response = Client().get(f"/people/{city.manager.pk}/photo/")

    assert f'src="/people/{city.manager.pk}/photo/"' in window.text
    assert "/media/" not in window.text
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.getvalue() == image_bytes()


@pytest.mark.parametrize("who", ["staff", "outsider"])
def test_no_portrait_no_file(media: Path, city: City, who: str) -> None:
    user = getattr(city, who)
    assert Client().get(f"/people/{user.pk}/photo/").status_code == 404


def test_an_inactive_persons_portrait_is_not_served(media: Path, city: City) -> None:
    city.manager.photo.save("manager.png", ContentFile(image_bytes()), save=False)
    city.manager.is_active = False
    city.manager.save(update_fields=["photo", "is_active"])

    assert Client().get(f"/people/{city.manager.pk}/photo/").status_code == 404
