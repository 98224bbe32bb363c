"""A 40 MiB media body through the production web command: accepted, and how much the web
processes' peak memory grew for it (issue 18: no message lost to its attachment's size).

    scripts/with-test-services .venv/bin/python -m bench.media_body   # this benchmark alone

`make bench` runs it too (bench.run). Either way it starts a web server of its own (gunicorn
with uvicorn workers, as fly.toml starts it), so that no earlier load has raised the peaks it
reads: each worker's peak resident memory (VmHWM in /proc/<pid>/status) after a warm-up (text
messages and a 1 MiB media body through every worker), then again once a 40 MiB image body with
a caption (Evolution's webhook base64) has been answered. The growth is the workers' peaks'
sum's growth; the target is at most GROWTH_TARGET times the body: the body held once (it is
read whole into memory before its turn) and the rest of the request's work, never a second copy
of the body or of the file.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path

import httpx

from bench import processes as procs
from bench import webhook_bench as wb
from testing.servers import child_pids

MiB = 1024 * 1024
BODY_MIB = 40
GROWTH_TARGET = 1.5  # the peaks' growth, in bodies
WORKERS = 2
WARM_UP_ROUNDS = 8  # each a text message and a small media body; enough to reach both workers
PHONE_PREFIX = "7978"
TIMEOUT_S = 120.0


def image_body(messages: wb.Messages, phone: str, file: bytes, caption: str) -> bytes:
    """An image message with its file, as Evolution posts it with webhook base64 on (the file
    last in `message`: messageRaw.message.base64 = buffer.toString('base64'))."""
    payload = json.loads(messages.body(phone, messages.next_id(), caption))
    message = payload["data"]["message"]
    del message["conversation"]
    message["imageMessage"] = {
        "url": "https://mmg.whatsapp.net/o1/v/t62.7118-24/bench.enc",
        "mimetype": "image/jpeg",
        "caption": caption,
        "fileLength": str(len(file)),
        "jpegThumbnail": {str(n): n % 256 for n in range(3000)},  # a Uint8Array, stringified
    }
    payload["data"]["messageType"] = "imageMessage"
    head, tail = json.dumps(payload).encode().rsplit(b'"messageContextInfo"', 1)
    # The file is joined in as bytes: building it as a str first would need the memory twice.
    file_text = base64.b64encode(file)
    return b"".join([head, b'"base64": "', file_text, b'", "messageContextInfo"', tail])


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def post(client: httpx.Client, url: str, body: bytes, headers: dict) -> httpx.Response:
    """Post as the gateway does, which retries a 503 (a worker still warming up may give one)."""
    for _ in range(5):
        response = client.post(url, content=body, headers=headers)
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response


def measure(port: int, master: int, secret: str) -> dict:
    messages = wb.Messages(f"127.0.0.1:{port}", secret)
    url = f"http://127.0.0.1:{port}{wb.WEBHOOK_PATH}"
    warm_statuses = []
    with httpx.Client(timeout=TIMEOUT_S) as client:
        for n in range(WARM_UP_ROUNDS):
            phone = f"{PHONE_PREFIX}{n:07d}"
            text = messages.body(phone, messages.next_id(), "Здравствуйте")
            small = image_body(messages, phone, os.urandom(MiB * 3 // 4), "Здравствуйте")
            warm_statuses += [post(client, url, body, messages.headers).status_code
                              for body in (text, small)]  # fmt: skip
        body = image_body(messages, f"{PHONE_PREFIX}9999999", os.urandom(BODY_MIB * MiB * 3 // 4),
                          "Здравствуйте")  # fmt: skip
        workers = child_pids(master)
        before = {pid: peak_rss(pid) for pid in workers}
        answer = post(client, url, body, messages.headers)
        after = {pid: peak_rss(pid) for pid in workers}
    growth = sum(after[pid] - before[pid] for pid in workers)
    return {
        "body_bytes": len(body),
        "status": answer.status_code,
        "answer": answer.text,
        "warm_up_statuses": warm_statuses,
        "peak_before": before,
        "peak_after": after,
        "growth_bytes": growth,
    }


def benchmark(running: procs.Processes, env: dict, results) -> dict:
    """Start a web server of its own, measure, stop it; add the rows to `results`."""
    port = procs.free_port()
    web = running.start(
        "web-media", procs.web_server_argv("clinicbot.asgi:application", port, WORKERS), env
    )
    try:
        ready = f"http://127.0.0.1:{port}/ready"
        procs.wait_until(web, lambda: procs.http_status(ready) == 200, timeout_s=60)
        measured = measure(port, web.popen.pid, env["EVOLUTION_WEBHOOK_SECRET"])
    finally:
        running.stop(web)
    judge(measured, results)
    results.raw["media_body"] = measured
    return measured


def judge(measured: dict, results) -> None:
    t, body = "media", measured["body_bytes"]
    accepted = measured["status"] == 200 and json.loads(measured["answer"]) == {
        "status": "accepted"
    }
    results.add(t, f"a {body / MiB:.1f} MiB image body with a caption: answer", "200 accepted",
                f"{measured['status']} {measured['answer']}", accepted)  # fmt: skip
    warm = measured["warm_up_statuses"]
    results.add(t, "warm-up webhooks (text, 0.75 MiB files) answered 200", f"{len(warm)}",
                str(sum(1 for s in warm if s == 200)), all(s == 200 for s in warm))  # fmt: skip
    growth = measured["growth_bytes"]
    peaks = ", ".join(f"{measured['peak_before'][pid] / MiB:.0f} → "
                      f"{measured['peak_after'][pid] / MiB:.0f} MiB"
                      for pid in measured["peak_before"])  # fmt: skip
    results.add(t, "web workers' peak memory (VmHWM) growth for it",
                f"≤ {GROWTH_TARGET:g} × the body ({GROWTH_TARGET * body / MiB:.0f} MiB)",
                f"{growth / MiB:.1f} MiB = {growth / body:.2f} × the body (workers' peaks: "
                f"{peaks})", growth <= GROWTH_TARGET * body)  # fmt: skip


def main() -> int:
    """This benchmark alone, on servers of its own; prints its table (BENCHMARKS.md is `make
    bench`'s whole report, not rewritten here)."""
    from bench import run

    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            print(f"{name} is not set: run under scripts/with-test-services", file=sys.stderr)
            return 2
    results = run.Results()
    with procs.Processes(run.OUT_DIR / "logs") as running:
        api_key = run.secrets.token_urlsafe(16)
        env = run.bench_environment(run.start_fake(running, api_key), api_key)
        env.update(run.phi_keys(env))
        run.prepare_data(env)
        measured = benchmark(running, env, results)
    print(run.render_table(results.checks["media"]))
    print(json.dumps(measured))
    return 1 if results.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
