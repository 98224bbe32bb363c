"""The LLM lane under load (issue 5): questions the fast lane hands to the model, a fake
OpenAI-compatible model with a fixed latency, and the lane's own overhead.

Overhead = the reply's arrival at the fake gateway minus the webhook request's start, minus the
fake model's fixed latency for each model call the answer made. The fake model answers every
call with the same text and no tool call, so each answer is one call; the run checks that the
model saw exactly one call per question.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench import processes as procs
from bench import webhook_bench as wb

MODEL_LATENCY_S = 0.8
MODEL_REPLY = "A dentist will be glad to explain this at your visit."
LLM_PREFIX = "7992"  # the LLM questions' patients (7995 is the follow-ups run's)

# Questions about procedures, pain and insurance: the fast lane must not answer them.
QUESTIONS = {
    "ru": ["Больно ли ставить пломбу?", "Можно ли отбеливать зубы, если у меня коронки?"],
    "en": ["Does a filling hurt?", "Can I whiten my teeth if I have crowns?"],
    "es": ["¿Duele ponerse un empaste?", "¿Puedo blanquear mis dientes si tengo coronas?"],
    "pt": ["Dói fazer uma obturação?", "Posso clarear os dentes se tenho coroas?"],
    "uk": ["Чи боляче ставити пломбу?", "Чи можна відбілювати зуби, якщо в мене коронки?"],
    "he": ["האם סתימה כואבת?", "אפשר להלבין שיניים אם יש לי כתרים?"],
}  # fmt: skip


def llm_texts(clinic_file: Path = wb.DEMO_CLINIC) -> tuple[dict, list[str]]:
    """{language: [(question, the fake model's reply)]} for the questions the language layer
    sends to the LLM lane (whatever the conversation's language so far), and those dropped."""
    from nlu import compose_reply, understand

    catalog, info = wb.demo_clinic(clinic_file)
    kept: dict[str, list[tuple[str, str]]] = {}
    dropped = []
    for language, questions in QUESTIONS.items():
        for text in questions:
            answers = []
            for known in (None, language):
                u = understand(
                    text,
                    catalog=catalog,
                    conversation_language=known,
                    default_language=info.default_language,
                )
                fast = compose_reply(u, catalog=catalog, clinic=info)
                answers.append(u.language == language and fast is None)
            if all(answers):
                kept.setdefault(language, []).append((text, MODEL_REPLY))
            else:
                dropped.append(f"{language}: {text!r}")
    return kept, dropped


def start_fake_model(running: procs.Processes, api_key: str) -> str:
    argv = [sys.executable, "-m", "testing.fake_openai", "--port", "0"]
    argv += ["--latency", str(MODEL_LATENCY_S), "--reply", MODEL_REPLY, f"--api-key={api_key}"]
    argv += ["--echo-audio"]  # it transcribes the voice notes too (bench.voice_notes)
    fake = running.start("fake-openai", argv, dict(os.environ), pipe_stdout=True)
    return procs.read_json_line(fake, timeout_s=15)["url"]


def model_calls(model_url: str) -> int:
    return len(procs.get_json(f"{model_url}/_fake/requests?since=0"))


def overhead_ms(latencies_ms: list[float]) -> list[float]:
    return [latency - MODEL_LATENCY_S * 1000 for latency in latencies_ms]
