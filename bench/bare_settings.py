"""clinicbot's settings with one change: the root URLconf is the bare endpoint's (bench.bare_urls).

Same middleware, same apps, same environment: the bare endpoint pays every cost the webhook pays
for being a Django request, and nothing else.
"""

from clinicbot.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
