# The scanned copy of a certificate (issue 16): an image checked like photos.

from django.db import migrations, models

import wudian.accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_certificate"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="scan",
            field=models.ImageField(
                blank=True,
                upload_to=wudian.accounts.models.certificate_scan_path,
                verbose_name="scanned copy",
            ),
        ),
    ]
