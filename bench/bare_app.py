"""ASGI entry point of the bare endpoint (bench.bare_urls), for the throughput comparison:

    DJANGO_SETTINGS_MODULE=bench.bare_settings gunicorn bench.bare_app:application ...

Built like clinicbot.asgi (same Django, settings, routing of /webhooks/ past the middleware, and
start-up checks) minus the cache warm-up, which only fills caches the bare endpoint never reads.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")

from clinicbot.routing import build_application  # noqa: E402

application = build_application()

from clinicbot.checks import refuse_start_on_errors  # noqa: E402  (needs the apps loaded)

refuse_start_on_errors()
