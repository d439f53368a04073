from django import forms

from integrations.nrs.sandbox.models import SandboxFaults

_RATE = {"min_value": 0.0, "max_value": 1.0, "help_text": "A share between 0 and 1, e.g. 0.2 for 20 %."}


class FaultsForm(forms.ModelForm):
    error_rate = forms.FloatField(label="Share of HTTP 500s", **_RATE)
    timeout_rate = forms.FloatField(label="Share of timeouts (no answer in time)", **_RATE)
    offline_rate = forms.FloatField(label="Share of 'access points are offline' on transmit", **_RATE)
    lost_response_rate = forms.FloatField(label="Share of lost sign responses (signed, answer lost)", **_RATE)
    throttle_rate = forms.FloatField(label="Share of 'too many requests' answers (HTTP 429)", **_RATE)

    class Meta:
        model = SandboxFaults
        fields = [
            "latency_ms",
            "error_rate",
            "timeout_rate",
            "offline_rate",
            "lost_response_rate",
            "throttle_rate",
            "retry_after_seconds",
            "strict",
        ]
        labels = {
            "latency_ms": "Added latency (ms)",
            "retry_after_seconds": "Seconds those answers ask the client to wait (Retry-After)",
            "strict": "Strict totals (reject totals that do not reconcile)",
        }


# What the sandbox's "change NRS's copy" can alter in a stored document: (label, path in the document, kind).
COPY_FIELDS = {
    "payable": ("Total payable", ("legal_monetary_total", "payable_amount"), "amount"),
    "buyer_name": ("Buyer's name", ("accounting_customer_party", "party_name"), "text"),
}


class CopyChangeForm(forms.Form):
    """Make NRS's stored copy of an IRN differ from the issuer's, to see the issuer's reconciliation notice it."""

    irn = forms.CharField(label="IRN", max_length=120)
    field = forms.ChoiceField(label="What to change", choices=[(k, v[0]) for k, v in COPY_FIELDS.items()])
    value = forms.CharField(label="New value at NRS", max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("field") in COPY_FIELDS and COPY_FIELDS[data["field"]][2] == "amount" and data.get("value"):
            try:
                data["value"] = float(str(data["value"]).replace(",", ""))
            except ValueError:
                self.add_error("value", "Enter an amount, such as 537500.00.")
        return data
