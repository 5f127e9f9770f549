"""billing over the API: one router made of its parts' routers (a module per part)."""

from ninja import Router

from wudian.billing.api import arrears, readings, reminders

router = Router()
router.add_router("", arrears.router)
router.add_router("", readings.router)
router.add_router("", reminders.router)
