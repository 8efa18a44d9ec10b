"""The Ecwid API client: Bearer token, timeouts, errors as PlatformError (429 with Retry-After),
and the per-store limit of 800 requests a minute, counted in Redis across processes or in-process."""

from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest
import redis
import requests
import responses

from plugin.platforms import PlatformError
from plugin.platforms.ecwid.client import EcwidClient, Gone, RateLimited, Refused, exact_json
from plugin.platforms.ecwid.limiter import LIMIT, Limiter
from tests.webhooks.ecwid_bodies import STORE, TOKEN, api

REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


class Clock:
    def __init__(self, now: float = 1_765_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def client(limiter: Limiter | None = None) -> EcwidClient:
    return EcwidClient(STORE, TOKEN, limiter or Limiter())


@responses.activate
def test_a_call_sends_the_bearer_token_and_returns_the_json():
    responses.get(api("/profile"), json={"generalInfo": {"storeId": 1003}})
    assert client().get("/profile") == {"generalInfo": {"storeId": 1003}}
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_a_429_is_rate_limited_with_its_retry_after():
    responses.get(api("/orders/1"), status=429, headers={"Retry-After": "17"})
    with pytest.raises(RateLimited) as caught:
        client().get("/orders/1")
    assert caught.value.retry_after == 17


@responses.activate
def test_a_429_without_retry_after_waits_a_minute():
    responses.get(api("/orders/1"), status=429)
    with pytest.raises(RateLimited) as caught:
        client().get("/orders/1")
    assert caught.value.retry_after == 60


@responses.activate
@pytest.mark.parametrize("status,error", [(401, Refused), (403, Refused), (404, Gone), (500, PlatformError),
                                          (502, PlatformError)])
def test_errors_are_platform_errors(status, error):
    responses.get(api("/orders/1"), status=status, body="nope")
    with pytest.raises(error) as caught:
        client().get("/orders/1")
    assert caught.value.retry_after is None


@responses.activate
def test_an_unreachable_ecwid_is_a_platform_error():
    responses.get(api("/orders/1"), body=requests.ConnectTimeout("slow"))
    with pytest.raises(PlatformError, match="could not reach Ecwid"):
        client().get("/orders/1")


@responses.activate
def test_money_is_posted_as_a_json_number_digit_for_digit():
    responses.post(api("/discount_coupons"), json={"id": 1})
    client().post("/discount_coupons", {"code": "LOY-X", "discount": Decimal("150.10")})
    sent = responses.calls[0].request.body
    assert b'"discount": 150.10' in sent and json.loads(sent)["code"] == "LOY-X"
    assert exact_json({"a": Decimal("0.0001"), "b": [1]}) == b'{"a": 0.0001, "b": [1]}'


def test_the_in_process_limiter_refuses_past_the_limit_until_the_next_minute():
    clock = Clock(1_765_000_040.0)  # 20 s into a minute
    limiter = Limiter(None, limit=3, clock=clock)
    assert [limiter.take("1003") for _ in range(3)] == [None, None, None]
    assert limiter.take("1003") == 41  # the seconds to the next window, rounded up
    assert limiter.take("2002") is None  # another store has its own count
    clock.now += 40
    assert limiter.take("1003") is None


def test_the_default_limit_stays_under_ecwids_800_a_minute():
    assert Limiter().limit < LIMIT == 800


@responses.activate
def test_a_full_window_refuses_before_calling_ecwid():
    responses.get(api("/profile"), json={})
    limited = client(Limiter(None, limit=1))
    limited.get("/profile")
    with pytest.raises(RateLimited) as caught:
        limited.get("/profile")
    assert caught.value.retry_after >= 1 and len(responses.calls) == 1


@pytest.fixture
def shared_redis():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip("no Redis on this machine")
    for key in connection.scan_iter("loyalty:ecwid:calls:*"):
        connection.delete(key)
    yield connection
    for key in connection.scan_iter("loyalty:ecwid:calls:*"):
        connection.delete(key)


def test_processes_share_one_count_per_store_through_redis(shared_redis):
    clock = Clock()
    one, other = Limiter(REDIS_URL, limit=4, clock=clock), Limiter(REDIS_URL, limit=4, clock=clock)
    assert [one.take("1003"), other.take("1003"), one.take("1003"), other.take("1003")] == [None] * 4
    assert other.take("1003") is not None and one.take("1003") is not None
    window = int(clock.now // 60)
    assert int(shared_redis.get(f"loyalty:ecwid:calls:1003:{window}")) == 6
    assert 60 < shared_redis.ttl(f"loyalty:ecwid:calls:1003:{window}") <= 120  # the key expires by itself
    clock.now += 60
    assert one.take("1003") is None


def test_without_a_reachable_redis_the_limiter_counts_in_process():
    limiter = Limiter("redis://127.0.0.1:1/0", limit=2)  # nothing listens there
    assert [limiter.take("1003"), limiter.take("1003")] == [None, None]
    assert limiter.take("1003") is not None
