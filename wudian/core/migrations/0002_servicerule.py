from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0001_cache_table")]
    operations = [
        migrations.CreateModel(
            name="ServiceRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64, unique=True, verbose_name="rule")),
                ("value", models.DecimalField(decimal_places=3, max_digits=12, verbose_name="value")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={"verbose_name": "service rule", "verbose_name_plural": "service rules", "ordering": ["key"]},
        ),
    ]
