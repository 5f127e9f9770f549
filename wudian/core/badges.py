"""Status badges: one look for the states of every app. Each app says, next to its enum, which
tone each value takes; the partial core/_badge.html shows a Badge. The text always says the
state too: colour is never the only signal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import models


class Tone(StrEnum):
    OK = "ok"  # done, good
    WARN = "warn"  # needs someone's attention
    INFO = "info"  # in progress
    MUTED = "muted"  # over, or not yet started


@dataclass(frozen=True)
class Badge:
    label: str
    tone: Tone
    value: str = ""


def badge(
    choices: type[models.TextChoices], value: str, tones: Mapping[Any, Tone], *, default: Tone
) -> Badge:
    """The badge of one value of an enum: its label, in its tone."""
    return Badge(label=str(choices(value).label), tone=tones.get(value, default), value=value)
