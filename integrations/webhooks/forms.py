"""Forms only parse; integrations/webhooks/services.py checks URLs and secrets and makes the changes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.webhooks.safety import url_problem
from invoicing.events import EVENT_LABELS, EVENT_TYPES

EVENT_CHOICES = [(t, f"{t} — {EVENT_LABELS[t]}") for t in EVENT_TYPES]


class _SecretMixin:
    """A secret typed by the admin, or one generated for them (shown once after saving): asked for, or because the
    field was left empty (Standard Webhooks' way: the sender makes the key, the receiver copies it)."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("secret") and cleaned.get("generate"):
            self.add_error("generate", _("Either enter a secret or generate one, not both."))
        return cleaned


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        widget=forms.URLInput(
            attrs={"placeholder": "https://erp.example.ng/flowpoint/webhooks", "autocomplete": "off"}
        ),
        help_text=_("HTTPS only. It must answer every delivery with a 2xx status within 10 seconds."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, initial=EVENT_TYPES
    )

    def clean_url(self):
        # The service checks it again; here so that every mistake on the form shows at once.
        problem = url_problem(self.cleaned_data["url"])
        if problem:
            raise forms.ValidationError(problem)
        return self.cleaned_data["url"]


class EndpointCreateForm(_SecretMixin, EndpointForm):
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 16 characters, or a Standard Webhooks key (whsec_…). Leave it empty and Flowpoint "
            "generates one. Your endpoint uses it to verify each delivery's signature."
        ),
    )
    generate = forms.BooleanField(label=_("Generate a strong secret for me (shown once)"), required=False)


class RotateForm(_SecretMixin, forms.Form):
    secret = forms.CharField(
        label=_("New signing secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    generate = forms.BooleanField(label=_("Generate a strong secret for me (shown once)"), required=False)


class RedeliverRangeForm(forms.Form):
    start = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("To"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The end must be after the start."))
        return cleaned
