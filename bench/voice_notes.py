"""Voice notes under the fast-lane load (issue 18): Evolution `audioMessage` bodies carrying their
audio as base64, transcribed by the fake OpenAI-compatible server at a fixed latency, and the
voice-note lane's own overhead over that latency.

The fake model server (bench.llm_lane) answers transcriptions too, after the same fixed latency
(TRANSCRIPTION_LATENCY_S): it "hears" each note's audio as the text its bytes spell (the text,
padded with NULs to a voice note's size, its message id last), so a note spoken as a fast-lane
text must get that text's reply. Overhead = the reply's arrival at the fake gateway minus the
webhook request's start, minus the transcription's own time: from the fake's start on the request
to its answer, as the fake records it for that note's audio (the fixed latency, and whatever
the fake, a stand-in for a model on another machine, was slow to do itself while it shared the two
cores at a lower priority). The overhead over the nominal latency is reported beside it. The
run checks one transcription call per note.

Run alone (servers, the fast-lane load and the LLM and booking lanes as in `make bench`, then
this table, also written into BENCHMARKS.md in place of its last figures):

    scripts/with-test-services .venv/bin/python -m bench.voice_notes [--seconds 30]
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys

from bench import llm_lane
from bench import processes as procs
from bench import webhook_bench as wb

VOICE_PREFIX = "7990"  # the voice notes' patients (7991-7999 are the other runs')
PATIENTS = 60
VOICE_RATE = 2.0  # notes per second, on top of the fast-lane rate
TRANSCRIPTION_LATENCY_S = llm_lane.MODEL_LATENCY_S
OVERHEAD_P99_TARGET_MS = 50.0
# About 7 s of WhatsApp's Opus at 16 kbit/s: what a short voice note weighs.
AUDIO_BYTES = 14_000
TABLE = "voice"
TITLE = (
    "Voice notes during the same run: their overhead over the fake transcription's "
    f"{TRANSCRIPTION_LATENCY_S * 1000:.0f} ms (issue 18)"
)


def audio_of(message_id: str, text: str) -> bytes:
    """A note's "audio": the spoken text, NULs, and its message id (unique, so the fake's record
    of each transcription can be told apart by the audio's hash)."""
    spoken, tag = text.encode(), message_id.encode()
    return spoken + bytes(max(1, AUDIO_BYTES - len(spoken) - len(tag))) + tag


class VoiceMessages(wb.Messages):
    """Voice notes (push-to-talk, the audio in the body) that say the given texts."""

    def body(self, phone: str, message_id: str, text: str) -> bytes:
        payload = json.loads(super().body(phone, message_id, ""))
        audio = audio_of(message_id, text)
        payload["data"]["message"] = {
            "audioMessage": {
                "url": "https://mmg.whatsapp.net/v/t62.7117-24/bench.enc",
                "mimetype": "audio/ogg; codecs=opus",
                "seconds": 7,
                "ptt": True,
                "fileLength": str(len(audio)),
            },
            "base64": base64.b64encode(audio).decode(),
        }
        payload["data"]["messageType"] = "audioMessage"
        return json.dumps(payload, ensure_ascii=False).encode()


def voice_run(pool, host: str, secret: str, texts: dict) -> wb.OpenLoopRun:
    people = wb.patients(PATIENTS, VOICE_PREFIX)
    return wb.OpenLoopRun(pool, VoiceMessages(host, secret), people, texts)


def transcriptions(model_url: str) -> list[dict]:
    return procs.get_json(f"{model_url}/_fake/transcriptions?since=0")


def transcription_ms(records: list[dict]) -> dict[str, float]:
    """The fake's own time per transcribed audio (by its SHA-256): start to answer."""
    return {
        r["body"]["file"]["sha256"]: (r["answered_monotonic_ns"] - r["monotonic_ns"]) / 1e6
        for r in records
        if "answered_monotonic_ns" in r and isinstance(r["body"].get("file"), dict)
    }


def overheads(m: wb.Matching, service_ms: dict[str, float]) -> tuple[list[float], list[float]]:
    """The measured notes' overhead over the transcription's own time, and over the nominal
    latency. A note without the fake's record of it (never transcribed) counts as missing."""
    nominal_ms = TRANSCRIPTION_LATENCY_S * 1000
    own, nominal = [], []
    for record, latency in m.paired:
        if record.phase != "measured":
            continue
        nominal.append(latency - nominal_ms)
        audio = audio_of(record.message_id, record.text)
        taken = service_ms.get(hashlib.sha256(audio).hexdigest())
        if taken is not None:
            own.append(latency - taken)
    return own, nominal


def judge_voice_notes(run: wb.OpenLoopRun, fake_url: str, model_url: str, results) -> None:
    every_send = procs.get_json(f"{fake_url}/_fake/sent?since=0")
    sends = [s for s in every_send if s["number"].startswith(VOICE_PREFIX)]
    m = wb.match_replies(run.records, sends)
    records = transcriptions(model_url)
    service_ms = transcription_ms(records)
    own, nominal = overheads(m, service_ms)
    overhead, over_nominal = wb.latency_summary(own), wb.latency_summary(nominal)
    fake_excess = wb.latency_summary(
        [ms - TRANSCRIPTION_LATENCY_S * 1000 for ms in service_ms.values()]
    )
    calls = len(records)
    t = TABLE
    results.add(t, "voice notes answered (measured phase)", "",
                str(over_nominal["count"]), None)  # fmt: skip
    results.add(t, "… of them matched to the fake's record of their transcription", "all",
                str(overhead["count"]), overhead["count"] == over_nominal["count"])  # fmt: skip
    results.add(t, "overhead p50 (reply arrival − request start − the transcription's own time)",
                "", f"{overhead['p50_ms']:.1f} ms", None)  # fmt: skip
    results.add(t, "overhead p95", "", f"{overhead['p95_ms']:.1f} ms", None)
    results.add(t, "overhead p99", f"≤ {OVERHEAD_P99_TARGET_MS:g} ms",
                f"{overhead['p99_ms']:.1f} ms",
                overhead["p99_ms"] <= OVERHEAD_P99_TARGET_MS)  # fmt: skip
    results.add(t, "overhead over the nominal latency instead, p50 / p99", "",
                f"{over_nominal['p50_ms']:.1f} / {over_nominal['p99_ms']:.1f} ms",
                None)  # fmt: skip
    results.add(t, "the fake's own time beyond its latency, p50 / p99", "",
                f"{fake_excess['p50_ms']:.1f} / {fake_excess['p99_ms']:.1f} ms",
                None)  # fmt: skip
    # A note whose request broke (the client's 10 s timeout) may have been transcribed or not;
    # a redelivered note is answered `duplicate` and never transcribed again.
    sent = sum(1 for r in run.records if r.kind == "new")
    results.add(t, "transcription calls / notes accepted / notes sent (warm-up + measured)",
                "accepted ≤ calls ≤ sent", f"{calls} / {m.accepted} / {sent}",
                m.accepted <= calls <= sent)  # fmt: skip
    results.add(t, "non-200 answers or broken connections", "0", str(m.errors), m.errors == 0)
    results.add(t, "replies other than the spoken text's (a request to type)", "0",
                str(m.wrong_text), m.wrong_text == 0)  # fmt: skip
    results.add(t, "duplicates / lost", "0 / 0", f"{m.duplicates} / {m.lost}",
                m.duplicates == 0 and m.lost == 0)  # fmt: skip
    results.raw["voice_notes"] = {"overhead": overhead, "over_nominal": over_nominal,
                                  "fake_excess": fake_excess, "calls": calls,
                                  "accepted": m.accepted, "mismatched": m.mismatched}  # fmt: skip


# --- run alone ------------------------------------------------------------------------------------


def write_section(rendered: str) -> None:
    """Put this run's table into BENCHMARKS.md in place of the one there (or where `make bench`
    puts it, after the LLM lane's), leaving the other runs' figures as `make bench` wrote them."""
    from bench.run import REPORT, TABLE_TITLES

    text = REPORT.read_text(encoding="utf-8")
    section = re.compile(rf"## {re.escape(TITLE)}\n.*?(?=\n## )", re.S)
    if section.search(text):
        text = section.sub(lambda _: rendered.rstrip("\n") + "\n", text, count=1)
    else:
        titles = list(TABLE_TITLES.values())
        following = titles[titles.index(TITLE) + 1 :] + ["How it is measured"]
        anchor = next(f"## {title}\n" for title in following if f"## {title}\n" in text)
        text = text.replace(anchor, rendered + anchor, 1)
    REPORT.write_text(text, encoding="utf-8")


async def _measure(servers, args, texts: dict, results) -> None:
    from bench import run as bench_run

    open_loop = await bench_run.open_loop_run(servers, args, texts, results)
    bench_run.judge_open_loop(open_loop, servers, args, results)
    bench_run.judge_llm_lane(servers, results)
    judge_voice_notes(results.raw.pop("voice_run"), servers.fake_url, servers.model_url, results)


def _fast_lane_beside(results, args) -> str:
    """The same run's fast-lane figures: a voice note queues behind the fast lane's messages
    twice (arriving, and once transcribed), so its overhead is only as good as they are."""
    from bench.run import P50_TARGET_MS, P99_TARGET_MS

    open_loop = results.raw.get("open_loop") or {}
    latency = open_loop.get("latency") or {}
    if not latency:
        return ""
    return (
        f"The fast lane in the same run: p50 {latency['p50_ms']:.2f} ms, p99 "
        f"{latency['p99_ms']:.2f} ms (targets {P50_TARGET_MS:g} and {P99_TARGET_MS:g} ms), "
        f"{open_loop['rate']:.1f} messages/s accepted of {args.rate:g} offered."
    )


def _commit() -> str:
    """HEAD, and whether tracked files differ from it (BENCHMARKS.md aside; an untracked file,
    such as a worktree's .venv link, is not a change to the code measured)."""
    import subprocess

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=procs.ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md")
    return git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if changed else "")


def main(argv: list[str] | None = None) -> int:
    import datetime as dt

    from bench import run as bench_run

    args = bench_run.parse_args(argv)
    load = " ".join(bench_run.Path("/proc/loadavg").read_text().split()[:3])
    # A database of its own: another checkout's `make bench` may be using the shared one.
    bench_run.BENCH_DB = f"{bench_run.BENCH_DB}_voice"
    texts, _ = wb.fast_lane_texts()
    results = bench_run.Results()
    with procs.Processes(bench_run.OUT_DIR / "logs") as running:
        servers = bench_run.start_servers(running, args)
        bench_run.run_event_loop(_measure(servers, args, texts, results))
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = _commit()
    note = (
        f"Measured alone by `python -m bench.voice_notes` ({when}, commit {commit}), under the "
        f"same load as `make bench`'s open loop ({args.rate:g} fast-lane messages/s, "
        f"{args.llm_rate:g} LLM questions/s, {args.booking_rate:g} booking turns/s, "
        f"{args.voice_rate:g} voice notes/s, {args.seconds:g} s measured); the machine's load "
        f"average as it started: {load}. {_fast_lane_beside(results, args)}"
    )
    table = bench_run.render_table(results.checks[TABLE])
    rendered = f"## {TITLE}\n\n{note}\n\n{table}\n\n"
    print(rendered)
    for name in ("webhook", "llm"):
        print(bench_run.render_table(results.checks.get(name, [])) + "\n")
    write_section(rendered)
    failed = [c for c in results.checks[TABLE] if c.ok is False]
    for check in failed:
        print(f"MISSED: {check.name}: {check.measured} (target {check.target})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
