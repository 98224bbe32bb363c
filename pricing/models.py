"""A clinic's price list: one row per service, names in every language the clinic uses."""

from decimal import Decimal

from django.db import models
from django.db.models import Q


class Service(models.Model):
    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="services"
    )
    code = models.SlugField(max_length=64)
    # {"ru": "Пломба", "en": "Filling", ...}
    names = models.JSONField(default=dict)
    aliases = models.JSONField(default=list, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. RUB, EUR, USD.")
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
