"""NRS code lists, shared by every tenant: loaded from the snapshot in data/ and refreshed from NRS."""

from django.db import models


class State(models.Model):
    code = models.CharField(max_length=5, primary_key=True)  # ISO 3166-2:NG, e.g. NG-LA, NG-FC
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Lga(models.Model):
    code = models.CharField(max_length=12, primary_key=True)  # NG-<state>-<3 letters>, e.g. NG-LA-IKJ
    name = models.CharField(max_length=100)
    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="lgas")

    class Meta:
        ordering = ["state_id", "name"]
        verbose_name = "LGA"

    def __str__(self):
        return self.name


class Country(models.Model):
    alpha_2 = models.CharField(max_length=2, primary_key=True)
    alpha_3 = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=100)
    numeric = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self):
        return self.name


class Currency(models.Model):
    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=100)
    symbol = models.CharField(max_length=10, blank=True)
    decimal_digits = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"

    def __str__(self):
        return f"{self.code} — {self.name}"


class CodeName(models.Model):
    """A code list entry: `code` as NRS spells it and a label people read."""

    code = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=300)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"


class InvoiceType(CodeName):
    pass


class TaxCategory(CodeName):
    default_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta(CodeName.Meta):
        verbose_name_plural = "tax categories"


class PaymentMeans(CodeName):
    class Meta(CodeName.Meta):
        verbose_name_plural = "payment means"


class QuantityUnit(CodeName):
    pass


class HsCode(CodeName):
    """Harmonized System subheading for goods (NRS key `hscode`, e.g. 8517.11)."""


class ServiceCode(CodeName):
    """ISIC Rev.4 class for services (four digits, e.g. 6201)."""

    section = models.CharField(max_length=1, blank=True)


class VatExemption(CodeName):
    """Goods NRS lists as VAT-exempt, keyed by HS code (NRS key `harmonized_system_code`)."""
