"""Forms only parse: integrations/connectors/services.py checks and saves. The fields of a kind come from
kinds.py; mappings are edited as rows (the code as your system writes it → the NRS code)."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from integrations.connectors import kinds, mapping
from integrations.connectors.services import MAX_CODE, MAX_MINUTES, MIN_MINUTES
from integrations.reference import lookup
from integrations.reference.lookup import tax_category_names

SETTING = "setting_"
SECRET = "secret_"


class ConnectorForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("How the run log and the audit log call it, e.g. “Head office books”."),
    )
    every_minutes = forms.IntegerField(
        label=_("Check for new invoices every (minutes)"),
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        initial=15,
        help_text=_("From %(low)d minutes to once a day (%(high)d).") % {"low": MIN_MINUTES, "high": MAX_MINUTES},
    )

    def __init__(self, *args, kind: str, saved_secrets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for setting in kinds.settings_of(kind):
            if setting.type == "port":
                field = forms.IntegerField(min_value=1, max_value=65535)
            elif setting.type == "url":
                field = forms.CharField(max_length=setting.max_length, widget=forms.URLInput)
            else:
                field = forms.CharField(max_length=setting.max_length)
            field.label, field.help_text, field.required = setting.label, setting.help, setting.required
            field.initial = setting.default if setting.default != "" else None
            self.fields[SETTING + setting.name] = field
        for secret in kinds.secrets_of(kind):
            saved = secret.name in saved_secrets
            widget = (
                forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"})
                if secret.multiline
                else forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            )
            help_text = secret.help
            if saved:
                help_text = _("Saved; leave empty to keep it.") + (f" {secret.help}" if secret.help else "")
            self.fields[SECRET + secret.name] = forms.CharField(
                label=secret.label, required=False, strip=False, widget=widget, help_text=help_text
            )

    def data_for_service(self) -> dict:
        cleaned = self.cleaned_data
        return {
            "name": cleaned["name"],
            "every_minutes": cleaned["every_minutes"],
            "settings": {
                name.removeprefix(SETTING): value for name, value in cleaned.items() if name.startswith(SETTING)
            },
            # Never shown again: a secret field comes back empty, and empty keeps what is saved.
            "secrets": {name.removeprefix(SECRET): value for name, value in cleaned.items() if name.startswith(SECRET)},
        }

    @staticmethod
    def field_for(path: str) -> str:
        """The form field of a service error's path (settings.host → setting_host)."""
        if path.startswith("settings."):
            return SETTING + path.removeprefix("settings.")
        if path.startswith("secrets."):
            return SECRET + path.removeprefix("secrets.")
        return path


class MappingRow(forms.Form):
    source = forms.CharField(label=_("Code in your system"), max_length=MAX_CODE, required=False)
    code = forms.CharField(label=_("NRS code"), max_length=MAX_CODE, required=False)

    def __init__(self, *args, table: str, **kwargs):
        super().__init__(*args, **kwargs)
        if table == "tax":  # chosen by name: NRS's tax category codes are not for people to type
            choices = sorted(tax_category_names().items(), key=lambda pair: pair[1])
            self.fields["code"] = forms.ChoiceField(
                label=_("NRS tax category"), choices=[("", "—"), *choices], required=False
            )
        elif table == "lga":  # a city → its LGA, chosen by name under its state (the code is NRS's business)
            self.fields["source"].label = _("City in your system")
            self.fields["code"] = forms.ChoiceField(
                label=_("Local government area"),
                choices=[("", "—"), *lookup.lgas_by_state().items()],
                required=False,
            )
        self.table = table
        what = mapping.TABLES[table]
        self.fields["source"].widget.attrs["aria-label"] = _("%(table)s: %(label)s") % {
            "table": what,
            "label": str(self.fields["source"].label).lower(),
        }
        self.fields["code"].widget.attrs["aria-label"] = _("%(table)s: %(target)s") % {
            "table": what,
            "target": mapping.TARGETS[table],
        }

    def clean(self):
        cleaned = super().clean()
        lga = self.table == "lga"
        if cleaned.get("source") and not cleaned.get("code"):
            message = (
                _("Choose the local government area of “%(source)s”.")
                if lga
                else _("Give the NRS code for “%(source)s”.")
            )
            self.add_error("code", message % {"source": cleaned["source"]})
        if cleaned.get("code") and not cleaned.get("source"):
            self.add_error(
                "source",
                _("Give the city as your system writes it.") if lga else _("Give the code as your system writes it."),
            )
        return cleaned


MappingRows = formset_factory(MappingRow, extra=3, max_num=500, absolute_max=600)


def mapping_formsets(data=None, saved: dict | None = None) -> dict:
    """One formset of rows per mapping table, the saved rows first and three empty ones after."""
    saved = saved or {}
    return {
        table: MappingRows(
            data,
            prefix=f"map-{table}",
            form_kwargs={"table": table},
            initial=[{"source": source, "code": code} for source, code in saved.get(table, {}).items()],
        )
        for table in mapping.TABLES
    }


def mappings_from(formsets: dict) -> dict:
    return {
        table: {
            row.cleaned_data["source"].strip(): row.cleaned_data["code"].strip()
            for row in formset
            if row.cleaned_data.get("source") and row.cleaned_data.get("code")
        }
        for table, formset in formsets.items()
    }
