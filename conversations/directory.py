"""Who a message is for, without waiting on the database.

Clinics are cached per process (10 min TTL, warmed at start). A miss queries the database at most
600 ms and otherwise falls back to the last known value; concurrent misses for one instance make
one query. A clinic edited in the admin is therefore seen by every worker within 10 minutes
(prices have their own 5 s invalidation, see pricing.cache).

Session state (who is in control, opted out, language) lives in Redis with a 5 min TTL; a miss
loads it from the database the same way, but has no last known value to fall back on: when the
database cannot answer, who is in control is unknown (see session_state_load). Both lookups go
through the database circuit breaker: while it is open they fail at once instead of waiting
600 ms each time.

Whether a message is stored already is asked only of a message sent before Redis's 48 h
de-duplication window; that lookup has no fallback either: its caller refuses the message for now.
"""

import asyncio
import functools
import logging
import operator
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from cachalot.api import cachalot_disabled
from django.db import DatabaseError, connection
from django.db.models import F

from clinicbot.runtime import async_db
from clinicbot.runtime.breaker import database_breaker
from clinicbot.runtime.singleflight import SingleFlight
from conversations.models import (
    LID_SUFFIX,
    Clinic,
    ConversationSession,
    Message,
    patient_lookup,
    phone_index_candidates,
)
from nlu import ClinicInfo

logger = logging.getLogger(__name__)

CLINIC_TTL_S = 600
LOOKUP_CAP_S = 0.6


class ClinicUnavailable(Exception):
    """The clinic could not be looked up (database down, nothing cached)."""


@dataclass(frozen=True, slots=True)
class ClinicSnapshot:
    """What the request path needs of a clinic; `info` is what the replies quote from it."""

    id: int
    slug: str
    channel: str  # the kind of channel (channels.registry) that reaches its number
    instance: str
    default_language: str
    info: ClinicInfo
    handoff_release_hours: int = 24
    transcription_model: str = ""  # empty: settings.TRANSCRIPTION_MODEL

    @classmethod
    def of(cls, clinic) -> "ClinicSnapshot":
        info = ClinicInfo(
            name=clinic.name,
            address=clinic.address,
            phone=clinic.phone,
            timezone=clinic.timezone,
            default_language=clinic.default_language,
            business_hours=dict(clinic.business_hours),
            emergency_instructions=dict(clinic.emergency_instructions or {}),
        )
        return cls(
            clinic.id,
            clinic.slug,
            clinic.channel_kind,
            clinic.whatsapp_instance,
            clinic.default_language,
            info,
            clinic.handoff_release_hours,
            clinic.transcription_model,
        )


def _load_clinic(channel: str, instance: str) -> ClinicSnapshot | None:
    try:
        with cachalot_disabled():  # this directory is the cache
            clinic = Clinic.objects.filter(channel_kind=channel, whatsapp_instance=instance).first()
        return ClinicSnapshot.of(clinic) if clinic else None
    finally:
        connection.close()  # back to the pool: no request_finished reaches this thread


_load_clinic_async = sync_to_async(_load_clinic, thread_sensitive=False)


def _load_all_clinics() -> list[ClinicSnapshot]:
    return [ClinicSnapshot.of(clinic) for clinic in Clinic.objects.all()]


class ClinicDirectory:
    """Clinics by (channel kind, instance): a message finds its clinic only through the channel
    the clinic is on."""

    def __init__(self):
        self._entries: dict[tuple[str, str], tuple[ClinicSnapshot, float]] = {}
        self._flight = SingleFlight()

    def warm(self) -> int:
        """Load every clinic (blocking; called from a start-up thread)."""
        now = time.monotonic()
        clinics = _load_all_clinics()
        for clinic in clinics:
            self._entries[clinic.channel, clinic.instance] = (clinic, now)
        return len(clinics)

    def all(self) -> list[ClinicSnapshot]:
        return [clinic for clinic, _ in self._entries.values()]

    def forget(self) -> None:
        self._entries.clear()

    def cached(self, channel: str, instance: str) -> ClinicSnapshot | None:
        entry = self._entries.get((channel, instance))
        if entry and time.monotonic() - entry[1] < CLINIC_TTL_S:
            return entry[0]
        return None

    async def get(self, channel: str, instance: str) -> ClinicSnapshot | None:
        """The clinic with that instance on that channel; None when no clinic has it. Raises
        ClinicUnavailable."""
        fresh = self.cached(channel, instance)
        if fresh is not None:
            return fresh
        key = (channel, instance)
        stale = self._entries.get(key)
        try:
            async with database_breaker.aguard():
                clinic = await asyncio.wait_for(
                    self._flight.do(key, lambda: _load_clinic_async(*key)), LOOKUP_CAP_S
                )
        except (TimeoutError, DatabaseError) as exc:
            if stale is not None:
                logger.warning(
                    "clinic lookup failed (%s); serving the last known", type(exc).__name__
                )
                return stale[0]
            raise ClinicUnavailable(instance) from exc
        if clinic is not None:
            self._entries[key] = (clinic, time.monotonic())
        return clinic


clinics = ClinicDirectory()


# --- session state --------------------------------------------------------------------------------
DEFAULT_SESSION = {"control": "bot", "status": "active", "language": "", "awaiting": ""}
_session_flight = SingleFlight()


def _names(phone: str, lid: str) -> list[str]:
    """The patient's names to look for: the phone (or LID), and the LID named beside it."""
    return [phone, lid] if lid and lid != phone else [phone]


def _load_session_state(clinic_id: int, phone: str, lid: str = "") -> dict[str, str]:
    """The blocking lookup, for a database other than PostgreSQL (the embedded SQLite)."""
    known = functools.reduce(operator.or_, (patient_lookup(name) for name in _names(phone, lid)))
    try:
        with cachalot_disabled():  # Redis holds the warm state; this is the cold path
            row = (
                ConversationSession.objects.filter(known, clinic_id=clinic_id, channel="whatsapp")
                .values(*SESSION_COLUMNS)
                .order_by(F("control_changed_at").desc(nulls_last=True), "pk")
                .first()
            )
    finally:
        connection.close()  # back to the pool: no request_finished reaches this thread
    return _session_state(row)


_load_session_state_in_thread = sync_to_async(_load_session_state, thread_sensitive=False)


async def _load_session_state_async(clinic_id: int, phone: str, lid: str = "") -> dict[str, str]:
    """The same lookup on the event loop, without a thread (clinicbot.runtime.async_db)."""
    if not async_db.available():
        return await _load_session_state_in_thread(clinic_id, phone, lid)
    names = _names(phone, lid)
    phones = [index for name in names for index in phone_index_candidates(name)]
    lids = [
        index
        for name in names
        if name.endswith(LID_SUFFIX)
        for index in phone_index_candidates(name)
    ]
    row = await async_db.fetch_one(
        _session_sql(len(phones), len(lids)), [clinic_id, *phones, *lids]
    )
    return _session_state(row)


@functools.cache
def _session_sql(phones: int, lids: int) -> str:
    # One placeholder per candidate rather than an array: psycopg adapts a list parameter at
    # several times the CPU of a few strings, on the event loop. Names from the model; the
    # values are parameters. A LID is also looked for among the LIDs conversations learned.
    # Where a patient has two conversations (their phone's and one under their LID, until
    # stage B merges them), the latest hand-over of control wins, as it will in the merge.
    known = f"patient_phone_index IN ({', '.join(['%s'] * phones)})"
    if lids:
        known = f"({known} OR patient_lid_index IN ({', '.join(['%s'] * lids)}))"
    return (
        f"SELECT {', '.join(SESSION_COLUMNS)} FROM {ConversationSession._meta.db_table} "  # noqa: S608
        f"WHERE clinic_id = %s AND channel = 'whatsapp' AND {known} "
        "ORDER BY control_changed_at DESC NULLS LAST, id LIMIT 1"
    )


SESSION_COLUMNS = ("control", "status", "language", "awaiting", "control_changed_at")


def _session_state(row: dict | None) -> dict[str, str]:
    if row is None:
        return dict(DEFAULT_SESSION)
    changed = row.pop("control_changed_at")
    return row | {"control_at": changed.timestamp() if changed else ""}


async def session_state_load(
    clinic: ClinicSnapshot, phone: str, lid: str = ""
) -> dict[str, str] | None:
    """The stored session state when Redis has none (defaults for a conversation the database
    does not have); None when the database cannot answer in 600 ms. Then nobody knows whether
    staff have the conversation, so no default may stand in for it: the caller leaves the reply
    undecided until the database answers."""
    key = (clinic.id, phone, lid)
    try:
        async with database_breaker.aguard():
            return await asyncio.wait_for(
                _session_flight.do(key, lambda: _load_session_state_async(clinic.id, phone, lid)),
                LOOKUP_CAP_S,
            )
    except (TimeoutError, DatabaseError) as exc:
        logger.warning("session lookup failed (%s); control unknown", type(exc).__name__)
        return None


# --- messages already stored ----------------------------------------------------------------------
# What Message's unique constraint covers (instance + WhatsApp id, for what WhatsApp delivered to
# us). The query repeats its condition, so PostgreSQL answers from its partial unique index.
STORED_ONCE = next(
    constraint.condition
    for constraint in Message._meta.constraints
    if constraint.name == "message_unique_per_instance"
)
MESSAGE_STORED_SQL = (
    f"SELECT 1 AS stored FROM {Message._meta.db_table} "  # noqa: S608 - names from the model
    "WHERE clinic_id = %s AND wa_message_id = %s "
    "AND (direction = 'in' OR from_staff) AND NOT (wa_message_id = '') LIMIT 1"
)


def _message_stored_blocking(clinic_id: int, message_id: str) -> bool:
    """The blocking lookup, for a database other than PostgreSQL (the embedded SQLite)."""
    try:
        with cachalot_disabled():
            rows = Message.objects.filter(
                STORED_ONCE, clinic_id=clinic_id, wa_message_id=message_id
            )
            return rows.exists()
    finally:
        connection.close()  # back to the pool: no request_finished reaches this thread


_message_stored_in_thread = sync_to_async(_message_stored_blocking, thread_sensitive=False)


async def _message_stored(clinic_id: int, message_id: str) -> bool:
    if not async_db.available():
        return await _message_stored_in_thread(clinic_id, message_id)
    return await async_db.fetch_one(MESSAGE_STORED_SQL, [clinic_id, message_id]) is not None


async def message_stored(clinic: ClinicSnapshot, message_id: str) -> bool:
    """Whether the clinic's message with this WhatsApp id is stored. Raises TimeoutError, or a
    DatabaseError (CircuitOpen while the breaker is open), when the database cannot say within
    600 ms: there is no safe default to fall back on."""
    async with database_breaker.aguard():
        return await asyncio.wait_for(_message_stored(clinic.id, message_id), LOOKUP_CAP_S)
