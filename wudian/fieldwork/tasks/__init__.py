"""Huey finds an app's periodic tasks in its `tasks` module: here, its parts' modules."""

from wudian.fieldwork.tasks import defects, patrols, training

__all__ = ["defects", "patrols", "training"]
