"""A redacted shopper: nothing more is sent to them and no delivery keeps their address."""

from __future__ import annotations

from plugin import customers
from plugin.core.db import database, session
from plugin.core.kinds import DeliveryChannel, SuppressionReason
from plugin.core.models import Customer, Delivery, OutboxMessage, Suppression
from plugin.core.status import DeliveryStatus
from plugin.notify import outbox
from plugin.privacy.redact import redact_customer, token


def test_redaction_scrubs_delivery_addresses_stops_pending_ones_and_rekeys_messages(shop):
    with session(), database.atomic():
        anna = customers.ensure(shop.id, "4242", {"email": "anna@example.com"})
        other = customers.ensure(shop.id, "77", {"email": "boris@example.com"})
        for who, key in ((anna, "signup:4242"), (anna, "order:4242:1"), (other, "signup:77")):
            outbox.record(shop.id, "points.earned", f"points.earned:{key}", {"points": 1}, customer_id=who.id)
        first, second, third = OutboxMessage.select().order_by(OutboxMessage.id)
        fates = ((first, anna, DeliveryStatus.SENT), (second, anna, DeliveryStatus.PENDING),
                 (third, other, DeliveryStatus.PENDING))
        for message, who, status in fates:
            Delivery.create(shop=shop.id, message=message.id, channel=DeliveryChannel.EMAIL, target=who.email,
                            customer=who.id, status=status)
        Suppression.create(shop=shop.id, channel=DeliveryChannel.EMAIL, address="anna@example.com",
                           reason=SuppressionReason.BOUNCE)
        new_id = token()
        counts = redact_customer(Customer.get_by_id(anna.id), new_id)
    with session():
        rows = [(d.customer_id, d.target, d.status) for d in Delivery.select().order_by(Delivery.id)]
        keys = [m.key for m in OutboxMessage.select().order_by(OutboxMessage.id)]
        assert Suppression.select().count() == 0
    assert rows[0][1].startswith("redacted:") and rows[0][2] == DeliveryStatus.SENT
    assert rows[1][1].startswith("redacted:") and rows[1][2] == DeliveryStatus.SUPPRESSED
    assert rows[2] == (other.id, "boris@example.com", DeliveryStatus.PENDING)
    assert keys == [f"points.earned:signup:{new_id}", f"points.earned:order:{new_id}:1",
                    "points.earned:signup:77"]
    assert (counts["delivery"], counts["outbox_message_keys"], counts["suppression"]) == (2, 2, 1)
