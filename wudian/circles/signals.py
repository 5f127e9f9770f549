"""A new compound gets its circle: every compound has one from the day it is created (the
data migration gave each existing compound its own)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from wudian.circles.services import circle_for_compound
from wudian.grid.models import Compound


@receiver(post_save, sender=Compound, dispatch_uid="circles_compound_circle")
def compound_circle(
    sender: Any, instance: Compound, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        circle_for_compound(instance)
