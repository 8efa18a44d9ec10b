"""The channels a message can leave by, in the order their deliveries are planned. Each is a
plugin.notify.planning.Channel; this is the one place that lists them."""

from __future__ import annotations

from plugin.notify.email.channel import EmailChannel
from plugin.notify.planning import Channel
from plugin.notify.sms.channel import SMS
from plugin.notify.webhooks.channel import CHANNEL as WEBHOOK

CHANNELS: tuple[Channel, ...] = (EmailChannel(), SMS, WEBHOOK)
