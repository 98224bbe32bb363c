"""Re-encryption under the current master key, and blind-index recomputation (`rotate_phi_key`).

Rotation, step by step (README, Keys):
1. `generate_keys` for a fresh master key; set `PHI_MASTER_KEY=<new>,<old>` on every process and
   restart them: new values are written under the new key, old ones still decrypt.
2. `manage.py rotate_phi_key`: re-encrypts every value not under the new key (legacy plaintext
   included) and recomputes blind indexes. Each batch commits; re-running continues.
3. Set `PHI_MASTER_KEY=<new>` and restart.
"""

from collections.abc import Callable

from django.apps import apps
from django.db import models, transaction

from security.blind_index import blind_index
from security.crypto import PREFIX
from security.fields import EncryptedTextField
from security.keys import keyring

Progress = Callable[[str, int], None]


def encrypted_field_names(model) -> list[str]:
    return [
        field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)
    ]


def models_with_encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = encrypted_field_names(model)
        if names:
            found.append((model, names))
    return found


def models_with_blind_indexes() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if getattr(model, "BLIND_INDEXES", None) and not model._meta.proxy
    ]


def _not_current(model, name: str):
    """Rows whose `name` is neither empty nor already under the current key."""
    prefix = f"{PREFIX}:{keyring().current.key_id}:"
    # `startswith` compares the raw column (pattern lookups skip get_prep_value); `name=""` is
    # stored as is by the field.
    return (
        model._base_manager.exclude(**{f"{name}__startswith": prefix})
        .exclude(**{name: ""})
        .exclude(**{f"{name}__isnull": True})
    )


def pending_counts(model, field_names) -> dict[str, int]:
    return {name: _not_current(model, name).count() for name in field_names}


def rotate_values(
    model, field_names, *, batch_size: int = 500, progress: Progress | None = None
) -> dict[str, int]:
    """Re-encrypt under the current key every value of `field_names` that is not under it.

    Each batch is read with FOR UPDATE (decrypted by the field under whichever key it names),
    written back (encrypted under the current key) and committed; values already current are
    never touched, so an interrupted run is continued by running it again.
    Returns {field name: values re-encrypted}.
    """
    done = {}
    for name in field_names:
        done[name] = 0
        last_pk = None
        while True:
            with transaction.atomic():
                batch = _not_current(model, name).order_by("pk")
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                rows = list(batch.select_for_update().only("pk", name)[:batch_size])
                if rows:
                    model._base_manager.bulk_update(rows, [name])
            if not rows:
                break
            last_pk = rows[-1].pk
            done[name] += len(rows)
            if progress:
                progress(name, len(rows))
            if len(rows) < batch_size:
                break
    return done


def recompute_blind_indexes(
    model, *, batch_size: int = 500, progress: Progress | None = None
) -> dict[str, int]:
    """Recompute each index of `model.BLIND_INDEXES` ({index field: source field}) under the
    current key; only rows whose index changes are written. Returns {index field: rows changed}."""
    changed = {}
    for index_field, source_field in model.BLIND_INDEXES.items():
        changed[index_field] = 0
        last_pk = None
        while True:
            with transaction.atomic():
                batch = model._base_manager.order_by("pk")
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                rows = list(
                    batch.select_for_update().only("pk", index_field, source_field)[:batch_size]
                )
                stale = []
                for row in rows:
                    try:
                        fresh = blind_index(getattr(row, source_field) or "")
                    except ValueError:
                        continue  # no number to index
                    if getattr(row, index_field) != fresh:
                        setattr(row, index_field, fresh)
                        stale.append(row)
                if stale:
                    model._base_manager.bulk_update(stale, [index_field])
            if not rows:
                break
            last_pk = rows[-1].pk
            changed[index_field] += len(stale)
            if progress:
                progress(index_field, len(stale))
            if len(rows) < batch_size:
                break
    return changed
