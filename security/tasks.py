from celery import shared_task

from security.audit import checkpoint_create


@shared_task(name="security.tasks.audit_checkpoint")
def audit_checkpoint() -> int | None:
    """Sign the audit chain head (hourly in beat). Safe to run twice: an already signed head is
    skipped. Returns the signed seq, or None when nothing was new."""
    checkpoint = checkpoint_create()
    return checkpoint.seq if checkpoint else None
