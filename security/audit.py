"""The HIPAA audit log: append (`audit_record`), verify (`verify_chain`), sign checkpoints.

Each entry's mac is HMAC-SHA256(HIPAA_AUDIT_KEY, prev_mac | canonical JSON of its fields), so
someone with database access but without the key cannot edit, delete or reorder entries unnoticed.
A checkpoint signs the chain head with the RSA key, and is logged, so a truncated or rewritten
chain is caught even by someone who later obtains the audit key.
"""

import base64
import hmac
import ipaddress
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.db import IntegrityError, transaction
from django.utils import timezone

from security.keys import audit_key, public_key_fingerprint, rsa_private_key
from security.models import AuditAction, AuditCheckpoint, AuditEvent, AuditHead, AuditOutcome

logger = logging.getLogger(__name__)

GENESIS_MAC = "0" * 64
HEAD_PK = 1
APPEND_ATTEMPTS = 3
VERIFY_CHUNK = 2000
CHECKPOINT_CONTEXT = b"clinicbot audit checkpoint v1\n"
# The key of `details` naming the clinic an entry is about (security.admin scopes by it).
CLINIC_DETAIL = "clinic"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


@contextmanager
def uncached():
    """Reads of the audit tables go to the database, never to django-cachalot's cache: a row
    changed behind Django's back must be seen as it is. (cachalot's own context manager does not
    restore itself on an exception, hence the explicit enter and exit.)"""
    try:
        from cachalot.api import cachalot_disabled
    except ImportError:  # pragma: no cover - cachalot is installed in this project
        yield
        return
    manager = cachalot_disabled()
    manager.__enter__()
    try:
        yield
    finally:
        manager.__exit__(None, None, None)


def _canonical(
    *, seq, at, actor, action, object_type, object_id, outcome, source_ip, details
) -> bytes:
    fields = {
        "v": 1,
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "source_ip": source_ip,
        "details": details,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def compute_mac(prev_mac: str, **fields) -> str:
    message = prev_mac.encode("ascii") + b"|" + _canonical(**fields)
    return hmac.new(audit_key(), message, sha256).hexdigest()


def event_mac(event: AuditEvent) -> str:
    return compute_mac(
        event.prev_mac,
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        outcome=event.outcome,
        source_ip=event.source_ip,
        details=event.details,
    )


def _clean_details(details) -> dict:
    if details is None:
        return {}
    if not isinstance(details, dict):
        raise TypeError("audit details must be a dict")
    # The stored JSON is what the mac must cover: round-trip now so a reread hashes the same.
    return json.loads(json.dumps(details, allow_nan=False, sort_keys=True))


def _clinic_detail(clinic_id) -> dict:
    return {} if clinic_id is None else {CLINIC_DETAIL: int(clinic_id)}


def audit_record(
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    outcome: str = "success",
    source_ip: str = "",
    details: dict | None = None,
    clinic_id: int | None = None,
) -> AuditEvent:
    """Append one entry to the audit log and return it.

    `clinic_id` names the clinic whose patient or data the entry is about (kept in `details`
    as "clinic", under the mac like every field): the clinic's staff see the entry in the admin.

    Runs in its own atomic block. Called inside a caller's transaction it commits (or rolls back)
    with it, and other appenders wait for that transaction: keep such transactions short.
    """
    if not actor:
        raise ValueError("audit actor is required (a staff username, or 'system')")
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}; add it to AuditAction")
    if outcome not in AuditOutcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    if source_ip:
        try:
            source_ip = str(ipaddress.ip_address(source_ip))
        except ValueError:
            raise ValueError("audit source_ip is not an IP address") from None
    fields = {
        "actor": actor[:150],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "outcome": outcome,
        "source_ip": source_ip,
        "details": _clean_details(details) | _clinic_detail(clinic_id),
    }
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            with uncached(), transaction.atomic():
                return _append(fields)
        except IntegrityError:
            # Two appenders raced where the head lock does not serialise them (SQLite, or the
            # head row's first creation): the unique seq refused one; it re-reads the head.
            if attempt == APPEND_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _locked_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        last = AuditEvent.objects.order_by("-seq").only("seq", "mac").first()
        head = AuditHead.objects.create(
            pk=HEAD_PK, seq=last.seq if last else 0, mac=last.mac if last else GENESIS_MAC
        )
    return head


def _append(fields: dict) -> AuditEvent:
    head = _locked_head()
    seq = head.seq + 1
    at = timezone.now()
    mac = compute_mac(head.mac, seq=seq, at=at, **fields)
    event = AuditEvent.objects.create(seq=seq, at=at, prev_mac=head.mac, mac=mac, **fields)
    head.seq, head.mac = seq, mac
    head.save(update_fields=["seq", "mac"])
    if seq == 1:
        # Signed at once, not at the next hourly checkpoint: the chain's start is in the log
        # from the first entry on, so wiping the tables early cannot pass for a fresh install.
        checkpoint = _signed_checkpoint(seq=seq, head_mac=mac)
        checkpoint.save()
        transaction.on_commit(lambda: _log_checkpoint(checkpoint))
    return event


# --- verification --------------------------------------------------------------------------------


@dataclass
class ChainReport:
    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def fail(self, seq: int | None, problem: str) -> "ChainReport":
        self.broken_seq, self.problem = seq, problem
        return self


def _stream(queryset, key: str, after, chunk_size: int):
    """Rows in `key` order, `chunk_size` at a time: keyset pagination keeps memory bounded
    everywhere, including behind a transaction pooler where server-side cursors are off."""
    while True:
        chunk = list(queryset.filter(**{f"{key}__gt": after}).order_by(key)[:chunk_size])
        yield from chunk
        if len(chunk) < chunk_size:
            return
        after = getattr(chunk[-1], key)


def checkpoint_message(checkpoint: AuditCheckpoint) -> bytes:
    fields = {
        "seq": checkpoint.seq,
        "head_mac": checkpoint.head_mac,
        "at": checkpoint.at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return CHECKPOINT_CONTEXT + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_signature_valid(checkpoint: AuditCheckpoint) -> bool:
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        rsa_private_key().public_key().verify(
            signature, checkpoint_message(checkpoint), PSS, hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _checkpoint_problem(checkpoint: AuditCheckpoint, event: AuditEvent) -> str | None:
    name = f"checkpoint #{checkpoint.pk} (at entry seq {checkpoint.seq})"
    if checkpoint.key_fingerprint != public_key_fingerprint():
        return f"{name} was signed by another RSA key than PHI_RSA_PRIVATE_KEY"
    if not checkpoint_signature_valid(checkpoint):
        return f"{name}: its signature does not verify (forged or altered checkpoint)"
    if checkpoint.head_mac != event.mac:
        return f"{name} does not match the chain: entry seq {event.seq} was replaced"
    return None


def verify_chain(
    *,
    chunk_size: int = VERIFY_CHUNK,
    after_seq: int = 0,
    after_mac: str = GENESIS_MAC,
    until_seq: int | None = None,
    checkpoints: bool = True,
) -> ChainReport:
    """Walk the chain from entry `after_seq + 1` (whose predecessor's mac is `after_mac`) and
    report the first broken entry: an edited row (its mac does not match its contents), a
    deleted one (a gap in seq, or entries missing at the end), a reordered, swapped or replaced
    one (its prev_mac is not its predecessor's mac). With `checkpoints`, also every checkpoint's
    signature and its agreement with the chain."""
    report = ChainReport(head_seq=after_seq)
    with uncached():
        events = AuditEvent.objects.all()
        if until_seq is not None:
            events = events.filter(seq__lte=until_seq)
        pending = (
            _stream(AuditCheckpoint.objects.filter(seq__gt=after_seq), "seq", after_seq, chunk_size)
            if checkpoints
            else iter(())
        )
        checkpoint = next(pending, None)
        expected_seq, prev_mac = after_seq + 1, after_mac
        for event in _stream(events, "seq", after_seq, chunk_size):
            if event.seq != expected_seq:
                return report.fail(
                    expected_seq,
                    f"entry seq {expected_seq} is missing (deleted): the chain jumps from "
                    f"seq {expected_seq - 1} to seq {event.seq}",
                )
            if event.prev_mac != prev_mac:
                return report.fail(
                    event.seq,
                    f"entry seq {event.seq} does not follow entry seq {event.seq - 1} "
                    "(entries were reordered, swapped or replaced)",
                )
            if event_mac(event) != event.mac:
                return report.fail(
                    event.seq, f"entry seq {event.seq} was altered (its mac does not match)"
                )
            while checkpoint is not None and checkpoint.seq == event.seq:
                problem = _checkpoint_problem(checkpoint, event)
                if problem:
                    return report.fail(event.seq, problem)
                report.checkpoints += 1
                checkpoint = next(pending, None)
            report.entries += 1
            report.head_seq = event.seq
            expected_seq, prev_mac = event.seq + 1, event.mac
        if checkpoint is not None:
            return report.fail(
                report.head_seq + 1,
                f"entry seq {report.head_seq + 1} is missing (deleted): checkpoint "
                f"#{checkpoint.pk} covers the chain up to seq {checkpoint.seq}, but it ends at "
                f"seq {report.head_seq}",
            )
        if until_seq is None and after_seq == 0:
            head = AuditHead.objects.filter(pk=HEAD_PK).first()
            if head is not None and head.seq > report.head_seq:
                return report.fail(
                    report.head_seq + 1,
                    f"entry seq {report.head_seq + 1} is missing (deleted): the chain head "
                    f"records seq {head.seq}, but the chain ends at seq {report.head_seq}",
                )
    return report


# --- checkpoints ---------------------------------------------------------------------------------


class AuditChainBroken(Exception):
    pass


def checkpoint_create() -> AuditCheckpoint | None:
    """Sign the current chain head; None when there is nothing new to sign.

    The entries since the previous checkpoint are verified first, so a checkpoint never
    blesses a tampered chain. Two concurrent runs cannot both sign: seq is unique.
    """
    with uncached():
        last_event = AuditEvent.objects.order_by("-seq").only("seq", "mac").first()
        if last_event is None:
            return None
        previous = AuditCheckpoint.objects.order_by("-seq").first()
        if previous is not None and previous.seq >= last_event.seq:
            return None
        if previous is not None and checkpoint_signature_valid(previous):
            report = verify_chain(
                after_seq=previous.seq,
                after_mac=previous.head_mac,
                until_seq=last_event.seq,
                checkpoints=False,
            )
        else:
            report = verify_chain(until_seq=last_event.seq)
    if not report.ok:
        logger.error("audit chain broken, checkpoint not signed: %s", report.problem)
        raise AuditChainBroken(report.problem)
    checkpoint = _signed_checkpoint(seq=last_event.seq, head_mac=last_event.mac)
    try:
        with transaction.atomic():
            checkpoint.save()
    except IntegrityError:
        return None  # another run signed this head first
    _log_checkpoint(checkpoint)
    return checkpoint


def _signed_checkpoint(*, seq: int, head_mac: str) -> AuditCheckpoint:
    private_key = rsa_private_key()
    checkpoint = AuditCheckpoint(
        at=timezone.now(),
        seq=seq,
        head_mac=head_mac,
        key_fingerprint=public_key_fingerprint(private_key),
    )
    signature = private_key.sign(checkpoint_message(checkpoint), PSS, hashes.SHA256())
    checkpoint.signature = base64.b64encode(signature).decode("ascii")
    return checkpoint


def _log_checkpoint(checkpoint: AuditCheckpoint) -> None:
    # The log line is the off-box copy: with it, a rewritten database chain is still caught.
    logger.info(
        "audit checkpoint seq=%s head_mac=%s at=%s key=%s signature=%s",
        checkpoint.seq,
        checkpoint.head_mac,
        checkpoint.at.isoformat(),
        checkpoint.key_fingerprint[:16],
        checkpoint.signature,
    )


def checkpoint_verify(checkpoint: AuditCheckpoint) -> bool:
    """The checkpoint's signature verifies and it matches the chain entry it names."""
    with uncached():
        event = AuditEvent.objects.filter(seq=checkpoint.seq).first()
    return event is not None and _checkpoint_problem(checkpoint, event) is None
