import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from tenants.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant with its first admin and print JSON with the tenant id."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The business's legal name")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)

    def handle(self, *args, name, admin_email, admin_password, **options):
        try:
            validate_email(admin_email)
        except ValidationError:
            raise CommandError(f"--admin-email {admin_email!r} is not a valid e-mail address.") from None
        if not name.strip():
            raise CommandError("--name must not be empty.")
        existing = get_user_model().objects.filter(email__iexact=admin_email).exists()
        tenant = tenant_create(name=name, admin_email=admin_email, admin_password=admin_password)
        self.stdout.write(
            json.dumps(
                {
                    "tenantId": str(tenant.pk),
                    "name": tenant.name,
                    "adminEmail": admin_email.lower(),
                    "adminCreated": not existing,
                }
            )
        )
