"""How often the model may be asked: per conversation per minute (a patient sending question after
question, or a script posing as one) and per clinic per day (the clinic's bill).

Counters in Redis, both taken in one script so that concurrent answers cannot overshoot. Each
window starts at its first call: a conversation's counter expires a minute after the call that
created it, a clinic's a day after. A question refused by the minute limit still counts against
that minute (a patient who keeps writing stays slowed down), but not against the clinic's day.
Key names hold the conversation key (no phone) and the clinic id.
"""

from __future__ import annotations

import enum
import functools
import logging

from django.conf import settings
from redis.exceptions import RedisError

from clinicbot.runtime.redis_client import sync_redis

logger = logging.getLogger(__name__)

MINUTE_S = 60
DAY_S = 86_400

# KEYS: the conversation's counter, the clinic's. ARGV: their limits, their windows.
# Returns 0 (allowed), 1 (the conversation's minute is used up) or 2 (the clinic's day is).
TAKE_SCRIPT = """
local function take(key, window)
    local count = redis.call('INCR', key)
    if count == 1 then redis.call('EXPIRE', key, window) end
    return count
end
if take(KEYS[1], tonumber(ARGV[3])) > tonumber(ARGV[1]) then return 1 end
if take(KEYS[2], tonumber(ARGV[4])) > tonumber(ARGV[2]) then return 2 end
return 0
"""


class Limit(enum.StrEnum):
    NONE = ""
    CONVERSATION = "conversation"
    CLINIC = "clinic"


_RESULTS = {0: Limit.NONE, 1: Limit.CONVERSATION, 2: Limit.CLINIC}


@functools.cache
def _take_script():
    """The script, sent to Redis once and then run by its digest (EVALSHA), as the hot store's."""
    return sync_redis().register_script(TAKE_SCRIPT)


def take_model_call(conversation: str, clinic_id: int | None) -> Limit:
    """Count one answer's model calls against both limits; the limit it is over, if any."""
    if not settings.REDIS_URL:
        return Limit.NONE  # the embedded default: one process, nobody to bill
    keys = [f"cb:llm:c:{conversation}", f"cb:llm:k:{clinic_id}"]
    limits = [
        settings.LLM_CALLS_PER_CONVERSATION_PER_MINUTE,
        settings.LLM_CALLS_PER_CLINIC_PER_DAY,
        MINUTE_S,
        DAY_S,
    ]
    try:
        result = _take_script()(keys=keys, args=limits, client=sync_redis())
    except RedisError as exc:
        # A patient's answer is worth more than a count the next call makes again.
        logger.warning("LLM call limits not checked (%s)", type(exc).__name__)
        return Limit.NONE
    return _RESULTS.get(int(result), Limit.NONE)
