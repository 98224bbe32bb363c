"""The fast lane's language layer: pure Python, no Django, no database, nothing else of the
project (a test says so), so that it can be read, tested and measured on its own.

understand() reads a patient message (intent, language, services, time); compose_reply() writes
the receptionist's answer in the patient's language, or returns None for the LLM lane. What
differs from one intent to another is one row of the intent table (nlu.intents).
PriceIndex is a clinic's price list as the language layer reads it (service names in every
language).
"""

from nlu.catalog import BABEL_LOCALES, PriceIndex, ServiceEntry, format_price
from nlu.intents import Intent, IntentRow, Reply
from nlu.language import detect_language
from nlu.lexicon import LANGUAGES
from nlu.replies import (
    ClinicInfo,
    Handoff,
    compose_reply,
    handoff_reply,
    text_required_reply,
    too_many_questions_reply,
    urgent_reply,
)
from nlu.router import INTENTS, Understanding, understand
from nlu.urgency import is_urgent

__all__ = [
    "BABEL_LOCALES",
    "INTENTS",
    "LANGUAGES",
    "ClinicInfo",
    "Handoff",
    "Intent",
    "IntentRow",
    "PriceIndex",
    "Reply",
    "ServiceEntry",
    "Understanding",
    "compose_reply",
    "detect_language",
    "format_price",
    "handoff_reply",
    "is_urgent",
    "text_required_reply",
    "too_many_questions_reply",
    "understand",
    "urgent_reply",
]
