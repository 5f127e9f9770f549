"""The station's standing targets, city-wide: an administrator changes them in the admin or
adds narrower ones for a district, community, compound or customer manager."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    # Complaints of the same kind down 50 % year on year.
    "complaints.yoy_change": Decimal("-50"),
    "business.online_rate": Decimal("90"),
    "lineloss.collection_rate": Decimal("99"),
    "lineloss.qualified": Decimal("90"),
    "requests.accept_on_time": Decimal("95"),
    "requests.arrive_on_time": Decimal("95"),
    "requests.resolve_on_time": Decimal("95"),
    "requests.rating_high": Decimal("95"),
    "requests.no_visit": Decimal("90"),
    "outages.notice_on_time": Decimal("100"),
    "outages.reach": Decimal("98"),
    "outages.reliability": Decimal("99.9"),
}


def add(apps, schema_editor):
    Target = apps.get_model("metrics", "Target")
    for metric, value in DEFAULTS.items():
        Target.objects.get_or_create(
            metric=metric,
            district=None,
            community=None,
            compound=None,
            manager=None,
            defaults={"value": value},
        )


def remove(apps, schema_editor):
    apps.get_model("metrics", "Target").objects.filter(
        metric__in=DEFAULTS,
        district=None,
        community=None,
        compound=None,
        manager=None,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
