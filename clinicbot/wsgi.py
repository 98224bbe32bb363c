"""WSGI entry point, for tools that want one; clinicbot is served by ASGI (see asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")

application = get_wsgi_application()

from clinicbot.checks import refuse_start_on_errors  # noqa: E402  (needs the apps loaded)

refuse_start_on_errors()
