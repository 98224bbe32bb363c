"""Senders that reach no patient: the console (development without a gateway) and an in-memory
outbox (tests, `manage.py chat`)."""

import sys
import uuid

from channels.base import Outcome, SendResult


class ConsoleSender:
    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        sys.stdout.write(f"[whatsapp {instance} -> ...{number[-2:]}] {text}\n")
        sys.stdout.flush()
        return SendResult(Outcome.SENT)


class LocmemSender:
    """Keeps every send in `outbox` (one list per process)."""

    outbox: list[dict] = []

    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        self.outbox.append({"instance": instance, "number": number, "text": text})
        return SendResult(Outcome.SENT, gateway_id=f"locmem-{uuid.uuid4().hex}")
