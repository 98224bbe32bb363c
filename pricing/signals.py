from pricing.cache import bump_on_change
from pricing.models import Service

bump_on_change(Service)
