"""billing over the API: one router made of its parts' routers (a module per part)."""

from ninja import Router

router = Router()
