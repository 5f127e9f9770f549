"""fieldwork over the API: one router made of its parts' routers."""

from ninja import Router

from wudian.fieldwork.api import defects, patrols, training

router = Router()
router.add_router("", training.router)
router.add_router("", patrols.router)
router.add_router("", defects.router)
