from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client() -> Client:
    """Messages are checked in English; the default language is Chinese."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")
