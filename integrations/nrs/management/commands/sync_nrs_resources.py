from django.core.management.base import BaseCommand, CommandError

from integrations.nrs.errors import NrsError
from integrations.nrs.services import reference_sync
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Pull every NRS /resources/* list into the local reference tables and report what changed."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant id whose NRS credentials and environment to use")

    def handle(self, *args, tenant=None, **options):
        tenants = Tenant.objects.exclude(nrs_api_key="").order_by("created_at")
        chosen = tenants.filter(pk=tenant).first() if tenant else tenants.first()
        if chosen is None or not chosen.has_nrs_credentials:
            raise CommandError("No tenant with NRS credentials: pass --tenant <id> of one that has them.")
        try:
            report = reference_sync(tenant=chosen)
        except NrsError as exc:
            raise CommandError(f"NRS refused or failed ({exc.outcome}): {exc}") from None
        self.stdout.write(f"Synced from NRS ({chosen.environment}) using {chosen.name}:")
        for name, counts in report.items():
            self.stdout.write(
                f"  {name}: {counts['total']} rows ({counts['created']} new, {counts['updated']} updated)"
            )
