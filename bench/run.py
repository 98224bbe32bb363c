"""`make bench`: the webhook's fast-lane latency at a steady rate, its throughput against a bare
django-ninja endpoint, stage B's storage, and the language layer's micro-benchmark.

    scripts/with-test-services .venv/bin/python -m bench.run [--rate 200] [--seconds 30] ...

Starts on loopback: a fake Evolution gateway, the production web command (gunicorn + uvicorn
workers) for clinicbot and for the bare endpoint, and a Celery worker, all against a database
`clinicbot_bench` and Redis database 12. Writes BENCHMARKS.md and .benchmarks/*.json, prints the
same tables, and exits 1 when a target is missed. Every process it started is stopped on the
way out, also on Ctrl-C, on failure and at the overall time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import booking_bench, clinic_day, faq_answers, health_burst, llm_lane, media_body
from bench import handoff_notices as handoffs
from bench import processes as procs
from bench import voice_notes as voice
from bench import webhook_bench as wb
from bench.followups_bench import FOLLOWUPS, followups_benchmark
from bench.loadgen import Pool, closed_loop
from testing.health_probe import NOT_OK_MS

ROOT = procs.ROOT
OUT_DIR = ROOT / ".benchmarks"
REPORT = ROOT / "BENCHMARKS.md"
BENCH_DB = "clinicbot_bench"
BENCH_REDIS_DB = 12
TIME_LIMIT_S = 900  # the whole run, however it goes; then everything is stopped

# The issues' targets.
P50_TARGET_MS = 5.0
P99_TARGET_MS = 25.0
RATE_TARGET = 200.0
RATE_TOLERANCE = 0.98  # the achieved rate must be within 2% of the offered rate
RATIO_TARGET = 0.7
LLM_RATE = 2.0
LLM_OVERHEAD_P99_TARGET_MS = 50.0
NLU_P99_TARGET_MS = 0.2
BOOKING_P50_TARGET_MS = 50.0
BOOKING_P99_TARGET_MS = 150.0
SLOT_SEARCH_P99_TARGET_MS = 5.0


class OutOfTime(Exception):
    pass


@dataclass
class Check:
    name: str
    target: str
    measured: str
    ok: bool | None  # None: reported, not a target


@dataclass
class Results:
    checks: dict[str, list[Check]] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

    def add(self, table: str, name: str, target: str, measured: str, ok: bool | None) -> None:
        self.checks.setdefault(table, []).append(Check(name, target, measured, ok))

    def failed(self) -> list[Check]:
        return [c for rows in self.checks.values() for c in rows if c.ok is False]


# --- configuration -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="clinicbot benchmarks (make bench)")
    parser.add_argument("--rate", type=float, default=RATE_TARGET, help="new messages per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured open-loop run")
    parser.add_argument("--warmup", type=float, default=5.0, help="open-loop warm-up, seconds")
    parser.add_argument("--patients", type=int, default=400)
    parser.add_argument("--saturation-seconds", type=float, default=30.0,
                        help="closed-loop time measured per server, over all rounds")  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=64, help="closed-loop clients")
    # fly.toml's worker: the LLM lane's tasks wait on the model, so one process would queue
    # stage B and the booking lane behind them.
    parser.add_argument("--celery-concurrency", type=int, default=6)
    parser.add_argument("--clinic-day-seconds", type=float, default=clinic_day.SECONDS)
    parser.add_argument("--llm-rate", type=float, default=LLM_RATE,
                        help="LLM-lane questions per second, on top of --rate")  # fmt: skip
    parser.add_argument("--booking-rate", type=float, default=booking_bench.BOOKING_RATE,
                        help="booking-lane turns per second, on top of --rate")  # fmt: skip
    parser.add_argument("--voice-rate", type=float, default=voice.VOICE_RATE,
                        help="voice notes per second, on top of --rate")  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=2)
    return parser.parse_args(argv)


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def bench_environment(fake_url: str, api_key: str) -> dict[str, str]:
    """The environment of every process: production mode, fresh secrets, isolated stores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CELERY_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(38)[:50],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EVOLUTION_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        DATABASE_URL=with_path(os.environ["DATABASE_URL"], f"/{BENCH_DB}"),
        REDIS_URL=with_path(os.environ["REDIS_URL"], f"/{BENCH_REDIS_DB}"),
        EVOLUTION_API_URL=fake_url,
        EVOLUTION_API_KEY=api_key,
        DJANGO_SETTINGS_MODULE="clinicbot.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def phi_keys(env: dict) -> dict[str, str]:
    """Fresh PHI and audit keys from the project's own `manage.py generate_keys` (the service
    refuses to start without them)."""
    out = procs.run_checked(
        [sys.executable, "manage.py", "generate_keys"], env, "manage.py generate_keys"
    )
    pattern = re.compile(r"^(PHI_MASTER_KEY|PHI_RSA_PRIVATE_KEY|HIPAA_AUDIT_KEY)=(.*)$")
    found = (pattern.match(line.strip()) for line in out.splitlines())
    keys = {m[1]: m[2].strip().strip("'\"") for m in found if m}
    if len(keys) != 3:
        raise RuntimeError(f"manage.py generate_keys printed {sorted(keys)}, not the three keys")
    return keys


# --- set-up --------------------------------------------------------------------------------------


def reset_database(database_url: str) -> None:
    import psycopg

    server = with_path(database_url, "/postgres")
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def reset_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url, socket_timeout=5).flushdb()


def prepare_data(env: dict) -> None:
    reset_database(env["DATABASE_URL"])
    reset_redis(env["REDIS_URL"])
    manage = [sys.executable, "manage.py"]
    procs.run_checked([*manage, "migrate", "--noinput"], env, "migrate")
    clinic_file = handoffs.bench_clinic_file(OUT_DIR)  # the demo clinic, staff on duty
    procs.run_checked([*manage, "import_clinic", str(clinic_file)], env, "import_clinic")


@dataclass
class Servers:
    running: procs.Processes
    fake_url: str
    model_url: str
    web_port: int
    bare_ports: dict[str, int]
    env: dict
    cpu: procs.CpuMeter


def start_fake(running: procs.Processes, api_key: str) -> str:
    argv = [sys.executable, "-m", "testing.fake_evolution", "--port", "0"]
    argv += [f"--api-key={api_key}", "--instance", wb.INSTANCE]  # a key may start with "-"
    fake = running.start("fake-evolution", argv, dict(os.environ), pipe_stdout=True)
    return procs.read_json_line(fake, timeout_s=15)["url"]


def start_servers(running: procs.Processes, args) -> Servers:
    api_key = secrets.token_urlsafe(16)
    fake_url = start_fake(running, api_key)
    model_url = llm_lane.start_fake_model(running, api_key)
    env = bench_environment(fake_url, api_key)
    env.update(OPENAI_API_KEY=api_key, OPENAI_BASE_URL=f"{model_url}/v1")
    env.update(phi_keys(env))
    prepare_data(env)
    web_port = procs.free_port()
    web = running.start(
        "web", procs.web_server_argv("clinicbot.asgi:application", web_port, args.web_workers), env
    )
    bare_env = env | {"DJANGO_SETTINGS_MODULE": "bench.bare_settings"}
    bare_ports = {}
    for name, app in BARE_APPS.items():
        bare_ports[name] = port = procs.free_port()
        running.start(name, procs.web_server_argv(app, port, args.web_workers), bare_env)
    worker = running.start("celery", procs.celery_worker_argv(args.celery_concurrency), env)
    ready = f"http://127.0.0.1:{web_port}/ready"
    procs.wait_until(web, lambda: procs.http_status(ready) == 200, timeout_s=60)
    headers = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}
    for name, port in bare_ports.items():
        probe = f"http://127.0.0.1:{port}{wb.WEBHOOK_PATH}"
        process = next(p for p in running.started if p.name == name)
        procs.wait_until(
            process, lambda probe=probe: procs.http_status(probe, b"{}", headers) == 200, 60
        )
    if not worker.running:
        raise RuntimeError(f"the Celery worker exited: see {worker.log_path}")
    cpu = procs.CpuMeter(running, BENCH_DB)
    quiet_in = procs.wait_until_quiet(cpu, {"web", "celery", *BARE_APPS})
    print(f"servers started and quiet after {quiet_in:.1f} s more", flush=True)
    return Servers(running, fake_url, model_url, web_port, bare_ports, env, cpu)


# The bare endpoint, served two ways (bench.bare_app): the ratio is judged against the first.
BARE_APPS = {"bare": "bench.bare_app:application", "bare-lean": "bench.bare_app:lean_application"}


# --- the runs ------------------------------------------------------------------------------------


def nlu_micro_benchmark(results: Results) -> None:
    """bench/nlu_bench.py on a quiet machine (before any server starts)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "nlu_bench.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    print(f"nlu_bench: {line}")
    found = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, mean ([\d.]+)", line)
    results.raw["nlu"] = {"output": line, "exit": done.returncode}
    table = "nlu"
    if not found:
        results.add(table, "nlu_bench.py ran", "exit 0 with timings", line[:80], False)
        return
    p50, p99, worst, mean = (float(x) for x in found.groups())
    messages = re.match(r"(\d+ messages x \d+ rounds)", line)
    results.add(table, "messages timed", "", messages[1] if messages else "?", None)
    results.add(table, "intent + price lookup, p50", "", f"{p50:.4f} ms", None)
    results.add(
        table,
        "intent + price lookup, p99",
        f"≤ {NLU_P99_TARGET_MS} ms",
        f"{p99:.4f} ms",
        p99 <= NLU_P99_TARGET_MS,
    )
    results.add(table, "mean / max", "", f"{mean:.4f} / {worst:.4f} ms", None)


PATIENT_PREFIX = "7999"  # the open loop's phones; the closed loops use 7997 and 7998


async def open_loop_run(servers: Servers, args, texts: dict, results: Results) -> wb.OpenLoopRun:
    """Warm-up, then the measured phase, at a steady rate, with the LLM lane's questions on
    top; returns the runs' records (judged at the end, when late replies have had every chance
    to arrive)."""
    host = f"127.0.0.1:{servers.web_port}"
    messages = wb.Messages(host, servers.env["EVOLUTION_WEBHOOK_SECRET"])
    pool = Pool("127.0.0.1", servers.web_port)
    await pool.prefill(32)
    run = wb.OpenLoopRun(pool, messages, wb.patients(args.patients, PATIENT_PREFIX), texts)
    questions, dropped = llm_lane.llm_texts()
    for entry in dropped:
        print(f"not an LLM-lane question, dropped: {entry}")
    llm = wb.OpenLoopRun(pool, messages, wb.patients(60, llm_lane.LLM_PREFIX), questions)
    booking = booking_bench.BookingRun(pool, messages, booking_bench.booking_patients())
    notes = voice.voice_run(pool, host, servers.env["EVOLUTION_WEBHOOK_SECRET"], texts)
    faq_questions, faq_dropped = faq_answers.faq_texts()
    for entry in faq_dropped:
        print(f"not an FAQ answer, dropped: {entry}")
    faq = faq_answers.faq_run(pool, messages, faq_questions)
    asks, asks_dropped = handoffs.handoff_texts()
    for entry in asks_dropped:
        print(f"not a request for a person, dropped: {entry}")
    handing = handoffs.handoff_run(pool, messages, asks, args.warmup + args.seconds)
    # The follow-ups run before this one leaves the worker and the database busy for a while.
    quiet = await asyncio.to_thread(procs.wait_until_quiet, servers.cpu, QUIET_NAMES)
    print(f"open loop: the previous run's work done after {quiet:.1f} s", flush=True)
    print(f"open loop: warm-up {args.warmup:g} s at {args.rate:g}/s ...", flush=True)
    await asyncio.gather(
        run.run(args.rate, args.warmup),
        llm.run(args.llm_rate, args.warmup),
        booking.run(args.booking_rate, args.warmup),
        notes.run(args.voice_rate, args.warmup),
        faq.run(faq_answers.FAQ_RATE, args.warmup),
        handing.run(handoffs.HANDOFF_RATE, args.warmup),
    )
    print(f"open loop: measuring {args.seconds:g} s at {args.rate:g}/s "
          f"+ {args.llm_rate:g}/s for the LLM lane "
          f"+ {args.booking_rate:g}/s for the booking lane "
          f"+ {args.voice_rate:g}/s voice notes "
          f"+ {faq_answers.FAQ_RATE:g}/s FAQ questions "
          f"+ {handoffs.HANDOFF_RATE:g}/s hand-offs ...", flush=True)  # fmt: skip
    for measured in (run, llm, booking, notes, faq, handing):
        measured.phase = "measured"
    results.raw["measured_from_epoch"] = time.time()
    cpu_start = servers.cpu.sample()
    await asyncio.gather(
        run.run(args.rate, args.seconds),
        llm.run(args.llm_rate, args.seconds),
        booking.run(args.booking_rate, args.seconds),
        notes.run(args.voice_rate, args.seconds),
        faq.run(faq_answers.FAQ_RATE, args.seconds),
        handing.run(handoffs.HANDOFF_RATE, args.seconds),
    )
    results.raw["cpu_measured_phase"] = servers.cpu.split(cpu_start, servers.cpu.sample())
    await asyncio.gather(*(r.drain() for r in (run, llm, booking, notes, faq, handing)))
    pool.close()
    accepted = sum(1 for r in run.records if r.kind == "new" and r.answer == "accepted")
    # Stragglers get up to 10 s before stage B is checked and the closed loops start.
    await asyncio.to_thread(wait_for_sends, servers.fake_url, accepted, 10.0)
    last_answer_ns = max(r.end_ns for r in run.records)
    llm_accepted = sum(1 for r in llm.records if r.kind == "new" and r.answer == "accepted")
    booked = sum(1 for r in booking.records if r.kind == "new" and r.answer == "accepted")
    heard = sum(1 for r in notes.records if r.kind == "new" and r.answer == "accepted")
    asked = sum(1 for r in faq.records if r.kind == "new" and r.answer == "accepted")
    handed = sum(1 for r in handing.records if r.kind == "new" and r.answer == "accepted")
    stored = accepted + llm_accepted + booked + heard + asked + handed
    await asyncio.to_thread(judge_stage_b, servers, stored, last_answer_ns, results)
    results.raw["llm_run"] = llm
    results.raw["booking_run"] = booking
    results.raw["voice_run"] = notes
    results.raw["faq_run"] = faq
    results.raw["handoff_run"] = handing
    return run


def wait_for_sends(fake_url: str, expected: int, timeout_s: float, since: int = 0) -> list[dict]:
    """The gateway's received sends from index `since`, once `expected` arrived (stragglers
    get up to `timeout_s`; then whatever arrived)."""
    deadline = time.monotonic() + timeout_s
    while True:
        sends = procs.get_json(f"{fake_url}/_fake/sent?since={since}")
        if len(sends) >= expected or time.monotonic() > deadline:
            # A little longer, so a duplicate that trails the last reply is not missed.
            time.sleep(1.0)
            return procs.get_json(f"{fake_url}/_fake/sent?since={since}")
        time.sleep(0.25)


def judge_open_loop(run: wb.OpenLoopRun, servers: Servers, args, results: Results) -> None:
    """Matches the open loop's requests with every reply the gateway received for those
    patients by the end of the whole benchmark (so a late reply is late, not lost)."""
    every_send = procs.get_json(f"{servers.fake_url}/_fake/sent?since=0")
    sends = [s for s in every_send if s["number"].startswith(PATIENT_PREFIX)]
    m = wb.match_replies(run.records, sends)
    lat = wb.latency_summary(m.latencies_ms.get("measured", []))
    warm = wb.latency_summary(m.latencies_ms.get("warmup", []))
    lag = wb.latency_summary(wb.schedule_lag_ms(run.records))
    rate = wb.achieved_rate(run.records)
    redeliveries = sum(1 for r in run.records if r.kind == "redelivery")
    t = "webhook"
    results.add(t, "replies timed (measured phase)", "", str(lat["count"]), None)
    results.add(t, "fast-lane latency p50", f"≤ {P50_TARGET_MS:g} ms",
                f"{lat['p50_ms']:.2f} ms", lat["p50_ms"] <= P50_TARGET_MS)  # fmt: skip
    results.add(t, "fast-lane latency p95", "", f"{lat['p95_ms']:.2f} ms", None)
    results.add(t, "fast-lane latency p99", f"≤ {P99_TARGET_MS:g} ms",
                f"{lat['p99_ms']:.2f} ms", lat["p99_ms"] <= P99_TARGET_MS)  # fmt: skip
    results.add(t, "fast-lane latency max", "", f"{lat['max_ms']:.2f} ms", None)
    results.add(t, "messages per second (accepted, measured phase)",
                f"≥ {args.rate * RATE_TOLERANCE:g} (offered {args.rate:g})", f"{rate:.1f}",
                rate >= args.rate * RATE_TOLERANCE)  # fmt: skip
    results.add(t, "duplicates (extra replies)", "0", str(m.duplicates), m.duplicates == 0)
    results.add(t, "lost (accepted, no reply by the end of the run)", "0", str(m.lost),
                m.lost == 0)  # fmt: skip
    results.add(t, "redeliveries sent / answered `duplicate`", "all `duplicate`",
                f"{redeliveries} / {redeliveries - m.redelivery_accepted}",
                m.redelivery_accepted == 0)  # fmt: skip
    results.add(t, "non-200 answers or broken connections", "0", str(m.errors), m.errors == 0)
    results.add(t, "new messages answered 200 but not `accepted`", "0", str(m.not_accepted),
                m.not_accepted == 0)  # fmt: skip
    results.add(t, "replies with the wrong text (order/content check)", "0",
                str(m.wrong_text), m.wrong_text == 0)  # fmt: skip
    results.add(t, "ticks skipped (every patient had a message in flight)", "0",
                str(run.skipped), run.skipped == 0)  # fmt: skip
    results.add(t, "messages accepted / replies received (warm-up + measured)", "",
                f"{m.accepted} / {m.replies}", None)  # fmt: skip
    results.add(t, "warm-up latency p50 / p99 (not judged)", "",
                f"{warm['p50_ms']:.2f} / {warm['p99_ms']:.2f} ms", None)  # fmt: skip
    results.add(t, "generator lateness p99 (request start vs schedule)", "",
                f"{lag['p99_ms']:.2f} ms", None)  # fmt: skip
    matching = {k: v for k, v in m.__dict__.items() if k != "paired"}  # records are not JSON
    results.raw["open_loop"] = {"latency": lat, "warmup_latency": warm, "schedule_lag": lag,
                                "rate": rate, "matching": matching}  # fmt: skip
    results.raw["open_loop_requests"] = wb.records_json(run.records)
    results.raw["open_loop_sends"] = [
        {k: s[k] for k in ("index", "number", "text", "monotonic_ns")} for s in sends
    ]


def judge_llm_lane(servers: Servers, results: Results) -> None:
    """The LLM lane's own overhead, measured during the fast-lane run (issue 5)."""
    llm: wb.OpenLoopRun = results.raw.pop("llm_run")
    every_send = procs.get_json(f"{servers.fake_url}/_fake/sent?since=0")
    sends = [s for s in every_send if s["number"].startswith(llm_lane.LLM_PREFIX)]
    m = wb.match_replies(llm.records, sends)
    overhead = wb.latency_summary(llm_lane.overhead_ms(m.latencies_ms.get("measured", [])))
    calls = llm_lane.model_calls(servers.model_url)
    t = "llm"
    results.add(t, "questions answered (measured phase)", "", str(overhead["count"]), None)
    results.add(t, "overhead p50 (reply arrival − request start − model latency)", "",
                f"{overhead['p50_ms']:.1f} ms", None)  # fmt: skip
    results.add(t, "overhead p95", "", f"{overhead['p95_ms']:.1f} ms", None)
    results.add(t, "overhead p99", f"≤ {LLM_OVERHEAD_P99_TARGET_MS:g} ms",
                f"{overhead['p99_ms']:.1f} ms",
                overhead["p99_ms"] <= LLM_OVERHEAD_P99_TARGET_MS)  # fmt: skip
    results.add(t, "model calls / questions accepted (warm-up + measured)", "equal",
                f"{calls} / {m.accepted}", calls == m.accepted)  # fmt: skip
    results.add(t, "replies other than the model's answer (a hand-off)", "0",
                str(m.wrong_text), m.wrong_text == 0)  # fmt: skip
    results.add(t, "duplicates / lost", "0 / 0", f"{m.duplicates} / {m.lost}",
                m.duplicates == 0 and m.lost == 0)  # fmt: skip
    results.raw["llm_lane"] = {"overhead": overhead, "model_calls": calls,
                               "accepted": m.accepted}  # fmt: skip


def judge_booking_lane(servers: Servers, args, results: Results) -> None:
    """Booking turns over the webhook during the fast-lane run (issue: appointments)."""
    booking: booking_bench.BookingRun = results.raw.pop("booking_run")
    every_send = procs.get_json(f"{servers.fake_url}/_fake/sent?since=0")
    prefix = booking_bench.BOOKING_PREFIX
    m = wb.match_replies(booking.records, [s for s in every_send if s["number"].startswith(prefix)])
    latency = wb.latency_summary(m.latencies_ms.get("measured", []))
    t = "booking"
    rate = wb.achieved_rate(booking.records)
    offered = f"{latency['count']} at {rate:.1f}/s (offered {args.booking_rate:g}/s)"
    results.add(t, "booking turns answered (measured phase)", "", offered, None)
    p50, p99 = latency["p50_ms"], latency["p99_ms"]
    results.add(t, "reply p50 (reply arrival − request start)",
                f"≤ {BOOKING_P50_TARGET_MS:g} ms", f"{p50:.1f} ms",
                p50 <= BOOKING_P50_TARGET_MS)  # fmt: skip
    results.add(t, "reply p95", "", f"{latency['p95_ms']:.1f} ms", None)
    results.add(t, "reply p99", f"≤ {BOOKING_P99_TARGET_MS:g} ms", f"{p99:.1f} ms",
                p99 <= BOOKING_P99_TARGET_MS)  # fmt: skip
    results.add(t, "duplicates / lost", "0 / 0", f"{m.duplicates} / {m.lost}",
                m.duplicates == 0 and m.lost == 0)  # fmt: skip
    results.raw["booking_lane"] = {"latency": latency, "accepted": m.accepted}


def booking_micro_benchmarks(servers: Servers, results: Results) -> None:
    """Slot search on the database and the 50-way race (bench/booking_bench.py), in the bench's
    environment, before the load runs."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.booking_bench"],
        cwd=ROOT,
        env=servers.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    t = "booking"
    if done.returncode != 0:
        results.add(t, "bench/booking_bench.py ran", "exit 0", done.stderr[-200:], False)
        return
    found = json.loads(done.stdout.strip().splitlines()[-1])
    results.raw["booking_micro"] = found
    search, race = found["slot_search"], found["race"]
    results.add(t, "slot search: clinic", "", f"10 providers, 60 days, "
                f"{found['appointments']} appointments", None)  # fmt: skip
    for name, label in (("nearest_5", "the 5 nearest free times"), ("one_day", "one day's")):
        p99 = search[name]["p99_ms"]
        results.add(t, f"slot search, {label}: p50 / p99",
                    f"p99 ≤ {SLOT_SEARCH_P99_TARGET_MS:g} ms",
                    f"{search[name]['p50_ms']:.2f} / {p99:.2f} ms",
                    p99 <= SLOT_SEARCH_P99_TARGET_MS)  # fmt: skip
    won = race["won"] == 1 and race["active_rows_for_the_slot"] == 1
    results.add(t, f"{race['contenders']}-way race for one slot: won / taken / rows",
                "1 / 49 / 1", f"{race['won']} / {race['taken']} / "
                f"{race['active_rows_for_the_slot']}", won)  # fmt: skip


def judge_machine(results: Results) -> None:
    """What else the machine was doing while the latency was measured."""
    cpu = results.raw.get("cpu_measured_phase")
    if not cpu:
        return
    t = "machine"
    results.add(t, "cores busy, all processes (of " + str(os.cpu_count()) + ")", "",
                f"{cpu['total']:.2f}", None)  # fmt: skip
    results.add(t, "… by the benchmark's processes (web, worker, gateway, load generator)", "",
                f"{cpu['bench_processes']:.2f}", None)  # fmt: skip
    busy = sorted(cpu.get("by_process", {}).items(), key=lambda item: -item[1])
    results.add(t, "… of which, by process (the orchestrator runs the load generator)", "",
                ", ".join(f"{name} {cores:.2f}" for name, cores in busy if cores >= 0.005),
                None)  # fmt: skip
    results.add(t, "… by PostgreSQL for the benchmark's database", "",
                f"{cpu['bench_postgres']:.2f}", None)  # fmt: skip
    results.add(t, "… by everything else (Redis, other users' work)", "",
                f"{cpu['other']:.2f}", None)  # fmt: skip
    results.add(t, "load average before the run", "", results.raw.get("loadavg", "?"), None)


def judge_server_timings(servers: Servers, results: Results) -> None:
    """Where the time went inside stage A, as it recorded itself (MessageMetric)."""
    try:
        timings = wb.server_timings(servers.env["DATABASE_URL"], results.raw["measured_from_epoch"])
    except Exception as exc:  # noqa: BLE001  (the schema may differ; this table is a diagnosis)
        results.add("inside", "stage A's own timings", "", f"unavailable ({exc!r:.80})", None)
        return
    results.raw["server_timings"] = timings
    labels = {
        "total_ms": "in the webhook view, arrival to reply sent (total_ms)",
        "send_ms": "sending the reply to the gateway (send_ms)",
        "fast_lane_ms": "deciding the reply (fast_lane_ms)",
        "db_ms": "database lookups before the reply (db_ms)",
    }
    results.add("inside", "messages with timings (measured phase)", "", str(timings["count"]), None)
    for name, label in labels.items():
        p50, p99 = timings[name]["p50"], timings[name]["p99"]
        shown = "n/a" if p50 is None else f"{p50:.2f} / {p99:.2f} ms"
        results.add("inside", f"{label}, p50 / p99", "", shown, None)


def judge_stage_b(servers: Servers, accepted: int, last_answer_ns: int, results: Results) -> None:
    """Stage B: one inbound row per accepted message, and how long after the last answer."""
    dsn = servers.env["DATABASE_URL"]
    rows, _ = wb.wait_stored(dsn, accepted, timeout_s=30.0)
    lag_s = (time.monotonic_ns() - last_answer_ns) / 1e9
    complete = rows == accepted
    results.add("stage_b", "inbound rows stored / messages accepted", "equal, within 30 s",
                f"{rows} / {accepted}", complete)  # fmt: skip
    results.add("stage_b", "all stored, seconds after the last webhook answer", "",
                f"{lag_s:.1f} s" if complete else "not within 30 s", None)  # fmt: skip
    results.raw["stage_b"] = {"rows": rows, "accepted": accepted, "lag_s": lag_s}


# The throughput comparison: rounds of bare and webhook back to back, in alternating order, and
# the ratio judged as the median of each round's own ratio. This machine's speed drifts by up to
# 40% over tens of seconds (seen: the same bare server at 385 and 722 requests per second
# minutes apart); servers measured minutes apart would compare the drift, not the servers.
SATURATION_ROUNDS = 5
SATURATION_WARMUP_S = 2.0
QUIET_NAMES = {"web", "celery", "bare", "bare-lean", procs.POSTGRES}


@dataclass
class Saturation:
    """One server's closed-loop rounds."""

    name: str
    port: int
    bodies: wb.SaturationBodies
    sends_before: int
    rates: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    cpu: list[dict] = field(default_factory=list)


async def saturation_round(servers: Servers, args, target: Saturation, seconds: float) -> None:
    cpu_start = servers.cpu.sample()
    outcome = await closed_loop(
        "127.0.0.1",
        target.port,
        concurrency=args.concurrency,
        warmup_s=SATURATION_WARMUP_S,
        duration_s=seconds,
        next_request=target.bodies,
    )
    target.cpu.append(servers.cpu.split(cpu_start, servers.cpu.sample()))
    target.rates.append(outcome.rate)
    target.latencies_ms += [ns / 1e6 for ns in outcome.latencies_ns]
    for status, n in outcome.statuses.items():
        target.statuses[status] = target.statuses.get(status, 0) + n


async def saturation_runs(servers: Servers, args, texts: dict, results: Results) -> None:
    secret = servers.env["EVOLUTION_WEBHOOK_SECRET"]
    targets = {}
    for name, port, prefix in (
        ("bare", servers.bare_ports["bare"], "7997"),
        ("bare-lean", servers.bare_ports["bare-lean"], "7996"),
        ("webhook", servers.web_port, "7998"),
    ):
        sends_before = len(procs.get_json(f"{servers.fake_url}/_fake/sent?since=0"))
        bodies = wb.SaturationBodies(
            wb.Messages(f"127.0.0.1:{port}", secret), texts, wb.WEBHOOK_PATH, prefix
        )
        targets[name] = Saturation(name, port, bodies, sends_before)
    seconds = args.saturation_seconds / SATURATION_ROUNDS
    print(f"closed loop: {SATURATION_ROUNDS} rounds of bare and webhook, {args.concurrency} "
          f"clients, {seconds:g} s each; bare-lean once", flush=True)  # fmt: skip
    await saturation_round(servers, args, targets["bare-lean"], args.saturation_seconds / 2)
    catch_up = []
    for round_ in range(SATURATION_ROUNDS):
        pair = ("bare", "webhook") if round_ % 2 == 0 else ("webhook", "bare")
        for name in pair:
            await saturation_round(servers, args, targets[name], seconds)
            # Whatever the webhook left to stage B is done before the next round starts, so
            # that it neither slows the bare endpoint down nor goes unmeasured.
            quiet = await asyncio.to_thread(procs.wait_until_quiet, servers.cpu, QUIET_NAMES)
            if name == "webhook":
                catch_up.append(quiet)
    results.raw["saturation_stage_b_catch_up_s"] = catch_up
    for target in targets.values():
        report_saturation(target, results)
    await asyncio.to_thread(judge_saturation_replies, servers, targets["webhook"], results)
    results.add("throughput", "webhook rounds: stage B still busy after the round", "reported",
                ", ".join(f"{s:.1f} s" for s in catch_up), None)  # fmt: skip
    judge_ratios(targets, results)


def report_saturation(target: Saturation, results: Results) -> None:
    lat = wb.latency_summary(target.latencies_ms)
    cores = statistics.median(c["total"] for c in target.cpu)
    results.raw[f"saturation_{target.name}"] = {
        "rates": target.rates, "statuses": target.statuses, "latency": lat,
        "sent_total": target.bodies.sent, "sends_before": target.sends_before, "cpu": target.cpu,
    }  # fmt: skip
    rates = ", ".join(f"{rate:.0f}" for rate in target.rates)
    bad = sum(n for status, n in target.statuses.items() if status != 200)
    results.add("throughput", f"{target.name}: requests per second", "",
                f"median {statistics.median(target.rates):.0f} (rounds: {rates}; answer p50 "
                f"{lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms; cores busy {cores:.2f})",
                None)  # fmt: skip
    results.add("throughput", f"{target.name}: non-200 answers", "0", str(bad), bad == 0)


def judge_ratios(targets: dict[str, Saturation], results: Results) -> None:
    webhook, bare = targets["webhook"].rates, targets["bare"].rates
    paired = [w / b for w, b in zip(webhook, bare, strict=True) if b]
    ratio = statistics.median(paired) if paired else 0.0
    rounds = ", ".join(f"{r:.2f}" for r in paired)
    results.add("throughput", "webhook / bare (Django's own handler), median of the rounds",
                f"≥ {RATIO_TARGET:g}", f"{ratio:.2f} (rounds: {rounds})",
                ratio >= RATIO_TARGET)  # fmt: skip
    lean = statistics.median(targets["bare-lean"].rates)
    lean_ratio = statistics.median(webhook) / lean if lean else 0.0
    results.add("throughput", "webhook / bare-lean (clinicbot's lean handler)", "reported",
                f"{lean_ratio:.2f}", None)  # fmt: skip
    results.raw["throughput_ratio"] = ratio
    results.raw["throughput_ratio_rounds"] = paired
    results.raw["throughput_ratio_lean"] = lean_ratio


def judge_saturation_replies(servers: Servers, target: Saturation, results) -> None:
    """Under saturation too, every accepted message should get exactly one reply."""
    bodies = target.bodies
    sends = wait_for_sends(servers.fake_url, bodies.sent, 15.0, since=target.sends_before)
    replies = sum(1 for s in sends if s["number"].startswith(bodies.prefix))
    results.add("throughput", "webhook saturation: messages sent / replies received",
                "equal (reported)", f"{bodies.sent} / {replies}", None)  # fmt: skip


# --- the report ----------------------------------------------------------------------------------

TABLE_TITLES = {
    "webhook": "Fast lane at a steady rate (issue 3)",
    "inside": "Where the time went inside the webhook (stage A's own timings, measured phase)",
    "llm": "LLM lane during the same run: its own overhead, fake model at 800 ms (issue 5)",
    voice.TABLE: voice.TITLE,
    faq_answers.TABLE: faq_answers.TITLE,
    handoffs.TABLE: handoffs.TITLE,
    "booking": "Booking lane: turns during the same run, slot search, a race for one slot",
    "machine": "The machine during the measured phase (2 cores shared by everything)",
    "health": "/health through three bursts of 1,000 webhooks, per web server (fault scenario 6)",
    "clinic_day": "Clinic day: the mix against a database 50 ms away (issue 8)",
    "outage": "Fault scenario 1 on the clinic-day stack: the database hangs for 30 s (issue 8)",
    "stage_b": "Stage B: messages stored (delivery guarantee 1)",
    "throughput": "Throughput: clinicbot webhook vs a bare django-ninja endpoint (issue 3)",
    "nlu": "Language layer micro-benchmark, bench/nlu_bench.py (issue 4)",
    "followups": "Follow-ups: 10,000 due, dispatched by one worker (issue 6)",
    "media": "A 40 MiB media body through the production web command (issue 18)",
}


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} × {model}{memory}, {platform.system()} {platform.release()}"


def git_commit() -> str:
    def git(*cmd):
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    # The previous report itself does not count: every run rewrites it.
    changed = git("status", "--porcelain", "--", ".", ":!BENCHMARKS.md").strip()
    dirty = " (with uncommitted changes)" if changed else ""
    return commit + dirty


def render_table(rows: list[Check]) -> str:
    out = ["| metric | target | measured | result |", "|---|---|---|---|"]
    for c in rows:
        verdict = "" if c.ok is None else ("PASS" if c.ok else "**FAIL**")
        out.append(f"| {c.name} | {c.target} | {c.measured} | {verdict} |")
    return "\n".join(out)


def render(results: Results, args, when: dt.datetime, dropped: list[str]) -> str:
    failed = results.failed()
    verdict = "all targets met" if not failed else f"{len(failed)} target(s) missed"
    parts = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (bench/run.py); do not edit by hand.",
        "",
        f"- Machine: {machine()}",
        f"- Date: {when.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Commit: {git_commit()}",
        "- Command: `make bench`",
        f"- Result: {verdict}",
        "",
    ]
    for key, title in TABLE_TITLES.items():
        if key in results.checks:
            parts += [f"## {title}", "", render_table(results.checks[key]), ""]
    parts += [method_notes(args, dropped)]
    return "\n".join(parts)


def method_notes(args, dropped: list[str]) -> str:
    dropped_note = f" Dropped as not fast-lane: {', '.join(dropped)}." if dropped else ""
    return f"""## How it is measured

- **Processes**, all on 127.0.0.1 and all started by the benchmark: PostgreSQL and Redis
  (`scripts/with-test-services`; database `{BENCH_DB}`, Redis db {BENCH_REDIS_DB}), the fake
  Evolution gateway (`testing.fake_evolution`), the production web command
  `gunicorn clinicbot.asgi:application -k uvicorn.workers.UvicornWorker -w {args.web_workers}
  --backlog 2048`, the same command for the bare endpoint (`bench.bare_app`), and
  `celery -A clinicbot worker --concurrency {args.celery_concurrency}`. Production settings:
  `DEBUG=false`, fresh random secrets, demo clinic imported. The load generator runs in the
  orchestrating process (asyncio on uvloop, raw HTTP/1.1 keep-alive), on the same 2 cores.
  The load starts once the servers answer and their processes have gone quiet (under 0.05
  cores over half a second: forked, warmed up), so the warm-up phase warms connections and
  conversations, not imports.
- **Fast-lane latency**: an open loop (requests leave on schedule whatever the server does)
  sends {args.rate:g} new messages/s for {args.warmup:g} s of warm-up, then {args.seconds:g} s
  measured, from {args.patients} patients with distinct phone numbers, each writing in one of
  six languages (price questions twice as often as greetings, thanks, confirmations and clinic
  info); a patient has at most one message in flight. Warm-up takes patients
  least-recently-used first, so every conversation's first message (which loads the session
  from the database) falls in the warm-up; measured messages come from random patients.
  Latency = the fake gateway's arrival stamp of the reply (`monotonic_ns`) minus the moment
  just before the webhook request was written (CLOCK_MONOTONIC is system-wide). Replies are
  matched to requests per phone number in order; each reply's text is also checked against
  the reply the language layer gives for that message.
- **Redeliveries**: {wb.REDELIVERY_SHARE:.0%} of new messages are delivered again with the same
  key.id {wb.REDELIVERY_DELAY_S[0]:g}–{wb.REDELIVERY_DELAY_S[1]:g} s later, on top of the
  {args.rate:g}/s; each must be answered `duplicate` and cause no reply. Duplicates = replies
  beyond one per accepted message; lost = accepted messages with no reply by the end of the
  whole run (about a minute after the open loop ends, so a late reply counts as late, not
  lost). A request whose answer never came (a broken connection or a 10 s read timeout)
  counts as a non-200 answer; its reply, if any, is neither a duplicate nor lost. A tick with
  every patient still waiting for an answer sends nothing and is counted as skipped.
- **Messages per second**: accepted new messages of the measured phase divided by the time
  from the first request's start to the last answer.
- **Throughput**: a closed loop of {args.concurrency} keep-alive clients (opened 2 ms apart, so
  both web workers get their share) against each server, every request a new fast-lane message
  with a unique key.id (the webhook answers each with a real reply through the fake gateway; the
  Celery worker keeps storing). `bare` and the webhook are measured in {SATURATION_ROUNDS} rounds
  back to back, in alternating order, {SATURATION_WARMUP_S:g} s of warm-up and
  {args.saturation_seconds / SATURATION_ROUNDS:g} s measured each; before the next round the
  processes go quiet (stage B has stored what the webhook round left). The ratio is the median
  of the rounds' own ratios: this machine's speed drifts by up to 40% over tens of seconds, so
  only requests measured close together compare the servers. `bare-lean` runs once,
  {args.saturation_seconds / 2:g} s. The bare endpoint is a django-ninja async
  POST at the same path that only `json.loads` the body, under the same settings, served two
  ways: `bare` by Django's own ASGI handler with the project's middleware, as any django-ninja
  endpoint is served out of the box (the 0.7 target is judged against it); `bare-lean` by
  clinicbot's router (`clinicbot.routing`: no middleware, no per-request thread, no request
  signals), as the webhook itself is served. Against `bare-lean` the ratio is reported, not
  judged: that endpoint does one JSON parse, while each webhook message also makes three Redis
  round trips, an HTTP request to the gateway and its share of stage B, on the same two cores.
  All get the same headers (`X-Webhook-Secret`, `X-Forwarded-Proto: https`, which
  the production settings trust, so neither is redirected).
- **Booking lane**: beside the fast-lane load and the LLM questions, {args.booking_rate:g}
  booking turns/s from 80 patients, each walking through its language's dialogue ("book a
  cleaning", "1", "yes", "cancel my appointment", "yes"; bench/booking_bench.py) with a
  {booking_bench.THINK_S:g} s pause after each message; latency as for the fast lane. Before the
  load: slot search on the database for a clinic of 10 providers with 2,000 appointments over
  60 days ({booking_bench.QUERIES} queries each of the 5 nearest free times and of one day's
  free times; the calendar read as a booking turn reads it, providers and rules through
  cachalot, appointments always from PostgreSQL), and {booking_bench.RACERS} processes, each
  a different patient, booking one slot at the same instant.
- **FAQ answers**: during the same open loop, {faq_answers.FAQ_RATE:g} questions/s from
  {faq_answers.PATIENTS} patients of their own, each one the demo clinic's FAQ answers (wifi,
  wheelchair access, in the six languages; bench/faq_answers.py), the expected answer taken
  from the language layer's FAQ index built from the clinic file; judged by the fast lane's
  targets.
- **Hand-offs**: during the same open loop, {handoffs.HANDOFF_RATE:g} requests for a person/s,
  each from a patient of its own who said hello a couple of seconds before (unmeasured: the
  conversation warm, as the fast lane's are; after a hand-off it is the staff's), 5%
  redelivered; the bench clinic is the demo clinic file with `staff_notify` (one WhatsApp
  number, hand-offs and urgent cases, no quiet hours). The reply (when a colleague answers,
  by the clinic's hours now) is judged by the fast lane's targets; the on-duty number must get
  exactly one notification per hand-off accepted (bench/handoff_notices.py).
- **Voice notes**: during the same open loop, {args.voice_rate:g} voice notes/s from
  {voice.PATIENTS} patients, each an Evolution `audioMessage` (push-to-talk) with its
  {voice.AUDIO_BYTES:,}-byte audio as base64 in the body, saying one of the fast-lane texts;
  the fake model server transcribes it after {voice.TRANSCRIPTION_LATENCY_S * 1000:.0f} ms (it
  reads the audio's bytes as the text, up to the NULs that pad it; the note's message id ends
  it). Overhead = the reply's arrival at the fake gateway minus the request's start minus the
  transcription's own time (the fake's start on that note's request to its answer: the latency
  and the fake's own work, done at a lower priority on the same two cores as a model's server on
  another machine would not); the overhead over the nominal latency is reported beside it. The
  reply must be the spoken text's fast-lane reply.
- **/health through bursts**: {health_burst.BURSTS} bursts of {health_burst.BURST_SIZE}
  webhooks from new patients ("Привет"), each sent as fast as {health_burst.SENDERS} keep-alive
  clients can, from a process at nice {health_burst.STAND_IN_NICENESS} (the fake gateway and the
  Celery worker are niced too while they run: all stand in for other machines, as in the fault
  tests); a process of its own at normal priority gets `/health` every 10 ms meanwhile
  (bench/health_burst.py). First against the production web command with one worker, the server
  fault scenario 6 was set on (judged); then against the two-worker server (reported: here its
  two workers share 2 cores with each other, PostgreSQL, Redis, the senders and the probe). A burst
  starts once the one before is stored and the processes are quiet; the p99 is over all probes.
- **Stage B**: after the open-loop run, the database is polled until it holds one inbound
  `conversations_message` row per accepted message.
- **Texts**: each text is checked before the run with `nlu.understand` and
  `compose_reply` against the demo clinic's price list, for a new conversation and for one
  already in its language; any that would go to the LLM lane is dropped.{dropped_note}
- **A 40 MiB media body** (bench/media_body.py): a fresh production web command (two workers),
  warmed up with {media_body.WARM_UP_ROUNDS} text messages and as many 0.75 MiB image bodies;
  then one image body of {media_body.BODY_MIB} MiB with a caption, its file in
  `data.message.base64` as Evolution's webhook base64 puts it. The growth is that of the sum of
  the workers' peak resident memory (VmHWM, /proc/<pid>/status) from just before the request to
  just after its answer.
- Raw per-request results: `.benchmarks/webhook-*.json`; process logs: `.benchmarks/logs/`.
"""


def write_outputs(results: Results, args, dropped: list[str]) -> None:
    when = dt.datetime.now(dt.UTC)
    OUT_DIR.mkdir(exist_ok=True)
    raw_path = OUT_DIR / f"webhook-{when.strftime('%Y%m%dT%H%M%SZ')}.json"
    raw_path.write_text(json.dumps(results.raw, default=str))
    text = render(results, args, when, dropped)
    REPORT.write_text(text, encoding="utf-8")
    print("\n" + text.split("## How it is measured")[0])
    print(f"raw results: {raw_path.relative_to(ROOT)}; report: {REPORT.relative_to(ROOT)}")


# --- main ----------------------------------------------------------------------------------------


def _raise_out_of_time(*_) -> None:
    raise OutOfTime(f"the benchmark passed its {TIME_LIMIT_S} s limit")


def _raise_terminated(*_) -> None:
    raise SystemExit(143)


async def measure(servers: Servers, args, texts: dict, results: Results) -> None:
    print("booking: slot search and a 50-way race ...", flush=True)
    await asyncio.to_thread(booking_micro_benchmarks, servers, results)
    print(f"follow-ups: {FOLLOWUPS} due, one worker ...", flush=True)
    await asyncio.to_thread(followups_benchmark, servers.fake_url, servers.env, results)
    run = await open_loop_run(servers, args, texts, results)
    judge_server_timings(servers, results)
    await saturation_runs(servers, args, texts, results)
    judge_open_loop(run, servers, args, results)
    judge_llm_lane(servers, results)
    voice.judge_voice_notes(
        results.raw.pop("voice_run"), servers.fake_url, servers.model_url, results
    )
    faq_answers.judge_faq_answers(
        results.raw.pop("faq_run"), servers.fake_url, (P50_TARGET_MS, P99_TARGET_MS), results
    )
    handoffs.judge_handoffs(
        results.raw.pop("handoff_run"),
        servers.fake_url,
        results.raw.get("open_loop", {}).get("latency", {}),
        (P50_TARGET_MS, P99_TARGET_MS),
        results,
    )
    judge_booking_lane(servers, args, results)
    judge_machine(results)
    print(f"/health through {health_burst.BURSTS} bursts of {health_burst.BURST_SIZE} "
          "webhooks ...", flush=True)  # fmt: skip
    await asyncio.to_thread(health_through_bursts, servers, results)
    await clinic_day_runs(servers, args, texts, results)
    # Last: its patients' messages then count in no other run's rows or replies.
    print(f"media: a {media_body.BODY_MIB} MiB image body on a fresh web server ...", flush=True)
    await asyncio.to_thread(media_body.benchmark, servers.running, servers.env, results)


HEALTH_BURST_PREFIX = "7977"


def health_through_bursts(servers: Servers, results: Results) -> None:
    """Fault scenario 6: /health probed every 10 ms while bursts of webhooks from new patients
    arrive as fast as bench.health_burst's senders send them; each burst starts once the one
    before is stored and the processes are quiet. Judged on one web worker, the server the
    scenario was set on (the fault tests' stack); the production command's two workers are
    measured the same way and reported: on this 2-core machine they share the cores with each
    other, PostgreSQL, Redis, the senders and the probe, which a deployed web machine does not."""
    single = start_single_worker(servers)
    # The gateway and the Celery worker stand in for other machines (deployed, the worker is a
    # Fly process of its own): they must not take the web server's cores. Each was started in a
    # process group of its own, so the whole group (Celery's pool too) is niced.
    others = [
        p.popen.pid for p in servers.running.started if p.name in ("fake-evolution", "celery")
    ]
    for group in others:
        os.setpriority(os.PRIO_PGRP, group, health_burst.STAND_IN_NICENESS)
    try:
        judged = bursts(servers, single.port, first_patient=0)
        reported = bursts(servers, servers.web_port, first_patient=len(judged.seconds) * 1000)
    finally:
        for group in others:
            with contextlib.suppress(PermissionError):  # raising priority back needs root
                os.setpriority(os.PRIO_PGRP, group, 0)
        servers.running.stop(single.process)
    judge_health_bursts(judged, reported, results)


@dataclass
class SingleWorker:
    process: procs.Process
    port: int


def start_single_worker(servers: Servers) -> SingleWorker:
    port = procs.free_port()
    argv = procs.web_server_argv("clinicbot.asgi:application", port, 1)
    process = servers.running.start("web-1", argv, servers.env)
    ready = f"http://127.0.0.1:{port}/ready"
    procs.wait_until(process, lambda: procs.http_status(ready) == 200, timeout_s=60)
    procs.wait_until_quiet(servers.cpu, QUIET_NAMES | {"web-1"})
    return SingleWorker(process, port)


@dataclass
class Bursts:
    probes: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    refused: int = 0


def bursts(servers: Servers, port: int, first_patient: int) -> Bursts:
    secret = servers.env["EVOLUTION_WEBHOOK_SECRET"]
    messages = wb.Messages(f"127.0.0.1:{port}", secret)
    stored = wb.inbound_rows(servers.env["DATABASE_URL"])
    measured = Bursts()
    for round_ in range(health_burst.BURSTS):
        first = first_patient + round_ * health_burst.BURST_SIZE
        bodies = [
            messages.body(f"{HEALTH_BURST_PREFIX}{n:07d}", messages.next_id(), "Привет").decode()
            for n in range(first, first + health_burst.BURST_SIZE)
        ]
        burst_s, statuses, probed = health_burst.burst("127.0.0.1", port, messages.headers, bodies)
        measured.probes += probed
        measured.seconds.append(burst_s)
        measured.refused += sum(1 for status in statuses if status != 200)
        stored += health_burst.BURST_SIZE
        wb.wait_stored(servers.env["DATABASE_URL"], stored, timeout_s=60)
        procs.wait_until_quiet(servers.cpu, QUIET_NAMES)
    return measured


def judge_health_bursts(judged: Bursts, reported: Bursts, results) -> None:
    t = "health"
    for label, run in (("one web worker", judged), ("two web workers", reported)):
        probe = wb.latency_summary(run.probes)
        failed_probes = sum(1 for ms in run.probes if ms >= NOT_OK_MS)
        results.add(t, f"{label}: seconds per burst", "",
                    ", ".join(f"{s:.2f} s" for s in run.seconds), None)  # fmt: skip
        results.add(t, f"{label}: webhooks not answered 200", "0", str(run.refused),
                    run.refused == 0)  # fmt: skip
        results.add(t, f"{label}: /health probes / not answered 200", "all 200",
                    f"{probe['count']} / {failed_probes}", failed_probes == 0)  # fmt: skip
        target = f"p99 < {health_burst.HEALTH_P99_TARGET_MS:g} ms" if run is judged else "reported"
        ok = probe["p99_ms"] < health_burst.HEALTH_P99_TARGET_MS if run is judged else None
        results.add(t, f"{label}: /health p50 / p99", target,
                    f"{probe['p50_ms']:.2f} / {probe['p99_ms']:.2f} ms", ok)  # fmt: skip
        results.raw[f"health_bursts_{label.replace(' ', '_')}"] = {
            "probe": probe, "burst_s": run.seconds, "refused": run.refused,
        }  # fmt: skip


async def clinic_day_runs(servers: Servers, args, texts: dict, results: Results) -> None:
    stack = await asyncio.to_thread(
        clinic_day.restart_behind_proxy, servers.running, servers.env, args.web_workers
    )
    try:
        await clinic_day.clinic_day(
            stack, texts, results, servers.fake_url, seconds=args.clinic_day_seconds
        )
        await clinic_day.database_outage(stack, texts, results, servers.fake_url)
    finally:
        stack.proxy.close()


def run_event_loop(coroutine) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
        return
    uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            print(f"{name} is not set: run `make bench`", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGALRM, _raise_out_of_time)
    signal.alarm(TIME_LIMIT_S)
    results = Results()
    results.raw["loadavg"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    texts, dropped = wb.fast_lane_texts()
    for entry in dropped:
        print(f"not a fast-lane text, dropped: {entry}")
    nlu_micro_benchmark(results)
    try:
        with procs.Processes(OUT_DIR / "logs") as running:
            servers = start_servers(running, args)
            run_event_loop(measure(servers, args, texts, results))
    finally:
        signal.alarm(0)
    write_outputs(results, args, dropped)
    for check in results.failed():
        print(f"MISSED: {check.name}: {check.measured} (target {check.target})")
    return 1 if results.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
