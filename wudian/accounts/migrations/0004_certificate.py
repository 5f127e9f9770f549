# Certificates move from fieldwork to accounts: a person's qualification, which grid and
# workorders read below fieldwork. The rows stay; the table is renamed, and the content type
# moves so that permissions and admin log entries follow the model.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to(app_label, other):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        if not ContentType.objects.filter(app_label=app_label, model="certificate").exists():
            ContentType.objects.filter(app_label=other, model="certificate").update(
                app_label=app_label
            )

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_role_catalogue"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("fieldwork", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Certificate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("low_voltage", "Low-voltage electrician operation certificate")], default="low_voltage", max_length=20, verbose_name="kind")),
                        ("number", models.CharField(max_length=40, unique=True, verbose_name="certificate number")),
                        ("issuer", models.CharField(blank=True, max_length=100, verbose_name="issued by")),
                        ("issued_on", models.DateField(verbose_name="issued on")),
                        ("expires_on", models.DateField(verbose_name="expires on")),
                        ("holder", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="certificates", to=settings.AUTH_USER_MODEL, verbose_name="holder")),
                    ],
                    options={
                        "verbose_name": "certificate",
                        "verbose_name_plural": "certificates",
                        "ordering": ["holder", "-expires_on"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("expires_on__gt", models.F("issued_on"))), name="certificate_expires_after_issue")],
                        "db_table": "fieldwork_certificate",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="certificate", table=None),
        migrations.RunPython(
            content_type_to("accounts", "fieldwork"), content_type_to("fieldwork", "accounts")
        ),
    ]
