"""A channel is one folder plus one row of the registry: the toy channel (channels/tests/toy/)
is registered here, in the test, and nowhere in the product; a clinic on it gets its patients'
messages answered through the same pipeline, while a clinic on Evolution, served by the same
process, keeps its own channel."""

import json

import pytest

from channels import registry
from channels.evolution.tests.helpers import post_webhook, text_message
from channels.tests.toy import TOKEN, ToySender
from conftest import import_clinic_data, load_demo_clinic_data
from conversations.models import Clinic, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def toy_channel(monkeypatch):
    monkeypatch.setitem(registry.CHANNELS, "toy", "channels.tests.toy.ToyChannel")
    ToySender.sent.clear()
    yield ToySender.sent
    ToySender.sent.clear()


@pytest.fixture
def toy_clinic(toy_channel):
    data = load_demo_clinic_data() | {
        "slug": "toy-dental",
        "whatsapp_instance": "toy-number-1",
        "channel": {"kind": "toy"},
    }
    return import_clinic_data(data)


async def post_toy(client, body: dict | list, token: str = TOKEN):
    return await client.post(
        "/webhooks/toy",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Toy-Token": token},
    )


async def test_a_clinic_on_a_new_channel_gets_its_patients_answered(
    async_client, toy_clinic, toy_channel
):
    body = {"number": "toy-number-1", "from": "79005550011", "id": "toy-1", "text": "Привет"}
    response = await post_toy(async_client, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    (sent,) = toy_channel
    assert (sent["instance"], sent["number"]) == ("toy-number-1", "79005550011")
    assert sent["text"]
    stored = await Message.objects.aget(wa_message_id="toy-1")
    reply = await Message.objects.aget(reply_to=stored)
    assert reply.text == sent["text"] and reply.delivery_status == Message.Delivery.SENT
    assert (await post_toy(async_client, body)).json() == {"status": "duplicate"}
    assert len(toy_channel) == 1


async def test_the_new_channel_checks_its_own_credentials(async_client, toy_clinic, toy_channel):
    body = {"number": "toy-number-1", "from": "79005550011", "id": "toy-2", "text": "hi"}
    assert (await post_toy(async_client, body, token="wrong")).status_code == 401
    response = await post_toy(async_client, {"number": "toy-number-1"})
    assert response.status_code == 422
    assert response.json() == {"detail": "from: missing"}
    assert toy_channel == []


async def test_each_clinic_is_answered_through_its_own_channel(
    async_client, clinic, toy_clinic, toy_channel, gateway
):
    toy = {"number": "toy-number-1", "from": "79005550011", "id": "toy-3", "text": "hello"}
    assert (await post_toy(async_client, toy)).json() == {"status": "accepted"}
    response = await post_webhook(async_client, text_message("hello", phone="79005550022"))
    assert response.json() == {"status": "accepted"}
    assert [sent["number"] for sent in toy_channel] == ["79005550011"]
    assert [sent["number"] for sent in gateway.sent()] == ["79005550022"]


async def test_a_message_for_a_clinic_on_another_channel_finds_no_clinic(
    async_client, clinic, toy_channel
):
    """The demo clinic's number is on Evolution: the toy channel cannot reach it."""
    body = {"number": clinic.whatsapp_instance, "from": "79005550011", "id": "t4", "text": "hi"}
    assert (await post_toy(async_client, body)).status_code == 404
    assert toy_channel == []


async def test_a_body_of_several_messages_gets_one_answer_each(
    async_client, toy_clinic, toy_channel
):
    batch = [
        {"number": "toy-number-1", "from": "79005550011", "id": "toy-b1", "text": "hello"},
        {"number": "no-such-number", "from": "79005550012", "id": "toy-b2", "text": "hello"},
    ]
    response = await post_toy(async_client, batch)
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert response.json()["status"] == "batch" and first == {"status": "accepted"}
    assert "no clinic is configured" in second["detail"]
    assert [sent["number"] for sent in toy_channel] == ["79005550011"]


def test_a_channel_the_registry_does_not_know_is_refused_by_the_clinic_file(db):
    from conversations.clinic_file import ClinicFileError, parse_clinic_file

    with pytest.raises(ClinicFileError, match="channel.kind: .*'toy' is not a channel"):
        parse_clinic_file(load_demo_clinic_data() | {"channel": {"kind": "toy"}})
    assert not Clinic.objects.filter(slug="toy-dental").exists()
