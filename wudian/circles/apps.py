from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirclesConfig(AppConfig):
    name = "wudian.circles"
    label = "circles"
    verbose_name = _("Circles")

    def ready(self) -> None:
        from wudian.circles import signals  # noqa: F401  (connects the receivers)
