from decimal import Decimal

from django.db import migrations

# The friendly reminders' rule: a household 30 days overdue is close to disconnection (supply
# may stop only after that and reminders), a row at the default of its day as 0003 did.
DEFAULTS = {"arrears.overdue_days": Decimal(30)}


def seed_rules(apps, schema_editor):
    ServiceRule = apps.get_model("core", "ServiceRule")
    for key, value in DEFAULTS.items():
        ServiceRule.objects.get_or_create(key=key, defaults={"value": value})


class Migration(migrations.Migration):
    dependencies = [("core", "0004_fieldwork_rule_defaults")]
    operations = [migrations.RunPython(seed_rules, migrations.RunPython.noop)]
