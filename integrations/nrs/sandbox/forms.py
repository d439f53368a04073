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
