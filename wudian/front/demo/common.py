"""What every part of the demo city uses: the district it lies in, the shapes of a home and a
login, the tally of what a run created, and the small helpers that read the data tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from django.db import models
from django.utils.functional import Promise

from wudian.accounts.models import RoleCode

CITY = "蚌埠市"
DISTRICT_CODE = "BS"
DISTRICT_NAME = "蚌山区"
BATCH = 500


@dataclass(frozen=True)
class Home:
    compound: str
    building: int
    unit: int
    floor: int
    position: int


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    title: str
    phone: str
    roles: tuple[RoleCode, ...]
    hint: Promise
    superuser: bool = False
    department: str | None = None
    home: Home | None = None


@dataclass
class DemoSummary:
    # What was created, by model class name (the command prints their verbose names).
    created: Counter[str] = field(default_factory=Counter)
    totals: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)


def table(text: str) -> list[list[str]]:
    """The rows of a data table written one row a line, columns separated by "|"."""
    return [
        [cell.strip() for cell in line.split("|")]
        for line in text.strip().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def words(text: str) -> list[str]:
    return text.split()


M = TypeVar("M", bound=models.Model)


def batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def get_or_create_counted(
    summary: DemoSummary, model: type[M], defaults: dict[str, object], **key: object
) -> M:
    row, created = model._default_manager.get_or_create(defaults=defaults, **key)
    if created:
        summary.created[model.__name__] += 1
    return row
