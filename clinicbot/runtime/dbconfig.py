"""Turns DATABASE_URL into Django's DATABASES entry, with the timeouts and pool we rely on.

Query parameters of the URL override the defaults below (e.g. `?connect_timeout=3`), so an
operator can tune them without new environment variables.
"""

from urllib.parse import parse_qsl, urlsplit

import environ

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000
# Supabase's transaction pooler (Supavisor) listens on 6543; Prisma-style URLs say ?pgbouncer=true.
TRANSACTION_POOLER_PORT = 6543
POOL = {"min_size": 1, "max_size": 10, "timeout": 5}


def is_transaction_pooler(url: str) -> bool:
    parts = urlsplit(url)
    flags = dict(parse_qsl(parts.query))
    return parts.port == TRANSACTION_POOLER_PORT or flags.get("pgbouncer", "").lower() == "true"


def database_config(url: str) -> dict:
    pooled = is_transaction_pooler(url)
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return config
    options = config.setdefault("OPTIONS", {})
    options.pop("pgbouncer", None)  # our flag, not a libpq parameter
    options.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    options.setdefault("pool", dict(POOL))
    config["CONN_MAX_AGE"] = 0  # Django's pool requires it; the pool keeps connections instead
    config["CONN_HEALTH_CHECKS"] = False
    if pooled:
        # A transaction pooler hands each transaction to any server connection: prepared
        # statements and server-side cursors would land on the wrong one. PgBouncer-style poolers
        # also reject the `options` startup parameter, so statement_timeout is set on the
        # database role instead (Supabase's roles carry one; see README).
        options["prepare_threshold"] = None
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        options.setdefault("options", f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
    return config
