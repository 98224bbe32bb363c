from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"

    def ready(self):
        from pricing import signals  # noqa: F401  (connects the price-change signal)
