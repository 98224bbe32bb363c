from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pricing.cache import bump_version
from pricing.models import Service


@receiver([post_save, post_delete], sender=Service)
def announce_price_change(sender, instance, **kwargs):
    # After commit: a worker that refreshes on the new version must read the committed row.
    clinic_id = instance.clinic_id
    transaction.on_commit(lambda: bump_version(clinic_id))
