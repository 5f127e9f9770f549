"""fieldwork's API: defects."""

from ninja import Router

router = Router(tags=["fieldwork"])
