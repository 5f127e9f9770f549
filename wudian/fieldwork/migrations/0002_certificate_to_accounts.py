# The certificates' table now belongs to accounts (accounts 0004); only the state goes here.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fieldwork", "0001_initial"),
        ("accounts", "0004_certificate"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Certificate")],
            database_operations=[],
        ),
    ]
