"""The defect lists' order (deadline, id) with what their scope and filters read, so a
page's ids come from the index alone, and their counts' columns (docs/benchmarks.md,
"Defects")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fieldwork", "0003_patrols_defects_training"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="defect",
            index=models.Index(
                fields=["compound", "status", "responsible", "severity"],
                name="defect_compound_filters",
            ),
        ),
        migrations.AddIndex(
            model_name="defect",
            index=models.Index(
                fields=["deadline", "id", "compound", "status", "severity", "responsible"],
                name="defect_deadline",
            ),
        ),
    ]
