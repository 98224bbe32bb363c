"""Hand-offs under the fast-lane load (issue 20): patients of their own ask for a person, once
each, during `make bench`'s open loop; the clinic tells its on-duty number about every one.

The bench clinic is the demo clinic file with `staff_notify` added (one WhatsApp number, no
quiet hours, hand-offs and urgent cases). Judged: the hand-off replies by the fast lane's
latency targets (the notification is stage B's and Celery's, never the webhook's: it must add
nothing to the reply), and exactly one notification per hand-off, redeliveries included.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import processes as procs
from bench import webhook_bench as wb

HANDOFF_PREFIX = "7988"  # the hand-offs' patients (7989-7999 are the other runs')
HANDOFF_RATE = 1.0  # hand-offs per second, on top of the fast-lane rate
STAFF_NUMBER = "+79870000001"
TABLE = "handoff"
TITLE = (
    "Hand-offs during the same run: the reply's latency and the on-duty notifications (issue 20)"
)

TEXTS = {
    "ru": "Позовите администратора, пожалуйста",
    "en": "I want to talk to a person",
    "es": "Quiero hablar con una persona",
    "pt": "Quero falar com um atendente",
    "uk": "Покличте адміністратора, будь ласка",
    "he": "אני רוצה לדבר עם נציג",
}


def bench_clinic_file(out_dir: Path) -> Path:
    """The demo clinic with on-duty staff to notify, written where the benchmark keeps its
    outputs (the demo file stays as the tests know it)."""
    data = json.loads(wb.DEMO_CLINIC.read_text(encoding="utf-8"))
    data["staff_notify"] = {"whatsapp": [STAFF_NUMBER], "on": ["urgent", "handoff"]}
    path = out_dir / "bench-clinic.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def greeting_texts() -> dict:
    """{language: (hello, the fast lane's reply to it)}."""
    from nlu import compose_reply, understand

    catalog, info = wb.demo_clinic()
    replies = {}
    for language, text in GREETINGS.items():
        u = understand(text, catalog=catalog, default_language=info.default_language)
        replies[language] = (text, compose_reply(u, catalog=catalog, clinic=info))
    return replies


def handoff_texts() -> tuple[dict, list[str]]:
    """{language: [(text, the reply it gets now)]}: a request for a person, answered with when a
    colleague will reply (shortly, or when the clinic opens: its hours, now)."""
    from nlu import Handoff, handoff_reply, understand

    catalog, info = wb.demo_clinic()
    now = datetime.now(UTC)
    kept, dropped = {}, []
    for language, text in TEXTS.items():
        u = understand(text, catalog=catalog, default_language=info.default_language)
        if u.intent != "human" or u.language != language:
            dropped.append(f"{language}: {text!r} (read as {u.intent} in {u.language})")
            continue
        kept[language] = [(text, handoff_reply(language, info, now, Handoff.REQUESTED))]
    return kept, dropped


GREETINGS = {"ru": "Здравствуйте", "en": "Hello!", "es": "Hola", "pt": "Olá", "uk": "Привіт",
             "he": "שלום"}  # fmt: skip
WARM_FOR_S = 2.0  # a patient asks for a person this long after their hello, at the earliest


class HandoffRun(wb.OpenLoopRun):
    """Each patient says hello (not measured: it warms the conversation, as the fast lane's are
    warm when measured), then, a couple of seconds later, asks for a person: the message that
    is measured, and the conversation's last answered by the bot. Each tick sends one of each.
    Redeliveries of the hand-offs as in the fast-lane run."""

    def __init__(self, *args, greetings: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.greetings = greetings
        self.greeted: list[tuple[float, wb.Patient]] = []

    async def fire(self, due_ns: int) -> None:
        sends = [self._greet()] if self.idle else []
        if self.greeted and self.greeted[0][0] <= time.monotonic() - WARM_FOR_S:
            sends.append(self._hand_off(self.greeted.pop(0)[1]))
        if not sends:
            self.skipped += 1
            return
        await asyncio.gather(*(self._send(record, body, due_ns) for record, body in sends))
        for record, body in sends:
            # After the original's answer, as in the fast-lane run: a redelivery that overtook
            # it would be the one accepted, and the original answered `duplicate`.
            if record.phase != "hello" and self._random.random() < wb.REDELIVERY_SHARE:
                self._schedule_redelivery(record, body)

    def _greet(self) -> tuple[wb.Sent, bytes]:
        patient = self.idle.pop(0)
        text, expected = self.greetings[patient.language]
        record = wb.Sent("new", patient.phone, self.messages.next_id(), text, expected, "hello")
        self.greeted.append((time.monotonic(), patient))
        return record, self.messages.body(patient.phone, record.message_id, text)

    def _hand_off(self, patient) -> tuple[wb.Sent, bytes]:
        text, expected = self.texts[patient.language][0]
        record = wb.Sent("new", patient.phone, self.messages.next_id(), text, expected, self.phase)
        return record, self.messages.body(patient.phone, record.message_id, text)


def handoff_run(pool, messages: wb.Messages, texts: dict, seconds: float) -> HandoffRun:
    """Enough patients for every tick of `seconds` (warm-up and measured phase together)."""
    count = math.ceil(HANDOFF_RATE * seconds * 1.2) + 10
    people = [p for p in wb.patients(count, HANDOFF_PREFIX) if p.language in texts]
    return HandoffRun(pool, messages, people, texts, greetings=greeting_texts())


def staff_sends(fake_url: str) -> list[dict]:
    digits = STAFF_NUMBER.lstrip("+")
    return [s for s in procs.get_json(f"{fake_url}/_fake/sent?since=0") if s["number"] == digits]


def wait_for_notifications(fake_url: str, expected: int, timeout_s: float) -> int:
    """The on-duty number's sends once `expected` arrived (Celery sends them after stage B
    stores the hand-offs), else after `timeout_s`, whatever arrived."""
    deadline = time.monotonic() + timeout_s
    while True:
        count = len(staff_sends(fake_url))
        if count >= expected or time.monotonic() >= deadline:
            return count
        time.sleep(0.5)


def judge_handoffs(run: HandoffRun, fake_url: str, fast_lane: dict, targets, results) -> None:
    """`fast_lane`: the same run's fast-lane latency summary; `targets`: its (p50, p99) in ms."""
    every_send = procs.get_json(f"{fake_url}/_fake/sent?since=0")
    sends = [s for s in every_send if s["number"].startswith(HANDOFF_PREFIX)]
    m = wb.match_replies(run.records, sends)
    lat = wb.latency_summary(m.latencies_ms.get("measured", []))
    handed = sum(
        1 for r in run.records if r.kind == "new" and r.phase != "hello" and r.answer == "accepted"
    )
    notified = wait_for_notifications(fake_url, handed, timeout_s=30.0)
    p50_target, p99_target = targets
    t = TABLE
    results.add(t, "hand-offs answered (measured phase)", "", str(lat["count"]), None)
    results.add(t, "reply latency p50", f"≤ {p50_target:g} ms", f"{lat['p50_ms']:.2f} ms",
                lat["p50_ms"] <= p50_target)  # fmt: skip
    results.add(t, "reply latency p99", f"≤ {p99_target:g} ms", f"{lat['p99_ms']:.2f} ms",
                lat["p99_ms"] <= p99_target)  # fmt: skip
    results.add(t, "the fast lane in the same run, p50 / p99", "",
                f"{fast_lane.get('p50_ms', float('nan')):.2f} / "
                f"{fast_lane.get('p99_ms', float('nan')):.2f} ms", None)  # fmt: skip
    redelivered = sum(1 for r in run.records if r.kind == "redelivery")
    results.add(t, "notifications to the on-duty number / hand-offs accepted (redeliveries: "
                f"{redelivered})", "equal", f"{notified} / {handed}",
                notified == handed)  # fmt: skip
    results.add(t, "replies other than the hand-off's", "0", str(m.wrong_text), m.wrong_text == 0)
    results.add(t, "duplicates / lost", "0 / 0", f"{m.duplicates} / {m.lost}",
                m.duplicates == 0 and m.lost == 0)  # fmt: skip
    results.add(t, "non-200 answers or broken connections", "0", str(m.errors), m.errors == 0)
    results.raw["handoffs"] = {"latency": lat, "notified": notified, "accepted": handed}
