"""The bare endpoint's URLconf: one django-ninja async POST endpoint that only parses the body.

It sits at the webhook's own path, so URL resolution and the SSL-redirect exemption are the same.
"""

import json

from django.urls import path
from ninja import NinjaAPI

api = NinjaAPI(title="bare", urls_namespace="bare", docs_url=None, openapi_url=None)


@api.post("/webhooks/evolution", auth=None, include_in_schema=False)
async def bare_webhook(request):
    json.loads(request.body)
    return {"status": "accepted"}


urlpatterns = [path("", api.urls)]
