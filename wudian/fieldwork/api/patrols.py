"""fieldwork's API: patrols."""

from ninja import Router

router = Router(tags=["fieldwork"])
