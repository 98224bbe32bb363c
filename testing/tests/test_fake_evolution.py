import contextlib
import socket
import threading
import time

import httpx
import pytest

from testing.fake_evolution import FakeEvolution

SEND = "/message/sendText/smile-main"
BODY = {"number": "5511987654321", "text": "Olá Maria!"}


@pytest.fixture
def fake():
    with FakeEvolution(api_key="k", instances={"smile-main"}) as fake:
        yield fake


@pytest.fixture
def client(fake):
    with httpx.Client(base_url=fake.url, headers={"apikey": "k"}, timeout=5) as client:
        yield client


def test_it_answers_201_with_the_message_like_evolution(client):
    response = client.post(SEND, json=BODY)

    assert response.status_code == 201
    answer = response.json()
    assert answer["key"]["remoteJid"] == "5511987654321@s.whatsapp.net"
    assert answer["key"]["fromMe"] is True
    assert answer["status"] == "PENDING"
    assert answer["message"] == {"conversation": "Olá Maria!"}
    assert isinstance(answer["messageTimestamp"], int)


def test_it_records_each_send_with_both_arrival_clocks(fake, client):
    before_monotonic, before_wall = time.monotonic_ns(), time.time_ns()
    first = client.post(SEND, json=BODY).json()
    client.post(SEND, json={"number": "+1 (555) 010-0000", "text": "second"})

    sends = fake.sent()
    assert [(s["instance"], s["number"], s["text"]) for s in sends] == [
        ("smile-main", "5511987654321", "Olá Maria!"),
        ("smile-main", "+1 (555) 010-0000", "second"),
    ]
    assert sends[0]["message_id"] == first["key"]["id"]
    assert sends[0]["headers"]["apikey"] == "k"
    assert before_monotonic <= sends[0]["monotonic_ns"] <= sends[1]["monotonic_ns"]
    assert before_wall <= sends[0]["time_ns"] <= time.time_ns()


def test_it_normalizes_the_number_in_remote_jid(client):
    answer = client.post(SEND, json={"number": "+55 (11) 98765-4321", "text": "hi"}).json()

    assert answer["key"]["remoteJid"] == "5511987654321@s.whatsapp.net"


def test_each_send_gets_a_unique_message_id(client):
    ids = {client.post(SEND, json=BODY).json()["key"]["id"] for _ in range(20)}

    assert len(ids) == 20


def test_a_wrong_apikey_gets_401_and_nothing_is_sent(fake, client):
    response = client.post(SEND, json=BODY, headers={"apikey": "wrong"})

    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "error": "Unauthorized",
        "response": {"message": "Unauthorized"},
    }
    assert fake.sent() == []
    assert fake.attempts()[0]["status"] == 401


@pytest.mark.parametrize(
    "body",
    [{"number": "5511987654321"}, {"text": "hi"}, {"number": "551", "text": "  "}, "not json"],
    ids=["no text", "no number", "blank text", "not json"],
)
def test_a_body_without_number_or_text_gets_400(fake, client, body):
    if isinstance(body, str):
        response = client.post(SEND, content=body)
    else:
        response = client.post(SEND, json=body)

    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert fake.sent() == []


def test_an_unconfigured_instance_gets_404_before_the_apikey_is_checked(client):
    response = client.post("/message/sendText/other", json=BODY, headers={"apikey": "wrong"})

    assert response.status_code == 404
    assert response.json()["response"]["message"] == ['The "other" instance does not exist']


def test_any_instance_and_apikey_are_accepted_by_default():
    with FakeEvolution() as fake:
        response = httpx.post(f"{fake.url}/message/sendText/anything", json=BODY, timeout=5)

    assert response.status_code == 201


def test_wait_for_returns_once_enough_sends_arrived(fake, client):
    sender = threading.Timer(0.2, lambda: client.post(SEND, json=BODY))
    sender.start()

    sends = fake.wait_for(1, timeout=3)

    sender.join(3)
    assert [s["text"] for s in sends] == ["Olá Maria!"]


def test_wait_for_raises_timeout_error_when_sends_do_not_come(fake):
    with pytest.raises(TimeoutError, match="expected 1"):
        fake.wait_for(1, timeout=0.1)


def test_clear_forgets_sends_and_attempts(fake, client):
    client.post(SEND, json=BODY)

    fake.clear()

    assert fake.sent() == [] and fake.attempts() == []


def test_latency_delays_each_answer(fake, client):
    fake.set_latency(0.3)

    started = time.monotonic()
    response = client.post(SEND, json=BODY)

    assert response.status_code == 201
    assert 0.3 <= time.monotonic() - started < 2


def test_fail_next_answers_the_status_then_recovers(fake, client):
    fake.fail(500, times=2)

    statuses = [client.post(SEND, json=BODY).status_code for _ in range(3)]

    assert statuses == [500, 500, 201]
    assert [a["status"] for a in fake.attempts()] == [500, 500, 201]
    assert len(fake.sent()) == 1


def test_a_status_override_without_a_count_lasts_until_reset(fake, client):
    fake.fail(503)
    statuses = [client.post(SEND, json=BODY).status_code for _ in range(3)]

    fake.reset_faults()

    assert statuses == [503, 503, 503]
    assert client.post(SEND, json=BODY).status_code == 201


def test_hang_leaves_the_client_waiting_until_faults_are_reset(fake, client):
    fake.hang()
    with pytest.raises(httpx.ReadTimeout):
        client.post(SEND, json=BODY, timeout=0.3)

    fake.reset_faults()

    assert client.post(SEND, json=BODY).status_code == 201


def test_a_request_held_by_hang_is_answered_once_released(fake, client):
    fake.hang()
    threading.Timer(0.3, fake.reset_faults).start()

    started = time.monotonic()
    response = client.post(SEND, json=BODY)

    assert response.status_code == 201
    assert time.monotonic() - started >= 0.3


def test_drop_closes_the_connection_without_an_answer(fake, client):
    fake.drop()

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(SEND, json=BODY)
    assert fake.attempts()[0]["status"] is None
    assert fake.sent() == []


def test_the_control_surface_configures_and_reads_the_fake(fake, client):
    configured = client.post("/_fake/config", json={"status": 500, "fail_next": 1}).json()
    failed = client.post(SEND, json=BODY)
    client.post(SEND, json={"number": "1", "text": "a"})
    client.post(SEND, json={"number": "2", "text": "b"})

    assert configured["fail_next"] == 1 and failed.status_code == 500
    assert [s["text"] for s in client.get("/_fake/sent").json()] == ["a", "b"]
    assert [s["text"] for s in client.get("/_fake/sent?since=1").json()] == ["b"]
    assert len(client.get("/_fake/attempts").json()) == 3
    assert client.post("/_fake/clear").status_code == 200
    assert client.get("/_fake/sent").json() == []


@pytest.mark.parametrize("config", [{"lateness": 1}, {"latency": "slow"}, [1]])
def test_the_control_surface_rejects_unknown_or_malformed_settings(client, config):
    response = client.post("/_fake/config", json=config)

    assert response.status_code == 400
    assert client.get("/_fake/config").json()["latency"] == 0


def test_it_keeps_the_connection_alive_between_requests(fake, client):
    connections = []
    for _ in range(5):
        response = client.post(SEND, json=BODY, extensions={"trace": _record(connections)})
        assert response.status_code == 201

    assert connections.count("connection.connect_tcp.complete") == 1


def _record(events):
    def trace(name, info):
        events.append(name)

    return trace


def test_stop_frees_the_port_even_with_idle_and_held_connections(fake, client):
    client.post(SEND, json=BODY)  # leaves an idle keep-alive connection open
    fake.hang()
    held = threading.Thread(target=_post_ignoring_errors, args=(fake.url,))
    held.start()
    port = fake.port
    time.sleep(0.2)

    started = time.monotonic()
    fake.stop()

    held.join(3)
    assert time.monotonic() - started < 2
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def _post_ignoring_errors(url):
    with contextlib.suppress(httpx.HTTPError):  # the server stops while it is held
        httpx.post(f"{url}{SEND}", json=BODY, headers={"apikey": "k"}, timeout=5)


def test_it_serves_hundreds_of_sends_per_second_over_keep_alive(fake, client):
    count = 600
    started = time.monotonic()
    for number in range(count):
        client.post(SEND, json={"number": str(number), "text": "load"})
    rate = count / (time.monotonic() - started)

    print(f"fake Evolution: {rate:.0f} sends/s, one httpx client, keep-alive")
    assert len(fake.sent()) == count
    assert rate > 200


def test_it_runs_as_a_subprocess_driven_over_http(run_module):
    process, url = run_module(
        "testing.fake_evolution", "--port", "0", "--api-key", "k", "--instance", "a"
    )
    with httpx.Client(base_url=url, timeout=5) as client:
        sent = client.post("/message/sendText/a", json=BODY, headers={"apikey": "k"})
        unknown = client.post("/message/sendText/b", json=BODY, headers={"apikey": "k"})
        recorded = client.get("/_fake/sent").json()

    process.terminate()
    assert process.wait(timeout=5) == 0
    assert (sent.status_code, unknown.status_code) == (201, 404)
    assert [s["text"] for s in recorded] == ["Olá Maria!"]
