"""ASGI entry point: `uvicorn clinicbot.asgi:application` (gunicorn+uvicorn in production)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")

from clinicbot.routing import build_application  # noqa: E402

application = build_application()

from clinicbot.checks import refuse_start_on_errors  # noqa: E402  (needs the apps loaded)
from clinicbot.warmup import start_warmup  # noqa: E402

refuse_start_on_errors()
start_warmup()
