"""The tools the model may call, and what runs when it does.

Executors work from memory only (the clinic's facts and price list, loaded before the first LLM
call), so a tool round trip costs no database query and cannot outlive the deadline. A tool's
answer is JSON text; a bad call (unknown tool, arguments that are not JSON) gets an error the
model can read, never an exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from conversations.llm.adapters import ToolCallRequest
from nlu import ClinicInfo
from nlu.catalog import PriceIndex, ServiceEntry, format_price

CLOSEST_LIMIT = 3

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
                "Hand the conversation to the clinic's staff: urgent or worrying symptoms, "
                "booking or changing an appointment, complaints, anything you cannot answer "
                "from the facts given. Afterwards tell the patient briefly that a colleague "
                "will reply soon."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "reason": {
                        "type": "string",
                        "enum": ["urgent", "booking", "medical", "complaint", "other"],
                        "description": "Why staff should take over.",
                    }
                },
                "required": ["reason"],
                "additionalProperties": False,
            },
        },
    },
]


def _dumps(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Toolbox:
    """The tools of one answer: the clinic it is for, and what the model asked for so far."""

    clinic: ClinicInfo
    prices: PriceIndex | None
    language: str
    handed_to_staff: bool = False
    handoff_reason: str = ""
    calls: list[str] = field(default_factory=list)  # tool names, in call order

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
        if call.name == "hand_to_staff":
            return _dumps(self.hand_to_staff(str(arguments.get("reason") or "other")))
        return _dumps({"error": f"no tool named {call.name!r}"})

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

    def hand_to_staff(self, reason: str) -> dict:
        self.handed_to_staff = True
        self.handoff_reason = reason
        return {
            "status": "handed_to_staff",
            "instruction": "Tell the patient briefly that a colleague will reply soon.",
        }

    # -- helpers ---------------------------------------------------------------------------------

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
