"""Creates (once) the demo business that `make run` prints: an admin, a clerk and an API key, connected to the
embedded NRS sandbox when it runs, with invoices other businesses issued to it waiting there for its first pull
(invoicing/purchases/demo.py: which is why the command lives with invoicing, above the NRS gateway)."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django_scopes import scope

from integrations.nrs.services import nrs_sandbox_connect, sandbox_exemptions_load
from invoicing.purchases.demo import demo_purchases_seed
from tenants.demo import complete_demo_profile
from tenants.models import Membership, Tenant
from tenants.services import api_key_create, tenant_create

DEMO_NAME = "Demo Trading Ltd"
ADMIN = ("admin@demo.flowpoint.local", "demo-admin-pass")
CLERK = ("clerk@demo.flowpoint.local", "demo-clerk-pass")


def _credentials_file() -> Path:
    """Beside the SQLite database the key belongs to: an instance on its own SQLITE_PATH (a second `make run`,
    a test) must not overwrite var/'s key with one var/'s database does not know."""
    database = settings.DATABASES["default"]
    if "sqlite" in database["ENGINE"]:
        return Path(database["NAME"]).parent / "demo-credentials.json"
    return settings.VAR_DIR / "demo-credentials.json"


CREDENTIALS_FILE = _credentials_file()


class Command(BaseCommand):
    help = "Create the demo tenant once and print its logins and API key."

    def handle(self, *args, **options):
        User = get_user_model()
        if not User.objects.filter(email=ADMIN[0]).exists():
            tenant = tenant_create(
                name=DEMO_NAME, admin_email=ADMIN[0], admin_password=ADMIN[1], admin_name="Ada Admin"
            )
            # The demo admin is also the operator of this local install (sandbox fault switches).
            User.objects.filter(email=ADMIN[0]).update(is_staff=True)
            clerk = User.objects.create_user(CLERK[0], CLERK[1], first_name="Chidi", last_name="Clerk")
            with scope(tenant=tenant):
                Membership.objects.create(tenant=tenant, user=clerk, role=Membership.Role.CLERK)
                _key, plaintext = api_key_create(tenant=tenant, name="Demo integration")
                complete_demo_profile(tenant)
            if settings.NRS_SANDBOX_EMBEDDED:  # ready to issue invoices against the embedded sandbox
                nrs_sandbox_connect(tenant=tenant)
                sandbox_exemptions_load()  # NRS's VAT exemption list, as the sandbox publishes it
            # The key is stored hashed; keep the demo's plaintext beside the local database only.
            CREDENTIALS_FILE.write_text(json.dumps({"tenantId": str(tenant.pk), "apiKey": plaintext}))
        saved = json.loads(CREDENTIALS_FILE.read_text()) if CREDENTIALS_FILE.exists() else {}
        tenant = Tenant.objects.filter(pk=saved.get("tenantId")).first()
        if tenant and settings.NRS_SANDBOX_EMBEDDED and tenant.nrs_business_id:
            # Every run, not only the first: a demo made before these existed gets them too; none is added twice.
            demo_purchases_seed(tenant, user=User.objects.get(email=ADMIN[0]))
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Demo business : {tenant.name if tenant else DEMO_NAME}",
                    f"  Admin login   : {ADMIN[0]} / {ADMIN[1]}",
                    f"  Clerk login   : {CLERK[0]} / {CLERK[1]}",
                    f"  API key       : {saved.get('apiKey', '(see Settings → API access)')}",
                    "",
                ]
            )
        )
