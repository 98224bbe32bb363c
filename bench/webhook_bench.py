"""The webhook scenario: patients, their messages, the open-loop run, and the statistics.

Each request is a real Evolution v2 `messages.upsert` (the shape of
conversations/tests/fixtures/evolution/v2_text_price_ru.json) with a unique key.id. A patient
writes in one language and has at most one message in flight, so a reply is matched to its
request by phone number and order; ~5% of messages are delivered a second time (same key.id),
which must be answered "duplicate" and produce no reply.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import secrets
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bench.loadgen import Pool, build_request, open_loop

INSTANCE = "smile-main"
WEBHOOK_PATH = "/webhooks/evolution"
DEMO_CLINIC = (
    Path(__file__).resolve().parent.parent / "conversations" / "demo" / "smile-dental.json"
)

# Fast-lane texts by the patient's language: price questions (twice as often), greetings,
# thanks, confirmations and clinic info. Checked against the language layer before each run.
TEXTS = {
    "ru": ["Сколько стоит пломба?", "Сколько стоит чистка зубов?", "Здравствуйте", "Спасибо!",
           "Да, на 9 утра", "где вы находитесь?"],
    "en": ["How much is teeth whitening?", "How much is a filling?", "Hello!", "Thank you",
           "Yes, 9am works", "What are your opening hours?"],
    "es": ["¿Cuánto cuesta una limpieza?", "¿Cuánto cuesta un empaste?", "Hola", "Gracias",
           "Sí, a las 9", "¿Dónde están?"],
    "pt": ["Quanto custa um clareamento?", "Quanto custa uma obturação?", "Olá", "Obrigado",
           "Sim, às 9", "Onde vocês ficam?"],
    "uk": ["Скільки коштує пломба?", "Скільки коштує чистка зубів?", "Привіт", "Дякую",
           "Так, о 9 ранку", "Де ви знаходитесь?"],
    "he": ["כמה עולה סתימה?", "כמה עולה הלבנת שיניים?", "שלום", "תודה", "כן, ב-9",
           "איפה אתם נמצאים?"],
}  # fmt: skip
PRICE_WEIGHT = 2  # the first two texts of each language are price questions
REDELIVERY_SHARE = 0.05
REDELIVERY_DELAY_S = (0.05, 1.0)


# --- the texts -----------------------------------------------------------------------------------


def demo_clinic(clinic_file: Path = DEMO_CLINIC):
    """(the price list, the clinic's details) of a clinic file, as the language layer sees them."""
    from nlu import ClinicInfo
    from nlu.catalog import PriceIndex

    data = json.loads(clinic_file.read_text(encoding="utf-8"))
    info = ClinicInfo(
        name=data["name"],
        address=data.get("address", ""),
        phone=data.get("phone", ""),
        timezone=data["timezone"],
        default_language=data["default_language"],
        business_hours=dict(data.get("business_hours") or {}),
    )
    return PriceIndex.from_clinic_file(data), info


def fast_lane_texts(clinic_file: Path = DEMO_CLINIC) -> tuple[dict, list[str]]:
    """{language: [(text, expected reply), ...]} for the texts the fast lane answers the same
    way whatever the conversation's language so far, and the texts dropped (with why).

    Uses the language layer directly (pure Python, no Django), with the demo clinic's price list
    and details, which `import_clinic` also loads into the benchmark database."""
    from nlu import compose_reply, understand

    catalog, info = demo_clinic(clinic_file)
    kept: dict[str, list[tuple[str, str]]] = {}
    dropped = []
    for language, texts in TEXTS.items():
        for text in texts:
            if understand(text, catalog=catalog, default_language=language).intent == "confirm":
                # A yes right after a price answer books that service (the booking lane), and
                # patients here ask prices at random: it is no fast-lane message any more.
                dropped.append(f"{language}: {text!r} (a yes: booking after a price answer)")
                continue
            replies = set()
            for known in (None, language):  # a new conversation, and one already in `language`
                u = understand(
                    text,
                    catalog=catalog,
                    conversation_language=known,
                    default_language=info.default_language,
                )
                replies.add(
                    compose_reply(u, catalog=catalog, clinic=info)
                    if u.language == language
                    else None
                )
            if None in replies or len(replies) != 1:
                dropped.append(f"{language}: {text!r}")
                continue
            weight = PRICE_WEIGHT if text in texts[:2] else 1
            kept.setdefault(language, []).extend([(text, replies.pop())] * weight)
    return kept, dropped


# --- request bodies ------------------------------------------------------------------------------


class Messages:
    """Builds webhook requests with unique WhatsApp message ids."""

    def __init__(self, host: str, secret: str):
        self.host = host
        self.headers = {
            "Content-Type": "application/json",
            "X-Webhook-Secret": secret,
            # DEBUG=false turns the SSL redirect on; Fly's proxy sets this header. Sent to both
            # the webhook and the bare endpoint so both pay the same middleware cost.
            "X-Forwarded-Proto": "https",
        }
        self._tag = secrets.token_hex(3).upper()  # distinct ids from run to run
        self._seq = 0

    def next_id(self) -> str:
        self._seq += 1
        return f"3EB0{self._tag}{self._seq:010X}"

    def body(self, phone: str, message_id: str, text: str) -> bytes:
        payload = {
            "event": "messages.upsert",
            "instance": INSTANCE,
            "data": {
                "key": {"remoteJid": f"{phone}@s.whatsapp.net", "fromMe": False, "id": message_id},
                "pushName": "Bench Patient",
                "status": "DELIVERY_ACK",
                "message": {
                    "conversation": text,
                    "messageContextInfo": {"deviceListMetadataVersion": 2},
                },
                "messageType": "conversation",
                "messageTimestamp": int(time.time()),
                "instanceId": "0b6f3c8e-3d7a-4f6e-9a55-2f1c8f0e9d11",
                "source": "android",
            },
            "destination": "https://bot.example.com/webhooks/evolution",
            "date_time": "2025-10-02T15:56:48.120Z",
            "sender": "74950000000@s.whatsapp.net",
            "server_url": "https://evo.example.com",
            "apikey": None,
        }
        return json.dumps(payload, ensure_ascii=False).encode()

    def request(self, body: bytes, path: str = WEBHOOK_PATH) -> bytes:
        return build_request("POST", path, self.host, body, self.headers)


@dataclass(slots=True)
class Patient:
    phone: str
    language: str


def patients(count: int, prefix: str = "7999") -> list[Patient]:
    languages = list(TEXTS)
    return [Patient(f"{prefix}{i:07d}", languages[i % len(languages)]) for i in range(count)]


# --- the open-loop run ---------------------------------------------------------------------------


@dataclass(slots=True)
class Sent:
    """One webhook request and its answer."""

    kind: str  # "new" or "redelivery"
    phone: str
    message_id: str
    text: str
    expected: str
    phase: str  # "warmup" or "measured"
    due_ns: int = 0
    start_ns: int = 0
    end_ns: int = 0
    status: int = 0
    answer: str = ""


class OpenLoopRun:
    """Fires one new message per tick from a random patient with nothing in flight, and
    re-delivers ~5% of them a little later."""

    def __init__(self, pool: Pool, messages: Messages, people: list[Patient], texts: dict):
        self.pool, self.messages, self.texts = pool, messages, texts
        self.idle = list(people)
        self.records: list[Sent] = []
        self.phase = "warmup"
        self.skipped = 0  # ticks with every patient busy (only when the server stalls)
        self._redeliveries: set[asyncio.Task] = set()
        self._random = random.Random(12)

    async def fire(self, due_ns: int) -> None:
        if not self.idle:
            self.skipped += 1
            return
        # Warm-up takes the longest-idle patient (so every conversation is seen once before
        # measuring: the first message of a conversation loads its session from the
        # database); the measured phase takes a random one.
        index = 0 if self.phase == "warmup" else self._random.randrange(len(self.idle))
        patient = self.idle.pop(index)
        text, expected = self._random.choice(self.texts[patient.language])
        record = Sent("new", patient.phone, self.messages.next_id(), text, expected, self.phase)
        body = self.messages.body(patient.phone, record.message_id, text)
        try:
            await self._send(record, body, due_ns)
        finally:
            self.idle.append(patient)
        if self._random.random() < REDELIVERY_SHARE:
            self._schedule_redelivery(record, body)

    def _schedule_redelivery(self, original: Sent, body: bytes) -> None:
        again = Sent(
            "redelivery", original.phone, original.message_id, original.text, "", self.phase
        )
        delay = self._random.uniform(*REDELIVERY_DELAY_S)
        task = asyncio.ensure_future(self._send_later(again, body, delay))
        self._redeliveries.add(task)
        task.add_done_callback(self._redeliveries.discard)

    async def _send_later(self, record: Sent, body: bytes, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._send(record, body, time.monotonic_ns())

    async def drain(self, timeout_s: float = 15.0) -> None:
        """Wait for the re-deliveries scheduled after the last tick."""
        if self._redeliveries:
            await asyncio.wait(set(self._redeliveries), timeout=timeout_s)

    async def _send(self, record: Sent, body: bytes, due_ns: int) -> None:
        record.due_ns = due_ns
        self.records.append(record)
        record.start_ns, record.status, answer = await self.pool.request(
            self.messages.request(body)
        )
        record.end_ns = time.monotonic_ns()
        if record.status == 200:
            record.answer = json.loads(answer).get("status", "")

    async def run(self, rate: float, seconds: float) -> int:
        return await open_loop(rate, seconds, self.fire)


# --- statistics ----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (the smallest value with at least `fraction` of values at or
    below it); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 9))  # round: 0.95 * 100 is 95.00000000000001
    return ordered[min(max(rank, 1), len(ordered)) - 1]


@dataclass
class Matching:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)  # by phase
    accepted: int = 0
    replies: int = 0
    duplicates: int = 0  # replies beyond one per accepted message
    lost: int = 0  # accepted messages without a reply
    wrong_text: int = 0  # a reply whose text is not the one its message should get
    redelivery_accepted: int = 0  # a redelivery answered "accepted" instead of "duplicate"
    not_accepted: int = 0  # new messages answered 200 but not "accepted"
    errors: int = 0  # non-200 answers or broken connections
    statuses: dict[str, int] = field(default_factory=dict)
    # Each answered message with its reply's latency, for splitting the figures by kind.
    paired: list[tuple[Sent, float]] = field(default_factory=list)
    mismatched: list[dict] = field(default_factory=list)  # the first few, for the report


def match_replies(records: list[Sent], sends: list[dict]) -> Matching:
    """Pair each phone's accepted messages with the replies the gateway received for that
    phone, in order. Extra replies are duplicates; missing ones are lost.

    A request whose answer never came (status 0: the connection broke or timed out) may or may
    not have been accepted: its reply is expected by neither count, so it is neither a
    duplicate nor lost, but it keeps its place in the pairing order. A redelivery of a message
    the server refused (a 503: not accepted, nothing sent) is the gateway's retry doing its job:
    once accepted, it is the message that expects the reply."""
    m = Matching()
    candidates: dict[str, list[Sent]] = defaultdict(list)
    refused = {r.message_id: r for r in records if r.kind == "new" and r.status not in (0, 200)}
    for record in records:
        key = str(record.status) if record.status != 200 else f"200 {record.answer}"
        m.statuses[key] = m.statuses.get(key, 0) + 1
        if record.status != 200:
            m.errors += 1
            if record.status == 0:
                candidates[record.phone].append(record)
        elif record.kind == "redelivery" and record.message_id in refused:
            if record.answer == "accepted":
                original = refused.pop(record.message_id)
                candidates[record.phone].append(replace(record, expected=original.expected))
        elif record.kind == "redelivery":
            m.redelivery_accepted += record.answer == "accepted"
        elif record.answer == "accepted":
            candidates[record.phone].append(record)
        else:
            m.not_accepted += 1
    replies: dict[str, list[dict]] = defaultdict(list)
    for send in sorted(sends, key=lambda s: s["monotonic_ns"]):
        replies[send["number"]].append(send)
    for phone in candidates.keys() | replies.keys():
        mine = sorted(candidates.get(phone, []), key=lambda r: r.start_ns)
        got = replies.get(phone, [])
        accepted = sum(1 for r in mine if r.status == 200)
        m.accepted += accepted
        m.replies += len(got)
        m.duplicates += max(0, len(got) - len(mine))
        m.lost += max(0, accepted - len(got))
        for record, reply in zip(mine, got, strict=False):
            if record.status != 200:
                continue
            if reply["text"] != record.expected:
                m.wrong_text += 1
                if len(m.mismatched) < 10:
                    m.mismatched.append(
                        {"sent": record.text, "expected": record.expected, "got": reply["text"]}
                    )
            latency = (reply["monotonic_ns"] - record.start_ns) / 1e6
            m.latencies_ms.setdefault(record.phase, []).append(latency)
            m.paired.append((record, latency))
    return m


def latency_summary(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50_ms": percentile(values, 0.50),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
        "max_ms": max(values) if values else float("nan"),
    }


def achieved_rate(records: list[Sent], phase: str = "measured") -> float:
    """Accepted new messages per second over the phase, from first start to last answer."""
    done = [r for r in records if r.phase == phase and r.kind == "new" and r.answer == "accepted"]
    if len(done) < 2:
        return 0.0
    span_ns = max(r.end_ns for r in done) - min(r.start_ns for r in done)
    return len(done) / (span_ns / 1e9)


def schedule_lag_ms(records: list[Sent], phase: str = "measured") -> list[float]:
    """How late each new request left against its schedule: the generator's own health."""
    return [(r.start_ns - r.due_ns) / 1e6 for r in records if r.phase == phase and r.kind == "new"]


def records_json(records: list[Sent]) -> list[dict]:
    return [asdict(r) for r in records]


# --- stage B -------------------------------------------------------------------------------------


def inbound_rows(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM conversations_message WHERE direction = 'in'"
        ).fetchone()
    return int(row[0])


def wait_stored(dsn: str, expected: int, timeout_s: float) -> tuple[int, float | None]:
    """Poll until the database holds `expected` inbound rows: (rows seen, seconds waited, or
    None when the timeout passed first)."""
    started = time.monotonic()
    while True:
        rows = inbound_rows(dsn)
        waited = time.monotonic() - started
        if rows >= expected:
            return rows, waited
        if waited >= timeout_s:
            return rows, None
        time.sleep(0.25)


SERVER_TIMINGS = ("total_ms", "send_ms", "fast_lane_ms", "db_ms")


def server_timings(dsn: str, since_epoch: float) -> dict[str, dict[str, float]]:
    """p50/p99 of the timings stage A records per message (conversations_messagemetric), for
    the inbound messages received since `since_epoch`: where the time went inside the app."""
    import psycopg

    columns = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY mm.{c}), "
        f"percentile_cont(0.99) WITHIN GROUP (ORDER BY mm.{c})"
        for c in SERVER_TIMINGS
    )
    query = (
        f"SELECT count(*), {columns} FROM conversations_messagemetric mm "  # noqa: S608
        "JOIN conversations_message m ON m.id = mm.message_id "
        "WHERE m.received_at >= to_timestamp(%s)"
    )
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute(query, (since_epoch,)).fetchone()
    values = iter(row[1:])
    timings = {name: {"p50": next(values), "p99": next(values)} for name in SERVER_TIMINGS}
    return {"count": row[0], **timings}


# --- the saturation runs' bodies -----------------------------------------------------------------


class SaturationBodies:
    """A new fast-lane message per call; each closed-loop client writes as its own few patients
    (so two clients never wait on one conversation's turn)."""

    def __init__(self, messages: Messages, texts: dict, path: str, prefix: str):
        self.messages, self.path = messages, path
        self.flat = [(lang, text) for lang, items in texts.items() for text, _ in items]
        self.prefix = prefix
        self.sent = 0

    def __call__(self, client: int) -> bytes:
        self.sent += 1
        phone = f"{self.prefix}{client:03d}{self.sent % 8:04d}"
        _, text = self.flat[self.sent % len(self.flat)]
        body = self.messages.body(phone, self.messages.next_id(), text)
        return self.messages.request(body, self.path)
