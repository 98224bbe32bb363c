"""Evolution's webhook credentials, checked on the raw bytes before anything is parsed. Each is
keyed with EVOLUTION_WEBHOOK_SECRET, and any one valid is enough:
- the secret itself in `X-Webhook-Secret` (a static entry of Evolution's `webhook.headers`);
- `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` (a signing relay in front);
- `Authorization: Bearer <JWT>`, which Evolution 2.3+ sends for a `jwt_key` entry of
  `webhook.headers`: HS256, claims {iat, exp: iat + 600, app: "evolution", action: "webhook"};
- the secret in the path, `/webhooks/evolution/t/<secret>[/<event>]`, for a gateway that sends
  no headers at all (Evolution 1.8, and the global webhook of 2.x).
A path that carries a secret is judged by it alone: a wrong one is refused whatever the headers
say. That URL is where the operator chose to put the secret, so a wrong one there is an
out-of-date URL (a rotated secret) or a guess, and it should fail where it can be seen rather
than keep working because of a header sent along with it.

Secrets are compared in constant time. Logs never show a path's secret
(clinicbot.runtime.logs hides the segment after `/t/`).
"""

import hashlib
import hmac
import time
from collections.abc import Mapping

import jwt
from django.conf import settings

PATH_SECRET_SEGMENT = "t"

JWT_ALGORITHMS = ["HS256"]  # Evolution's only one; the token's own `alg` header is never trusted
JWT_CLAIMS = {"app": "evolution", "action": "webhook"}
# Evolution signs the token once per event, for 10 minutes, and sends the same token with each
# retry of that event: by default 10 tries, 5 s apart doubling up to 300 s with +-20 % jitter,
# the last at most ~24 min (1458 s) after the first, ~29 min if every try waited out Evolution's
# 30 s request timeout. A 401 ends its retries for good, so a strict expiry would turn every
# retry after the 10th minute (an outage of ours longer than that) into a lost message. The
# token is therefore taken up to 20 minutes past its `exp`, 30 minutes after it was issued. The
# price: a token seen by someone else (it is not bound to the body) can be played with any body
# for 30 minutes instead of 10; TLS keeps it between Evolution and us, and a message played
# again is a duplicate (de-duplicated on its id).
JWT_EXPIRED_LEEWAY_SECONDS = 20 * 60
# Clocks disagree a little: a token issued "in the future" by up to this much is still taken.
JWT_CLOCK_SKEW_SECONDS = 60


def split_subpath(subpath: str) -> tuple[str | None, str]:
    """The secret a webhook path carries (None when it carries none) and the event it names:
    "t/<secret>/messages-upsert" -> ("<secret>", "messages-upsert"), "messages-upsert" ->
    (None, "messages-upsert")."""
    first, _, rest = subpath.partition("/")
    if first != PATH_SECRET_SEGMENT:
        return None, subpath
    secret, _, event = rest.partition("/")
    return secret, event


def credentials_valid(headers: Mapping[str, str], body: bytes, path_secret: str | None) -> bool:
    secret = settings.EVOLUTION_WEBHOOK_SECRET.encode()
    if not secret:
        return False  # an unconfigured secret refuses everything rather than accepting anyone
    if path_secret is not None:
        return hmac.compare_digest(path_secret.encode(), secret)
    return (
        _secret_header_valid(headers, secret)
        or _signature_valid(headers, body, secret)
        or _bearer_token_valid(headers, secret)
    )


def _secret_header_valid(headers: Mapping[str, str], secret: bytes) -> bool:
    given = headers.get("X-Webhook-Secret")
    return given is not None and hmac.compare_digest(given.encode(), secret)


def _signature_valid(headers: Mapping[str, str], body: bytes, secret: bytes) -> bool:
    signature = headers.get("X-Hub-Signature-256", "")
    if not signature.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.removeprefix("sha256=").encode(), expected.encode())


def _bearer_token_valid(headers: Mapping[str, str], secret: bytes) -> bool:
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=JWT_ALGORITHMS,
            leeway=JWT_EXPIRED_LEEWAY_SECONDS,
            # iat is checked below, against a smaller margin than the expiry's.
            options={"require": ["iat", "exp", *JWT_CLAIMS], "verify_iat": False},
        )
        issued_at = int(claims["iat"])
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
        return False
    issued_in_future = issued_at > time.time() + JWT_CLOCK_SKEW_SECONDS
    return not issued_in_future and all(claims[name] == value for name, value in JWT_CLAIMS.items())
