"""The page cache's kept Redis connection (bookstore.page_cache_redis), on a real Redis."""

from __future__ import annotations

import secrets
import threading
import time
from urllib.parse import urlsplit

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from bookstore.page_cache_redis import RedisLine

pytestmark = pytest.mark.redis


@pytest.fixture
def client(redis_url):
    found = redis.Redis.from_url(redis_url)
    yield found
    found.close()


@pytest.fixture
def key(client):
    name = "test:line:" + secrets.token_hex(6)
    yield name
    client.delete(name, name + ":list")


def test_commands_sent_together_are_answered_in_order_in_one_send(client, key, monkeypatch):
    line = RedisLine(client)
    assert line.call("GET", key) is None  # connects on first use
    sends = []
    [connection] = line._idle
    send = connection.send_packed_command
    monkeypatch.setattr(
        connection, "send_packed_command", lambda *a, **k: sends.append(a) or send(*a, **k)
    )
    commands = [("SET", key, b"page", "EX", 60), ("GET", key), ("TTL", key), ("DEL", key, "x:")]
    set_, got, ttl, deleted = line.calls(commands)
    assert (set_, got, deleted) == (b"OK", b"page", 1)
    assert 0 < ttl <= 60
    assert len(sends) == 1
    assert client.get(key) is None


def test_an_error_answer_is_raised_and_the_next_command_gets_its_own_answer(client, key):
    client.rpush(key + ":list", b"x")
    line = RedisLine(client)
    line.call("SET", key, b"kept")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        line.calls([("GET", key + ":list"), ("GET", key)])
    assert line.call("GET", key) == b"kept"


def test_a_connection_the_server_closed_fails_once_then_a_new_one_is_made(client, key):
    line = RedisLine(client)
    line.call("SET", key, b"before")
    kept_id = line.call("CLIENT", "ID")
    assert client.client_kill_filter(_id=kept_id) == 1
    with pytest.raises((RedisConnectionError, OSError)):
        line.call("GET", key)  # the caller's circuit breaker counts this failure
    assert line.call("GET", key) == b"before"
    assert line.call("CLIENT", "ID") != kept_id


def test_a_connection_made_before_a_fork_is_not_used_by_the_child(client, key):
    line = RedisLine(client)
    line.call("SET", key, b"v")
    parent_id = line.call("CLIENT", "ID")
    [connection] = line._idle
    connection.pid = -1  # as a forked worker sees its parent's connection
    assert line.call("CLIENT", "ID") != parent_id
    assert line.call("GET", key) == b"v"


def test_commands_at_the_same_time_go_on_their_own_connections_which_are_kept(client, key):
    line = RedisLine(client)
    first = line.call("CLIENT", "ID")
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.extend(line.calls([("CLIENT", "ID"), ("BLPOP", key, 1)]))
    )
    waiting.start()
    deadline = time.monotonic() + 5
    while line._idle and time.monotonic() < deadline:  # the thread takes the idle connection
        time.sleep(0.001)
    second = line.call("CLIENT", "ID")  # while the thread's BLPOP waits
    waiting.join()
    assert answers == [first, None]
    assert second != first
    assert len(line._idle) == 2  # both kept for later commands, none made afresh
    assert {line.call("CLIENT", "ID") for _ in range(4)} <= {first, second}


def test_a_thread_that_ended_leaves_its_connection_for_the_next(client):
    line = RedisLine(client)
    ids = []
    for _ in range(3):
        thread = threading.Thread(target=lambda: ids.append(line.call("CLIENT", "ID")))
        thread.start()
        thread.join()
    assert len(set(ids)) == 1


def _in_database(redis_url: str, number: int) -> redis.Redis:
    return redis.Redis.from_url(urlsplit(redis_url)._replace(path=f"/{number}").geturl())


def test_it_reaches_the_clients_database(redis_url, key):
    five, six = _in_database(redis_url, 5), _in_database(redis_url, 6)
    try:
        five.set(key, b"in five")
        assert RedisLine(five).call("GET", key) == b"in five"
        assert RedisLine(six).call("GET", key) is None
    finally:
        five.delete(key)
        five.close()
        six.close()
