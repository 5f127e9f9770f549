"""Every compound gets its own circle, with the compound's robots (which heard its outage
notices) as the circle's mirrors."""

from typing import Any

from django.db import migrations


def circles_create(apps: Any, schema_editor: Any) -> None:
    Compound = apps.get_model("grid", "Compound")
    Circle = apps.get_model("circles", "Circle")
    Endpoint = apps.get_model("notify", "CircleEndpoint")
    covered = set(Circle.compounds.through.objects.values_list("compound_id", flat=True))
    for compound in Compound.objects.exclude(pk__in=covered).order_by("pk").iterator():
        circle = Circle.objects.create(name=compound.name)
        circle.compounds.add(compound)
        circle.robots.add(*Endpoint.objects.filter(compound=compound))


class Migration(migrations.Migration):
    dependencies = [
        ("circles", "0001_initial"),
        ("grid", "0002_household_special_group"),
        ("notify", "0004_alter_circleendpoint_compound"),
    ]

    operations = [migrations.RunPython(circles_create, migrations.RunPython.noop)]
