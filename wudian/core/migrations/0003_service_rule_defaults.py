from django.db import migrations


def seed_rules(apps, schema_editor):
    # Rows for every rule so an administrator sees and edits them all in one list.
    from wudian.core.rules import RULES

    ServiceRule = apps.get_model("core", "ServiceRule")
    for rule in RULES.values():
        ServiceRule.objects.get_or_create(key=rule.key, defaults={"value": rule.default})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_servicerule")]
    operations = [migrations.RunPython(seed_rules, migrations.RunPython.noop)]
