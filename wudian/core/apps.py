from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from wudian.core import (  # noqa: F401  register their system checks
    health,
    security,
)


class CoreConfig(AppConfig):
    name = "wudian.core"
    label = "core"
    verbose_name = _("Core")
