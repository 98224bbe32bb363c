"""Webhooks take turns at the event loop (clinicbot.runtime.admission): a few at work at once, in
arrival order, and one waiting on something slow gives its turn to the next."""

import asyncio
import json

import httpx
import pytest

from clinicbot.runtime import admission
from clinicbot.runtime.admission import admitted, stepped_aside
from conversations.tests.conftest import SECRET, text_message


@pytest.fixture
def one_at_a_time(monkeypatch):
    monkeypatch.setattr(admission, "WEBHOOKS_AT_ONCE", 1)


async def _work(name: str, log: list, wait: asyncio.Event | None = None):
    async with admitted():
        log.append(f"{name} works")
        if wait is not None:
            async with stepped_aside():
                log.append(f"{name} waits aside")
                await wait.wait()
        log.append(f"{name} done")


async def test_a_webhook_waiting_aside_lets_the_next_one_work(one_at_a_time):
    log, slow_answer = [], asyncio.Event()
    first = asyncio.ensure_future(_work("first", log, wait=slow_answer))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(_work("second", log))
    await asyncio.wait_for(second, 1)  # done while the first is still waiting
    slow_answer.set()
    await asyncio.wait_for(first, 1)
    assert log == ["first works", "first waits aside", "second works", "second done", "first done"]


async def test_back_from_its_wait_a_webhook_queues_behind_the_one_at_work(one_at_a_time):
    log, slow_answer = [], asyncio.Event()

    async def second_worker():
        async with admitted():
            log.append("second works")
            slow_answer.set()  # the first one's wait ends while this one holds the turn
            await asyncio.sleep(0.01)
            log.append("second done")

    first = asyncio.ensure_future(_work("first", log, wait=slow_answer))
    await asyncio.sleep(0)
    await asyncio.gather(first, second_worker())
    assert log == ["first works", "first waits aside", "second works", "second done", "first done"]


async def test_a_webhook_cancelled_while_queueing_again_gives_back_no_turn_it_lacks(one_at_a_time):
    slow_answer, at_work, most = asyncio.Event(), set(), [0]

    async def counted(name: str):
        async with admitted():
            at_work.add(name)
            most[0] = max(most[0], len(at_work))
            await asyncio.sleep(0.01)
            at_work.discard(name)

    first = asyncio.ensure_future(_work("first", [], wait=slow_answer))
    await asyncio.sleep(0)
    holder = asyncio.ensure_future(counted("holder"))
    await asyncio.sleep(0)
    slow_answer.set()
    await asyncio.sleep(0)  # the first one now queues for a turn again
    first.cancel()
    await holder
    await asyncio.gather(*(counted(f"later {n}") for n in range(3)))
    assert first.cancelled()
    assert most[0] == 1


async def test_outside_a_turn_stepping_aside_changes_nothing(one_at_a_time):
    async with stepped_aside():  # a Celery task or a test: no turn to give up
        pass
    at_work, most = [0], [0]

    async def counted():
        async with admitted():
            at_work[0] += 1
            most[0] = max(most[0], at_work[0])
            await asyncio.sleep(0.005)
            at_work[0] -= 1

    await asyncio.gather(*(counted() for _ in range(3)))
    assert most[0] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks", "one_at_a_time")
async def test_a_webhook_waiting_on_the_database_for_its_session_does_not_hold_others_back(
    clinic, outbox, monkeypatch
):
    """The webhook path steps aside where it waits: here, a new conversation's session load."""
    from clinicbot.routing import build_application
    from conversations import inbound

    database_answers, loads = asyncio.Event(), []
    real_load = inbound.session_state_load

    async def slow_for_the_first(clinic, phone, lid=""):
        loads.append(phone)
        if len(loads) == 1:
            await database_answers.wait()
        return await real_load(clinic, phone, lid)

    monkeypatch.setattr(inbound, "session_state_load", slow_for_the_first)
    transport = httpx.ASGITransport(app=build_application())
    headers = {"X-Webhook-Secret": SECRET, "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

        def post(phone: str):
            body = json.dumps(text_message("Сколько стоит пломба?", phone=phone))
            return asyncio.ensure_future(
                client.post("/webhooks/evolution", content=body, headers=headers)
            )

        first = post("79161110001")
        while not loads:
            await asyncio.sleep(0.001)
        second = await asyncio.wait_for(post("79161110002"), 5)
        assert not first.done()
        database_answers.set()
        first = await asyncio.wait_for(first, 5)
    assert (first.json(), second.json()) == ({"status": "accepted"}, {"status": "accepted"})
    assert [reply["number"] for reply in outbox] == ["79161110002", "79161110001"]
