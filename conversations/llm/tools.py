"""The tools the model may call, and what runs when it does.

This module's own tools (TOOL_SCHEMAS) work from memory only (the clinic's facts and price
list, loaded before the first LLM call): their round trip costs no database query and cannot
outlive the deadline.

Apps above conversations add tools of their own without this package importing them: their
AppConfig.ready() calls register_tools(schemas, executor_factory, rule=...) (appointments
registers the booking tools this way). Such tools are offered only in an answer to a patient
message (a Toolbox with a journal), and the factory is called once per answer, on the first
call of one of its tools, with the Toolbox: the executor it returns is bound to that message's
patient and deadline. These executors may read and write the database; they must keep each
call short, stop at the deadline, and put no phone number or name in a result or a log. Their
`rule` is a line of the system prompt's rules (conversations.llm.context).

A tool's answer is JSON text; a bad call (unknown tool, arguments that are not JSON, an
executor that fails) gets an error the model can read, never an exception.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from conversations.journal import Journal
from conversations.llm.adapters import Deadline, ToolCallRequest, describe
from nlu import ClinicInfo, Handoff, handoff_reply
from nlu.catalog import PriceIndex, ServiceEntry, format_price
from nlu.faq import FACT
from nlu.replies import emergency_instructions

logger = logging.getLogger(__name__)

CLOSEST_LIMIT = 3
FAQ_LOOKUP_LIMIT = 3

# hand_to_staff's reasons. Staff take the conversation over only for an urgent case or when the
# patient asked for a person; for the others staff are asked and the bot answers on.
URGENT_REASON = "urgent"
PATIENT_ASKED_REASON = "patient_asked"
TAKEOVER_REASONS = frozenset({URGENT_REASON, PATIENT_ASKED_REASON})
HANDOFF_REASONS = (URGENT_REASON, PATIENT_ASKED_REASON, "booking", "medical", "complaint", "other")

TOOL_SCHEMAS: list[dict] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_price",
            "description": (
                "The clinic's price for a service, from its price list. Use it for every price "
                "you mention; never guess a price."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "service": {
                        "type": "string",
                        "description": "The service as the patient named it, e.g. 'filling'.",
                    }
                },
                "required": ["service"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "clinic_info",
            "description": "The clinic's name, address, phone number and opening hours.",
            "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "hand_to_staff",
            "description": (
                "Ask the clinic's staff to step in: urgent or worrying symptoms, the patient "
                "asking to talk to a person, complaints, anything you cannot answer from the "
                "facts given or do with your other tools (such as a booking request they cannot "
                "serve). Afterwards tell the patient what the result's instruction says."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "reason": {
                        "type": "string",
                        "enum": list(HANDOFF_REASONS),
                        "description": (
                            "urgent: urgent symptoms; patient_asked: the patient asked for a "
                            "person; otherwise why staff should look at the question."
                        ),
                    }
                },
                "required": ["reason"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "faq_lookup",
            "description": (
                "The clinic's own answers to common questions (its FAQ) that best match a "
                "question, and the clinic's facts (payment methods, insurers, parking, "
                "children, doctors). Use it before saying the clinic does or offers something; "
                "answer from it in the patient's language, never from guesses."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "question": {
                        "type": "string",
                        "description": "The patient's question, in their words.",
                    }
                },
                "required": ["question"],
                "additionalProperties": False,
            },
        },
    },
]


# What a registered app's executor is: (tool name, arguments) -> its JSON-able result.
ToolExecutor = Callable[[str, dict], dict]


@dataclass(frozen=True, slots=True)
class ToolProvider:
    """Tools an app registered: their schemas, what makes their executor for one answer, and a
    line for the system prompt's rules."""

    schemas: tuple[dict, ...]
    executor_factory: Callable[[Toolbox], ToolExecutor]
    rule: str = ""

    @property
    def names(self) -> frozenset[str]:
        return frozenset(schema["function"]["name"] for schema in self.schemas)


TOOL_PROVIDERS: list[ToolProvider] = []


def register_tools(
    schemas: Sequence[dict], executor_factory: Callable[[Toolbox], ToolExecutor], *, rule=""
) -> None:
    """Offer more tools to the model (from an AppConfig.ready()). Registering the same schemas
    again (ready() run twice) changes nothing; a name another provider has is an error."""
    provider = ToolProvider(tuple(schemas), executor_factory, rule)
    if any(p.schemas == provider.schemas for p in TOOL_PROVIDERS):
        return
    taken = {schema["function"]["name"] for schema in TOOL_SCHEMAS}.union(
        *(p.names for p in TOOL_PROVIDERS)
    )
    if not taken.isdisjoint(provider.names):
        raise ValueError(f"tools registered twice: {sorted(taken & provider.names)}")
    TOOL_PROVIDERS.append(provider)


def tool_rules() -> list[str]:
    """The registered providers' lines for the system prompt's rules."""
    return [p.rule for p in TOOL_PROVIDERS if p.rule]


def _in_language(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or next(iter(texts.values()), "")


def _dumps(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Toolbox:
    """The tools of one answer: the clinic it is for, the message it answers (which binds the
    registered tools to its patient), and what the model asked for so far."""

    clinic: ClinicInfo
    prices: PriceIndex | None
    language: str
    journal: Journal | None = None
    deadline: Deadline | None = None
    now: datetime | None = None  # the clinic's clock: what a hand-off may promise
    handed_to_staff: bool = False
    handoff_reason: str = ""
    calls: list[str] = field(default_factory=list)  # tool names, in call order
    _executors: dict[int, ToolExecutor] = field(default_factory=dict, repr=False)

    @property
    def schemas(self) -> list[dict]:
        """The tools offered in this answer: the registered ones only for a patient's message."""
        if self.journal is None:
            return TOOL_SCHEMAS
        return TOOL_SCHEMAS + [schema for p in TOOL_PROVIDERS for schema in p.schemas]

    def run(self, call: ToolCallRequest) -> str:
        self.calls.append(call.name)
        try:
            arguments = json.loads(call.arguments or "{}")
            if not isinstance(arguments, dict):
                raise ValueError("arguments must be an object")
        except ValueError:
            return _dumps({"error": "arguments were not a JSON object"})
        if call.name == "lookup_price":
            return _dumps(self.lookup_price(str(arguments.get("service") or "")))
        if call.name == "clinic_info":
            return _dumps(self.clinic_info())
        if call.name == "faq_lookup":
            return _dumps(self.faq_lookup(str(arguments.get("question") or "")))
        if call.name == "hand_to_staff":
            return _dumps(self.hand_to_staff(str(arguments.get("reason") or "other")))
        provider = self._provider_of(call.name)
        if provider is not None:
            return _dumps(self._run_registered(provider, call.name, arguments))
        return _dumps({"error": f"no tool named {call.name!r}"})

    def _provider_of(self, name: str) -> ToolProvider | None:
        if self.journal is None:
            return None
        return next((p for p in TOOL_PROVIDERS if name in p.names), None)

    def _run_registered(self, provider: ToolProvider, name: str, arguments: dict) -> dict:
        try:
            executor = self._executors.get(id(provider))
            if executor is None:
                executor = self._executors[id(provider)] = provider.executor_factory(self)
            return executor(name, arguments)
        except Exception as exc:  # noqa: BLE001  (the model reads the failure; the answer goes on)
            # The class only: a message of a database error may quote the row's values.
            logger.warning("tool %s failed (%s)", name, describe(exc))
            return {"error": "the tool failed"}

    # -- the tools -----------------------------------------------------------------------------

    def lookup_price(self, service: str) -> dict:
        if self.prices is None or not len(self.prices):
            return {"found": False, "note": "The price list is not available right now."}
        term = service.strip()
        if not term:
            return {"found": False, "services": [self._entry(s) for s in self.prices]}
        matches = self._find(term)
        if matches:
            return {"found": True, "services": [self._entry(s) for s in matches]}
        closest = self.prices.closest(term, limit=CLOSEST_LIMIT)
        return {
            "found": False,
            "note": "Not on the clinic's price list.",
            "similar": [self._entry(s) for s in closest],
        }

    def clinic_info(self) -> dict:
        info = self.clinic
        return {
            "name": info.name,
            "address": info.address,
            "phone": info.phone,
            "timezone": info.timezone,
            "opening_hours": {day: hours or "closed" for day, hours in info.business_hours.items()},
        }

    def faq_lookup(self, question: str) -> dict:
        """The FAQ entries near the question (a looser bar than the fast lane's: the model
        judges them), and every fact the clinic gave, in the patient's language where it can."""
        faq = self.prices.extras.get("faq") if self.prices is not None else None
        if not faq:
            return {"found": False, "note": "The clinic has no FAQ or facts on record."}
        matches = faq.lookup(question, self.language, limit=FAQ_LOOKUP_LIMIT)
        facts = {
            item.key: _in_language(item.answers, self.language)
            for item in faq.items
            if item.source == FACT
        }
        return {
            "found": bool(matches),
            "matches": [
                {"question": m.question, "answer": m.answer, "language": m.language}
                for m in matches
            ],
            "facts": facts,
        }

    def hand_to_staff(self, reason: str) -> dict:
        """Staff are asked; whether they take the conversation over depends on the reason
        (takes_over). The model is told what it may promise: when a colleague will answer, on
        the clinic's clock, and for an urgent case the clinic's emergency instructions."""
        self.handed_to_staff = True
        self.handoff_reason = reason if reason in HANDOFF_REASONS else "other"
        kind = Handoff.TAKEN if self.takes_over else Handoff.SOFT
        overrides = self.prices.extras.get("replies", {}) if self.prices is not None else {}
        line = handoff_reply(self.language, self.clinic, self.now, kind, overrides)
        instruction = f"Tell the patient briefly, in their language, what this says: {line}"
        if self.handoff_reason == URGENT_REASON:
            instruction = (
                "First give the patient these emergency instructions word for word: "
                f"{emergency_instructions(self.clinic, self.language)} Then: {line}"
            )
        status = "handed_to_staff" if self.takes_over else "staff_asked"
        return {"status": status, "instruction": instruction}

    @property
    def takes_over(self) -> bool:
        """Staff take the conversation over (the bot falls silent in it): an urgent case or a
        patient who asked for a person. Otherwise staff are asked and the bot answers on."""
        return self.handed_to_staff and self.handoff_reason in TAKEOVER_REASONS

    # -- helpers ---------------------------------------------------------------------------------

    def services_named(self, term: str) -> list[ServiceEntry]:
        """The price list's services the words (or a service code) name, as lookup_price
        finds them; empty without a price list."""
        if self.prices is None or not term.strip():
            return []
        return self._find(term.strip())

    def _find(self, term: str) -> list[ServiceEntry]:
        by_code = self.prices.get(term.lower())
        if by_code is not None:
            return [by_code]
        return self.prices.find(term, self.language) or self.prices.find(term)

    def _entry(self, service: ServiceEntry) -> dict:
        entry = {
            "service": service.name_in(self.language),
            "price": format_price(service.price, service.currency, self.language),
        }
        if service.duration_minutes:
            entry["duration_minutes"] = service.duration_minutes
        return entry
