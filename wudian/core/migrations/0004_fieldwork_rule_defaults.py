from decimal import Decimal

from django.db import migrations

# The field work's rules (certificate reminders, patrol planning, defect deadlines), a row
# each at the default of their day, as 0003 did for the first rules.
DEFAULTS = {
    "certificate.remind_first_days": Decimal(60),
    "certificate.remind_second_days": Decimal(30),
    "patrol.plan_months_ahead": Decimal(3),
    "defect.critical_hours": Decimal(24),
    "defect.serious_days": Decimal(7),
    "defect.normal_days": Decimal(30),
    "defect.escalate_after_hours": Decimal(24),
}


def seed_rules(apps, schema_editor):
    ServiceRule = apps.get_model("core", "ServiceRule")
    for key, value in DEFAULTS.items():
        ServiceRule.objects.get_or_create(key=key, defaults={"value": value})


class Migration(migrations.Migration):
    dependencies = [("core", "0003_service_rule_defaults")]
    operations = [migrations.RunPython(seed_rules, migrations.RunPython.noop)]
