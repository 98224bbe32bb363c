"""A clinic's price list: one row per service, names in every language the clinic uses."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="services"
    )
    code = models.SlugField(max_length=64)
    # {"ru": "Пломба", "en": "Filling", ...}
    names = models.JSONField(default=dict)
    aliases = models.JSONField(default=list, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, help_text=_("ISO 4217 code, e.g. RUB, EUR, USD."))
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    # A service dropped from the clinic file is deactivated, never deleted: history points at it.
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clinic", "code"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="service_code_unique"),
            models.CheckConstraint(condition=Q(price__gt=Decimal("0")), name="price_positive"),
        ]

    def __str__(self):
        return self.display_name()

    def display_name(self, language: str = "en") -> str:
        return (
            self.names.get(language)
            or self.names.get("en")
            or next(iter(self.names.values()), self.code)
        )


class PriceChange(models.Model):
    """One change of a service's price: who made it, when, the old and new price, and through
    what (the admin, a CSV import, the clinic file). Written by pricing.services only."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("admin")
        CSV = "csv", _("CSV import")
        CLINIC_FILE = "clinic_file", _("clinic file")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="price_changes")
    # The service's clinic, copied: staff scoping and the history list need no join.
    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="price_changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    old_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    new_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    source = models.CharField(max_length=12, choices=Source.choices)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-changed_at"], name="price_change_by_service"),
            models.Index(fields=["clinic", "-changed_at"], name="price_change_by_clinic"),
        ]

    def __str__(self):
        return f"{self.service.code}: {self.old_price} -> {self.new_price}"
