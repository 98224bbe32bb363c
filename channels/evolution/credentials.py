"""Evolution's webhook credentials, checked on the raw bytes before anything is parsed, in
constant time: the shared secret in `X-Webhook-Secret` (Evolution's `webhook.headers`), or an
HMAC-SHA256 signature of the body keyed with it in `X-Hub-Signature-256`."""

import hashlib
import hmac
from collections.abc import Mapping

from django.conf import settings


def credentials_valid(headers: Mapping[str, str], body: bytes) -> bool:
    secret = settings.EVOLUTION_WEBHOOK_SECRET.encode()
    if not secret:
        return False  # an unconfigured secret refuses everything rather than accepting anyone
    given = headers.get("X-Webhook-Secret")
    if given is not None:
        return hmac.compare_digest(given.encode(), secret)
    signature = headers.get("X-Hub-Signature-256", "")
    if signature.startswith("sha256="):
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature.removeprefix("sha256=").encode(), expected.encode())
    return False
