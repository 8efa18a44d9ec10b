"""The marketing message: a campaign announced when it starts, only to shoppers with consent, once."""

from __future__ import annotations

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Delivery, OutboxMessage
from plugin.core.status import DeliveryStatus
from plugin.notify import campaigns
from plugin.notify.sms.providers import SMSRU_URL
from tests.helpers import save_program
from tests.notify.sms.conftest import SECOND, drain_sms, sent_forms, smsru_ok

WEEKEND = {"name": "Double points weekend", "starts_at": "2026-12-05T09:00:00+03:00",
           "ends_at": "2026-12-08T00:00:00+03:00", "multiplier": "2"}


def announced() -> list[OutboxMessage]:
    with session():
        return list(OutboxMessage.select().where(OutboxMessage.type == "campaign.started"))


def test_a_started_campaign_reaches_only_consenting_shoppers_once(shop, gateway, shopper, smsru, at):
    at(2026, 12, 5, 6, 30)  # 09:30 in Moscow: the campaign is 30 minutes old
    with session():
        save_program(shop, campaigns=[WEEKEND])
    shopper()  # no consent: no message at all
    consenting = shopper(phone=SECOND, marketing_consent_at=clock.now(), marketing_consent_source="custom")
    smsru.post(SMSRU_URL, json=smsru_ok(SECOND))

    assert campaigns.announce_started() == 1
    assert campaigns.announce_started() == 1  # a rerun writes nothing new
    [message] = announced()
    assert message.customer_id == consenting.id
    assert (message.data["name"], message.data["factor"]) == ("Double points weekend", "2")

    assert drain_sms() == 1
    assert [f["to"] for f in sent_forms(smsru)] == [SECOND]
    with session():
        assert Delivery.get().status == DeliveryStatus.SENT


def test_a_campaign_not_started_or_long_started_is_not_announced(shop, shopper, at):
    shopper(marketing_consent_at=clock.now(), marketing_consent_source="custom")
    with session():
        save_program(shop, campaigns=[WEEKEND])
    at(2026, 12, 5, 5, 59)  # a minute before it starts
    assert campaigns.announce_started() == 0
    at(2026, 12, 6, 6, 1)  # more than a day after
    assert campaigns.announce_started() == 0
    assert announced() == []


def test_a_campaign_for_some_shoppers_is_announced_to_them_only(shop, shopper, at):
    at(2026, 12, 5, 7)
    chosen = shopper(marketing_consent_at=clock.now(), marketing_consent_source="custom")
    shopper(marketing_consent_at=clock.now(), marketing_consent_source="custom")
    with session():
        save_program(shop, campaigns=[{**WEEKEND, "customers": [chosen.platform_id]}])
    campaigns.announce_started()
    assert [m.customer_id for m in announced()] == [chosen.id]
