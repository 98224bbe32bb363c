"""The fast lane's language layer: pure Python, no Django, no database.

understand() reads a patient message (intent, language, services, time); compose_reply() writes
the receptionist's answer in the patient's language, or returns None for the LLM lane.
"""

from conversations.nlu.language import detect_language
from conversations.nlu.lexicon import LANGUAGES
from conversations.nlu.replies import (
    ClinicInfo,
    compose_reply,
    handoff_reply,
    text_required_reply,
)
from conversations.nlu.router import INTENTS, Understanding, understand

__all__ = [
    "INTENTS",
    "LANGUAGES",
    "ClinicInfo",
    "Understanding",
    "compose_reply",
    "detect_language",
    "handoff_reply",
    "text_required_reply",
    "understand",
]
