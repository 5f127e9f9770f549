from decimal import Decimal

from django.db import migrations

# A row for every rule so an administrator sees and edits them all in one list. The defaults
# are written here, not read from wudian.core.rule_catalogue: a migration seeds the values of
# its day, whatever the code says later.
DEFAULTS = {
    "outage.planned.notice_days": Decimal(7),
    "outage.temporary.notice_hours": Decimal(24),
    "outage.arrears.notice_days": Decimal(7),
    "repair.arrival.city_minutes": Decimal(45),
    "repair.restoration.city_hours": Decimal(3),
    "workorder.priority_percent": Decimal(50),
    "workorder.warn_remaining_percent": Decimal(20),
    "workorder.autoclose_days": Decimal(7),
    "notify.quiet_start_hour": Decimal(22),
    "notify.quiet_end_hour": Decimal(7),
    "lineloss.meter_failure_days": Decimal(3),
}


def seed_rules(apps, schema_editor):
    ServiceRule = apps.get_model("core", "ServiceRule")
    for key, value in DEFAULTS.items():
        ServiceRule.objects.get_or_create(key=key, defaults={"value": value})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_servicerule")]
    operations = [migrations.RunPython(seed_rules, migrations.RunPython.noop)]
