"""The defect lists' order (deadline, id) with what their scope and status filters read, so a
page's ids come from the index alone (docs/benchmarks.md, "Defects")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fieldwork", "0003_patrols_defects_training"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="defect",
            index=models.Index(
                fields=["deadline", "id", "compound", "status"], name="defect_deadline"
            ),
        ),
    ]
