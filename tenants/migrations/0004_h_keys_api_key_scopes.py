from django.db import migrations, models


class Migration(migrations.Migration):
    """API keys become read-only or read-write (existing keys: read-write) and may be limited to IP networks."""

    dependencies = [
        ("tenants", "0003_setup_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="read_only",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="apikey",
            name="allowed_networks",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
