"""`python manage.py chat`: talk to the bot through the webhook's own pipeline (stage A, the
fast lane, the LLM lane and stage B), from a terminal or a script.

Interactive on a terminal; otherwise one message per stdin line. With --json, one object per
message: {"text", "reply", "intent", "lane", "service", "ms", "appointment"} (the patient's next
appointment after the message, or null). Tasks run inline, so the reply of any lane is printed
before the next message is read. --now 2026-12-08T09:30 starts the conversation's clock at that
clinic-local time (it runs on from there).
"""

import json
import sys
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from celery import current_app as celery_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from appointments.selectors import appointment_json, next_appointment
from channels.base import InboundMessage
from channels.senders import LocmemSender
from clinicbot.runtime import aio, clock
from conversations.inbound import inbound_handle
from conversations.models import Clinic
from security.blind_index import normalize_phone

DEFAULT_PHONE = "70000000000"


class Command(BaseCommand):
    help = "Talk to the bot through the same pipeline as the WhatsApp webhook."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="clinic slug (default: the first clinic)")
        parser.add_argument("--phone", default=DEFAULT_PHONE, help="the patient's number")
        parser.add_argument("--json", action="store_true", help="one JSON object per message")
        parser.add_argument(
            "--now", help="start the clock at this clinic-local time, e.g. 2026-12-08T09:30"
        )

    def handle(self, *args, clinic=None, phone=DEFAULT_PHONE, json=False, now=None, **options):
        clinic = self._clinic(clinic)
        phone = _digits(phone)
        if now:
            clock.start_at(_local_moment(now, clinic.timezone))
        interactive = sys.stdin.isatty() and not json
        if interactive:
            self.stdout.write(f"Chatting with {clinic.name} as +{phone}. Ctrl-D to leave.")
        # The reply is kept in memory rather than sent to a gateway, and tasks run inline so the
        # LLM lane answers before the next line is read.
        sender, eager = settings.CHANNEL_SENDER_OVERRIDE, celery_app.conf.task_always_eager
        settings.CHANNEL_SENDER_OVERRIDE, celery_app.conf.task_always_eager = "locmem", True
        try:
            for line in self._lines(interactive):
                result = self._exchange(clinic, phone, line)
                self.stdout.write(_json(result) if json else result["reply"] or "(no reply)")
        finally:
            settings.CHANNEL_SENDER_OVERRIDE, celery_app.conf.task_always_eager = sender, eager
            clock.reset()

    def _clinic(self, slug: str | None) -> Clinic:
        clinics = Clinic.objects.order_by("id")
        clinic = clinics.filter(slug=slug).first() if slug else clinics.first()
        if clinic is None:
            raise CommandError(
                f"no clinic {slug!r}" if slug else "no clinic yet: run import_clinic first"
            )
        return clinic

    def _lines(self, interactive: bool):
        while True:
            if interactive:
                self.stdout.write("you> ", ending="")
                self.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                return
            if line.strip():
                yield line.strip()

    def _exchange(self, clinic: Clinic, phone: str, text: str) -> dict:
        message = InboundMessage(
            channel=clinic.channel_kind,
            instance=clinic.whatsapp_instance,
            message_id=f"chat-{uuid.uuid4().hex}",
            phone=phone,
            push_name="",
            text=text,
            from_me=False,
            has_media=False,
            timestamp=int(time.time()),
        )
        sent = len(LocmemSender.outbox)
        handled = aio.run(inbound_handle(message, started_ns=time.perf_counter_ns()))
        # Tasks run inline, so stage B has stored the message and shrunk its journal by now:
        # the reply is what was sent, the rest is stage A's decision.
        replies = [m["text"] for m in LocmemSender.outbox[sent:] if m["number"] == phone]
        decision = handled.decision
        return {
            "text": text,
            "reply": replies[-1] if replies else None,
            "intent": (decision.intent if decision else "") or None,
            "lane": (decision.lane if decision else "") or None,
            "service": (decision.service if decision else "") or None,
            "ms": round(handled.total_ms, 3),
            "appointment": appointment_json(
                next_appointment(clinic=clinic, phone=phone, now=clock.now()), clinic.timezone
            ),
        }


def _local_moment(value: str, timezone: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: {value!r} is not a time like 2026-12-08T09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment


def _digits(phone: str) -> str:
    """The number as the gateway would give it (`+7 900 ...`, `0079...` and `7900...` alike)."""
    try:
        return normalize_phone(phone)
    except ValueError:  # no digits at all
        return DEFAULT_PHONE


def _json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False)
