"""The channels a message can leave by, in the order their deliveries are planned. Each is a
plugin.notify.planning.Channel; this is the one place that lists them."""

from __future__ import annotations

from plugin.notify.email.channel import EmailChannel
from plugin.notify.planning import Channel

CHANNELS: tuple[Channel, ...] = (
    EmailChannel(),  # notify: email
)
