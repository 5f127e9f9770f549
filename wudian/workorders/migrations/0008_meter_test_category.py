from django.db import migrations

# A meter test (电能表校验) is raised by the customer manager from a metering dispute and handed
# to the metering centre; residents do not file it themselves. Its result is due within 5
# working days (DOMAIN.md: meter test result / metering complaint answer).
W = "working_days"


def seed(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    after = Category.objects.filter(code="metering_dispute").values_list("order", flat=True).first()
    Category.objects.get_or_create(
        code="meter_test",
        defaults={
            "name": "电能表校验",
            "name_en": "Meter test",
            "kind": "metering",
            "routing": "customer_manager",
            "description": "由计量异议申请，转计量中心现场或实验室校验电能表。",
            "accept_target": 1,
            "accept_unit": W,
            "resolve_target": 5,
            "resolve_unit": W,
            "resident_may_report": False,
            "order": after if after is not None else 0,
        },
    )


def unseed(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    Category.objects.filter(code="meter_test", workorders__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("workorders", "0007_usage_reports")]
    operations = [migrations.RunPython(seed, unseed)]
