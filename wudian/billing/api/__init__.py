"""billing over the API: one router made of its parts' routers (a module per part)."""

from ninja import Router

from wudian.billing.api import reminders

router = Router()
router.add_router("", reminders.router)
