"""Each clinic's price list, held in process memory as a PriceIndex (O(1) lookups by every
normalized name and alias, see nlu.catalog).

- Entries live 20 min; a stale or missing entry is refreshed by one query however many requests
  find it stale at once, capped at 600 ms.
- A failed refresh keeps serving the last good list and logs it.
- Other apps' per-clinic data the fast lane answers from (a clinic's FAQ, its own reply texts)
  rides along as the index's `extras`: loaded in the same refresh by the loaders registered with
  `register_companion`, invalidated by the same version (`bump_version`, or `bump_on_change`
  for a model with a `clinic_id`).
- Staff edits bump a per-clinic version in Redis (`cb:prices:{clinic_id}`). The webhook reads that
  version in the same Redis round trip that de-duplicates the message, so every worker answers
  with the new price on the next message after the edit commits (well within 5 s).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from cachalot.api import cachalot_disabled
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_delete, post_save

from clinicbot.runtime.breaker import database_breaker
from clinicbot.runtime.redis_client import sync_redis
from clinicbot.runtime.singleflight import SingleFlight
from nlu.catalog import PriceIndex, ServiceEntry
from pricing.models import Service

logger = logging.getLogger(__name__)

TTL_S = 20 * 60
REFRESH_CAP_S = 0.6


def version_key(clinic_id: int) -> str:
    return f"cb:prices:{clinic_id}"


@dataclass(frozen=True, slots=True)
class Entry:
    index: PriceIndex
    version: str
    loaded_at: float


# name -> loader(clinic_id): what other apps keep in memory beside a clinic's prices.
_COMPANIONS: dict[str, Callable[[int], object]] = {}


def register_companion(name: str, loader: Callable[[int], object]) -> None:
    """Hold `loader(clinic_id)` in `index.extras[name]` beside each clinic's price list (called
    from an app's ready(); the loader runs in a worker thread, its queries uncached)."""
    _COMPANIONS[name] = loader


def bump_on_change(model) -> None:
    """Every save or delete of `model` (which has a `clinic_id`) makes its clinic's cache stale."""

    def announce(sender, instance, **kwargs):
        # After commit: a worker that refreshes on the new version must read the committed row.
        clinic_id = instance.clinic_id
        transaction.on_commit(lambda: bump_version(clinic_id))

    post_save.connect(announce, sender=model, weak=False, dispatch_uid=f"bump:{model._meta.label}")
    post_delete.connect(
        announce, sender=model, weak=False, dispatch_uid=f"bump-del:{model._meta.label}"
    )


def load_price_index(clinic_id: int) -> PriceIndex:
    try:
        with cachalot_disabled():  # this module is the cache
            rows = list(Service.objects.filter(clinic_id=clinic_id, active=True))
            extras = {name: loader(clinic_id) for name, loader in _COMPANIONS.items()}
    finally:
        connection.close()  # back to the pool: this runs in a worker thread
    index = _index_of(rows)
    index.extras = extras
    return index


def _index_of(rows) -> PriceIndex:
    return PriceIndex(
        ServiceEntry(
            code=row.code,
            names=dict(row.names),
            aliases=tuple(row.aliases),
            price=row.price,
            currency=row.currency,
            duration_minutes=row.duration_minutes,
        )
        for row in rows
    )


_load_async = sync_to_async(load_price_index, thread_sensitive=False)


class PriceListCache:
    def __init__(self):
        self._entries: dict[int, Entry] = {}
        self._flight = SingleFlight()
        self.refreshes = 0

    def _fresh(self, clinic_id: int, version: str | None) -> Entry | None:
        entry = self._entries.get(clinic_id)
        if entry is None or time.monotonic() - entry.loaded_at >= TTL_S:
            return None
        if version is not None and version != entry.version:
            return None
        return entry

    async def get(
        self, clinic_id: int, version: str | None = None
    ) -> tuple[PriceIndex | None, bool]:
        """(the price list, whether it came from memory). `version` is the clinic's current
        version from Redis; None means "don't check" (the TTL still applies)."""
        entry = self._fresh(clinic_id, version)
        if entry is not None:
            return entry.index, True
        try:
            async with database_breaker.aguard():
                entry = await asyncio.wait_for(
                    self._flight.do(clinic_id, lambda: self._refresh(clinic_id, version)),
                    REFRESH_CAP_S,
                )
        except (TimeoutError, DatabaseError) as exc:
            last = self._entries.get(clinic_id)
            logger.warning(
                "price list refresh for clinic %s failed (%s); %s",
                clinic_id,
                type(exc).__name__,
                "serving the last good list" if last else "no list to serve",
            )
            return (last.index if last else None), False
        return entry.index, False

    async def _refresh(self, clinic_id: int, version: str | None) -> Entry:
        index = await _load_async(clinic_id)
        self.refreshes += 1
        entry = Entry(index, version or self._current_version(clinic_id), time.monotonic())
        self._entries[clinic_id] = entry
        return entry

    def _current_version(self, clinic_id: int) -> str:
        entry = self._entries.get(clinic_id)
        return entry.version if entry else "0"

    def warm(self, clinic_ids) -> None:
        """Load the given clinics' lists (blocking; from a start-up thread)."""
        for clinic_id in clinic_ids:
            # The version first: a staff edit landing during the load then leaves an older
            # version beside the list, which the next message's newer one replaces. Read after
            # the load, it could label the list from before the edit as the edited one, and that
            # worker would quote the old price until the TTL (a warm-up slowed by a cold start's
            # first imports can well overlap a price change).
            version = read_version(clinic_id)
            self._entries[clinic_id] = Entry(load_price_index(clinic_id), version, time.monotonic())

    def forget(self, clinic_id: int | None = None) -> None:
        if clinic_id is None:
            self._entries.clear()
        else:
            self._entries.pop(clinic_id, None)


def read_version(clinic_id: int) -> str:
    if not settings.REDIS_URL:
        return "0"

    return (sync_redis().get(version_key(clinic_id)) or b"0").decode()


def bump_version(clinic_id: int) -> None:
    """Tell every worker that this clinic's prices changed (call after commit)."""
    price_lists.forget(clinic_id)
    if settings.REDIS_URL:
        sync_redis().incr(version_key(clinic_id))


price_lists = PriceListCache()
