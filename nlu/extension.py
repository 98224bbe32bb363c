"""Intents and lexicon entries added while the process runs, and taken away again.

The product's intents are rows of nlu.intents.TABLE and entries of the language modules under
nlu/lexicon/. This adds more at run time (a test's own intent, or one tried out before it
becomes a row of the product) and rebuilds everything derived from the table and the lexicons:
the compiled lexicons, language detection's word weights, the router's priority order, its
closed sets and its typo tables. Every change is checked as the lexicons are at import; one
that fails the check is refused and leaves nothing behind.

    with extension.restoring():  # the product's own table and lexicons when the block ends
        with extension.batch():  # one check and one rebuild for everything inside
            extension.register(IntentRow("parking", priority=75, reply=Reply.TEMPLATE))
            extension.extend("en", strong={"parking": ["is there parking"]},
                             replies={"parking": "Yes, there is free parking."})
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from nlu import language as detection
from nlu import router
from nlu.intents import TABLE, IntentRow, check_row
from nlu.lexicon import LANGUAGES, Entries, compile_lexicons, install

# Entries added so far, by language.
_added: dict[str, Entries] = {}
# Inside batch(): changes wait for the block's end to be checked and take effect.
_deferred = False


def register(row: IntentRow) -> None:
    """Add an intent's row to the table (its name and priority must be new)."""
    check_row(row)
    _change(lambda: TABLE.__setitem__(row.intent, row))


def extend(
    language: str,
    *,
    strong: Mapping[str, Iterable[str]] | None = None,
    weak: Mapping[str, Iterable[str]] | None = None,
    standalone: Mapping[str, str] | None = None,
    replies: Mapping[str, str] | None = None,
) -> None:
    """Add entries to a language's lexicon, shaped like its module's STRONG, WEAK (intent ->
    phrases), STANDALONE (keyword -> intent) and REPLIES (template key -> text)."""
    if language not in LANGUAGES:
        raise ValueError(f"the lexicons have no language {language!r}")
    more = Entries(
        strong={intent: tuple(texts) for intent, texts in (strong or {}).items()},
        weak={intent: tuple(texts) for intent, texts in (weak or {}).items()},
        standalone=dict(standalone or {}),
        replies=dict(replies or {}),
    )
    entries = _added.get(language, Entries()).plus(more)
    _change(lambda: _added.__setitem__(language, entries))


@contextmanager
def batch() -> Iterator[None]:
    """Registrations and extensions inside the block are checked and take effect together when
    it ends, so a row may come before the replies it needs. If the block raises, or the check
    fails, none of them stays."""
    global _deferred
    if _deferred:
        raise RuntimeError("batches do not nest")
    before = _State.now()
    _deferred = True
    try:
        yield
    except BaseException:
        before.put_back()
        raise
    finally:
        _deferred = False
    _rebuild_or_put_back(before)


@contextmanager
def restoring() -> Iterator[None]:
    """Whatever is registered or extended inside the block is gone when it ends."""
    before = _State.now()
    try:
        yield
    finally:
        before.put_back()
        _rebuild()


@dataclass(frozen=True, slots=True)
class _State:
    """The table's rows and the added entries at one moment."""

    rows: dict[str, IntentRow]
    added: dict[str, Entries]

    @classmethod
    def now(cls) -> _State:
        return cls(dict(TABLE), dict(_added))

    def put_back(self) -> None:
        for intent in TABLE.keys() - self.rows.keys():
            del TABLE[intent]
        TABLE.update(self.rows)
        _added.clear()
        _added.update(self.added)


def _change(apply: Callable[[], None]) -> None:
    before = _State.now()
    apply()
    if not _deferred:
        _rebuild_or_put_back(before)


def _rebuild_or_put_back(before: _State) -> None:
    try:
        _rebuild()
    except Exception:
        before.put_back()
        raise


def _rebuild() -> None:
    """Compile and check first, so that a refused change has touched nothing; then put the new
    lexicons in place and derive the rest from them and from the table."""
    lexicons = compile_lexicons(_added)
    install(lexicons)
    detection.derive_tables()
    router.derive_tables()
