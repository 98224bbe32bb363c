import os
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from testing.fake_evolution import FakeEvolution
from testing.fault_proxy import FaultProxy


def server_address(variable, scheme, default_port):
    """Host and port of the service `make test` points at, else the local default."""
    url = urlsplit(os.environ.get(variable, ""))
    if not url.scheme.startswith(scheme):
        return ("127.0.0.1", default_port), "postgres"
    return (url.hostname or "127.0.0.1", url.port or default_port), url.username or "postgres"


REDIS, _ = server_address("REDIS_URL", "redis", 6379)
POSTGRES, POSTGRES_USER = server_address("DATABASE_URL", "postgres", 5432)
pytestmark = pytest.mark.fault


def reachable(address):
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not reachable(REDIS), reason=f"no Redis at {REDIS}")
needs_postgres = pytest.mark.skipif(not reachable(POSTGRES), reason=f"no Postgres at {POSTGRES}")


@pytest.fixture
def redis_proxy():
    with FaultProxy(*REDIS) as proxy:
        yield proxy


@pytest.fixture
def redis_client(redis_proxy):
    # No retries: the test must see each failure the proxy causes.
    client = redis.Redis(
        host="127.0.0.1",
        port=redis_proxy.port,
        socket_timeout=0.5,
        socket_connect_timeout=1,
        retry=Retry(NoBackoff(), 0),
    )
    yield client
    client.close()


@pytest.fixture
def postgres_proxy():
    with FaultProxy(*POSTGRES) as proxy:
        yield proxy


def connect_postgres(proxy, timeout=2):
    return psycopg.connect(
        host="127.0.0.1",
        port=proxy.port,
        user=POSTGRES_USER,
        dbname="postgres",  # always there, unlike the project's own database
        connect_timeout=timeout,
        autocommit=True,
    )


def timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_it_forwards_http_both_ways_and_counts_connections_and_bytes():
    with FakeEvolution() as fake, FaultProxy("127.0.0.1", fake.port) as proxy:
        response = httpx.post(
            f"http://127.0.0.1:{proxy.port}/message/sendText/a",
            json={"number": "1", "text": "through the proxy"},
            timeout=5,
        )
        stats = proxy.stats()

    assert response.status_code == 201
    assert fake.sent()[0]["text"] == "through the proxy"
    assert stats["connections_accepted"] == 1
    assert stats["bytes_to_target"] > 0 and stats["bytes_to_client"] > 0


def test_an_unreachable_target_resets_the_client_and_is_counted():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    with FaultProxy("127.0.0.1", closed_port) as proxy:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{proxy.port}/", timeout=2)
        assert proxy.stats()["upstream_failures"] == 1


@needs_redis
def test_latency_delays_each_redis_round_trip(redis_proxy, redis_client):
    redis_client.ping()  # connect first so only the round trip is timed
    _, baseline = timed(redis_client.ping)

    redis_proxy.set_latency(0.2)
    answer, delayed = timed(redis_client.ping)

    assert answer is True
    assert 0.19 <= delayed - baseline < 0.6


@needs_redis
def test_hang_makes_a_redis_client_time_out_and_resume_restores_it(redis_proxy, redis_client):
    redis_client.ping()

    redis_proxy.hang()
    with pytest.raises(redis.TimeoutError):
        redis_client.ping()
    redis_proxy.resume()

    assert redis_client.ping() is True


@needs_redis
def test_hang_accepts_new_connections_but_forwards_nothing(redis_proxy, redis_client):
    redis_proxy.hang()

    with pytest.raises(redis.TimeoutError):
        redis_client.ping()
    assert redis_proxy.stats()["connections_accepted"] == 1
    assert redis_proxy.stats()["bytes_to_client"] == 0


@needs_redis
def test_reset_all_breaks_a_redis_command_in_flight_and_a_reconnect_works(
    redis_proxy, redis_client
):
    # redis-py silently replaces a pooled connection found dead before use, so the reset
    # must hit a command in flight to be seen: hang it, then reset.
    redis_client.ping()
    redis_proxy.hang()
    reset = threading.Timer(0.1, redis_proxy.reset_all)
    reset.start()

    with pytest.raises(redis.ConnectionError):
        redis_client.ping()
    reset.join(2)
    redis_proxy.resume()

    assert redis_client.ping() is True
    assert redis_proxy.stats()["connections_reset"] == 1


@needs_redis
def test_refuse_closes_new_connections_at_once_until_switched_off(redis_proxy, redis_client):
    redis_proxy.refuse(True)
    with pytest.raises(redis.ConnectionError):
        redis_client.ping()

    redis_proxy.refuse(False)

    assert redis_client.ping() is True
    assert redis_proxy.stats()["connections_refused"] == 1


@needs_postgres
def test_latency_delays_each_postgres_query(postgres_proxy):
    with connect_postgres(postgres_proxy) as connection:
        _, baseline = timed(lambda: connection.execute("SELECT 1").fetchone())

        postgres_proxy.set_latency(0.2)
        (row,), delayed = timed(lambda: connection.execute("SELECT 1").fetchone())

    assert row == 1
    assert 0.19 <= delayed - baseline < 0.6


@needs_postgres
def test_hang_makes_a_postgres_connect_time_out(postgres_proxy):
    postgres_proxy.hang()

    # connect_timeout below 2 s is raised to 2 s by psycopg, as by libpq.
    with pytest.raises(psycopg.OperationalError):
        connect_postgres(postgres_proxy, timeout=2)


@needs_postgres
def test_a_postgres_query_held_by_hang_completes_after_resume(postgres_proxy):
    with connect_postgres(postgres_proxy) as connection:
        postgres_proxy.hang()
        rows = []
        query = threading.Thread(
            target=lambda: rows.append(connection.execute("SELECT 42").fetchone())
        )
        query.start()
        query.join(0.5)
        still_waiting = query.is_alive()

        postgres_proxy.resume()
        query.join(3)

    assert still_waiting
    assert rows == [(42,)]


@needs_postgres
def test_reset_all_breaks_an_open_postgres_connection_and_a_new_one_works(postgres_proxy):
    with connect_postgres(postgres_proxy) as broken:
        broken.execute("SELECT 1")

        postgres_proxy.reset_all()
        with pytest.raises(psycopg.OperationalError):
            broken.execute("SELECT 1")

    with connect_postgres(postgres_proxy) as fresh:
        assert fresh.execute("SELECT 1").fetchone() == (1,)


def test_a_proxy_that_cannot_listen_fails_to_start_and_leaves_no_thread():
    with FaultProxy(*REDIS) as proxy:
        taken = FaultProxy(*REDIS, listen_port=proxy.port)
        with pytest.raises(OSError):
            taken.start()


def test_stop_closes_the_listener_and_every_open_connection():
    with FakeEvolution() as fake:
        proxy = FaultProxy("127.0.0.1", fake.port)
        port = proxy.start()
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            time.sleep(0.1)  # let the proxy accept it

            proxy.stop()

            assert peer_closed(client)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def peer_closed(client):
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


@needs_redis
def test_from_another_process_it_takes_commands_on_stdin():
    """The benchmarks run the proxy in a process of its own and drive it line by line."""
    import json
    import subprocess
    import sys

    target = f"{REDIS[0]}:{REDIS[1]}"
    proxy = subprocess.Popen(
        [sys.executable, "-m", "testing.fault_proxy", "--target", target],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def command(line):
        proxy.stdin.write(line + "\n")
        proxy.stdin.flush()
        return json.loads(proxy.stdout.readline())

    try:
        port = json.loads(proxy.stdout.readline())["port"]
        client = redis.Redis(port=port, socket_timeout=2, retry=Retry(NoBackoff(), 0))
        assert command("latency 0.2") == {"ok": True, "result": None}
        began = time.monotonic()
        assert client.ping()
        assert time.monotonic() - began >= 0.2
        assert command("stats")["result"]["connections_accepted"] == 1
        assert command("bogus")["ok"] is False
    finally:
        proxy.stdin.close()
        proxy.wait(10)
    assert proxy.returncode == 0
