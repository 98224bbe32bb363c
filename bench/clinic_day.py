"""`make bench`, "clinic day" (issue 8): a realistic mix against a remote-like database, then
the database hanging for 30 s in the middle of traffic (fault scenario 1).

The web server and the Celery worker are restarted with DATABASE_URL pointing at a fault proxy
(testing.fault_proxy, in a process of its own) in front of PostgreSQL, adding 50 ms to
every round trip, as a Supabase database in another region would. The mix: the fast-lane texts
of the webhook run (price questions twice as often as greetings, thanks, confirmations and
clinic information), about one message in seven an LLM-lane question answered by the fake
model at 800 ms, and 5% of messages redelivered. A separate process probes `/health` every
10 ms throughout.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bench import llm_lane
from bench import processes as procs
from bench import webhook_bench as wb
from bench.loadgen import Pool
from testing.health_probe import HealthProbe

DATABASE_LATENCY_S = 0.050
RATE = 20.0  # messages per second: a busy clinic's whole day compressed into minutes
WARMUP_S = 10.0
SECONDS = 60.0
PATIENTS = 300
PREFIX = "7994"
OUTAGE_PREFIX = "7993"
CELERY_CONCURRENCY = 8  # the LLM lane's tasks wait on the model and on a 50 ms database
# Fault scenario 1, as in clinicbot/tests/test_fault_postgres.py: steady traffic, the database
# hangs from 5 s to 35 s.
OUTAGE_RATE = 10.0
OUTAGE_RUN_S = 40.0
OUTAGE_AT_S, OUTAGE_END_S = 5.0, 35.0
STORE_TIMEOUT_S = 120.0


class ProxyProcess:
    """The fault proxy in a process of its own (its relaying must not share the load
    generator's interpreter), driven by one command per line."""

    def __init__(self, target: str):
        argv = [sys.executable, "-m", "testing.fault_proxy", "--target", target]
        self.popen = subprocess.Popen(  # stopped in close(), and with its parent
            argv, cwd=procs.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.port = json.loads(self.popen.stdout.readline())["port"]

    def command(self, line: str):
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()
        answer = json.loads(self.popen.stdout.readline())
        if not answer["ok"]:
            raise RuntimeError(f"fault proxy: {answer['error']}")
        return answer["result"]

    def close(self) -> None:
        self.popen.stdin.close()
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            self.popen.kill()


@dataclass
class Stack:
    web_port: int
    env: dict
    proxy: ProxyProcess


def wait_for_empty_queue(redis_url: str, timeout_s: float = 90) -> float | None:
    """Seconds until the broker's queue is empty (the previous runs' tasks done), or None."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    started = time.monotonic()
    while client.llen("celery"):
        if time.monotonic() - started > timeout_s:
            return None
        time.sleep(0.5)
    return time.monotonic() - started


def restart_behind_proxy(running: procs.Processes, env: dict, web_workers: int) -> Stack:
    """Stop the webhook run's web server and worker once their queue is empty (the clinic day
    must not inherit their backlog); start them again with the database behind the proxy."""
    waited = wait_for_empty_queue(env["REDIS_URL"])
    print(f"clinic day: the previous runs' queue emptied in {waited} s", flush=True)
    for process in [p for p in running.started if p.name in ("web", "celery")]:
        running.stop(process)
    database = urlsplit(env["DATABASE_URL"])
    proxy = ProxyProcess(f"{database.hostname}:{database.port or 5432}")
    proxied = database._replace(netloc=f"{database.username}@127.0.0.1:{proxy.port}")
    env = env | {"DATABASE_URL": urlunsplit(proxied)}
    web_port = procs.free_port()
    argv = procs.web_server_argv("clinicbot.asgi:application", web_port, web_workers)
    web = running.start("web-clinic-day", argv, env)
    argv = procs.celery_worker_argv(CELERY_CONCURRENCY)
    running.start("celery-clinic-day", argv, env)
    ready = f"http://127.0.0.1:{web_port}/ready"
    procs.wait_until(web, lambda: procs.http_status(ready) == 200, timeout_s=60)
    meter = procs.CpuMeter(running, database.path.lstrip("/"))
    quiet_in = procs.wait_until_quiet(meter, {"web-clinic-day", "celery-clinic-day"})
    print(f"clinic day: servers started and quiet after {quiet_in:.1f} s more", flush=True)
    proxy.command(f"latency {DATABASE_LATENCY_S}")
    return Stack(web_port, env, proxy)


def mixed_texts(fast: dict, questions: dict) -> dict:
    return {language: fast[language] + questions.get(language, []) for language in fast}


async def clinic_day(
    stack: Stack, fast_texts: dict, results, fake_url: str, seconds: float = SECONDS
) -> None:
    questions, _ = llm_lane.llm_texts()
    messages = wb.Messages(f"127.0.0.1:{stack.web_port}", stack.env["EVOLUTION_WEBHOOK_SECRET"])
    pool = Pool("127.0.0.1", stack.web_port)
    await pool.prefill(16)
    people = wb.patients(PATIENTS, PREFIX)
    run = wb.OpenLoopRun(pool, messages, people, mixed_texts(fast_texts, questions))
    rows_before = await asyncio.to_thread(wb.inbound_rows, stack.env["DATABASE_URL"])
    print(f"clinic day: warm-up {WARMUP_S:g} s, then {seconds:g} s at {RATE:g}/s, "
          f"database +{DATABASE_LATENCY_S * 1000:g} ms ...", flush=True)  # fmt: skip
    await run.run(RATE, WARMUP_S)
    run.phase = "measured"
    probe = HealthProbe("127.0.0.1", stack.web_port)
    await run.run(RATE, seconds)
    await run.drain()
    health = probe.finish()
    pool.close()
    accepted = sum(1 for r in run.records if r.kind == "new" and r.answer == "accepted")
    stored_in = await asyncio.to_thread(
        wb.wait_stored, stack.env["DATABASE_URL"], rows_before + accepted, 60
    )
    await asyncio.sleep(llm_lane.MODEL_LATENCY_S + 5)  # the last questions' answers
    sends = procs.get_json(f"{fake_url}/_fake/sent?since=0")
    mine = [s for s in sends if s["number"].startswith(PREFIX)]
    judge_clinic_day(run, mine, health, (stored_in[0] - rows_before, stored_in[1]), results)


def judge_clinic_day(run, sends, health: list[float], stored_in, results) -> None:
    m = wb.match_replies(run.records, sends)
    measured = [(r, ms) for r, ms in m.paired if r.phase == "measured"]
    fast = wb.latency_summary([ms for r, ms in measured if r.expected != llm_lane.MODEL_REPLY])
    llm = wb.latency_summary(
        llm_lane.overhead_ms([ms for r, ms in measured if r.expected == llm_lane.MODEL_REPLY])
    )
    probe = wb.latency_summary(health)
    redeliveries = sum(1 for r in run.records if r.kind == "redelivery")
    t = "clinic_day"
    results.add(t, "messages answered (measured): fast lane / LLM lane", "",
                f"{fast['count']} / {llm['count']}", None)  # fmt: skip
    results.add(t, "fast-lane latency p50 / p95 / p99", "",
                f"{fast['p50_ms']:.1f} / {fast['p95_ms']:.1f} / {fast['p99_ms']:.1f} ms",
                None)  # fmt: skip
    results.add(t, "LLM-lane overhead p50 / p95 / p99 (minus the model's 800 ms)", "",
                f"{llm['p50_ms']:.1f} / {llm['p95_ms']:.1f} / {llm['p99_ms']:.1f} ms",
                None)  # fmt: skip
    results.add(t, "/health p50 / p99 (probed every 10 ms)", "",
                f"{probe['p50_ms']:.2f} / {probe['p99_ms']:.2f} ms "
                f"over {probe['count']} probes", None)  # fmt: skip
    rate = wb.achieved_rate(run.records)
    results.add(t, "messages per second (accepted, measured)", f"≥ {RATE * 0.98:g}",
                f"{rate:.1f}", rate >= RATE * 0.98)  # fmt: skip
    results.add(t, "redeliveries sent / answered `duplicate`", "all `duplicate`",
                f"{redeliveries} / {redeliveries - m.redelivery_accepted}",
                m.redelivery_accepted == 0)  # fmt: skip
    results.add(t, "duplicates (extra replies)", "0", str(m.duplicates), m.duplicates == 0)
    results.add(t, "lost (accepted, no reply)", "0", str(m.lost), m.lost == 0)
    results.add(t, "replies with the wrong text (a hand-off, or out of order)", "0",
                str(m.wrong_text), m.wrong_text == 0)  # fmt: skip
    rows, waited = stored_in
    took = f" (in {waited:.1f} s)" if waited is not None else ""
    results.add(t, "inbound rows stored / accepted, within 60 s", "equal",
                f"{rows} / {m.accepted}{took}", waited is not None)  # fmt: skip
    results.raw["clinic_day"] = {
        "fast": fast, "llm_overhead": llm, "health": probe, "rate": rate,
        "duplicates": m.duplicates, "lost": m.lost, "mismatched": m.mismatched,
    }  # fmt: skip


async def database_outage(stack: Stack, fast_texts: dict, results, fake_url: str) -> None:
    """Fault scenario 1 on the same stack: the database hangs for 30 s during steady traffic."""
    messages = wb.Messages(f"127.0.0.1:{stack.web_port}", stack.env["EVOLUTION_WEBHOOK_SECRET"])
    pool = Pool("127.0.0.1", stack.web_port)
    await pool.prefill(8)
    people = wb.patients(60, OUTAGE_PREFIX)
    run = wb.OpenLoopRun(pool, messages, people, fast_texts)
    rows_before = await asyncio.to_thread(wb.inbound_rows, stack.env["DATABASE_URL"])
    await run.run(OUTAGE_RATE, 6.0)  # each patient's first message loads its session
    await run.drain()
    rows_before += sum(1 for r in run.records if r.kind == "new" and r.answer == "accepted")
    await asyncio.to_thread(wb.wait_stored, stack.env["DATABASE_URL"], rows_before, 30)
    run.phase = "measured"
    print(f"database outage: {OUTAGE_RUN_S:g} s at {OUTAGE_RATE:g}/s, the database hanging "
          f"from {OUTAGE_AT_S:g} s to {OUTAGE_END_S:g} s ...", flush=True)  # fmt: skip
    started = time.monotonic_ns()
    traffic = asyncio.ensure_future(run.run(OUTAGE_RATE, OUTAGE_RUN_S))
    await asyncio.sleep(OUTAGE_AT_S)
    await asyncio.to_thread(stack.proxy.command, "hang")
    hang_ns = time.monotonic_ns()
    await asyncio.sleep(OUTAGE_END_S - OUTAGE_AT_S)
    await asyncio.to_thread(stack.proxy.command, "resume")
    resume_ns = time.monotonic_ns()
    await traffic
    await run.drain()
    pool.close()
    accepted = run_measured(run)
    stored = await asyncio.to_thread(
        wb.wait_stored, stack.env["DATABASE_URL"], rows_before + accepted, STORE_TIMEOUT_S
    )
    sends = procs.get_json(f"{fake_url}/_fake/sent?since=0")
    m = wb.match_replies(run.records, [s for s in sends if s["number"].startswith(OUTAGE_PREFIX)])
    during = [ms for r, ms in m.paired if hang_ns <= r.start_ns < resume_ns]
    outage = wb.latency_summary(during)
    sent_during = sum(
        1 for r in run.records if r.kind == "new" and hang_ns <= r.start_ns < resume_ns
    )
    t = "outage"
    results.add(t, "messages sent while the database hung / replies to them", "equal",
                f"{sent_during} / {outage['count']}", sent_during == outage["count"])  # fmt: skip
    results.add(t, "their reply latency p50 / p99", "p99 ≤ 50 ms",
                f"{outage['p50_ms']:.1f} / {outage['p99_ms']:.1f} ms",
                outage["p99_ms"] <= 50)  # fmt: skip
    rows, waited = stored
    took = f" (all {waited:.1f} s after the traffic ended)" if waited is not None else ""
    results.add(t, "rows stored after the database returned / messages accepted", "equal",
                f"{rows - rows_before} / {accepted}{took}", waited is not None)  # fmt: skip
    results.add(t, "duplicates / lost", "0 / 0", f"{m.duplicates} / {m.lost}",
                m.duplicates == 0 and m.lost == 0)  # fmt: skip
    results.raw["outage"] = {
        "latency": outage, "sent_during": sent_during, "accepted": accepted,
        "outage_s": (resume_ns - hang_ns) / 1e9, "run_s": (time.monotonic_ns() - started) / 1e9,
    }  # fmt: skip


def run_measured(run) -> int:
    """Accepted new messages of the measured phase."""
    return sum(
        1
        for r in run.records
        if r.kind == "new" and r.answer == "accepted" and r.phase == "measured"
    )
