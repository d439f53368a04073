"""What each kind of connector asks an admin for: its settings (where and how to reach the source, shown again
when edited) and its secrets (write-only: kept encrypted, never shown, left as they are when the field is left
empty). The screen's form and the API's validation are both built from this table, so a kind's module adds its
row here and nothing else changes."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Setting:
    name: str  # the key in Connector.settings (and in the API's `settings` object)
    label: str
    help: str = ""
    required: bool = True
    type: str = "text"  # text, host (a server's name or address), url, port (1–65535)
    default: str | int = ""
    max_length: int = 200


@dataclass(frozen=True)
class Secret:
    name: str  # the key in the credentials JSON (and in the API's `secrets` object)
    label: str
    help: str = ""
    multiline: bool = False  # a private key


# The kinds whose documents are read through mappings (mapping.nrs_code): their screen edits them. An SFTP folder's
# files are read as the CSV upload and the UBL import read them, so its screen offers none.
KINDS_WITH_MAPPINGS = ("quickbooks", "odoo")

KIND_FIELDS: dict[str, list[Setting]] = {
    "sftp": [
        Setting("host", _("Server"), _("The SFTP server's host name or address, e.g. sftp.example.ng."), type="host"),
        Setting("port", _("Port"), _("Usually 22."), type="port", default=22),
        Setting("username", _("Username")),
        Setting(
            "folder",
            _("Folder"),
            _("Where your system drops CSV and UBL files. Flowpoint moves each file to done/ or error/ inside it."),
            default="/",
        ),
    ],
    "quickbooks": [
        Setting(
            "realm_id",
            _("Company ID"),
            _(
                "QuickBooks' company (realm) ID: in QuickBooks, Settings → Account and settings → "
                "Billing & subscription."
            ),
            max_length=40,
        ),
    ],
    "odoo": [
        Setting("url", _("Odoo address"), _("e.g. https://mycompany.odoo.com"), type="url"),
        Setting("database", _("Database"), _("The Odoo database name (shown at the sign-in page).")),
        Setting("username", _("Username"), _("The Odoo user the API key belongs to (usually an e-mail address).")),
    ],
}

KIND_SECRETS: dict[str, list[Secret]] = {
    "sftp": [
        Secret("password", _("Password"), _("Give a password or a private key.")),
        Secret("private_key", _("Private key"), _("An OpenSSH private key (-----BEGIN …)."), multiline=True),
    ],
    "quickbooks": [],  # tokens come from the QuickBooks sign-in, not from a form
    "odoo": [Secret("api_key", _("API key"), _("Odoo → Preferences → Account security → New API key."))],
}


# The secrets of which a kind needs at least one saved: what it signs in with.
KIND_SECRET_NEEDED: dict[str, tuple[str, ...]] = {"sftp": ("password", "private_key"), "odoo": ("api_key",)}


def settings_of(kind: str) -> list[Setting]:
    return KIND_FIELDS.get(kind, [])


def secrets_of(kind: str) -> list[Secret]:
    return KIND_SECRETS.get(kind, [])
