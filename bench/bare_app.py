"""ASGI entry points of the bare endpoint (bench.bare_urls), for the throughput comparison:

    DJANGO_SETTINGS_MODULE=bench.bare_settings gunicorn bench.bare_app:application ...

`application` is a django-ninja endpoint as Django serves it out of the box: Django's own ASGI
handler, with the project's middleware. This is the baseline the webhook's throughput is judged
against (issue 3: "a bare django-ninja endpoint").

`lean_application` serves the same endpoint through clinicbot's own router
(clinicbot.routing: no middleware, no per-request thread), as the webhook is served. It is
reported beside the other: it shows what our per-message work costs against Django at its
cheapest.

Both run the start-up checks; neither warms the caches, which only the webhook reads.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")

from django.core.asgi import get_asgi_application  # noqa: E402

from clinicbot.routing import build_application  # noqa: E402

application = get_asgi_application()
lean_application = build_application()

from clinicbot.checks import refuse_start_on_errors  # noqa: E402  (needs the apps loaded)

refuse_start_on_errors()
