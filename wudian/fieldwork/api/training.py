"""fieldwork's API: training."""

from ninja import Router

router = Router(tags=["fieldwork"])
