"""ASGI entry point: `uvicorn clinicbot.asgi:application` (gunicorn+uvicorn in production)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")

application = get_asgi_application()

from clinicbot.checks import refuse_start_on_errors  # noqa: E402  (needs the apps loaded)
from clinicbot.warmup import start_warmup  # noqa: E402

refuse_start_on_errors()
start_warmup()
