"""The one interface to NRS (MBS) for a tenant. The embedded sandbox and the real host are two base URLs.

Contract:
- every method sends the tenant's `x-api-key` / `x-api-secret` and returns NRS's `data` on success;
- every failure raises one of `integrations.nrs.errors`: NrsRejected (the document or request is wrong;
  permanent), NrsBadCredentials (NRS's 400 "unable to validate api key"), NrsTransient (timeout,
  connection error, 5xx, "kindly try again later", "access points are offline"; retry, and for a sign
  confirm first), NrsNotFound (unknown IRN, entity or route);
- every call is recorded as an NrsCall row (endpoint, status, duration, request and response bodies with
  secrets redacted) whatever its outcome; nothing secret is logged.
"""

import functools
import json
import logging
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings

from integrations.nrs import hosts
from integrations.nrs.errors import NrsBadCredentials, NrsError, NrsNotFound, NrsRejected, NrsTransient
from integrations.nrs.models import NrsCall
from portal.queries import insert

logger = logging.getLogger(__name__)
_local = threading.local()
_SECRET_WORDS = ("secret", "password", "api_key", "apikey", "token", "private")
_MAX_BODY = 64 * 1024


# What a failure says when NRS gave no words of its own (no answer, or no envelope): ours, never to be shown as
# "NRS said" (invoicing/wording.py).
NO_ANSWER = "NRS did not answer in time."
NO_CONNECTION = "Could not connect to NRS."
REQUEST_FAILED = "Request to NRS failed:"
NO_ENVELOPE = "without a JSON envelope."


def ours(message: str) -> bool:
    """True when `message` is Flowpoint's own description of a failed call rather than NRS's words."""
    text = (message or "").strip()
    return (
        text in (NO_ANSWER, NO_CONNECTION)
        or text.startswith(REQUEST_FAILED)
        or text.endswith(NO_ENVELOPE)
        or text.startswith("HTTP ")  # NRS answered an error with no message
    )


def _session() -> requests.Session:
    """One connection pool per worker thread: keep-alive to NRS without sharing sessions across threads."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False  # read once per host instead: `_environment`
    return _local.session


@functools.lru_cache(maxsize=16)
def _environment(base_url: str) -> dict:
    """What requests takes from the environment for a URL (proxies and no_proxy, the CA bundle), read once
    per process and NRS host: requests reads all of os.environ twice per call otherwise, a tenth of the CPU
    of a submission's four calls. The environment does not change while the process runs."""
    return requests.Session().merge_environment_settings(base_url, {}, None, None, None)


def base_url_for(tenant) -> str:
    return base_url_for_environment(tenant.environment)


def base_url_for_environment(environment: str) -> str:
    return (settings.NRS_LIVE_URL if environment == "live" else settings.NRS_SANDBOX_URL).rstrip("/")


def to_json(data) -> str:
    """NRS takes money as JSON numbers; our Decimals become numbers only here, at the wire."""
    return json.dumps(data, default=_decimal_as_number, separators=(",", ":"), ensure_ascii=False)


def _decimal_as_number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _retry_after(value) -> float | None:
    """Retry-After in seconds (RFC 9110: a number of seconds or an HTTP date), capped at ten minutes."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), 600.0)


def redact(value):
    if isinstance(value, dict):
        return {k: "[redacted]" if _secret_name(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@functools.lru_cache(maxsize=1024)  # an NRS document repeats the same few dozen names in every call
def _secret_name(key: str) -> bool:
    return any(word in key.lower().replace("-", "_") for word in _SECRET_WORDS)


class NrsClient:
    def __init__(self, tenant, *, base_url: str | None = None):
        self.tenant = tenant
        self.base_url = (base_url or base_url_for(tenant)).rstrip("/")
        self.timeout = (settings.NRS_CONNECT_TIMEOUT, settings.NRS_READ_TIMEOUT)

    # --- endpoints -------------------------------------------------------------------------

    def health(self) -> dict:
        return self._call("health", "GET", "/api", envelope=False)

    def entity(self, business_id) -> dict:
        return self._call("entity", "GET", f"/api/v1/entity/{business_id}")

    def irn_validate(self, *, irn: str, invoice_reference: str, business_id) -> dict:
        body = {"invoice_reference": invoice_reference, "business_id": str(business_id), "irn": irn}
        return self._call("irn_validate", "POST", "/api/v1/invoice/irn/validate", body, reference=irn)

    def validate(self, document: dict) -> dict:
        return self._call("validate", "POST", "/api/v1/invoice/validate", document, reference=document.get("irn", ""))

    def sign(self, document: dict) -> dict:
        return self._call("sign", "POST", "/api/v1/invoice/sign", document, reference=document.get("irn", ""))

    def confirm(self, irn: str) -> dict:
        return self._call("confirm", "GET", f"/api/v1/invoice/confirm/{irn}", reference=irn)

    def download(self, irn: str) -> dict:
        return self._call("download", "GET", f"/api/v1/invoice/download/{irn}", reference=irn)

    def search(self, business_id, **filters) -> dict:
        return self._call("search", "GET", f"/api/v1/invoice/{business_id}", params=filters)

    def update_payment(self, irn: str, *, payment_status: str, reference: str = "") -> dict:
        body = {"payment_status": payment_status}
        if reference:
            body["reference"] = reference
        return self._call("update", "PATCH", f"/api/v1/invoice/update/{irn}", body, reference=irn)

    def transmit(self, irn: str) -> dict:
        return self._call("transmit", "POST", f"/api/v1/invoice/transmit/{irn}", reference=irn)

    def transmit_confirm(self, irn: str) -> dict:
        return self._call("transmit_confirm", "PATCH", f"/api/v1/invoice/transmit/{irn}", reference=irn)

    def transmit_lookup(self, irn: str) -> dict:
        return self._call("transmit_lookup", "GET", f"/api/v1/invoice/transmit/lookup/{irn}", reference=irn)

    def transmit_pull(self, date_from, date_to, *, confirmed: bool = True) -> list:
        """The invoices NRS transmitted to this business (as buyer) between two dates, inclusive: each NRS's
        document as the supplier signed it, with its `irn` and `transmitted_at`. `confirmed=True` includes those
        this business already confirmed receiving (the sandbox's reading of the flag: api.transmit_pull)."""
        params = {
            "confirmed": "true" if confirmed else "false",
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
        }
        data = self._call("transmit_pull", "GET", "/api/v1/invoice/transmit/pull", params=params)
        invoices = data.get("invoices") if isinstance(data, dict) else None
        return [item for item in invoices if isinstance(item, dict)] if isinstance(invoices, list) else []

    def verify_tin(self, tin: str) -> dict:
        return self._call("verify_tin", "POST", "/api/v1/utilities/verify-tin/", {"tin": tin})

    def resources(self, name: str) -> list:
        data = self._call(f"resources:{name}"[:40], "GET", f"/api/v1/invoice/resources/{name}")
        return data.get("items", data) if isinstance(data, dict) else data

    # --- transport -------------------------------------------------------------------------

    def _call(self, endpoint, method, path, body=None, *, reference="", params=None, envelope=True):
        url = self.base_url + path
        payload = to_json(body) if body is not None else None
        headers = {
            "x-api-key": self.tenant.nrs_api_key or "",
            "x-api-secret": self.tenant.nrs_api_secret or "",
            "Accept": "application/json",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        response = None
        try:
            response = _session().request(
                method,
                url,
                data=payload.encode() if payload else None,
                headers=headers,
                params=params,
                timeout=self.timeout,
                **_environment(self.base_url),
            )
            result = self._outcome(response, envelope)
        except requests.Timeout:
            result = NrsTransient(NO_ANSWER, host_down=True)
        except requests.ConnectionError:
            result = NrsTransient(NO_CONNECTION, host_down=True)
        except requests.RequestException as exc:
            result = NrsTransient(f"{REQUEST_FAILED} {type(exc).__name__}.", host_down=True)
        duration_ms = int((time.monotonic() - started) * 1000)
        hosts.call_ended(self.base_url, result if isinstance(result, NrsTransient) else None)
        self._record(endpoint, method, url, reference, body, response, result, duration_ms)
        if isinstance(result, NrsError):
            raise result
        return result

    @staticmethod
    def _outcome(response, envelope):
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        throttled = status in (429, 503)
        retry_after = _retry_after(response.headers.get("Retry-After")) if throttled else None
        if not isinstance(body, dict):
            if 200 <= status < 300 and body is not None and not envelope:
                return body
            return NrsTransient(
                f"NRS answered HTTP {status} {NO_ENVELOPE}",
                status_code=status,
                host_down=status != 429,  # a proxy's page, an empty 502: NRS itself did not answer
                throttled=throttled,
                retry_after=retry_after,
            )
        code = body.get("code")
        effective = code if isinstance(code, int) and code >= 400 else status
        if 200 <= effective < 300:
            return body.get("data") if envelope else body
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        details = str(error.get("details") or "")
        public = str(error.get("public_message") or "")
        message = details or public or str(body.get("message") or f"HTTP {effective}")
        text = f"{details} {public} {body.get('message') or ''}".lower()
        kwargs = {"status_code": status, "details": details, "public_message": public}
        if "unable to validate api key" in text:
            return NrsBadCredentials(message, **kwargs)
        if effective >= 500 or effective == 429 or throttled:
            # NRS as a whole is failing or asks everyone to slow down: the host's circuit and limit hear of it.
            throttled = throttled or effective in (429, 503)
            return NrsTransient(
                message, host_down=effective >= 500, throttled=throttled, retry_after=retry_after, **kwargs
            )
        if "try again later" in text or "access points are offline" in text:
            return NrsTransient(message, **kwargs)  # about this request (a duplicate sign, the buyer's access point)
        if effective == 404:
            return NrsNotFound(message, **kwargs)
        if effective in (401, 403):
            return NrsBadCredentials(message, **kwargs)
        return NrsRejected(message, **kwargs)

    def _record(self, endpoint, method, url, reference, body, response, result, duration_ms):
        outcome = result.outcome if isinstance(result, NrsError) else NrsCall.Outcome.OK
        message = str(result) if isinstance(result, NrsError) else ""
        # SQL written once per process (portal.queries.insert): four calls an invoice, dozens of invoices in flight.
        insert(
            [
                NrsCall(
                    tenant=self.tenant,
                    endpoint=endpoint,
                    method=method,
                    url=url[:500],
                    reference=reference[:120],
                    request_body=to_json(redact(body))[:_MAX_BODY] if body is not None else "",
                    status_code=response.status_code if response is not None else None,
                    response_body=response.text[:_MAX_BODY] if response is not None else "",
                    outcome=outcome,
                    message=message[:2000],
                    duration_ms=duration_ms,
                )
            ]
        )
        logger.info(
            "NRS %s %s -> %s %s in %d ms",
            method,
            endpoint,
            response.status_code if response is not None else "-",
            outcome,
            duration_ms,
        )
