from django.db import migrations, models


def route_transmitted(apps, schema_editor):
    """Invoices transmitted before the sandbox routed by buyer TIN: routed now, from their documents."""
    SandboxInvoice = apps.get_model("nrs_sandbox", "SandboxInvoice")
    for invoice in SandboxInvoice.objects.filter(transmitted_at__isnull=False, buyer_tin="").iterator():
        party = invoice.document.get("accounting_customer_party") if isinstance(invoice.document, dict) else None
        tin = str(party.get("tin") or "").strip()[:40] if isinstance(party, dict) else ""
        if tin:
            SandboxInvoice.objects.filter(pk=invoice.pk).update(buyer_tin=tin)


class Migration(migrations.Migration):
    dependencies = [
        ("nrs_sandbox", "0002_throttle_fault"),
    ]

    operations = [
        migrations.AddField(
            model_name="sandboxinvoice",
            name="buyer_tin",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddIndex(
            model_name="sandboxinvoice",
            index=models.Index(fields=["buyer_tin", "transmitted_at"], name="sandbox_delivered_to"),
        ),
        migrations.RunPython(route_transmitted, migrations.RunPython.noop),
    ]
