from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from wudian.core import security  # noqa: F401  registers the deploy check on the contact


class CoreConfig(AppConfig):
    name = "wudian.core"
    label = "core"
    verbose_name = _("Core")
