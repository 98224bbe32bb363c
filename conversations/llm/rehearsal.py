"""One answer's code path, run offline when a worker process starts.

A fresh worker process does work on its first answer that later answers skip, so that patient
would wait longer than the next ones: the OpenAI client imports its chat resources and builds
their pydantic schemas on first use, Babel loads each language's locale data the first time a
price is formatted in it, and the gateway's sender opens its HTTP session. All of that is paid
here instead, with no network: the model's answer comes from an in-process canned response
(httpx.MockTransport), and no message is sent.
"""

import httpx
import openai

from channels.registry import senders
from clinicbot.runtime import aio
from conversations.directory import clinics
from conversations.llm.adapters import Deadline, OpenAIAdapter
from conversations.llm.context import system_prompt
from conversations.llm.tools import TOOL_SCHEMAS
from nlu.lexicon import LANGUAGES
from pricing.cache import price_lists

CANNED_COMPLETION = {
    "id": "chatcmpl-rehearsal",
    "object": "chat.completion",
    "created": 0,
    "model": "rehearsal",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "ok"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def rehearse_answer() -> None:
    """Build a prompt in every language for every clinic in the cache, ask a canned model once,
    and build the gateway transport on the process's event loop."""

    prompt = ""
    for clinic in clinics.all():
        prices, _ = aio.run(price_lists.get(clinic.id))
        for language in LANGUAGES:
            prompt = system_prompt(clinic.info, prices, language)
    messages = [{"role": "system", "content": prompt}, {"role": "user", "content": "?"}]
    _canned_adapter().generate_with_tools(messages, TOOL_SCHEMAS, deadline=Deadline(2.0))
    aio.run(_build_gateway_transport())


def _canned_adapter() -> OpenAIAdapter:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=CANNED_COMPLETION)

    client = openai.OpenAI(
        api_key="rehearsal",
        base_url="http://rehearsal.invalid/v1",
        max_retries=0,
        timeout=1.0,
        http_client=httpx.Client(transport=httpx.MockTransport(answer), timeout=1.0),
    )
    return OpenAIAdapter("rehearsal", max_completion_tokens=16, client=client)


async def _build_gateway_transport() -> None:
    for sender in senders():
        warm = getattr(sender, "warm", None)  # only real gateways have a transport
        if warm is not None:
            warm()
