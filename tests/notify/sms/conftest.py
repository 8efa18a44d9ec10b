"""Fixtures of the SMS tests: a shop with an SMS gateway, its shoppers, messages in the outbox, and
SMS.ru mocked with ``responses`` (an unmocked call fails the test)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest
import responses

from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.models import Customer, NotifySettings
from plugin.notify import dispatch, outbox
from plugin.notify import settings as notify_settings
from plugin.notify.sms.providers import SMSRU_URL

API_ID = "0A1B2C3D-smsru-api-id"
PHONE = "79161234567"


def smsru_ok(phone: str = PHONE) -> dict:
    return {"status": "OK", "status_code": 100, "balance": 412.5,
            "sms": {phone: {"status": "OK", "status_code": 100, "sms_id": "000000-10000001"}}}


@pytest.fixture
def at(app):
    """Set the one clock to a UTC wall time: ``at(2026, 12, 7, 12)``."""
    def move(*parts: int) -> datetime:
        moment = datetime(*parts, tzinfo=UTC)
        clock.set_source(lambda: moment)
        return moment.replace(tzinfo=None)
    return move


@pytest.fixture
def gateway(app, shop, job_env):
    """The shop sends SMS through SMS.ru with its api_id: set the settings, return a setter for more."""
    vault = app.extensions["loyalty"].vault

    def configure(provider: str = "smsru", config: dict | None = None, secret: str | None = API_ID,
                  target=None, **changes) -> None:
        target = target or shop
        with session():
            notify_settings.save(target, sms_provider=provider, sms_config=config or {"sender": "Shop"},
                                 sms={"points.earned": True, "campaign.started": True}, **changes)
            NotifySettings.update(sms_secret=vault.encrypt(secret)).where(
                NotifySettings.shop == target.id).execute()

    configure(time_zone="Europe/Moscow")
    return configure


@pytest.fixture
def shopper(app, shop):
    ids = count(1)

    def create(phone: str | None = PHONE, target=None, **fields) -> Customer:
        with session():
            return Customer.create(shop=(target or shop).id, platform_id=f"c{next(ids)}", phone=phone,
                                   **fields)
    return create


@pytest.fixture
def message(app, shop):
    """Record a message for a shopper in its own transaction, like a fact would."""
    keys = count(1)

    def record(customer: Customer, type: str = "points.earned", data: dict | None = None) -> None:
        with session(), database.atomic():
            outbox.record(customer.shop_id, type, f"test:{next(keys)}",
                          data or {"points": 120, "balance": 860}, customer_id=customer.id)
    return record


@pytest.fixture
def smsru():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


SECOND = "79160000002"


def drain_sms() -> int:
    """Fan the outbox out and send the due SMS: what the drain job does, for this channel."""
    from plugin.notify.sms.channel import SMS

    dispatch.dispatch()
    with session():
        return SMS.send_due(clock.now())


def sent_forms(mock) -> list[dict]:
    from urllib.parse import parse_qs
    return [{k: v[0] for k, v in parse_qs(call.request.body).items()}
            for call in mock.calls if call.request.url == SMSRU_URL]
