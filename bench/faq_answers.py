"""The clinic's FAQ under the fast-lane load (issue 20): questions the demo clinic's own FAQ
answers, sent during `make bench`'s open loop by patients of their own, judged by the fast
lane's targets (an FAQ answer comes from memory like a price).

The expected answers come from the language layer alone (nlu.faq, the demo clinic file's `faq`),
the way bench.webhook_bench computes the fast lane's: a question that the language layer would
answer otherwise, or from no entry, is dropped and listed.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import webhook_bench as wb

FAQ_PREFIX = "7989"  # the FAQ questions' patients (7990-7999 are the other runs')
# Few enough that the warm-up reaches each one: the fast lane's patients are all warm when it is
# measured (a conversation's first message loads its session from the database).
PATIENTS = 10
FAQ_RATE = 2.0  # questions per second, on top of the fast-lane rate (as the LLM lane's)
TABLE = "faq"
TITLE = "FAQ answers during the same run: from memory, judged as the fast lane (issue 20)"

# Asked in each language; the demo clinic's FAQ has a wifi and a wheelchair-access entry.
TEXTS = {
    "ru": ["есть вайфай?", "пароль от wifi", "можно на коляске?"],
    "en": ["do you have wifi?", "what's the wifi password", "is there wheelchair access?"],
    "es": ["¿tienen wifi?", "contraseña del wifi", "¿hay acceso para silla de ruedas?"],
    "pt": ["vocês têm wifi?", "senha do wifi", "tem acesso para cadeira de rodas?"],
    "uk": ["чи є wifi?", "пароль від вайфаю", "чи можна на візку?"],
    "he": ["יש וויפי?", "סיסמה לוויפי", "יש גישה לכיסא גלגלים?"],
}  # fmt: skip


def faq_index(clinic_file: Path = wb.DEMO_CLINIC):
    """The demo clinic's FAQ as the fast lane holds it (its facts aside: they are read from
    the database's providers and settings, not the file)."""
    from nlu.facts import faq_index_build
    from nlu.faq import FaqItem

    data = json.loads(clinic_file.read_text(encoding="utf-8"))
    items = [
        FaqItem(
            key=entry["key"],
            questions={lang: tuple(v) for lang, v in entry["questions"].items()},
            answers=dict(entry["answer"]),
            tags=tuple(entry.get("tags") or ()),
        )
        for entry in data.get("faq") or []
    ]
    return faq_index_build(items, None)


def faq_texts(clinic_file: Path = wb.DEMO_CLINIC) -> tuple[dict, list[str]]:
    """{language: [(question, the FAQ's answer), ...]} for the questions the fast lane answers
    from the FAQ whatever the conversation's language so far, and the ones dropped (with why)."""
    from nlu import compose_reply, understand

    catalog, info = wb.demo_clinic(clinic_file)
    index = faq_index(clinic_file)
    kept: dict[str, list[tuple[str, str]]] = {}
    dropped = []
    for language, texts in TEXTS.items():
        for text in texts:
            answers = set()
            for known in (None, language):  # a new conversation, and one already in `language`
                u = understand(
                    text,
                    catalog=catalog,
                    conversation_language=known,
                    default_language=info.default_language,
                )
                found = index.match(text, u.language)
                own_reply = compose_reply(u, catalog=catalog, clinic=info)
                ok = own_reply is None and found is not None and found.language == language
                answers.add(found.answer if ok else None)
            if None in answers or len(answers) != 1:
                dropped.append(f"{language}: {text!r} (no FAQ answer in {language})")
                continue
            kept.setdefault(language, []).append((text, answers.pop()))
    return kept, dropped


def faq_run(pool, messages: wb.Messages, texts: dict) -> wb.OpenLoopRun:
    return wb.OpenLoopRun(pool, messages, wb.patients(PATIENTS, FAQ_PREFIX), texts)


def judge_faq_answers(run: wb.OpenLoopRun, fake_url: str, targets, results) -> None:
    """`targets`: the fast lane's (p50, p99) in ms."""
    from bench import processes as procs

    every_send = procs.get_json(f"{fake_url}/_fake/sent?since=0")
    sends = [s for s in every_send if s["number"].startswith(FAQ_PREFIX)]
    m = wb.match_replies(run.records, sends)
    lat = wb.latency_summary(m.latencies_ms.get("measured", []))
    p50_target, p99_target = targets
    t = TABLE
    results.add(t, "FAQ questions answered (measured phase)", "", str(lat["count"]), None)
    results.add(t, "latency p50", f"≤ {p50_target:g} ms", f"{lat['p50_ms']:.2f} ms",
                lat["p50_ms"] <= p50_target)  # fmt: skip
    results.add(t, "latency p95", "", f"{lat['p95_ms']:.2f} ms", None)
    results.add(t, "latency p99", f"≤ {p99_target:g} ms", f"{lat['p99_ms']:.2f} ms",
                lat["p99_ms"] <= p99_target)  # fmt: skip
    results.add(t, "replies other than the FAQ's answer", "0", str(m.wrong_text),
                m.wrong_text == 0)  # fmt: skip
    results.add(t, "duplicates / lost", "0 / 0", f"{m.duplicates} / {m.lost}",
                m.duplicates == 0 and m.lost == 0)  # fmt: skip
    results.add(t, "non-200 answers or broken connections", "0", str(m.errors), m.errors == 0)
    results.raw["faq_answers"] = {"latency": lat, "mismatched": m.mismatched}
