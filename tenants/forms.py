"""Forms only parse and check fields; the services in tenants/services.py make the changes."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from integrations.reference.models import Country, Lga, State
from tenants.keyfile import parse_key_file
from tenants.models import Location, Membership, Tenant
from tenants.validators import future_or_empty, normalise_phone, validate_postal_code


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "tin", "email", "telephone", "description"]
        labels = {"name": _("Legal name"), "email": _("Business e-mail")}
        help_texts = {
            "tin": _("Your Tax Identification Number, e.g. 12345678-0001."),
            "email": _("Shown on invoices. Leave empty to use the admin's e-mail."),
            "telephone": _("Such as 0803 123 4567 or +2348031234567; outside Nigeria, + and the country code."),
            "description": _("What the business does, in a sentence (sent to NRS)."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tin"].required = True

    def clean_telephone(self) -> str:
        return normalise_phone(self.cleaned_data["telephone"])


class NrsSettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["environment", "nrs_business_id", "nrs_service_id"]
        help_texts = {
            "environment": _("Use Sandbox while you test; switch to Live when NRS has onboarded you."),
            "nrs_business_id": _("A UUID such as 3f1c2e9a-7b4d-4c1e-9a2f-1b2c3d4e5f60, from your NRS profile."),
            "nrs_service_id": _("8 uppercase letters or digits, such as 94ND90NR."),
        }
        error_messages = {
            "nrs_business_id": {
                "invalid": _("The NRS business ID is a UUID, such as 3f1c2e9a-7b4d-4c1e-9a2f-1b2c3d4e5f60.")
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nrs_service_id"].widget.attrs.update({"maxlength": 8, "autocapitalize": "characters"})


def valid_until_field(label, help_text):
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter the date as shown by the date picker, such as 2027-03-31.")},
    )


class NrsCredentialsForm(forms.Form):
    """The NRS API key and secret, write-only. With credentials on file (`saved`), both left empty means keep them:
    `keep` is then True and there is nothing to save; one without the other is refused."""

    api_key = forms.CharField(
        label=_("NRS API key"),
        widget=forms.PasswordInput(render_value=False),
        error_messages={"required": _("Enter the API key NRS issued for your business.")},
    )
    api_secret = forms.CharField(
        label=_("NRS API secret"),
        widget=forms.PasswordInput(render_value=False),
        error_messages={"required": _("Enter the API secret NRS issued with the key.")},
    )
    valid_until = valid_until_field(
        _("Valid until (optional)"),
        _("The last day NRS says these credentials work. Flowpoint reminds the admins 30, 7 and 1 days before."),
    )

    def __init__(self, *args, saved: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved = saved
        self.keep = False
        if saved:
            for name in ("api_key", "api_secret"):
                self.fields[name].required = False
                self.fields[name].help_text = _("Saved. Leave it empty to keep the saved one.")

    def clean_valid_until(self):
        return future_or_empty(self.cleaned_data["valid_until"])

    def clean(self):
        data = super().clean()
        if self.saved:
            key, secret = data.get("api_key"), data.get("api_secret")
            if not key and not secret:
                self.keep = True
            elif not key:
                self.add_error(
                    "api_key", _("Enter the new API key as well, or leave both empty to keep the saved ones.")
                )
            elif not secret:
                self.add_error(
                    "api_secret", _("Enter the new API secret as well, or leave both empty to keep the saved ones.")
                )
        return data


class LgaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class LocationForm(forms.ModelForm):
    make_primary = forms.BooleanField(label=_("Use as primary location (the address on invoices)"), required=False)

    class Meta:
        model = Location
        fields = ["street", "city", "postal_zone", "state", "lga", "country"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = State.objects.order_by("name")
        self.fields["state"].empty_label = _("Choose a state…")
        self.fields["lga"] = LgaChoiceField(
            queryset=Lga.objects.select_related("state").order_by("name"),
            label=_("LGA"),
            empty_label=_("Choose an LGA…"),
        )
        self.fields["country"].queryset = Country.objects.order_by("name")
        self.fields["country"].empty_label = _("Choose a country…")
        self.fields["postal_zone"].help_text = _("In Nigeria 6 digits, such as 100001.")
        if not self.instance.country_id:
            self.initial["country"] = "NG"  # the unsaved instance put None there
        # The choice only matters when another location is primary already.
        has_other_primary = Location.objects.filter(is_primary=True).exclude(pk=self.instance.pk).exists()
        if self.instance.is_primary or not has_other_primary:
            del self.fields["make_primary"]

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country")
        if country is not None and cleaned.get("postal_zone"):
            try:
                validate_postal_code(cleaned["postal_zone"], country.pk)
            except ValidationError as error:
                self.add_error("postal_zone", error)
        return cleaned


class CryptoKeyForm(forms.Form):
    """The NRS key file. With an active key on file (`saved`), no file means keep it: `keep` is then True."""

    key_file = forms.FileField(
        label=_("NRS crypto-key file"),
        help_text=_("The crypto_keys.txt file you downloaded from the NRS e-invoicing portal."),
        error_messages={"required": _("Choose the crypto_keys.txt file you downloaded from the NRS portal.")},
    )
    valid_until = valid_until_field(
        _("Valid until (optional)"),
        _(
            "The file's certificate does not say when it ends: enter the last day NRS gave for it, and Flowpoint "
            "reminds the admins 30, 7 and 1 days before."
        ),
    )

    def __init__(self, *args, saved: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep = False
        if saved:
            self.fields["key_file"].required = False
            self.fields["key_file"].help_text = _(
                "An active key is saved. Leave this empty to keep it, or choose a new crypto_keys.txt to replace it."
            )

    def clean_key_file(self):
        upload = self.cleaned_data["key_file"]
        if not upload:
            self.keep = True
            return upload
        if upload.size > settings.CRYPTO_KEY_FILE_MAX_BYTES:
            raise ValidationError(
                _("The file is too large to be an NRS key file (over %(kb)s KB).")
                % {"kb": settings.CRYPTO_KEY_FILE_MAX_BYTES // 1024}
            )
        self.content = upload.read()
        parse_key_file(self.content)  # raises a ValidationError that says what is wrong
        return upload

    def clean_valid_until(self):
        return future_or_empty(self.cleaned_data["valid_until"])


class ValidUntilForm(forms.Form):
    """A saved crypto-key file's "valid until" date, changed on its own."""

    valid_until = valid_until_field(_("Valid until"), "")

    def clean_valid_until(self):
        return future_or_empty(self.cleaned_data["valid_until"])


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Which system uses it, e.g. 'Sage ERP'."))
    expires_on = forms.DateField(
        label=_("Expires on (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=[
            ("read_write", _("Read and write: create, change and submit invoices")),
            ("read_only", _("Read only: look up invoices and data and check invoices before issuing, change nothing")),
        ],
        initial="read_write",
        required=False,  # absent: read and write, as every key was before keys had scopes
    )
    allowed_networks = forms.CharField(
        label=_("Allowed IP addresses or networks (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.0/24\n2001:db8::/32"}),
        help_text=_(
            "One a line, e.g. 203.0.113.0/24 or 2001:db8::/32. Requests from anywhere else are refused. "
            "Leave empty to allow any address."
        ),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.CLERK)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
