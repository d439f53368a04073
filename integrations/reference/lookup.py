"""The code lists as this process's in-memory copy, for the hot validation path.

Checking an invoice asks "is this a known currency / country / state / LGA / tax category / HS code" once
per field and per line; as queries that was a third of an invoice create. The lists change only through
`reference_load` (the shipped snapshot, an NRS sync) or the admin: both clear this process's copy at once
(see apps.py), and other processes (web and queue workers) re-read within REFRESH_SECONDS.
"""

import threading
import time

from integrations.reference import models

REFRESH_SECONDS = 300

_lock = threading.Lock()
_copies: dict[str, tuple[float, object]] = {}


def _cached(name: str, load):
    now = time.monotonic()
    entry = _copies.get(name)
    if entry is None or now - entry[0] > REFRESH_SECONDS:
        value = load()
        with _lock:
            _copies[name] = (now, value)
        return value
    return entry[1]


def clear() -> None:
    with _lock:
        _copies.clear()


def currencies() -> frozenset:
    return _cached("currencies", lambda: frozenset(models.Currency.objects.values_list("code", flat=True)))


def countries() -> frozenset:
    return _cached("countries", lambda: frozenset(models.Country.objects.values_list("alpha_2", flat=True)))


def tax_categories() -> frozenset:
    return _cached("tax_categories", lambda: frozenset(models.TaxCategory.objects.values_list("code", flat=True)))


def tax_category_names() -> dict:
    """code -> name, for screens that name a line's tax (STANDARD_VAT -> Standard VAT)."""
    return _cached("tax_category_names", lambda: dict(models.TaxCategory.objects.values_list("code", "name")))


def hs_codes() -> frozenset:
    return _cached("hs_codes", lambda: frozenset(models.HsCode.objects.values_list("code", flat=True)))


def service_codes() -> frozenset:
    return _cached("service_codes", lambda: frozenset(models.ServiceCode.objects.values_list("code", flat=True)))


def states() -> dict:
    """code -> name"""
    return _cached("states", lambda: dict(models.State.objects.values_list("code", "name")))


def lgas() -> dict:
    """code -> (name, state code)"""
    return _cached(
        "lgas",
        lambda: {
            code: (name, state) for code, name, state in models.Lga.objects.values_list("code", "name", "state_id")
        },
    )


def lgas_by_state() -> dict:
    """state name -> [(LGA code, LGA name)], both by name: for a list to choose an LGA from, grouped by state so it
    reads right even without a script that narrows it to one state."""
    state_names, groups = states(), {}
    by_name = sorted(lgas().items(), key=lambda item: (state_names.get(item[1][1], ""), item[1][0]))
    for code, (name, state) in by_name:
        groups.setdefault(state_names.get(state, state), []).append((code, name))
    return groups


def hs_key(code: str) -> str:
    """An HS code as the heading it names, to compare codes written to different depths: its digits without the
    trailing pairs of zeros (NRS's exemption list writes 0101.2100 where the HS list writes 0101.21)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    while len(digits) > 4 and digits.endswith("00"):
        digits = digits[:-2]
    return digits


def vat_exemptions() -> dict:
    """hs_key -> description, of the goods on NRS's VAT exemption list (empty until it is synced)."""
    return _cached(
        "vat_exemptions",
        lambda: {hs_key(code): name for code, name in models.VatExemption.objects.values_list("code", "name")},
    )


def vat_exemption(hs_code: str) -> str | None:
    """The exemption list's description of `hs_code` when the goods are VAT-exempt, else None."""
    return vat_exemptions().get(hs_key(hs_code)) if hs_code else None


def quantity_units() -> dict:
    """UN/ECE Recommendation 20 code -> name (KGM -> kilogram), NRS's invoice-quantity-codes."""
    return _cached("quantity_units", lambda: dict(models.QuantityUnit.objects.values_list("code", "name")))


def payment_means() -> dict:
    """NRS payment-means code -> name (30 -> Credit Transfer)."""
    return _cached("payment_means", lambda: dict(models.PaymentMeans.objects.values_list("code", "name")))
