"""The corpus of Evolution webhook bodies (corpus/*.json, built from Evolution API's and Baileys'
source; corpus/INDEX.json names each body's versions, its source and what it must parse to)."""

import json
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
INDEX: dict[str, dict] = json.loads((CORPUS / "INDEX.json").read_text(encoding="utf-8"))


def corpus_body(name: str, *, fresh: bool = True) -> dict:
    """The body as the gateway would deliver it now (a message's timestamp the current time:
    one older than the de-duplication window is first looked up in the database)."""
    body = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    data = body.get("data")
    if fresh and isinstance(data, dict) and "messageTimestamp" in data:
        data["messageTimestamp"] = int(time.time())
    return body


def names(*, event: str | None = None, answer: str | None = None) -> list[str]:
    return sorted(
        name
        for name, entry in INDEX.items()
        if (event is None or entry["expect"]["event"] == event)
        and (answer is None or entry["expect"]["answer"] == answer)
    )
