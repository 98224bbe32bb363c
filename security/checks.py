"""System checks that refuse to start (web, worker, `manage.py`, migrations) without the keys.

They apply whatever DEBUG is: without its keys the service could neither encrypt nor read PHI nor
chain the audit log, so it refuses to start, in development too.
One check id per key; the message names the key and the problem, never the key's value.
"""

from django.core import checks

from security.keys import AUDIT_KEY, MASTER_KEY, RSA_KEY, key_problems

CHECK_IDS = {MASTER_KEY: "security.E001", RSA_KEY: "security.E002", AUDIT_KEY: "security.E003"}
HINT = (
    "Run `python manage.py generate_keys` and put its lines in .env or the environment "
    "(README, Keys). `python manage.py check_keys` checks them."
)


@checks.register(checks.Tags.security)
def check_keys(app_configs=None, **kwargs):
    return [
        checks.Error(f"{name} {problem}.", hint=HINT, id=CHECK_IDS[name])
        for name, problem in key_problems().items()
    ]
