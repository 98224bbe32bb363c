"""The root NinjaAPI: health, readiness and the webhooks. Each app owns its own router."""

from django.conf import settings
from ninja import NinjaAPI

from clinicbot.health import router as health_router
from conversations.api import router as webhook_router

api = NinjaAPI(
    title="clinicbot",
    version="1",
    urls_namespace="api",
    # The interactive docs expose the schema; only in development.
    docs_url="/docs" if settings.DEBUG else None,
    openapi_url="/openapi.json" if settings.DEBUG else None,
)
api.add_router("", health_router)
api.add_router("", webhook_router)
