from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "wudian.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from auditlog.signals import pre_log

        from wudian.audit.receivers import skip_plain_households

        pre_log.connect(skip_plain_households, dispatch_uid="audit.skip_plain_households")
